//! Form bodies: Django's `QueryDict` for `application/x-www-form-urlencoded`
//! and Django's `MultiPartParser` for `multipart/form-data` (text fields).

use crate::error::AuthError;

use super::{
    too_many_fields, Charset, MediaType, PyString, RequestData, Value, MAX_FORM_FIELDS,
    MAX_FORM_FILES,
};
use crate::compat::latin1;

/// Bytes as text in `charset`; UTF-8 with replacement characters.
pub(super) fn decode(bytes: &[u8], charset: Charset) -> String {
    match charset {
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Latin1 => latin1(bytes),
    }
}

/// Python's `urllib.parse.unquote(s, encoding)`: runs of ASCII are
/// `%xx`-decoded to bytes and decoded in `charset` (with replacement
/// characters); other characters are kept.
pub(super) fn unquote(s: &str, charset: Charset) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut bytes = Vec::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if !c.is_ascii() {
            out.push_str(&decode(&bytes, charset));
            bytes.clear();
            out.push(c);
            continue;
        }
        let hex = s
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            ('%', Some(byte)) => {
                bytes.push(byte);
                chars.next();
                chars.next();
            }
            _ => bytes.push(c as u8),
        }
    }
    out.push_str(&decode(&bytes, charset));
    out
}

/// Django's `QueryDict(body, encoding=charset)`: the body as text in
/// `charset` (latin-1 when it is not valid UTF-8), then Python's
/// `parse_qsl(keep_blank_values=True)`: `&`-separated, `name=value` (a name
/// alone has the empty value), `+` and `%xx` decoded. `None` when there are
/// more than [`MAX_FORM_FIELDS`] fields.
pub(crate) fn parse_urlencoded(body: &[u8], charset: Charset) -> Option<Vec<(String, String)>> {
    let text = match (charset, std::str::from_utf8(body)) {
        (Charset::Utf8, Ok(text)) => text.to_owned(),
        _ => latin1(body),
    };
    if !text.is_empty() && text.matches('&').count() + 1 > MAX_FORM_FIELDS {
        return None;
    }
    Some(
        text.split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (
                    unquote(&name.replace('+', " "), charset),
                    unquote(&value.replace('+', " "), charset),
                )
            })
            .collect(),
    )
}

/// DRF's `FormParser`.
pub(crate) fn parse_form(body: &[u8], charset: Charset) -> Result<RequestData, AuthError> {
    let fields = parse_urlencoded(body, charset).ok_or_else(too_many_fields)?;
    Ok(RequestData::Fields(
        fields
            .into_iter()
            .map(|(name, value)| (name, Value::Str(PyString::from(value))))
            .collect(),
    ))
}

/// The longest boundary Django accepts (`[ -~]{0,200}[!-~]`).
const MAX_BOUNDARY_LENGTH: usize = 201;

/// Django's `TooManyFilesSent`, as a parse error.
fn too_many_files() -> AuthError {
    AuthError::parse_error(Some(
        format!("The number of files exceeded {MAX_FORM_FILES} (DATA_UPLOAD_MAX_NUMBER_FILES).")
            .into(),
    ))
}

fn multipart_error(message: String) -> AuthError {
    AuthError::parse_error(Some(
        format!("Multipart form parse error - {message}").into(),
    ))
}

/// Django's `boundary_re.fullmatch(boundary)` with `[ -~]{0,200}[!-~]`: 1
/// to 201 printable ASCII characters, the last not a space. This also bounds
/// the separator every part is searched for.
fn is_valid_boundary(boundary: &str) -> bool {
    let bytes = boundary.as_bytes();
    (1..=MAX_BOUNDARY_LENGTH).contains(&bytes.len())
        && bytes.iter().all(|b| (b' '..=b'~').contains(b))
        && bytes.last() != Some(&b' ')
}

/// Django's `sanitize_file_name`, minus HTML unescaping: the last path
/// component, printable characters only; `None` for nothing, `.` or `..`.
fn sanitize_file_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base.rsplit('\\').next().unwrap_or(base);
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control() && (*c == ' ' || !c.is_whitespace()))
        .collect();
    (!matches!(kept.as_str(), "" | "." | "..")).then_some(kept)
}

/// The first `needle` in `haystack`: linear time whatever both hold (a
/// windowed comparison is body length × needle length on crafted input).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

/// `bytes.split(b"\r\n")`.
fn split_crlf(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find(bytes, b"\r\n") {
            Some(at) => {
                let line = &bytes[..at];
                bytes = &bytes[at + 2..];
                Some(line)
            }
            None => {
                done = true;
                Some(bytes)
            }
        }
    })
}

/// What one part of a multipart body is.
enum Part {
    Field(String, String),
    /// A file part: its field name, or `None` when Django drops it (a file
    /// name that sanitizes to nothing); it counts towards the files either way.
    File(Option<String>),
    Skip,
}

/// Django's `parse_boundary_stream` and the field handling of
/// `MultiPartParser.parse` for one part.
fn parse_part(part: &[u8], charset: Charset) -> Part {
    let window = &part[..part.len().min(1024)];
    let Some(header_end) = find(window, b"\r\n\r\n") else {
        return Part::Skip;
    };
    let data = &part[header_end + 4..];
    let mut disposition: Option<MediaType> = None;
    for line in split_crlf(&part[..header_end]) {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let parsed = MediaType::parse(line);
        let Some((name, _)) = parsed.full_type.split_once(':') else {
            continue;
        };
        if name == "content-disposition" {
            disposition = Some(parsed);
        }
    }
    let Some(disposition) = disposition else {
        return Part::Skip;
    };
    let Some(name) = disposition.param("name") else {
        return Part::Skip;
    };
    let name = name
        .trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}')
        .to_owned();
    match disposition.param("filename").filter(|f| !f.is_empty()) {
        Some(file_name) => Part::File(sanitize_file_name(file_name).map(|_| name)),
        None => Part::Field(name, decode(data, charset)),
    }
}

/// DRF's `MultiPartParser` (Django's `MultiPartParser`), text fields and
/// the names of file fields; `raw` is the `Content-Type` header as sent.
pub(crate) fn parse_multipart(
    raw: &str,
    media_type: &MediaType,
    body: &[u8],
) -> Result<RequestData, AuthError> {
    if !raw.starts_with("multipart/") {
        return Err(multipart_error(format!("Invalid Content-Type: {raw}")));
    }
    if !raw.is_ascii() {
        return Err(multipart_error(format!(
            "Invalid non-ASCII Content-Type in multipart: {raw}"
        )));
    }
    let boundary = match media_type.param("boundary") {
        Some(b) if is_valid_boundary(b) => b,
        other => {
            return Err(multipart_error(format!(
                "Invalid boundary in multipart: {}",
                other.unwrap_or("None")
            )))
        }
    };
    let charset = media_type.charset();
    let separator = [b"--", boundary.as_bytes()].concat();
    let finder = memchr::memmem::Finder::new(&separator);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut file_parts = 0usize;
    let mut rest = body;
    loop {
        // Each stretch between separators is a part (the preamble too); the
        // line break before a separator belongs to it, not to the data.
        let (part, next) = match finder.find(rest) {
            Some(at) => {
                let mut end = at;
                if end > 0 && rest[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > 0 && rest[end - 1] == b'\r' {
                    end -= 1;
                }
                (&rest[..end], Some(&rest[at + separator.len()..]))
            }
            None => (rest, None),
        };
        match parse_part(part, charset) {
            Part::Field(name, value) => {
                if fields.len() >= MAX_FORM_FIELDS {
                    return Err(too_many_fields());
                }
                fields.push((name, Value::Str(PyString::from(value))));
            }
            Part::File(name) => {
                file_parts += 1;
                if file_parts > MAX_FORM_FILES {
                    return Err(too_many_files());
                }
                files.extend(name.map(|name| (name, Value::File)));
            }
            Part::Skip => {}
        }
        match next {
            Some(next) if !next.is_empty() => rest = next,
            _ => break,
        }
    }
    // DRF's `request.data` is the fields, then the files.
    fields.extend(files);
    Ok(RequestData::Fields(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_is_querydict() {
        let fields = parse_urlencoded(b"a=1&&b&c=x+y%20z&a=%E9&d=%zz", Charset::Utf8).unwrap();
        assert_eq!(
            fields,
            [
                ("a", "1"),
                ("b", ""),
                ("c", "x y z"),
                ("a", "\u{fffd}"),
                ("d", "%zz")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        // Not UTF-8: the whole body is latin-1.
        let fields = parse_urlencoded(b"a=\xe9", Charset::Utf8).unwrap();
        assert_eq!(fields[0].1, "é");
        let fields = parse_urlencoded(b"a=%E9", Charset::Latin1).unwrap();
        assert_eq!(fields[0].1, "é");
        assert!(parse_urlencoded("a&".repeat(999).as_bytes(), Charset::Utf8).is_some());
        assert!(parse_urlencoded("a&".repeat(1000).as_bytes(), Charset::Utf8).is_none());
    }

    #[test]
    fn boundaries() {
        assert!(is_valid_boundary("x"));
        assert!(is_valid_boundary(" x"));
        assert!(is_valid_boundary(&format!("{}x", " ".repeat(200))));
        assert!(is_valid_boundary(&"b".repeat(201)));
        assert!(!is_valid_boundary(&format!("{}x", " ".repeat(201))));
        // Django's `fullmatch`: a valid prefix is not enough.
        assert!(!is_valid_boundary(&"b".repeat(202)));
        assert!(!is_valid_boundary(&"b".repeat(125_000)));
        assert!(!is_valid_boundary("x "));
        assert!(!is_valid_boundary("x\u{7f}"));
        assert!(!is_valid_boundary("x\u{e9}"));
        assert!(!is_valid_boundary(""));
        assert!(!is_valid_boundary("  "));
        assert!(!is_valid_boundary("\u{7f}x"));
    }

    fn multipart(ct: &str, body: &str) -> Result<RequestData, String> {
        parse_multipart(ct, &MediaType::parse(ct), body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn multipart_fields() {
        let ct = "multipart/form-data; boundary=B";
        let body = "preamble\r\n--B\r\nContent-Disposition: form-data; name=\" user \"\r\n\r\nal\r\nice\r\n--B\r\ncontent-disposition: form-data; name=\"f\"; filename=\"../x.txt\"\r\nContent-Type: text/plain\r\n\r\nfile\r\n--B\r\nContent-Disposition: form-data; name=\"e\"; filename=\"\"\r\n\r\nempty name\r\n--B\r\nX: y\r\n\r\nno disposition\r\n--B--\r\nepilogue";
        let data = multipart(ct, body).unwrap();
        assert_eq!(data.get_str("user"), Some("al\r\nice"));
        assert_eq!(data.get("f"), Some(&Value::File));
        assert_eq!(data.get_str("e"), Some("empty name"));
        assert_eq!(data.get("X"), None);
        // No closing boundary: the last part runs to the end.
        let data = multipart(
            ct,
            "--B\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\npw\r\n-",
        )
        .unwrap();
        assert_eq!(data.get_str("p"), Some("pw\r\n-"));
        assert_eq!(multipart(ct, "garbage").unwrap(), RequestData::empty());
        assert_eq!(
            multipart("multipart/form-data", "").unwrap_err(),
            "Multipart form parse error - Invalid boundary in multipart: None"
        );
        assert_eq!(
            multipart("Multipart/form-data; boundary=B", "").unwrap_err(),
            "Multipart form parse error - Invalid Content-Type: Multipart/form-data; boundary=B"
        );
    }
}

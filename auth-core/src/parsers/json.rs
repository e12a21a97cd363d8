//! DRF's `JSONParser`: Python's `json.load` (the C scanner of CPython 3.11)
//! with DRF's strict constants, so that a malformed body gets Python's own
//! error text and position.

use std::fmt::Write as _;

use super::{PyString, Value};

/// Python's limit on the digits of an `int` parsed from text
/// (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = 4300;

/// A JSON document as DRF sees it: the top-level value, with the members of
/// a top-level object (nested containers are only their type).
#[derive(Debug)]
pub(crate) enum Document {
    /// A top-level object: its members in order (duplicates kept; the last wins).
    Object(Vec<(PyString, Value)>),
    /// Any other top-level value.
    Other(Value),
}

/// A parse failure: the text after DRF's `JSON parse error - ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError(pub(crate) String);

/// `json.loads(text)` with `parse_constant` rejecting `NaN` and the infinities
/// (DRF's `STRICT_JSON`), nesting limited to `max_depth` containers.
pub(crate) fn loads(text: &str, max_depth: usize) -> Result<Document, JsonError> {
    let scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        max_depth,
    };
    scanner.decode()
}

/// Where a `JSONDecodeError` happened, as Python formats it:
/// `<msg>: line L column C (char N)`, positions in code points.
fn decode_error(text: &str, msg: &str, byte_pos: usize) -> JsonError {
    let mut end = byte_pos.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let pos = before.chars().count();
    let lineno = before.matches('\n').count() + 1;
    let colno = match before.rfind('\n') {
        Some(nl) => before[nl + 1..].chars().count() + 1,
        None => pos + 1,
    };
    JsonError(format!("{msg}: line {lineno} column {colno} (char {pos})"))
}

/// Python's `json` whitespace: space, tab, newline, carriage return.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// How a scan failed: a positioned `JSONDecodeError`, a `StopIteration`
/// (Python then reports "Expecting value" at its index), or a plain
/// `ValueError` without position.
enum Fail {
    At(&'static str, usize),
    NoValue(usize),
    Plain(String),
}

type Scan<T> = Result<(T, usize), Fail>;

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    max_depth: usize,
}

impl Scanner<'_> {
    fn decode(&self) -> Result<Document, JsonError> {
        let fail = |f: Fail| match f {
            Fail::At(msg, pos) => decode_error(self.text, msg, pos),
            Fail::NoValue(pos) => decode_error(self.text, "Expecting value", pos),
            Fail::Plain(msg) => JsonError(msg),
        };
        if self.text.starts_with('\u{feff}') {
            return Err(decode_error(
                self.text,
                "Unexpected UTF-8 BOM (decode using utf-8-sig)",
                0,
            ));
        }
        let start = self.skip_ws(0);
        let (document, end) = if self.bytes.get(start) == Some(&b'{') {
            let (members, end) = self.object(start + 1, 1, true).map_err(fail)?;
            (Document::Object(members), end)
        } else {
            let (value, end) = self.value(start, 0).map_err(fail)?;
            (Document::Other(value), end)
        };
        let end = self.skip_ws(end);
        if end != self.bytes.len() {
            return Err(decode_error(self.text, "Extra data", end));
        }
        Ok(document)
    }

    fn skip_ws(&self, mut idx: usize) -> usize {
        while self.bytes.get(idx).copied().is_some_and(is_ws) {
            idx += 1;
        }
        idx
    }

    fn starts_with(&self, idx: usize, word: &str) -> bool {
        self.bytes
            .get(idx..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
    }

    /// `scan_once`: one value starting at `idx`; `depth` containers enclose it.
    fn value(&self, idx: usize, depth: usize) -> Scan<Value> {
        let Some(&first) = self.bytes.get(idx) else {
            return Err(Fail::NoValue(idx));
        };
        match first {
            b'"' => {
                let (s, end) = self.string(idx + 1)?;
                return Ok((Value::Str(s), end));
            }
            b'{' => {
                let (_, end) = self.object(idx + 1, depth + 1, false)?;
                return Ok((Value::Dict, end));
            }
            b'[' => return self.array(idx + 1, depth + 1),
            b'n' if self.starts_with(idx, "null") => return Ok((Value::Null, idx + 4)),
            b't' if self.starts_with(idx, "true") => return Ok((Value::Bool(true), idx + 4)),
            b'f' if self.starts_with(idx, "false") => return Ok((Value::Bool(false), idx + 5)),
            b'N' if self.starts_with(idx, "NaN") => return Err(out_of_range("NaN")),
            b'I' if self.starts_with(idx, "Infinity") => return Err(out_of_range("Infinity")),
            b'-' if self.starts_with(idx, "-Infinity") => return Err(out_of_range("-Infinity")),
            _ => {}
        }
        self.number(idx)
    }

    fn enter(&self, idx: usize, depth: usize, what: &str) -> Result<(), Fail> {
        if depth > self.max_depth {
            let mut msg = String::new();
            let _ = write!(
                msg,
                "maximum nesting depth ({}) exceeded while decoding a JSON {what}",
                self.max_depth
            );
            let err = decode_error(self.text, &msg, idx.saturating_sub(1));
            return Err(Fail::Plain(err.0));
        }
        Ok(())
    }

    /// `_parse_object_unicode`; `idx` is just after `{`. Members are kept
    /// only when `keep` (the top-level object).
    fn object(&self, mut idx: usize, depth: usize, keep: bool) -> Scan<Vec<(PyString, Value)>> {
        self.enter(idx, depth, "object")?;
        let mut members = Vec::new();
        idx = self.skip_ws(idx);
        if self.bytes.get(idx) != Some(&b'}') {
            loop {
                if self.bytes.get(idx) != Some(&b'"') {
                    return Err(Fail::At(
                        "Expecting property name enclosed in double quotes",
                        idx,
                    ));
                }
                let (key, next) = self.string(idx + 1)?;
                idx = self.skip_ws(next);
                if self.bytes.get(idx) != Some(&b':') {
                    return Err(Fail::At("Expecting ':' delimiter", idx));
                }
                idx = self.skip_ws(idx + 1);
                let (value, next) = self.value(idx, depth)?;
                if keep {
                    members.push((key, value));
                }
                idx = self.skip_ws(next);
                match self.bytes.get(idx) {
                    Some(b'}') => break,
                    Some(b',') => idx = self.skip_ws(idx + 1),
                    _ => return Err(Fail::At("Expecting ',' delimiter", idx)),
                }
            }
        }
        Ok((members, idx + 1))
    }

    /// `_parse_array_unicode`; `idx` is just after `[`.
    fn array(&self, mut idx: usize, depth: usize) -> Scan<Value> {
        self.enter(idx, depth, "array")?;
        idx = self.skip_ws(idx);
        if self.bytes.get(idx) != Some(&b']') {
            loop {
                let (_, next) = self.value(idx, depth)?;
                idx = self.skip_ws(next);
                match self.bytes.get(idx) {
                    Some(b']') => break,
                    Some(b',') => idx = self.skip_ws(idx + 1),
                    _ => return Err(Fail::At("Expecting ',' delimiter", idx)),
                }
            }
        }
        Ok((Value::List, idx + 1))
    }

    /// `_match_number_unicode`: an `int` or a `float`, or `StopIteration`.
    fn number(&self, start: usize) -> Scan<Value> {
        let b = self.bytes;
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let len = b.len();
        let mut idx = start;
        if b.get(idx) == Some(&b'-') {
            idx += 1;
            if idx >= len {
                return Err(Fail::NoValue(start));
            }
        }
        match b.get(idx) {
            Some(b'1'..=b'9') => {
                idx += 1;
                while digit(idx) {
                    idx += 1;
                }
            }
            Some(b'0') => idx += 1,
            _ => return Err(Fail::NoValue(start)),
        }
        let mut is_float = false;
        // A fraction needs a digit after the point.
        if b.get(idx) == Some(&b'.') && digit(idx + 1) {
            is_float = true;
            idx += 2;
            while digit(idx) {
                idx += 1;
            }
        }
        // An exponent needs a character after the `e`, and a digit; else it is
        // not part of the number.
        if idx + 1 < len && matches!(b[idx], b'e' | b'E') {
            let e_start = idx;
            idx += 1;
            if idx + 1 < len && matches!(b[idx], b'-' | b'+') {
                idx += 1;
            }
            while digit(idx) {
                idx += 1;
            }
            if b[idx - 1].is_ascii_digit() {
                is_float = true;
            } else {
                idx = e_start;
            }
        }
        let literal = &self.text[start..idx];
        if is_float {
            // Python's `float()`: correctly rounded, overflow to ±inf.
            let value = literal.parse::<f64>().map_err(|_| Fail::NoValue(start))?;
            return Ok((Value::Float(value), idx));
        }
        let digits = literal.trim_start_matches('-');
        if digits.len() > INT_MAX_STR_DIGITS {
            return Err(Fail::Plain(format!(
                "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
                digits.len()
            )));
        }
        // `str(int("-0"))` is `0`.
        let normalized = if digits == "0" { "0" } else { literal };
        Ok((Value::Int(normalized.to_owned()), idx))
    }

    /// `scanstring_unicode`; `end` is just after the opening quote.
    fn string(&self, mut end: usize) -> Scan<PyString> {
        let b = self.bytes;
        let len = b.len();
        let begin = end - 1;
        let mut out = PyString::default();
        loop {
            let mut next = end;
            while next < len && b[next] != b'"' && b[next] != b'\\' {
                if b[next] <= 0x1f {
                    return Err(Fail::At("Invalid control character at", next));
                }
                next += 1;
            }
            if next >= len {
                return Err(Fail::At("Unterminated string starting at", begin));
            }
            out.text.push_str(&self.text[end..next]);
            let terminator = b[next];
            next += 1;
            if terminator == b'"' {
                end = next;
                break;
            }
            let Some(&escape) = b.get(next) else {
                return Err(Fail::At("Unterminated string starting at", begin));
            };
            if escape != b'u' {
                end = next + 1;
                let c = match escape {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => return Err(Fail::At("Invalid \\escape", end - 2)),
                };
                out.text.push(c);
                continue;
            }
            next += 1;
            end = next + 4;
            if end >= len {
                return Err(Fail::At("Invalid \\uXXXX escape", next - 1));
            }
            let Some(mut c) = hex4(&b[next..end]) else {
                return Err(Fail::At("Invalid \\uXXXX escape", end - 5));
            };
            if (0xD800..0xDC00).contains(&c)
                && end + 6 < len
                && b[end] == b'\\'
                && b[end + 1] == b'u'
            {
                let Some(c2) = hex4(&b[end + 2..end + 6]) else {
                    return Err(Fail::At("Invalid \\uXXXX escape", end + 1));
                };
                if (0xDC00..0xE000).contains(&c2) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                    end += 6;
                }
            }
            out.push_code_point(c);
        }
        Ok((out, end))
    }
}

/// Four hex digits, as a code unit.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(acc << 4 | v)
    })
}

/// DRF's `strict_constant`: `NaN` and the infinities are rejected.
fn out_of_range(constant: &str) -> Fail {
    Fail::Plain(format!(
        "Out of range float values are not JSON compliant: '{constant}'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match loads(text, 512) {
            Err(JsonError(msg)) => msg,
            Ok(doc) => panic!("{text:?} parsed: {doc:?}"),
        }
    }

    #[test]
    fn messages_and_positions_are_pythons() {
        assert_eq!(err(""), "Expecting value: line 1 column 1 (char 0)");
        assert_eq!(
            err("{"),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        assert_eq!(
            err("{\"a\":1,"),
            "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"
        );
        assert_eq!(err("[1,]"), "Expecting value: line 1 column 4 (char 3)");
        assert_eq!(err("{}\n\n  x"), "Extra data: line 3 column 3 (char 6)");
        assert_eq!(
            err("\"é\u{7}\""),
            "Invalid control character at: line 1 column 3 (char 2)"
        );
        assert_eq!(
            err("\u{feff}{}"),
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"
        );
        assert_eq!(
            err("NaN"),
            "Out of range float values are not JSON compliant: 'NaN'"
        );
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "[".repeat(600);
        assert_eq!(
            loads(&deep, 512).unwrap_err().0,
            "maximum nesting depth (512) exceeded while decoding a JSON array: line 1 column 513 (char 512)"
        );
        let ok = format!("{}{}", "[".repeat(512), "]".repeat(512));
        assert!(matches!(loads(&ok, 512), Ok(Document::Other(Value::List))));
        let objects = format!("{}1{}", "{\"a\":".repeat(513), "}".repeat(513));
        assert!(loads(&objects, 512)
            .unwrap_err()
            .0
            .starts_with("maximum nesting depth (512) exceeded while decoding a JSON object"));
    }

    #[test]
    fn values() {
        let Ok(Document::Object(members)) = loads(
            r#"{"a":"x\ud83d\ude00\n","b":-0,"c":1.5e3,"d":[{}],"a":"\ud800z"}"#,
            8,
        ) else {
            panic!()
        };
        assert_eq!(members.len(), 5);
        assert_eq!(members[0].1, Value::Str(PyString::from("x😀\n")));
        assert_eq!(members[1].1, Value::Int("0".into()));
        assert_eq!(members[2].1, Value::Float(1500.0));
        assert_eq!(members[3].1, Value::List);
        let Value::Str(lone) = &members[4].1 else {
            panic!()
        };
        assert_eq!(lone.first_surrogate(), Some(0xD800));
    }
}

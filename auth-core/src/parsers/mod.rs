//! DRF's request parsing (`request.data`) over bytes already read: JSON,
//! `application/x-www-form-urlencoded` and `multipart/form-data` bodies, with
//! DRF's and Django's answers for everything else. No web framework: a web
//! crate reads the body (within its limits) and hands it here with the
//! `Content-Type` header (`auth_actix::parsers` does so for actix-web).
//!
//! ```
//! use auth_core::parsers::{parse, RequestData, CREDENTIAL_PARSERS};
//!
//! let data = parse(Some("application/x-www-form-urlencoded"), b"username=al%C3%AFce&password=", &CREDENTIAL_PARSERS).unwrap();
//! assert_eq!(data.get_str("username"), Some("alïce"));
//! let err = parse(Some("application/json"), b"{", &CREDENTIAL_PARSERS).unwrap_err();
//! assert_eq!(err.status(), 400);
//! assert_eq!(
//!     err.to_string(),
//!     "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
//! );
//! ```
//!
//! - The parser is chosen as DRF's `select_parser` does: the first of the
//!   view's parsers whose media type matches the `Content-Type`
//!   (case-insensitive, parameters ignored, `*` wildcards honoured). None
//!   matches: 415 `Unsupported media type "<Content-Type>" in request.`, with
//!   the header as sent (`""` when absent).
//! - An empty body is no data (`{}`), whatever its `Content-Type` (DRF reads
//!   no stream when `Content-Length` is 0).
//! - A `Content-Type` of more than [`MAX_MEDIA_TYPE_LENGTH`] (256) characters
//!   matches no parser: 415, as DRF 3.18.3's content negotiation refuses it
//!   unparsed.
//! - `Content-Type` parameters are read as Django 5.2's
//!   `parse_header_parameters` reads them (over Python's `email.message`):
//!   quoted values, RFC 2231 `name*=charset'lang'text` values and their
//!   `name*0`, `name*1*` continuations, `<...>` unwrapped, the last of a
//!   repeated name. An RFC 2231 value in a character set Python does not know
//!   makes Django raise while building the request (a 500 from the WSGI
//!   server, before any view); here it is DRF's 415. Of Python's character
//!   sets, UTF-8, latin-1 and ASCII are decoded; another one is treated as
//!   unknown.
//! - JSON is read as Python's `json.load` reads it, with DRF's strict
//!   constants: a malformed body is 400 `JSON parse error - <Python's
//!   message>`, e.g. `Expecting value: line 1 column 1 (char 0)`; `NaN`,
//!   `Infinity` and integers of more than 4300 digits are rejected as Python
//!   does; an incomplete UTF-8 sequence at the very end is dropped (Python's
//!   incremental decoder does the same) and any other invalid UTF-8 is
//!   Python's `'utf-8' codec can't decode byte …` error. Nesting is limited to
//!   [`MAX_JSON_DEPTH`] containers (Python raises `RecursionError`, a 500,
//!   near 1000).
//! - Forms are Django's `QueryDict`: UTF-8, or latin-1 when the body is not
//!   UTF-8; `+` and `%xx` decoded; blank values kept; at most
//!   [`MAX_FORM_FIELDS`] fields (Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS`).
//! - Multipart bodies are parsed by a small parser over the buffered body
//!   (the body is capped anyway, and only text fields matter here, so a
//!   streaming crate would add dependencies and no safety). It follows
//!   Django's `MultiPartParser`: the boundary must be given and well formed
//!   (`Multipart form parse error - Invalid boundary in multipart: None`),
//!   field names are stripped, values decoded as UTF-8 with replacement
//!   characters, a missing closing boundary ends the last part at the end of
//!   the body, and a part with a file name is a file: it is never a text
//!   value, and as the last value of a field it makes that field `Not a valid
//!   string.`, as in DRF (whose `request.data` holds files after fields).
//!   `Content-Transfer-Encoding: base64` parts are not decoded (RFC 7578
//!   deprecates it).
//! - A `charset` parameter of `latin-1` (or an alias) makes JSON and forms
//!   latin-1, as Django's `request.encoding`; any other charset is read as
//!   UTF-8.
//! - No input panics: every body is data, a 400 or a 415.

mod form;
mod json;

use std::fmt;

use crate::compat::{latin1, py_strip};
use crate::error::AuthError;

pub(crate) use form::parse_urlencoded;

/// Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS`: fields in a form body, at most.
pub const MAX_FORM_FIELDS: usize = 1000;

/// Django's `DATA_UPLOAD_MAX_NUMBER_FILES`: file parts in a multipart body,
/// at most.
pub const MAX_FORM_FILES: usize = 100;

/// DRF's `DefaultContentNegotiation.max_media_type_length`: a longer
/// `Content-Type` matches no parser (415), whatever it says.
pub const MAX_MEDIA_TYPE_LENGTH: usize = 256;

/// Containers (objects and arrays) nested in a JSON body, at most.
pub const MAX_JSON_DEPTH: usize = 512;

/// A body parser (an entry of DRF's `parser_classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parser {
    /// `FormParser`: `application/x-www-form-urlencoded`.
    Form,
    /// `MultiPartParser`: `multipart/form-data`.
    MultiPart,
    /// `JSONParser`: `application/json`.
    Json,
}

impl Parser {
    /// The media type the parser handles.
    pub const fn media_type(self) -> &'static str {
        match self {
            Parser::Form => "application/x-www-form-urlencoded",
            Parser::MultiPart => "multipart/form-data",
            Parser::Json => "application/json",
        }
    }
}

/// `ObtainAuthToken.parser_classes`: form, multipart, JSON, in that order
/// (the order matters for wildcard content types such as `*/*`).
pub const CREDENTIAL_PARSERS: [Parser; 3] = [Parser::Form, Parser::MultiPart, Parser::Json];

/// DRF's `DEFAULT_PARSER_CLASSES`: JSON, form, multipart, in that order
/// (what a view without its own `parser_classes` parses).
pub const DEFAULT_PARSERS: [Parser; 3] = [Parser::Json, Parser::Form, Parser::MultiPart];

/// The parsers of a form body, for Django's `request.POST`.
const FORM_PARSERS: [Parser; 2] = [Parser::Form, Parser::MultiPart];

/// A Python `str` from a JSON body: the text, with each lone surrogate
/// (`"\ud800"`, which Python keeps and Rust cannot) replaced by U+FFFD and
/// the first one remembered, so that validation can reject it as DRF does.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PyString {
    text: String,
    first_surrogate: Option<u32>,
}

impl PyString {
    /// The text (lone surrogates replaced by U+FFFD).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first lone surrogate of the original string, if any.
    pub fn first_surrogate(&self) -> Option<u32> {
        self.first_surrogate
    }

    pub(crate) fn push_code_point(&mut self, code: u32) {
        match char::from_u32(code) {
            Some(c) => self.text.push(c),
            None => {
                self.text.push(char::REPLACEMENT_CHARACTER);
                self.first_surrogate.get_or_insert(code);
            }
        }
    }
}

impl From<&str> for PyString {
    fn from(text: &str) -> Self {
        PyString {
            text: text.to_owned(),
            first_surrogate: None,
        }
    }
}

impl From<String> for PyString {
    fn from(text: String) -> Self {
        PyString {
            text,
            first_surrogate: None,
        }
    }
}

/// Shows the length only: values may be passwords.
impl fmt::Debug for PyString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyString(<{} chars>)", self.text.chars().count())
    }
}

/// One value of `request.data`, typed as Python would see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null` (`None`).
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON integer, as `str(int)` writes it.
    Int(String),
    /// A JSON number with a fraction or an exponent (`float`).
    Float(f64),
    /// A string: a JSON string or a form field.
    Str(PyString),
    /// A JSON array.
    List,
    /// A JSON object.
    Dict,
    /// An uploaded file (a multipart part with a file name).
    File,
}

impl Value {
    /// Python's type name (`type(value).__name__`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List => "list",
            Value::Dict => "dict",
            Value::File => "InMemoryUploadedFile",
        }
    }
}

/// The parsed body (DRF's `request.data`).
#[derive(Debug, Clone, PartialEq)]
pub enum RequestData {
    /// A mapping: a JSON object, a form, or no body at all. Names may repeat;
    /// [`RequestData::get`] gives the last value, as `QueryDict` and a Python
    /// dict built from JSON do.
    Fields(Vec<(String, Value)>),
    /// A JSON body that is not an object.
    NotAMapping(Value),
}

impl RequestData {
    /// No data (`{}`).
    pub fn empty() -> Self {
        RequestData::Fields(Vec::new())
    }

    /// The value of `name` (the last one), `None` when absent or when the
    /// data is not a mapping.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            RequestData::Fields(fields) => fields
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            RequestData::NotAMapping(_) => None,
        }
    }

    /// Django's `request.POST.get(name)`: the last text value of `name`
    /// (files are not form values).
    pub fn form_field(&self, name: &str) -> Option<String> {
        match self {
            RequestData::Fields(fields) => {
                fields.iter().rev().find_map(|(key, value)| match value {
                    Value::Str(s) if key == name => Some(s.text.clone()),
                    _ => None,
                })
            }
            RequestData::NotAMapping(_) => None,
        }
    }

    /// The text of `name`, when it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

/// The body's character set (Django's `request.encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    Utf8,
    Latin1,
}

/// A `Content-Type` as Django's `parse_header_parameters` reads it: the type
/// stripped and lower-cased, parameters with lower-cased names and unquoted
/// values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaType {
    pub(crate) full_type: String,
    pub(crate) params: Vec<(String, String)>,
    /// An RFC 2231 parameter names a character set Python does not know:
    /// Django's `parse_header_parameters` raises `ValueError` (DRF then
    /// matches no parser).
    pub(crate) invalid: bool,
}

/// One piece of an RFC 2231 parameter.
#[derive(Debug)]
struct Rfc2231Piece {
    number: Option<u32>,
    value: String,
    encoded: bool,
}

/// `email.utils.rfc2231_continuation` (`^(\w+)\*(([0-9]+)\*?)?$`, ASCII):
/// the base name, the piece number and whether the piece is percent-encoded
/// (the name ends with `*`).
fn rfc2231_name(name: &str) -> Option<(&str, Option<u32>, bool)> {
    let star = name.find('*')?;
    let (base, rest) = (&name[..star], &name[star + 1..]);
    if base.is_empty() || !base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let encoded = name.ends_with('*');
    let digits = rest.strip_suffix('*').unwrap_or(rest);
    if digits.is_empty() {
        return (rest.is_empty()).then_some((base, None, true));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Python's int() of a long digit string; a number this large sorts last.
    Some((base, Some(digits.parse().unwrap_or(u32::MAX)), encoded))
}

/// `email.utils.unquote`: `"x"` loses its quotes (`\\` and `\"` unescaped),
/// `<x>` its brackets.
fn email_unquote(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() > 1 {
        if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            return inner.replace("\\\\", "\\").replace("\\\"", "\"").into();
        }
        if let Some(inner) = value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
            return inner.into();
        }
    }
    value.into()
}

/// `email.utils.decode_params` for one RFC 2231 parameter, then Django's
/// check of its character set and `collapse_rfc2231_value`: the pieces in
/// order, percent-decoded where encoded, `charset'language'text` decoded in
/// the character set (replacement characters for bad bytes; no character
/// set: ASCII). `None` where Django raises (an unknown character set).
fn collapse_rfc2231(pieces: &mut [Rfc2231Piece]) -> Option<String> {
    // Python sorts (number, value, encoded) tuples; `None` numbers first.
    pieces.sort_by(|a, b| (a.number, &a.value, a.encoded).cmp(&(b.number, &b.value, b.encoded)));
    let mut joined = String::new();
    let mut any_encoded = false;
    for piece in pieces.iter() {
        if piece.encoded {
            // `urllib.parse.unquote(s, encoding="latin-1")`: each `%xx` is
            // the character of that byte.
            joined.push_str(&form::unquote(&piece.value, Charset::Latin1));
            any_encoded = true;
        } else {
            joined.push_str(&piece.value);
        }
    }
    if !any_encoded {
        return Some(joined);
    }
    // `decode_rfc2231`: at most three parts at the ticks.
    let mut parts = joined.splitn(3, '\'');
    let (charset, text) = match (parts.next(), parts.next(), parts.next()) {
        (Some(charset), Some(_language), Some(text)) => (Some(charset), text),
        _ => (None, joined.as_str()),
    };
    // The text's characters are bytes (percent-decoded as latin-1).
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    match charset {
        None => Some(python_decode(&bytes, Codec::Ascii)),
        // `str(rawbytes, "")` is a LookupError: the text as it is.
        Some("") => Some(text.to_owned()),
        Some(name) => python_codec(name).map(|codec| python_decode(&bytes, codec)),
    }
}

/// The Python codecs this crate decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Utf8,
    Latin1,
    Ascii,
}

/// Python's `codecs.lookup(name)` for the codecs this crate decodes (names
/// normalised as `encodings.normalize_encoding` does); `None` for any other.
fn python_codec(name: &str) -> Option<Codec> {
    let normalized = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    match normalized.as_str() {
        "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" => {
            Some(Codec::Utf8)
        }
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859" | "cp819"
        | "iso_ir_100" | "csisolatin1" | "ibm819" | "iso_8859_1_1987" => Some(Codec::Latin1),
        "ascii" | "us_ascii" | "646" | "ansi_x3.4_1968" | "ansi_x3.4_1986" | "ansi_x3_4_1968"
        | "cp367" | "csascii" | "ibm367" | "iso646_us" | "iso_646.irv_1991" | "iso_ir_6" | "us" => {
            Some(Codec::Ascii)
        }
        _ => None,
    }
}

/// `str(bytes, codec, "replace")`.
fn python_decode(bytes: &[u8], codec: Codec) -> String {
    match codec {
        Codec::Utf8 => form::decode(bytes, Charset::Utf8),
        Codec::Latin1 => form::decode(bytes, Charset::Latin1),
        Codec::Ascii => bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
    }
}

impl MediaType {
    pub(crate) fn parse(line: &str) -> MediaType {
        let mut parts = parse_params(line).into_iter();
        let full_type = parts.next().unwrap_or_default().to_lowercase();
        let mut params = Vec::new();
        // RFC 2231 parameters (`name*`, `name*0`, `name*1*`): their pieces by
        // name, in the order the names first appear, as `email.utils` keeps them.
        let mut extended: Vec<(String, Vec<Rfc2231Piece>)> = Vec::new();
        for part in parts {
            // `email.message._get_params_preserve`: `name=value`, or a bare name.
            let (name, value) = match part.find('=') {
                Some(i) => (
                    py_strip(&part[..i]).to_lowercase(),
                    py_strip(&part[i + 1..]),
                ),
                None => (py_strip(part).to_owned(), ""),
            };
            let value = email_unquote(value);
            match rfc2231_name(&name) {
                Some((base, number, encoded)) => {
                    let piece = Rfc2231Piece {
                        number,
                        value: value.into_owned(),
                        encoded,
                    };
                    match extended.iter_mut().find(|(n, _)| *n == base) {
                        Some((_, pieces)) => pieces.push(piece),
                        None => extended.push((base.to_owned(), vec![piece])),
                    }
                }
                // `decode_params` quotes it again and `get_params` unquotes
                // it: one `unquote` in all.
                None => params.push((name, value.into_owned())),
            }
        }
        let mut invalid = false;
        for (name, mut pieces) in extended {
            match collapse_rfc2231(&mut pieces) {
                Some(value) => params.push((name, value)),
                None => invalid = true,
            }
        }
        // Django skips a parameter without a name.
        params.retain(|(name, _)| !name.is_empty());
        MediaType {
            full_type,
            params,
            invalid,
        }
    }

    /// The value of parameter `name`: the last one given, as in the dict
    /// Django builds (one pass per look-up: parsing stays linear however
    /// many parameters a header repeats).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn main_and_sub(&self) -> (&str, &str) {
        self.full_type
            .split_once('/')
            .unwrap_or((&self.full_type, ""))
    }

    /// DRF's `media_type_matches(parser_type, self)` for a parser's type
    /// (which has no parameters).
    fn matched_by(&self, parser_type: &str) -> bool {
        let (main, sub) = parser_type.split_once('/').unwrap_or((parser_type, ""));
        let (other_main, other_sub) = self.main_and_sub();
        (sub == "*" || other_sub == "*" || other_sub == sub)
            && (main == "*" || other_main == "*" || other_main == main)
    }

    /// Django's `request.encoding`: the `charset` parameter when Python knows
    /// it (here: UTF-8 and latin-1 and their aliases).
    pub(crate) fn charset(&self) -> Charset {
        match self.param("charset").and_then(python_codec) {
            Some(Codec::Latin1) => Charset::Latin1,
            _ => Charset::Utf8,
        }
    }
}

/// Django's `_parseparam`: `;`-separated chunks (a `;` inside quotes does
/// not separate), each stripped.
fn parse_params(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let bytes = rest.as_bytes();
        let mut end = None;
        let mut quotes = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => quotes += 1,
                b';' if quotes % 2 == 0 => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let end = end.unwrap_or(bytes.len());
        out.push(py_strip(&rest[..end]));
        if end >= rest.len() {
            return out;
        }
        rest = &rest[end + 1..];
    }
}

/// Parse `body` sent with `content_type` as a view with `parsers` does (DRF's
/// `Request._parse`): see the [module documentation](self).
pub fn parse(
    content_type: Option<&str>,
    body: &[u8],
    parsers: &[Parser],
) -> Result<RequestData, AuthError> {
    parse_as(Reader::Drf, content_type, body, parsers)
}

/// Parse a form POST's `body` as Django's `request.POST` does (what the
/// CSRF check reads its `csrfmiddlewaretoken` field from): a form or a
/// multipart body, with no bound on the `Content-Type`'s length; any other
/// media type is DRF's 415.
pub fn parse_form_post(content_type: Option<&str>, body: &[u8]) -> Result<RequestData, AuthError> {
    parse_as(Reader::Django, content_type, body, &FORM_PARSERS)
}

/// Who reads the body: DRF's `request.data`, or Django's `request.POST`
/// (the CSRF form field), which has no bound on the `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Drf,
    Django,
}

fn parse_as(
    reader: Reader,
    content_type: Option<&str>,
    body: &[u8],
    parsers: &[Parser],
) -> Result<RequestData, AuthError> {
    if body.is_empty() {
        return Ok(RequestData::empty());
    }
    let raw = content_type.unwrap_or("");
    // DRF's `select_parser` refuses a longer media type without parsing it.
    if reader == Reader::Drf && raw.chars().count() > MAX_MEDIA_TYPE_LENGTH {
        return Err(AuthError::unsupported_media_type(raw));
    }
    let media_type = MediaType::parse(raw);
    if media_type.invalid {
        // Django's `ValueError`: DRF's `_MediaType` then matches nothing.
        return Err(AuthError::unsupported_media_type(raw));
    }
    let Some(parser) = parsers
        .iter()
        .find(|parser| media_type.matched_by(parser.media_type()))
    else {
        return Err(AuthError::unsupported_media_type(raw));
    };
    let charset = media_type.charset();
    match parser {
        Parser::Json => parse_json(body, charset),
        Parser::Form => form::parse_form(body, charset),
        Parser::MultiPart => form::parse_multipart(raw, &media_type, body),
    }
}

/// DRF's `JSONParser.parse`.
fn parse_json(body: &[u8], charset: Charset) -> Result<RequestData, AuthError> {
    let text = match charset {
        Charset::Latin1 => latin1(body),
        Charset::Utf8 => decode_utf8_stream(body).map_err(json_error)?,
    };
    match json::loads(&text, MAX_JSON_DEPTH).map_err(|e| json_error(e.0))? {
        json::Document::Object(members) => Ok(RequestData::Fields(
            members
                .into_iter()
                .filter(|(key, _)| key.first_surrogate().is_none())
                .map(|(key, value)| (key.text, value))
                .collect(),
        )),
        json::Document::Other(value) => Ok(RequestData::NotAMapping(value)),
    }
}

fn json_error(message: String) -> AuthError {
    AuthError::parse_error(Some(format!("JSON parse error - {message}").into()))
}

/// Python's `codecs.getreader('utf-8')(stream).read()`: strict UTF-8, except
/// that an incomplete sequence at the very end is silently dropped (the
/// incremental decoder waits for more bytes that never come).
fn decode_utf8_stream(body: &[u8]) -> Result<String, String> {
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let start = err.valid_up_to();
            let Some(len) = err.error_len() else {
                // Truncated at the end: a valid prefix of a sequence.
                return Ok(String::from_utf8_lossy(&body[..start]).into_owned());
            };
            let byte = body[start];
            let reason = if matches!(byte, 0x80..=0xC1 | 0xF5..=0xFF) {
                "invalid start byte"
            } else {
                "invalid continuation byte"
            };
            Err(if len == 1 {
                format!(
                    "'utf-8' codec can't decode byte 0x{byte:02x} in position {start}: {reason}"
                )
            } else {
                format!(
                    "'utf-8' codec can't decode bytes in position {start}-{}: {reason}",
                    start + len - 1
                )
            })
        }
    }
}

/// DRF's `is_form_media_type`: `application/x-www-form-urlencoded` or
/// `multipart/form-data`, whatever the parameters and case. Only for these
/// does a POST's `csrfmiddlewaretoken` field count.
pub fn is_form_media_type(content_type: &str) -> bool {
    let base = content_type
        .split(';')
        .next()
        .map(py_strip)
        .unwrap_or_default();
    base.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        || base.eq_ignore_ascii_case("multipart/form-data")
}

/// The 400 for a form with too many fields.
pub(crate) fn too_many_fields() -> AuthError {
    AuthError::parse_error(Some(
        format!("The number of fields exceeded {MAX_FORM_FIELDS} (DATA_UPLOAD_MAX_NUMBER_FIELDS).")
            .into(),
    ))
}

/// A query string as Django's `QueryDict` reads it (`parse_qsl` with
/// blank values kept); nothing when it has more than the form field limit.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form::parse_urlencoded(query.as_bytes(), Charset::Utf8).unwrap_or_default()
}

/// Python's `urllib.parse.unquote_plus(s)`: `+` as a space, then `%xx`
/// sequences decoded as UTF-8 (with replacement characters).
pub fn unquote_plus(s: &str) -> String {
    form::unquote(&s.replace('+', " "), Charset::Utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(ct: Option<&str>, body: &[u8]) -> RequestData {
        parse(ct, body, &CREDENTIAL_PARSERS).unwrap()
    }

    fn parse_err(ct: Option<&str>, body: &[u8]) -> String {
        parse(ct, body, &CREDENTIAL_PARSERS)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn media_types() {
        let m = MediaType::parse(" Multipart/Form-Data ; Boundary=\"a\\\"b;c\" ; charset=Latin-1");
        assert_eq!(m.full_type, "multipart/form-data");
        assert_eq!(m.param("boundary"), Some("a\"b;c"));
        assert_eq!(m.charset(), Charset::Latin1);
        assert_eq!(MediaType::parse("").full_type, "");
        assert!(MediaType::parse("*/*").matched_by("application/x-www-form-urlencoded"));
        assert!(MediaType::parse("application/*").matched_by("application/json"));
        assert!(!MediaType::parse("text/plain").matched_by("application/json"));
        assert!(!MediaType::parse("").matched_by("application/json"));
    }

    /// Django 5.2's `parse_header_parameters` (over `email.message`), as it
    /// answered each line: `None` where it raises `ValueError`.
    #[test]
    fn parameters_as_django_reads_them() {
        let boundary = |line: &str| {
            let m = MediaType::parse(line);
            (!m.invalid).then(|| m.param("boundary").map(str::to_owned))
        };
        let cases: &[(&str, Option<Option<&str>>)] = &[
            (
                "multipart/form-data; boundary*=utf-8''abc",
                Some(Some("abc")),
            ),
            (
                "multipart/form-data; boundary*=utf-8''%41bc",
                Some(Some("Abc")),
            ),
            ("multipart/form-data; boundary*=abc", Some(Some("abc"))),
            ("multipart/form-data; boundary*=bogus''abc", None),
            (
                "multipart/form-data; boundary*=latin-1''%E9",
                Some(Some("é")),
            ),
            (
                "multipart/form-data; boundary*0=ab; boundary*1=c",
                Some(Some("abc")),
            ),
            ("multipart/form-data; boundary*=''abc", Some(Some("abc"))),
            (
                "multipart/form-data; boundary*=utf-8'en'abc",
                Some(Some("abc")),
            ),
            (
                "multipart/form-data; boundary=\"a;b\"; x=1",
                Some(Some("a;b")),
            ),
            (
                "multipart/form-data; boundary=\"a\\\"b\"",
                Some(Some("a\"b")),
            ),
            ("multipart/form-data; boundary=a b", Some(Some("a b"))),
            ("multipart/form-data; boundary=\"abc", Some(Some("\"abc"))),
            ("multipart/form-data; =x; boundary=abc", Some(Some("abc"))),
            ("multipart/form-data; boundary", Some(Some(""))),
            ("multipart/form-data;; boundary=abc", Some(Some("abc"))),
            ("multipart/form-data; boundary=abc;", Some(Some("abc"))),
            ("multipart/form-data; Boundary=ABC", Some(Some("ABC"))),
            ("multipart/form-data; boundary = abc ", Some(Some("abc"))),
            (
                "multipart/form-data; boundary=\"a\\\\b\"",
                Some(Some("a\\b")),
            ),
            ("multipart/form-data; boundary=(abc)", Some(Some("(abc)"))),
            (
                "multipart/form-data; boundary=a(comment)b",
                Some(Some("a(comment)b")),
            ),
            ("multipart/form-data; boundary=<abc>", Some(Some("abc"))),
            (
                "multipart/form-data; boundary=\"<abc>\"",
                Some(Some("<abc>")),
            ),
            (
                "multipart/form-data; boundary=abc; boundary*=utf-8''xyz",
                Some(Some("xyz")),
            ),
            (
                "multipart/form-data; boundary*=utf-8''xyz; boundary=abc",
                Some(Some("xyz")),
            ),
            ("multipart/form-data", Some(None)),
        ];
        for (line, expected) in cases {
            let expected = expected.map(|b| b.map(str::to_owned));
            assert_eq!(boundary(line), expected, "{line}");
        }
        let m = MediaType::parse("a/b; x*=utf-8''%ff");
        assert_eq!(m.param("x"), Some("\u{fffd}"));
        // Django raises for an unknown character set: DRF then matches no parser.
        assert_eq!(
            parse_err(Some("application/json; x*=bogus''1"), b"{}"),
            "Unsupported media type \"application/json; x*=bogus''1\" in request."
        );
    }

    #[test]
    fn selection() {
        assert_eq!(parse_ok(Some("text/plain"), b""), RequestData::empty());
        assert_eq!(parse_ok(None, b""), RequestData::empty());
        assert_eq!(
            parse_err(None, b"{}"),
            "Unsupported media type \"\" in request."
        );
        assert_eq!(
            parse_err(Some("text/plain; charset=utf-8"), b"{}"),
            "Unsupported media type \"text/plain; charset=utf-8\" in request."
        );
        // `*/*` picks the first parser: the form.
        assert_eq!(parse_ok(Some("*/*"), b"a=1").get_str("a"), Some("1"));
        assert_eq!(
            parse_ok(Some("APPLICATION/JSON"), br#"{"a":"1"}"#).get_str("a"),
            Some("1")
        );
    }

    #[test]
    fn no_input_panics() {
        // Deterministic pseudo-random bodies, biased towards the bytes the
        // parsers care about, under every content type.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"{}[]\":,\\ \r\n-0123456789.eEnulltruefalseNI%+=&;u\xc3\xa9\xff\x00--B";
        let content_types = [
            "application/json",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=B",
            "multipart/form-data; boundary=\"--B\"",
            "*/*",
        ];
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 4 == 0 {
                        (r >> 8) as u8
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            let ct = content_types[(next() % content_types.len() as u64) as usize];
            if let Err(err) = parse(Some(ct), &body, &CREDENTIAL_PARSERS) {
                assert!(matches!(err.status(), 400 | 415), "{err:?}");
            }
        }
    }

    #[test]
    fn utf8_as_python_reads_it() {
        let json = Some("application/json");
        assert_eq!(
            parse_err(json, b"\xff"),
            "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
        assert_eq!(
            parse_err(json, b"\xe2\x82A"),
            "JSON parse error - 'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"
        );
        assert_eq!(parse_ok(json, b"{}\xe2\x82"), RequestData::empty());
        assert_eq!(
            parse_ok(
                Some("application/json; charset=latin1"),
                b"{\"a\":\"\xe9\"}"
            )
            .get_str("a"),
            Some("é")
        );
    }
}

//! Byte-level parsing exactly as CPython does it for DRF: `bytes.split()` and
//! `base64.b64decode` (non-validating).

use auth_core::compat::a2b_base64;
use auth_core::error::{messages, AuthError};

/// Python's `bytes.isspace()` set: space, `\t`, `\n`, `\x0b`, `\x0c`, `\r`.
fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Python's `bytes.split()` with no separator: runs of ASCII whitespace
/// separate parts; leading and trailing whitespace give no empty parts.
pub fn py_split(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| is_py_space(*b))
        .filter(|part| !part.is_empty())
}

/// An `Authorization` header split as DRF splits it: `<keyword> <credentials>`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SplitHeader<'a> {
    /// The first part.
    pub(crate) keyword: &'a [u8],
    /// The second part, if any.
    pub(crate) credentials: Option<&'a [u8]>,
    /// Whether there are more than two parts.
    pub(crate) extra: bool,
}

/// The first parts of `bytes.split()`; `None` for no parts at all.
pub(crate) fn split_credentials(header: &[u8]) -> Option<SplitHeader<'_>> {
    let mut parts = py_split(header);
    let keyword = parts.next()?;
    let credentials = parts.next();
    Some(SplitHeader {
        keyword,
        credentials,
        extra: parts.next().is_some(),
    })
}

/// The token of a header whose keyword matched, under DRF's
/// `TokenAuthentication` rules (which knox and Durin copy): the second part,
/// or the failure for a header without one (`Invalid token header. No
/// credentials provided.`) or with more (`... should not contain spaces.`).
pub(crate) fn single_token<'a>(split: &SplitHeader<'a>) -> Result<&'a [u8], AuthError> {
    match (split.credentials, split.extra) {
        (None, _) => Err(AuthError::authentication_failed(
            messages::TOKEN_NO_CREDENTIALS,
        )),
        (Some(_), true) => Err(AuthError::authentication_failed(
            messages::TOKEN_CONTAINS_SPACES,
        )),
        (Some(token), false) => Ok(token),
    }
}

/// `base64.b64decode(data)` (CPython's non-strict `binascii.a2b_base64`:
/// [`a2b_base64`]); `None` where Python raises.
pub fn py_b64decode(data: &[u8]) -> Option<Vec<u8>> {
    a2b_base64(data.iter().copied(), false).ok()
}

/// Bytes to text as DRF does for Basic credentials: UTF-8, else latin-1.
pub(crate) fn utf8_or_latin1(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => latin1(err.as_bytes()),
    }
}

pub(crate) use auth_core::compat::latin1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_pythons() {
        let parts: Vec<&[u8]> = py_split(b" \t Basic\x0b\x0cabc\r\n def  ").collect();
        assert_eq!(parts, [&b"Basic"[..], b"abc", b"def"]);
        assert_eq!(py_split(b"   ").count(), 0);
        assert_eq!(py_split(b"").count(), 0);
        // NBSP (0xA0) and other bytes are not whitespace.
        assert_eq!(py_split(b"Basic\xa0abc").count(), 1);
        assert_eq!(py_split(b"Basic\x1cabc").count(), 1);
        let split = |keyword, credentials, extra| {
            Some(SplitHeader {
                keyword,
                credentials,
                extra,
            })
        };
        assert_eq!(split_credentials(b"Token"), split(b"Token", None, false));
        assert_eq!(
            split_credentials(b"Token a b"),
            split(b"Token", Some(b"a"), true)
        );
        assert_eq!(split_credentials(b" "), None);
    }

    #[test]
    fn spec_examples() {
        assert_eq!(py_b64decode(b"am9objpwYXNzd29yZA"), None);
        assert_eq!(py_b64decode(b"=a="), None);
        assert_eq!(
            py_b64decode(b"am9objpwYXNzd29yZA==").as_deref(),
            Some(&b"john:password"[..])
        );
        assert_eq!(py_b64decode(b"am9o!bjpw").as_deref(), Some(&b"john:p"[..]));
        assert_eq!(py_b64decode(b"YQ==ignored").as_deref(), Some(&b"a"[..]));
    }

    fn unhex(s: &str) -> Vec<u8> {
        if s == "-" {
            return Vec::new();
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Differential check against CPython 3.11's `base64.b64decode` on
    /// hundreds of inputs mixing alphabet, padding and junk characters.
    #[test]
    fn matches_cpython() {
        let table = include_str!("../../tests/data/python_b64decode.txt");
        let mut checked = 0;
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let (input, expected) = line.split_once(' ').unwrap();
            let expected = (expected != "ERR").then(|| unhex(expected));
            assert_eq!(py_b64decode(&unhex(input)), expected, "input {input}");
            checked += 1;
        }
        assert!(checked > 500);
    }

    #[test]
    fn latin1_fallback() {
        assert_eq!(utf8_or_latin1(b"caf\xc3\xa9".to_vec()), "café");
        assert_eq!(utf8_or_latin1(b"caf\xe9".to_vec()), "café");
        assert_eq!(latin1(b"\xff"), "\u{ff}");
    }
}

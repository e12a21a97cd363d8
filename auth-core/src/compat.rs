//! Python's text behaviour where Django's depends on it: `str.isspace()`,
//! `str.strip()`, and latin-1 as WSGI decodes header bytes. One copy for
//! every parser and check that must treat text exactly as Django does.

/// Python's `str.isspace()` (Unicode white space, plus U+001C..U+001F).
pub fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}

/// Bytes as WSGI hands headers to Django: latin-1, one character per byte.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythons_white_space_and_latin1() {
        assert!(py_isspace('\u{1c}') && py_isspace('\u{85}') && py_isspace('\u{3000}'));
        assert!(
            !py_isspace('\u{200b}'),
            "zero-width space is not white space in Python"
        );
        assert_eq!(py_strip("\u{1f} a b\u{a0}"), "a b");
        assert_eq!(latin1(b"caf\xe9\xff"), "caf\u{e9}\u{ff}");
    }
}

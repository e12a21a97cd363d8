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

/// Why CPython's `binascii.a2b_base64` refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum A2bError {
    /// One character dangles after the last full quad: "number of data
    /// characters (N) cannot be 1 more than a multiple of 4" (N given).
    Dangling(usize),
    /// "Incorrect padding".
    Padding,
}

/// CPython 3.11's `binascii.a2b_base64` in non-strict mode, what
/// `base64.b64decode` runs (`urlsafe`: after `urlsafe_b64decode` has
/// mapped `-` and `_` onto `+` and `/`, so both alphabets decode).
/// Characters outside the alphabet are skipped; a pad sequence that
/// completes a quad ends the input (the rest is ignored); pads where no
/// quad can end are skipped; a dangling character or missing padding is
/// an error.
pub fn a2b_base64(data: impl IntoIterator<Item = u8>, urlsafe: bool) -> Result<Vec<u8>, A2bError> {
    let data = data.into_iter();
    let mut out = Vec::with_capacity(data.size_hint().0 / 4 * 3 + 3);
    let (mut quad_pos, mut left, mut pads) = (0u8, 0u8, 0u8);
    for c in data {
        if c == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'-' if urlsafe => 62,
            b'_' if urlsafe => 63,
            _ => continue,
        };
        pads = 0;
        match quad_pos {
            0 => left = value,
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
            }
            _ => out.push((left << 6) | value),
        }
        quad_pos = (quad_pos + 1) % 4;
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(A2bError::Dangling(out.len() / 3 * 4 + 1)),
        _ => Err(A2bError::Padding),
    }
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

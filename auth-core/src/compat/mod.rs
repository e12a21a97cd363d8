//! Python's text behaviour where Django's depends on it: `str.isspace()`,
//! `str.strip()`, `str.casefold()`, latin-1 as WSGI decodes header bytes,
//! `binascii`'s base64, and `urllib.parse.urlsplit` ([`urlsplit`]). One copy for every parser and
//! check that must treat text exactly as Django does.

mod casefold;
pub(crate) mod json;
pub mod urlsplit;

pub use casefold::py_casefold;

/// Python's `str.isspace()` (Unicode white space, plus U+001C..U+001F).
pub fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isalnum()` for one character, which is also what a `str`
/// pattern's `\w` matches (besides `_`): general category `L[ultmo]`, or any
/// Numeric_Type (decimal, digit or numeric).
pub fn py_isalnum(c: char) -> bool {
    use icu_properties::props::{GeneralCategory, NumericType};
    use icu_properties::CodePointMapData;

    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    let letter = matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    );
    letter || CodePointMapData::<NumericType>::new().get(c) != NumericType::None
}

/// Python's `str.isdigit()`: not empty, and every character has a digit
/// value (Numeric_Type Decimal or Digit: `٣`, `²` and `①` are digits, `½` and
/// `Ⅻ` are not). Neither `char::is_ascii_digit` nor `char::is_numeric` is
/// this.
pub fn py_isdigit(s: &str) -> bool {
    use icu_properties::props::NumericType;
    use icu_properties::CodePointMapData;

    let numeric = CodePointMapData::<NumericType>::new();
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(numeric.get(c), NumericType::Decimal | NumericType::Digit)
        })
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

/// Python's `repr()` of a `str`: single quotes, or double quotes when the
/// text holds a single quote and no double quote; backslashes, the quote,
/// `\t`, `\n`, `\r` and the other C0 controls and DEL escaped (`\x01`).
/// Other characters are kept (Python also escapes the non-printable ones
/// beyond ASCII, which messages here never hold in practice).
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)` (= `str(float)`, and how `json.dumps` writes a
/// float): the shortest digits that read back as `value`, positional for
/// magnitudes from `1e-4` up to `1e16` (`100.0`, `0.0001`), else
/// `d.ddde±XX` (`1e+16`, `1e-05`); `nan`, `inf`, `-inf`.
pub fn py_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digit count; formatting
    // again at that precision rounds an exact tie to even, as Python's repr
    // does (75577111253692.625 is `…692.62`, not `…692.63`).
    let shortest = format!("{:e}", value.abs());
    let count = shortest
        .split('e')
        .next()
        .unwrap_or_default()
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    let scientific = format!("{:.*e}", count.saturating_sub(1), value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len() as i32;
    // Python's `decpt`: the value is 0.DIGITS × 10^decpt.
    let decpt = exponent + 1;
    let mut out = String::new();
    if value < 0.0 {
        out.push('-');
    }
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-decpt) as usize));
            out.push_str(&digits);
        } else if decpt >= n {
            out.push_str(&digits);
            out.push_str(&"0".repeat((decpt - n) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casefold_as_python() {
        // What Python 3.11's str.casefold() answers.
        for (text, folded) in [
            ("Stra\u{df}e", "strasse"),
            ("\u{1e9e}", "ss"),
            ("\u{3a3}\u{3c2}", "\u{3c3}\u{3c3}"),
            ("\u{ab70}\u{13a0}", "\u{13a0}\u{13a0}"),
            ("\u{130}", "i\u{307}"),
            ("\u{1f88}", "\u{1f00}\u{3b9}"),
            ("ANN@Example.COM", "ann@example.com"),
        ] {
            assert_eq!(py_casefold(text), folded, "{text}");
        }
    }

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

    #[test]
    #[allow(clippy::excessive_precision)] // the literals are Python's input, digit for digit
    fn float_repr_is_pythons() {
        for (value, repr) in [
            (1.5, "1.5"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (2.0, "2.0"),
            (123456789.123456789, "123456789.12345679"),
            (0.1, "0.1"),
            (1e22, "1e+22"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1.5e-3, "-0.0015"),
            (1e100, "1e+100"),
            (12345.678e10, "123456780000000.0"),
            (f64::INFINITY, "inf"),
            (75577111253692.625, "75577111253692.62"),
        ] {
            assert_eq!(py_float_repr(value), repr, "{value}");
        }
    }
}

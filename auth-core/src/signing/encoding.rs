//! The encodings of `django.core.signing`: base62 timestamps and url-safe
//! base64 without padding, decoded as Python's `base64.urlsafe_b64decode`
//! decodes them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::SigningError;
use crate::compat::{a2b_base64, A2bError};

/// Django's `BASE62_ALPHABET`.
const BASE62_ALPHABET: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Django's `b62_encode`: `n` in base 62, with a leading `-` when negative.
///
/// ```
/// use auth_core::signing::b62_encode;
///
/// assert_eq!(b62_encode(0), "0");
/// assert_eq!(b62_encode(1_700_000_000), "1r31eq");
/// assert_eq!(b62_encode(-62), "-10");
/// ```
pub fn b62_encode(n: i128) -> String {
    if n == 0 {
        return "0".to_owned();
    }
    let mut rest = n.unsigned_abs();
    let mut digits = Vec::new();
    while rest > 0 {
        // The remainder is below 62, so the cast and the index are in range.
        digits.push(BASE62_ALPHABET[(rest % 62) as usize]);
        rest /= 62;
    }
    if n < 0 {
        digits.push(b'-');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

/// Django's `b62_decode`: the inverse of [`b62_encode`], with Python's
/// leniency (`"-"` and `"00"` are 0).
///
/// # Errors
///
/// [`SigningError::Malformed`] where Django raises (`IndexError` for an
/// empty string, `ValueError` for a character outside the alphabet), and for
/// a magnitude of 2¹²⁷ or more, which Python's unbounded integers would
/// accept.
pub fn b62_decode(s: &str) -> Result<i128, SigningError> {
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(SigningError::Malformed(
            "IndexError: string index out of range".to_owned(),
        ));
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut decoded: i128 = 0;
    for digit in digits.bytes() {
        let value = BASE62_ALPHABET
            .iter()
            .position(|&b| b == digit)
            .ok_or_else(|| SigningError::Malformed("ValueError: substring not found".to_owned()))?;
        decoded = decoded
            .checked_mul(62)
            .and_then(|d| d.checked_add(value as i128))
            .ok_or_else(|| SigningError::Malformed("base62 number out of range".to_owned()))?;
    }
    Ok(if negative { -decoded } else { decoded })
}

/// Django's `b64_encode`: url-safe base64 with the `=` padding stripped.
///
/// ```
/// assert_eq!(auth_core::signing::b64_encode(b"\xfb\xff"), "-_8");
/// ```
pub fn b64_encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Django's `b64_decode`: pads `s` to a multiple of four with `=` and decodes
/// it as `base64.urlsafe_b64decode` does, which is lenient: both alphabets
/// (`-_` and `+/`) are accepted, other characters are skipped (though they
/// count towards the padding Django adds), and decoding stops at the first
/// complete padding.
///
/// ```
/// use auth_core::signing::b64_decode;
///
/// assert_eq!(b64_decode(b"YQ").unwrap(), b"a");
/// assert_eq!(b64_decode(b"YQ==YQ").unwrap(), b"a");
/// assert!(b64_decode(b"YQ!").is_err()); // "Incorrect padding", as in Django
/// ```
///
/// # Errors
///
/// [`SigningError::Malformed`] with `binascii.Error`'s message when the
/// characters do not make whole bytes.
pub fn b64_decode(s: &[u8]) -> Result<Vec<u8>, SigningError> {
    let padding = (4 - s.len() % 4) % 4;
    // CPython's binascii.a2b_base64 with strict_mode=False, after
    // urlsafe_b64decode has mapped `-_` onto `+/`.
    let padded = s.iter().copied().chain(std::iter::repeat_n(b'=', padding));
    a2b_base64(padded, true).map_err(|error| {
        SigningError::Malformed(match error {
            A2bError::Dangling(n) => format!(
                "Error: Invalid base64-encoded string: number of data characters ({n}) cannot be 1 \
                 more than a multiple of 4"
            ),
            A2bError::Padding => "Error: Incorrect padding".to_owned(),
        })
    })
}

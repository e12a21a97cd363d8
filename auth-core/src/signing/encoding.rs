//! The encodings of `django.core.signing`: base62 timestamps and url-safe
//! base64 without padding, decoded as Python's `base64.urlsafe_b64decode`
//! decodes them.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::SigningError;
use crate::compat::{a2b_base64, A2bError};

/// Url-safe base64 without pads, the spare low bits of the last character
/// ignored as Python ignores them: on such input, the same bytes as
/// [`a2b_base64`].
const CANONICAL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

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
    // What Django and PyJWT write (the url-safe alphabet, no padding)
    // decodes to the same bytes in one pass; anything else (the other
    // alphabet, pads, skipped characters, errors) takes Python's path.
    if let Ok(bytes) = CANONICAL.decode(s) {
        return Ok(bytes);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Python's path alone, without the one-pass decoder in front.
    fn python(s: &[u8]) -> Option<Vec<u8>> {
        let padded = s
            .iter()
            .copied()
            .chain(std::iter::repeat_n(b'=', (4 - s.len() % 4) % 4));
        a2b_base64(padded, true).ok()
    }

    proptest! {
        #[test]
        fn the_one_pass_decoder_agrees_with_python(s in "[A-Za-z0-9_=+/.-]{0,40}") {
            prop_assert_eq!(b64_decode(s.as_bytes()).ok(), python(s.as_bytes()));
        }

        #[test]
        fn canonical_input_takes_the_one_pass_decoder(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = b64_encode(&data);
            prop_assert_eq!(CANONICAL.decode(&encoded).ok(), Some(data.clone()));
            prop_assert_eq!(python(encoded.as_bytes()), Some(data));
        }
    }

    #[test]
    fn spare_bits_are_ignored_as_python_ignores_them() {
        // "YR" carries 12 bits: "a" and four spare ones, set here.
        assert_eq!(b64_decode(b"YR").unwrap(), b"a");
        assert_eq!(python(b"YR").unwrap(), b"a");
    }
}

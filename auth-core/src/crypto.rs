//! Randomness and constant-time helpers shared by tokens, password salts and CSRF secrets.
//!
//! Every random value comes straight from the operating system's CSPRNG (`getrandom`), as Django's
//! `get_random_string` and DRF's `secrets.token_hex` do; nothing is drawn from a userspace PRNG.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Django's `RANDOM_STRING_CHARS`: the alphabet of password salts, unusable-password suffixes
/// and CSRF secrets (`a-z`, `A-Z`, `0-9`, in that order).
pub const RANDOM_STRING_CHARS: &[u8; 62] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Fill `buf` from the operating system's CSPRNG.
///
/// # Panics
///
/// If the operating system cannot supply randomness. No secret may be made up instead, so this
/// fails loudly rather than returning something guessable.
pub fn fill_random(buf: &mut [u8]) {
    if let Err(err) = getrandom::getrandom(buf) {
        panic!("the operating system's random number generator failed: {err}");
    }
}

/// 40 lowercase hex characters from the OS CSPRNG (DRF's `secrets.token_hex(20)`).
///
/// # Panics
///
/// See [`fill_random`].
pub fn generate_token_key() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 20];
    fill_random(&mut bytes);
    let mut key = String::with_capacity(40);
    for byte in bytes {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    key
}

/// `len` characters drawn uniformly from `alphabet` with the OS CSPRNG (Django's
/// `get_random_string(len, allowed_chars)`).
///
/// Uniform by rejection sampling: a random byte is used only if it falls below the largest
/// multiple of `alphabet.len()` that fits in a byte, so no character is more likely than another
/// (a plain `byte % len` would favour the first `256 % len` characters).
///
/// # Panics
///
/// If `alphabet` is empty, longer than 256 bytes or not ASCII (a programming error: alphabets
/// are constants), or as [`fill_random`].
pub fn random_string(len: usize, alphabet: &[u8]) -> String {
    assert!(
        !alphabet.is_empty() && alphabet.len() <= 256 && alphabet.is_ascii(),
        "random_string needs a non-empty ASCII alphabet of at most 256 characters"
    );
    let n = alphabet.len();
    // Bytes below `zone` map onto the alphabet evenly; the rest are drawn again.
    let zone = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    // Rejection discards under half the bytes on average, so a buffer of twice the remaining
    // length usually finishes in one system call.
    let mut buf = [0u8; 128];
    while out.len() < len {
        let want = (2 * (len - out.len())).clamp(16, buf.len());
        let chunk = &mut buf[..want];
        fill_random(chunk);
        for &byte in chunk.iter() {
            if out.len() == len {
                break;
            }
            if usize::from(byte) < zone {
                out.push(char::from(alphabet[usize::from(byte) % n]));
            }
        }
    }
    out
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Django's `salted_hmac(key_salt, value, secret, algorithm="sha256")`:
/// HMAC-SHA256 of `value`, keyed with SHA-256(`key_salt` + `secret`).
pub fn salted_hmac_sha256(key_salt: &[u8], value: &[u8], secret: &[u8]) -> [u8; 32] {
    let key = Sha256::new()
        .chain_update(key_salt)
        .chain_update(secret)
        .finalize();
    // RFC 2104 with a 32-byte key, zero-padded to SHA-256's 64-byte block.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(&key);
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(value)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Constant-time equality (the contents never leak through timing; the length may).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn salted_hmac_is_djangos() {
        // Django 5.2: salted_hmac(salt, value, secret=..., algorithm="sha256").hexdigest()
        let salt = b"django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";
        assert_eq!(
            hex(&salted_hmac_sha256(
                salt,
                b"pbkdf2_sha256$1500000$2YmPVSi7siDF0YXtAeMKHj$clzvKv4FLYsn0ZOChEykO4Fci1aYgkc61nEcWkJO0l0=",
                "django-insecure-key-é".as_bytes(),
            )),
            "20003f54118064fa4d289fc166918fd4eba8afdcf4e3023e85a723a328a3f590"
        );
        assert_eq!(
            hex(&salted_hmac_sha256(salt, b"!unusable", &[b'x'; 100])),
            "258034bf02da25910c53fa08bf090db78a6b0ecc3147c3a0dc6ce1ed5bdf4e5a"
        );
    }

    #[test]
    fn token_key_is_40_lowercase_hex() {
        for _ in 0..100 {
            let key = generate_token_key();
            assert_eq!(key.len(), 40);
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{key}"
            );
        }
    }

    #[test]
    fn token_keys_are_unique() {
        let keys: HashSet<String> = (0..10_000).map(|_| generate_token_key()).collect();
        assert_eq!(keys.len(), 10_000);
    }

    #[test]
    fn token_key_uses_every_hex_digit() {
        let seen: HashSet<u8> = (0..100)
            .flat_map(|_| generate_token_key().into_bytes())
            .collect();
        assert_eq!(seen.len(), 16);
    }

    #[test]
    fn random_string_length_and_charset() {
        for len in [0, 1, 22, 40, 64, 1000] {
            let s = random_string(len, RANDOM_STRING_CHARS);
            assert_eq!(s.len(), len);
            assert!(s.bytes().all(|b| RANDOM_STRING_CHARS.contains(&b)), "{s}");
        }
        let s = random_string(50, b"xy");
        assert!(s.bytes().all(|b| b == b'x' || b == b'y'));
        assert_eq!(random_string(10, b"q"), "qqqqqqqqqq");
    }

    #[test]
    fn random_strings_are_unique() {
        let all: HashSet<String> = (0..10_000)
            .map(|_| random_string(22, RANDOM_STRING_CHARS))
            .collect();
        assert_eq!(all.len(), 10_000);
    }

    /// With 62 symbols a naive `byte % 62` makes the first 8 symbols 5/4 as likely as the others
    /// (5 of 256 byte values map to each instead of 4). Over 620,000 draws each symbol is
    /// expected 10,000 times (standard deviation about 100) under a uniform draw, but the biased
    /// ones would be about 12,000: any count outside 10,000 +/- 600 fails.
    #[test]
    fn random_string_is_unbiased() {
        let s = random_string(620_000, RANDOM_STRING_CHARS);
        let mut counts: HashMap<u8, u32> = HashMap::new();
        for b in s.bytes() {
            *counts.entry(b).or_default() += 1;
        }
        assert_eq!(counts.len(), 62);
        for (&c, &n) in &counts {
            assert!(
                (9_400..=10_600).contains(&n),
                "{} drawn {n} times",
                char::from(c)
            );
        }
    }

    #[test]
    #[should_panic(expected = "non-empty ASCII alphabet")]
    fn random_string_rejects_empty_alphabet() {
        random_string(1, b"");
    }

    #[test]
    #[should_panic(expected = "non-empty ASCII alphabet")]
    fn random_string_rejects_non_ascii_alphabet() {
        random_string(1, "é".as_bytes());
    }

    #[test]
    fn constant_time_eq_compares_contents_and_length() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}

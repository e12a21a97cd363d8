//! Property tests over the parsers of `auth-core` that see request bytes: CSRF
//! cookies and tokens, encoded password hashes, session auth hashes and keys.
//!
//! Case counts are kept moderate; `PROPTEST_CASES=10000 cargo test -p
//! auth-core --test properties` runs more.

use auth_core::csrf::{
    check_token, check_token_format, does_token_match, unmask_cipher_token, CsrfSecret,
    InvalidTokenFormat, CSRF_ALLOWED_CHARS,
};
use auth_core::hashers::{is_password_usable, Hashers, Verification};
use auth_core::sessions::{is_well_formed_key, SecretKey};
use proptest::prelude::*;

/// 32 characters of Django's CSRF alphabet.
const SECRET_RE: &str = "[a-zA-Z0-9]{32}";

fn index(c: u8) -> usize {
    CSRF_ALLOWED_CHARS.iter().position(|&a| a == c).unwrap()
}

/// Django's `_unmask_cipher_token`, written out as Python does it
/// (`chars.index`), to check the table-driven one against.
fn unmask_reference(token: &str) -> String {
    let (mask, cipher) = token.as_bytes().split_at(32);
    cipher
        .iter()
        .zip(mask)
        .map(|(&c, &m)| {
            let i = (index(c) as i64 - index(m) as i64).rem_euclid(62) as usize;
            char::from(CSRF_ALLOWED_CHARS[i])
        })
        .collect()
}

/// Django's `_check_token_format` written out.
fn format_reference(token: &str) -> Result<(), InvalidTokenFormat> {
    let len = token.chars().count();
    if len != 32 && len != 64 {
        Err(InvalidTokenFormat::IncorrectLength)
    } else if !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        Err(InvalidTokenFormat::InvalidCharacters)
    } else {
        Ok(())
    }
}

/// Tokens that are nearly right: the right lengths, mostly the right characters.
fn token_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{32}",
        "[a-zA-Z0-9]{64}",
        "[a-zA-Z0-9 _\\-é\u{0}]{30,66}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csrf_mask_round_trips(secret in SECRET_RE) {
        let secret = CsrfSecret::from_cookie(&secret).unwrap();
        let token = secret.mask();
        prop_assert_eq!(token.len(), 64);
        prop_assert_eq!(check_token_format(&token), Ok(()));
        prop_assert_eq!(unmask_cipher_token(&token).unwrap(), secret.clone());
        prop_assert_eq!(unmask_reference(&token), secret.as_str());
        prop_assert!(does_token_match(&token, &secret));
        prop_assert!(does_token_match(secret.as_str(), &secret));
        // A pre-4.0 cookie holding a masked token gives its secret.
        prop_assert_eq!(CsrfSecret::from_cookie(&token).unwrap(), secret.clone());
        prop_assert_eq!(check_token(Some(secret.as_str()), None, Some(&token)), Ok(secret.clone()));
        prop_assert_eq!(check_token(Some(&token), Some(&token), None), Ok(secret));
    }

    #[test]
    fn csrf_unmask_is_djangos(token in "[a-zA-Z0-9]{64}") {
        prop_assert_eq!(unmask_cipher_token(&token).unwrap().as_str().to_owned(), unmask_reference(&token));
    }

    #[test]
    fn csrf_one_changed_character_never_matches(
        secret in SECRET_RE,
        position in 32usize..64,
        shift in 1usize..62,
    ) {
        let secret = CsrfSecret::from_cookie(&secret).unwrap();
        let mut token = secret.mask().into_bytes();
        token[position] = CSRF_ALLOWED_CHARS[(index(token[position]) + shift) % 62];
        let token = String::from_utf8(token).unwrap();
        prop_assert!(!does_token_match(&token, &secret));
        let mut plain = secret.as_str().as_bytes().to_vec();
        plain[position - 32] = CSRF_ALLOWED_CHARS[(index(plain[position - 32]) + shift) % 62];
        prop_assert!(!does_token_match(std::str::from_utf8(&plain).unwrap(), &secret));
    }

    #[test]
    fn csrf_format_checks_are_djangos(token in token_like()) {
        let expected = format_reference(&token);
        prop_assert_eq!(check_token_format(&token), expected);
        match CsrfSecret::from_cookie(&token) {
            Ok(secret) => {
                prop_assert!(expected.is_ok());
                prop_assert_eq!(check_token_format(secret.as_str()), Ok(()));
                prop_assert_eq!(secret.as_str().len(), 32);
            }
            Err(err) => prop_assert_eq!(Err(err), expected),
        }
        let secret = CsrfSecret::generate();
        if expected.is_err() {
            prop_assert!(!does_token_match(&token, &secret));
            prop_assert!(unmask_cipher_token(&token).is_err());
        }
    }

    /// Any cookie, form field and header: a match, or one of Django's reasons.
    #[test]
    fn csrf_check_gives_djangos_reasons(
        cookie in proptest::option::of(token_like()),
        form in proptest::option::of(token_like()),
        header in proptest::option::of(token_like()),
    ) {
        match check_token(cookie.as_deref(), form.as_deref(), header.as_deref()) {
            Ok(secret) => {
                let expected = CsrfSecret::from_cookie(cookie.as_deref().unwrap()).unwrap();
                prop_assert_eq!(&secret, &expected);
                let used = form.as_deref().filter(|f| !f.is_empty()).or(header.as_deref());
                prop_assert!(does_token_match(used.unwrap(), &secret));
            }
            Err(rejection) => {
                let reason = rejection.reason();
                let token_reasons = ["has incorrect length", "has invalid characters", "incorrect"];
                let known = reason == "CSRF cookie not set."
                    || reason == "CSRF token missing."
                    || reason == "CSRF cookie has incorrect length."
                    || reason == "CSRF cookie has invalid characters."
                    || token_reasons.iter().any(|r| {
                        reason == format!("CSRF token from POST {r}.")
                            || reason == format!("CSRF token from the 'X-Csrftoken' HTTP header {r}.")
                    });
                prop_assert!(known, "unexpected reason {:?}", reason);
            }
        }
    }

    /// `Hashers::make_password` round-trips with any password (tiny
    /// iteration counts), and no other password verifies.
    #[test]
    fn hash_round_trip(raw in "\\PC{0,24}", other in "\\PC{0,24}", iterations in 1u32..4) {
        let hashers = Hashers { pbkdf2_iterations: iterations };
        let encoded = hashers.make_password(&raw);
        let prefix = format!("pbkdf2_sha256${iterations}$");
        prop_assert!(encoded.starts_with(&prefix));
        prop_assert_eq!(hashers.verify(&raw, &encoded), Verification::Valid { must_update: false });
        prop_assert!(!hashers.must_update(&encoded));
        if other != raw {
            prop_assert_eq!(hashers.verify(&other, &encoded), Verification::Invalid);
        }
    }
}

/// Low-cost hashes made with Django 5.2's hashers, with their passwords.
const PASSWORD: &str = "lètmein";
const DJANGO_HASHES: [(&str, &str); 4] = [
    (PASSWORD, "argon2$argon2i$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$XYN/ouqWNs7QeUgcYIft/XgMjol4YBjFTowTSrPT8Tw"),
    (PASSWORD, "bcrypt_sha256$$2b$04$do730QxRvNCZLU3l/cokNefrtFH2yuM90glOD0qAYr6RqpmayMthC"),
    (PASSWORD, "scrypt$1024$saltysaltysalty$4$2$HONeK34PB2IgTdMKBoJsuenOx6imZ+XLZat+ixAcMPM681iSDrVKY1p2EgeCSCijMp7OuFsdEFMt2aQ2VZW+dA=="),
    ("", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$vqafFtFOwJN9wrhga0SNKKw1GODAJgholvjeoMoWcZs="),
];

/// Checks against these cost next to nothing (the stored parameters set the
/// cost of a check; this sets only new hashes and the dummy run).
const CHEAP: Hashers = Hashers {
    pbkdf2_iterations: 1,
};

/// Encoded values of every enabled algorithm with arbitrary, cheap parameters.
fn encoded_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,80}",
        "(pbkdf2_sha256|pbkdf2_sha1)\\$[0-9]{0,3}\\$[a-zA-Z0-9$]{0,24}\\$[a-zA-Z0-9+/=$]{0,48}",
        "argon2\\$argon2(id|i|d|x)?\\$(v=(19|16|1)\\$)?m=[0-9]{0,3},t=[0-3],p=[0-4]\\$[a-zA-Z0-9+/=$]{0,30}\\$[a-zA-Z0-9+/=$]{0,48}",
        "bcrypt_sha256\\$\\$2[abxy]?\\$0[0-5]\\$[./a-zA-Z0-9$]{0,60}",
        "scrypt\\$(16|1024|0|1|[0-9]{0,3})\\$[a-z$]{0,16}\\$[0-8]\\$[0-3]\\$[a-zA-Z0-9+/=$]{0,90}",
        "!\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary encoded values never panic and never verify.
    #[test]
    fn arbitrary_hashes_never_verify(encoded in encoded_like(), raw in "\\PC{0,16}") {
        prop_assert_eq!(CHEAP.verify(&raw, &encoded), Verification::Invalid);
        prop_assert_eq!(is_password_usable(&encoded), !encoded.starts_with('!'));
        if !encoded.starts_with("pbkdf2_sha256$") {
            prop_assert!(CHEAP.must_update(&encoded));
        }
    }

    /// Django's hashes verify with their password only, and any one changed
    /// character stops them verifying.
    #[test]
    fn django_hashes_verify_and_changed_ones_do_not(
        which in 0usize..DJANGO_HASHES.len(),
        raw in "\\PC{0,16}",
        position in any::<prop::sample::Index>(),
        replacement in prop::char::range('!', '~'),
    ) {
        let (password, good) = DJANGO_HASHES[which];
        prop_assert!(CHEAP.verify(password, good).is_valid());
        if raw != password {
            prop_assert_eq!(CHEAP.verify(&raw, good), Verification::Invalid);
        }
        let mut chars: Vec<char> = good.chars().collect();
        let at = position.index(chars.len());
        // bcrypt has changes that are not changes: its version letter (2a,
        // 2b and 2y hash alike), and the unused low bits of the last base64
        // character of the salt (22 characters for 16 bytes) and of the hash
        // (31 for 23). The bcrypt library accepts those, as Django's does.
        let salt_start = good.rfind('$').map_or(0, |dollar| dollar + 1);
        let bcrypt_slack = good.starts_with("bcrypt")
            && (at == chars.len() - 1 || at == salt_start + 21 || good[..at].ends_with("$2"));
        if chars[at] != replacement && !bcrypt_slack {
            chars[at] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert_eq!(CHEAP.verify(password, &changed), Verification::Invalid, "{}", changed);
        }
    }

    /// The session auth hash: 64 lowercase hex characters that verify for its
    /// password hash and key only.
    #[test]
    fn session_auth_hash_round_trips(
        key in "\\PC{1,50}",
        other_key in "\\PC{1,50}",
        password_hash in "\\PC{0,100}",
        session_hash in "\\PC{0,70}",
    ) {
        let secret = SecretKey::new(key.clone()).unwrap();
        let hash = secret.session_auth_hash(&password_hash);
        prop_assert_eq!(hash.len(), 64);
        prop_assert!(hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        prop_assert!(secret.verifies(&hash, &password_hash));
        prop_assert!(!secret.verifies(&hash.to_uppercase(), &password_hash) || hash == hash.to_uppercase());
        if session_hash != hash {
            prop_assert!(!secret.verifies(&session_hash, &password_hash));
        }
        if other_key != key {
            prop_assert!(!SecretKey::new(other_key).unwrap().verifies(&hash, &password_hash));
        }
        prop_assert!(SecretKey::new("").is_none());
    }

    #[test]
    fn session_keys_are_checked_before_any_query(key in prop_oneof!["[a-zA-Z0-9]{64}", "\\PC{0,70}"]) {
        let expected = key.len() == 64 && key.bytes().all(|b| b.is_ascii_alphanumeric());
        prop_assert_eq!(is_well_formed_key(&key), expected);
    }
}

//! `auth_actix::knox::parse_header`: any header is not ours, a token of
//! non-space characters that round-trips, or one of knox's three messages
//! (never a panic; bytes that are not UTF-8 are `Invalid token.`).
#![no_main]

use drf_actix_fuzz::is_py_space;
use libfuzzer_sys::fuzz_target;

const MESSAGES: [&str; 3] = [
    "Invalid token header. No credentials provided.",
    "Invalid token header. Token string should not contain spaces.",
    "Invalid token.",
];

fuzz_target!(|data: &[u8]| {
    match auth_actix::knox::parse_header(data, "Token") {
        Ok(None) => {}
        Ok(Some(token)) => {
            assert!(!token.is_empty() && !token.bytes().any(is_py_space));
            let header = format!("token {token}");
            let again = auth_actix::knox::parse_header(header.as_bytes(), "Token");
            assert_eq!(again.unwrap(), Some(token));
            // What the store derives from it never panics either.
            let key = auth_core::knox::token_key(token);
            assert!(token.starts_with(key) && key.chars().count() <= 15);
            assert_eq!(auth_core::knox::hash_token(token).len(), 128);
        }
        Err(err) => {
            assert_eq!(err.status(), 401);
            assert!(MESSAGES.contains(&err.to_string().as_str()), "{err}");
        }
    }
});

//! `TokenAuthentication::parse_header`: any header is not ours, a key of
//! non-space characters that round-trips, or one of DRF's three messages.
#![no_main]

use auth_actix::{keyword, TokenAuthentication};
use drf_actix_fuzz::is_py_space;
use libfuzzer_sys::fuzz_target;

const MESSAGES: [&str; 3] = [
    "Invalid token header. No credentials provided.",
    "Invalid token header. Token string should not contain spaces.",
    "Invalid token header. Token string should not contain invalid characters.",
];

fuzz_target!(|data: &[u8]| {
    match TokenAuthentication::<keyword::Token>::parse_header(data) {
        Ok(None) => {}
        Ok(Some(key)) => {
            assert!(!key.is_empty() && !key.bytes().any(is_py_space));
            let header = format!("Token {key}");
            let again = TokenAuthentication::<keyword::Token>::parse_header(header.as_bytes());
            assert_eq!(again.unwrap(), Some(key));
        }
        Err(err) => {
            assert_eq!(err.status(), 401);
            assert!(MESSAGES.contains(&err.to_string().as_str()), "{err}");
        }
    }
    let _ = TokenAuthentication::<keyword::Bearer>::parse_header(data);
});

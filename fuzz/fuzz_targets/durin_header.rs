//! `DurinTokenAuthentication::parse_header` and Durin's client-rate
//! validator: any header is not ours, a token of non-space UTF-8 that
//! round-trips, or one of Durin's three messages (a non-UTF-8 token is
//! `Invalid token.`, never a panic); any rate is accepted with a period
//! of s, m, h or d, or refused with Python's message.
#![no_main]

use auth_actix::auth_core::durin::validate_client_throttle_rate;
use auth_actix::durin::DurinTokenAuthentication;
use drf_actix_fuzz::is_py_space;
use libfuzzer_sys::fuzz_target;

const MESSAGES: [&str; 3] = [
    "Invalid token header. No credentials provided.",
    "Invalid token header. Token string should not contain spaces.",
    "Invalid token.",
];

fuzz_target!(|data: &[u8]| {
    match DurinTokenAuthentication::parse_header(data, "Token") {
        Ok(None) => {}
        Ok(Some(token)) => {
            assert!(!token.is_empty() && !token.bytes().any(is_py_space));
            let header = format!("token {token}");
            let again = DurinTokenAuthentication::parse_header(header.as_bytes(), "Token");
            assert_eq!(again.unwrap(), Some(token));
        }
        Err(err) => {
            assert_eq!(err.status(), 401);
            assert!(MESSAGES.contains(&err.to_string().as_str()), "{err}");
        }
    }
    if let Ok(rate) = std::str::from_utf8(data) {
        match validate_client_throttle_rate(rate) {
            Ok(None) => assert!(rate.is_empty()),
            Ok(Some((_, seconds))) => {
                assert!([1, 60, 3_600, 86_400].contains(&seconds));
                assert!(["s", "m", "h", "d"].contains(&rate.rsplit('/').next().unwrap()));
            }
            Err(err) => assert!(!err.to_string().is_empty()),
        }
    }
});

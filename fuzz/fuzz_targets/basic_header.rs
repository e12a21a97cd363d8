//! `BasicAuthentication::parse_header`: any header is not Basic, a pair, or
//! one of DRF's three messages; a pair re-encodes to a header giving it back.
#![no_main]

use auth_actix::BasicAuthentication;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

const MESSAGES: [&str; 3] = [
    "Invalid basic header. No credentials provided.",
    "Invalid basic header. Credentials string should not contain spaces.",
    "Invalid basic header. Credentials not correctly base64 encoded.",
];

fuzz_target!(|data: &[u8]| {
    match BasicAuthentication::parse_header(data) {
        Ok(None) => {}
        Ok(Some((userid, password))) => {
            assert!(!userid.contains(':'));
            let again = STANDARD.encode(format!("{userid}:{password}"));
            let parsed = BasicAuthentication::parse_header(format!("Basic {again}").as_bytes());
            assert_eq!(parsed.unwrap(), Some((userid, password)));
        }
        Err(err) => {
            assert_eq!(err.status(), 401);
            assert!(MESSAGES.contains(&err.to_string().as_str()), "{err}");
        }
    }
});

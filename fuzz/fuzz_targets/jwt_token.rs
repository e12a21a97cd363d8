//! simplejwt's token parser (`Token::parse` of every class, PyJWT's checks):
//! any bytes are refused with one of simplejwt's messages or accepted, never
//! a panic; an accepted token re-encodes to one that parses to the same
//! payload. A signed seed is re-signed with the fuzzed payload too, so the
//! claim checks after the signature are reached.
#![no_main]

use auth_core::jwt::{backend, JwtSettings, Token, TokenClass, TokenError};
use auth_core::signing::JsonValue;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn settings() -> &'static JwtSettings {
    static SETTINGS: OnceLock<JwtSettings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        JwtSettings::builder()
            .signing_key("fuzz-secret")
            .build()
            .expect("settings")
    })
}

const CLASSES: [TokenClass; 4] = [
    TokenClass::Access,
    TokenClass::Refresh,
    TokenClass::Sliding,
    TokenClass::Untyped,
];

fn check(raw: &[u8]) {
    for class in CLASSES {
        match Token::parse(class, raw, settings()) {
            Ok(token) => {
                let again = token.encode().expect("an accepted token re-encodes");
                let parsed = Token::parse(class, again.as_bytes(), settings())
                    .expect("a re-encoded token parses");
                assert_eq!(parsed.payload(), token.payload());
            }
            // Never a blacklist answer: `parse` does not ask it.
            Err(err) => assert!(
                err.is_refusal() && !matches!(err, TokenError::Blacklisted),
                "{err}"
            ),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // The bytes as a payload, signed: the claim checks after the signature see them.
    if let Ok(JsonValue::Object(payload)) = serde_json::from_slice::<JsonValue>(data) {
        if let Ok(signed) = backend::encode(settings(), &payload) {
            check(signed.as_bytes());
        }
    }
});

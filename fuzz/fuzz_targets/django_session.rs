//! Django's session data and signed session cookies (`auth_core::sessions::django`):
//! arbitrary text is refused without a panic, and so is a validly signed payload of
//! arbitrary bytes, plain or marked compressed, which reaches the zlib and JSON readers.

#![no_main]

use std::time::Duration;

use auth_actix::auth_core::sessions::django::{
    decode_session, load_signed_cookie, SESSION_DATA_SALT, SIGNED_COOKIES_SALT,
};
use auth_actix::auth_core::signing::{b64_encode, SecretKey, Signer, TimestampSigner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SecretKey::new("fuzz-secret-key").unwrap();
    let age = Duration::from_secs(60);
    let text = String::from_utf8_lossy(data);
    let _ = decode_session(&text, &key, &[]);
    let _ = load_signed_cookie(&text, &key, &[], age);

    let payload = b64_encode(data);
    for value in [payload.clone(), format!(".{payload}")] {
        let rows = TimestampSigner::new(Signer::new(key.clone()).with_salt(SESSION_DATA_SALT));
        let _ = decode_session(&rows.sign(&value), &key, &[]);
        let cookies = TimestampSigner::new(Signer::new(key.clone()).with_salt(SIGNED_COOKIES_SALT));
        let _ = load_signed_cookie(&cookies.sign(&value), &key, &[], age);
    }
});

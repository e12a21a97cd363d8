//! Session data as the Diesel store decodes it (a JSON object of JSON
//! values as strings), the user id in it and the session auth hash check.
#![no_main]

use std::collections::HashMap;

use auth_actix::auth_core::sessions::{is_well_formed_key, SecretKey};
use auth_actix::session::session_user_id;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = is_well_formed_key(text);
    let Ok(state) = serde_json::from_str::<HashMap<String, String>>(text) else {
        return;
    };
    let id = session_user_id(&state);
    if let Some(id) = id {
        // The id is what the entry says, as a number or as a string of one.
        let raw = &state["_auth_user_id"];
        let number = serde_json::from_str::<i64>(raw).ok();
        let string = serde_json::from_str::<String>(raw).ok();
        assert!(
            number == Some(i64::from(id)) || string.is_some_and(|s| s.parse() == Ok(id)),
            "{raw}"
        );
    }
    let key = SecretKey::new("fuzz-secret-key").unwrap();
    if let Some(hash) = state.get("_auth_user_hash") {
        let password = "pbkdf2_sha256$1$salt$hash";
        assert_eq!(
            key.verifies(hash, password),
            *hash == key.session_auth_hash(password)
        );
    }
});

//! What actix-session's middleware relies on from a `SessionStore` (actix-session 0.11), and
//! what session authentication adds: a logout must stay a logout. Run by
//! [`session_store_tests!`](crate::session_store_tests).
//!
//! The trait's documentation leaves `update` of a key the store no longer has open. Its own
//! Redis store falls back to `save`, returning a new key; the Diesel store returns the old key
//! and writes nothing, so that a request that loaded the session before a logout elsewhere
//! cannot revive it. Either is accepted here, and so is an error; what is not is the old key
//! loading the state afterwards.

use std::collections::{HashMap, HashSet};

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration;

use crate::db::unique_name;

/// The state actix-session keeps per session: JSON-encoded values by name.
pub type State = HashMap<String, String>;

/// The TTL of the sessions that must outlive a test (short, so a failed test leaves nothing for
/// long in a shared Redis).
const LONG: Duration = Duration::seconds(60);
/// The TTL of the sessions that must expire during a test.
const SHORT: Duration = Duration::seconds(1);
/// How long the expiry tests wait: past [`SHORT`], with room for a store counting whole seconds.
const WAIT: std::time::Duration = std::time::Duration::from_millis(2_100);

fn state(pairs: &[(&str, &str)]) -> State {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn key(text: &str) -> SessionKey {
    SessionKey::try_from(text.to_owned()).expect("a session key of at most 4064 bytes")
}

async fn save<S: SessionStore>(store: &S, state: &State, ttl: Duration) -> SessionKey {
    store.save(state.clone(), &ttl).await.expect("save")
}

async fn load<S: SessionStore>(store: &S, key: &SessionKey) -> Option<State> {
    store
        .load(key)
        .await
        .unwrap_or_else(|e| panic!("load failed instead of answering: {e:?}"))
}

async fn delete<S: SessionStore>(store: &S, key: &SessionKey) {
    store.delete(key).await.expect("delete");
}

/// A state saved loads back exactly, whatever it holds: nothing, Unicode, JSON with quotes and
/// escapes, a 16 KiB value, many entries.
pub async fn save_then_load_round_trips<S: SessionStore>(store: &S) {
    let big = "x".repeat(16 * 1024);
    let many: State = (0..100)
        .map(|i| (format!("key{i}"), format!("\"value {i}\"")))
        .collect();
    let states = [
        State::new(),
        state(&[("_auth_user_id", "\"7\"")]),
        state(&[
            ("text", "\"zoë ✓ 日本 \\u0000 \\\"quoted\\\" \\\\\""),
            ("object", r#"{"a":[1,2.5,null,true],"b":{"c":"d"}}"#),
            ("number", "-12.5e3"),
        ]),
        state(&[("big", &big)]),
        many,
    ];
    let mut keys = Vec::new();
    for state in &states {
        let key = save(store, state, LONG).await;
        assert_eq!(load(store, &key).await.as_ref(), Some(state));
        keys.push(key);
    }
    // Each still holds its own state once all are saved.
    for (key, state) in keys.iter().zip(&states) {
        assert_eq!(load(store, key).await.as_ref(), Some(state));
        delete(store, key).await;
    }
}

/// Session keys are cookie values an attacker must not guess: no two alike (even for one
/// state), no shared prefix (no counter or clock in them), and at least 128 bits by the
/// alphabet they use.
pub async fn keys_are_long_random_and_distinct<S: SessionStore>(store: &S) {
    let same = state(&[("k", "\"v\"")]);
    let mut keys = Vec::new();
    for _ in 0..32 {
        keys.push(save(store, &same, LONG).await);
    }
    let texts: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
    let distinct: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        texts.len(),
        "a session key was issued twice"
    );
    let prefixes: HashSet<&str> = texts.iter().map(|k| &k[..k.len().min(12)]).collect();
    assert_eq!(
        prefixes.len(),
        texts.len(),
        "keys share a prefix: {texts:?}"
    );
    let alphabet: HashSet<char> = texts.iter().flat_map(|k| k.chars()).collect();
    let bits_per_char = (alphabet.len() as f64).log2();
    for text in &texts {
        let bits = text.chars().count() as f64 * bits_per_char;
        assert!(
            bits >= 128.0,
            "a key of {} characters over {} symbols has about {bits:.0} bits, not 128",
            text.chars().count(),
            alphabet.len()
        );
    }
    for key in &keys {
        delete(store, key).await;
    }
}

/// `update` of a live session replaces its state (no entry of the old one left) and keeps its
/// key; another session is untouched.
pub async fn update_replaces_the_state_under_the_same_key<S: SessionStore>(store: &S) {
    let before = state(&[("cart", "[1,2]"), ("theme", "\"dark\"")]);
    let after = state(&[("cart", "[1,2,3]"), ("_auth_user_id", "\"7\"")]);
    let other_state = state(&[("other", "1")]);
    let key = save(store, &before, LONG).await;
    let other = save(store, &other_state, LONG).await;
    let text = key.as_ref().to_owned();
    let returned = store
        .update(key, after.clone(), &LONG)
        .await
        .expect("update of a live session");
    assert_eq!(returned.as_ref(), text, "update changed the key");
    assert_eq!(load(store, &returned).await, Some(after));
    assert_eq!(load(store, &other).await, Some(other_state));
    delete(store, &returned).await;
    delete(store, &other).await;
}

/// `update` of a key the store does not have (never issued, or deleted: a logout elsewhere
/// while this request ran) never makes that key load the state: the store answers a new key
/// holding it (actix-session's Redis store), the old key naming nothing (the Diesel store), or
/// an error.
pub async fn updating_an_unknown_key_never_revives_it<S: SessionStore>(store: &S) {
    let data = state(&[("_auth_user_id", "\"7\"")]);
    let deleted = save(store, &data, LONG).await;
    delete(store, &deleted).await;
    let never_issued = format!("{:A<64}", unique_name("unissued").replace('-', ""));
    for stale in [deleted.as_ref().to_owned(), never_issued] {
        match store.update(key(&stale), data.clone(), &LONG).await {
            Ok(returned) if returned.as_ref() == stale => {
                assert_eq!(
                    load(store, &returned).await,
                    None,
                    "update wrote the state under a key the store did not have"
                );
            }
            Ok(returned) => {
                assert_eq!(load(store, &returned).await, Some(data.clone()));
                delete(store, &returned).await;
            }
            Err(_) => {}
        }
        assert_eq!(load(store, &key(&stale)).await, None, "the old key revived");
    }
}

/// A session expires with the TTL it was last given, by `save`, `update` or `update_ttl`, and
/// not before.
pub async fn ttls_are_respected<S: SessionStore>(store: &S) {
    let data = state(&[("k", "\"v\"")]);
    let saved_short = save(store, &data, SHORT).await;
    let updated_short = save(store, &data, LONG).await;
    let updated_short = store
        .update(updated_short, data.clone(), &SHORT)
        .await
        .expect("update");
    let updated_long = save(store, &data, SHORT).await;
    let updated_long = store
        .update(updated_long, data.clone(), &LONG)
        .await
        .expect("update");
    let extended = save(store, &data, SHORT).await;
    store
        .update_ttl(&extended, &LONG)
        .await
        .expect("update_ttl");
    let shortened = save(store, &data, LONG).await;
    store
        .update_ttl(&shortened, &SHORT)
        .await
        .expect("update_ttl");
    for key in [
        &saved_short,
        &updated_short,
        &updated_long,
        &extended,
        &shortened,
    ] {
        assert_eq!(
            load(store, key).await.as_ref(),
            Some(&data),
            "expired early"
        );
    }

    actix_web::rt::time::sleep(WAIT).await;
    assert_eq!(load(store, &saved_short).await, None, "save's TTL");
    assert_eq!(load(store, &updated_short).await, None, "update's TTL");
    assert_eq!(load(store, &shortened).await, None, "update_ttl's TTL");
    assert_eq!(
        load(store, &updated_long).await,
        Some(data.clone()),
        "update's TTL"
    );
    assert_eq!(
        load(store, &extended).await,
        Some(data.clone()),
        "update_ttl's TTL"
    );
    delete(store, &updated_long).await;
    delete(store, &extended).await;
}

/// `update_ttl` of a key the store does not have succeeds (actix-session calls it for a session
/// that may have just ended, and an error would be a 500) and creates nothing.
pub async fn update_ttl_of_an_unknown_key_creates_nothing<S: SessionStore>(store: &S) {
    let deleted = save(store, &state(&[("k", "1")]), LONG).await;
    delete(store, &deleted).await;
    let never_issued = key(&format!(
        "{:B<64}",
        unique_name("unissued").replace('-', "")
    ));
    for stale in [&deleted, &never_issued] {
        store
            .update_ttl(stale, &LONG)
            .await
            .expect("update_ttl of an unknown key");
        assert_eq!(load(store, stale).await, None);
    }
}

/// `delete` ends that session only, at once; deleting it again, or a key never issued,
/// succeeds (a logout racing another must not fail).
pub async fn delete_ends_only_that_session<S: SessionStore>(store: &S) {
    let first = state(&[("n", "1")]);
    let second = state(&[("n", "2")]);
    let a = save(store, &first, LONG).await;
    let b = save(store, &second, LONG).await;
    delete(store, &a).await;
    assert_eq!(load(store, &a).await, None);
    assert_eq!(load(store, &b).await, Some(second));
    delete(store, &a).await;
    delete(store, &key(&"C".repeat(64))).await;
    delete(store, &b).await;
    assert_eq!(load(store, &b).await, None);
}

/// A key the store never issued loads as `None`, not an error: one character changed, another
/// case, cut short, extended, empty, 4064 bytes, path and SQL and glob characters, a NUL.
pub async fn unknown_and_tampered_keys_load_as_none<S: SessionStore>(store: &S) {
    let data = state(&[("_auth_user_id", "\"7\"")]);
    let real = save(store, &data, LONG).await;
    let text = real.as_ref();
    let mut changed = text.to_owned();
    let last = changed.pop().unwrap_or('a');
    changed.push(if last == 'a' { 'b' } else { 'a' });
    let variants = [
        changed,
        text.to_uppercase(),
        text.to_lowercase(),
        text[..text.len() / 2].to_owned(),
        format!("{text}x"),
        format!("{text} "),
        format!("{text}\0"),
        String::new(),
        "*".to_owned(),
        "?".to_owned(),
        "../../../../etc/passwd".to_owned(),
        "' OR '1'='1".to_owned(),
        "zoë ✓".repeat(8),
        "A".repeat(4064),
    ];
    for variant in variants.iter().filter(|v| v.as_str() != text) {
        assert_eq!(load(store, &key(variant)).await, None, "{variant:?}");
    }
    assert_eq!(load(store, &real).await, Some(data));
    delete(store, &real).await;
}

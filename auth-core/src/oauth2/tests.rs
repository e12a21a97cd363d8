//! The store on an in-memory SQLite database (the cross-backend and Django
//! checks are in the tests crate).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime};

use super::store::{check_client_secret, stored_client_secret, RefreshOutcome};
use super::*;
use crate::db::Database;
use crate::{Hashers, PoolConfig};

const FAST: Hashers = Hashers {
    pbkdf2_iterations: 1_000,
};

fn store() -> OAuth2Store {
    let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
    db.migrate().unwrap();
    OAuth2Store::new(db).with_hashers(FAST)
}

/// A clock that starts at a fixed instant and moves when told.
fn clock() -> (Clock, Arc<AtomicI64>) {
    let seconds = Arc::new(AtomicI64::new(1_800_000_000));
    let read = seconds.clone();
    let clock = Clock::new(move || {
        DateTime::from_timestamp(read.load(Ordering::SeqCst), 0)
            .unwrap()
            .naive_utc()
    });
    (clock, seconds)
}

fn user(store: &OAuth2Store) -> i32 {
    let users = crate::AuthStore::new(store.database().clone()).with_hashers(FAST);
    users
        .create_user(crate::NewUser::new("alice", Some("pw".into())))
        .unwrap()
        .id
}

#[test]
fn tokens_and_checksums_are_dots() {
    let token = generate_token();
    assert_eq!(token.len(), 30);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        token_checksum("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn secrets_hash_and_check_both_ways() {
    let hashed = stored_client_secret(&FAST, "s3cret", true);
    assert!(hashed.starts_with("pbkdf2_sha256$1000$"));
    assert!(check_client_secret(&FAST, "s3cret", &hashed));
    assert!(!check_client_secret(&FAST, "s3creT", &hashed));
    // Legacy plaintext, and a value already hashed is kept as is.
    assert_eq!(stored_client_secret(&FAST, "s3cret", false), "s3cret");
    assert_eq!(stored_client_secret(&FAST, &hashed, true), hashed);
    assert!(check_client_secret(&FAST, "s3cret", "s3cret"));
    assert!(!check_client_secret(&FAST, "s3cre", "s3cret"));
}

#[test]
fn issued_tokens_are_found_with_application_and_user_in_one_lookup() {
    let store = store();
    let (clock, seconds) = clock();
    let settings = OAuth2Settings::builder().clock(clock).build();
    let uid = user(&store);
    let (app, _) = store
        .create_application(NewApplication::new("confidential", "password"), settings.now())
        .unwrap();
    let issued = store.issue(app.id, Some(uid), "read write", true, &settings).unwrap();
    let found = store.access_token(&issued.access_token).unwrap().unwrap();
    assert_eq!(found.user.unwrap().username, "alice");
    assert_eq!(found.application.unwrap().client_id, app.client_id);
    assert!(found.token.is_valid(&["read"], settings.now()));
    assert!(!found.token.is_valid(&["admin"], settings.now()));
    seconds.fetch_add(36000, Ordering::SeqCst);
    assert!(found.token.is_expired(settings.now()));
    assert!(store.access_token("nope").unwrap().is_none());
    assert!(store.access_token("a\0b").unwrap().is_none());
}

#[test]
fn refresh_rotates_once_and_grace_returns_the_same_pair() {
    let store = store();
    let (clock, seconds) = clock();
    let settings = OAuth2Settings::builder().clock(clock.clone()).build();
    let uid = user(&store);
    let (app, _) = store
        .create_application(NewApplication::new("confidential", "password"), settings.now())
        .unwrap();
    let first = store.issue(app.id, Some(uid), "read write", true, &settings).unwrap();
    let old_refresh = first.refresh_token.clone().unwrap();
    let second = store.refresh(&old_refresh, &app, None, &settings).unwrap().unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.scope, "read write");
    assert!(store.access_token(&first.access_token).unwrap().is_none());
    // Used again: invalid (no grace period by default).
    assert_eq!(
        store.refresh(&old_refresh, &app, None, &settings).unwrap().unwrap_err(),
        RefreshOutcome::Invalid
    );
    // A narrower scope is allowed, a wider one is not.
    let new_refresh = second.refresh_token.unwrap();
    assert_eq!(
        store
            .refresh(&new_refresh, &app, Some(&["read", "admin"]), &settings)
            .unwrap()
            .unwrap_err(),
        RefreshOutcome::InvalidScope
    );
    let third = store
        .refresh(&new_refresh, &app, Some(&["read"]), &settings)
        .unwrap()
        .unwrap();
    assert_eq!(third.scope, "read");
    // With a grace period, the same pair comes back within it.
    let graceful = OAuth2Settings::builder()
        .clock(clock)
        .refresh_token_grace_period_seconds(60)
        .build();
    let third_refresh = third.refresh_token.unwrap();
    let fourth = store.refresh(&third_refresh, &app, None, &graceful).unwrap().unwrap();
    seconds.fetch_add(10, Ordering::SeqCst);
    let again = store.refresh(&third_refresh, &app, None, &graceful).unwrap().unwrap();
    assert_eq!(again.access_token, fourth.access_token);
    assert_eq!(again.refresh_token, fourth.refresh_token);
    seconds.fetch_add(60, Ordering::SeqCst);
    assert!(store.refresh(&third_refresh, &app, None, &graceful).unwrap().is_err());
    // Another application's refresh token is not ours.
    let (other, _) = store
        .create_application(NewApplication::new("confidential", "password"), settings.now())
        .unwrap();
    let fourth_refresh = fourth.refresh_token.unwrap();
    assert!(store.refresh(&fourth_refresh, &other, None, &settings).unwrap().is_err());
}

#[test]
fn revocation_and_cleartokens() {
    let store = store();
    let (clock, seconds) = clock();
    let settings = OAuth2Settings::builder()
        .clock(clock)
        .refresh_token_expire_seconds(Some(100))
        .build();
    let uid = user(&store);
    let (app, _) = store
        .create_application(NewApplication::new("confidential", "password"), settings.now())
        .unwrap();
    let a = store.issue(app.id, Some(uid), "read", true, &settings).unwrap();
    assert!(store
        .revoke_refresh_token(a.refresh_token.as_deref().unwrap(), Some(app.id), settings.now())
        .unwrap());
    assert!(store.access_token(&a.access_token).unwrap().is_none());
    let b = store.issue(app.id, Some(uid), "read", true, &settings).unwrap();
    assert!(!store.revoke_access_token(&b.access_token, Some(app.id + 1), settings.now()).unwrap());
    assert!(store.revoke_access_token(&b.access_token, Some(app.id), settings.now()).unwrap());
    let c = store.issue(app.id, None, "read", false, &settings).unwrap();
    seconds.fetch_add(36000 + 101, Ordering::SeqCst);
    let (refresh, access) = store.clear_expired(&settings, 1).unwrap();
    assert_eq!((refresh, access), (2, 1));
    assert!(store.access_token(&c.access_token).unwrap().is_none());
    let _: NaiveDateTime = settings.now();
}

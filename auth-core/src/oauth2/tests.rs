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

mod authorization_code {
    use super::*;
    use crate::parsers::{PyString, RequestData, Value};
    use base64::Engine as _;

    const CALLBACK: &str = "https://client.example/cb";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn form(fields: &[(&str, &str)]) -> RequestData {
        RequestData::Fields(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::Str(PyString::from(*v))))
                .collect(),
        )
    }

    fn s256(verifier: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    }

    struct Fixture {
        store: OAuth2Store,
        users: crate::AuthStore,
        settings: OAuth2Settings,
        seconds: Arc<AtomicI64>,
        app: Application,
        uid: i32,
    }

    fn fixture(client_type: &str, redirect_uris: &str) -> Fixture {
        let store = store();
        let (clock, seconds) = clock();
        let settings = OAuth2Settings::builder().clock(clock).build();
        let uid = user(&store);
        let mut new = NewApplication::new(client_type, "authorization-code");
        new.client_id = Some("the-client".into());
        new.client_secret = Some("the-secret".into());
        new.redirect_uris = redirect_uris.into();
        let (app, _) = store.create_application(new, settings.now()).unwrap();
        let users = crate::AuthStore::new(store.database().clone()).with_hashers(FAST);
        Fixture {
            store,
            users,
            settings,
            seconds,
            app,
            uid,
        }
    }

    impl Fixture {
        fn grant(&self, challenge: &str, method: &str) -> String {
            self.store
                .create_grant(
                    &NewGrant {
                        user_id: self.uid,
                        application_id: self.app.id,
                        redirect_uri: CALLBACK.into(),
                        scope: "read write".into(),
                        code_challenge: challenge.into(),
                        code_challenge_method: method.into(),
                        ..NewGrant::default()
                    },
                    &self.settings,
                )
                .unwrap()
        }

        /// The token endpoint with exactly `fields`.
        fn call(&self, fields: &[(&str, &str)]) -> (u16, String) {
            let answer = endpoint::token(
                &self.store,
                &self.users,
                &self.settings,
                &form(fields),
                b"",
                false,
            )
            .unwrap();
            (answer.status, answer.body)
        }

        /// The token endpoint as the confidential client redeeming a code.
        fn redeem(&self, fields: &[(&str, &str)]) -> (u16, String) {
            let mut all = vec![
                ("grant_type", "authorization_code"),
                ("client_id", "the-client"),
                ("client_secret", "the-secret"),
            ];
            all.extend_from_slice(fields);
            self.call(&all)
        }
    }

    #[test]
    fn an_s256_code_is_redeemed_once() {
        let f = fixture("confidential", CALLBACK);
        let code = f.grant(&s256(VERIFIER), "S256");
        assert_eq!(code.len(), 30);
        let (status, body) = f.redeem(&[
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
        ]);
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["scope"], "read write");
        assert_eq!(json["token_type"], "Bearer");
        assert_eq!(json["expires_in"], 36000);
        let found = f
            .store
            .access_token(json["access_token"].as_str().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(found.user.unwrap().id, f.uid);
        assert_eq!(json["refresh_token"].as_str().unwrap().len(), 30);
        // The code is gone: a second use is `invalid_grant`.
        let again = f.redeem(&[
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
        ]);
        assert_eq!(again, (400, r#"{"error": "invalid_grant"}"#.to_owned()));
    }

    #[test]
    fn oauthlibs_refusals_in_its_order() {
        let f = fixture("confidential", CALLBACK);
        let code = f.grant(&s256(VERIFIER), "S256");
        let refused = |fields: &[(&str, &str)]| f.redeem(fields);
        assert_eq!(
            refused(&[("code_verifier", VERIFIER)]),
            (
                400,
                r#"{"error": "invalid_request", "error_description": "Missing code parameter."}"#
                    .into()
            )
        );
        assert_eq!(
            refused(&[("code", "unknown"), ("code_verifier", VERIFIER)]),
            (400, r#"{"error": "invalid_grant"}"#.into())
        );
        assert_eq!(
            refused(&[("code", &code)]),
            (
                400,
                r#"{"error": "invalid_request", "error_description": "Code verifier required."}"#
                    .into()
            )
        );
        assert_eq!(
            refused(&[("code", &code), ("code_verifier", "wrong")]),
            (400, r#"{"error": "invalid_grant"}"#.into())
        );
        assert_eq!(
            refused(&[
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", "https://client.example/other")
            ]),
            (
                400,
                r#"{"error": "invalid_request", "error_description": "Mismatching redirect URI."}"#
                    .into()
            )
        );
        // A refused request leaves the code usable; the only registered
        // redirect URI is the default.
        assert_eq!(refused(&[("code", &code), ("code_verifier", VERIFIER)]).0, 200);
        // A wrong client secret.
        let code = f.grant(&s256(VERIFIER), "S256");
        let answer = f.call(&[
                ("grant_type", "authorization_code"),
                ("client_id", "the-client"),
                ("client_secret", "nope"),
                ("code", &code),
                ("code_verifier", VERIFIER),
            ]);
        assert_eq!(answer.0, 401);
        assert_eq!(answer.1, r#"{"error": "invalid_client"}"#);
    }

    #[test]
    fn pkce_is_required_unless_turned_off_and_plain_works() {
        let mut f = fixture("confidential", CALLBACK);
        let code = f.grant("", "");
        assert_eq!(
            f.redeem(&[("code", &code)]),
            (
                400,
                r#"{"error": "invalid_request", "error_description": "Code verifier required."}"#
                    .into()
            )
        );
        assert_eq!(
            f.redeem(&[("code", &code), ("code_verifier", VERIFIER)]),
            (
                400,
                r#"{"error": "invalid_grant", "error_description": "Challenge not found"}"#.into()
            )
        );
        f.settings.pkce_required = false;
        assert_eq!(f.redeem(&[("code", &code)]).0, 200);
        f.settings.pkce_required = true;
        let code = f.grant("plain-challenge-of-43-characters-at-least-xx", "plain");
        assert_eq!(
            f.redeem(&[
                ("code", &code),
                ("code_verifier", "plain-challenge-of-43-characters-at-least-xx")
            ])
            .0,
            200
        );
    }

    #[test]
    fn expired_codes_other_clients_and_ambiguous_defaults_are_refused() {
        let f = fixture("confidential", "https://client.example/cb https://client.example/two");
        let code = f.grant(&s256(VERIFIER), "S256");
        assert_eq!(
            f.redeem(&[("code", &code), ("code_verifier", VERIFIER)]),
            (
                400,
                r#"{"error": "invalid_request", "error_description": "Missing redirect URI."}"#
                    .into()
            )
        );
        f.seconds.fetch_add(60, Ordering::SeqCst);
        assert_eq!(
            f.redeem(&[("code", &code), ("code_verifier", VERIFIER), ("redirect_uri", CALLBACK)]),
            (400, r#"{"error": "invalid_grant"}"#.into())
        );
        // Another application cannot redeem this one's code.
        let code = f.grant(&s256(VERIFIER), "S256");
        let mut other = NewApplication::new("confidential", "authorization-code");
        other.client_id = Some("other".into());
        other.client_secret = Some("other-secret".into());
        f.store.create_application(other, f.settings.now()).unwrap();
        let answer = f.call(&[
                ("grant_type", "authorization_code"),
                ("client_id", "other"),
                ("client_secret", "other-secret"),
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", CALLBACK),
            ]);
        assert_eq!((answer.0, answer.1.as_str()), (400, r#"{"error": "invalid_grant"}"#));
    }

    #[test]
    fn a_public_client_names_itself() {
        let f = fixture("public", CALLBACK);
        let code = f.grant(&s256(VERIFIER), "S256");
        let answer = f.call(&[
                ("grant_type", "authorization_code"),
                ("client_id", "the-client"),
                ("code", &code),
                ("code_verifier", VERIFIER),
            ]);
        assert_eq!(answer.0, 200, "{}", answer.1);
    }

    #[test]
    fn pkce_methods_are_oauthlibs() {
        // RFC 7636 appendix B.
        assert_eq!(s256(VERIFIER), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(
            endpoint::pkce_verified("S256", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", VERIFIER),
            Some(true)
        );
        assert_eq!(endpoint::pkce_verified("plain", "abc", "abc"), Some(true));
        assert_eq!(endpoint::pkce_verified("plain", "abc", "abd"), Some(false));
        assert_eq!(endpoint::pkce_verified("S512", "abc", "abc"), None);
    }
}

#[test]
fn reusing_a_rotated_refresh_token_revokes_its_family_when_protected() {
    for protected in [false, true] {
        let store = store();
        let (clock, _) = clock();
        let settings = OAuth2Settings::builder()
            .clock(clock)
            .refresh_token_reuse_protection(protected)
            .build();
        let uid = user(&store);
        let (app, _) = store
            .create_application(NewApplication::new("confidential", "password"), settings.now())
            .unwrap();
        let first = store.issue(app.id, Some(uid), "read", true, &settings).unwrap();
        let old = first.refresh_token.unwrap();
        let second = store.refresh(&old, &app, None, &settings).unwrap().unwrap();
        // Another session of the same user is another family.
        let other = store.issue(app.id, Some(uid), "read", true, &settings).unwrap();
        assert_eq!(
            store.refresh(&old, &app, None, &settings).unwrap().unwrap_err(),
            RefreshOutcome::Invalid
        );
        let live = store.access_token(&second.access_token).unwrap().is_some();
        assert_eq!(live, !protected, "protected: {protected}");
        let refreshed = store.refresh(second.refresh_token.as_deref().unwrap(), &app, None, &settings);
        assert_eq!(refreshed.unwrap().is_ok(), !protected);
        assert!(store.access_token(&other.access_token).unwrap().is_some());
    }
}

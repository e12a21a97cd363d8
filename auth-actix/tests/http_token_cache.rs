//! TokenAuthentication with the store's opt-in token cache: hits answer
//! without the blocking hop, changes through the store revoke at once, and a
//! change made behind the store's back (another process) shows after the TTL.

use std::time::Duration;

use crate::common::{detail, token_settings, user, with_auth};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::auth_core::{NewUser, TokenCacheConfig};
use auth_actix::prelude::*;
use auth_actix::{Auth, AuthStore, StoreError, Token, TokenStore, User};
use serde_json::json;

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "user": request.user().to_string(),
        "key": request.auth().and_then(|a| a.as_token()).map(|t| t.key.clone()),
    }))
}

fn get(key: &str) -> TestRequest {
    with_auth(
        TestRequest::get().uri("/me/"),
        format!("Token {key}").as_bytes(),
    )
}

/// A cached store with `alice` and her token.
fn fixture(ttl: Duration) -> (AuthStore, i32, String, tempfile::TempDir) {
    let (store, dir) = crate::common::sqlite_store();
    let store = store
        .with_token_cache(TokenCacheConfig::with_ttl(ttl))
        .expect("valid cache settings");
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .expect("create alice");
    let key = store.token_get_or_create(alice.id).expect("token").0.key;
    (store, alice.id, key, dir)
}

fn ok(key: &str) -> String {
    format!(r#"{{"key":"{key}","user":"alice"}}"#)
}

fn assert_invalid(reply: &crate::common::Reply) {
    let body = detail("Invalid token.");
    assert_eq!(reply.summary(), (401, Some("Token"), body.as_str()));
}

/// Deletes every token in SQL, as another process would.
fn delete_tokens_in_sql(store: &AuthStore) {
    use diesel::RunQueryDsl;
    diesel::sql_query("DELETE FROM authtoken_token")
        .execute(&mut *store.connection().expect("connection"))
        .expect("delete");
}

#[actix_web::test]
async fn a_cached_token_authenticates() {
    let (store, _, key, _dir) = fixture(Duration::from_secs(60));
    let app = serve!(token_settings(store.clone()), "/me/" => whoami);
    for _ in 0..3 {
        let reply = send!(&app, get(&key));
        assert_eq!((reply.status, reply.body), (200, ok(&key)));
    }
    assert!(store.cached_token_with_user(&key).is_some());
    // Unknown keys are not cached and keep failing.
    let reply = send!(&app, get("0000000000000000000000000000000000000000"));
    assert_invalid(&reply);
    assert_eq!(
        store.cached_token_with_user("0000000000000000000000000000000000000000"),
        None
    );
}

#[actix_web::test]
async fn changes_through_the_store_revoke_at_once() {
    let (store, alice, key, _dir) = fixture(Duration::from_secs(60));
    let app = serve!(token_settings(store.clone()), "/me/" => whoami);
    assert_eq!(send!(&app, get(&key)).status, 200);

    let new_key = store.token_regenerate(alice).expect("regenerate").key;
    let reply = send!(&app, get(&key));
    assert_invalid(&reply);
    let reply = send!(&app, get(&new_key));
    assert_eq!((reply.status, reply.body), (200, ok(&new_key)));

    store.set_active(alice, false).expect("deactivate");
    let reply = send!(&app, get(&new_key));
    assert_eq!(
        (reply.status, reply.body),
        (401, detail("User inactive or deleted."))
    );
    store.set_active(alice, true).expect("activate");
    assert_eq!(send!(&app, get(&new_key)).status, 200);

    assert!(store.token_delete(alice).expect("delete"));
    let reply = send!(&app, get(&new_key));
    assert_invalid(&reply);

    let key = store.token_get_or_create(alice).expect("token").0.key;
    assert_eq!(
        send!(&app, get(&key)).status,
        200,
        "a new token works at once"
    );
    assert!(store.delete_user(alice).expect("delete user"));
    let reply = send!(&app, get(&key));
    assert_invalid(&reply);
}

#[actix_web::test]
async fn a_key_deleted_elsewhere_stops_working_after_the_ttl() {
    let ttl = Duration::from_millis(400);
    let (store, _, key, _dir) = fixture(ttl);
    let app = serve!(token_settings(store.clone()), "/me/" => whoami);
    assert_eq!(send!(&app, get(&key)).status, 200);
    delete_tokens_in_sql(&store);
    // Within the TTL the cached answer stands (the documented trade-off)...
    let reply = send!(&app, get(&key));
    assert_eq!((reply.status, reply.body), (200, ok(&key)));
    // ...and after it the database is asked again.
    actix_web::rt::time::sleep(ttl + Duration::from_millis(50)).await;
    let reply = send!(&app, get(&key));
    assert_invalid(&reply);
}

#[actix_web::test]
async fn without_the_cache_a_key_deleted_elsewhere_fails_at_once() {
    let (store, dir) = crate::common::sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .expect("create alice");
    let key = store.token_get_or_create(alice.id).expect("token").0.key;
    let app = serve!(token_settings(store.clone()), "/me/" => whoami);
    assert_eq!(send!(&app, get(&key)).status, 200);
    delete_tokens_in_sql(&store);
    let reply = send!(&app, get(&key));
    assert_invalid(&reply);
    drop(dir);
}

/// A store whose database is down but whose memory answers `cached-key`.
struct MemoryOnly;

impl TokenStore for MemoryOnly {
    fn lookup(&self, _: &str) -> Result<Option<(User, Auth)>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }

    fn cached(&self, key: &str) -> Option<(User, Auth)> {
        (key == "cached-key").then(|| {
            let token = Token {
                key: key.to_owned(),
                created: Default::default(),
                user_id: 1,
            };
            (user(1, "alice", false, true), Auth::Token(token))
        })
    }
}

#[actix_web::test]
async fn a_hit_is_answered_without_the_lookup() {
    let app = serve!(token_settings(MemoryOnly), "/me/" => whoami);
    let reply = send!(&app, get("cached-key"));
    assert_eq!(
        (reply.status, reply.body),
        (200, r#"{"key":"cached-key","user":"alice"}"#.to_owned())
    );
    // A miss goes to `lookup`, here a database that is down: 503.
    let reply = send!(&app, get("other-key"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (503, crate::common::UNAVAILABLE)
    );
}

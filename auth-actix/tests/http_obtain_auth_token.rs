//! `obtain_auth_token` over HTTP against a real SQLite store: every request of
//! `auth-core/tests/fixtures/drf_parsers_cases.json` gets DRF 3.18's status, body and `Allow`
//! header; the same key comes back on every login, concurrent first logins
//! make one token; oversized bodies are 413, a broken database 503.

use auth_actix::site::SiteSettings;
use std::rc::Rc;

use crate::common::with_auth;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::http::Method;
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App};
use auth_actix::auth_core::NewUser;
use auth_actix::views::obtain_auth_token;
use auth_actix::{AuthSettings, AuthStore, BasicAuthentication, DynAuthentication};
use serde_json::{json, Value};

/// A migrated store with the fixture's users.
fn store() -> (AuthStore, tempfile::TempDir) {
    let (store, dir) = crate::common::sqlite_store();
    for (username, password, active) in [
        ("alice", "pw", true),
        ("123", "pw", true),
        ("spacey", " pw ", true),
        ("sleepy", "pw", false),
        ("1e+16", "pw", true),
        ("1e-05", "pw", true),
        ("0.0001", "pw", true),
        ("123456789.12345679", "pw", true),
        ("José", "pässword", true),
    ] {
        let mut new = NewUser::new(username, Some(password.to_owned()));
        new.is_active = active;
        store.create_user(new).expect("create user");
    }
    (store, dir)
}

/// An app with `obtain_auth_token` at its usual path.
macro_rules! token_app {
    ($settings:expr) => {
        init_service(
            App::new()
                .app_data($settings)
                .wrap(crate::common::sessions())
                .service(obtain_auth_token),
        )
        .await
    };
}

/// alice's credentials, as JSON.
fn alice() -> TestRequest {
    post_json(
        "/api-token-auth/",
        json!({"username": "alice", "password": "pw"}),
    )
}

/// A JSON body as raw bytes.
fn post_raw(body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::post()
        .uri("/api-token-auth/")
        .insert_header((CONTENT_TYPE, "application/json"))
        .set_payload(body.into())
}

fn settings(store: &AuthStore) -> AuthSettings {
    AuthSettings::builder()
        .store(store.clone())
        .build()
        .unwrap()
}

fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
        .collect()
}

/// The key of a `{"token": "<key>"}` body, checked to be 40 lowercase hex.
fn token_of(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let key = value.get("token")?.as_str()?.to_owned();
    assert_eq!(key.len(), 40, "{body}");
    assert!(
        key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{body}"
    );
    Some(key)
}

fn post_json(uri: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(uri).set_json(body)
}

#[actix_web::test]
async fn every_request_gets_drfs_answer() {
    let (store, _dir) = store();
    let app = token_app!(settings(&store));
    let fixture: Value = serde_json::from_str(include_str!(
        "../../auth-core/tests/fixtures/drf_parsers_cases.json"
    ))
    .expect("fixture");
    let cases = fixture["views"].as_array().expect("view cases");
    assert!(cases.len() > 80);
    let mut failures = Vec::new();
    for case in cases {
        let method = Method::from_bytes(case["method"].as_str().unwrap().as_bytes()).unwrap();
        let mut req = TestRequest::default()
            .method(method)
            .uri("/api-token-auth/")
            .set_payload(latin1_bytes(case["body"].as_str().unwrap()));
        if let Some(ct) = case["content_type"].as_str() {
            let value = HeaderValue::from_bytes(&latin1_bytes(ct)).unwrap();
            req = req.insert_header((CONTENT_TYPE, value));
        }
        let reply = send!(&app, req);
        let body = match token_of(&reply.body) {
            Some(_) => r#"{"token":"<key>"}"#.to_owned(),
            None => reply.body.clone(),
        };
        let got = (reply.status, body.as_str(), reply.header("allow"));
        let want = (
            case["status"].as_u64().unwrap() as u16,
            case["response"].as_str().unwrap(),
            case["allow"].as_str(),
        );
        if got != want {
            failures.push(format!(
                "{} {:?} {:?}:\n  got  {got:?}\n  DRF  {want:?}",
                case["method"], case["content_type"], case["body"]
            ));
        }
        if reply.status < 500 {
            assert_eq!(reply.header("content-type"), Some("application/json"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn the_same_key_on_every_login_and_at_any_path() {
    let (store, _dir) = store();
    let app = init_service(
        App::new()
            .app_data(settings(&store))
            .wrap(crate::common::sessions())
            .service(obtain_auth_token)
            .service(web::resource("/token/").to(obtain_auth_token))
            .route("/post-only/", web::post().to(obtain_auth_token)),
    )
    .await;
    let credentials = json!({"username": "alice", "password": "pw"});
    let mut keys = Vec::new();
    for uri in [
        "/api-token-auth/",
        "/token/",
        "/post-only/",
        "/api-token-auth/",
    ] {
        let reply = send!(&app, post_json(uri, credentials.clone()));
        assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
        keys.push(token_of(&reply.body).expect("a token"));
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "one key for every login: {keys:?}");
    let alice = store.user_by_username("alice").unwrap().unwrap();
    assert_eq!(
        store.token_for_user(alice.id).unwrap().unwrap().key,
        keys[0]
    );

    // An existing token (e.g. made by `drf_create_token`) is returned unchanged.
    let boss = store.user_by_username("123").unwrap().unwrap();
    let existing = store.token_get_or_create(boss.id).unwrap().0.key;
    let reply = send!(
        &app,
        post_json("/token/", json!({"username": 123, "password": "pw"}))
    );
    assert_eq!(token_of(&reply.body), Some(existing));

    let reply = send!(
        &app,
        TestRequest::default().method(Method::HEAD).uri("/token/")
    );
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("POST, OPTIONS"))
    );
}

#[actix_web::test]
async fn concurrent_first_logins_make_one_token() {
    let (store, _dir) = store();
    let app = Rc::new(token_app!(settings(&store)));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let app = app.clone();
            actix_web::rt::spawn(async move {
                let req = post_json(
                    "/api-token-auth/",
                    json!({"username": "José", "password": "pässword"}),
                );
                let reply = send!(app.as_ref(), req);
                assert_eq!(reply.status, 200, "{}", reply.body);
                token_of(&reply.body).expect("a token")
            })
        })
        .collect();
    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.expect("task"));
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let jose = store.user_by_username("José").unwrap().unwrap();
    assert_eq!(store.token_for_user(jose.id).unwrap().unwrap().key, keys[0]);
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let (store, _dir) = store();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(SiteSettings::builder().body_limit(64).build().unwrap())
        .build()
        .unwrap();
    let app = token_app!(settings);
    let too_large = r#"{"detail":"Request body is too large."}"#;
    let padded = format!(
        r#"{{"username":"alice","password":"pw","x":"{}"}}"#,
        "a".repeat(40)
    );
    let reply = send!(&app, post_raw(padded));
    assert_eq!((reply.status, reply.body.as_str()), (413, too_large));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    // A `Content-Length` over the limit is refused before reading.
    let reply = send!(
        &app,
        post_raw("").insert_header(("Content-Length", "1000000"))
    );
    assert_eq!((reply.status, reply.body.as_str()), (413, too_large));
    // At the limit is fine.
    let exact = format!(
        r#"{{"username":"alice","password":"pw","x":"{}"}}"#,
        "a".repeat(21)
    );
    assert_eq!(exact.len(), 64);
    let reply = send!(&app, post_raw(exact));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[actix_web::test]
async fn authentication_runs_first() {
    let (store, _dir) = store();
    let app = token_app!(settings(&store));
    // A malformed Basic header fails before the credentials are read; with
    // DRF's default classes (Session first) that is a 403 without a challenge.
    let reply = send!(&app, with_auth(alice(), b"Basic !!!"));
    assert_eq!(
        reply.summary(),
        (
            403,
            None,
            r#"{"detail":"Invalid basic header. Credentials not correctly base64 encoded."}"#
        )
    );
    // With Basic first, a 401 and its challenge.
    let basic_first = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes([DynAuthentication::new(BasicAuthentication)])
        .build()
        .unwrap();
    let app = token_app!(basic_first);
    let reply = send!(&app, with_auth(alice(), b"Basic"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Basic realm=\"api\""),
            r#"{"detail":"Invalid basic header. No credentials provided."}"#
        )
    );
    // Valid Basic credentials of another user do not change whose token it is.
    let reply = send!(&app, with_auth(alice(), b"Basic MTIzOnB3"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let alice_id = store.user_by_username("alice").unwrap().unwrap().id;
    assert_eq!(
        token_of(&reply.body),
        store.token_for_user(alice_id).unwrap().map(|t| t.key)
    );
}

#[actix_web::test]
async fn a_broken_database_is_a_503() {
    let (store, _dir) = crate::common::broken_store();
    let app = token_app!(settings(&store));
    let reply = send!(&app, alice());
    assert_eq!(reply.summary(), (503, None, crate::common::UNAVAILABLE));
    // Field errors need no database.
    let reply = send!(&app, post_json("/api-token-auth/", json!({})));
    assert_eq!(reply.status, 400);
}

#[actix_web::test]
async fn without_settings_the_view_says_what_to_add() {
    let app = init_service(App::new().service(obtain_auth_token)).await;
    let reply = send!(&app, post_json("/api-token-auth/", json!({})));
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("AuthSettings"), "{}", reply.body);
}

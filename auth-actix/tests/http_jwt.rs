//! simplejwt's views and classes over HTTP: every status and body as
//! simplejwt 5.5.1 answers them, expiry with an injected clock, the
//! blacklist on its tables, and 503 when the store is down.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::common::{with_auth, NOT_PROVIDED, UNAVAILABLE};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::auth_core::jwt::{JwtSettings, JwtStore, Token, TokenClass};
use auth_actix::auth_core::NewUser;
use auth_actix::jwt::{AsAnonymous, JWTAuthentication, JWTStatelessUserAuthentication, Jwt};
use auth_actix::prelude::*;
use auth_actix::{AuthStore, User};
use chrono::DateTime;
use serde_json::{json, Value};

const BEARER: &str = r#"Bearer realm="api""#;
const T0: i64 = 1_800_000_000;

#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(JWTAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn jwt_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

/// `{"user": str(request.user), "auth": <the token's jti>}`.
fn jwt_body(request: &AuthRequest) -> HttpResponse {
    let jti = request
        .auth()
        .and_then(|auth| auth.get::<Token>())
        .and_then(|token| token.jti().map(str::to_owned));
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "auth": jti}))
}

#[api_view(GET)]
#[authentication_classes(JWTStatelessUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn stateless_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

struct Fixture {
    store: AuthStore,
    jwt: Jwt,
    clock: Arc<AtomicI64>,
    alice: User,
    _dir: tempfile::TempDir,
}

fn settings(clock: &Arc<AtomicI64>) -> JwtSettings {
    let at = clock.clone();
    JwtSettings::builder()
        .signing_key("django-insecure-jwt-tests")
        .auth_token_classes([TokenClass::Access, TokenClass::Sliding])
        .rotate_refresh_tokens(true)
        .blacklist(true)
        .blacklist_after_rotation(true)
        .clock(Arc::new(move || {
            DateTime::from_timestamp(at.load(Ordering::SeqCst), 0).unwrap()
        }))
        .build()
        .unwrap()
}

fn fixture() -> Fixture {
    let (store, dir) = crate::common::sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let jwt = Jwt::new(
        settings(&clock),
        Some(JwtStore::new(store.database().clone())),
    )
    .unwrap();
    Fixture {
        store,
        jwt,
        clock,
        alice,
        _dir: dir,
    }
}

fn auth_settings(store: &AuthStore) -> AuthSettings {
    AuthSettings::builder()
        .store(store.clone())
        .build()
        .unwrap()
}

macro_rules! app {
    ($fx:expr) => {
        serve!(
            auth_settings(&$fx.store),
            with $fx.jwt.clone(),
            "/jwt/" => jwt_view,
            "/jwt-stateless/" => stateless_view,
            "/api/token/" => auth_actix::jwt::token_obtain_pair,
            "/api/token/refresh/" => auth_actix::jwt::token_refresh,
            "/api/token/verify/" => auth_actix::jwt::token_verify,
            "/api/token/blacklist/" => auth_actix::jwt::token_blacklist,
            "/api/token/sliding/" => auth_actix::jwt::token_obtain_sliding,
            "/api/token/sliding/refresh/" => auth_actix::jwt::token_refresh_sliding
        )
    };
}

fn post(path: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(path).set_json(body)
}

fn field(body: &str, name: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap();
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

fn jti_of(raw: &str, settings: &JwtSettings) -> String {
    Token::parse(TokenClass::Untyped, raw.as_bytes(), settings)
        .unwrap()
        .jti()
        .unwrap()
        .to_owned()
}

fn bearer(path: &str, token: &str) -> TestRequest {
    with_auth(
        TestRequest::get().uri(path),
        format!("Bearer {token}").as_bytes(),
    )
}

#[actix_web::test]
async fn obtain_pair_and_its_errors() {
    let fx = fixture();
    let app = app!(fx);
    let reply = send!(
        &app,
        post(
            "/api/token/",
            json!({"username": "alice", "password": "pw"})
        )
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let refresh = field(&reply.body, "refresh");
    let access = field(&reply.body, "access");
    let keys: Vec<_> = serde_json::from_str::<serde_json::Map<String, Value>>(&reply.body)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.len(), 2);
    // The refresh token is outstanding, for alice, until its exp.
    let row = JwtStore::new(fx.store.database().clone())
        .outstanding(&jti_of(&refresh, fx.jwt.settings()))
        .unwrap()
        .unwrap();
    assert_eq!(row.user_id, Some(fx.alice.id));
    assert_eq!(row.token, refresh);
    assert_eq!(row.expires_at.and_utc().timestamp(), T0 + 86_400);
    // The access token authenticates alice.
    let reply = send!(&app, bearer("/jwt/", &access));
    let jti = jti_of(&access, fx.jwt.settings());
    assert_eq!(
        reply.summary(),
        (
            200,
            None,
            format!(r#"{{"auth":"{jti}","user":"alice"}}"#).as_str()
        )
    );

    let wrong = send!(
        &app,
        post("/api/token/", json!({"username": "alice", "password": "x"}))
    );
    assert_eq!(
        wrong.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"No active account found with the given credentials"}"#
        )
    );
    let missing = send!(&app, post("/api/token/", json!({})));
    assert_eq!(
        missing.summary(),
        (
            400,
            None,
            r#"{"username":["This field is required."],"password":["This field is required."]}"#
        )
    );
    fx.store.set_active(fx.alice.id, false).unwrap();
    let inactive = send!(
        &app,
        post(
            "/api/token/",
            json!({"username": "alice", "password": "pw"})
        )
    );
    assert_eq!(inactive.status, 401);
}

#[actix_web::test]
async fn jwt_authentication_answers_as_simplejwt() {
    let fx = fixture();
    let app = app!(fx);
    let access = Token::for_user(TokenClass::Access, fx.jwt.settings(), &fx.alice)
        .encode()
        .unwrap();
    let not_provided = format!(r#"{{"detail":"{NOT_PROVIDED}"}}"#);
    let reply = send!(&app, TestRequest::get().uri("/jwt/"));
    assert_eq!(reply.summary(), (401, Some(BEARER), not_provided.as_str()));
    // The keyword is case-sensitive: `bearer` is not attempted.
    let reply = send!(
        &app,
        with_auth(
            TestRequest::get().uri("/jwt/"),
            format!("bearer {access}").as_bytes()
        )
    );
    assert_eq!(reply.summary(), (401, Some(BEARER), not_provided.as_str()));
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/jwt/"), b"Bearer a b")
    );
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}"#
        )
    );
    let reply = send!(&app, bearer("/jwt/", "garbage"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid"},{"token_class":"SlidingToken","token_type":"sliding","message":"Token is invalid"}]}"#
        )
    );
    // A refresh token is of neither accepted class.
    let refresh = Token::for_user(TokenClass::Refresh, fx.jwt.settings(), &fx.alice)
        .encode()
        .unwrap();
    let reply = send!(&app, bearer("/jwt/", &refresh));
    assert_eq!(
        reply.body,
        r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token has wrong type"},{"token_class":"SlidingToken","token_type":"sliding","message":"Token has wrong type"}]}"#
    );
    // Expiry by the clock: valid at exp - 1, expired at exp (LEEWAY 0).
    fx.clock.store(T0 + 299, Ordering::SeqCst);
    assert_eq!(send!(&app, bearer("/jwt/", &access)).status, 200);
    fx.clock.store(T0 + 300, Ordering::SeqCst);
    let reply = send!(&app, bearer("/jwt/", &access));
    assert_eq!(
        reply.body,
        r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is expired"},{"token_class":"SlidingToken","token_type":"sliding","message":"Token is expired"}]}"#
    );
    fx.clock.store(T0, Ordering::SeqCst);
    // An iat in the future is refused, as PyJWT refuses it.
    fx.clock.store(T0 - 1, Ordering::SeqCst);
    let reply = send!(&app, bearer("/jwt/", &access));
    assert!(
        reply.body.contains(r#""message":"Token is invalid""#),
        "{}",
        reply.body
    );
    fx.clock.store(T0, Ordering::SeqCst);

    fx.store.set_active(fx.alice.id, false).unwrap();
    let reply = send!(&app, bearer("/jwt/", &access));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"User is inactive","code":"user_inactive"}"#
        )
    );
    // The stateless class makes no query: the inactive user still passes.
    let reply = send!(&app, bearer("/jwt-stateless/", &access));
    let jti = jti_of(&access, fx.jwt.settings());
    assert_eq!(
        reply.summary(),
        (
            200,
            None,
            format!(r#"{{"auth":"{jti}","user":"TokenUser {}"}}"#, fx.alice.id).as_str()
        )
    );
    fx.store.delete_user(fx.alice.id).unwrap();
    let reply = send!(&app, bearer("/jwt/", &access));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"User not found","code":"user_not_found"}"#
        )
    );
}

#[actix_web::test]
async fn refresh_rotates_and_blacklists() {
    let fx = fixture();
    let app = app!(fx);
    let jwt_store = JwtStore::new(fx.store.database().clone());
    let reply = send!(
        &app,
        post(
            "/api/token/",
            json!({"username": "alice", "password": "pw"})
        )
    );
    let refresh = field(&reply.body, "refresh");
    let access = field(&reply.body, "access");
    fx.clock.store(T0 + 10, Ordering::SeqCst);
    let reply = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": refresh}))
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let rotated = field(&reply.body, "refresh");
    assert!(reply.body.starts_with(r#"{"access":"#));
    // The new refresh token is outstanding; the old one is blacklisted.
    let new_jti = jti_of(&rotated, fx.jwt.settings());
    let old_jti = jti_of(&refresh, fx.jwt.settings());
    let row = jwt_store.outstanding(&new_jti).unwrap().unwrap();
    assert_eq!(row.user_id, Some(fx.alice.id));
    assert_eq!(row.expires_at.and_utc().timestamp(), T0 + 10 + 86_400);
    assert!(jwt_store.is_blacklisted(&old_jti).unwrap());
    assert!(!jwt_store.is_blacklisted(&new_jti).unwrap());

    let again = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": refresh}))
    );
    assert_eq!(
        again.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
        )
    );
    let verify = send!(&app, post("/api/token/verify/", json!({"token": refresh})));
    assert_eq!(
        verify.summary(),
        (
            400,
            None,
            r#"{"non_field_errors":["Token is blacklisted"]}"#
        )
    );
    let verify = send!(&app, post("/api/token/verify/", json!({"token": access})));
    assert_eq!(verify.summary(), (200, None, "{}"));
    let verify = send!(&app, post("/api/token/verify/", json!({"token": "x"})));
    assert_eq!(
        verify.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Token is invalid","code":"token_not_valid"}"#
        )
    );
    let wrong = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": access}))
    );
    assert_eq!(
        wrong.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Token has wrong type","code":"token_not_valid"}"#
        )
    );
    let missing = send!(&app, post("/api/token/refresh/", json!({})));
    assert_eq!(
        missing.summary(),
        (400, None, r#"{"refresh":["This field is required."]}"#)
    );

    // Blacklist view: 200 {} and the token is refused after.
    let reply = send!(
        &app,
        post("/api/token/blacklist/", json!({"refresh": rotated}))
    );
    assert_eq!(reply.summary(), (200, None, "{}"));
    let reply = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": rotated}))
    );
    assert_eq!(reply.status, 401);

    // Better than simplejwt's 500: a deleted user's refresh token.
    let refresh = jwt_store
        .for_user(TokenClass::Refresh, fx.jwt.settings(), &fx.alice)
        .unwrap()
        .encode()
        .unwrap();
    fx.store.delete_user(fx.alice.id).unwrap();
    let reply = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": refresh}))
    );
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"No active account found for the given token."}"#
        )
    );
}

#[actix_web::test]
async fn sliding_tokens() {
    let fx = fixture();
    let app = app!(fx);
    let reply = send!(
        &app,
        post(
            "/api/token/sliding/",
            json!({"username": "alice", "password": "pw"})
        )
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let sliding = field(&reply.body, "token");
    let jti = jti_of(&sliding, fx.jwt.settings());
    assert_eq!(send!(&app, bearer("/jwt/", &sliding)).status, 200);
    fx.clock.store(T0 + 200, Ordering::SeqCst);
    let reply = send!(
        &app,
        post("/api/token/sliding/refresh/", json!({"token": sliding}))
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let renewed = field(&reply.body, "token");
    assert_eq!(jti_of(&renewed, fx.jwt.settings()), jti);
    fx.clock.store(T0 + 400, Ordering::SeqCst);
    assert_eq!(send!(&app, bearer("/jwt/", &renewed)).status, 200);
    // Past refresh_exp the token cannot be renewed.
    fx.clock.store(T0 + 86_400, Ordering::SeqCst);
    let reply = send!(
        &app,
        post("/api/token/sliding/refresh/", json!({"token": renewed}))
    );
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Token is expired","code":"token_not_valid"}"#
        )
    );
}

/// The blacklist's table dropped behind the app's back.
fn drop_blacklist_table(store: &AuthStore) {
    store
        .database()
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            #[allow(irrefutable_let_patterns)]
            let auth_actix::auth_core::AnyConnection::Sqlite(c) = conn
            else {
                unreachable!()
            };
            c.batch_execute("DROP TABLE token_blacklist_blacklistedtoken")
                .map_err(auth_actix::StoreError::from)
        })
        .unwrap();
}

#[actix_web::test]
async fn the_store_down_is_a_503_and_missing_tables_fail_start_up() {
    let fx = fixture();
    let refresh = JwtStore::new(fx.store.database().clone())
        .for_user(TokenClass::Refresh, fx.jwt.settings(), &fx.alice)
        .unwrap()
        .encode()
        .unwrap();
    let (broken, _dir) = auth_testkit::db::broken_store();
    let err = Jwt::new(
        settings(&fx.clock),
        Some(JwtStore::new(broken.database().clone())),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("blacklist tables are missing"),
        "{err}"
    );
    // Tables gone after start-up: the refresh view answers 503, never a pass.
    drop_blacklist_table(&fx.store);
    let app = app!(fx);
    let reply = send!(
        &app,
        post("/api/token/refresh/", json!({"refresh": refresh}))
    );
    assert_eq!(reply.summary(), (503, None, UNAVAILABLE));
}

#[api_view(GET)]
#[authentication_classes(JWTAuthentication)]
#[permission_classes(AllowAny)]
async fn open_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

#[api_view(GET)]
#[authentication_classes(JWTAuthentication<AsAnonymous>)]
#[permission_classes(AllowAny)]
async fn lenient_open_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

#[api_view(GET)]
#[authentication_classes(JWTStatelessUserAuthentication<AsAnonymous>)]
#[permission_classes(AllowAny)]
async fn lenient_stateless_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

#[api_view(GET)]
#[authentication_classes(JWTAuthentication<AsAnonymous>)]
#[permission_classes(IsAuthenticated)]
async fn lenient_private_view(request: AuthRequest) -> HttpResponse {
    jwt_body(&request)
}

#[actix_web::test]
async fn invalid_tokens_read_as_anonymous_only_for_the_opted_in_class() {
    let fx = fixture();
    let app = serve!(
        auth_settings(&fx.store),
        with fx.jwt.clone(),
        "/open/" => open_view,
        "/lenient/" => lenient_open_view,
        "/lenient-stateless/" => lenient_stateless_view,
        "/lenient-private/" => lenient_private_view
    );
    let garbage = r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid"},{"token_class":"SlidingToken","token_type":"sliding","message":"Token is invalid"}]}"#;
    let anonymous = r#"{"auth":null,"user":"AnonymousUser"}"#;
    let access = Token::for_user(TokenClass::Access, fx.jwt.settings(), &fx.alice)
        .encode()
        .unwrap();
    // DRF-exact by default: an invalid token fails even where anyone may enter.
    let reply = send!(&app, bearer("/open/", "garbage"));
    assert_eq!(reply.summary(), (401, Some(BEARER), garbage));
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/open/"), b"Bearer a b")
    );
    assert_eq!(reply.status, 401);
    // The opted-in class on the same app: whatever it would refuse is anonymous.
    for path in ["/lenient/", "/lenient-stateless/"] {
        let reply = send!(&app, bearer(path, "garbage"));
        assert_eq!(reply.summary(), (200, None, anonymous), "{path}");
        let reply = send!(&app, with_auth(TestRequest::get().uri(path), b"Bearer a b"));
        assert_eq!(reply.summary(), (200, None, anonymous), "{path}");
    }
    fx.clock.store(T0 + 300, Ordering::SeqCst);
    assert_eq!(
        send!(&app, bearer("/lenient/", &access)).summary(),
        (200, None, anonymous)
    );
    assert_eq!(send!(&app, bearer("/open/", &access)).status, 401);
    fx.clock.store(T0, Ordering::SeqCst);
    // A valid token still authenticates.
    let jti = jti_of(&access, fx.jwt.settings());
    let reply = send!(&app, bearer("/lenient/", &access));
    assert_eq!(
        reply.summary(),
        (
            200,
            None,
            format!(r#"{{"auth":"{jti}","user":"alice"}}"#).as_str()
        )
    );
    // A view that needs a user refuses as for a request without credentials.
    let reply = send!(&app, bearer("/lenient-private/", "garbage"));
    let not_provided = format!(r#"{{"detail":"{NOT_PROVIDED}"}}"#);
    assert_eq!(reply.summary(), (401, Some(BEARER), not_provided.as_str()));
    // An inactive user's token reads as anonymous too (the default class: 401).
    fx.store.set_active(fx.alice.id, false).unwrap();
    assert_eq!(
        send!(&app, bearer("/lenient/", &access)).summary(),
        (200, None, anonymous)
    );
    assert_eq!(send!(&app, bearer("/open/", &access)).status, 401);
    // A server failure is never anonymous: the blacklist's tables gone is a 503.
    let sliding = Token::for_user(TokenClass::Sliding, fx.jwt.settings(), &fx.alice)
        .encode()
        .unwrap();
    drop_blacklist_table(&fx.store);
    let reply = send!(&app, bearer("/lenient/", &sliding));
    assert_eq!(reply.summary(), (503, None, UNAVAILABLE));
}

#[actix_web::test]
async fn a_refresh_token_without_jti_is_a_401_not_a_500() {
    use auth_actix::auth_core::jwt::backend;
    use auth_actix::auth_core::signing::JsonValue;
    let fx = fixture();
    let app = app!(fx);
    let mut token = Token::for_user(TokenClass::Refresh, fx.jwt.settings(), &fx.alice);
    let mut payload = token.payload().clone();
    payload.remove("jti");
    let raw = backend::encode(fx.jwt.settings(), &payload).unwrap();
    let reply = send!(&app, post("/api/token/refresh/", json!({"refresh": raw})));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"Token has no id","code":"token_not_valid"}"#
        )
    );
    // A user id claim of "0" is truthy in Python: the user is looked up (and is missing).
    token.insert("user_id", JsonValue::String("0".into()));
    let raw = token.encode().unwrap();
    let reply = send!(&app, post("/api/token/refresh/", json!({"refresh": raw})));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(BEARER),
            r#"{"detail":"No active account found for the given token."}"#
        )
    );
}

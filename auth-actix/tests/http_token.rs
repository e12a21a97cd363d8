//! TokenAuthentication over HTTP (spec 2.2) with replaceable token stores:
//! keywords, DRF's messages, inactive users, custom token models, 503.

use std::sync::Arc;

use crate::common::{detail, token_settings, with_auth, BrokenTokens, MemoryTokens, NOT_PROVIDED};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::prelude::*;
use auth_actix::{Auth, Keyword, StoreError, TokenStore, User};
use serde_json::json;

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn token_view(request: AuthRequest) -> HttpResponse {
    let key = request
        .auth()
        .and_then(|auth| auth.as_token())
        .map(|token| token.key.clone());
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "key": key}))
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication<Bearer>)]
#[permission_classes(IsAuthenticated)]
async fn bearer_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": request.user().to_string()}))
}

/// A keyword defined by the application.
struct ApiKey;

impl Keyword for ApiKey {
    const KEYWORD: &'static str = "Api-Key";
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication<ApiKey>)]
#[permission_classes(IsAuthenticated)]
async fn api_key_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": request.user().to_string()}))
}

macro_rules! app_with {
    ($store:expr) => {
        serve!(
            token_settings($store),
            "/token" => token_view,
            "/bearer" => bearer_view,
            "/api-key" => api_key_view
        )
    };
}

fn get(path: &str, header: &[u8]) -> TestRequest {
    with_auth(TestRequest::get().uri(path), header)
}

#[actix_web::test]
async fn parsing_rules_and_messages() {
    let app = app_with!(MemoryTokens::fixture());
    let ok = r#"{"key":"member-key","user":"member"}"#;
    let cases: &[(&[u8], u16, &str)] = &[
        (b"Token member-key", 200, ok),
        (b"token member-key", 200, ok),
        (b"TOKEN\tmember-key  ", 200, ok),
        (b"  Token   member-key", 200, ok),
        (
            b"Token",
            401,
            "Invalid token header. No credentials provided.",
        ),
        (
            b"Token   ",
            401,
            "Invalid token header. No credentials provided.",
        ),
        (
            b"Token a b",
            401,
            "Invalid token header. Token string should not contain spaces.",
        ),
        (
            b"Token member-key\xb8",
            401,
            "Invalid token header. Token string should not contain invalid characters.",
        ),
        ("Token clé".as_bytes(), 401, "Invalid token."),
        (b"Token MEMBER-KEY", 401, "Invalid token."),
        (b"Token nope", 401, "Invalid token."),
        (b"Token inactive-key", 401, "User inactive or deleted."),
        // Other schemes and empty headers are "not attempted".
        (b"Bearer member-key", 401, NOT_PROVIDED),
        (b"Tokenmember-key", 401, NOT_PROVIDED),
        (b"", 401, NOT_PROVIDED),
        (b"   ", 401, NOT_PROVIDED),
    ];
    for &(header, status, body) in cases {
        let reply = send!(&app, get("/token", header));
        let expected = if status == 200 {
            body.to_owned()
        } else {
            detail(body)
        };
        assert_eq!(
            reply.status,
            status,
            "{:?}",
            String::from_utf8_lossy(header)
        );
        assert_eq!(
            reply.body,
            expected,
            "{:?}",
            String::from_utf8_lossy(header)
        );
        if status == 401 {
            assert_eq!(reply.header("www-authenticate"), Some("Token"));
        }
    }
}

#[actix_web::test]
async fn two_keywords_in_one_app() {
    let app = app_with!(MemoryTokens::fixture());
    let reply = send!(&app, get("/bearer", b"Bearer staff-key"));
    assert_eq!(reply.summary(), (200, None, r#"{"user":"staff"}"#));
    let reply = send!(&app, get("/bearer", b"Token staff-key"));
    assert_eq!(
        reply.summary(),
        (401, Some("Bearer"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(&app, get("/bearer", b"Bearer"));
    assert_eq!(
        reply.body,
        detail("Invalid token header. No credentials provided.")
    );
    let reply = send!(&app, get("/token", b"Bearer staff-key"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(&app, get("/api-key", b"api-key member-key"));
    assert_eq!(reply.status, 200);
    let reply = send!(&app, TestRequest::get().uri("/api-key"));
    assert_eq!(reply.header("www-authenticate"), Some("Api-Key"));
}

#[actix_web::test]
async fn a_broken_store_is_a_503_never_an_anonymous_pass() {
    let app = app_with!(BrokenTokens);
    let reply = send!(&app, get("/token", b"Token member-key"));
    assert_eq!(reply.summary(), (503, None, crate::common::UNAVAILABLE));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    // No credentials: the store is not asked.
    let reply = send!(&app, TestRequest::get().uri("/token"));
    assert_eq!(reply.status, 401);
}

/// DRF's "custom token model": keys that carry a scope, checked by the store.
struct ScopedKey {
    scope: &'static str,
}

struct ScopedTokens;

impl TokenStore for ScopedTokens {
    fn lookup(&self, key: &str) -> Result<Option<(User, Auth)>, StoreError> {
        let user_and_scope = |name| {
            let scope = Auth::Custom(Arc::new(ScopedKey { scope: "read" }));
            (crate::common::user(40, name, false, true), scope)
        };
        Ok(key.strip_prefix("read.").map(user_and_scope))
    }
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn scoped(request: AuthRequest) -> HttpResponse {
    let scope = request
        .auth()
        .and_then(|auth| auth.downcast_ref::<ScopedKey>())
        .map(|key| key.scope);
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "scope": scope}))
}

#[actix_web::test]
async fn a_custom_token_model() {
    let app = serve!(token_settings(ScopedTokens), "/" => scoped);
    let reply = send!(&app, get("/", b"Token read.carol"));
    assert_eq!(
        reply.summary(),
        (200, None, r#"{"scope":"read","user":"carol"}"#)
    );
    let reply = send!(&app, get("/", b"Token write.carol"));
    assert_eq!(reply.body, detail("Invalid token."));
}

#[actix_web::test]
async fn no_token_store_is_a_clear_server_error() {
    let app = serve!(AuthSettings::builder().build().unwrap(), "/" => token_view);
    let reply = send!(&app, get("/", b"Token member-key"));
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("no token store"), "{}", reply.body);
}

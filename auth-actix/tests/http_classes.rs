//! Basic header parsing, RemoteUser's proxy trust and a custom class over
//! HTTP: everything that is decided before a user store is consulted.

mod common;

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::prelude::*;
use auth_actix::{AuthError, AuthResult, Authenticated, RemoteUserConfig, User};
use common::{detail, with_auth, NOT_PROVIDED};

#[api_view(GET)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn basic_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::test]
async fn basic_header_errors() {
    let app = init_service(
        App::new()
            .app_data(AuthSettings::builder().build().unwrap())
            .route("/", web::to(basic_view)),
    )
    .await;
    let cases: &[(&[u8], &str)] = &[
        (b"Basic", "Invalid basic header. No credentials provided."),
        (
            b"basic   ",
            "Invalid basic header. No credentials provided.",
        ),
        (
            b"Basic am9obg== extra",
            "Invalid basic header. Credentials string should not contain spaces.",
        ),
        (
            b"Basic am9obg==",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            b"Basic am9objpwYXNzd29yZA",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            b"Basic =a=",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (b"Token am9objpwYXNzd29yZA==", NOT_PROVIDED),
        (b"Basic\xa0am9objpwYXNzd29yZA==", NOT_PROVIDED),
    ];
    for &(header, message) in cases {
        let reply = send!(&app, with_auth(TestRequest::get().uri("/"), header));
        assert_eq!(
            reply.summary(),
            (401, Some("Basic realm=\"api\""), detail(message).as_str()),
            "{:?}",
            String::from_utf8_lossy(header)
        );
    }
}

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::test]
async fn a_client_cannot_claim_a_remote_user() {
    let trusting_localhost = AuthSettings::builder()
        .remote_user(RemoteUserConfig::default().trusted_proxies(["127.0.0.1".parse().unwrap()]))
        .build()
        .unwrap();
    for settings in [AuthSettings::builder().build().unwrap(), trusting_localhost] {
        let app = init_service(
            App::new()
                .app_data(settings)
                .route("/", web::to(remote_view)),
        )
        .await;
        let req = TestRequest::get()
            .uri("/")
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("Remote-User", "admin"));
        // Not attempted: anonymous, and RemoteUser has no challenge, so 403.
        let reply = send!(&app, req);
        assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    }
}

#[actix_web::test]
async fn a_trusted_proxy_without_the_header_is_not_attempted() {
    let settings = AuthSettings::builder()
        .remote_user(RemoteUserConfig::default().trusted_proxies(["10.0.0.0/8".parse().unwrap()]))
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .app_data(settings)
            .route("/", web::to(remote_view)),
    )
    .await;
    let req = TestRequest::get()
        .uri("/")
        .peer_addr("10.1.2.3:5000".parse().unwrap());
    assert_eq!(send!(&app, req).status, 403);
    let empty = TestRequest::get()
        .uri("/")
        .peer_addr("10.1.2.3:5000".parse().unwrap())
        .insert_header(("Remote-User", ""));
    assert_eq!(send!(&app, empty).status, 403);
}

/// The users the custom class knows, kept in the settings' extensions.
struct Directory(HashMap<String, User>);

/// DRF's documentation example: the username in `X-Username`; an unknown
/// user is `AuthenticationFailed("No such user")`.
#[derive(Default)]
struct XUsernameAuthentication;

impl Authentication for XUsernameAuthentication {
    async fn authenticate(&self, request: &HttpRequest, settings: &AuthSettings) -> AuthResult {
        let Some(username) = request.headers().get("X-Username") else {
            return Ok(None);
        };
        let username = String::from_utf8_lossy(username.as_bytes());
        let directory = settings
            .extension::<Directory>()
            .ok_or_else(AuthError::server_error)?;
        match directory.0.get(username.as_ref()) {
            Some(user) => Ok(Some(Authenticated::user(user.clone()))),
            None => Err(AuthError::authentication_failed("No such user")),
        }
    }
}

/// The same with a challenge, so that failures are 401s.
#[derive(Default)]
struct XUsernameWithChallenge;

impl Authentication for XUsernameWithChallenge {
    async fn authenticate(&self, request: &HttpRequest, settings: &AuthSettings) -> AuthResult {
        XUsernameAuthentication
            .authenticate(request, settings)
            .await
    }
    fn authenticate_header(&self, _: &HttpRequest, _: &AuthSettings) -> Option<Cow<'static, str>> {
        Some("X-Username".into())
    }
}

#[api_view(GET)]
#[authentication_classes(XUsernameAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn custom_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": request.user().to_string(),
        "by": request.successful_authenticator(),
    }))
}

#[api_view(GET)]
#[authentication_classes(XUsernameWithChallenge)]
#[permission_classes(IsAuthenticated)]
async fn challenged_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::test]
async fn a_custom_authentication_class() {
    let directory = Directory(HashMap::from([(
        "dora".to_owned(),
        common::user(5, "dora", false, true),
    )]));
    let settings = AuthSettings::builder()
        .extension(directory)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .app_data(settings)
            .route("/custom", web::to(custom_view))
            .route("/challenged", web::to(challenged_view)),
    )
    .await;
    let known = || TestRequest::get().insert_header(("X-Username", "dora"));
    let unknown = || TestRequest::get().insert_header(("X-Username", "eve"));
    let reply = send!(&app, known().uri("/custom"));
    assert_eq!(
        reply.summary(),
        (
            200,
            None,
            r#"{"by":"XUsernameAuthentication","user":"dora"}"#
        )
    );
    let reply = send!(&app, unknown().uri("/custom"));
    assert_eq!(reply.summary(), (403, None, r#"{"detail":"No such user"}"#));
    let reply = send!(&app, TestRequest::get().uri("/custom"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    let reply = send!(&app, unknown().uri("/challenged"));
    assert_eq!(
        reply.summary(),
        (401, Some("X-Username"), r#"{"detail":"No such user"}"#)
    );
}

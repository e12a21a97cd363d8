//! The pipeline over HTTP (spec sections 1, 2.2 and 3): authenticator order,
//! 401/403 selection, defaults versus attributes, permissions and their
//! composition, method handling, object permissions and error rendering.
//! Token authentication uses an in-memory token store.

mod throttles;

use std::any::Any;
use std::borrow::Cow;

use crate::common::{
    assert_bare_basic_forbidden, detail, with_auth, MemoryTokens, DENIED, NOT_PROVIDED,
};
use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::test::{init_service, TestRequest};
use actix_web::{get, web, App, HttpResponse};
use auth_actix::prelude::*;
use auth_actix::{
    ApiError, AuthError, AuthResult, Authenticated, DynAuthentication, PermissionRequest,
    UnauthenticatedUser,
};
use serde_json::json;

fn settings() -> auth_actix::AuthSettingsBuilder {
    AuthSettings::builder().token_store(MemoryTokens::fixture())
}

fn token(req: TestRequest, key: &str) -> TestRequest {
    with_auth(req, format!("Token {key}").as_bytes())
}

/// What the handler saw.
fn describe(request: &AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "user": request.user().to_string(),
        "auth": request.auth().and_then(|a| a.as_token()).map(|t| t.key.clone()),
        "authenticator": request.successful_authenticator(),
    }))
}

// ---------------------------------------------------------------- views

/// Token first, then Basic.
#[api_view(GET, POST)]
#[authentication_classes(TokenAuthentication, BasicAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn token_first(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication, TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn basic_first(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication, TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote_first(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes()]
#[permission_classes(IsAuthenticated)]
async fn no_authenticators(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes()]
async fn no_permissions(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET, POST)]
async fn all_defaults(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[permission_classes(AllowAny)]
async fn default_authentication(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication<Bearer>)]
async fn default_permissions(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

/// Denies with its own message and code.
#[derive(Default)]
struct DenyWithMessage;

impl Permission for DenyWithMessage {
    fn has_permission(&self, _: &PermissionRequest<'_>) -> bool {
        false
    }
    fn message(&self) -> Option<Cow<'static, str>> {
        Some("Custom: go away.".into())
    }
    fn code(&self) -> Option<Cow<'static, str>> {
        Some("custom_code".into())
    }
}

#[derive(Default)]
struct DenySecond;

impl Permission for DenySecond {
    fn has_permission(&self, _: &PermissionRequest<'_>) -> bool {
        false
    }
    fn message(&self) -> Option<Cow<'static, str>> {
        Some("second".into())
    }
}

macro_rules! permission_view {
    ($name:ident, $($perm:tt)*) => {
        #[api_view(GET, POST, PUT, PATCH, DELETE, TRACE)]
        #[authentication_classes(TokenAuthentication)]
        #[permission_classes($($perm)*)]
        async fn $name(request: AuthRequest) -> HttpResponse {
            describe(&request)
        }
    };
}

permission_view!(p_allow_any, AllowAny);
permission_view!(p_is_authenticated, IsAuthenticated);
permission_view!(p_is_admin, IsAdminUser);
permission_view!(p_or_read_only, IsAuthenticatedOrReadOnly);
permission_view!(p_admin_or_read_only, IsAdminUser | ReadOnly);
permission_view!(p_not_admin, !IsAdminUser);
permission_view!(p_custom_message, DenyWithMessage);
permission_view!(p_composed_message, IsAuthenticated & DenyWithMessage);
permission_view!(p_list_order, IsAuthenticated, DenyWithMessage, DenySecond);
permission_view!(p_precedence, IsAdminUser | ReadOnly & !IsAuthenticated);

fn permission_app_services(cfg: &mut web::ServiceConfig) {
    for (path, route) in [
        ("/allow-any", web::to(p_allow_any)),
        ("/is-authenticated", web::to(p_is_authenticated)),
        ("/is-admin", web::to(p_is_admin)),
        ("/or-read-only", web::to(p_or_read_only)),
        ("/admin-or-read-only", web::to(p_admin_or_read_only)),
        ("/not-admin", web::to(p_not_admin)),
        ("/custom-message", web::to(p_custom_message)),
        ("/composed-message", web::to(p_composed_message)),
        ("/list-order", web::to(p_list_order)),
        ("/precedence", web::to(p_precedence)),
    ] {
        cfg.service(web::resource(path).route(route));
    }
}

// ---------------------------------------------------------------- 401/403 selection

#[actix_web::test]
async fn token_success_sets_user_auth_and_authenticator() {
    let app = serve!(settings().build().unwrap(), "/" => token_first);
    let reply = send!(&app, token(TestRequest::get().uri("/"), "member-key"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        r#"{"auth":"member-key","authenticator":"TokenAuthentication","user":"member"}"#
    );
    assert_eq!(reply.header("allow"), Some("GET, POST, OPTIONS"));
}

#[actix_web::test]
async fn the_first_class_decides_the_challenge() {
    let app = serve!(
        settings().build().unwrap(),
        "/token-first" => token_first,
        "/basic-first" => basic_first,
        "/remote-first" => remote_first
    );
    let not_provided = detail(NOT_PROVIDED);
    let reply = send!(&app, TestRequest::get().uri("/token-first"));
    assert_eq!(reply.summary(), (401, Some("Token"), not_provided.as_str()));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let reply = send!(&app, TestRequest::get().uri("/basic-first"));
    assert_eq!(
        reply.summary(),
        (401, Some("Basic realm=\"api\""), not_provided.as_str())
    );
    // A class without a challenge first: 403, no WWW-Authenticate.
    let reply = send!(&app, TestRequest::get().uri("/remote-first"));
    assert_eq!(reply.summary(), (403, None, not_provided.as_str()));

    // The header is the first class's, not the one that raised.
    let invalid = detail("Invalid token.");
    let reply = send!(&app, token(TestRequest::get().uri("/basic-first"), "nope"));
    assert_eq!(
        reply.summary(),
        (401, Some("Basic realm=\"api\""), invalid.as_str())
    );
    let reply = send!(&app, token(TestRequest::get().uri("/remote-first"), "nope"));
    assert_eq!(reply.summary(), (403, None, invalid.as_str()));
    let no_credentials = detail("Invalid basic header. No credentials provided.");
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/token-first"), b"Basic")
    );
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), no_credentials.as_str())
    );
}

#[actix_web::test]
async fn no_authenticators_means_permission_denied_not_unauthenticated() {
    let app = serve!(
        settings().build().unwrap(),
        "/none" => no_authenticators,
        "/open" => no_permissions
    );
    let reply = send!(&app, TestRequest::get().uri("/none"));
    assert_eq!(reply.summary(), (403, None, detail(DENIED).as_str()));
    // A token header is not even looked at.
    let reply = send!(&app, token(TestRequest::get().uri("/none"), "member-key"));
    assert_eq!(reply.status, 403);

    let reply = send!(&app, TestRequest::get().uri("/open"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        r#"{"auth":null,"authenticator":null,"user":"AnonymousUser"}"#
    );
    // Authentication is eager: bad credentials fail even with no permissions.
    let reply = send!(&app, token(TestRequest::get().uri("/open"), "nope"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail("Invalid token.").as_str())
    );
}

/// An authentication class that always fails, and one that always succeeds.
#[derive(Default)]
struct AlwaysFails;

impl Authentication for AlwaysFails {
    async fn authenticate(&self, _: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        Err(AuthError::authentication_failed_default())
    }
    fn authenticate_header(
        &self,
        _: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        Some("Fails".into())
    }
}

#[derive(Default)]
struct AlwaysSucceeds;

impl Authentication for AlwaysSucceeds {
    async fn authenticate(&self, _: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        Ok(Some(Authenticated::user(crate::common::user(
            9, "always", false, true,
        ))))
    }
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication, AlwaysFails, AlwaysSucceeds)]
#[permission_classes(AllowAny)]
async fn walk(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[actix_web::test]
async fn the_walk_stops_at_the_first_success_or_failure() {
    let app = serve!(settings().build().unwrap(), "/" => walk);
    // Token succeeds: later classes never run.
    let reply = send!(&app, token(TestRequest::get().uri("/"), "member-key"));
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains(r#""user":"member""#));
    // Token not attempted, the next class fails: the one after never runs.
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Token"),
            detail("Incorrect authentication credentials.").as_str()
        )
    );
}

// ---------------------------------------------------------------- defaults

#[actix_web::test]
async fn a_view_without_attributes_uses_the_defaults_and_each_attribute_replaces_its_own_list() {
    let settings = settings()
        .default_authentication_classes([DynAuthentication::new(TokenAuthentication::<
            auth_actix::keyword::Token,
        >::new())])
        .default_permission_classes([IsAuthenticated])
        .build()
        .unwrap();
    let app = serve!(
        settings,
        "/defaults" => all_defaults,
        "/default-auth" => default_authentication,
        "/default-perms" => default_permissions
    );
    let reply = send!(&app, TestRequest::get().uri("/defaults"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(
        &app,
        token(TestRequest::get().uri("/defaults"), "member-key")
    );
    assert_eq!(reply.status, 200);

    // Permissions replaced (AllowAny), authentication still the default (Token).
    let reply = send!(&app, TestRequest::get().uri("/default-auth"));
    assert_eq!(reply.status, 200);
    let reply = send!(&app, token(TestRequest::get().uri("/default-auth"), "bad"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail("Invalid token.").as_str())
    );

    // Authentication replaced (Bearer), permissions still the default (IsAuthenticated).
    let reply = send!(&app, TestRequest::get().uri("/default-perms"));
    assert_eq!(
        reply.summary(),
        (401, Some("Bearer"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(
        &app,
        with_auth(
            TestRequest::get().uri("/default-perms"),
            b"Bearer staff-key"
        )
    );
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains(r#""user":"staff""#));
    let reply = send!(
        &app,
        token(TestRequest::get().uri("/default-perms"), "staff-key")
    );
    assert_eq!(reply.status, 401, "the Token keyword is not Bearer's");
}

#[actix_web::test]
async fn drf_default_settings_allow_anyone() {
    // DRF's defaults: AllowAny; `[SessionAuthentication, BasicAuthentication]`,
    // so a bad Basic header is a 403 without a challenge (rule 9).
    let app = serve!(AuthSettings::builder().build().unwrap(), "/" => all_defaults);
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.status, 200);
    let reply = send!(&app, with_auth(TestRequest::get().uri("/"), b"Basic"));
    assert_bare_basic_forbidden(&reply);
}

#[actix_web::test]
async fn realm_comes_from_the_basic_config() {
    let realm = auth_actix::BasicConfig::new("internal").unwrap();
    let app = serve!(settings().build().unwrap(), with realm, "/" => basic_first);
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"internal\"")
    );
    // A realm that cannot be sent in a header is refused when configured.
    assert_eq!(
        auth_actix::BasicConfig::new("a\nb").unwrap_err(),
        auth_actix::ConfigError::InvalidRealm("a\nb".into())
    );
}

// ---------------------------------------------------------------- permissions

#[actix_web::test]
async fn each_permission_and_composition() {
    let app = init_service(
        App::new()
            .app_data(settings().build().unwrap())
            .configure(permission_app_services),
    )
    .await;
    let not_provided = detail(NOT_PROVIDED);
    let denied = detail(DENIED);
    // (path, method, token, expected status, expected body or "" for success)
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        ("/allow-any", "DELETE", None, 200, ""),
        ("/is-authenticated", "GET", None, 401, &not_provided),
        ("/is-authenticated", "GET", Some("member-key"), 200, ""),
        ("/is-admin", "GET", None, 401, &not_provided),
        ("/is-admin", "GET", Some("member-key"), 403, &denied),
        ("/is-admin", "GET", Some("staff-key"), 200, ""),
        ("/or-read-only", "GET", None, 200, ""),
        ("/or-read-only", "POST", None, 401, &not_provided),
        ("/or-read-only", "TRACE", None, 401, &not_provided),
        ("/or-read-only", "POST", Some("member-key"), 200, ""),
        ("/admin-or-read-only", "GET", Some("member-key"), 200, ""),
        (
            "/admin-or-read-only",
            "PUT",
            Some("member-key"),
            403,
            &denied,
        ),
        ("/admin-or-read-only", "PUT", Some("staff-key"), 200, ""),
        ("/admin-or-read-only", "PATCH", None, 401, &not_provided),
        ("/not-admin", "GET", Some("member-key"), 200, ""),
        ("/not-admin", "GET", Some("staff-key"), 403, &denied),
        ("/not-admin", "GET", None, 200, ""),
        // The permission's message shows only when authenticated.
        (
            "/custom-message",
            "GET",
            Some("member-key"),
            403,
            r#"{"detail":"Custom: go away."}"#,
        ),
        ("/custom-message", "GET", None, 401, &not_provided),
        // A composition has no message of its own.
        ("/composed-message", "GET", Some("member-key"), 403, &denied),
        ("/composed-message", "GET", None, 401, &not_provided),
        // The first denial in the list decides.
        (
            "/list-order",
            "GET",
            Some("member-key"),
            403,
            r#"{"detail":"Custom: go away."}"#,
        ),
        ("/list-order", "GET", None, 401, &not_provided),
        // IsAdminUser | (ReadOnly & !IsAuthenticated)
        ("/precedence", "GET", None, 200, ""),
        ("/precedence", "GET", Some("member-key"), 403, &denied),
        ("/precedence", "POST", Some("staff-key"), 200, ""),
    ];
    for &(path, method, key, status, body) in cases {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = TestRequest::default().method(method.clone()).uri(path);
        if let Some(key) = key {
            req = token(req, key);
        }
        let reply = send!(&app, req);
        assert_eq!(
            reply.status, status,
            "{method} {path} {key:?}: {}",
            reply.body
        );
        if !body.is_empty() {
            assert_eq!(reply.body, body, "{method} {path} {key:?}");
        }
        let expected_challenge = (status == 401).then_some("Token");
        assert_eq!(
            reply.header("www-authenticate"),
            expected_challenge,
            "{method} {path}"
        );
    }
}

// ---------------------------------------------------------------- methods

#[actix_web::test]
async fn method_not_allowed_comes_after_authentication_and_permissions() {
    let app = serve!(settings().build().unwrap(), "/" => token_first);
    // A logged-out DELETE on a protected view is a 401, not a 405.
    let reply = send!(&app, TestRequest::delete().uri("/"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    assert_eq!(reply.header("allow"), Some("GET, POST, OPTIONS"));
    // Bad credentials first, too.
    let reply = send!(&app, token(TestRequest::delete().uri("/"), "nope"));
    assert_eq!(reply.status, 401);
    // Authenticated: 405 with DRF's body and Allow.
    let reply = send!(&app, token(TestRequest::delete().uri("/"), "member-key"));
    assert_eq!(
        reply.summary(),
        (405, None, r#"{"detail":"Method \"DELETE\" not allowed."}"#)
    );
    assert_eq!(reply.header("allow"), Some("GET, POST, OPTIONS"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let propfind = actix_web::http::Method::from_bytes(b"PROPFIND").unwrap();
    let reply = send!(
        &app,
        token(
            TestRequest::default().method(propfind).uri("/"),
            "member-key"
        )
    );
    assert_eq!(
        reply.summary(),
        (
            405,
            None,
            r#"{"detail":"Method \"PROPFIND\" not allowed."}"#
        )
    );
    // HEAD is its own method in @api_view: not listed, not allowed.
    let reply = send!(
        &app,
        token(
            TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri("/"),
            "member-key"
        )
    );
    assert_eq!(reply.status, 405);
}

/// Example view.
///
/// Second paragraph.
#[api_view(GET, HEAD)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
async fn example_view() -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true}))
}

#[actix_web::test]
async fn options_and_head() {
    let app = serve!(
        settings().build().unwrap(),
        "/example" => example_view,
        "/protected" => token_first
    );
    let reply = send!(
        &app,
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/example")
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        r#"{"name":"Example View","description":"Example view.\n\nSecond paragraph.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#
    );
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    let reply = send!(
        &app,
        TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/example")
    );
    // Listed, so served by the handler (actix's HTTP encoder drops the body on the wire).
    assert_eq!(reply.status, 200);
    // OPTIONS goes through authentication and permissions too.
    let reply = send!(
        &app,
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/protected")
    );
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(
        &app,
        token(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/protected"),
            "member-key"
        )
    );
    assert_eq!(reply.status, 200);
    assert!(reply
        .body
        .starts_with(r#"{"name":"Token First","description":"Token first, then Basic.""#));
}

// ---------------------------------------------------------------- attribute placement

#[get("/above")]
#[api_view(GET)]
#[permission_classes(IsAuthenticated)]
#[authentication_classes(TokenAuthentication)]
async fn actix_route_above(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[get("/below")]
#[permission_classes(IsAuthenticated)]
async fn actix_route_below(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[actix_web::test]
async fn attributes_work_above_and_below_actix_routes() {
    let app = init_service(
        App::new()
            .app_data(settings().build().unwrap())
            .service(actix_route_above)
            .service(actix_route_below),
    )
    .await;
    for path in ["/above", "/below"] {
        let reply = send!(&app, TestRequest::get().uri(path));
        assert_eq!(
            reply.summary(),
            (401, Some("Token"), detail(NOT_PROVIDED).as_str()),
            "{path}"
        );
        let reply = send!(&app, token(TestRequest::get().uri(path), "member-key"));
        assert_eq!(reply.status, 200, "{path}");
    }
}

// ---------------------------------------------------------------- extractors and handler errors

#[derive(serde::Deserialize)]
struct Note {
    text: String,
}

#[api_view(POST)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn create_note(request: AuthRequest, note: web::Json<Note>) -> HttpResponse {
    HttpResponse::Created().json(json!({"owner": request.user().to_string(), "text": note.text}))
}

#[actix_web::test]
async fn authentication_runs_before_the_body_is_parsed() {
    let app = serve!(settings().build().unwrap(), "/" => create_note);
    let bad_body = || {
        TestRequest::post()
            .uri("/")
            .insert_header(("content-type", "application/json"))
            .set_payload("{not json")
    };
    let reply = send!(&app, bad_body());
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(&app, token(bad_body(), "member-key"));
    assert_eq!(reply.status, 400, "actix's JSON error once authenticated");
    let reply = send!(
        &app,
        token(
            TestRequest::post().uri("/").set_json(json!({"text": "hi"})),
            "member-key"
        )
    );
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body, r#"{"owner":"member","text":"hi"}"#);
}

struct Document {
    owner: String,
}

/// Only the owner of a document.
#[derive(Default)]
struct IsOwner;

impl Permission for IsOwner {
    fn has_object_permission(&self, request: &PermissionRequest<'_>, obj: &dyn Any) -> bool {
        obj.downcast_ref::<Document>()
            .is_some_and(|doc| doc.owner == request.user().username())
    }
    fn message(&self) -> Option<Cow<'static, str>> {
        Some("Not your document.".into())
    }
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticatedOrReadOnly, IsOwner)]
async fn document(
    owner: web::Path<String>,
    request: AuthRequest,
) -> Result<HttpResponse, ApiError> {
    let doc = Document {
        owner: owner.into_inner(),
    };
    request.check_object_permissions(&doc)?;
    Ok(HttpResponse::Ok().json(json!({"owner": doc.owner})))
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(!IsAdminUser)]
async fn negated_object(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    request.check_object_permissions(&())?;
    Ok(HttpResponse::Ok().finish())
}

#[actix_web::test]
async fn object_permissions_from_the_handler() {
    let app = serve!(
        settings().build().unwrap(),
        "/docs/{owner}" => document,
        "/negated" => negated_object
    );
    let reply = send!(
        &app,
        token(TestRequest::get().uri("/docs/member"), "member-key")
    );
    assert_eq!(reply.summary(), (200, None, r#"{"owner":"member"}"#));
    let reply = send!(
        &app,
        token(TestRequest::get().uri("/docs/staff"), "member-key")
    );
    assert_eq!(
        reply.summary(),
        (403, None, r#"{"detail":"Not your document."}"#)
    );
    // Anonymous (read-only allowed at view level): an object denial is NotAuthenticated.
    let reply = send!(&app, TestRequest::get().uri("/docs/member"));
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    assert_eq!(reply.header("allow"), Some("GET, OPTIONS"));
    // `!IsAdminUser` passes the view check and denies every object.
    let reply = send!(
        &app,
        token(TestRequest::get().uri("/negated"), "member-key")
    );
    assert_eq!(reply.summary(), (403, None, detail(DENIED).as_str()));
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication, TokenAuthentication)]
#[permission_classes(AllowAny)]
async fn raises(kind: web::Path<String>) -> Result<HttpResponse, ApiError> {
    match kind.as_str() {
        "unauthenticated" => Err(AuthError::not_authenticated().into()),
        "not-found" => Err(AuthError::not_found().into()),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

#[actix_web::test]
async fn errors_raised_by_the_handler_get_the_views_context() {
    let app = serve!(settings().build().unwrap(), "/{kind}" => raises);
    let reply = send!(&app, TestRequest::get().uri("/unauthenticated"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Basic realm=\"api\""),
            detail(NOT_PROVIDED).as_str()
        )
    );
    assert_eq!(reply.header("allow"), Some("GET, OPTIONS"));
    let reply = send!(&app, TestRequest::get().uri("/not-found"));
    assert_eq!(reply.summary(), (404, None, r#"{"detail":"Not found."}"#));
}

// ---------------------------------------------------------------- settings

#[actix_web::test]
async fn unauthenticated_user_and_token_settings() {
    let settings = settings()
        .unauthenticated_user(UnauthenticatedUser::None)
        .build()
        .unwrap();
    let app = serve!(settings, "/" => no_permissions);
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(
        reply.body,
        r#"{"auth":null,"authenticator":null,"user":"None"}"#
    );
}

#[actix_web::test]
async fn settings_as_web_data_work_too() {
    let app = serve!(web::Data::new(settings().build().unwrap()), "/" => token_first);
    let reply = send!(&app, token(TestRequest::get().uri("/"), "member-key"));
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn missing_settings_is_a_clear_server_error() {
    let app = init_service(App::new().route("/", web::to(token_first))).await;
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.status, 500);
    assert!(
        reply.body.contains("no AuthSettings in the app data"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(".app_data(AuthSettings::builder()"),
        "{}",
        reply.body
    );
}

async fn plain_handler(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[actix_web::test]
async fn auth_request_outside_the_pipeline_fails_closed() {
    let app = serve!(settings().build().unwrap(), "/" => plain_handler);
    let reply = send!(&app, token(TestRequest::get().uri("/"), "member-key"));
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .body
            .contains("not behind the authentication pipeline"),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn the_error_body_hook_replaces_bodies_only() {
    let settings = settings()
        .error_body(|err| json!({"error": {"code": err.code(), "message": err.to_string()}}))
        .build()
        .unwrap();
    let app = serve!(settings, "/" => token_first);
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Token"),
            r#"{"error":{"code":"not_authenticated","message":"Authentication credentials were not provided."}}"#
        )
    );
    let reply = send!(&app, token(TestRequest::delete().uri("/"), "member-key"));
    assert_eq!(reply.status, 405);
    assert!(reply.body.contains("method_not_allowed"));
}

#[actix_web::test]
async fn raw_header_bytes_reach_the_classes() {
    let app = serve!(settings().build().unwrap(), "/" => token_first);
    let req = TestRequest::get().uri("/").insert_header((
        AUTHORIZATION,
        HeaderValue::from_bytes(b"Token member-key\xb8").unwrap(),
    ));
    let reply = send!(&app, req);
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Token"),
            detail("Invalid token header. Token string should not contain invalid characters.")
                .as_str()
        )
    );
}

//! The same pipeline in its other two forms: a class-based view (DRF's
//! `APIView`) and a middleware for scopes and resources.

use crate::common::{
    assert_bare_basic_forbidden, detail, with_auth, MemoryTokens, DENIED, NOT_PROVIDED,
};
use actix_web::http::Method;
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::metadata::{FieldInfo, Metadata};
use auth_actix::prelude::*;
use auth_actix::{ApiError, AuthError, AuthPipeline};
use serde_json::json;

fn settings() -> AuthSettings {
    AuthSettings::builder()
        .token_store(MemoryTokens::fixture())
        .build()
        .unwrap()
}

fn token(req: TestRequest, key: &str) -> TestRequest {
    with_auth(req, format!("Token {key}").as_bytes())
}

struct NoteListView;

/// Notes of the current user.
///
/// Read by anyone, written by users.
#[api_view]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticatedOrReadOnly)]
impl NoteListView {
    async fn get(request: AuthRequest) -> HttpResponse {
        HttpResponse::Ok()
            .json(json!({"method": request.method().as_str(), "user": request.user().to_string()}))
    }

    async fn post(request: AuthRequest, body: web::Json<serde_json::Value>) -> HttpResponse {
        HttpResponse::Created()
            .json(json!({"user": request.user().to_string(), "body": body.into_inner()}))
    }

    /// Not a handler: helpers live in the same block.
    #[allow(dead_code)]
    fn helper() -> u8 {
        1
    }
}

struct AdminOnly;

#[permission_classes(IsAdminUser)]
impl AdminOnly {
    async fn delete(request: AuthRequest) -> Result<HttpResponse, ApiError> {
        if request.user().username() == "staff" {
            return Err(AuthError::not_found().into());
        }
        Ok(HttpResponse::NoContent().finish())
    }
}

#[actix_web::test]
async fn class_based_view() {
    let app = init_service(
        App::new()
            .app_data(settings())
            .wrap(crate::common::sessions())
            .service(NoteListView::resource("/notes"))
            .route("/admin", web::to(AdminOnly::as_view())),
    )
    .await;
    let allow = Some("GET, POST, HEAD, OPTIONS");
    let reply = send!(&app, TestRequest::get().uri("/notes"));
    assert_eq!(
        reply.summary(),
        (200, None, r#"{"method":"GET","user":"AnonymousUser"}"#)
    );
    assert_eq!(reply.header("allow"), allow);
    // Django's `head = get`.
    let reply = send!(
        &app,
        TestRequest::default().method(Method::HEAD).uri("/notes")
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("allow"), allow);
    let reply = send!(
        &app,
        TestRequest::post().uri("/notes").set_json(json!({"a": 1}))
    );
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(
        &app,
        token(
            TestRequest::post().uri("/notes").set_json(json!({"a": 1})),
            "member-key"
        )
    );
    assert_eq!(
        reply.summary(),
        (201, None, r#"{"body":{"a":1},"user":"member"}"#)
    );
    let reply = send!(
        &app,
        token(TestRequest::delete().uri("/notes"), "member-key")
    );
    assert_eq!(
        reply.summary(),
        (405, None, r#"{"detail":"Method \"DELETE\" not allowed."}"#)
    );
    assert_eq!(reply.header("allow"), allow);
    // A write method the view lacks, anonymously: the permission check comes first.
    let reply = send!(&app, TestRequest::delete().uri("/notes"));
    assert_eq!(reply.status, 401);
    let reply = send!(
        &app,
        TestRequest::default().method(Method::OPTIONS).uri("/notes")
    );
    assert_eq!(
        reply.body,
        r#"{"name":"Note List","description":"Notes of the current user.\n\nRead by anyone, written by users.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#
    );

    // Default authentication classes (Session, Basic: 403 without a
    // challenge) with the view's own permissions.
    let reply = send!(&app, TestRequest::delete().uri("/admin"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    assert_eq!(reply.header("allow"), Some("DELETE, OPTIONS"));
    let reply = send!(&app, TestRequest::get().uri("/admin"));
    assert_eq!(
        reply.status, 403,
        "authentication and permissions before the 405"
    );
}

/// A serializer's fields for `OPTIONS` (DRF's `SimpleMetadata`).
const NOTE: Metadata = Metadata::new().serializer(&[
    FieldInfo::new("id", "integer", "ID").read_only(),
    FieldInfo::new("text", "string", "Text"),
]);

/// Rustdoc, not the `OPTIONS` description.
#[api_view(GET, POST, PUT, path = "/notes/", description = "Notes.", metadata = NOTE)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticatedOrReadOnly)]
async fn notes(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::test]
async fn a_view_at_its_path_describes_its_serializer() {
    let app = init_service(
        App::new()
            .app_data(settings())
            .service(notes)
            .service(web::resource("/elsewhere/").to(notes)),
    )
    .await;
    let options = |uri| TestRequest::default().method(Method::OPTIONS).uri(uri);
    let head = r#"{"name":"Notes","description":"Notes.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]"#;
    // Anonymous users may not write: no `actions` (DRF's `determine_actions`).
    for uri in [notes::PATH, "/elsewhere/"] {
        let reply = send!(&app, options(uri));
        assert_eq!(reply.summary(), (200, None, format!("{head}}}").as_str()));
        assert_eq!(reply.header("allow"), Some("GET, POST, PUT, OPTIONS"));
    }
    let fields = r#"{"id":{"type":"integer","required":false,"read_only":true,"label":"ID"},"text":{"type":"string","required":true,"read_only":false,"label":"Text"}}"#;
    let reply = send!(&app, token(options("/notes/"), "member-key"));
    assert_eq!(
        reply.body,
        format!(r#"{head},"actions":{{"POST":{fields},"PUT":{fields}}}}}"#)
    );
    let reply = send!(&app, token(TestRequest::get().uri("/notes/"), "member-key"));
    assert_eq!(reply.summary(), (200, None, "member"));
}

async fn scoped_notes(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"user": request.user().to_string(), "by": request.successful_authenticator()}))
}

async fn scoped_error(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let _ = request;
    Err(AuthError::not_authenticated().into())
}

#[actix_web::test]
async fn middleware_on_a_scope_and_a_resource() {
    let app = init_service(
        App::new()
            .app_data(settings())
            .wrap(crate::common::sessions())
            .service(
                web::scope("/api")
                    .wrap(
                        AuthPipeline::new()
                            .authentication_classes((TokenAuthentication::<Bearer>::new(),))
                            .permission_classes((IsAdminUser | ReadOnly,)),
                    )
                    .route("/notes", web::get().to(scoped_notes))
                    .route("/notes", web::post().to(scoped_notes))
                    .route("/error", web::get().to(scoped_error)),
            )
            .service(
                web::resource("/defaults")
                    .wrap(AuthPipeline::new())
                    .route(web::get().to(scoped_notes)),
            ),
    )
    .await;
    let reply = send!(&app, TestRequest::get().uri("/api/notes"));
    assert_eq!(
        reply.summary(),
        (200, None, r#"{"by":null,"user":"AnonymousUser"}"#)
    );
    assert_eq!(
        reply.header("allow"),
        None,
        "methods are the router's business"
    );
    let reply = send!(&app, TestRequest::post().uri("/api/notes"));
    assert_eq!(
        reply.summary(),
        (401, Some("Bearer"), detail(NOT_PROVIDED).as_str())
    );
    let reply = send!(
        &app,
        with_auth(TestRequest::post().uri("/api/notes"), b"Bearer member-key")
    );
    assert_eq!(reply.summary(), (403, None, detail(DENIED).as_str()));
    let reply = send!(
        &app,
        with_auth(TestRequest::post().uri("/api/notes"), b"Bearer staff-key")
    );
    assert_eq!(
        reply.summary(),
        (200, None, r#"{"by":"TokenAuthentication","user":"staff"}"#)
    );
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/api/notes"), b"Bearer nope")
    );
    assert_eq!(
        reply.summary(),
        (401, Some("Bearer"), detail("Invalid token.").as_str())
    );
    // An error from the handler gets the scope's context.
    let reply = send!(&app, TestRequest::get().uri("/api/error"));
    assert_eq!(
        reply.summary(),
        (401, Some("Bearer"), detail(NOT_PROVIDED).as_str())
    );

    // Defaults: Session, Basic + AllowAny (a bad Basic header is a 403).
    let reply = send!(&app, TestRequest::get().uri("/defaults"));
    assert_eq!(reply.status, 200);
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/defaults"), b"Basic")
    );
    assert_bare_basic_forbidden(&reply);
}

#[actix_web::test]
async fn middleware_without_settings_is_a_clear_server_error() {
    let app = init_service(
        App::new().service(
            web::resource("/")
                .wrap(AuthPipeline::new())
                .route(web::get().to(scoped_notes)),
        ),
    )
    .await;
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("no AuthSettings"), "{}", reply.body);
}

//! Handlers keep their extractors, patterns, return types, docs and lints.
use actix_web::{web, HttpRequest, HttpResponse, Responder};
use auth_actix::prelude::*;
use auth_actix::ApiError;

#[derive(serde::Deserialize)]
struct Note {
    text: String,
}

/// Creates a note.
#[api_view(POST)]
#[permission_classes(IsAuthenticated)]
#[allow(clippy::needless_pass_by_value)]
pub async fn create(
    request: AuthRequest,
    path: web::Path<(u32, u32)>,
    web::Json(mut note): web::Json<Note>,
    http: HttpRequest,
) -> Result<impl Responder, ApiError> {
    note.text.push('!');
    let (a, b) = path.into_inner();
    let _ = (request.user(), a + b, http.path());
    Ok(web::Json(serde_json::json!({ "text": note.text })))
}

#[api_view(GET)]
pub(crate) async fn no_arguments() -> &'static str {
    "hello"
}

fn main() {
    let _ = (create, no_arguments);
}

//! A class-based view: handlers are the `impl` block's `get`, `post`, …
use actix_web::{web, App, HttpResponse};
use auth_actix::prelude::*;

struct NoteList;

/// Notes.
#[api_view]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
impl NoteList {
    async fn get(request: AuthRequest) -> HttpResponse {
        HttpResponse::Ok().body(request.user().to_string())
    }

    async fn post(body: web::Json<serde_json::Value>) -> impl Responder {
        body
    }

    fn not_a_handler(&self) -> u8 {
        1
    }
}

struct Defaults;

#[permission_classes(AllowAny)]
impl Defaults {
    async fn delete() -> &'static str {
        "gone"
    }
}

fn main() {
    let _ = NoteList.not_a_handler();
    let _app = App::new()
        .service(NoteList::resource("/notes"))
        .route("/defaults", web::to(Defaults::as_view()));
}

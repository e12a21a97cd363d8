//! The pipeline as a middleware on a scope: plain actix-web handlers, no
//! attributes. Everything under `/api` authenticates with Token or Basic and
//! lets anyone read but only users write (`IsAuthenticatedOrReadOnly`);
//! `/health/` stays outside.
//!
//! ```text
//! cargo run -p examples --bin scope_middleware
//! curl http://127.0.0.1:8000/api/notes/                                    # 200, as AnonymousUser
//! curl -i -X POST -d '{"text":"hi"}' -H 'Content-Type: application/json' \
//!      http://127.0.0.1:8000/api/notes/                                    # 401, WWW-Authenticate: Token
//! curl -u demo:demo-password -X POST -d '{"text":"hi"}' \
//!      -H 'Content-Type: application/json' http://127.0.0.1:8000/api/notes/  # 201
//! ```
//!
//! Unlike `#[api_view]`, the middleware leaves methods to the router: a method
//! no route takes is actix-web's own 404/405, with no `Allow` header.

use std::process::ExitCode;

use actix_web::{web, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::AuthPipeline;
use examples::config;
use serde::Deserialize;

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

async fn list_notes(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": request.user().to_string(),
        "notes": [],
    }))
}

#[derive(Deserialize)]
struct Note {
    text: String,
}

async fn create_note(request: AuthRequest, note: web::Json<Note>) -> HttpResponse {
    HttpResponse::Created().json(serde_json::json!({
        "owner": request.user().to_string(),
        "text": note.text,
    }))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store = config::open_store(&config::database_url("scope_middleware.sqlite3"))?;
    let token = config::demo_account(&store, "demo", "demo-password")?.token;
    let settings = AuthSettings::builder().store(store).build()?;
    config::serve(
        "scope_middleware",
        move |addr, workers| async move {
            let server = HttpServer::new(move || {
                let pipeline = AuthPipeline::new()
                    .authentication_classes((TokenAuthentication::default(), BasicAuthentication))
                    .permission_classes((IsAuthenticatedOrReadOnly,));
                App::new()
                    .app_data(settings.clone())
                    .route("/health/", web::get().to(health))
                    .service(
                        web::scope("/api").wrap(pipeline).service(
                            web::resource("/notes/")
                                .route(web::get().to(list_notes))
                                .route(web::post().to(create_note)),
                        ),
                    )
            })
            .workers(workers)
            .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| {
            format!(
                "\n  curl {base}/api/notes/\n  \
                 curl -H 'Authorization: Token {token}' -H 'Content-Type: application/json' \
                 -d '{{\"text\":\"hi\"}}' {base}/api/notes/\n  \
                 curl -u demo:demo-password -H 'Content-Type: application/json' \
                 -d '{{\"text\":\"hi\"}}' {base}/api/notes/\n"
            )
        },
    )
}

fn main() -> ExitCode {
    config::exit_on_error("scope_middleware", run)
}

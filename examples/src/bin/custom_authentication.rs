//! A custom authentication class: DRF's documentation example, which trusts
//! an `X-Username` header (see `examples::custom`).
//!
//! ```text
//! cargo run -p examples --bin custom_authentication
//! curl -H 'X-Username: demo' http://127.0.0.1:8000/whoami/   # 200 {"user":"demo"}
//! curl -H 'X-Username: eve'  http://127.0.0.1:8000/whoami/   # 403 {"detail":"No such user"}
//! curl http://127.0.0.1:8000/whoami/                         # 403 {"detail":"Authentication credentials were not provided."}
//! ```
//!
//! The class has no `WWW-Authenticate` challenge, so its denials are 403s.
//! Trusting a header the client sends is only sound behind a proxy that sets
//! it: the point here is how a class is written.

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use examples::config;
use examples::custom::XUsernameAuthentication;

/// Who is calling.
#[get("/whoami/")]
#[api_view(GET)]
#[authentication_classes(XUsernameAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "user": request.user().to_string() }))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store = config::open_store(&config::database_url("custom_authentication.sqlite3"))?;
    config::demo_account(&store, "demo", "demo-password")?;
    let settings = AuthSettings::builder().store(store).build()?;
    config::serve(
        "custom_authentication",
        move |addr, workers| async move {
            let server =
                HttpServer::new(move || App::new().app_data(settings.clone()).service(whoami))
                    .workers(workers)
                    .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| {
            format!(
                "\n  curl -H 'X-Username: demo' {base}/whoami/\n  \
                 curl -H 'X-Username: eve' {base}/whoami/\n  \
                 curl {base}/whoami/\n"
            )
        },
    )
}

fn main() -> ExitCode {
    config::exit_on_error("custom_authentication", run)
}

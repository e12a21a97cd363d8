//! Token authentication with the `Bearer` keyword (DRF: a subclass of
//! `TokenAuthentication` with `keyword = 'Bearer'`).
//!
//! ```text
//! cargo run -p examples --bin bearer_token
//! curl -H 'Authorization: Bearer <key printed at start>' http://127.0.0.1:8000/api/me/
//! curl -i http://127.0.0.1:8000/api/me/   # 401, WWW-Authenticate: Bearer
//! ```
//!
//! The keyword is a type parameter, so one app can accept `Token` on one view
//! and `Bearer` on another. A keyword of your own is one `impl`:
//!
//! ```
//! struct ApiKey;
//! impl auth_actix::Keyword for ApiKey {
//!     const KEYWORD: &'static str = "Api-Key";
//! }
//! // #[authentication_classes(TokenAuthentication<ApiKey>)]
//! ```

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use examples::config;

/// Who is calling, and with which token.
#[get("/api/me/")]
#[api_view(GET)]
#[authentication_classes(TokenAuthentication<Bearer>)]
#[permission_classes(IsAuthenticated)]
async fn me(request: AuthRequest) -> HttpResponse {
    let token = request.auth().and_then(|auth| auth.as_token());
    HttpResponse::Ok().json(serde_json::json!({
        "user": request.user().to_string(),
        "token": token.map(|token| token.key.as_str()),
    }))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store = config::open_store(&config::database_url("bearer_token.sqlite3"))?;
    let token = config::demo_account(&store, "demo", "demo-password")?.token;
    let settings = AuthSettings::builder().store(store).build()?;
    config::serve(
        "bearer_token",
        move |addr, workers| async move {
            let server = HttpServer::new(move || App::new().app_data(settings.clone()).service(me))
                .workers(workers)
                .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| {
            format!(
                "\nThe user demo's token: {token}\n\n  \
                 curl -H 'Authorization: Bearer {token}' {base}/api/me/\n  \
                 curl -i {base}/api/me/\n"
            )
        },
    )
}

fn main() -> ExitCode {
    config::exit_on_error("bearer_token", run)
}

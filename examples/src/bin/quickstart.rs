//! The quickstart: one command, nothing to install.
//!
//! ```text
//! cargo run -p examples --bin quickstart
//! ```
//!
//! It opens (or creates) the SQLite file `quickstart.sqlite3` in the current
//! directory, creates the tables, creates the user `demo` and its API token if
//! they are missing, starts a server on `127.0.0.1:8000`, and prints `curl`
//! lines to try each way of logging in: Basic, Token, `obtain_auth_token`, and
//! a session login with Django's CSRF protection.
//!
//! `DATABASE_URL`, `BIND_ADDR`, `WORKERS`, `SECRET_KEY` and `RUST_LOG` change
//! the defaults (see `examples::config`); `BIND_ADDR=127.0.0.1:0` picks a free
//! port.

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::views::{csrf, login, logout, obtain_auth_token};
use examples::config::{self, DemoAccount};

/// The demo account. Its password is printed on purpose: this is a demo.
const DEMO_USERNAME: &str = "demo";
const DEMO_PASSWORD: &str = "demo-password";

/// Who you are, and how you proved it.
#[get("/api/me/")]
#[api_view(GET)]
#[permission_classes(IsAuthenticated)]
async fn me(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": request.user().to_string(),
        "authenticated_by": request.successful_authenticator(),
    }))
}

fn instructions(base: &str, database: &str, account: &DemoAccount) -> String {
    let token = &account.token;
    let password_note = if account.password_works {
        format!(
            "Demo user: {DEMO_USERNAME}, password: {DEMO_PASSWORD}\n\
             (printed on purpose because this is a demo account; never print real passwords)"
        )
    } else {
        format!(
            "Demo user: {DEMO_USERNAME} (its password is no longer {DEMO_PASSWORD}: \
             it was changed, so the lines that send it will fail)"
        )
    };
    let session = config::session_curl_lines(base, DEMO_USERNAME, DEMO_PASSWORD);
    format!(
        "\nDatabase: {database}\n\n\
         {password_note}\n\
         Demo token: {token}\n\n\
         Basic authentication:\n\
         \x20 curl -u {DEMO_USERNAME}:{DEMO_PASSWORD} {base}/api/me/\n\n\
         Token authentication:\n\
         \x20 curl -H 'Authorization: Token {token}' {base}/api/me/\n\n\
         The token, from the username and password (DRF's obtain_auth_token):\n\
         \x20 curl -d username={DEMO_USERNAME} -d password={DEMO_PASSWORD} {base}/api-token-auth/\n\n\
         No credentials (403: the first default class, Session, has no WWW-Authenticate challenge):\n\
         \x20 curl -i {base}/api/me/\n\n\
         Session login, as a browser does it (Django's CSRF rules: fetch the token and its\n\
         cookie, then send both with the credentials; the session cookie is HttpOnly):\n\
         {session}\n\
         Press Ctrl-C to stop.\n"
    )
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let database = config::database_url("quickstart.sqlite3");
    let secret = config::secret_key()?;
    let store = config::open_store(&database)?;
    let account = config::demo_account(&store, DEMO_USERNAME, DEMO_PASSWORD)?;
    let sessions = DieselSessionStore::from(&store);
    let key = secret.cookie_key();
    let settings = AuthSettings::builder()
        .store(store)
        .site(config::site(&secret, &[])?)
        // DRF's defaults, and Token authentication.
        .default_authentication_classes((
            SessionAuthentication,
            BasicAuthentication,
            TokenAuthentication::default(),
        ))
        .build()?;
    config::serve(
        "quickstart",
        move |addr, workers| async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(settings.clone())
                    .wrap(session::django_defaults(sessions.clone(), key.clone()).build())
                    .wrap(FailClosed)
                    .service(me)
                    .service(obtain_auth_token)
                    .service(csrf)
                    .service(login)
                    .service(logout)
            })
            .workers(workers)
            .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| instructions(base, &database, &account),
    )
}

fn main() -> ExitCode {
    config::exit_on_error("quickstart", run)
}

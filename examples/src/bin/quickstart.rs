//! The quickstart: one command, nothing to install.
//!
//! ```text
//! cargo run -p examples --bin quickstart
//! ```
//!
//! It opens (or creates) the SQLite file `quickstart.sqlite3` in the current
//! directory, creates the tables, creates the user `demo` and its API token if
//! they are missing, starts a server on `127.0.0.1:8000`, and prints `curl`
//! lines to try each way of logging in.
//!
//! `DATABASE_URL`, `BIND_ADDR`, `WORKERS`, `SECRET_KEY` and `RUST_LOG` change
//! the defaults (see `examples::config`); `BIND_ADDR=127.0.0.1:0` picks a free
//! port.

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::auth_core::NewUser;
use auth_actix::prelude::*;
use auth_actix::{keyword, AuthStore, DynAuthentication};
use examples::config;

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

/// The demo user's token, creating the user and the token when they are missing.
/// Returns the key and whether the demo password still works.
fn demo_account(store: &AuthStore) -> Result<(String, bool), Box<dyn std::error::Error>> {
    let user = match store.user_by_username(DEMO_USERNAME)? {
        Some(user) => user,
        None => store.create_user(NewUser::new(DEMO_USERNAME, Some(DEMO_PASSWORD.to_owned())))?,
    };
    let password_works = store.authenticate(DEMO_USERNAME, DEMO_PASSWORD)?.is_some();
    let (token, _) = store.token_get_or_create(user.id)?;
    Ok((token.key, password_works))
}

fn instructions(base: &str, database: &str, token: &str, password_works: bool) -> String {
    let password_note = if password_works {
        format!(
            "Demo user: {DEMO_USERNAME}, password: {DEMO_PASSWORD}\n\
             (printed on purpose because this is a demo account; never print real passwords)"
        )
    } else {
        format!(
            "Demo user: {DEMO_USERNAME} (its password is no longer {DEMO_PASSWORD}: \
             it was changed, so the Basic line below will answer 401)"
        )
    };
    format!(
        "\nQuickstart server listening on {base} (database: {database})\n\n\
         {password_note}\n\
         Demo token: {token}\n\n\
         Basic authentication:\n\
         \x20 curl -u {DEMO_USERNAME}:{DEMO_PASSWORD} {base}/api/me/\n\n\
         Token authentication:\n\
         \x20 curl -H 'Authorization: Token {token}' {base}/api/me/\n\n\
         No credentials (401, with the challenge of the first default class, Basic):\n\
         \x20 curl -i {base}/api/me/\n\n\
         Press Ctrl-C to stop.\n"
    )
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let database = config::database_url("quickstart.sqlite3");
    let bind_addr = config::bind_addr();
    let workers = config::workers()?;

    let store = config::open_store(&database)?;
    let (token, password_works) = demo_account(&store)?;
    let settings = AuthSettings::builder()
        .store(store)
        .default_authentication_classes([
            DynAuthentication::new(BasicAuthentication),
            DynAuthentication::new(TokenAuthentication::<keyword::Token>::new()),
        ])
        .build()?;

    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || App::new().app_data(settings.clone()).service(me))
            .workers(workers)
            .bind(bind_addr.as_str())?;
        let base = server.addrs().first().map_or_else(
            || format!("http://{bind_addr}"),
            |addr| format!("http://{addr}"),
        );
        println!("{}", instructions(&base, &database, &token, password_works));
        server.run().await
    })?;
    Ok(())
}

fn main() -> ExitCode {
    config::init_logging();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart: {err}");
            ExitCode::FAILURE
        }
    }
}

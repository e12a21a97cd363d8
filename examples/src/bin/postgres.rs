//! The same authentication on PostgreSQL, for example the database of an
//! existing Django project: Django's users log in with their passwords, and
//! their DRF tokens keep working.
//!
//! ```text
//! DATABASE_URL=postgres://user:password@127.0.0.1:5432/mysite \
//!     cargo run -p examples --features postgres --bin postgres
//! curl -u <a Django user>:<their password> http://127.0.0.1:8000/api/me/
//! curl -H 'Authorization: Token <their DRF token>' http://127.0.0.1:8000/api/me/
//! ```
//!
//! `migrate` runs first: on a database Django already migrated it leaves
//! Django's tables alone and only adds this library's own (the session table
//! and its migration bookkeeping). Queries and password hashing run on actix's
//! blocking pool; `DB_POOL_SIZE` (default 10) caps the connections.

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::auth_core::db::{Backend, DatabaseUrl};
use auth_actix::auth_core::PoolConfig;
use auth_actix::prelude::*;
use auth_actix::AuthStore;
use examples::config;

/// Who is calling, and how.
#[get("/api/me/")]
#[api_view(GET)]
#[permission_classes(IsAuthenticated)]
async fn me(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": request.user().to_string(),
        "authenticated_by": request.successful_authenticator(),
    }))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = config::var("DATABASE_URL").ok_or(
        "set DATABASE_URL to a PostgreSQL database, e.g. postgres://user:password@127.0.0.1:5432/mysite",
    )?;
    let parsed = DatabaseUrl::parse(&url)?;
    if parsed.backend() != Backend::Postgres {
        return Err(format!(
            "DATABASE_URL is not a PostgreSQL URL: {}",
            parsed.redacted()
        )
        .into());
    }
    let pool = PoolConfig {
        max_size: match config::var("DB_POOL_SIZE") {
            Some(size) => size
                .parse()
                .map_err(|_| format!("DB_POOL_SIZE must be a whole number, not {size:?}"))?,
            None => PoolConfig::default().max_size,
        },
        ..PoolConfig::default()
    };
    let mut store = AuthStore::connect(&url, &pool)?;
    if let Some(cache) = config::token_cache()? {
        store = store.with_token_cache(cache)?;
    }
    for applied in store.migrate()? {
        tracing::info!("applied migration {applied}");
    }
    let settings = AuthSettings::builder()
        .store(store)
        .default_authentication_classes((BasicAuthentication, TokenAuthentication::default()))
        .build()?;
    let database = parsed.redacted();
    config::serve(
        "postgres",
        move |addr, workers| async move {
            let server = HttpServer::new(move || App::new().app_data(settings.clone()).service(me))
                .workers(workers)
                .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| {
            format!("\nDatabase: {database}\n\n  curl -u <username>:<password> {base}/api/me/\n")
        },
    )
}

fn main() -> ExitCode {
    config::exit_on_error("postgres", run)
}

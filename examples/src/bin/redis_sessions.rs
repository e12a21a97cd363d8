//! Session login with the sessions in Redis, for several nodes: every node
//! that shares the Redis server and `SECRET_KEY` shares the sessions, and a
//! logout on one ends the session on all of them.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 SECRET_KEY=$(openssl rand -hex 32) \
//!     cargo run -p examples --features redis --bin redis_sessions
//! ```
//!
//! It prints the `curl` lines of a session login (Django's CSRF rules: fetch
//! the token and its cookie, then send both with the credentials). Users and
//! tokens stay in the database (`DATABASE_URL`, default
//! `redis_sessions.sqlite3`); only the sessions live in Redis, which expires
//! them itself. With several nodes, set `SECRET_KEY` to the same value on
//! each: it keys the session cookie and the session auth hashes.

use std::process::ExitCode;

use actix_web::{get, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::session::{self, FailClosed, RedisSessionStore};
use auth_actix::views::{csrf, login, logout};
use examples::config;

/// Who is logged in.
#[get("/api/me/")]
#[api_view(GET)]
#[authentication_classes(SessionAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn me(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "user": request.user().to_string() }))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let redis_url = config::var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let secret = config::secret_key()?;
    let store = config::open_store(&config::database_url("redis_sessions.sqlite3"))?;
    config::demo_account(&store, "demo", "demo-password")?;
    let key = secret.cookie_key();
    let settings = AuthSettings::builder()
        .store(store)
        .site(config::site(&secret, &[])?)
        .build()?;
    config::serve(
        "redis_sessions",
        move |addr, workers| async move {
            // The store keeps a connection to Redis, made on this runtime.
            let redis = RedisSessionStore::new(redis_url)
                .await
                .map_err(|e| std::io::Error::other(format!("Redis: {e}")))?;
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(settings.clone())
                    .wrap(session::django_defaults(redis.clone(), key.clone()).build())
                    .wrap(FailClosed)
                    .service(me)
                    .service(csrf)
                    .service(login)
                    .service(logout)
            })
            .workers(workers)
            .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |base| {
            format!(
                "\nSession login as demo (password demo-password, a demo account):\n{}",
                config::session_curl_lines(base, "demo", "demo-password")
            )
        },
    )
}

fn main() -> ExitCode {
    config::exit_on_error("redis_sessions", run)
}

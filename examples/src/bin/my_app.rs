//! The README's "Add it to your app": a complete application with DRF's default classes, a
//! protected view, the token and session views, and sessions in the same database. The code
//! below the first blank line is the README's, character for character (a test checks it).
//!
//! `SECRET_KEY=... cargo run -p examples --bin my_app`

use actix_web::{cookie::Key, get, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::views::{csrf, login, logout, obtain_auth_token};
use auth_actix::{auth_core::PoolConfig, site::SiteSettings, AuthStore};

#[get("/api/me/")]
#[api_view(GET)]
#[permission_classes(IsAuthenticated)]
async fn me(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SQLite here; a Django project's postgres:// or mysql:// URL works the same.
    let store = AuthStore::connect("db.sqlite3", &PoolConfig::default())?;
    store.migrate()?; // creates auth_user, authtoken_token and the session table if missing
    let site = SiteSettings::builder()
        .secret_key(std::env::var("SECRET_KEY")?) // Django's SECRET_KEY
        .build()?;
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(site)
        .build()?;
    let sessions = DieselSessionStore::from(&store);
    let key = Key::generate(); // signs session cookies; load it from configuration in production
    HttpServer::new(move || {
        App::new()
            .app_data(settings.clone())
            .wrap(session::django_defaults(sessions.clone(), key.clone()).build())
            .wrap(FailClosed)
            .service((me, obtain_auth_token, csrf, login, logout))
    })
    .bind(("127.0.0.1", 8000))?
    .run()
    .await?;
    Ok(())
}

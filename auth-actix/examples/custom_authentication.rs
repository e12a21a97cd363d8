//! A custom authentication class (DRF's documentation example): the username
//! comes from an `X-Username` header; an unknown user is
//! `AuthenticationFailed("No such user")`.
//!
//! ```text
//! cargo run -p auth-actix --example custom_authentication
//! curl -H 'X-Username: demo' http://127.0.0.1:8000/whoami   # {"user":"demo"}
//! curl -H 'X-Username: eve'  http://127.0.0.1:8000/whoami   # 403 {"detail":"No such user"}
//! curl http://127.0.0.1:8000/whoami                         # 403 {"detail":"Authentication credentials were not provided."}
//! ```
//!
//! Trusting a client-supplied header is only sound behind a proxy that sets it.

use actix_web::{get, App, HttpServer};
use auth_actix::auth_core::{NewUser, PoolConfig};
use auth_actix::prelude::*;
use auth_actix::{run_blocking, AuthError, AuthResult, AuthStore, Authenticated};

/// Authenticates the user named by `X-Username`.
#[derive(Default)]
struct XUsernameAuthentication;

impl Authentication for XUsernameAuthentication {
    async fn authenticate(&self, request: &HttpRequest, settings: &AuthSettings) -> AuthResult {
        let Some(username) = request.headers().get("X-Username") else {
            return Ok(None); // not attempted: the next class (if any) is tried
        };
        let username = String::from_utf8_lossy(username.as_bytes()).into_owned();
        let store = settings.store()?.clone();
        match run_blocking(move || store.user_by_username(&username)).await? {
            Some(user) => Ok(Some(Authenticated::user(user))),
            None => Err(AuthError::authentication_failed("No such user")),
        }
    }
}

/// Who is calling.
#[get("/whoami")]
#[api_view(GET)]
#[authentication_classes(XUsernameAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "user": request.user().to_string() }))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://custom_authentication.sqlite3".into());
    let store = AuthStore::connect(&url, &PoolConfig::default())?;
    store.migrate()?;
    if store.user_by_username("demo")?.is_none() {
        store.create_user(NewUser::new("demo", None))?;
    }
    let settings = AuthSettings::builder().store(store).build()?;
    println!("listening on http://127.0.0.1:8000/whoami");
    HttpServer::new(move || App::new().app_data(settings.clone()).service(whoami))
        .bind(("127.0.0.1", 8000))?
        .run()
        .await?;
    Ok(())
}

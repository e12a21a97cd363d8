//! Shared helpers for the HTTP tests: users, in-memory stores, a request runner.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::test::TestRequest;
use auth_actix::auth_core::{Hashers, PoolConfig};
use auth_actix::{Auth, AuthSettings, AuthStore, StoreError, Token, TokenStore, User};

/// A migrated store in a temporary directory (kept alive by the returned
/// guard), with cheap password hashing for tests.
pub fn sqlite_store() -> (AuthStore, tempfile::TempDir) {
    let (store, dir) = broken_store();
    let store = store.with_hashers(Hashers {
        pbkdf2_iterations: 1_000,
    });
    store.migrate().expect("migrate");
    (store, dir)
}

/// A store over an SQLite database without tables: every query fails.
pub fn broken_store() -> (AuthStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
    let store = AuthStore::connect(&url, &PoolConfig::default()).expect("open SQLite");
    (store, dir)
}

/// A user row, as the store would return it.
pub fn user(id: i32, username: &str, is_staff: bool, is_active: bool) -> User {
    User {
        id,
        password: "pbkdf2_sha256$1500000$salt$hash".into(),
        last_login: None,
        is_superuser: false,
        username: username.into(),
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        is_staff,
        is_active,
        date_joined: Default::default(),
    }
}

/// Tokens in memory: key → user.
#[derive(Clone, Default)]
pub struct MemoryTokens(Arc<HashMap<String, User>>);

impl MemoryTokens {
    /// The standard fixture: `member-key` (active member), `staff-key` (staff),
    /// `inactive-key` (inactive user).
    pub fn fixture() -> Self {
        let mut map = HashMap::new();
        map.insert("member-key".to_owned(), user(1, "member", false, true));
        map.insert("staff-key".to_owned(), user(2, "staff", true, true));
        map.insert("inactive-key".to_owned(), user(3, "inactive", false, false));
        MemoryTokens(Arc::new(map))
    }
}

impl TokenStore for MemoryTokens {
    fn lookup(&self, key: &str) -> Result<Option<(User, Auth)>, StoreError> {
        Ok(self.0.get(key).map(|user| {
            let token = Token {
                key: key.to_owned(),
                user_id: user.id,
                created: Default::default(),
            };
            (user.clone(), Auth::Token(token))
        }))
    }
}

/// Settings with `store` as the token store and DRF's defaults otherwise.
pub fn token_settings<S: TokenStore>(store: S) -> AuthSettings {
    AuthSettings::builder().token_store(store).build().unwrap()
}

/// A token store whose database is down.
pub struct BrokenTokens;

impl TokenStore for BrokenTokens {
    fn lookup(&self, _: &str) -> Result<Option<(User, Auth)>, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("<non-ascii>"))
    }

    /// Status, `WWW-Authenticate` and body in one comparable value.
    pub fn summary(&self) -> (u16, Option<&str>, &str) {
        (
            self.status,
            self.header("www-authenticate"),
            self.body.as_str(),
        )
    }
}

/// Django's session middleware for a test app (DRF's default classes start
/// with Session, which needs it): actix-session over a Diesel store in one
/// temporary SQLite database shared by the tests of a binary.
pub fn sessions() -> auth_actix::session::SessionMiddleware<auth_actix::session::DieselSessionStore>
{
    static STORE: OnceLock<(AuthStore, tempfile::TempDir)> = OnceLock::new();
    let (store, _) = STORE.get_or_init(sqlite_store);
    auth_actix::session::django_defaults(
        auth_actix::session::DieselSessionStore::from(store),
        actix_web::cookie::Key::from(&[7; 64]),
    )
    .build()
}

/// A test service with `data` (the settings) as app data, Django's session
/// middleware ([`sessions`]) and a handler at each path:
/// `serve!(settings, "/" => view, "/admin" => admin)`.
/// `serve!(settings, with config, "/" => view)` adds `config` as app data too
/// (a class's own configuration, such as `RemoteUserConfig`).
#[macro_export]
macro_rules! serve {
    ($data:expr, with $extra:expr, $($path:literal => $handler:expr),+ $(,)?) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($data)
                .app_data($extra)
                .wrap($crate::common::sessions())
                $(.route($path, actix_web::web::to($handler)))+,
        )
        .await
    };
    ($data:expr, $($path:literal => $handler:expr),+ $(,)?) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($data)
                .wrap($crate::common::sessions())
                $(.route($path, actix_web::web::to($handler)))+,
        )
        .await
    };
}

/// Send a `TestRequest` through an app and read the whole response.
#[macro_export]
macro_rules! send {
    ($app:expr, $req:expr) => {
        $crate::common::read(actix_web::test::call_service($app, $req.to_request()).await).await
    };
}

/// Read a whole response.
pub async fn read<B: MessageBody + 'static>(response: ServiceResponse<B>) -> Reply {
    read_response(response.map_into_boxed_body().into_parts().1).await
}

/// Send a request through an app; an error the app returns (as middleware
/// does) is read as the response actix-web would send for it.
#[macro_export]
macro_rules! send_or_error {
    ($app:expr, $req:expr) => {
        match actix_web::dev::Service::call($app, $req.to_request()).await {
            Ok(response) => $crate::common::read(response).await,
            Err(error) => $crate::common::read_response(error.error_response()).await,
        }
    };
}

/// Read a whole `HttpResponse`.
pub async fn read_response(response: actix_web::HttpResponse) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A request with a raw `Authorization` header.
pub fn with_auth(req: TestRequest, value: &[u8]) -> TestRequest {
    req.insert_header((
        AUTHORIZATION,
        HeaderValue::from_bytes(value).expect("valid header bytes"),
    ))
}

/// The `Set-Cookie` header of a response for the cookie `name`, whole.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the cookie `name` set by a response.
pub fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    let header = set_cookie(reply, name)?;
    let value = header.split(';').next()?.split_once('=')?.1.to_owned();
    Some(value)
}

/// `{"detail":"<text>"}`.
pub fn detail(text: &str) -> String {
    format!("{{\"detail\":{}}}", serde_json::to_string(text).unwrap())
}

/// DRF's answer to `Authorization: Basic` without credentials under its default classes
/// (Session, Basic) and `AllowAny`: a 403 without a challenge (rule 9).
#[track_caller]
pub fn assert_bare_basic_forbidden(reply: &Reply) {
    let body = detail("Invalid basic header. No credentials provided.");
    assert_eq!(reply.summary(), (403, None, body.as_str()));
}

pub const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
pub const DENIED: &str = "You do not have permission to perform this action.";
pub const UNAVAILABLE: &str = r#"{"detail":"Service temporarily unavailable, try again later."}"#;

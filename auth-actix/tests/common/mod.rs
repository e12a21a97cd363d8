//! What the HTTP tests share: users, in-memory stores, a request runner. Stores and
//! [`Reply`] come from auth-testkit.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::test::TestRequest;
use auth_actix::{Auth, AuthSettings, AuthStore, StoreError, Token, TokenStore, User};

pub use auth_testkit::app::{cookie_value, detail, read, read_response, set_cookie, Reply};
pub use auth_testkit::{broken_store, sqlite_store};

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

/// A request with a raw `Authorization` header.
pub fn with_auth(req: TestRequest, value: &[u8]) -> TestRequest {
    req.insert_header((
        AUTHORIZATION,
        HeaderValue::from_bytes(value).expect("valid header bytes"),
    ))
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

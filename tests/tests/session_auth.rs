//! Session authentication end to end on every backend: the csrf, login and
//! logout views with the Diesel session store on SQLite (always), PostgreSQL
//! and MariaDB (`TEST_POSTGRES_URL`, `TEST_MYSQL_URL`), and with Redis
//! sessions shared by two app instances (`TEST_REDIS_URL`, feature `redis`).

use auth_actix::site::SiteSettings;
use std::collections::HashMap;
use std::rc::Rc;

use crate::common::TestDb;
use actix_web::cookie::Key;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::test as atest;
use actix_web::{web, App, HttpRequest, HttpResponse};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::views::{csrf, login, logout, obtain_auth_token};
use auth_actix::{ApiError, AuthStore};
use auth_core::db::schema::actix_auth_session;
use auth_core::NewUser;
use diesel::prelude::*;
use integration_tests::redis_url;
use serde_json::{json, Value};

const SECRET: &str = "integration-secret-key-0123456789-0123456789-0123";

#[api_view(GET, POST)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[api_view(POST)]
#[permission_classes(IsAuthenticated)]
async fn change_password(
    request: AuthRequest,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = request.user().id().unwrap_or_default();
    session::change_password(&http, id, "another password").await?;
    Ok(HttpResponse::Ok().finish())
}

macro_rules! app {
    ($store:expr, $sessions:expr, $key:expr) => {
        atest::init_service(
            App::new()
                .app_data(
                    AuthSettings::builder()
                        .store($store.clone())
                        .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
                        .build()
                        .unwrap(),
                )
                .wrap(session::django_defaults($sessions, $key.clone()).build())
                .wrap(FailClosed)
                .service(csrf)
                .service(login)
                .service(logout)
                .service(obtain_auth_token)
                .route("/whoami", web::to(whoami))
                .route("/password", web::to(change_password)),
        )
        .await
    };
}

/// The cookies a browser would keep.
#[derive(Default, Clone, Debug)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn update<B>(&mut self, res: &ServiceResponse<B>) {
        for cookie in res.response().cookies() {
            if cookie.value().is_empty() {
                self.0.remove(cookie.name());
            } else {
                self.0
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
    }

    fn request(&self, req: atest::TestRequest) -> atest::TestRequest {
        let header: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req.insert_header((COOKIE, HeaderValue::from_str(&header.join("; ")).unwrap()))
    }
}

/// Send through `app` with `jar`'s cookies and keep the ones it sets;
/// `(status, body)`. An error from a middleware is rendered as actix-web
/// would render it.
macro_rules! send {
    ($app:expr, $jar:expr, $req:expr) => {{
        let jar: &mut Jar = $jar;
        match $app.call(jar.request($req).to_request()).await {
            Ok(res) => {
                jar.update(&res);
                let status = res.status().as_u16();
                let body = atest::read_body(res).await;
                (status, String::from_utf8_lossy(&body).into_owned())
            }
            Err(err) => {
                let res = err.error_response();
                let status = res.status().as_u16();
                let body = actix_web::body::to_bytes(res.into_body())
                    .await
                    .unwrap_or_default();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
        }
    }};
}

/// A CSRF token from the csrf view (its cookie kept in the jar).
macro_rules! token {
    ($app:expr, $jar:expr) => {{
        let (status, body) = send!($app, $jar, atest::TestRequest::get().uri("/api-auth/csrf/"));
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        body["csrftoken"].as_str().unwrap().to_owned()
    }};
}

/// Log in through the login view; `(status, body)`.
macro_rules! log_in {
    ($app:expr, $jar:expr, $username:expr, $password:expr) => {{
        let token = token!($app, $jar);
        let req = atest::TestRequest::post()
            .uri("/api-auth/login/")
            .insert_header(("X-CSRFToken", token))
            .set_json(json!({"username": $username, "password": $password}));
        send!($app, $jar, req)
    }};
}

macro_rules! whoami {
    ($app:expr, $jar:expr) => {
        send!($app, $jar, atest::TestRequest::get().uri("/whoami")).1
    };
}

fn run(case: impl std::future::Future<Output = ()>) {
    actix_web::rt::System::new().block_on(case);
}

fn user(store: &AuthStore, prefix: &str) -> auth_core::User {
    store
        .create_user(NewUser::new(
            crate::common::username(prefix),
            Some("pw".into()),
        ))
        .unwrap()
}

fn session_rows_of(store: &AuthStore, user_id: i32) -> i64 {
    actix_auth_session::table
        .filter(actix_auth_session::user_id.eq(user_id))
        .count()
        .get_result(&mut *store.connection().unwrap())
        .unwrap()
}

/// The whole cycle, and the CSRF rules on the way.
fn login_use_logout_replay(db: &TestDb) {
    let store = db.migrated();
    let alice = user(&store, "alice");
    run(async {
        let app = app!(store, DieselSessionStore::from(&store), Key::generate());
        let mut jar = Jar::default();
        assert_eq!(log_in!(app, &mut jar, &alice.username, "bad").0, 400);
        let (status, body) = log_in!(app, &mut jar, &alice.username, "pw");
        assert_eq!(
            (status, body),
            (200, format!(r#"{{"user":"{}"}}"#, alice.username))
        );
        assert_eq!(session_rows_of(&store, alice.id), 1);
        assert_eq!(whoami!(app, &mut jar), alice.username);
        let stolen = jar.clone();

        let post = atest::TestRequest::post().uri("/whoami");
        let (status, body) = send!(app, &mut jar, post);
        assert_eq!(
            (status, body.as_str()),
            (403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#)
        );
        let token = token!(app, &mut jar);
        let post = atest::TestRequest::post()
            .uri("/whoami")
            .insert_header(("X-CSRFToken", token.clone()));
        assert_eq!(send!(app, &mut jar, post).0, 200);

        let out = atest::TestRequest::post()
            .uri("/api-auth/logout/")
            .insert_header(("X-CSRFToken", token));
        assert_eq!(send!(app, &mut jar, out).0, 200);
        assert_eq!(session_rows_of(&store, alice.id), 0);
        assert_eq!(whoami!(app, &mut jar), "AnonymousUser");
        let mut stolen = stolen;
        assert_eq!(whoami!(app, &mut stolen), "AnonymousUser");
    });
}

/// A password change keeps the current session and ends the others, on the
/// server (their rows) and by their hashes.
fn a_password_change_ends_the_other_sessions(db: &TestDb) {
    let store = db.migrated();
    let bob = user(&store, "bob");
    run(async {
        let app = app!(store, DieselSessionStore::from(&store), Key::generate());
        let (mut laptop, mut phone) = (Jar::default(), Jar::default());
        assert_eq!(log_in!(app, &mut laptop, &bob.username, "pw").0, 200);
        assert_eq!(log_in!(app, &mut phone, &bob.username, "pw").0, 200);
        assert_eq!(session_rows_of(&store, bob.id), 2);
        let token = token!(app, &mut phone);
        let change = atest::TestRequest::post()
            .uri("/password")
            .insert_header(("X-CSRFToken", token));
        assert_eq!(send!(app, &mut phone, change).0, 200);
        assert_eq!(session_rows_of(&store, bob.id), 1);
        assert_eq!(whoami!(app, &mut phone), bob.username);
        assert_eq!(whoami!(app, &mut laptop), "AnonymousUser");
        assert_eq!(
            log_in!(app, &mut laptop, &bob.username, "another password").0,
            200
        );
        assert_eq!(whoami!(app, &mut laptop), bob.username);
    });
}

/// 64 first logins at once through `obtain_auth_token`: one key, one row.
fn concurrent_token_logins(db: &TestDb) {
    let store = db.migrated();
    let carol = user(&store, "carol");
    run(async {
        let app = Rc::new(app!(
            store,
            DieselSessionStore::from(&store),
            Key::generate()
        ));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let app = app.clone();
                let username = carol.username.clone();
                actix_web::rt::spawn(async move {
                    let req = atest::TestRequest::post()
                        .uri("/api-token-auth/")
                        .set_json(json!({"username": username, "password": "pw"}));
                    let (status, body) = send!(app.as_ref(), &mut Jar::default(), req);
                    assert_eq!(status, 200, "{body}");
                    serde_json::from_str::<Value>(&body).unwrap()["token"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
            })
            .collect();
        let mut keys = Vec::new();
        for task in tasks {
            keys.push(task.await.unwrap());
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 1, "{keys:?}");
        let rows: i64 = auth_core::db::schema::authtoken_token::table
            .filter(auth_core::db::schema::authtoken_token::user_id.eq(carol.id))
            .count()
            .get_result(&mut *store.connection().unwrap())
            .unwrap();
        assert_eq!(rows, 1);
    });
}

/// A session database that cannot answer is a 503 behind `FailClosed`,
/// never an anonymous request.
fn an_unreachable_session_store_is_a_503(db: &TestDb) {
    let store = db.single_connection();
    let dave = user(&store, "dave");
    run(async {
        let app = app!(store, DieselSessionStore::from(&store), Key::generate());
        let mut jar = Jar::default();
        assert_eq!(log_in!(app, &mut jar, &dave.username, "pw").0, 200);
        let held = store.connection().unwrap();
        let (status, body) = send!(app, &mut jar, atest::TestRequest::get().uri("/whoami"));
        assert_eq!(
            (status, body.as_str()),
            (
                503,
                r#"{"detail":"Service temporarily unavailable, try again later."}"#
            )
        );
        drop(held);
        assert_eq!(whoami!(app, &mut jar), dave.username);
    });
}

per_backend!(
    login_use_logout_replay,
    a_password_change_ends_the_other_sessions,
    concurrent_token_logins,
    an_unreachable_session_store_is_a_503,
);

/// Two nodes sharing Redis sessions: a login on one is seen by the other, a
/// logout or a password change on one ends the session on both.
#[test]
fn redis_session_authentication() {
    let Some(url) = redis_url("redis_session_authentication") else {
        return;
    };
    #[cfg(not(feature = "redis"))]
    let _ = url;
    #[cfg(feature = "redis")]
    {
        let Some(db) = TestDb::new(auth_core::db::Backend::Sqlite) else {
            return;
        };
        let store = db.migrated();
        let erin = user(&store, "erin");
        run(async move {
            let prefix = format!("{}:", integration_tests::unique_name("test-session-auth"));
            let node = || integration_tests::redis_sessions(&url, &prefix);
            let key = Key::generate();
            let a = app!(store, node().await, key);
            let b = app!(store, node().await, key);
            let (mut laptop, mut phone) = (Jar::default(), Jar::default());
            assert_eq!(log_in!(a, &mut laptop, &erin.username, "pw").0, 200);
            assert_eq!(whoami!(b, &mut laptop), erin.username);
            assert_eq!(log_in!(b, &mut phone, &erin.username, "pw").0, 200);

            // A password change on one node ends the other session on both.
            let token = token!(a, &mut phone);
            let change = atest::TestRequest::post()
                .uri("/password")
                .insert_header(("X-CSRFToken", token));
            assert_eq!(send!(a, &mut phone, change).0, 200);
            assert_eq!(whoami!(b, &mut phone), erin.username);
            assert_eq!(whoami!(b, &mut laptop), "AnonymousUser");

            // A logout on one node ends the session on the other.
            let stolen = phone.clone();
            let token = token!(b, &mut phone);
            let out = atest::TestRequest::post()
                .uri("/api-auth/logout/")
                .insert_header(("X-CSRFToken", token));
            assert_eq!(send!(b, &mut phone, out).0, 200);
            let mut stolen = stolen;
            assert_eq!(whoami!(a, &mut stolen), "AnonymousUser");
            // Nothing of this run is left behind but the flushed laptop
            // session, which expires on its own.
        });
    }
}

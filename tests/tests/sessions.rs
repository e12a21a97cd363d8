//! Server-side sessions through actix-session's `SessionMiddleware`: the Diesel
//! store on SQLite (always), PostgreSQL and MariaDB (`TEST_POSTGRES_URL`,
//! `TEST_MYSQL_URL`), and actix-session's Redis store shared by two app
//! instances (`TEST_REDIS_URL`, cargo feature `redis`). Logging out must end
//! the session on the server: replaying the old cookie finds nothing.

use std::time::Duration;

use crate::common::TestDb;
use actix_web::cookie::{time, Cookie, Key};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test as atest;
use actix_web::{web, App, HttpResponse};
use auth_actix::session::{
    self, DieselSessionStore, PersistentSession, Session, SessionStore, SESSION_USER_ID_KEY,
};
use auth_core::db::schema::actix_auth_session;
use auth_core::AuthStore;
use diesel::prelude::*;
use integration_tests::redis_url;

async fn set(session: Session, body: String) -> HttpResponse {
    match session.insert("value", body) {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn get(session: Session) -> HttpResponse {
    let value: Option<String> = session.get("value").unwrap_or(None);
    let user: Option<i32> = session.get(SESSION_USER_ID_KEY).unwrap_or(None);
    HttpResponse::Ok().json(serde_json::json!({ "value": value, "user": user }))
}

/// What login will do: a fresh key against fixation, then the user id.
async fn login(session: Session, user: web::Path<i32>) -> HttpResponse {
    session.renew();
    match session.insert(SESSION_USER_ID_KEY, user.into_inner()) {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::Ok().finish()
}

macro_rules! session_app {
    ($store:expr, $key:expr) => {
        session_app!($store, $key, session::SESSION_COOKIE_AGE)
    };
    ($store:expr, $key:expr, $ttl:expr) => {
        atest::init_service(
            App::new()
                .wrap(
                    session::django_defaults($store, $key)
                        .session_lifecycle(
                            PersistentSession::default().session_ttl(time::Duration::seconds($ttl)),
                        )
                        .build(),
                )
                .route("/set", web::post().to(set))
                .route("/get", web::get().to(get))
                .route("/login/{user}", web::post().to(login))
                .route("/logout", web::post().to(logout)),
        )
        .await
    };
}

fn session_cookie<B>(res: &ServiceResponse<B>) -> Option<Cookie<'static>> {
    res.response()
        .cookies()
        .find(|c| c.name() == session::SESSION_COOKIE_NAME)
        .map(|c| c.into_owned())
}

/// `{"value": …, "user": …}` as the app sees the session (with `cookie`).
macro_rules! read {
    ($app:expr, $cookie:expr) => {{
        let mut req = atest::TestRequest::get().uri("/get");
        let cookie: Option<&Cookie<'static>> = $cookie;
        if let Some(cookie) = cookie {
            req = req.cookie(cookie.clone());
        }
        let res = $app.call(req.to_request()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = atest::read_body_json(res).await;
        body
    }};
}

/// POSTs `body` to `path` (with `cookie`) and returns the response.
macro_rules! post {
    ($app:expr, $path:expr, $cookie:expr, $body:expr) => {{
        let mut req = atest::TestRequest::post()
            .uri($path)
            .set_payload(String::from($body));
        let cookie: Option<&Cookie<'static>> = $cookie;
        if let Some(cookie) = cookie {
            req = req.cookie(cookie.clone());
        }
        $app.call(req.to_request()).await.unwrap()
    }};
}

fn nothing() -> serde_json::Value {
    serde_json::json!({ "value": null, "user": null })
}

fn row_count(store: &AuthStore) -> i64 {
    actix_auth_session::table
        .count()
        .get_result(&mut *store.connection().unwrap())
        .unwrap()
}

/// The rows' user ids, sorted here (backends order NULL differently).
fn user_ids(store: &AuthStore) -> Vec<Option<i32>> {
    let mut ids: Vec<Option<i32>> = actix_auth_session::table
        .select(actix_auth_session::user_id)
        .load(&mut *store.connection().unwrap())
        .unwrap();
    ids.sort();
    ids
}

fn run(case: impl std::future::Future<Output = ()>) {
    actix_web::rt::System::new().block_on(case);
}

fn set_read_purge_replay(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let app = session_app!(DieselSessionStore::from(&store), Key::generate());
        let res = post!(app, "/set", None, "hello");
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = session_cookie(&res).expect("a session cookie");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(row_count(&store), 1);
        // The cookie carries no part of the row's key hash.
        let rows: Vec<String> = actix_auth_session::table
            .select(actix_auth_session::key_hash)
            .load(&mut *store.connection().unwrap())
            .unwrap();
        assert!(!cookie.value().contains(&rows[0]));

        assert_eq!(
            read!(app, Some(&cookie)),
            serde_json::json!({ "value": "hello", "user": null })
        );
        assert_eq!(read!(app, None), nothing());

        let res = post!(app, "/logout", Some(&cookie), "");
        assert_eq!(res.status(), StatusCode::OK);
        let removal = session_cookie(&res).expect("a removal cookie");
        assert_eq!(removal.value(), "");
        assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
        assert_eq!(row_count(&store), 0);

        // Replaying the old cookie finds nothing, and writing with it makes a
        // new session under a new key instead of reviving the old one.
        assert_eq!(read!(app, Some(&cookie)), nothing());
        let res = post!(app, "/set", Some(&cookie), "again");
        let fresh = session_cookie(&res).expect("a new cookie");
        assert_ne!(fresh.value(), cookie.value());
        assert_eq!(read!(app, Some(&cookie)), nothing());
        assert_eq!(read!(app, Some(&fresh))["value"], "again");
    });
}

fn login_renews_the_key(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let app = session_app!(DieselSessionStore::from(&store), Key::generate());
        let before = session_cookie(&post!(app, "/set", None, "cart")).unwrap();
        let res = post!(app, "/login/7", Some(&before), "");
        let after = session_cookie(&res).expect("a renewed cookie");
        assert_ne!(after.value(), before.value());
        // The state moved to the new key; the old key is dead.
        assert_eq!(
            read!(app, Some(&after)),
            serde_json::json!({ "value": "cart", "user": 7 })
        );
        assert_eq!(read!(app, Some(&before)), nothing());
        assert_eq!(user_ids(&store), [Some(7)]);
    });
}

fn ending_all_sessions_of_a_user(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let sessions = DieselSessionStore::from(&store);
        let app = session_app!(sessions.clone(), Key::generate());
        let laptop = session_cookie(&post!(app, "/login/7", None, "")).unwrap();
        let phone = session_cookie(&post!(app, "/login/7", None, "")).unwrap();
        let other = session_cookie(&post!(app, "/login/8", None, "")).unwrap();
        let anonymous = session_cookie(&post!(app, "/set", None, "x")).unwrap();
        assert_eq!(user_ids(&store), [None, Some(7), Some(7), Some(8)]);

        assert_eq!(sessions.delete_user_sessions(7, None).await.unwrap(), 2);
        assert_eq!(read!(app, Some(&laptop)), nothing());
        assert_eq!(read!(app, Some(&phone)), nothing());
        assert_eq!(read!(app, Some(&other))["user"], 8);
        assert_eq!(read!(app, Some(&anonymous))["value"], "x");
    });
}

/// A request that loaded the session before a logout elsewhere cannot bring
/// it back when it saves its changes.
fn a_purged_session_is_not_revived(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let sessions = DieselSessionStore::from(&store);
        let state =
            std::collections::HashMap::from([(SESSION_USER_ID_KEY.to_owned(), "7".to_owned())]);
        let ttl = time::Duration::hours(1);
        let key = sessions.save(state.clone(), &ttl).await.unwrap();
        let key_again = key.as_ref().to_owned().try_into().unwrap();
        assert_eq!(sessions.load(&key).await.unwrap(), Some(state.clone()));
        sessions.delete(&key).await.unwrap();
        let returned = sessions.update(key, state, &ttl).await.unwrap();
        assert_eq!(returned, key_again);
        assert_eq!(sessions.load(&returned).await.unwrap(), None);
        sessions.update_ttl(&returned, &ttl).await.unwrap();
        assert_eq!(sessions.load(&returned).await.unwrap(), None);
        assert_eq!(row_count(&store), 0);
    });
}

fn sessions_expire(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let app = session_app!(DieselSessionStore::from(&store), Key::generate(), 1);
        let cookie = session_cookie(&post!(app, "/set", None, "brief")).unwrap();
        assert_eq!(read!(app, Some(&cookie))["value"], "brief");
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(read!(app, Some(&cookie)), nothing());
        assert_eq!(row_count(&store), 1);
        let sessions = DieselSessionStore::from(&store);
        assert_eq!(sessions.clear_expired().await.unwrap(), 1);
        assert_eq!(row_count(&store), 0);
    });
}

fn garbage_cookies_are_new_sessions(db: &TestDb) {
    let store = db.migrated();
    run(async {
        let key = Key::generate();
        let app = session_app!(DieselSessionStore::from(&store), key.clone());
        let valid = session_cookie(&post!(app, "/set", None, "v")).unwrap();
        let long = "A".repeat(4000);
        for value in [
            "",
            "garbage",
            long.as_str(),
            "\"quoted\"",
            &valid.value()[..valid.value().len() - 1],
        ] {
            let cookie = Cookie::new(session::SESSION_COOKIE_NAME, value.to_owned());
            assert_eq!(read!(app, Some(&cookie)), nothing(), "{value:?}");
        }
        // A cookie made with another signing key is ignored too.
        let foreign = session_app!(DieselSessionStore::from(&store), Key::generate());
        let forged = session_cookie(&post!(foreign, "/set", None, "forged")).unwrap();
        assert_eq!(read!(app, Some(&forged)), nothing());
        // Two session cookies: actix-session takes the first.
        let req = atest::TestRequest::get()
            .uri("/get")
            .insert_header((
                "Cookie",
                format!("sessionid={}; sessionid=garbage", valid.value()),
            ))
            .to_request();
        let res = app.call(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = atest::read_body_json(res).await;
        assert_eq!(body["value"], "v");
    });
}

per_backend!(
    set_read_purge_replay,
    login_renews_the_key,
    ending_all_sessions_of_a_user,
    a_purged_session_is_not_revived,
    sessions_expire,
    garbage_cookies_are_new_sessions,
);

/// A database that cannot answer gives actix-session's empty 500, with no
/// session key in it.
#[test]
fn an_unreachable_database_is_an_opaque_500() {
    let Some(db) = TestDb::new(auth_core::db::Backend::Sqlite) else {
        return;
    };
    let store = db.single_connection();
    run(async {
        let app = session_app!(DieselSessionStore::from(&store), Key::generate());
        let cookie = session_cookie(&post!(app, "/set", None, "v")).unwrap();
        let held = store.connection().unwrap();
        let req = atest::TestRequest::get()
            .uri("/get")
            .cookie(cookie.clone())
            .to_request();
        // actix-session returns the store's failure as an error whose
        // response is an empty 500.
        let err = match app.call(req).await {
            Ok(res) => panic!("expected an error, got {}", res.status()),
            Err(err) => err,
        };
        let shown = format!("{err:?} {err}");
        assert!(!shown.contains(cookie.value()), "{shown}");
        let res = err.error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        assert!(body.is_empty(), "{body:?}");
        drop(held);
        assert_eq!(read!(app, Some(&cookie))["value"], "v");
    });
}

/// Two app instances ("nodes") sharing one Redis server and signing key share
/// sessions; a logout on one ends the session on the other.
#[test]
fn redis_sessions_are_shared_by_nodes_and_revocable() {
    let Some(url) = redis_url("redis_sessions_are_shared_by_nodes_and_revocable") else {
        return;
    };
    #[cfg(not(feature = "redis"))]
    let _ = url;
    #[cfg(feature = "redis")]
    run(async move {
        // Keys of this run only, so parallel runs never meet.
        let prefix = format!("{}:", integration_tests::unique_name("test-sessions"));
        let node = || integration_tests::redis_sessions(&url, &prefix);
        let key = Key::generate();
        let a = session_app!(node().await, key.clone());
        let b = session_app!(node().await, key.clone());

        let cookie = session_cookie(&post!(a, "/set", None, "shared")).unwrap();
        assert_eq!(read!(b, Some(&cookie))["value"], "shared");

        let res = post!(b, "/login/7", Some(&cookie), "");
        let renewed = session_cookie(&res).expect("renewed cookie");
        assert_ne!(renewed.value(), cookie.value());
        assert_eq!(
            read!(a, Some(&renewed)),
            serde_json::json!({ "value": "shared", "user": 7 })
        );
        assert_eq!(read!(a, Some(&cookie)), nothing());

        assert_eq!(
            post!(a, "/logout", Some(&renewed), "").status(),
            StatusCode::OK
        );
        assert_eq!(read!(b, Some(&renewed)), nothing());
        assert_eq!(read!(a, Some(&renewed)), nothing());

        // A node with another signing key cannot use the cookies.
        let c = session_app!(node().await, Key::generate());
        let cookie = session_cookie(&post!(a, "/set", None, "mine")).unwrap();
        assert_eq!(read!(c, Some(&cookie)), nothing());
        assert_eq!(read!(b, Some(&cookie))["value"], "mine");
        // Leave nothing behind in the shared Redis.
        assert_eq!(
            post!(b, "/logout", Some(&cookie), "").status(),
            StatusCode::OK
        );
        assert_eq!(read!(a, Some(&cookie)), nothing());
    });
}

//! `DjangoSessions` over HTTP: Django's `db` and `signed_cookies` session
//! engines, their cookie, their rows, and Django's rules for keys, expiry,
//! fallback keys, tampering and concurrent logouts. (Django itself reads and
//! writes these sessions in the workspace's `tests` crate.)

use crate::common::{cookie_value, set_cookie, NOT_PROVIDED, UNAVAILABLE};
use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpRequest, HttpResponse};
use auth_actix::auth_core::db::schema::django_session;
use auth_actix::auth_core::sessions::django::{
    decode_session, encode_session, load_signed_cookie, DjangoSessionDb,
};
use auth_actix::auth_core::signing::{JsonObject, JsonValue, SecretKey};
use auth_actix::auth_core::NewUser;
use auth_actix::csrf::CsrfConfig;
use auth_actix::prelude::*;
use auth_actix::session::{self, DjangoSessions};
use auth_actix::site::SiteSettings;
use auth_actix::views::csrf;
use auth_actix::{ApiError, AuthStore, User};
use diesel::prelude::*;
use std::time::Duration;

const SECRET: &str = "django-insecure-current";
const OLD_SECRET: &str = "django-insecure-previous";
const MODEL_BACKEND: &str = "django.contrib.auth.backends.ModelBackend";

#[api_view(GET, POST)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// Logs in the user named in the path (the credentials were checked).
async fn log_in(http: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let settings = AuthSettings::from_request(&http).unwrap().clone();
    let store = settings.store()?.clone();
    let user = store.user_by_username(&name).unwrap().unwrap();
    session::login(&http, &user)?;
    // What Django's CsrfViewMiddleware does after `login` rotated the secret.
    let mut response = HttpResponse::Ok().finish();
    auth_actix::csrf::process_response(&http, settings.csrf(), response.headers_mut());
    Ok(response)
}

async fn log_out(http: HttpRequest) -> HttpResponse {
    session::logout(&http);
    HttpResponse::Ok().finish()
}

/// Stores `visited: true` in the session; with `?delete_first`, deletes the
/// session's row before (a logout in another request).
async fn put(http: HttpRequest, query: web::Query<Vec<(String, String)>>) -> HttpResponse {
    if !query.is_empty() {
        let settings = AuthSettings::from_request(&http).unwrap();
        let table = DjangoSessionDb::new(settings.store().unwrap().database().clone());
        let key = http.cookie("sessionid").unwrap().value().to_owned();
        assert!(table.delete(&key).unwrap());
    }
    session::session_of(&http).insert("visited", true).unwrap();
    HttpResponse::Ok().finish()
}

struct Fixture {
    store: AuthStore,
    alice: User,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let (store, dir) = crate::common::sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    Fixture {
        store,
        alice,
        _dir: dir,
    }
}

fn site(fallbacks: &[&str]) -> SiteSettings {
    SiteSettings::builder()
        .secret_key(SECRET)
        .secret_key_fallbacks(fallbacks.iter().copied())
        .build()
        .unwrap()
}

fn settings(store: &AuthStore, site: SiteSettings, csrf_config: CsrfConfig) -> AuthSettings {
    AuthSettings::builder()
        .store(store.clone())
        .site(site)
        .csrf(csrf_config)
        .build()
        .unwrap()
}

macro_rules! app {
    ($settings:expr, $sessions:expr) => {
        init_service(
            App::new()
                .app_data($settings)
                .wrap($sessions)
                .route("/", web::to(whoami))
                .route("/login/{name}", web::post().to(log_in))
                .route("/logout", web::post().to(log_out))
                .route("/put", web::post().to(put))
                .service(csrf),
        )
        .await
    };
    ($f:expr) => {
        app!(
            settings(&$f.store, site(&[]), CsrfConfig::default()),
            DjangoSessions::db($f.store.database().clone())
        )
    };
}

fn with_cookie(req: TestRequest, value: &str) -> TestRequest {
    req.insert_header((
        COOKIE,
        HeaderValue::from_str(&format!("sessionid={value}")).unwrap(),
    ))
}

fn key(text: &str) -> SecretKey {
    SecretKey::new(text).unwrap()
}

fn table(f: &Fixture) -> DjangoSessionDb {
    DjangoSessionDb::new(f.store.database().clone())
}

fn stored(f: &Fixture, session_key: &str) -> Option<JsonObject> {
    table(f)
        .load(session_key)
        .unwrap()
        .map(|data| decode_session(&data, &key(SECRET), &[]))
}

fn rows(f: &Fixture) -> i64 {
    let mut conn = f.store.connection().unwrap();
    django_session::table
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// Django's session of `user` signed with `secret` (as Django's `login` writes it),
/// with `extra` entries first.
fn django_row(f: &Fixture, secret: &str, user: &User, extra: Vec<(&str, JsonValue)>) -> String {
    let secret = key(secret);
    let mut data = JsonObject::new();
    for (name, value) in extra {
        data.insert(name, value);
    }
    data.insert("_auth_user_id", JsonValue::String(user.id.to_string()));
    data.insert(
        "_auth_user_backend",
        JsonValue::String(MODEL_BACKEND.into()),
    );
    data.insert(
        "_auth_user_hash",
        JsonValue::String(secret.session_auth_hash(&user.password)),
    );
    table(f)
        .create(
            &encode_session(&data, &secret).unwrap(),
            Duration::from_secs(3600),
        )
        .unwrap()
}

#[actix_web::test]
async fn login_sets_djangos_cookie_and_row() {
    let f = fixture();
    let app = app!(f);
    let reply = send!(&app, TestRequest::post().uri("/login/alice"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cookie = set_cookie(&reply, "sessionid").unwrap();
    let value = cookie_value(&reply, "sessionid").unwrap();
    assert_eq!(value.len(), 32, "{cookie}");
    assert!(value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=1209600",
        "Expires=",
    ] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let data = stored(&f, &value).expect("a row");
    let id = f.alice.id.to_string();
    assert_eq!(data.get("_auth_user_id"), Some(&JsonValue::String(id)));
    assert_eq!(
        data.get("_auth_user_backend"),
        Some(&JsonValue::String(MODEL_BACKEND.into()))
    );
    assert_eq!(
        data.get("_auth_user_hash"),
        Some(&JsonValue::String(
            key(SECRET).session_auth_hash(&f.alice.password)
        ))
    );
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
    // Nothing changed: nothing is written, no cookie is sent.
    assert_eq!(set_cookie(&reply, "sessionid"), None);
    // Logging in again (same user and password) keeps the data and cycles the key.
    let again = send!(
        &app,
        with_cookie(TestRequest::post().uri("/login/alice"), &value)
    );
    let renewed = cookie_value(&again, "sessionid").unwrap();
    assert_ne!(renewed, value);
    assert!(stored(&f, &value).is_none(), "the old row is gone");
    assert_eq!(rows(&f), 1);
}

#[actix_web::test]
async fn logout_deletes_the_row_and_the_cookie() {
    let f = fixture();
    let app = app!(f);
    let reply = send!(&app, TestRequest::post().uri("/login/alice"));
    let value = cookie_value(&reply, "sessionid").unwrap();
    let reply = send!(
        &app,
        with_cookie(TestRequest::post().uri("/logout"), &value)
    );
    let removal = set_cookie(&reply, "sessionid").unwrap();
    assert!(removal.starts_with("sessionid=;"), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(
        removal.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        "{removal}"
    );
    assert_eq!(reply.header("vary"), Some("Cookie"));
    assert_eq!(rows(&f), 0);
    // The old cookie names nothing: anonymous, and the browser is told to drop it.
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!((reply.status, reply.body.as_str()), (200, "AnonymousUser"));
    assert!(set_cookie(&reply, "sessionid")
        .unwrap()
        .contains("Max-Age=0"));
}

#[actix_web::test]
async fn keys_a_django_app_stored_survive_in_their_order() {
    let f = fixture();
    let app = app!(f);
    let cart: JsonObject = [
        ("b".to_owned(), JsonValue::Number(1.into())),
        ("a".to_owned(), JsonValue::String("é".into())),
    ]
    .into_iter()
    .collect();
    let value = django_row(
        &f,
        SECRET,
        &f.alice,
        vec![
            ("z_first", JsonValue::Number(1.into())),
            ("cart", JsonValue::Object(cart.clone())),
        ],
    );
    let reply = send!(&app, with_cookie(TestRequest::post().uri("/put"), &value));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = stored(&f, &value).unwrap();
    let names: Vec<&str> = data.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "z_first",
            "cart",
            "_auth_user_id",
            "_auth_user_backend",
            "_auth_user_hash",
            "visited"
        ]
    );
    assert_eq!(data.get("cart"), Some(&JsonValue::Object(cart)));
    assert_eq!(data.get("visited"), Some(&JsonValue::Bool(true)));
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!(reply.body, "alice");
}

#[actix_web::test]
async fn tampered_and_forged_sessions_are_anonymous() {
    let f = fixture();
    let app = app!(f);
    let value = django_row(&f, SECRET, &f.alice, vec![]);
    {
        let mut conn = f.store.connection().unwrap();
        diesel::update(django_session::table.filter(django_session::session_key.eq(&value)))
            .set(django_session::session_data.eq("eyJfYXV0aF91c2VyX2lkIjoiMSJ9:1vQ:forged"))
            .execute(&mut *conn)
            .unwrap();
    }
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!((reply.status, reply.body.as_str()), (200, "AnonymousUser"));
    // Signed with another key: anonymous too.
    let other = django_row(&f, "some-other-site", &f.alice, vec![]);
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &other));
    assert_eq!(reply.body, "AnonymousUser");
    for forged in [
        "abcdefghijklmnopqrstuvwxyz012345",
        "short",
        &"x".repeat(200),
        "a;b",
    ] {
        let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), forged));
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "AnonymousUser"),
            "{forged}"
        );
    }
    // A session that is not the user's is refused by the pipeline's classes.
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.body, "AnonymousUser");
    assert!(!reply.body.contains(NOT_PROVIDED));
}

#[actix_web::test]
async fn a_session_signed_with_a_fallback_key_is_cycled() {
    let f = fixture();
    let app = app!(
        settings(&f.store, site(&[OLD_SECRET]), CsrfConfig::default()),
        DjangoSessions::db(f.store.database().clone())
    );
    let value = django_row(&f, OLD_SECRET, &f.alice, vec![]);
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
    let renewed = cookie_value(&reply, "sessionid").expect("the key is cycled");
    assert_ne!(renewed, value);
    assert!(table(&f).load(&value).unwrap().is_none());
    // Rewritten with the current key, with the current key's hash.
    let data = stored(&f, &renewed).expect("signed with the current key");
    assert_eq!(
        data.get("_auth_user_hash"),
        Some(&JsonValue::String(
            key(SECRET).session_auth_hash(&f.alice.password)
        ))
    );
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &renewed));
    assert_eq!(reply.body, "alice");
    assert_eq!(set_cookie(&reply, "sessionid"), None);
    // Without the fallback, the old session is nobody's.
    let strict = app!(f);
    let old = django_row(&f, OLD_SECRET, &f.alice, vec![]);
    let reply = send!(&strict, with_cookie(TestRequest::get().uri("/"), &old));
    assert_eq!(reply.body, "AnonymousUser");
}

#[actix_web::test]
async fn a_password_change_ends_the_session() {
    let f = fixture();
    let app = app!(f);
    let value = django_row(&f, SECRET, &f.alice, vec![]);
    f.store.set_password(f.alice.id, "changed").unwrap();
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!(reply.body, "AnonymousUser");
    // Django's flush: the row is gone and the cookie removed.
    assert!(table(&f).load(&value).unwrap().is_none());
    assert!(set_cookie(&reply, "sessionid")
        .unwrap()
        .contains("Max-Age=0"));
}

#[actix_web::test]
async fn a_session_deleted_during_the_request_is_djangos_400() {
    let f = fixture();
    let app = app!(f);
    let value = django_row(&f, SECRET, &f.alice, vec![]);
    let reply = send_or_error!(
        &app,
        with_cookie(TestRequest::post().uri("/put?delete_first=1"), &value)
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body, auth_actix::http::BAD_REQUEST_PAGE);
    assert_eq!(rows(&f), 0, "the ended session is not brought back");
}

#[actix_web::test]
async fn a_database_outage_is_a_503_never_anonymous() {
    let (broken, _dir) = crate::common::broken_store();
    let app = app!(
        settings(&broken, site(&[]), CsrfConfig::default()),
        DjangoSessions::db(broken.database().clone())
    );
    let reply = send_or_error!(
        &app,
        with_cookie(
            TestRequest::get().uri("/"),
            "abcdefghijklmnopqrstuvwxyz012345"
        )
    );
    assert_eq!((reply.status, reply.body.as_str()), (503, UNAVAILABLE));
}

#[actix_web::test]
async fn cookie_settings_and_browser_close_expiry() {
    let f = fixture();
    let app = app!(
        settings(&f.store, site(&[]), CsrfConfig::default()),
        DjangoSessions::db(f.store.database().clone())
            .cookie_secure(true)
            .cookie_age(60)
    );
    let reply = send!(&app, TestRequest::post().uri("/login/alice"));
    let cookie = set_cookie(&reply, "sessionid").unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("Max-Age=60"),
        "{cookie}"
    );
    // `set_expiry(0)`: a browser-session cookie.
    let value = django_row(
        &f,
        SECRET,
        &f.alice,
        vec![("_session_expiry", JsonValue::Number(0.into()))],
    );
    let reply = send!(&app, with_cookie(TestRequest::post().uri("/put"), &value));
    let cookie = set_cookie(&reply, "sessionid").unwrap();
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
    // A huge expiry (a Django view's `set_expiry`) is a date in 9999, not a panic.
    let value = django_row(
        &f,
        SECRET,
        &f.alice,
        vec![("_session_expiry", JsonValue::Number(i64::MAX.into()))],
    );
    let reply = send!(&app, with_cookie(TestRequest::post().uri("/put"), &value));
    assert_eq!(reply.status, 200);
    let cookie = set_cookie(&reply, "sessionid").unwrap();
    assert!(
        cookie.contains("Expires=Fri, 31 Dec 9999 23:59:59 GMT"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn signed_cookie_sessions() {
    let f = fixture();
    let app = app!(
        settings(&f.store, site(&[OLD_SECRET]), CsrfConfig::default()),
        DjangoSessions::signed_cookies()
    );
    let reply = send!(&app, TestRequest::post().uri("/login/alice"));
    let value = cookie_value(&reply, "sessionid").unwrap();
    let data = load_signed_cookie(&value, &key(SECRET), &[], Duration::from_secs(60)).unwrap();
    assert_eq!(
        data.get("_auth_user_id"),
        Some(&JsonValue::String(f.alice.id.to_string()))
    );
    assert_eq!(rows(&f), 0, "nothing is stored");
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!(reply.body, "alice");
    // A forged cookie: anonymous, and replaced by an empty signed session.
    let forged = format!("{}x", &value[..value.len() - 1]);
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &forged));
    assert_eq!(reply.body, "AnonymousUser");
    let replacement = cookie_value(&reply, "sessionid").unwrap();
    let empty = load_signed_cookie(&replacement, &key(SECRET), &[], Duration::from_secs(60));
    assert_eq!(empty, Some(JsonObject::new()));
    // Logout deletes the cookie (a copy of it stays valid: nothing is stored).
    let reply = send!(
        &app,
        with_cookie(TestRequest::post().uri("/logout"), &value)
    );
    assert!(set_cookie(&reply, "sessionid")
        .unwrap()
        .contains("Max-Age=0"));
    // A password change does end it: the session hash no longer matches.
    f.store.set_password(f.alice.id, "changed").unwrap();
    let reply = send!(&app, with_cookie(TestRequest::get().uri("/"), &value));
    assert_eq!(reply.body, "AnonymousUser");
}

#[actix_web::test]
async fn csrf_secrets_can_live_in_the_session() {
    let f = fixture();
    let csrf_config = CsrfConfig {
        use_sessions: true,
        ..CsrfConfig::default()
    };
    let app = app!(
        settings(&f.store, site(&[]), csrf_config),
        DjangoSessions::db(f.store.database().clone())
    );
    let reply = send!(&app, TestRequest::post().uri("/login/alice"));
    let value = cookie_value(&reply, "sessionid").unwrap();
    assert_eq!(set_cookie(&reply, "csrftoken"), None, "no CSRF cookie");
    let secret = match stored(&f, &value).unwrap().get("_csrftoken") {
        Some(JsonValue::String(secret)) => secret.clone(),
        other => panic!("login stores the rotated secret in the session: {other:?}"),
    };
    assert_eq!(secret.len(), 32);
    // Unsafe methods need the token matching the session's secret.
    let reply = send!(&app, with_cookie(TestRequest::post().uri("/"), &value));
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"detail":"CSRF Failed: CSRF token missing."}"#
    );
    let reply = send!(
        &app,
        with_cookie(TestRequest::get().uri("/api-auth/csrf/"), &value)
    );
    assert_eq!(set_cookie(&reply, "csrftoken"), None);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let token = body["csrftoken"].as_str().unwrap().to_owned();
    let reply = send!(
        &app,
        with_cookie(TestRequest::post().uri("/"), &value).insert_header(("X-CSRFToken", token))
    );
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
    // Without a session there is no secret: Django's "CSRF cookie not set."
    let other = django_row(&f, SECRET, &f.alice, vec![]);
    let reply = send!(
        &app,
        with_cookie(TestRequest::post().uri("/"), &other)
            .insert_header(("X-CSRFToken", "x".repeat(32)))
    );
    assert_eq!(
        reply.body,
        r#"{"detail":"CSRF Failed: CSRF cookie not set."}"#
    );
}

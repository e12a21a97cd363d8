//! The session views over HTTP (SQLite, Diesel session store): `csrf` sets
//! Django's cookie, `login` is CSRF-protected for everyone, renews the
//! session key, rotates the CSRF secret and updates `last_login`; `logout`
//! ends the session on the server; a password change ends the other
//! sessions; `obtain_auth_token` refuses a logged-in session without CSRF.

use crate::common::{cookie_value, detail, set_cookie, Reply};
use actix_web::cookie::Key;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE, COOKIE};
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpRequest, HttpResponse};
use auth_actix::auth_core::csrf::unmask_cipher_token;
use auth_actix::auth_core::{Hashers, NewUser};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed, Session};
use auth_actix::site::SiteSettings;
use auth_actix::{AuthStore, BasicAuthentication, DynAuthentication};
use serde_json::{json, Value};

const SECRET: &str = "login-tests-secret-key-0123456789-0123456789-0123";

#[api_view(GET, POST)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// Something an anonymous visitor keeps in the session.
async fn cart(session: Session) -> HttpResponse {
    session.insert("cart", "3 apples").unwrap();
    HttpResponse::Ok().finish()
}

async fn read_cart(session: Session) -> HttpResponse {
    let cart: Option<String> = session.get("cart").unwrap_or(None);
    HttpResponse::Ok().body(cart.unwrap_or_default())
}

/// A password change by the logged-in user.
#[api_view(POST)]
#[permission_classes(IsAuthenticated)]
async fn change_password(
    request: AuthRequest,
    http: HttpRequest,
) -> Result<HttpResponse, auth_actix::ApiError> {
    let id = request.user().id().unwrap_or_default();
    let user = session::change_password(&http, id, "a new password").await?;
    Ok(HttpResponse::Ok().body(user.map(|u| u.username).unwrap_or_default()))
}

fn store() -> (AuthStore, tempfile::TempDir) {
    let (store, dir) = crate::common::sqlite_store();
    store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    store
        .create_user(NewUser::new("bob", Some("pw".into())))
        .unwrap();
    let mut sleepy = NewUser::new("sleepy", Some("pw".into()));
    sleepy.is_active = false;
    store.create_user(sleepy).unwrap();
    (store, dir)
}

fn settings(store: &AuthStore) -> auth_actix::AuthSettingsBuilder {
    AuthSettings::builder()
        .store(store.clone())
        .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
}

macro_rules! app {
    ($store:expr) => {
        app!($store, Key::generate())
    };
    ($store:expr, $key:expr) => {
        app!($store, $key, settings(&$store).build().unwrap())
    };
    ($store:expr, $key:expr, $settings:expr) => {
        init_service(
            App::new()
                .app_data($settings)
                .wrap(
                    session::django_defaults(DieselSessionStore::from(&$store), $key.clone())
                        .build(),
                )
                .wrap(FailClosed)
                // DRF's paths, as `views::urls` registers them.
                .configure(auth_actix::views::urls)
                .route("/whoami", web::to(whoami))
                .route("/cart", web::post().to(cart))
                .route("/cart", web::get().to(read_cart))
                .route("/password", web::to(change_password)),
        )
        .await
    };
}

/// A browser's cookie jar, enough for these tests.
#[derive(Default, Clone)]
struct Jar {
    session: Option<String>,
    csrf: Option<String>,
}

impl Jar {
    fn update(&mut self, reply: &Reply) {
        if let Some(v) = cookie_value(reply, "sessionid") {
            self.session = (!v.is_empty()).then_some(v);
        }
        if let Some(v) = cookie_value(reply, "csrftoken") {
            self.csrf = Some(v);
        }
    }

    fn apply(&self, req: TestRequest) -> TestRequest {
        let mut cookies = Vec::new();
        if let Some(s) = &self.session {
            cookies.push(format!("sessionid={s}"));
        }
        if let Some(c) = &self.csrf {
            cookies.push(format!("csrftoken={c}"));
        }
        if cookies.is_empty() {
            return req;
        }
        req.insert_header((COOKIE, HeaderValue::from_str(&cookies.join("; ")).unwrap()))
    }

    /// A POST to `uri` with the cookies and `token` in `X-CSRFToken`.
    fn post(&self, uri: &str, token: &str) -> TestRequest {
        self.apply(TestRequest::post().uri(uri))
            .insert_header(("X-CSRFToken", token))
    }
}

fn alice(store: &AuthStore) -> auth_actix::User {
    store.user_by_username("alice").unwrap().unwrap()
}

fn json_body(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or(Value::Null)
}

/// `GET /api-auth/csrf/` into `jar`; the token.
macro_rules! get_token {
    ($app:expr, $jar:expr) => {{
        let reply = send!($app, $jar.apply(TestRequest::get().uri("/api-auth/csrf/")));
        assert_eq!(reply.status, 200, "{}", reply.body);
        $jar.update(&reply);
        json_body(&reply)["csrftoken"].as_str().unwrap().to_owned()
    }};
}

/// Log in as `username` with a CSRF token from the csrf view.
macro_rules! log_in {
    ($app:expr, $jar:expr, $username:expr) => {{
        let token = get_token!($app, $jar);
        let req = $jar
            .post("/api-auth/login/", &token)
            .set_json(json!({"username": $username, "password": "pw"}));
        let reply = send!($app, req);
        assert_eq!(reply.status, 200, "{}", reply.body);
        $jar.update(&reply);
        reply
    }};
}

macro_rules! whoami {
    ($app:expr, $jar:expr) => {
        send!($app, $jar.apply(TestRequest::get().uri("/whoami"))).body
    };
}

fn csrf_failed(reason: &str) -> String {
    detail(&format!("CSRF Failed: {reason}"))
}

#[actix_web::test]
async fn the_csrf_view_sets_djangos_cookie() {
    let (store, _dir) = store();
    let app = app!(store);
    let reply = send!(&app, TestRequest::get().uri("/api-auth/csrf/"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(reply.header("vary"), Some("Cookie"));
    let token = json_body(&reply)["csrftoken"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    let cookie = set_cookie(&reply, "csrftoken").expect("the cookie");
    let parts: Vec<&str> = cookie.split("; ").collect();
    let secret = parts[0].strip_prefix("csrftoken=").unwrap();
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(unmask_cipher_token(&token).unwrap().as_str(), secret);
    // Django's attribute order and defaults: no Domain, HttpOnly or Secure.
    assert!(parts[1].starts_with("expires="), "{cookie}");
    assert!(parts[1].ends_with(" GMT"), "{cookie}");
    assert_eq!(
        &parts[2..],
        ["Max-Age=31449600", "Path=/", "SameSite=Lax"],
        "{cookie}"
    );
    // A client with the cookie keeps its secret, with a fresh mask.
    let mut jar = Jar {
        csrf: Some(secret.to_owned()),
        ..Jar::default()
    };
    let again = get_token!(&app, jar);
    assert_ne!(again, token);
    assert_eq!(unmask_cipher_token(&again).unwrap().as_str(), secret);
    assert_eq!(jar.csrf.as_deref(), Some(secret));
    let reply = send!(&app, TestRequest::post().uri("/api-auth/csrf/"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (405, r#"{"detail":"Method \"POST\" not allowed."}"#)
    );
}

#[actix_web::test]
async fn login_is_csrf_protected_for_everyone() {
    let (store, _dir) = store();
    let app = app!(store);
    let credentials = json!({"username": "alice", "password": "pw"});
    let reply = send!(
        &app,
        TestRequest::post()
            .uri("/api-auth/login/")
            .set_json(credentials.clone())
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF cookie not set.").as_str())
    );
    let mut jar = Jar::default();
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/login/"))
            .set_json(credentials.clone())
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF token missing.").as_str())
    );
    // CSRF comes before the credentials are even read.
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/login/"))
            .set_payload("not json")
            .insert_header((CONTENT_TYPE, "application/json"))
    );
    assert_eq!(reply.status, 403);
    // With the token: the body errors of obtain_auth_token.
    let post = |jar: &Jar| jar.post("/api-auth/login/", &token);
    for (req, status, body) in [
        (
            post(&jar).set_json(json!({"username": "alice", "password": "bad"})),
            400,
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#,
        ),
        (
            post(&jar).set_json(json!({"username": "sleepy", "password": "pw"})),
            400,
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#,
        ),
        (
            post(&jar).set_json(json!({"username": ""})),
            400,
            r#"{"username":["This field may not be blank."],"password":["This field is required."]}"#,
        ),
        (
            post(&jar)
                .insert_header((CONTENT_TYPE, "text/plain"))
                .set_payload("x"),
            415,
            r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#,
        ),
        (
            post(&jar)
                .insert_header((CONTENT_TYPE, "application/json"))
                .set_payload("{"),
            400,
            r#"{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}"#,
        ),
    ] {
        let reply = send!(&app, req);
        assert_eq!((reply.status, reply.body.as_str()), (status, body));
        assert_eq!(
            cookie_value(&reply, "sessionid"),
            None,
            "no session on failure"
        );
    }
    let reply = send!(&app, TestRequest::get().uri("/api-auth/login/"));
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("POST, OPTIONS"))
    );
}

#[actix_web::test]
async fn login_renews_the_session_and_rotates_the_csrf_secret() {
    let (store, _dir) = store();
    let app = app!(store);
    let mut jar = Jar::default();
    let reply = send!(&app, jar.apply(TestRequest::post().uri("/cart")));
    jar.update(&reply);
    let before = jar.clone();
    let pre_login_token = get_token!(&app, jar);
    let pre_login_secret = jar.csrf.clone().unwrap();
    assert!(alice(&store).last_login.is_none());

    let reply = log_in!(&app, jar, "alice");
    assert_eq!(reply.body, r#"{"user":"alice"}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_ne!(jar.session, before.session, "a new session key");
    assert_ne!(
        jar.csrf.as_deref(),
        Some(pre_login_secret.as_str()),
        "a new CSRF secret"
    );
    assert!(alice(&store).last_login.is_some());
    assert_eq!(whoami!(&app, jar), "alice");
    // The anonymous session's data moved to the new key; the old key is dead.
    assert_eq!(
        send!(&app, jar.apply(TestRequest::get().uri("/cart"))).body,
        "3 apples"
    );
    assert_eq!(
        send!(&app, before.apply(TestRequest::get().uri("/cart"))).body,
        ""
    );
    assert_eq!(whoami!(&app, before), "AnonymousUser");

    // Unsafe requests now need the rotated token: the old one is refused.
    let reply = send!(&app, jar.post("/whoami", &pre_login_token));
    assert_eq!(
        reply.summary(),
        (
            403,
            None,
            csrf_failed("CSRF token from the 'X-Csrftoken' HTTP header incorrect.").as_str()
        )
    );
    let token = get_token!(&app, jar);
    let reply = send!(&app, jar.post("/whoami", &token));
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));

    // Logging in as someone else over alice's session empties it first.
    let reply = log_in!(&app, jar, "bob");
    assert_eq!(reply.body, r#"{"user":"bob"}"#);
    assert_eq!(whoami!(&app, jar), "bob");
    assert_eq!(
        send!(&app, jar.apply(TestRequest::get().uri("/cart"))).body,
        ""
    );
}

#[actix_web::test]
async fn login_with_the_form_field_and_a_rehashed_password() {
    let (store, _dir) = store();
    // alice's hash is weaker than the store's: the login upgrades it, and the
    // session hash must follow the new one.
    let stronger = store.clone().with_hashers(Hashers {
        pbkdf2_iterations: 1_001,
    });
    let before = alice(&store).password;
    let app = app!(stronger);
    let mut jar = Jar::default();
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/login/"))
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!(
                "username=alice&password=pw&csrfmiddlewaretoken={token}"
            ))
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"user":"alice"}"#)
    );
    jar.update(&reply);
    let after = alice(&store).password;
    assert_ne!(before, after, "rehashed");
    assert!(after.starts_with("pbkdf2_sha256$1001$"), "{after}");
    assert_eq!(whoami!(&app, jar), "alice");
}

#[actix_web::test]
async fn logout_ends_the_session_on_the_server() {
    let (store, _dir) = store();
    let app = app!(store);
    let mut jar = Jar::default();
    log_in!(&app, jar, "alice");
    let stolen = jar.clone();
    // Logged in: CSRF is required (Session authentication sees to it).
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/logout/"))
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF token missing.").as_str())
    );
    assert_eq!(whoami!(&app, jar), "alice");
    let token = get_token!(&app, jar);
    let reply = send!(&app, jar.post("/api-auth/logout/", &token));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"Successfully logged out."}"#)
    );
    assert_eq!(
        cookie_value(&reply, "sessionid").as_deref(),
        Some(""),
        "cookie removed"
    );
    jar.update(&reply);
    assert_eq!(whoami!(&app, jar), "AnonymousUser");
    // A copy of the cookie taken before the logout opens nothing.
    assert_eq!(whoami!(&app, stolen), "AnonymousUser");
    // Logging out without a session needs no token.
    let reply = send!(&app, TestRequest::post().uri("/api-auth/logout/"));
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn logout_checks_csrf_even_without_session_authentication() {
    let (store, _dir) = store();
    let key = Key::generate();
    let app = app!(store, key);
    let mut jar = Jar::default();
    log_in!(&app, jar, "alice");
    let basic_only = settings(&store)
        .default_authentication_classes([DynAuthentication::new(BasicAuthentication)])
        .build()
        .unwrap();
    let app = app!(store, key, basic_only);
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/logout/"))
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF token missing.").as_str())
    );
    // The form field counts.
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-auth/logout/"))
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("csrfmiddlewaretoken={token}"))
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[actix_web::test]
async fn a_password_change_ends_the_other_sessions() {
    let (store, _dir) = store();
    let app = app!(store);
    let mut laptop = Jar::default();
    let mut phone = Jar::default();
    log_in!(&app, laptop, "alice");
    log_in!(&app, phone, "alice");
    let token = get_token!(&app, phone);
    let reply = send!(&app, phone.post("/password", &token));
    assert_eq!((reply.status, reply.body.as_str()), (200, "alice"));
    let old_phone = phone.clone();
    phone.update(&reply);
    assert_ne!(
        phone.session, old_phone.session,
        "the current session gets a new key"
    );
    assert_eq!(whoami!(&app, phone), "alice", "the current session stays");
    assert_eq!(whoami!(&app, laptop), "AnonymousUser");
    assert_eq!(whoami!(&app, old_phone), "AnonymousUser");
    // And the new password logs in again.
    let mut jar = Jar::default();
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.post("/api-auth/login/", &token)
            .set_json(json!({"username": "alice", "password": "a new password"}))
    );
    assert_eq!(reply.status, 200);
    // A stale session logging in again gets a working session.
    let token = get_token!(&app, laptop);
    let reply = send!(
        &app,
        laptop
            .post("/api-auth/login/", &token)
            .set_json(json!({"username": "alice", "password": "a new password"}))
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    laptop.update(&reply);
    assert_eq!(whoami!(&app, laptop), "alice");
}

#[actix_web::test]
async fn obtain_auth_token_refuses_a_session_without_csrf() {
    let (store, _dir) = store();
    let app = app!(store);
    let mut jar = Jar::default();
    log_in!(&app, jar, "alice");
    let reply = send!(
        &app,
        jar.apply(TestRequest::post().uri("/api-token-auth/"))
            .set_json(json!({"username": "bob", "password": "pw"}))
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF token missing.").as_str())
    );
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.post("/api-token-auth/", &token)
            .set_json(json!({"username": "bob", "password": "pw"}))
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[actix_web::test]
async fn login_without_a_secret_key_says_so() {
    let (store, _dir) = store();
    let keyless = AuthSettings::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let app = app!(store, Key::generate(), keyless);
    let mut jar = Jar::default();
    let token = get_token!(&app, jar);
    let reply = send!(
        &app,
        jar.post("/api-auth/login/", &token)
            .set_json(json!({"username": "alice", "password": "pw"}))
    );
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("secret key"), "{}", reply.body);
    assert!(alice(&store).last_login.is_none());
}

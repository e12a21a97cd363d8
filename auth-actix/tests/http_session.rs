//! `SessionAuthentication` over HTTP, with the Diesel session store on
//! SQLite: a session user is authenticated only while the session's hash
//! matches the password and the user is active; unsafe methods need Django's
//! CSRF token (header or form field, masked or not); every CSRF rejection
//! reaches the body as `CSRF Failed: <reason>`; a failing session store is a
//! 503 behind `FailClosed`.

use crate::common::{cookie_value, detail, with_auth, NOT_PROVIDED};
use actix_web::cookie::Key;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE, COOKIE};
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::csrf::CsrfSecret;
use auth_actix::auth_core::sessions::SecretKey;
use auth_actix::auth_core::NewUser;
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed, Session};
use auth_actix::site::SiteSettings;
use auth_actix::{AuthStore, SessionAuthentication};
use serde_json::json;

const SECRET: &str = "test-secret-key-for-session-hashes-0123456789";

/// Who the request is, for the default classes (Session, then Basic).
#[api_view(GET, POST, PUT, DELETE)]
async fn whoami(request: AuthRequest, body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "user": request.user().to_string(),
        "by": request.successful_authenticator(),
        "body": String::from_utf8_lossy(&body),
    }))
}

#[api_view(GET, POST)]
#[permission_classes(IsAuthenticated)]
async fn private(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication, SessionAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn basic_first(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// Behind the `AuthPipeline` middleware: the body as the handler gets it.
async fn echo(request: AuthRequest, body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} {}",
        request.user(),
        String::from_utf8_lossy(&body)
    ))
}

/// What login will write: the user id (as Django: a string), the backend
/// (`?backend=` to name another one, `?backend=` empty for none) and the hash.
async fn log_in_as(
    session: Session,
    path: web::Path<(i32, String)>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let (id, hash) = path.into_inner();
    session.renew();
    session
        .insert(session::SESSION_USER_ID_KEY, id.to_string())
        .unwrap();
    let backend = query
        .get("backend")
        .cloned()
        .unwrap_or_else(|| "django.contrib.auth.backends.ModelBackend".to_owned());
    if !backend.is_empty() {
        session
            .insert(session::SESSION_BACKEND_KEY, backend)
            .unwrap();
    }
    session.insert(session::SESSION_HASH_KEY, hash).unwrap();
    HttpResponse::Ok().finish()
}

struct Fixture {
    store: AuthStore,
    alice: auth_actix::User,
    sleepy: auth_actix::User,
    key: Key,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let (store, dir) = crate::common::sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    let mut new = NewUser::new("sleepy", Some("pw".into()));
    new.is_active = false;
    let sleepy = store.create_user(new).unwrap();
    Fixture {
        store,
        alice,
        sleepy,
        key: Key::generate(),
        _dir: dir,
    }
}

fn settings(store: &AuthStore) -> AuthSettings {
    AuthSettings::builder()
        .store(store.clone())
        .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
        .build()
        .unwrap()
}

macro_rules! app {
    ($f:expr, $settings:expr) => {
        app!($f, $settings, DieselSessionStore::from(&$f.store))
    };
    ($f:expr, $settings:expr, $sessions:expr) => {
        init_service(
            App::new()
                .app_data($settings)
                .wrap(session::django_defaults($sessions, $f.key.clone()).build())
                .wrap(FailClosed)
                .route("/", web::to(whoami))
                .route("/private", web::to(private))
                .route("/basic-first", web::to(basic_first))
                .route("/as/{id}/{hash}", web::post().to(log_in_as))
                .service(
                    web::scope("/scoped")
                        .wrap(auth_actix::AuthPipeline::new())
                        .route("/echo", web::post().to(echo)),
                ),
        )
        .await
    };
}

fn hash_of(user: &auth_actix::User) -> String {
    SecretKey::new(SECRET)
        .unwrap()
        .session_auth_hash(&user.password)
}

/// A request with `cookies` (`name=value; …`).
fn with_cookies(req: TestRequest, cookies: &str) -> TestRequest {
    req.insert_header((COOKIE, HeaderValue::from_str(cookies).unwrap()))
}

macro_rules! login {
    ($app:expr, $user:expr) => {{
        let uri = format!("/as/{}/{}", $user.id, hash_of(&$user));
        let reply = send!($app, TestRequest::post().uri(&uri));
        assert_eq!(reply.status, 200);
        format!(
            "sessionid={}",
            cookie_value(&reply, "sessionid").expect("a session cookie")
        )
    }};
}

fn csrf_failed(reason: &str) -> String {
    detail(&format!("CSRF Failed: {reason}"))
}

#[actix_web::test]
async fn anonymous_writes_need_no_csrf() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let reply = send!(&app, TestRequest::post().uri("/").set_payload("hi"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(r#""user":"AnonymousUser""#),
        "{}",
        reply.body
    );
    // Session first: an anonymous request to a protected view is a 403 without a challenge.
    let reply = send!(&app, TestRequest::post().uri("/private"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    // Basic first: 401 with Basic's challenge.
    let reply = send!(&app, TestRequest::get().uri("/basic-first"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some("Basic realm=\"api\""),
            detail(NOT_PROVIDED).as_str()
        )
    );
}

#[actix_web::test]
async fn a_session_user_is_authenticated() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    for uri in ["/", "/private", "/basic-first"] {
        let reply = send!(&app, with_cookies(TestRequest::get().uri(uri), &session));
        assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
        assert!(reply.body.contains("alice"), "{}", reply.body);
    }
    let reply = send!(&app, with_cookies(TestRequest::get().uri("/"), &session));
    assert!(
        reply.body.contains(r#""by":"SessionAuthentication""#),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn unsafe_methods_need_the_csrf_token() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    let secret = CsrfSecret::generate();
    let other = CsrfSecret::generate();
    let cookies = format!("{session}; csrftoken={}", secret.as_str());
    let post = |cookies: &str| with_cookies(TestRequest::post().uri("/"), cookies);

    // Each of Django's reasons reaches the body.
    let cases: Vec<(TestRequest, &str)> = vec![
        (post(&session), "CSRF cookie not set."),
        (post(&cookies), "CSRF token missing."),
        (
            post(&cookies).insert_header(("X-CSRFToken", other.mask())),
            "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
        ),
        (
            post(&cookies).insert_header(("X-CSRFToken", "short")),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
        ),
        (
            post(&cookies).insert_header(("X-CSRFToken", "!".repeat(32))),
            "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
        ),
        (
            post(&format!("{session}; csrftoken=short"))
                .insert_header(("X-CSRFToken", secret.mask())),
            "CSRF cookie has incorrect length.",
        ),
        (
            post(&cookies)
                .insert_header(("X-CSRFToken", secret.mask()))
                .insert_header(("Origin", "https://evil.example")),
            "Origin checking failed - https://evil.example does not match any trusted origins.",
        ),
        (
            post(&cookies)
                .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(format!("a=1&csrfmiddlewaretoken={}", other.mask())),
            "CSRF token from POST incorrect.",
        ),
        (
            post(&cookies)
                .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload("csrfmiddlewaretoken=abc"),
            "CSRF token from POST has incorrect length.",
        ),
        // JSON bodies are not forms: the field does not count.
        (
            post(&cookies).set_json(json!({"csrfmiddlewaretoken": secret.mask()})),
            "CSRF token missing.",
        ),
    ];
    for (req, reason) in cases {
        let reply = send!(&app, req);
        assert_eq!(
            reply.summary(),
            (403, None, csrf_failed(reason).as_str()),
            "{reason}"
        );
    }
    // Every unsafe method is checked, on AllowAny views too.
    for req in [
        TestRequest::put().uri("/"),
        TestRequest::delete().uri("/"),
        TestRequest::post().uri("/private"),
    ] {
        let reply = send!(&app, with_cookies(req, &cookies));
        assert_eq!(reply.status, 403, "{}", reply.body);
    }

    // The header, masked or not.
    for token in [secret.mask(), secret.as_str().to_owned()] {
        let reply = send!(
            &app,
            post(&cookies)
                .insert_header(("X-CSRFToken", token))
                .set_payload("raw body")
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply.body.contains(r#""body":"raw body""#),
            "{}",
            reply.body
        );
    }
    // The form field, masked or not: the handler still gets the whole body.
    for token in [secret.mask(), secret.as_str().to_owned()] {
        let form = format!("a=1&csrfmiddlewaretoken={token}");
        let reply = send!(
            &app,
            post(&cookies)
                .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(form.clone())
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains(&form), "{}", reply.body);
    }
    // A multipart form field.
    let multipart = format!(
        "--B\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{}\r\n--B--\r\n",
        secret.mask()
    );
    let reply = send!(
        &app,
        post(&cookies)
            .insert_header((CONTENT_TYPE, "multipart/form-data; boundary=B"))
            .set_payload(multipart)
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // An empty form field falls back to the header.
    let reply = send!(
        &app,
        post(&cookies)
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header(("X-CSRFToken", secret.mask()))
            .set_payload("csrfmiddlewaretoken=")
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Safe methods need nothing.
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &session)
    );
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn the_middleware_reads_the_form_field_and_keeps_the_body() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    let secret = CsrfSecret::generate();
    let cookies = format!("{session}; csrftoken={}", secret.as_str());
    let form = format!("note=hello+world&csrfmiddlewaretoken={}", secret.mask());
    let reply = send!(
        &app,
        with_cookies(TestRequest::post().uri("/scoped/echo"), &cookies)
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form.clone())
    );
    assert_eq!((reply.status, reply.body), (200, format!("alice {form}")));
    let reply = send!(
        &app,
        with_cookies(TestRequest::post().uri("/scoped/echo"), &cookies)
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload("note=no+token")
    );
    assert_eq!(
        reply.summary(),
        (403, None, csrf_failed("CSRF token missing.").as_str())
    );
    // A form over the body limit is refused while looking for the field.
    let small = AuthSettings::builder()
        .store(f.store.clone())
        .site(
            SiteSettings::builder()
                .secret_key(SECRET)
                .body_limit(40)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = app!(f, small);
    let reply = send!(
        &app,
        with_cookies(TestRequest::post().uri("/"), &cookies)
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form)
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (413, r#"{"detail":"Request body is too large."}"#)
    );
}

#[actix_web::test]
async fn a_password_change_ends_the_session() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    f.store.set_password(f.alice.id, "new password").unwrap();
    let reply = send!(&app, with_cookies(TestRequest::get().uri("/"), &session));
    assert!(
        reply.body.contains(r#""user":"AnonymousUser""#),
        "{}",
        reply.body
    );
    // The session was flushed: the client gets a fresh, empty session, and
    // replaying the old cookie finds nothing.
    let fresh = cookie_value(&reply, "sessionid").expect("a new session");
    assert!(!fresh.is_empty() && format!("sessionid={fresh}") != session);
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &session)
    );
    assert_eq!(reply.status, 403);
    // No CSRF check for what is now an anonymous request.
    let reply = send!(&app, with_cookies(TestRequest::post().uri("/"), &session));
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn sessions_of_a_backend_the_site_does_not_list_are_anonymous() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    for backend in ["", "django.contrib.auth.backends.RemoteUserBackend"] {
        let uri = format!("/as/{}/{}?backend={backend}", f.alice.id, hash_of(&f.alice));
        let reply = send!(&app, TestRequest::post().uri(&uri));
        let session = format!("sessionid={}", cookie_value(&reply, "sessionid").unwrap());
        let reply = send!(&app, with_cookies(TestRequest::get().uri("/"), &session));
        assert!(
            reply.body.contains(r#""user":"AnonymousUser""#),
            "{backend:?}: {}",
            reply.body
        );
    }
    // Listed, it is the user's.
    let site = SiteSettings::builder()
        .secret_key(SECRET)
        .authentication_backends([
            "django.contrib.auth.backends.ModelBackend",
            "django.contrib.auth.backends.RemoteUserBackend",
        ])
        .build()
        .unwrap();
    let listed = AuthSettings::builder()
        .store(f.store.clone())
        .site(site)
        .build()
        .unwrap();
    let app = app!(f, listed);
    let uri = format!(
        "/as/{}/{}?backend=django.contrib.auth.backends.RemoteUserBackend",
        f.alice.id,
        hash_of(&f.alice)
    );
    let reply = send!(&app, TestRequest::post().uri(&uri));
    let session = format!("sessionid={}", cookie_value(&reply, "sessionid").unwrap());
    let reply = send!(&app, with_cookies(TestRequest::get().uri("/"), &session));
    assert!(reply.body.contains(r#""user":"alice""#), "{}", reply.body);
}

#[actix_web::test]
async fn inactive_deleted_and_unhashed_sessions_are_anonymous() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let sleepy = login!(&app, f.sleepy);
    let reply = send!(&app, with_cookies(TestRequest::post().uri("/"), &sleepy));
    assert_eq!(reply.status, 200, "no CSRF check: {}", reply.body);
    assert!(
        reply.body.contains(r#""user":"AnonymousUser""#),
        "{}",
        reply.body
    );

    let alice = login!(&app, f.alice);
    f.store.set_active(f.alice.id, false).unwrap();
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &alice)
    );
    assert_eq!(reply.status, 403);
    f.store.set_active(f.alice.id, true).unwrap();
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &alice)
    );
    assert_eq!(
        reply.status, 200,
        "reactivated: the session was not flushed"
    );

    f.store.delete_user(f.alice.id).unwrap();
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &alice)
    );
    assert_eq!(reply.status, 403);

    // A session whose hash was made with another key.
    let bob = f
        .store
        .create_user(NewUser::new("bob", Some("pw".into())))
        .unwrap();
    let uri = format!("/as/{}/{}", bob.id, "0".repeat(64));
    let reply = send!(&app, TestRequest::post().uri(&uri));
    let forged = format!("sessionid={}", cookie_value(&reply, "sessionid").unwrap());
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &forged)
    );
    assert_eq!(reply.status, 403);
}

#[actix_web::test]
async fn fallback_keys_keep_sessions_alive_across_a_key_rotation() {
    let f = fixture();
    let old = app!(f, settings(&f.store));
    let session = login!(&old, f.alice);
    let rotated = AuthSettings::builder()
        .store(f.store.clone())
        .site(
            SiteSettings::builder()
                .secret_key("the-new-secret-key-0123456789-0123456789-01234")
                .secret_key_fallbacks([SECRET])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = app!(f, rotated);
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &session)
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Upgraded under a fresh session key.
    let renewed = cookie_value(&reply, "sessionid").expect("a renewed session");
    assert_ne!(format!("sessionid={renewed}"), session);
    let renewed = format!("sessionid={renewed}");
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &renewed)
    );
    assert_eq!(reply.status, 200);
    // Without the fallback the old session is over.
    let session2 = login!(&old, f.alice);
    let strict = AuthSettings::builder()
        .store(f.store.clone())
        .site(
            SiteSettings::builder()
                .secret_key("the-new-secret-key-0123456789-0123456789-01234")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = app!(f, strict);
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &session2)
    );
    assert_eq!(reply.status, 403);
}

#[actix_web::test]
async fn a_session_user_without_a_secret_key_is_a_server_error() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    let keyless = AuthSettings::builder()
        .store(f.store.clone())
        .build()
        .unwrap();
    let app = app!(f, keyless);
    let reply = send!(&app, with_cookies(TestRequest::get().uri("/"), &session));
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("secret key"), "{}", reply.body);
    // Without a session nothing needs the key.
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn basic_still_works_after_an_anonymous_session() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let header = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "alice:pw")
    );
    let reply = send!(
        &app,
        with_auth(TestRequest::post().uri("/"), header.as_bytes())
    );
    assert!(
        reply.body.contains(r#""by":"BasicAuthentication""#),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn a_failing_session_store_is_a_503() {
    let f = fixture();
    let app = app!(f, settings(&f.store));
    let session = login!(&app, f.alice);
    // The same signing key, a session table that cannot be read.
    let (broken, _dir) = crate::common::broken_store();
    let app = app!(f, settings(&f.store), DieselSessionStore::from(&broken));
    let reply = send_or_error!(&app, with_cookies(TestRequest::get().uri("/"), &session));
    assert_eq!(reply.summary(), (503, None, crate::common::UNAVAILABLE));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    // Saving fails the same way: a login is not reported as a success.
    let uri = format!("/as/{}/{}", f.alice.id, hash_of(&f.alice));
    let reply = send_or_error!(&app, TestRequest::post().uri(&uri));
    assert_eq!(reply.status, 503);
}

/// Without actix-session's middleware every request would look anonymous: session
/// authentication says so instead (a 500 naming the fix), whether or not a cookie came.
#[actix_web::test]
async fn session_authentication_without_the_session_middleware_is_an_error() {
    let f = fixture();
    let app = init_service(
        App::new()
            .app_data(settings(&f.store))
            .route("/", web::to(whoami))
            .route("/private", web::to(private)),
    )
    .await;
    for path in ["/", "/private"] {
        let reply = send!(
            &app,
            with_cookies(TestRequest::get().uri(path), "sessionid=abc")
        );
        assert_eq!(reply.status, 500, "{path}: {}", reply.body);
        assert!(
            reply
                .body
                .contains("SessionAuthentication runs without actix-session's SessionMiddleware"),
            "{}",
            reply.body
        );
        assert!(
            reply.body.contains("session::django_defaults(store, key)"),
            "{}",
            reply.body
        );
    }
    // DRF's defaults try Session before Basic: the mistake shows with Basic credentials too.
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/"), b"Basic YWxpY2U6cHc=")
    );
    assert_eq!(reply.status, 500, "{}", reply.body);
    // With the middleware, an anonymous request is anonymous, and the probe leaves the
    // session untouched: a logged-in session still works afterwards.
    let app = app!(f, settings(&f.store));
    let reply = send!(&app, TestRequest::get().uri("/private"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    let cookie = login!(&app, f.alice);
    let reply = send!(
        &app,
        with_cookies(TestRequest::get().uri("/private"), &cookie)
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

//! django-rest-knox over HTTP: every status and body of knox's views and
//! `KnoxTokenAuthentication`, expiry and auto-refresh with an injected
//! clock, the per-user limit, the device list, and a 503 when the store is
//! down.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::test::TestRequest;
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::knox::KnoxSettingsBuilder;
use auth_actix::auth_core::NewUser;
use auth_actix::knox::{self, KnoxSettings, KnoxStore, KnoxToken, KnoxTokenAuthentication};
use auth_actix::prelude::*;
use auth_actix::AuthStore;
use auth_testkit::{broken_store, sqlite_store, Reply, TestApp};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::json;

/// `/knox/` of drf_parity: the user and the token's `token_key`.
#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    let key = request
        .auth()
        .and_then(|auth| auth.get::<KnoxToken>())
        .map(|token| token.token_key.clone());
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "auth": key}))
}

/// The clock's start: 2026-12-05 10:00:00.25 UTC.
fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 5)
        .unwrap()
        .and_hms_micro_opt(10, 0, 0, 250_000)
        .unwrap()
}

struct Fixture {
    app: TestApp,
    store: AuthStore,
    knox: KnoxStore,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// knox's views (login with the app's default class, Basic) and
    /// `/knox/` over a fresh database with `alice` (`pw`) and `bob` (`pw`).
    async fn new(settings: KnoxSettingsBuilder) -> Fixture {
        let (store, dir) = sqlite_store();
        for name in ["alice", "bob"] {
            store
                .create_user(NewUser::new(name, Some("pw".into())))
                .unwrap();
        }
        let clock = Arc::new(AtomicI64::new(0));
        let moved = Arc::clone(&clock);
        let settings = settings
            .clock(Arc::new(move || {
                start() + TimeDelta::seconds(moved.load(Ordering::SeqCst))
            }))
            .build()
            .unwrap();
        let knox = KnoxStore::new(store.database().clone(), settings);
        let auth = AuthSettings::builder()
            .store(store.clone())
            .default_authentication_classes((BasicAuthentication,))
            .build()
            .unwrap();
        let app = TestApp::new(
            App::new()
                .app_data(auth)
                .app_data(knox.clone())
                .configure(knox::urls)
                .route("/knox/", web::to(whoami)),
        )
        .await;
        Fixture {
            app,
            store,
            knox,
            clock,
            _dir: dir,
        }
    }

    fn at(&self, seconds: i64) {
        self.clock.store(seconds, Ordering::SeqCst);
    }

    async fn login(&self, user: &str) -> Reply {
        self.app.post("/api/auth/login/").basic(user, "pw").await
    }

    async fn token(&self, user: &str) -> String {
        let reply = self.login(user).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["token"].as_str().unwrap().to_owned()
    }

    async fn me(&self, token: &str) -> Reply {
        self.app
            .get("/knox/")
            .authorization(&format!("Token {token}"))
            .await
    }
}

const INVALID: &str = r#"{"detail":"Invalid token."}"#;

#[actix_web::test]
async fn login_answers_knoxs_body() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let reply = f.login("alice").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let token = reply.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    let alice = f.store.user_by_username("alice").unwrap().unwrap();
    assert!(
        alice.last_login.is_some(),
        "knox's user_logged_in sets last_login"
    );
    assert!(token
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert_eq!(
        reply.text(),
        format!(r#"{{"expiry":"2026-12-05T20:00:00.250000Z","token":"{token}"}}"#)
    );
    // Anonymous: the view's class (Basic) asks for credentials.
    let anonymous = f.app.post("/api/auth/login/").await;
    assert_eq!(
        anonymous.summary(),
        (
            401,
            Some(r#"Basic realm="api""#),
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    let wrong = f.app.post("/api/auth/login/").basic("alice", "nope").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.text(), r#"{"detail":"Invalid username/password."}"#);
    // GET: knox's LoginView has only post.
    let get = f.app.get("/api/auth/login/").basic("alice", "pw").await;
    assert_eq!(get.status, 405);
    assert_eq!(get.text(), r#"{"detail":"Method \"GET\" not allowed."}"#);
}

#[actix_web::test]
async fn no_expiry_renders_null() {
    let f = Fixture::new(KnoxSettings::builder().token_ttl(None)).await;
    let reply = f.login("alice").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["expiry"], serde_json::Value::Null);
    assert!(reply.text().starts_with(r#"{"expiry":null,"token":""#));
}

#[actix_web::test]
async fn header_rules_and_messages_are_knoxs() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let token = f.token("alice").await;
    let key = &token[..15];
    let ok = format!(r#"{{"auth":"{key}","user":"alice"}}"#);
    for header in [
        format!("Token {token}"),
        format!("token {token}"),
        format!("TOKEN\t{token}  "),
    ] {
        let reply = f.app.get("/knox/").authorization(&header).await;
        assert_eq!((reply.status, reply.text()), (200, ok.as_str()), "{header}");
    }
    for method in ["POST", "PUT", "PATCH"] {
        let reply = f
            .app
            .request(method.parse().unwrap(), "/knox/")
            .authorization(&format!("Token {token}"))
            .await;
        assert_eq!((reply.status, reply.text()), (200, ok.as_str()), "{method}");
    }
    let cases: &[(&str, &str)] = &[
        (
            "Token",
            r#"{"detail":"Invalid token header. No credentials provided."}"#,
        ),
        (
            "Token a b",
            r#"{"detail":"Invalid token header. Token string should not contain spaces."}"#,
        ),
        ("Token nope", INVALID),
        (
            "Token 0000000000000000000000000000000000000000000000000000000000000000",
            INVALID,
        ),
        (
            "Bearer x",
            r#"{"detail":"Authentication credentials were not provided."}"#,
        ),
    ];
    for (header, body) in cases {
        let reply = f.app.get("/knox/").authorization(header).await;
        assert_eq!(reply.summary(), (401, Some("Token"), *body), "{header}");
    }
    let none = f.app.get("/knox/").await;
    assert_eq!(
        none.summary(),
        (
            401,
            Some("Token"),
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    // The first 15 characters right, the rest wrong.
    let mut lookalike = token.clone();
    lookalike.replace_range(63.., if token.ends_with('0') { "1" } else { "0" });
    assert_eq!(f.me(&lookalike).await.text(), INVALID);
}

#[actix_web::test]
async fn non_utf8_tokens_are_invalid_not_500() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let auth = AuthSettings::builder()
        .store(f.store.clone())
        .build()
        .unwrap();
    let service = actix_web::test::init_service(
        App::new()
            .app_data(auth)
            .app_data(f.knox.clone())
            .route("/knox/", web::to(whoami)),
    )
    .await;
    for bytes in [&b"Token \xff\xfe"[..], b"Token abc\xb8", b"token \xc3"] {
        let request = TestRequest::get()
            .uri("/knox/")
            .insert_header((AUTHORIZATION, HeaderValue::from_bytes(bytes).unwrap()))
            .to_request();
        let reply =
            auth_testkit::app::read(actix_web::test::call_service(&service, request).await).await;
        assert_eq!(reply.summary(), (401, Some("Token"), INVALID), "{bytes:?}");
    }
}

#[actix_web::test]
async fn inactive_users_are_refused() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let token = f.token("alice").await;
    let alice = f.store.user_by_username("alice").unwrap().unwrap();
    f.store.set_active(alice.id, false).unwrap();
    assert_eq!(
        f.me(&token).await.summary(),
        (
            401,
            Some("Token"),
            r#"{"detail":"User inactive or deleted."}"#
        )
    );
}

#[actix_web::test]
async fn logout_and_logoutall() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let (a, b, c) = (
        f.token("alice").await,
        f.token("alice").await,
        f.token("bob").await,
    );
    let logout = f
        .app
        .post("/api/auth/logout/")
        .authorization(&format!("Token {a}"))
        .await;
    assert_eq!((logout.status, logout.text()), (204, ""));
    assert_eq!(f.me(&a).await.text(), INVALID);
    assert_eq!(f.me(&b).await.status, 200);
    let all = f
        .app
        .post("/api/auth/logoutall/")
        .authorization(&format!("Token {b}"))
        .await;
    assert_eq!((all.status, all.text()), (204, ""));
    assert_eq!(f.me(&b).await.text(), INVALID);
    assert_eq!(f.me(&c).await.status, 200, "bob's token stays");
    // Logout takes knox's token only.
    let basic = f.app.post("/api/auth/logout/").basic("bob", "pw").await;
    assert_eq!(
        basic.summary(),
        (
            401,
            Some("Token"),
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    let get = f
        .app
        .get("/api/auth/logout/")
        .authorization(&format!("Token {c}"))
        .await;
    assert_eq!(get.status, 405);
}

#[actix_web::test]
async fn the_limit_is_knoxs_403() {
    let f = Fixture::new(KnoxSettings::builder().token_limit_per_user(Some(3))).await;
    for _ in 0..3 {
        f.token("alice").await;
    }
    let refused = f.login("alice").await;
    assert_eq!(
        (refused.status, refused.text()),
        (
            403,
            r#"{"error":"Maximum amount of tokens allowed per user exceeded."}"#
        )
    );
    assert_eq!(f.login("bob").await.status, 200);
    // Once one expires, there is room again.
    f.at(36_001);
    assert_eq!(f.login("alice").await.status, 200);
}

#[actix_web::test]
async fn expired_tokens_are_refused_and_deleted() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let token = f.token("alice").await;
    f.at(36_000);
    assert_eq!(f.me(&token).await.status, 200);
    f.at(36_001);
    assert_eq!(f.me(&token).await.text(), INVALID);
    let alice = f.store.user_by_username("alice").unwrap().unwrap();
    f.at(0);
    assert!(
        f.knox.tokens_of(alice.id).unwrap().is_empty(),
        "the row is deleted"
    );
    assert_eq!(f.me(&token).await.text(), INVALID);
}

#[actix_web::test]
async fn auto_refresh_moves_the_expiry() {
    let f = Fixture::new(
        KnoxSettings::builder()
            .auto_refresh(true)
            .token_ttl(Some(Duration::from_secs(600)))
            .auto_refresh_max_ttl(Some(Duration::from_secs(1000))),
    )
    .await;
    let token = f.token("alice").await;
    let alice = f.store.user_by_username("alice").unwrap().unwrap();
    let expiry = |f: &Fixture| f.knox.tokens_of(alice.id).unwrap()[0].expiry.unwrap();
    f.at(30);
    assert_eq!(f.me(&token).await.status, 200);
    assert_eq!(
        expiry(&f),
        start() + TimeDelta::seconds(600),
        "under MIN_REFRESH_INTERVAL"
    );
    f.at(500);
    assert_eq!(f.me(&token).await.status, 200);
    assert_eq!(expiry(&f), start() + TimeDelta::seconds(1000), "capped");
    f.at(1000);
    assert_eq!(f.me(&token).await.status, 200);
    f.at(1001);
    assert_eq!(f.me(&token).await.text(), INVALID);
}

#[actix_web::test]
async fn the_device_list() {
    let f = Fixture::new(KnoxSettings::builder()).await;
    let first = f.token("alice").await;
    f.at(5);
    let second = f.token("alice").await;
    let bobs = f.token("bob").await;
    let list = f
        .app
        .get("/api/auth/tokens/")
        .authorization(&format!("Token {second}"))
        .await;
    assert_eq!(list.status, 200);
    let entries = list.json();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let id = |entry: &serde_json::Value| entry["id"].as_str().unwrap().to_owned();
    let first_id = id(&entries[0]);
    assert_eq!(first_id.len(), 16);
    assert_eq!(
        list.text(),
        format!(
            r#"[{{"id":"{first_id}","created":"2026-12-05T10:00:00.250000Z","expiry":"2026-12-05T20:00:00.250000Z","current":false}},{{"id":"{}","created":"2026-12-05T10:00:05.250000Z","expiry":"2026-12-05T20:00:05.250000Z","current":true}}]"#,
            id(&entries[1])
        )
    );
    let not_found = r#"{"detail":"Not found."}"#;
    // Bob cannot revoke Alice's token.
    let other = f
        .app
        .delete(&format!("/api/auth/tokens/{first_id}/"))
        .authorization(&format!("Token {bobs}"))
        .await;
    assert_eq!((other.status, other.text()), (404, not_found));
    let unknown = f
        .app
        .delete("/api/auth/tokens/0000000000000000/")
        .authorization(&format!("Token {second}"))
        .await;
    assert_eq!((unknown.status, unknown.text()), (404, not_found));
    let revoked = f
        .app
        .delete(&format!("/api/auth/tokens/{first_id}/"))
        .authorization(&format!("Token {second}"))
        .await;
    assert_eq!((revoked.status, revoked.text()), (204, ""));
    assert_eq!(f.me(&first).await.text(), INVALID);
    assert_eq!(f.me(&second).await.status, 200);
    let anonymous = f.app.get("/api/auth/tokens/").await;
    assert_eq!(anonymous.status, 401);
}

#[actix_web::test]
async fn store_down_is_503() {
    let (store, _dir) = broken_store();
    let knox = KnoxStore::new(store.database().clone(), KnoxSettings::default());
    let auth = AuthSettings::builder().store(store).build().unwrap();
    let app = TestApp::new(
        App::new()
            .app_data(auth)
            .app_data(knox)
            .route("/knox/", web::to(whoami)),
    )
    .await;
    let reply = app
        .get("/knox/")
        .authorization("Token 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            503,
            r#"{"detail":"Service temporarily unavailable, try again later."}"#
        )
    );
}

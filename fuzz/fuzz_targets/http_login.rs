//! The session `login` view and a view behind `RemoteUserAuthentication`
//! over HTTP (actix-web's test service, Django's session middleware over the
//! Diesel store, `FailClosed`, a real SQLite store with alice/pw and the
//! inactive sleepy/pw): never a 5xx, always a JSON object, and a success only
//! where Django would give one. Input: a flag byte (bit 0 picks the view),
//! then 0xff-separated fields (the last takes the rest).
//!
//! - `login` (bit 0 clear): bits 1-3 the method, bit 4 `X-Forwarded-Proto:
//!   https` (trusted by the CSRF settings, so the `Referer` check runs), bit 5
//!   log alice in first (her live session cookie goes before the fuzzed
//!   cookies); fields `Content-Type`, `Cookie`, `X-CSRFToken`, `Referer`,
//!   `Origin`, `Host`, body. 200, 400, 403, 405, 413 or 415 (a host the
//!   settings do not allow is Django's 400 page, never for an allowed one);
//!   a 200 to a `POST`
//!   is alice logged in (a new session cookie and CSRF secret), and needs a
//!   `csrftoken` cookie.
//! - RemoteUser (bit 0 set): bits 1-3 the peer address (inside the trusted
//!   proxies `10.0.0.0/8` and `::1`, outside, or none), bit 4 a view that
//!   does not create unknown users (its own store: alice and sleepy only),
//!   bits 5-6 the method; fields `Remote-User`, `X-Forwarded-For` (which the
//!   configuration ignores). 200, 403 or 405; an untrusted peer or a missing
//!   header is always 403, and a 200 is the active user the header names.
#![no_main]

use auth_actix::site::SiteSettings;
use std::cell::RefCell;
use std::net::SocketAddr;

use actix_web::body::{to_bytes, BoxBody};
use actix_web::cookie::Key;
use actix_web::dev::Service;
use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::http::Method;
use actix_web::test::{init_service, TestRequest};
use actix_web::web::Bytes;
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::NewUser;
use auth_actix::csrf::CsrfConfig;
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::views::login;
use auth_actix::{AuthStore, RemoteUserConfig};
use drf_actix_fuzz::{fields, scratch_dir, sqlite_store_with_alice};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const SECRET: &str = "fuzz-login-secret-key-0123456789-0123456789-0123456";

/// A well-formed CSRF secret, for logging alice in before an input.
const CSRF_SECRET: &str = "fuzzLoginCsrfSecret0123456789abc";

const LOGIN_METHODS: [&str; 8] = [
    "POST", "POST", "POST", "POST", "GET", "PUT", "OPTIONS", "post",
];
const REMOTE_METHODS: [&str; 4] = ["GET", "GET", "POST", "OPTIONS"];

/// The peers of a RemoteUser request; the first four are trusted proxies.
const PEERS: [Option<&str>; 8] = [
    Some("10.0.0.7:5000"),
    Some("10.200.3.4:443"),
    Some("[::ffff:10.1.2.3]:5000"),
    Some("[::1]:5000"),
    Some("203.0.113.9:5000"),
    Some("11.0.0.1:5000"),
    Some("[fe80::1]:5000"),
    None,
];
const TRUSTED_PEERS: usize = 4;

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user": request.user().to_string() }))
}

/// A response: status, body, and the cookies it sets (name, value).
struct Reply {
    status: u16,
    body: Bytes,
    cookies: Vec<(String, String)>,
}

async fn reply(response: HttpResponse<BoxBody>) -> Reply {
    let status = response.status().as_u16();
    let cookies = response
        .cookies()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    let body = to_bytes(response.into_body()).await.unwrap_or_default();
    Reply {
        status,
        body,
        cookies,
    }
}

impl Reply {
    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Run = Box<dyn FnMut(actix_http::Request) -> Reply>;

/// A migrated store in `dir` with alice/pw and the inactive sleepy/pw.
fn user_store(dir: &tempfile::TempDir, name: &str) -> AuthStore {
    let store = sqlite_store_with_alice(dir.path(), name);
    let mut sleepy = NewUser::new("sleepy", Some("pw".into()));
    sleepy.is_active = false;
    store.create_user(sleepy).unwrap();
    store
}

fn remote_settings(store: &AuthStore) -> AuthSettings {
    AuthSettings::builder()
        .store(store.clone())
        .build()
        .unwrap()
}

fn remote_config(create: bool) -> RemoteUserConfig {
    let proxies = ["10.0.0.0/8", "::1"].map(|p| p.parse().unwrap());
    RemoteUserConfig::default()
        .trusted_proxies(proxies)
        .create_unknown_user(create)
}

/// The app, built once per process, and a runtime to call it on.
fn app() -> Run {
    let dir = scratch_dir();
    let store = user_store(&dir, "db.sqlite3");
    let known_only = user_store(&dir, "known.sqlite3");
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(
            SiteSettings::builder()
                .secret_key(SECRET)
                .body_limit(4096)
                .use_x_forwarded_proto(true)
                .allowed_hosts([".example.com", "localhost", "[::1]"])
                .build()
                .unwrap(),
        )
        .csrf(CsrfConfig {
            trusted_origins: vec!["https://*.example.com".into(), "http://trusted.test".into()],
            cookie_domain: Some(".example.com".into()),
            ..CsrfConfig::default()
        })
        .build()
        .unwrap();
    let system = actix_web::rt::System::new();
    let app = system.block_on(init_service(
        App::new()
            .app_data(settings)
            .wrap(
                session::django_defaults(DieselSessionStore::from(&store), Key::from(&[7; 64]))
                    .build(),
            )
            .wrap(FailClosed)
            .service(login)
            .service(
                web::resource("/remote/create")
                    .app_data(remote_settings(&store))
                    .app_data(remote_config(true))
                    .to(remote),
            )
            .service(
                web::resource("/remote/known")
                    .app_data(remote_settings(&known_only))
                    .app_data(remote_config(false))
                    .to(remote),
            ),
    ));
    Box::new(move |request| {
        let _keep = &dir;
        system.block_on(async {
            // An error is answered as a server would answer it.
            let response = match app.call(request).await {
                Ok(response) => response.map_into_boxed_body().into_parts().1,
                Err(err) => HttpResponse::from_error(err),
            };
            reply(response).await
        })
    })
}

thread_local! {
    // Leaked: dropping the app at exit would run after actix-web's own
    // thread-locals are gone.
    static APP: &'static RefCell<Run> = Box::leak(Box::new(RefCell::new(app())));
}

fn call(request: TestRequest) -> Reply {
    APP.with(|app| (app.borrow_mut())(request.to_request()))
}

/// `request` with `name: value`, unless the value is empty or not a header value.
fn header(request: TestRequest, name: &str, value: &[u8]) -> TestRequest {
    match HeaderValue::from_bytes(value) {
        Ok(value) if !value.is_empty() => request.insert_header((name, value)),
        _ => request,
    }
}

/// A live session cookie of alice's, from a real login.
fn alice_session() -> String {
    let reply = call(
        TestRequest::post()
            .uri("/api-auth/login/")
            .insert_header((COOKIE, format!("csrftoken={CSRF_SECRET}")))
            .insert_header(("X-CSRFToken", CSRF_SECRET))
            .set_json(json!({"username": "alice", "password": "pw"})),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply
        .cookie("sessionid")
        .expect("a session cookie")
        .to_owned()
}

fn json_object(reply: &Reply) -> Value {
    let value: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{e}: status {}, body {:?}", reply.status, reply.body));
    assert!(value.is_object(), "{value}");
    value
}

fn fuzz_login(flags: u8, data: &[u8]) {
    let f = fields(data, 7);
    let method = LOGIN_METHODS[usize::from(flags >> 1) % LOGIN_METHODS.len()];
    let mut cookie = f[1].to_vec();
    if flags & 0x20 != 0 {
        let mut with_session = format!("sessionid={}; ", alice_session()).into_bytes();
        with_session.extend_from_slice(&cookie);
        cookie = with_session;
    }
    let mut request = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri("/api-auth/login/")
        .set_payload(f[6].to_vec());
    if flags & 0x10 != 0 {
        request = request.insert_header(("x-forwarded-proto", "https"));
    }
    for (name, value) in [
        ("content-type", f[0]),
        ("cookie", &cookie),
        ("x-csrftoken", f[2]),
        ("referer", f[3]),
        ("origin", f[4]),
        ("host", f[5]),
    ] {
        request = header(request, name, value);
    }
    let reply = call(request);
    if reply.body == auth_actix::http::BAD_REQUEST_PAGE.as_bytes() {
        // Django's `DisallowedHost`: never for a host the settings allow.
        assert_eq!(reply.status, 400);
        let host = f[5].to_ascii_lowercase();
        let allowed = host.is_empty()
            || host == b"localhost"
            || (host.ends_with(b".example.com")
                && host
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(b)));
        assert!(!allowed, "host {:?} refused", String::from_utf8_lossy(f[5]));
        return;
    }
    assert!(
        [200, 400, 403, 405, 413, 415].contains(&reply.status),
        "status {}: {:?}",
        reply.status,
        reply.body
    );
    let value = json_object(&reply);
    if reply.status == 200 {
        match method {
            "POST" => {
                assert_eq!(value, json!({"user": "alice"}));
                let fresh = reply.cookie("sessionid").expect("a new session cookie");
                assert!(!fresh.is_empty());
                let rotated = reply.cookie("csrftoken").expect("a rotated CSRF cookie");
                assert!(rotated.len() == 32 && rotated.bytes().all(|b| b.is_ascii_alphanumeric()));
                assert!(
                    f[1].windows(9).any(|w| w == b"csrftoken"),
                    "a login without a CSRF cookie"
                );
            }
            "OPTIONS" => assert_eq!(value["name"], "Login"),
            _ => panic!("200 to {method}"),
        }
    }
}

fn fuzz_remote(flags: u8, data: &[u8]) {
    let f = fields(data, 2);
    let peer = usize::from(flags >> 1) % PEERS.len();
    let create = flags & 0x10 == 0;
    let method = REMOTE_METHODS[usize::from(flags >> 5) % REMOTE_METHODS.len()];
    let mut request = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(if create {
            "/remote/create"
        } else {
            "/remote/known"
        });
    if let Some(addr) = PEERS[peer] {
        request = request.peer_addr(addr.parse::<SocketAddr>().unwrap());
    }
    request = header(request, "remote-user", f[0]);
    request = header(request, "x-forwarded-for", f[1]);
    let reply = call(request);
    assert!(
        [200, 403, 405].contains(&reply.status),
        "status {}: {:?}",
        reply.status,
        reply.body
    );
    let value = json_object(&reply);
    let sent = HeaderValue::from_bytes(f[0]).is_ok_and(|v| !v.is_empty());
    if peer >= TRUSTED_PEERS || !sent {
        assert_eq!(
            (reply.status, &value),
            (
                403,
                &json!({"detail": "Authentication credentials were not provided."})
            ),
            "peer {:?}, Remote-User sent: {sent}",
            PEERS[peer]
        );
    }
    if reply.status == 200 && method == "GET" {
        // Django reads the header as latin-1.
        let named: String = f[0].iter().map(|&b| char::from(b)).collect();
        assert_eq!(value, json!({ "user": named }));
        assert_ne!(named, "sleepy", "an inactive user");
        assert!(create || named == "alice", "{named} was not created");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    if flags & 1 == 0 {
        fuzz_login(flags, rest);
    } else {
        fuzz_remote(flags, rest);
    }
});

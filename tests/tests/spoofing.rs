//! Spoofing over real sockets: a `Remote-User` header from a peer that is not a trusted proxy is
//! ignored, `X-Forwarded-Proto` does not make a request secure unless configured, and a session
//! key planted before a login is worthless after it.

use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig};
use auth_actix::csrf::CsrfConfig;
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::{AuthStore, RemoteUserConfig, TrustedProxy};
use examples::config::Secret;
use examples::parity::{self, Parity};
use integration_tests::server::{Browser, Response, Server};
use integration_tests::TempSqlite;

const SECRET_KEY: &str = "the spoofing test SECRET_KEY, long enough to derive from";
const NOT_PROVIDED: &str = r#"{"detail":"Authentication credentials were not provided."}"#;

fn store(db: &TempSqlite) -> AuthStore {
    let store = AuthStore::connect(&db.url(), &PoolConfig::default())
        .unwrap()
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().unwrap();
    for name in ["alice", "mallory"] {
        store
            .create_user(NewUser::new(name, Some(format!("{name}-pw"))))
            .unwrap();
    }
    store
}

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// A server whose `/remote/` believes `Remote-User` from `proxy` only.
fn remote_user_server(store: &AuthStore, proxy: &str) -> Server {
    let settings = AuthSettings::builder()
        .store(store.clone())
        .remote_user(
            RemoteUserConfig::default()
                .trusted_proxies([proxy.parse::<TrustedProxy>().expect("a proxy")]),
        )
        .build()
        .unwrap();
    Server::serve(
        move || {
            App::new()
                .app_data(settings.clone())
                .route("/remote/", web::to(remote))
        },
        1,
    )
}

#[test]
fn remote_user_from_an_untrusted_peer_is_ignored() {
    let db = TempSqlite::new();
    let store = store(&db);
    // This test's requests come from 127.0.0.1, which is not in 10.0.0.0/8.
    let server = remote_user_server(&store, "10.0.0.0/8");
    for user in ["alice", "admin", "newcomer"] {
        let reply = server.send("GET", "/remote/", &[("Remote-User", user)], "");
        assert_eq!(reply.summary(), (403, NOT_PROVIDED), "{user}");
    }
    assert!(
        store.user_by_username("newcomer").unwrap().is_none(),
        "no user is created from an untrusted header"
    );
    drop(server);
    // From a trusted proxy the header is believed.
    let server = remote_user_server(&store, "127.0.0.1");
    let reply = server.send("GET", "/remote/", &[("Remote-User", "alice")], "");
    assert_eq!(reply.summary(), (200, "alice"));
}

/// What a test does with a browser.
trait Visit {
    fn csrf_token(&mut self, server: &Server) -> String;
    fn log_in(&mut self, server: &Server, username: &str) -> Response;
}

impl Visit for Browser {
    fn csrf_token(&mut self, server: &Server) -> String {
        let reply = self.send(server, "GET", "/csrf/", &[], "");
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        body["csrftoken"].as_str().unwrap().to_owned()
    }

    fn log_in(&mut self, server: &Server, username: &str) -> Response {
        let token = self.csrf_token(server);
        let body = format!(r#"{{"username":"{username}","password":"{username}-pw"}}"#);
        self.send(
            server,
            "POST",
            "/login/",
            &[
                ("Content-Type", "application/json"),
                ("X-CSRFToken", &token),
            ],
            &body,
        )
    }
}

fn parity_server(store: &AuthStore) -> Server {
    Server::start(
        Parity::new(store.clone(), &Secret::new(SECRET_KEY).unwrap()).unwrap(),
        1,
    )
}

fn caller(user: &str) -> String {
    format!(r#"{{"user":"{user}","auth":null}}"#)
}

#[test]
fn a_session_planted_before_login_is_worthless_after_it() {
    let db = TempSqlite::new();
    let store = store(&db);
    let server = parity_server(&store);
    // Mallory logs in and plants her session cookie in Alice's browser.
    let mut mallory = Browser::default();
    assert_eq!(mallory.log_in(&server, "mallory").status, 200);
    let planted = mallory.session_key(SECRET_KEY);
    let mut alice = mallory.clone();
    let reply = alice.log_in(&server, "alice");
    assert_eq!(reply.summary(), (200, r#"{"user":"alice"}"#));
    assert_ne!(
        alice.session_key(SECRET_KEY),
        planted,
        "login renews the session key"
    );
    let reply = alice.send(&server, "GET", "/session/", &[], "");
    assert_eq!(reply.summary(), (200, caller("alice").as_str()));
    // Mallory's copy of the old key is not Alice's session, nor her own any more.
    let reply = mallory.send(&server, "GET", "/session/", &[], "");
    assert_eq!(reply.summary(), (403, NOT_PROVIDED));
    // A second login of the same user also renews the key; the previous one dies.
    let before = alice.session_key(SECRET_KEY);
    let mut old = alice.clone();
    assert_eq!(alice.log_in(&server, "alice").status, 200);
    assert_ne!(alice.session_key(SECRET_KEY), before);
    let reply = old.send(&server, "GET", "/session/", &[], "");
    assert_eq!(reply.summary(), (403, NOT_PROVIDED));
    let reply = alice.send(&server, "GET", "/session/", &[], "");
    assert_eq!(reply.summary(), (200, caller("alice").as_str()));
}

/// A parity app with `csrf` as its CSRF settings.
fn server_with_csrf(store: &AuthStore, csrf: CsrfConfig) -> Server {
    let secret = Secret::new(SECRET_KEY).unwrap();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .secret_key(secret.expose())
        .csrf(csrf)
        .build()
        .unwrap();
    let sessions = DieselSessionStore::from(store);
    let key = secret.cookie_key();
    Server::serve(
        move || {
            App::new()
                .app_data(settings.clone())
                .wrap(session::django_defaults(sessions.clone(), key.clone()).build())
                .wrap(FailClosed)
                .configure(parity::routes)
        },
        1,
    )
}

#[test]
fn x_forwarded_proto_is_ignored_unless_configured() {
    let db = TempSqlite::new();
    let store = store(&db);
    let no_referer = r#"{"detail":"CSRF Failed: Referer checking failed - no Referer."}"#;
    for (use_x_forwarded_proto, expected) in [
        (false, (200, caller("alice"))),
        (true, (403, no_referer.to_owned())),
    ] {
        let server = server_with_csrf(
            &store,
            CsrfConfig {
                use_x_forwarded_proto,
                ..CsrfConfig::default()
            },
        );
        let mut browser = Browser::default();
        assert_eq!(browser.log_in(&server, "alice").status, 200);
        let token = browser.csrf_token(&server);
        // Claims HTTPS, without the Referer a secure request must carry.
        let reply = browser.send(
            &server,
            "POST",
            "/session/",
            &[("X-Forwarded-Proto", "https"), ("X-CSRFToken", &token)],
            "",
        );
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (expected.0, expected.1.as_str()),
            "use_x_forwarded_proto = {use_x_forwarded_proto}"
        );
    }
}

//! Spoofing over real sockets: a `Remote-User` header from a peer that is not a trusted proxy is
//! ignored, `X-Forwarded-Proto` does not make a request secure unless configured, a session
//! key planted before a login is worthless after it, a `Host` the settings do not allow is refused
//! (DNS rebinding), a credential header sent twice is refused, and a response that read the
//! session varies on `Cookie`.

use auth_actix::site::{SiteSettings, SiteSettingsBuilder};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig};
use auth_actix::http::BAD_REQUEST_PAGE;
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed};
use auth_actix::views::obtain_auth_token;
use auth_actix::{AuthStore, RemoteUserConfig, TrustedProxy};
use examples::config::Secret;
use examples::parity::{self, Parity};
use integration_tests::server::{exchange, parse_response, Browser, Response, Server};
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
        .build()
        .unwrap();
    let remote_user = RemoteUserConfig::default()
        .trusted_proxies([proxy.parse::<TrustedProxy>().expect("a proxy")]);
    Server::serve(
        move || {
            App::new()
                .app_data(settings.clone())
                .app_data(remote_user.clone())
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
fn server_with_site(store: &AuthStore, site: SiteSettingsBuilder) -> Server {
    let secret = Secret::new(SECRET_KEY).unwrap();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(site.secret_key(secret.expose()).build().unwrap())
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
        let server = server_with_site(
            &store,
            SiteSettings::builder().use_x_forwarded_proto(use_x_forwarded_proto),
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

// ------------------------------------------------------------------------------------------------
// The outside audit's findings, each as a request a client can send.

/// `GET <path>` with `Host: <host>` and `headers`, on a new connection.
fn get_with_host(server: &Server, path: &str, host: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    exchange(
        &server.addr(),
        request.as_bytes(),
        &format!("GET {path} (Host: {host})"),
    )
}

/// DNS rebinding: a page whose name resolves to this loopback server makes the browser send
/// `Host: <that name>`. Django's `get_host()` refuses a host `ALLOWED_HOSTS` does not list, so the
/// request never reaches the loopback-trusted `Remote-User` check; the loopback names pass.
#[test]
fn a_host_not_allowed_is_refused_before_authentication() {
    let db = TempSqlite::new();
    let store = store(&db);
    let server = parity_server(&store);
    let as_alice = [("Remote-User", "alice")];
    for host in [
        "evil.example",
        "evil.example:80",
        "localhost.evil.example",
        "127.0.0.2",
    ] {
        let reply = get_with_host(&server, "/remote/", host, &as_alice);
        assert_eq!(reply.summary(), (400, BAD_REQUEST_PAGE), "Host: {host}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "Host: {host}"
        );
    }
    // Not a host name at all.
    let reply = get_with_host(&server, "/remote/", "a_b:x", &as_alice);
    assert_eq!(reply.summary(), (400, BAD_REQUEST_PAGE));
    // Django's debug default, any port.
    for host in [
        "localhost",
        "LOCALHOST:8000",
        "api.localhost:1",
        "127.0.0.1:9",
        "[::1]:8000",
    ] {
        let reply = get_with_host(&server, "/remote/", host, &as_alice);
        assert_eq!(
            reply.summary(),
            (200, caller("alice").as_str()),
            "Host: {host}"
        );
    }
    // The refusal comes before authentication and before the view's own answer.
    let reply = get_with_host(&server, "/basic/", "evil.example", &[]);
    assert_eq!(reply.summary(), (400, BAD_REQUEST_PAGE));
}

/// `ALLOWED_HOSTS` names the hosts; a wildcard and a leading dot work as in Django.
#[test]
fn allowed_hosts_replace_the_loopback_names() {
    let db = TempSqlite::new();
    let store = store(&db);
    let server = server_with_site(
        &store,
        SiteSettings::builder().allowed_hosts(["api.example.com", ".example.org"]),
    );
    let alice = [("Authorization", "Basic YWxpY2U6YWxpY2UtcHc=")];
    for (host, status) in [
        ("api.example.com", 200),
        ("api.example.com:8443", 200),
        ("example.org", 200),
        ("a.b.example.org", 200),
        ("example.com", 400),
        ("localhost", 400),
    ] {
        let reply = get_with_host(&server, "/basic/", host, &alice);
        assert_eq!(reply.status, status, "Host: {host}: {}", reply.body);
    }
}

/// A credential header sent twice is refused with DRF's answer to the joined value (what Django
/// sees behind a WSGI server), so a client behind a proxy that appends instead of replacing never
/// chooses which value counts.
#[test]
fn repeated_credential_headers_are_refused() {
    let db = TempSqlite::new();
    let store = store(&db);
    let alice = store.user_by_username("alice").unwrap().unwrap();
    let mallory = store.user_by_username("mallory").unwrap().unwrap();
    let (alice_token, _) = store.token_get_or_create(alice.id).unwrap();
    let (mallory_token, _) = store.token_get_or_create(mallory.id).unwrap();
    let server = parity_server(&store);
    let twice = |path: &str, name: &str, first: &str, second: &str| {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             {name}: {first}\r\n{name}: {second}\r\n\r\n"
        );
        exchange(
            &server.addr(),
            request.as_bytes(),
            &format!("{path} with {name} twice"),
        )
    };
    let reply = twice("/remote/", "Remote-User", "alice", "mallory");
    assert_eq!(
        reply.summary(),
        (403, r#"{"detail":"Incorrect authentication credentials."}"#)
    );
    let reply = twice("/remote/", "Remote-User", "alice", "alice");
    assert_eq!(reply.status, 403);
    let reply = twice(
        "/token/",
        "Authorization",
        &format!("Token {}", alice_token.key),
        &format!("Token {}", mallory_token.key),
    );
    assert_eq!(
        reply.summary(),
        (
            401,
            r#"{"detail":"Invalid token header. Token string should not contain spaces."}"#
        )
    );
    assert_eq!(reply.header("www-authenticate"), Some("Token"));
    // Whichever comes first, and when only one is for the class.
    let reply = twice(
        "/token/",
        "Authorization",
        "Basic YWxpY2U6YWxpY2UtcHc=",
        &format!("Token {}", alice_token.key),
    );
    assert_eq!(reply.status, 401, "{}", reply.body);
    let reply = twice(
        "/basic/",
        "Authorization",
        "Basic YWxpY2U6YWxpY2UtcHc=",
        "Basic bWFsbG9yeTptYWxsb3J5LXB3",
    );
    assert_eq!(
        reply.summary(),
        (
            401,
            r#"{"detail":"Invalid basic header. Credentials string should not contain spaces."}"#
        )
    );
    // Once is as before.
    let reply = parity_get(&server, "/remote/", &[("Remote-User", "alice")]);
    assert_eq!(reply.summary(), (200, r#"{"user":"alice","auth":null}"#));
    let alice_auth = format!("Token {}", alice_token.key);
    let reply = parity_get(
        &server,
        "/token/",
        &[("Authorization", alice_auth.as_str())],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

fn parity_get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Response {
    server.send("GET", path, headers, "")
}

/// Django's `SessionMiddleware` adds `Vary: Cookie` whenever the view read the session, so that
/// a shared cache never serves one user's answer to another; a view that did not read it gets
/// none.
#[test]
fn responses_that_read_the_session_vary_on_cookie() {
    let db = TempSqlite::new();
    let store = store(&db);
    let alice = store.user_by_username("alice").unwrap().unwrap();
    let (token, _) = store.token_get_or_create(alice.id).unwrap();
    let server = parity_server(&store);
    // Session authentication ran: anonymous or not, the answer depends on the cookie.
    for path in ["/session/", "/default/"] {
        let reply = parity_get(&server, path, &[]);
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(reply.header("vary"), Some("Cookie"), "{path}");
    }
    let mut browser = Browser::default();
    let reply = browser.log_in(&server, "alice");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("vary"), Some("Cookie"));
    let reply = browser.send(&server, "GET", "/session/", &[], "");
    assert_eq!(reply.summary(), (200, caller("alice").as_str()));
    assert_eq!(reply.header("vary"), Some("Cookie"));
    // A token view never looks at the session.
    let auth = format!("Token {}", token.key);
    let reply = parity_get(&server, "/token/", &[("Authorization", auth.as_str())]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("vary"), None);
    // A token that authenticates before the session class is tried: not read either.
    let reply = parity_get(
        &server,
        "/token-session/",
        &[("Authorization", auth.as_str())],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("vary"), None);
    let reply = parity_get(&server, "/basic/", &[]);
    assert_eq!(reply.header("vary"), None);
}

/// A server with `obtain_auth_token`, whose request bodies hold at most `limit` bytes each,
/// `budget` bytes together, and must arrive within `timeout`.
fn body_server(store: &AuthStore, limit: usize, budget: usize, timeout: Duration) -> Server {
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(
            SiteSettings::builder()
                .body_limit(limit)
                .body_buffer_budget(budget)
                .body_read_timeout(timeout)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let sessions = DieselSessionStore::from(store);
    let key = Secret::new(SECRET_KEY).unwrap().cookie_key();
    Server::serve(
        move || {
            App::new()
                .app_data(settings.clone())
                .wrap(session::django_defaults(sessions.clone(), key.clone()).build())
                .service(obtain_auth_token)
        },
        1,
    )
}

/// A token request whose head announces `length` bytes of JSON, with `sent` of them.
fn token_request(length: usize, sent: &str) -> Vec<u8> {
    format!(
        "POST /api-token-auth/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n{sent}"
    )
    .into_bytes()
}

const ALICE_JSON: &str = r#"{"username":"alice","password":"alice-pw"}"#;

/// A client that stops sending its body half way holds its connection and its buffer only until
/// the read deadline: then 408 and the connection closes. While slow bodies hold the whole buffer
/// budget, another body is refused at once (503) instead of adding to the memory held.
#[test]
fn a_body_that_stops_arriving_is_given_up() {
    let db = TempSqlite::new();
    let store = store(&db);
    let timeout = Duration::from_millis(600);
    let server = body_server(&store, 4096, 8192, timeout);
    // Two slow clients announce 4000 bytes each and send 100: the budget (8 KiB) is spent.
    let slow: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr()).unwrap();
            stream
                .write_all(&token_request(4000, &" ".repeat(100)))
                .unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let padded = format!("{ALICE_JSON:<4000}");
    let refused = exchange(
        &server.addr(),
        &token_request(padded.len(), &padded),
        "a body over the spent budget",
    );
    assert_eq!(
        refused.summary(),
        (
            503,
            r#"{"detail":"Service temporarily unavailable, try again later."}"#
        )
    );
    let started = Instant::now();
    for mut stream in slow {
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .expect("the server answers and closes the connection");
        let reply = parse_response(&raw, "a slow body");
        assert_eq!(
            reply.summary(),
            (
                408,
                r#"{"detail":"Request body was not received in time."}"#
            )
        );
        assert_eq!(reply.header("connection"), Some("close"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the slow bodies were held for {:?}",
        started.elapsed()
    );
    // The budget is free again.
    let reply = exchange(
        &server.addr(),
        &token_request(padded.len(), &padded),
        "a body after the slow ones",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// A `POST /api-token-auth/` of `body` as multipart with `boundary`.
fn multipart_token_request(boundary: &str, body: &str) -> String {
    format!(
        "POST /api-token-auth/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// DRF 3.18.3 refuses a `Content-Type` of more than 256 characters (415) and Django a multipart
/// boundary of more than 201 (`[ -~]{0,200}[!-~]`, matched whole), before the body is searched
/// for it. A 125,000-character boundary with a 2.5 MB body used to cost seconds of the worker's
/// CPU.
#[test]
fn a_long_multipart_boundary_is_refused_at_once() {
    let db = TempSqlite::new();
    let store = store(&db);
    let server = parity_server(&store);
    // Dashes: a windowed search for `--<boundary>` compares up to the end of every dash run.
    let boundary = "-".repeat(125_000);
    let body = format!("{}x", "-".repeat(125_001)).repeat(20);
    let request = multipart_token_request(&boundary, &body);
    assert!(body.len() > 2_500_000);
    let reply = exchange(&server.addr(), request.as_bytes(), "a long boundary");
    assert_eq!(reply.status, 415);
    assert_eq!(
        reply.body,
        format!(
            r#"{{"detail":"Unsupported media type \"multipart/form-data; boundary={boundary}\" in request."}}"#
        )
    );
    // Short enough for DRF's 256-character media types, too long for Django's boundary rule.
    let boundary = "-".repeat(202);
    let body = format!("{}x", "-".repeat(203)).repeat(12_000);
    let request = multipart_token_request(&boundary, &body);
    let reply = exchange(&server.addr(), request.as_bytes(), "a boundary of 202");
    assert_eq!(
        reply.summary(),
        (
            400,
            format!(
                r#"{{"detail":"Multipart form parse error - Invalid boundary in multipart: {boundary}"}}"#
            )
            .as_str()
        )
    );
    // The longest boundary Django takes, with a body made of near-matches of it, parses.
    let boundary = "-".repeat(201);
    let near = format!("{}x", "-".repeat(202)).repeat(12_000);
    let body = format!(
        "{near}--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nalice-pw\r\n\
         --{boundary}--\r\n"
    );
    let request = multipart_token_request(&boundary, &body);
    let reply = exchange(&server.addr(), request.as_bytes(), "a long valid boundary");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.starts_with(r#"{"token":""#), "{}", reply.body);
}

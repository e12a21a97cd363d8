//! No secret reaches the logs or `Debug`: a full flow against a running `drf_parity` server,
//! captured at `TRACE` from every target (Basic with a wrong and a right password, a password
//! rehash, tokens valid and invalid, session login, a CSRF failure, logout, obtain_auth_token, a
//! database failure), never shows a password, a password hash, a token key, a session key, a
//! session auth hash, a CSRF secret or token, or the `SECRET_KEY`; neither does the `Debug` of
//! any public type that holds one.

use auth_actix::site::SiteSettings;
use std::time::Duration;

use actix_web::test::{call_service, init_service, read_body, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::csrf::CsrfSecret;
use auth_actix::auth_core::identity::{Auth, Authenticated};
use auth_actix::auth_core::sessions::SecretKey;
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig, SessionDb};
use auth_actix::prelude::*;
use auth_actix::session::{DieselSessionStore, SESSION_HASH_KEY};
use auth_actix::AuthStore;
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::server::{basic, Browser, Logs, Response, Server};
use integration_tests::TempSqlite;

const SECRET_KEY: &str = "the logs test SECRET_KEY, never to be logged 7f3a9c";
const PASSWORD: &str = "s3cr3t-Pässword-for-logs";
const WRONG_PASSWORD: &str = "wrong-Pässword-for-logs";
const INVALID_KEY: &str = "0123456789abcdef0123456789abcdef01234567";
const USERNAME: &str = "sam";

fn pool_config() -> PoolConfig {
    PoolConfig {
        max_size: 4,
        connection_timeout: Duration::from_secs(1),
        ..PoolConfig::default()
    }
}

/// Everything secret the flow has seen, to look for in the logs.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: impl Into<String>) {
        let value = value.into();
        assert!(
            value.len() >= 8,
            "{what} is too short to look for: {value:?}"
        );
        if !self.0.iter().any(|(_, v)| *v == value) {
            self.0.push((what.to_owned(), value));
        }
    }

    /// A Django password hash, whole and by parts (salt, hash).
    fn add_hash(&mut self, what: &str, encoded: &str) {
        self.add(what, encoded);
        for part in encoded.split('$').skip(2) {
            if part.len() >= 8 {
                self.add(&format!("{what} (part)"), part);
            }
        }
    }

    /// Every secret found in `text`.
    fn found_in<'a>(&'a self, text: &str) -> Vec<&'a str> {
        self.0
            .iter()
            .filter(|(_, value)| text.contains(value.as_str()))
            .map(|(what, _)| what.as_str())
            .collect()
    }
}

struct Flow<'a> {
    server: &'a Server,
    secrets: Secrets,
    browser: Browser,
}

impl Flow<'_> {
    /// Sends a request with the browser's cookies; keeps the cookies it sets.
    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        let reply = self.browser.send(self.server, method, path, headers, body);
        if let Some(csrf) = reply.cookie("csrftoken").filter(|csrf| !csrf.is_empty()) {
            self.secrets.add("CSRF secret (cookie)", csrf);
        }
        if let Some(session) = reply.cookie("sessionid").filter(|s| !s.is_empty()) {
            self.secrets.add("session cookie", session);
            self.secrets
                .add("session key", self.browser.session_key(SECRET_KEY));
        }
        reply
    }

    /// `/csrf/`: a masked token for the current secret.
    fn csrf_token(&mut self) -> String {
        let reply = self.send("GET", "/csrf/", &[], "");
        assert_eq!(reply.status, 200, "{reply:?}");
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let token = body["csrftoken"].as_str().unwrap().to_owned();
        self.secrets.add("CSRF token (masked)", token.clone());
        token
    }
}

#[test]
fn no_secret_in_any_log_event() {
    let logs = Logs::capture();
    let db = TempSqlite::new();
    // The user's hash is made at 1,000 iterations; the server hashes at 2,000, so the first
    // right password rehashes it.
    let setup = AuthStore::connect(&db.url(), &pool_config())
        .unwrap()
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    setup.migrate().unwrap();
    let user = setup
        .create_user(NewUser::new(USERNAME, Some(PASSWORD.to_owned())))
        .unwrap();
    let token = setup.token_get_or_create(user.id).unwrap().0.key;
    let store = AuthStore::connect(&db.url(), &pool_config())
        .unwrap()
        .with_hashers(Hashers {
            pbkdf2_iterations: 2_000,
        });
    let parity = Parity::new(store.clone(), &Secret::new(SECRET_KEY).unwrap()).unwrap();
    let server = Server::start(parity, 2);
    let mut flow = Flow {
        server: &server,
        secrets: Secrets::default(),
        browser: Browser::default(),
    };
    flow.secrets.add("SECRET_KEY", SECRET_KEY);
    flow.secrets.add("password", PASSWORD);
    flow.secrets.add("wrong password", WRONG_PASSWORD);
    flow.secrets.add("token key", token.clone());
    flow.secrets.add("invalid token key", INVALID_KEY);
    flow.secrets.add_hash("password hash", &user.password);
    logs.take();

    // Basic: wrong, then right (which rehashes the password).
    let wrong = basic(USERNAME, WRONG_PASSWORD);
    let right = basic(USERNAME, PASSWORD);
    flow.secrets
        .add("Basic credentials (wrong)", &wrong["Basic ".len()..]);
    flow.secrets
        .add("Basic credentials", &right["Basic ".len()..]);
    let reply = flow.send("GET", "/basic/", &[("Authorization", &wrong)], "");
    assert_eq!(reply.status, 401, "{reply:?}");
    let reply = flow.send("GET", "/basic/", &[("Authorization", &right)], "");
    assert_eq!(reply.status, 200, "{reply:?}");
    let rehashed = store.user_by_username(USERNAME).unwrap().unwrap().password;
    assert_ne!(rehashed, user.password, "the password was rehashed");
    flow.secrets.add_hash("password hash (rehashed)", &rehashed);

    // Token: valid, invalid.
    let reply = flow.send(
        "GET",
        "/token/",
        &[("Authorization", &format!("Token {token}"))],
        "",
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = flow.send(
        "GET",
        "/token/",
        &[("Authorization", &format!("Token {INVALID_KEY}"))],
        "",
    );
    assert_eq!(
        reply.summary(),
        (401, r#"{"detail":"Invalid token."}"#),
        "{reply:?}"
    );

    // Session login.
    let csrf = flow.csrf_token();
    let credentials = format!(r#"{{"username":"{USERNAME}","password":"{PASSWORD}"}}"#);
    let reply = flow.send(
        "POST",
        "/login/",
        &[("Content-Type", "application/json"), ("X-CSRFToken", &csrf)],
        &credentials,
    );
    assert_eq!(reply.summary(), (200, r#"{"user":"sam"}"#), "{reply:?}");
    let session_key = flow.browser.session_key(SECRET_KEY);
    let record = SessionDb::from(&store)
        .load(&session_key)
        .unwrap()
        .expect("the session row");
    let state: serde_json::Value = serde_json::from_str(&record.session_data).unwrap();
    let hash = state[SESSION_HASH_KEY].as_str().unwrap().trim_matches('"');
    flow.secrets.add("session auth hash", hash);
    let reply = flow.send("GET", "/session/", &[], "");
    assert_eq!(reply.status, 200, "{reply:?}");

    // A CSRF failure: the pre-login token is stale.
    let reply = flow.send("POST", "/session/", &[("X-CSRFToken", &csrf)], "");
    assert_eq!(
        reply.summary(),
        (
            403,
            r#"{"detail":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}"#
        ),
        "{reply:?}"
    );
    let csrf = flow.csrf_token();
    let reply = flow.send("POST", "/session/", &[("X-CSRFToken", &csrf)], "");
    assert_eq!(reply.status, 200, "{reply:?}");

    // obtain_auth_token (DRF's default classes: the session's CSRF rules apply).
    let reply = flow.send(
        "POST",
        "/api-token-auth/",
        &[("Content-Type", "application/json"), ("X-CSRFToken", &csrf)],
        &credentials,
    );
    assert_eq!(
        reply.summary(),
        (200, format!(r#"{{"token":"{token}"}}"#).as_str())
    );

    // The database fails: 503s, logged with their cause.
    integration_tests::sqlite::checkpoint(db.path());
    let original = std::fs::read(db.path()).unwrap();
    integration_tests::sqlite::overwrite_in_place(db.path(), &vec![0x5a; original.len()]);
    let reply = flow.send(
        "GET",
        "/token/",
        &[("Authorization", &format!("Token {token}"))],
        "",
    );
    assert_eq!(reply.status, 503, "{reply:?}");
    let reply = flow.send("GET", "/basic/", &[("Authorization", &right)], "");
    assert_eq!(reply.status, 503, "{reply:?}");
    let reply = flow.send("GET", "/session/", &[], "");
    assert_eq!(reply.status, 503, "{reply:?}");
    // Without the session cookie: the authentication classes meet the failure.
    let reply = server.send(
        "GET",
        "/token/",
        &[("Authorization", &format!("Token {token}"))],
        "",
    );
    assert_eq!(reply.status, 503, "{reply:?}");
    let reply = server.send(
        "POST",
        "/api-token-auth/",
        &[("Content-Type", "application/json")],
        &credentials,
    );
    assert_eq!(reply.status, 503, "{reply:?}");
    integration_tests::sqlite::overwrite_in_place(db.path(), &original);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while flow.send("GET", "/session/", &[], "").status != 200 {
        assert!(std::time::Instant::now() < deadline, "the service resumes");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Logout.
    let csrf = flow.csrf_token();
    let reply = flow.send("POST", "/logout/", &[("X-CSRFToken", &csrf)], "");
    assert_eq!(reply.status, 200, "{reply:?}");

    let secrets = flow.secrets;
    drop(server);
    let events = logs.take();
    // The capture saw the flow: trace events, the store failure with its cause, the CSRF failure.
    assert!(events.iter().any(|e| e.starts_with("TRACE")), "{events:#?}");
    for target in ["auth_core::db::error", "auth_actix::session::fail_closed"] {
        assert!(
            events
                .iter()
                .any(|e| e.starts_with(&format!("ERROR {target}"))
                    && e.contains("file is not a database")),
            "{target}: {events:#?}"
        );
    }
    let leaks: Vec<(Vec<&str>, &String)> = events
        .iter()
        .map(|event| (secrets.found_in(event), event))
        .filter(|(found, _)| !found.is_empty())
        .collect();
    assert!(
        leaks.is_empty(),
        "{} of {} events show a secret:\n{leaks:#?}",
        leaks.len(),
        events.len()
    );
    eprintln!(
        "{} events checked for {} secrets",
        events.len(),
        secrets.0.len()
    );
}

#[actix_web::test]
async fn debug_of_every_type_holding_a_secret_shows_none() {
    let db = TempSqlite::new();
    let store = AuthStore::connect(&db.url(), &pool_config())
        .unwrap()
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().unwrap();
    let user = store
        .create_user(NewUser::new(USERNAME, Some(PASSWORD.to_owned())))
        .unwrap();
    let token = store.token_get_or_create(user.id).unwrap().0;
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(
            SiteSettings::builder()
                .secret_key(SECRET_KEY)
                .secret_key_fallbacks(["an older SECRET_KEY, also never to be logged"])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let secret_key = SecretKey::new(SECRET_KEY).unwrap();
    let session_hash = secret_key.session_auth_hash(&user.password);
    let sessions = SessionDb::from(&store);
    let session_key = sessions
        .create(
            &format!(r#"{{"{SESSION_HASH_KEY}":"{session_hash}"}}"#),
            Some(user.id),
            Duration::from_secs(60),
        )
        .unwrap();
    let record = sessions.load(session_key.as_str()).unwrap().unwrap();
    let csrf = CsrfSecret::generate();
    let mut new_user = NewUser::new("newcomer", Some(PASSWORD.to_owned()));
    new_user.email = "n@example.com".into();

    let mut secrets = Secrets::default();
    secrets.add("password", PASSWORD);
    secrets.add_hash("password hash", &user.password);
    secrets.add("token key", token.key.clone());
    secrets.add("SECRET_KEY", SECRET_KEY);
    secrets.add(
        "fallback key",
        "an older SECRET_KEY, also never to be logged",
    );
    secrets.add("session auth hash", session_hash.clone());
    secrets.add("session key", session_key.as_str());
    secrets.add("CSRF secret", csrf.as_str());

    let debugs: Vec<(&str, String, String)> = vec![
        debug("User", &user),
        debug("Token", &token),
        debug("Auth", &Auth::Token(token.clone())),
        debug(
            "Authenticated",
            &Authenticated::with_auth(user.clone(), Auth::Token(token.clone())),
        ),
        debug("AuthSettings", &settings),
        debug("AuthStore", &store),
        debug("SecretKey", &secret_key),
        debug("SessionKey", &session_key),
        debug("SessionRecord", &record),
        debug("SessionDb", &sessions),
        debug("DieselSessionStore", &DieselSessionStore::from(&store)),
        debug("CsrfSecret", &csrf),
        debug("NewUser", &new_user),
        debug("Secret", &Secret::new(SECRET_KEY).unwrap()),
    ];
    for (name, plain, pretty) in &debugs {
        for text in [plain, pretty] {
            let found = secrets.found_in(text);
            assert!(found.is_empty(), "{name}'s Debug shows {found:?}: {text}");
        }
    }
    // The types do say what they are.
    assert!(debugs[0].1.contains(USERNAME), "{}", debugs[0].1);

    // AuthRequest, as a handler sees it, after token authentication.
    #[api_view(GET)]
    #[authentication_classes(TokenAuthentication)]
    #[permission_classes(IsAuthenticated)]
    async fn show(request: AuthRequest) -> HttpResponse {
        HttpResponse::Ok().body(format!("{request:?}\n{request:#?}"))
    }
    let app = init_service(
        App::new()
            .app_data(settings.clone())
            .route("/", web::to(show)),
    )
    .await;
    let reply = call_service(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header(("Authorization", format!("Token {}", token.key)))
            .to_request(),
    )
    .await;
    assert_eq!(reply.status(), 200);
    let body = String::from_utf8(read_body(reply).await.to_vec()).unwrap();
    assert!(
        body.contains("AuthRequest") && body.contains(USERNAME),
        "{body}"
    );
    let found = secrets.found_in(&body);
    assert!(
        found.is_empty(),
        "AuthRequest's Debug shows {found:?}: {body}"
    );
}

fn debug<'a, T: std::fmt::Debug>(name: &'a str, value: &T) -> (&'a str, String, String) {
    (name, format!("{value:?}"), format!("{value:#?}"))
}

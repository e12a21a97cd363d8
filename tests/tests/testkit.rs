//! auth-testkit's own tests (the kit has no test binary): the small functions, `TestApp`'s cookie
//! jar, CSRF handling, login and token against the real views in process and over a socket,
//! and the conformance suites themselves: a correct in-memory store passes them, and each
//! suite fails a store with the defect it is there to catch.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_session::storage::{LoadError, SaveError, SessionKey, UpdateError};
use actix_web::cookie::{time, Cookie, Key};
use actix_web::{web, App, HttpRequest, HttpResponse};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore, FailClosed, SessionStore};
use auth_actix::site::SiteSettings;
use auth_actix::views;
use auth_core::{AuthStore, NewUser};
use auth_testkit::conformance::{sessions, tokens};
use auth_testkit::{block_on, redact, unique_name, Backend, TempSqlite, TestApp, TestDb};
use serde_json::json;

#[test]
fn redact_hides_only_the_password() {
    assert_eq!(
        redact("postgres://u:secret@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(
        redact("mysql://root@127.0.0.1:3306/test"),
        "mysql://root@127.0.0.1:3306/test"
    );
    assert_eq!(redact("/tmp/db.sqlite3"), "/tmp/db.sqlite3");
}

#[test]
fn unique_names_differ() {
    let a = unique_name("u");
    let b = unique_name("u");
    assert_ne!(a, b);
    assert!(a.starts_with("u-") && a.len() <= 150, "{a}");
}

#[test]
fn temp_sqlite_copies_and_cleans_up() {
    let source = TempSqlite::new();
    std::fs::write(source.path(), b"bytes").unwrap();
    let copy = TempSqlite::copy_of(source.path());
    assert_eq!(std::fs::read(copy.path()).unwrap(), b"bytes");
    assert!(copy.url().starts_with("sqlite://") && copy.url().ends_with("db.sqlite3"));
    let dir = copy.dir().to_path_buf();
    drop(copy);
    assert!(!dir.exists());
}

#[test]
fn a_sqlite_test_db_is_fresh_and_removed_afterwards() {
    let db = TestDb::new(Backend::Sqlite).expect("SQLite always runs");
    let store = db.migrated();
    let user = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    // Fast hashing: the test iteration count, not Django's 1.5 million.
    assert!(
        user.password.starts_with("pbkdf2_sha256$1000$"),
        "{}",
        user.password
    );
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    assert!(std::path::Path::new(&file).is_file());
    let other = TestDb::new(Backend::Sqlite).unwrap().migrated();
    assert!(other.user_by_username("alice").unwrap().is_none());
    drop(store);
    drop(db);
    assert!(!std::path::Path::new(&file).exists());
}

// ---------------------------------------------------------------------------------------------
// TestApp

/// Sets `kept` for an hour, `session` for the browser session, `token` as the CSRF cookie.
async fn set_cookies() -> HttpResponse {
    HttpResponse::Ok()
        .cookie(
            Cookie::build("kept", "1")
                .max_age(time::Duration::hours(1))
                .finish(),
        )
        .cookie(Cookie::new("session", "abc=="))
        .cookie(Cookie::new("csrftoken", "secret-from-cookie"))
        .finish()
}

/// Deletes `kept` as Django does (`Max-Age=0` and an `Expires` in 1970).
async fn delete_kept() -> HttpResponse {
    let mut gone = Cookie::new("kept", "");
    gone.make_removal();
    HttpResponse::Ok().cookie(gone).finish()
}

/// Expires `session` with a date in the past only (no `Max-Age`).
async fn expire_session() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "Set-Cookie",
            "session=old; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
        ))
        .finish()
}

/// The request's cookie and CSRF headers as JSON.
async fn echo(request: HttpRequest) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    HttpResponse::Ok().json(json!({
        "cookie": header("cookie"),
        "csrf": header("x-csrftoken"),
        "origin": header("origin"),
        "referer": header("referer"),
        "host": header("host"),
    }))
}

async fn jar_app() -> TestApp {
    TestApp::new(
        App::new()
            .route("/set", web::get().to(set_cookies))
            .route("/delete", web::get().to(delete_kept))
            .route("/expire", web::get().to(expire_session))
            .default_service(web::to(echo)),
    )
    .await
}

#[actix_web::test]
async fn the_jar_keeps_cookies_and_drops_deleted_ones() {
    let app = jar_app().await;
    assert_eq!(app.get("/echo").await.json()["cookie"], json!(null));
    assert_eq!(app.get("/set").await.status, 200);
    assert_eq!(
        app.get("/echo").await.json()["cookie"],
        "csrftoken=secret-from-cookie; kept=1; session=abc=="
    );
    app.get("/delete").await;
    assert_eq!(app.cookie("kept"), None);
    assert_eq!(
        app.get("/echo").await.json()["cookie"],
        "csrftoken=secret-from-cookie; session=abc=="
    );
    app.get("/expire").await;
    assert_eq!(app.cookie("session"), None);
    assert_eq!(
        app.get("/echo").await.json()["cookie"],
        "csrftoken=secret-from-cookie"
    );
    app.set_cookie("planted", "x");
    app.remove_cookie("csrftoken");
    assert_eq!(app.get("/echo").await.json()["cookie"], "planted=x");
    // A request's own Cookie header wins over the jar.
    let reply = app.get("/echo").header("Cookie", "mine=1").await;
    assert_eq!(reply.json()["cookie"], "mine=1");
}

#[actix_web::test]
async fn csrf_headers_go_on_unsafe_methods_when_asked() {
    let app = jar_app().await;
    app.get("/set").await;
    let sent = json!({
        "cookie": "csrftoken=secret-from-cookie; kept=1; session=abc==",
        "csrf": "secret-from-cookie",
        "origin": "http://localhost",
        "referer": "http://localhost/",
        "host": "localhost",
    });
    let bare = json!({
        "cookie": sent["cookie"],
        "csrf": null,
        "origin": null,
        "referer": null,
        "host": "localhost",
    });
    // Off by default, on for one request, never on a safe method.
    assert_eq!(app.post("/echo").await.json(), bare);
    assert_eq!(app.post("/echo").csrf(true).await.json(), sent);
    assert_eq!(app.delete("/echo").csrf(true).await.json(), sent);
    assert_eq!(app.get("/echo").csrf(true).await.json(), bare);
    // On for the app, off for one request.
    let app = app.with_csrf().with_host("api.localhost");
    let mine = app.put("/echo").await.json();
    assert_eq!(
        (
            &mine["csrf"],
            &mine["origin"],
            &mine["referer"],
            &mine["host"]
        ),
        (
            &json!("secret-from-cookie"),
            &json!("http://api.localhost"),
            &json!("http://api.localhost/"),
            &json!("api.localhost")
        )
    );
    assert_eq!(
        app.patch("/echo").csrf(false).await.json()["csrf"],
        json!(null)
    );
    // A request's own header wins.
    let own = app.post("/echo").header("X-CSRFToken", "mine").await.json();
    assert_eq!(own["csrf"], "mine");
}

#[actix_web::test]
async fn bodies_and_credentials_are_sent_as_given() {
    async fn body(request: HttpRequest, bytes: web::Bytes) -> HttpResponse {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        HttpResponse::Ok()
            .insert_header(("X-Method", request.method().as_str()))
            .body(format!(
                "{}|{}|{}",
                header("content-type"),
                header("authorization"),
                String::from_utf8_lossy(&bytes)
            ))
    }
    let app = TestApp::new(App::new().default_service(web::to(body))).await;
    let reply = app.post("/").json(&json!({"a": "b"})).await;
    assert_eq!(reply.text(), r#"application/json||{"a":"b"}"#);
    let reply = app
        .put("/")
        .form(&[("user name", "zoë&co"), ("x", "1+1")])
        .await;
    assert_eq!(
        reply.text(),
        "application/x-www-form-urlencoded||user+name=zo%C3%AB%26co&x=1%2B1"
    );
    assert_eq!(reply.header("x-method"), Some("PUT"));
    let reply = app.options("/").basic("alice", "pw").await;
    assert_eq!(reply.text(), "|Basic YWxpY2U6cHc=|");
    assert_eq!(reply.header("X-Method"), Some("OPTIONS"));
    let reply = app.head("/").authorization("Token abc").await;
    assert_eq!(
        (reply.status, reply.header("x-method")),
        (200, Some("HEAD"))
    );
}

const SECRET: &str = "testkit-secret-key-0123456789-0123456789-0123456789";

#[api_view(GET, POST)]
#[authentication_classes(SessionAuthentication, TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// The session views, `obtain_auth_token` and `whoami` over `$store`, with Django's session
/// middleware on the same database (a macro: the app's type cannot be written).
macro_rules! views_app {
    ($store:expr) => {{
        let store: AuthStore = $store;
        let settings = AuthSettings::builder()
            .store(store.clone())
            .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
            .build()
            .unwrap();
        App::new()
            .app_data(settings)
            .wrap(
                session::django_defaults(DieselSessionStore::from(&store), Key::from(&[3; 64]))
                    .build(),
            )
            .wrap(FailClosed)
            .configure(views::urls)
            .route("/whoami/", web::to(whoami))
    }};
}

fn store_with_alice(db: &TestDb) -> AuthStore {
    let store = db.migrated();
    store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    store
}

/// What every transport must do with the real views: a browser's login, CSRF on the session's
/// unsafe requests, logout, and a token for an API client.
async fn browser_and_api_client(browser: &TestApp, client: &TestApp) {
    assert_eq!(browser.get("/whoami/").await.status, 403);
    assert_eq!(browser.login("alice", "wrong").await.status, 400);
    let reply = browser.login("alice", "pw").await;
    assert_eq!((reply.status, reply.text()), (200, r#"{"user":"alice"}"#));
    assert!(browser.cookie("sessionid").is_some());
    assert_eq!(browser.get("/whoami/").await.text(), "alice");
    let refused = browser.post("/whoami/").await;
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("CSRF Failed"), "{}", refused.text());
    assert_eq!(browser.post("/whoami/").csrf(true).await.text(), "alice");
    assert_eq!(browser.logout().await.status, 200);
    assert_eq!(browser.cookie("sessionid"), None);
    assert_eq!(browser.get("/whoami/").await.status, 403);

    let key = client.token("alice", "pw").await;
    assert_eq!(key.len(), 40);
    assert_eq!(client.token("alice", "pw").await, key);
    let reply = client
        .get("/whoami/")
        .authorization(&format!("Token {key}"))
        .await;
    assert_eq!((reply.status, reply.text()), (200, "alice"));
    assert_eq!(client.get("/whoami/").await.status, 403);
}

#[actix_web::test]
async fn login_and_token_through_the_views_in_process() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let store = store_with_alice(&db);
    let browser = TestApp::new(views_app!(store.clone())).await;
    let client = TestApp::new(views_app!(store)).await;
    browser_and_api_client(&browser, &client).await;
}

#[actix_web::test]
async fn login_and_token_through_the_views_over_a_socket() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let store = store_with_alice(&db);
    let served = store.clone();
    let browser = TestApp::serve(move || views_app!(served.clone()), 1);
    let client = TestApp::at(browser.addr().expect("a server"));
    browser_and_api_client(&browser, &client).await;
}

// ---------------------------------------------------------------------------------------------
// The conformance suites

/// What a flawed in-memory session store gets wrong.
#[derive(Clone, Copy, PartialEq, Debug)]
enum SessionFlaw {
    Correct,
    /// Keys from a counter.
    CountedKeys,
    /// `update` of an unknown key writes under that key.
    Revives,
    /// `update` merges the new state into the old.
    Merges,
    /// Sessions never expire.
    NoExpiry,
    /// `update_ttl` of an unknown key creates an empty session.
    UpdateTtlCreates,
    /// `delete` of an unknown key is an error.
    StrictDelete,
    /// Keys are compared case-insensitively, and an empty key is an error.
    LooseKeys,
}

/// actix-session's `SessionStore` in memory, correct unless given a flaw.
#[derive(Clone)]
struct MemorySessions {
    flaw: SessionFlaw,
    rows: Rc<RefCell<HashMap<String, (sessions::State, Instant)>>>,
    counter: Rc<RefCell<u64>>,
}

impl MemorySessions {
    fn new(flaw: SessionFlaw) -> Self {
        MemorySessions {
            flaw,
            rows: Rc::default(),
            counter: Rc::default(),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.flaw == SessionFlaw::LooseKeys {
            key.to_lowercase()
        } else {
            key.to_owned()
        }
    }

    fn deadline(&self, ttl: &time::Duration) -> Instant {
        let ttl = Duration::try_from(*ttl).unwrap_or_default();
        if self.flaw == SessionFlaw::NoExpiry {
            Instant::now() + Duration::from_secs(86_400)
        } else {
            Instant::now() + ttl
        }
    }

    fn live(&self, key: &str) -> Option<sessions::State> {
        let rows = self.rows.borrow();
        let (state, until) = rows.get(&self.name(key))?;
        (Instant::now() < *until).then(|| state.clone())
    }
}

impl SessionStore for MemorySessions {
    async fn load(&self, key: &SessionKey) -> Result<Option<sessions::State>, LoadError> {
        if self.flaw == SessionFlaw::LooseKeys && key.as_ref().is_empty() {
            return Err(LoadError::Other(anyhow::anyhow!("empty key")));
        }
        Ok(self.live(key.as_ref()))
    }

    async fn save(
        &self,
        state: sessions::State,
        ttl: &time::Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = if self.flaw == SessionFlaw::CountedKeys {
            let mut counter = self.counter.borrow_mut();
            *counter += 1;
            format!("{:064}", *counter)
        } else {
            auth_core::crypto::random_string(
                64,
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            )
        };
        let until = self.deadline(ttl);
        self.rows
            .borrow_mut()
            .insert(self.name(&key), (state, until));
        Ok(key.try_into().expect("a short key"))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: sessions::State,
        ttl: &time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        let until = self.deadline(ttl);
        let Some(mut old) = self.live(key.as_ref()) else {
            if self.flaw == SessionFlaw::Revives {
                self.rows
                    .borrow_mut()
                    .insert(self.name(key.as_ref()), (state, until));
            }
            return Ok(key);
        };
        let state = if self.flaw == SessionFlaw::Merges {
            old.extend(state);
            old
        } else {
            state
        };
        self.rows
            .borrow_mut()
            .insert(self.name(key.as_ref()), (state, until));
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &time::Duration) -> anyhow::Result<()> {
        let until = self.deadline(ttl);
        let name = self.name(key.as_ref());
        let mut rows = self.rows.borrow_mut();
        match rows.get_mut(&name) {
            Some(row) => row.1 = until,
            None if self.flaw == SessionFlaw::UpdateTtlCreates => {
                rows.insert(name, (sessions::State::new(), until));
            }
            None => {}
        }
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        let removed = self.rows.borrow_mut().remove(&self.name(key.as_ref()));
        if removed.is_none() && self.flaw == SessionFlaw::StrictDelete {
            anyhow::bail!("no such session");
        }
        Ok(())
    }
}

session_store_tests!(memory_sessions, |_suite| async {
    Some((MemorySessions::new(SessionFlaw::Correct), ()))
});

/// Whether the conformance test `$test` fails (panics) on a store with `$flaw`.
macro_rules! fails_on {
    ($flaw:expr, $test:ident) => {
        catch_unwind(AssertUnwindSafe(|| {
            let store = MemorySessions::new($flaw);
            block_on(sessions::$test(&store))
        }))
        .is_err()
    };
}

#[test]
fn the_session_suite_catches_each_flaw() {
    use SessionFlaw::*;
    let caught = [
        (
            CountedKeys,
            fails_on!(CountedKeys, keys_are_long_random_and_distinct),
        ),
        (
            Revives,
            fails_on!(Revives, updating_an_unknown_key_never_revives_it),
        ),
        (
            Merges,
            fails_on!(Merges, update_replaces_the_state_under_the_same_key),
        ),
        (NoExpiry, fails_on!(NoExpiry, ttls_are_respected)),
        (
            UpdateTtlCreates,
            fails_on!(
                UpdateTtlCreates,
                update_ttl_of_an_unknown_key_creates_nothing
            ),
        ),
        (
            StrictDelete,
            fails_on!(StrictDelete, delete_ends_only_that_session),
        ),
        (
            LooseKeys,
            fails_on!(LooseKeys, unknown_and_tampered_keys_load_as_none),
        ),
        (Correct, !fails_on!(Correct, save_then_load_round_trips)),
    ];
    for (flaw, caught) in caught {
        assert!(caught, "the suite missed {flaw:?}");
    }
}

/// What a flawed in-memory token store gets wrong.
#[derive(Clone, Copy, PartialEq, Debug)]
enum TokenFlaw {
    Correct,
    /// Every get_or_create makes a new key.
    NotIdempotent,
    /// Keys from a counter.
    CountedKeys,
    /// The old key keeps working after regenerate.
    OldKeyLives,
    /// delete keeps the key working.
    DeleteForgets,
    /// Lookups ignore case and trailing spaces (as MySQL compares).
    LooseLookup,
    /// Deleting a user leaves their token.
    Orphans,
}

/// DRF's authtoken store in memory, correct unless given a flaw.
struct MemoryTokens {
    flaw: TokenFlaw,
    users: RefCell<Vec<i32>>,
    /// Live keys by user, and keys a flawed store still answers.
    keys: RefCell<HashMap<String, i32>>,
    counter: RefCell<u64>,
}

impl MemoryTokens {
    fn new(flaw: TokenFlaw) -> Self {
        MemoryTokens {
            flaw,
            users: RefCell::default(),
            keys: RefCell::default(),
            counter: RefCell::default(),
        }
    }

    fn new_key(&self) -> String {
        if self.flaw == TokenFlaw::CountedKeys {
            let mut counter = self.counter.borrow_mut();
            *counter += 1;
            format!("{:040x}", *counter)
        } else {
            auth_core::crypto::generate_token_key()
        }
    }

    fn key_of(&self, user: i32) -> Option<String> {
        let keys = self.keys.borrow();
        let mut found: Vec<&String> = keys
            .iter()
            .filter(|(_, u)| **u == user)
            .map(|(k, _)| k)
            .collect();
        found.sort();
        found.last().map(|k| (*k).clone())
    }

    fn exists(&self, user: i32) -> Result<(), String> {
        if self.users.borrow().contains(&user) {
            Ok(())
        } else {
            Err(format!("no user {user}"))
        }
    }
}

impl tokens::AuthTokenStore for MemoryTokens {
    type Error = String;

    fn create_user(&self, _username: &str) -> Result<i32, String> {
        let mut users = self.users.borrow_mut();
        let id = i32::try_from(users.len()).unwrap() + 1;
        users.push(id);
        Ok(id)
    }

    fn delete_user(&self, user_id: i32) -> Result<bool, String> {
        let mut users = self.users.borrow_mut();
        let before = users.len();
        users.retain(|u| *u != user_id);
        if self.flaw != TokenFlaw::Orphans {
            self.keys.borrow_mut().retain(|_, u| *u != user_id);
        }
        Ok(users.len() < before)
    }

    fn get_or_create(&self, user_id: i32) -> Result<(String, bool), String> {
        self.exists(user_id)?;
        if self.flaw != TokenFlaw::NotIdempotent {
            if let Some(key) = self.key_of(user_id) {
                return Ok((key, false));
            }
        }
        let key = self.new_key();
        self.keys.borrow_mut().insert(key.clone(), user_id);
        Ok((key, true))
    }

    fn regenerate(&self, user_id: i32) -> Result<String, String> {
        self.exists(user_id)?;
        if self.flaw != TokenFlaw::OldKeyLives {
            self.keys.borrow_mut().retain(|_, u| *u != user_id);
        }
        // An ever-larger key, so that key_of returns the newest one.
        let key = loop {
            let key = self.new_key();
            if self.key_of(user_id).is_none_or(|old| key > old) {
                break key;
            }
        };
        self.keys.borrow_mut().insert(key.clone(), user_id);
        Ok(key)
    }

    fn delete(&self, user_id: i32) -> Result<bool, String> {
        if self.flaw == TokenFlaw::DeleteForgets {
            return Ok(self.key_of(user_id).is_some());
        }
        let mut keys = self.keys.borrow_mut();
        let before = keys.len();
        keys.retain(|_, u| *u != user_id);
        Ok(keys.len() < before)
    }

    fn authenticate(&self, key: &str) -> Result<Option<i32>, String> {
        let keys = self.keys.borrow();
        if self.flaw == TokenFlaw::LooseLookup {
            let wanted = key.trim_end().to_lowercase();
            return Ok(keys
                .iter()
                .find(|(k, _)| k.to_lowercase() == wanted)
                .map(|(_, u)| *u));
        }
        Ok(keys.get(key).copied())
    }
}

token_store_tests!(memory_tokens, |_suite| Some((
    MemoryTokens::new(TokenFlaw::Correct),
    ()
)));

/// One test of the token suite.
type TokenTest = fn(&MemoryTokens);

#[test]
fn the_token_suite_catches_each_flaw() {
    use TokenFlaw::*;
    let cases: [(TokenFlaw, TokenTest); 7] = [
        (NotIdempotent, tokens::get_or_create_is_idempotent),
        (
            CountedKeys,
            tokens::keys_are_random_40_character_lowercase_hex,
        ),
        (
            OldKeyLives,
            tokens::regenerate_changes_the_key_and_the_old_one_stops_authenticating,
        ),
        (DeleteForgets, tokens::delete_removes_the_token),
        (LooseLookup, tokens::lookup_is_exact_and_case_sensitive),
        (Orphans, tokens::a_deleted_users_token_is_gone),
        (Correct, tokens::get_or_create_is_idempotent),
    ];
    for (flaw, test) in cases {
        let failed = catch_unwind(AssertUnwindSafe(|| test(&MemoryTokens::new(flaw)))).is_err();
        assert_eq!(failed, flaw != Correct, "{flaw:?}");
    }
}

//! Database outages under a running `drf_parity` server: every request that needs the database
//! is a 503 `{"detail": "Service temporarily unavailable, try again later."}` (never an anonymous
//! pass, never a 500, never a dropped connection), logged once with its cause; requests that do
//! not need it still succeed; and the service resumes by itself when the database is back.
//!
//! SQLite always runs: the database file is overwritten in place with garbage, then restored.
//! PostgreSQL runs when `TEST_POSTGRES_URL`, `TEST_POSTGRES_STOP` and `TEST_POSTGRES_START` are
//! set, and MySQL/MariaDB when `TEST_MYSQL_URL`, `TEST_MYSQL_STOP` and `TEST_MYSQL_START` are: the
//! last two of each are shell commands that stop and start that server (`.ci/run`'s `outage` step
//! has both pairs). The stop command must return only once the server is gone, and the start
//! command may return before it accepts connections (the test waits up to a minute). Nothing
//! else may use the server meanwhile. If the test fails while the server is stopped, it runs the
//! start command before it ends.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[cfg(feature = "durin")]
use auth_actix::auth_core::durin::{DurinSettings, DurinStore};
use auth_actix::auth_core::oauth2::{NewApplication, OAuth2Store};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig};
use auth_actix::knox::{KnoxSettings, KnoxStore};
use auth_actix::AuthStore;
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::server::{basic, problems, Browser, Logs, Response, Server};

const UNAVAILABLE: &str = r#"{"detail":"Service temporarily unavailable, try again later."}"#;
const SECRET_KEY: &str = "an outage test key, long enough for the cookie key";
const PASSWORD: &str = "outage-password-1";

/// Simultaneous requests during an outage.
const BURST: usize = 8;

/// The suites share the process's log capture: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn pool_config() -> PoolConfig {
    PoolConfig {
        max_size: 4,
        connection_timeout: Duration::from_secs(2),
        ..PoolConfig::default()
    }
}

/// What `username` authenticates with, one credential per family.
struct Credentials {
    /// DRF's token.
    key: String,
    /// A knox token.
    knox: String,
    /// A Durin token of the client `web`.
    #[cfg(feature = "durin")]
    durin: String,
    /// A Django OAuth Toolkit access token with the `read` scope.
    oauth: String,
    /// A simplejwt access token, signed as `drf_parity` signs them, and its `jti`.
    #[cfg(feature = "jwt")]
    jwt: (String, String),
}

/// A migrated store with cheap hashing and `username` (password [`PASSWORD`]) with a credential
/// of every family.
fn store_with_user(url: &str, username: &str) -> (AuthStore, Credentials) {
    let store = AuthStore::connect(url, &pool_config())
        .expect("connect")
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().expect("migrate");
    let user = store
        .create_user(NewUser::new(username, Some(PASSWORD.to_owned())))
        .expect("create the user");
    let key = store.token_get_or_create(user.id).expect("a token").0.key;
    let knox = KnoxStore::new(store.database().clone(), KnoxSettings::default())
        .create(user.id)
        .expect("a knox token")
        .expect("under the limit");
    #[cfg(feature = "durin")]
    let durin = {
        let durin = DurinStore::from(&store);
        let web = durin
            .create_client(&format!("web-{username}"), chrono::TimeDelta::hours(1), "")
            .expect("a Durin client");
        durin
            .login(user.id, &web, &DurinSettings::default())
            .expect("a Durin token")
            .token()
            .to_owned()
    };
    let oauth = {
        let oauth2 =
            OAuth2Store::new(store.database().clone()).with_hashers(store.hashers().clone());
        let settings = examples::parity::oauth2_settings();
        let (application, _) = oauth2
            .create_application(
                NewApplication::new("confidential", "password"),
                settings.now(),
            )
            .expect("an OAuth application");
        oauth2
            .issue(
                application.id,
                Some(user.id),
                "read write",
                false,
                &settings,
            )
            .expect("an OAuth token")
            .access_token
    };
    #[cfg(feature = "jwt")]
    let jwt = {
        use auth_actix::auth_core::jwt::{Token, TokenClass};
        let jwt = examples::parity::jwt_config(&store, &Secret::new(SECRET_KEY).unwrap())
            .expect("drf_parity's simplejwt settings");
        let token = Token::for_user(TokenClass::Access, jwt.settings(), &user);
        let jti = token.jti().expect("a jti").to_owned();
        (token.encode().expect("an access token"), jti)
    };
    let credentials = Credentials {
        key,
        knox: knox.token().to_owned(),
        #[cfg(feature = "durin")]
        durin,
        oauth,
        #[cfg(feature = "jwt")]
        jwt,
    };
    (store, credentials)
}

/// One request of the scenario, sent each time it is called.
type Call<'a> = Box<dyn Fn() -> Response + 'a>;

/// The requests of the scenario, each a name and a closure sending it.
struct Calls<'a> {
    server: &'a Server,
    username: &'a str,
    credentials: &'a Credentials,
}

impl Calls<'_> {
    /// GET `path` with `Authorization: <authorization>`.
    fn get(&self, path: &str, authorization: &str) -> Response {
        self.server
            .send("GET", path, &[("Authorization", authorization)], "")
    }

    fn token(&self) -> Response {
        self.get("/token/", &format!("Token {}", self.credentials.key))
    }

    fn knox(&self) -> Response {
        self.get("/knox/", &format!("Token {}", self.credentials.knox))
    }

    #[cfg(feature = "durin")]
    fn durin(&self) -> Response {
        self.get("/durin/", &format!("Token {}", self.credentials.durin))
    }

    fn oauth(&self) -> Response {
        self.get("/oauth/", &format!("Bearer {}", self.credentials.oauth))
    }

    /// `JWTAuthentication`: the token's user is loaded.
    #[cfg(feature = "jwt")]
    fn jwt(&self) -> Response {
        self.get("/jwt/", &format!("Bearer {}", self.credentials.jwt.0))
    }

    /// `JWTStatelessUserAuthentication`: no query.
    #[cfg(feature = "jwt")]
    fn jwt_stateless(&self) -> Response {
        self.get(
            "/jwt-stateless/",
            &format!("Bearer {}", self.credentials.jwt.0),
        )
    }

    fn basic(&self) -> Response {
        let auth = basic(self.username, PASSWORD);
        self.server
            .send("GET", "/basic/", &[("Authorization", &auth)], "")
    }

    fn obtain_auth_token(&self) -> Response {
        let body = format!(
            r#"{{"username":"{}","password":"{PASSWORD}"}}"#,
            self.username
        );
        self.server.send(
            "POST",
            "/api-token-auth/",
            &[("Content-Type", "application/json")],
            &body,
        )
    }

    /// `/csrf/`, then a login with its token: the browser then holds a session.
    fn login(&self, browser: &mut Browser) -> Response {
        let reply = self.server.send("GET", "/csrf/", &[], "");
        assert_eq!(reply.status, 200, "{reply:?}");
        browser.keep(&reply);
        let token: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        let token = token["csrftoken"]
            .as_str()
            .expect("a CSRF token")
            .to_owned();
        self.login_with(browser, &token)
    }

    fn login_with(&self, browser: &mut Browser, csrf_token: &str) -> Response {
        let cookies = browser.cookie_header();
        let body = format!(
            r#"{{"username":"{}","password":"{PASSWORD}"}}"#,
            self.username
        );
        let reply = self.server.send(
            "POST",
            "/login/",
            &[
                ("Content-Type", "application/json"),
                ("Cookie", &cookies),
                ("X-CSRFToken", csrf_token),
            ],
            &body,
        );
        browser.keep(&reply);
        reply
    }

    fn session(&self, browser: &Browser) -> Response {
        let cookies = browser.cookie_header();
        self.server
            .send("GET", "/session/", &[("Cookie", &cookies)], "")
    }

    fn bare(&self) -> Response {
        self.server.send("GET", "/bare/", &[], "")
    }

    fn open(&self) -> Response {
        self.server.send("GET", "/open/", &[], "")
    }
}

fn caller(username: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!(r#"{{"user":"{username}","auth":"{key}"}}"#),
        None => format!(r#"{{"user":"{username}","auth":null}}"#),
    }
}

/// Every credentialed request succeeds; the browser ends up logged in.
fn check_healthy(calls: &Calls<'_>, browser: &mut Browser) {
    let user = calls.username;
    assert_eq!(
        calls.token().summary(),
        (200, caller(user, Some(&calls.credentials.key)).as_str())
    );
    assert_eq!(calls.basic().summary(), (200, caller(user, None).as_str()));
    assert_eq!(
        calls.knox().summary(),
        (
            200,
            caller(user, Some(&calls.credentials.knox[..15])).as_str()
        )
    );
    #[cfg(feature = "durin")]
    assert_eq!(
        calls.durin().summary(),
        (200, caller(user, Some(&calls.credentials.durin)).as_str())
    );
    assert_eq!(
        calls.oauth().summary(),
        (200, caller(user, Some(&calls.credentials.oauth)).as_str())
    );
    #[cfg(feature = "jwt")]
    {
        let jti = &calls.credentials.jwt.1;
        assert_eq!(
            calls.jwt().summary(),
            (200, caller(user, Some(jti)).as_str())
        );
        assert_eq!(calls.jwt_stateless().summary().0, 200);
    }
    assert_eq!(
        calls.obtain_auth_token().summary(),
        (
            200,
            format!(r#"{{"token":"{}"}}"#, calls.credentials.key).as_str()
        )
    );
    let reply = calls.login(browser);
    assert_eq!(
        reply.summary(),
        (200, format!(r#"{{"user":"{user}"}}"#).as_str())
    );
    assert_eq!(
        calls.session(browser).summary(),
        (200, caller(user, None).as_str())
    );
}

/// Every request that needs the database is a 503 with the exact body, logged once as an error
/// whose text contains one of `causes`; the rest still answer.
fn check_down(calls: &Calls<'_>, browser: &Browser, logs: &Logs, causes: &[&str]) {
    logs.take();
    let mut failing: Vec<(&str, Call<'_>)> = vec![
        ("token", Box::new(|| calls.token())),
        ("knox", Box::new(|| calls.knox())),
        ("oauth", Box::new(|| calls.oauth())),
        ("basic", Box::new(|| calls.basic())),
        ("obtain_auth_token", Box::new(|| calls.obtain_auth_token())),
        ("session", Box::new(|| calls.session(browser))),
    ];
    #[cfg(feature = "durin")]
    failing.push(("durin", Box::new(|| calls.durin())));
    #[cfg(feature = "jwt")]
    failing.push(("jwt", Box::new(|| calls.jwt())));
    for (name, call) in failing {
        let reply = call();
        assert_eq!(reply.summary(), (503, UNAVAILABLE), "{name}: {reply:?}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{name}"
        );
        let events = logs.take();
        let problems = problems(&events);
        assert_eq!(
            problems.len(),
            1,
            "{name}: one log line for the failure, not {}:\n{problems:#?}",
            problems.len()
        );
        let line = problems[0];
        assert!(
            line.trim_start().starts_with("ERROR") && causes.iter().any(|c| line.contains(c)),
            "{name}: an error naming the cause (one of {causes:?}): {line}"
        );
    }
    // A login: the CSRF cookie is served without the database, the login itself needs it.
    let mut fresh = Browser::default();
    let reply = calls.login(&mut fresh);
    assert_eq!(reply.summary(), (503, UNAVAILABLE), "login: {reply:?}");
    assert_eq!(
        problems(&logs.take()).len(),
        1,
        "login: one log line for the failure"
    );
    // Many at once: each is a 503, each logged once.
    let replies: Vec<Response> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..BURST).map(|_| scope.spawn(|| calls.token())).collect();
        calls
            .into_iter()
            .map(|call| call.join().expect("a request thread"))
            .collect()
    });
    for reply in &replies {
        assert_eq!(reply.summary(), (503, UNAVAILABLE), "burst: {reply:?}");
    }
    let events = logs.take();
    let burst = problems(&events);
    assert_eq!(burst.len(), BURST, "burst: one line each:\n{burst:#?}");
    let with_cause = burst
        .iter()
        .filter(|line| causes.iter().any(|c| line.contains(c)))
        .count();
    assert_eq!(with_cause, BURST, "burst: each with its cause: {burst:#?}");
    // No database needed: served as usual.
    assert_eq!(calls.bare().summary(), (200, r#"{"ok":true}"#));
    assert_eq!(
        calls.open().summary(),
        (200, caller("AnonymousUser", None).as_str())
    );
    // A stateless JWT names its user without a query.
    #[cfg(feature = "jwt")]
    assert_eq!(calls.jwt_stateless().summary().0, 200);
    assert!(problems(&logs.take()).is_empty());
}

/// Waits (up to `within`) until every credentialed request succeeds again.
fn check_recovers(calls: &Calls<'_>, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let reply = calls.token();
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.summary(), (503, UNAVAILABLE), "while recovering");
        assert!(
            start.elapsed() < within,
            "the service did not resume within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = start.elapsed();
    let mut browser = Browser::default();
    check_healthy(calls, &mut browser);
    took
}

#[test]
fn sqlite_file_replaced_by_garbage() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let logs = Logs::capture();
    let db = integration_tests::TempSqlite::new();
    let (store, credentials) = store_with_user(&db.url(), "olivia");
    let parity = Parity::new(store, &Secret::new(SECRET_KEY).unwrap()).unwrap();
    let server = Server::start(parity, 2);
    let calls = Calls {
        server: &server,
        username: "olivia",
        credentials: &credentials,
    };
    let mut browser = Browser::default();
    check_healthy(&calls, &mut browser);

    // Everything into the main file first: the write-ahead log would otherwise still hold the
    // rows, and the pool's connections would go on reading them from it.
    integration_tests::sqlite::checkpoint(db.path());
    let original = std::fs::read(db.path()).expect("read the database");
    integration_tests::sqlite::overwrite_in_place(db.path(), &vec![0x5a; original.len()]);
    check_down(&calls, &browser, &logs, &["file is not a database"]);

    integration_tests::sqlite::overwrite_in_place(db.path(), &original);
    let took = check_recovers(&calls, Duration::from_secs(10));
    eprintln!("sqlite: the service resumed {took:?} after the file came back");
    // The session made before the outage still works.
    assert_eq!(
        calls.session(&browser).summary(),
        (200, caller("olivia", None).as_str())
    );
}

/// Runs a shell command of the environment (`var` names it in the panic), panicking with its
/// output if it fails.
fn shell(var: &str, command: &str) {
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .output()
        .unwrap_or_else(|e| panic!("{var}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{var} ({command:?}) failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts the server again if the test ends (or fails) while it is stopped.
struct Restart {
    /// The variable holding `command`, for the panic of a failed start.
    var: &'static str,
    command: Option<String>,
}

impl Restart {
    fn done(&mut self) {
        if let Some(command) = self.command.take() {
            shell(self.var, &command);
        }
    }
}

impl Drop for Restart {
    fn drop(&mut self) {
        if let Some(command) = self.command.take() {
            let _ = std::process::Command::new("sh")
                .args(["-c", &command])
                .status();
        }
    }
}

/// A database server the environment lets a test stop and start.
struct StoppableServer {
    backend: integration_tests::Backend,
    /// The test's name, for its skip line.
    test: &'static str,
    /// The variables holding the shell commands that stop and start the server.
    stop_var: &'static str,
    start_var: &'static str,
    /// The client library's words for a server that is gone: one of them is in every logged
    /// failure.
    causes: &'static [&'static str],
}

/// The server of `server.backend`'s test URL stopped under a running `drf_parity`, then started:
/// every credentialed request fails closed while it is down, and the service resumes once it is
/// back. Skips (printing why) unless the URL and both commands are set.
fn server_stopped_and_started(server: &StoppableServer) {
    let Some(url) = integration_tests::server_url(server.backend, server.test) else {
        return;
    };
    let (Some(stop), Some(start)) = (
        integration_tests::env_nonempty(server.stop_var),
        integration_tests::env_nonempty(server.start_var),
    ) else {
        let url_var = integration_tests::env_var(server.backend).unwrap_or_default();
        integration_tests::skip(
            server.test,
            &format!(
                "needs {} and {} (shell commands that stop and start the server of {url_var})",
                server.stop_var, server.start_var
            ),
        );
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let logs = Logs::capture();
    let username = integration_tests::unique_name("outage");
    let (store, credentials) = store_with_user(&url, &username);
    let parity = Parity::new(store, &Secret::new(SECRET_KEY).unwrap()).unwrap();
    let http = Server::start(parity, 2);
    let calls = Calls {
        server: &http,
        username: &username,
        credentials: &credentials,
    };
    let mut browser = Browser::default();
    check_healthy(&calls, &mut browser);

    let stopping = Instant::now();
    shell(server.stop_var, &stop);
    let mut restart = Restart {
        var: server.start_var,
        command: Some(start),
    };
    let stopped = stopping.elapsed();
    let down = Instant::now();
    check_down(&calls, &browser, &logs, server.causes);
    let down = down.elapsed();

    restart.done();
    let took = check_recovers(&calls, Duration::from_secs(60));
    eprintln!(
        "{}: stopped in {stopped:?}, the down checks took {down:?}, and the service resumed \
         {took:?} after the start command returned",
        server.backend.name()
    );
    assert_eq!(
        calls.session(&browser).summary(),
        (200, caller(&username, None).as_str())
    );
}

#[test]
fn postgres_stopped_and_started() {
    server_stopped_and_started(&StoppableServer {
        backend: integration_tests::Backend::Postgres,
        test: "outage::postgres_stopped_and_started",
        stop_var: "TEST_POSTGRES_STOP",
        start_var: "TEST_POSTGRES_START",
        // libpq's words: refused connects, or a connection it closed.
        causes: &[
            "Connection refused",
            "terminating connection",
            "server closed the connection",
            "the database system is shutting down",
            "No such file or directory",
        ],
    });
}

#[test]
fn mysql_stopped_and_started() {
    server_stopped_and_started(&StoppableServer {
        backend: integration_tests::Backend::Mysql,
        test: "outage::mysql_stopped_and_started",
        stop_var: "TEST_MYSQL_STOP",
        start_var: "TEST_MYSQL_START",
        // libmariadb's (and libmysqlclient's) words: refused connects ("Can't connect to server on
        // '127.0.0.1' (115)"), or a connection the server closed or is closing. Diesel reports
        // them all as `DatabaseErrorKind::Unknown`; `StoreError::from` tells them apart by these
        // words and counts them as unavailable. The pool's ping on checkout replaces closed
        // connections before a query, so the last three appear only if the server stops mid-query.
        causes: &[
            "Can't connect to",
            "Lost connection",
            "has gone away",
            "shutdown in progress",
        ],
    });
}

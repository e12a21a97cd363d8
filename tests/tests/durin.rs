//! Django-Rest-Durin 1.1.0 and this library on one database (`scripts/django/durin_checks.py`,
//! a Django process with Durin's own views, and `drf_parity` with Durin's routes under
//! `/durin/`): Django's `migrate` and ours leave the same tables in either order and each finds
//! nothing to do after the other; clients made by either side's `create_client` are read by the
//! other (`token_ttl` is an `interval` on PostgreSQL, microseconds elsewhere); tokens made by
//! either side's login authenticate on both, with the same `sessions/` answers; logout,
//! logoutall, expiry and session deletion on either side end tokens on both; each side
//! throttles at the rate of a client the other made. On SQLite always, PostgreSQL and MariaDB
//! when their URLs are set; Django's half needs `DURIN_PYTHON`.

use auth_core::db::schema::durin_authtoken;
use auth_core::durin::DurinStore;
use auth_core::{AuthStore, Hashers, NewUser};
use chrono::TimeDelta;
use diesel::prelude::*;
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::django::DjangoProcess;
use integration_tests::server::{Response, Server};
use integration_tests::{env_nonempty, repo_root, skip, Backend};
use serde_json::{json, Value};

use crate::common::TestDb;
use crate::django_interop::manage;

/// The PBKDF2 iterations of both sides (cheap logins; both must agree).
const ITERATIONS: u32 = 1_000;
const KEY: &str = "the-secret-key-of-the-durin-interop-checks-0123456789";

fn python(test: &str) -> Option<String> {
    let python = env_nonempty("DURIN_PYTHON");
    if python.is_none() {
        skip(
            test,
            "Django's half needs a Python with Django-Rest-Durin 1.1.0 \
             (set DURIN_PYTHON to run; scripts/django/setup_venv.sh durin prints one)",
        );
    }
    python
}

/// Durin in a Django process on `url`.
struct Django(DjangoProcess);

impl Django {
    fn start(python: &str, url: &str) -> Django {
        let iterations = ITERATIONS.to_string();
        Django(DjangoProcess::start(
            python,
            &repo_root().join("scripts/django/durin_checks.py"),
            &[
                ("INTEROP_DATABASE_URL", url),
                ("PBKDF2_ITERATIONS", &iterations),
            ],
        ))
    }

    fn ask(&mut self, command: Value) -> Value {
        self.0.ask(command)
    }

    /// One request to Durin's views: `(status, body)`.
    fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let answer = self.ask(json!({
            "cmd": "request", "method": method, "path": path, "token": token,
            "json": if body.is_null() { Value::Null } else { body },
        }));
        (
            answer["status"].as_u64().unwrap() as u16,
            answer["body"].clone(),
        )
    }

    fn login(&mut self, username: &str, client: &str) -> Value {
        let (status, body) = self.request(
            "POST",
            "/durin/login/",
            None,
            json!({"username": username, "password": "pw", "client": client}),
        );
        assert_eq!(status, 200, "Django's login: {body}");
        body
    }

    /// Who Durin's authentication says `token` is: the user, or the 401's detail.
    fn whoami(&mut self, token: &str) -> Result<String, String> {
        match self.request("GET", "/durin/", Some(token), Value::Null) {
            (200, body) => Ok(body["user"].as_str().unwrap().to_owned()),
            (401, body) => Err(body["detail"].as_str().unwrap().to_owned()),
            (status, body) => panic!("Django's /durin/ answered {status}: {body}"),
        }
    }

    fn schema(&mut self) -> Value {
        self.ask(json!({"cmd": "schema"}))
    }
}

/// `drf_parity`, a user store and a Durin store on `db`.
struct Ours {
    store: AuthStore,
    durin: DurinStore,
    server: Server,
}

impl Ours {
    fn start(db: &TestDb) -> Ours {
        let store = db.store().with_hashers(Hashers {
            pbkdf2_iterations: ITERATIONS,
        });
        store.migrate().expect("our migrate");
        let server = Server::start(
            Parity::new(store.clone(), &Secret::new(KEY).unwrap()).unwrap(),
            1,
        );
        Ours {
            durin: DurinStore::from(&store),
            store,
            server,
        }
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Response {
        let auth = token.map(|t| format!("Token {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        self.server.send(method, path, &headers, &body)
    }

    fn login(&self, username: &str, client: &str) -> Value {
        let reply = self.send(
            "POST",
            "/durin/login/",
            None,
            json!({"username": username, "password": "pw", "client": client}),
        );
        assert_eq!(reply.status, 200, "our login: {}", reply.body);
        serde_json::from_str(&reply.body).unwrap()
    }

    fn whoami(&self, token: &str) -> Result<String, String> {
        let reply = self.send("GET", "/durin/", Some(token), Value::Null);
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        match reply.status {
            200 => Ok(body["user"].as_str().unwrap().to_owned()),
            401 => {
                assert_eq!(reply.header("www-authenticate"), Some("Token"));
                Err(body["detail"].as_str().unwrap().to_owned())
            }
            status => panic!("our /durin/ answered {status}: {}", reply.body),
        }
    }

    fn user(&self, username: &str) {
        self.store
            .create_user(NewUser::new(username, Some("pw".into())))
            .unwrap();
    }
}

fn token(body: &Value) -> String {
    body["token"].as_str().unwrap().to_owned()
}

fn invalid() -> Result<String, String> {
    Err("Invalid token.".to_owned())
}

fn ok(user: &str) -> Result<String, String> {
    Ok(user.to_owned())
}

/// Django migrates first; then ours; then each side's clients and tokens work on the other.
fn django_first(backend: Backend, test: &str) {
    let Some(python) = python(test) else { return };
    let Some(db) = TestDb::for_test(backend, test) else {
        return;
    };
    let mut django = Django::start(&python, &db.url);
    let output = django.ask(json!({"cmd": "migrate"}))["output"].to_string();
    assert!(
        output.contains("Applying durin.0002_client_throttlerate... OK"),
        "{output}"
    );
    let djangos = django.schema();

    // Our migrate on Django's tables changes nothing, and Django's after it finds nothing.
    let ours = Ours::start(&db);
    assert_eq!(
        django.schema(),
        djangos,
        "our migrate changed Durin's tables"
    );
    assert!(
        ours.store.migrate().unwrap().is_empty(),
        "a second migrate is a no-op"
    );
    let again = django.ask(json!({"cmd": "migrate"}))["output"].to_string();
    assert!(again.contains("No migrations to apply."), "{again}");
    assert_eq!(
        django.ask(json!({"cmd": "makemigrations_check"}))["changes"],
        false
    );

    // Clients, both ways (token_ttl as each backend stores a DurationField).
    let made = django.ask(
        json!({"cmd": "create_client", "name": "web", "token_ttl": "7200", "throttle_rate": "2/m"}),
    );
    assert_eq!(made["output"], "Client web created!\n");
    let web = ours
        .durin
        .client_by_name("web")
        .unwrap()
        .expect("Django's client");
    assert_eq!(
        (web.token_ttl, web.throttle_rate.as_str()),
        (TimeDelta::hours(2), "2/m")
    );
    ours.durin
        .create_client(
            "ios",
            TimeDelta::days(30) + TimeDelta::microseconds(5),
            "3/m",
        )
        .unwrap();
    assert_eq!(
        django.ask(json!({"cmd": "client", "name": "ios"})),
        json!({"token_ttl": 2_592_000.000005, "throttle_rate": "3/m"})
    );
    assert_eq!(
        manage(&ours.store, &["create-client", "tv"], ""),
        "Client tv created!\n"
    );
    assert_eq!(
        django.ask(json!({"cmd": "client", "name": "tv"}))["token_ttl"],
        86_400.0
    );
    // A duplicate name: both sides refuse it with Durin's words.
    let dup = django.ask(json!({"cmd": "create_client", "name": "tv", "throttle_rate": ""}));
    assert_eq!(
        dup["output"],
        "Can't create client!\nname: client with this name already exists."
    );

    // Tokens, both ways: one per user and client, whoever logs in.
    ours.user("alice");
    let theirs = django.login("alice", "web");
    assert_eq!(
        ours.login("alice", "web"),
        theirs,
        "our login returns Django's token and expiry"
    );
    let mine = ours.login("alice", "ios");
    assert_eq!(django.login("alice", "ios"), mine);
    let (theirs, mine) = (token(&theirs), token(&mine));
    assert_eq!(ours.whoami(&theirs), ok("alice"));
    assert_eq!(django.whoami(&mine), ok("alice"));
    let (_, body) = django.request("GET", "/durin/", Some(&mine), Value::Null);
    assert_eq!(body, json!({"user": "alice", "auth": mine}));

    // The same sessions/ answer on both sides.
    let (status, djangos_list) =
        django.request("GET", "/durin/sessions/", Some(&theirs), Value::Null);
    assert_eq!(status, 200);
    let our_list = ours.send("GET", "/durin/sessions/", Some(&theirs), Value::Null);
    assert_eq!(
        serde_json::from_str::<Value>(&our_list.body).unwrap(),
        djangos_list
    );
    assert_eq!(djangos_list.as_array().unwrap().len(), 2, "{djangos_list}");

    // Expiry, both ways: the side that sees it expired deletes it for both.
    django.ask(json!({"cmd": "expire", "token": mine}));
    assert_eq!(
        ours.whoami(&mine),
        Err("The given token has expired.".into())
    );
    assert_eq!(django.whoami(&mine), invalid());
    let mine = token(&ours.login("alice", "ios"));
    {
        let mut conn = ours.store.connection().unwrap();
        let past = chrono::Utc::now().naive_utc() - TimeDelta::seconds(5);
        diesel::update(durin_authtoken::table.filter(durin_authtoken::token.eq(&mine)))
            .set(durin_authtoken::expiry.eq(past))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_eq!(
        django.whoami(&mine),
        Err("The given token has expired.".into())
    );
    assert_eq!(ours.whoami(&mine), invalid());

    // Logout on either side ends the token on both.
    assert_eq!(
        django
            .request("POST", "/durin/logout/", Some(&theirs), Value::Null)
            .0,
        204
    );
    assert_eq!(ours.whoami(&theirs), invalid());
    let mine = token(&ours.login("alice", "web"));
    assert_eq!(
        ours.send("POST", "/durin/logout/", Some(&mine), Value::Null)
            .status,
        204
    );
    assert_eq!(django.whoami(&mine), invalid());

    // Logoutall on either side ends every token of the user on both.
    let a = token(&django.login("alice", "web"));
    let b = token(&django.login("alice", "ios"));
    assert_eq!(
        ours.send("POST", "/durin/logoutall/", Some(&a), Value::Null)
            .status,
        204
    );
    assert_eq!(
        (django.whoami(&a), django.whoami(&b)),
        (invalid(), invalid())
    );
    let a = token(&ours.login("alice", "web"));
    let b = token(&ours.login("alice", "ios"));
    assert_eq!(
        django
            .request("POST", "/durin/logoutall/", Some(&b), Value::Null)
            .0,
        204
    );
    assert_eq!((ours.whoami(&a), ours.whoami(&b)), (invalid(), invalid()));

    // A session deleted on one side is gone on the other.
    let a = token(&ours.login("alice", "web"));
    let b = token(&django.login("alice", "ios"));
    let id = ours
        .durin
        .sessions(
            ours.store.user_by_username("alice").unwrap().unwrap().id,
            None,
        )
        .unwrap()
        .into_iter()
        .find(|s| s.client_name == "ios")
        .unwrap()
        .token
        .id;
    assert_eq!(
        ours.send(
            "DELETE",
            &format!("/durin/sessions/{id}"),
            Some(&a),
            Value::Null
        )
        .status,
        204
    );
    assert_eq!(django.whoami(&b), invalid());
    let b = token(&django.login("alice", "ios"));
    let (_, list) = django.request("GET", "/durin/sessions/", Some(&b), Value::Null);
    let web_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["client"] == "web")
        .unwrap()["id"]
        .clone();
    // Durin's own route has the double slash.
    assert_eq!(
        django
            .request(
                "DELETE",
                &format!("/durin/sessions//{web_id}"),
                Some(&b),
                Value::Null
            )
            .0,
        204
    );
    assert_eq!(ours.whoami(&a), invalid());

    // Each side throttles at the rate of a client the other made.
    ours.user("bob");
    let bob_web = token(&django.login("bob", "web")); // Django's client, 2/m
    for _ in 0..2 {
        assert_eq!(ours.whoami(&bob_web), ok("bob"));
    }
    let refused = ours.send("GET", "/durin/", Some(&bob_web), Value::Null);
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(
        refused
            .body
            .starts_with(r#"{"detail":"Request was throttled. Expected available in "#),
        "{}",
        refused.body
    );
    assert!(refused.header("retry-after").is_some());
    let bob_ios = token(&ours.login("bob", "ios")); // our client, 3/m
    for _ in 0..3 {
        assert_eq!(django.whoami(&bob_ios), ok("bob"));
    }
    let (status, body) = django.request("GET", "/durin/", Some(&bob_ios), Value::Null);
    assert_eq!(status, 429, "{body}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Request was throttled. Expected available in "));
}

/// Ours migrates first: Django sees the tables it would have made, takes them over with
/// `migrate --fake`, finds no model change, and tokens work both ways.
fn ours_first(backend: Backend, test: &str) {
    let Some(python) = python(test) else { return };
    let (Some(ours_db), Some(djangos_db)) = (
        TestDb::for_test(backend, test),
        TestDb::for_test(backend, test),
    ) else {
        return;
    };
    let ours = Ours::start(&ours_db);
    let mut django = Django::start(&python, &ours_db.url);
    let mut reference = Django::start(&python, &djangos_db.url);
    reference.ask(json!({"cmd": "migrate"}));
    assert_eq!(
        django.schema(),
        reference.schema(),
        "our tables differ from Django's"
    );
    let output = django.ask(json!({"cmd": "migrate", "fake": true}))["output"].to_string();
    assert!(
        output.contains("durin.0002_client_throttlerate... FAKED"),
        "{output}"
    );
    assert_eq!(
        django.ask(json!({"cmd": "makemigrations_check"}))["changes"],
        false
    );
    assert!(ours.store.migrate().unwrap().is_empty());

    ours.user("alice");
    assert_eq!(
        manage(
            &ours.store,
            &[
                "create-client",
                "web",
                "--token-ttl",
                "60",
                "--throttle-rate",
                "5/s"
            ],
            ""
        ),
        "Client web created!\n"
    );
    let theirs = token(&django.login("alice", "web"));
    assert_eq!(ours.whoami(&theirs), ok("alice"));
    let mine = token(&ours.login("alice", "web"));
    assert_eq!(mine, theirs);
    assert_eq!(django.whoami(&mine), ok("alice"));
}

macro_rules! per_backend_durin {
    ($check:ident => $sqlite:ident, $postgres:ident, $mysql:ident) => {
        #[cfg(feature = "sqlite")]
        #[test]
        fn $sqlite() {
            $check(Backend::Sqlite, stringify!($sqlite));
        }

        #[test]
        fn $postgres() {
            $check(Backend::Postgres, stringify!($postgres));
        }

        #[test]
        fn $mysql() {
            $check(Backend::Mysql, stringify!($mysql));
        }
    };
}

per_backend_durin!(django_first => durin_django_first_on_sqlite, durin_django_first_on_postgres, durin_django_first_on_mysql);
per_backend_durin!(ours_first => durin_ours_first_on_sqlite, durin_ours_first_on_postgres, durin_ours_first_on_mysql);

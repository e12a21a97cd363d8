//! django-rest-knox 5.1.0 and this library on one database: Django
//! (`scripts/django/knox_interop.py`, one long-running process with knox's own views) and
//! `drf_parity`'s `/knox/` routes. Tokens made by either side authenticate on the other, logout
//! and logoutall on either side end them on both, an expired token is refused (and its row
//! deleted) by both, `migrate` is a no-op on a table Django made, and the table ours makes is the
//! one Django makes (Django's own introspection of both). Then the per-user limit under 32
//! concurrent logins. On SQLite always, PostgreSQL and MariaDB when their URLs are set; Django's
//! half needs `KNOX_PYTHON` (`scripts/django/setup_venv.sh knox`).

use std::sync::Arc;

use crate::common::TestDb;
use auth_core::knox::{KnoxSettings, KnoxStore};
use auth_core::{AuthStore, Hashers, NewUser};
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::django::DjangoProcess;
use integration_tests::server::{basic, Server};
use integration_tests::{connect, env_nonempty, repo_root, skip, unique_name};
use serde_json::{json, Value};

/// The PBKDF2 iterations of both sides (so that neither re-hashes the other's passwords).
const ITERATIONS: u32 = 1_000;
const PASSWORD: &str = "knox-pw";

/// A Django process with knox, answering `knox_interop.py`'s commands.
struct Knox(DjangoProcess);

impl Knox {
    fn start(python: &str, url: &str) -> Knox {
        let iterations = ITERATIONS.to_string();
        Knox(DjangoProcess::start(
            python,
            &repo_root().join("scripts/django/knox_interop.py"),
            &[
                ("INTEROP_DATABASE_URL", url),
                ("PBKDF2_ITERATIONS", &iterations),
                ("KNOX_TOKEN_LIMIT_PER_USER", "3"),
            ],
        ))
    }

    fn ask(&mut self, command: Value) -> Value {
        self.0.ask(command)
    }

    /// One request through knox's views: the status and the JSON body.
    fn request(&mut self, method: &str, path: &str, authorization: &str) -> (u16, Value) {
        let answer = self.ask(
            json!({"cmd": "request", "method": method, "path": path, "authorization": authorization}),
        );
        let status = u16::try_from(answer["status"].as_u64().unwrap()).unwrap();
        (status, answer["body"].clone())
    }

    /// knox's `LoginView` with Basic credentials: the token.
    fn login(&mut self, username: &str) -> String {
        let (status, body) = self.request("POST", "/knox/login/", &basic(username, PASSWORD));
        assert_eq!(status, 200, "knox's login of {username}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// `/knox/` with the token: the status and the body.
    fn whoami(&mut self, token: &str) -> (u16, Value) {
        self.request("GET", "/knox/", &format!("Token {token}"))
    }

    fn schema(&mut self) -> Value {
        self.ask(json!({"cmd": "schema"}))
    }
}

fn python(test: &str) -> Option<String> {
    let python = env_nonempty("KNOX_PYTHON");
    if python.is_none() {
        skip(
            test,
            "knox's half needs a Python with django-rest-knox 5.1.0 \
             (set KNOX_PYTHON to run; scripts/django/setup_venv.sh knox prints one)",
        );
    }
    python
}

fn store_at(url: &str) -> AuthStore {
    connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    })
}

fn serve(store: &AuthStore) -> Server {
    Server::start(
        Parity::new(store.clone(), &Secret::new("knox-interop-secret").unwrap()).unwrap(),
        2,
    )
}

/// Our login (`/knox/login/`, Basic): the token.
fn our_login(server: &Server, username: &str) -> String {
    let reply = server.send(
        "POST",
        "/knox/login/",
        &[("Authorization", &basic(username, PASSWORD))],
        "",
    );
    assert_eq!(reply.status, 200, "our login: {}", reply.body);
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Our `/knox/` with the token: the status and the body.
fn our_whoami(server: &Server, token: &str) -> (u16, String) {
    let reply = server.send(
        "GET",
        "/knox/",
        &[("Authorization", &format!("Token {token}"))],
        "",
    );
    (reply.status, reply.body)
}

fn our_post(server: &Server, path: &str, token: &str) -> u16 {
    server
        .send(
            "POST",
            path,
            &[("Authorization", &format!("Token {token}"))],
            "",
        )
        .status
}

fn expire(store: &AuthStore, token: &str) {
    let sql = format!(
        "UPDATE knox_authtoken SET expiry = created WHERE token_key = '{}'",
        &token[..15]
    );
    // The key is 15 hex characters of our own making: nothing to escape.
    assert!(token[..15].bytes().all(|b| b.is_ascii_hexdigit()));
    store
        .database()
        .run(|conn| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query(sql).execute(conn)?)
        })
        .unwrap();
}

const INVALID: &str = r#"{"detail":"Invalid token."}"#;

/// Django migrates first (knox's own migrations); then ours, changing nothing; then the two
/// sides share every token.
fn tokens_both_ways(db: &TestDb) {
    let Some(python) = python("tokens_both_ways") else {
        return;
    };
    let url = db.url.as_str();
    let mut knox = Knox::start(&python, url);
    knox.ask(json!({"cmd": "migrate"}));
    let djangos = knox.schema();
    let store = store_at(url);
    store.migrate().unwrap();
    assert_eq!(knox.schema(), djangos, "our migrate changed knox's table");
    assert!(store.migrate().unwrap().is_empty());
    let server = serve(&store);
    let name = unique_name("knox");
    store
        .create_user(NewUser::new(name.clone(), Some(PASSWORD.into())))
        .unwrap();

    // Made by Django, accepted here; made here, accepted by Django; the same answer.
    let theirs = knox.login(&name);
    let ours = our_login(&server, &name);
    for token in [&theirs, &ours] {
        let expected = format!(r#"{{"user":"{name}","auth":"{}"}}"#, &token[..15]);
        assert_eq!(our_whoami(&server, token), (200, expected));
        assert_eq!(
            knox.whoami(token),
            (200, json!({"user": name, "auth": &token[..15]}))
        );
    }

    // Logout on either side ends the token on both.
    assert_eq!(our_post(&server, "/knox/logout/", &theirs), 204);
    assert_eq!(knox.whoami(&theirs).0, 401);
    let (status, _) = knox.request("POST", "/knox/logout/", &format!("Token {ours}"));
    assert_eq!(status, 204);
    assert_eq!(our_whoami(&server, &ours), (401, INVALID.to_owned()));

    // Logoutall on either side ends every token of the user on both.
    let (a, b) = (knox.login(&name), our_login(&server, &name));
    assert_eq!(
        knox.request("POST", "/knox/logoutall/", &format!("Token {a}"))
            .0,
        204
    );
    assert_eq!(our_whoami(&server, &b).0, 401);
    assert_eq!(knox.whoami(&b).0, 401);
    let (c, d) = (knox.login(&name), our_login(&server, &name));
    assert_eq!(our_post(&server, "/knox/logoutall/", &d), 204);
    assert_eq!(knox.whoami(&c), (401, json!({"detail": "Invalid token."})));
    assert_eq!(our_whoami(&server, &c).0, 401);

    // Expired: refused by both, and the row is gone.
    let (e, f) = (knox.login(&name), our_login(&server, &name));
    expire(&store, &e);
    expire(&store, &f);
    assert_eq!(our_whoami(&server, &e), (401, INVALID.to_owned()));
    assert_eq!(knox.whoami(&f), (401, json!({"detail": "Invalid token."})));
    let user = store.user_by_username(&name).unwrap().unwrap();
    let rows = store.database().run(|conn| {
        use auth_core::db::schema::knox_authtoken;
        use diesel::prelude::*;
        Ok(knox_authtoken::table
            .filter(knox_authtoken::user_id.eq(user.id))
            .count()
            .get_result::<i64>(conn)?)
    });
    assert_eq!(rows.unwrap(), 0, "both expired rows deleted");

    // The limit counts both sides' tokens (3 in both settings).
    let _ = (
        knox.login(&name),
        our_login(&server, &name),
        knox.login(&name),
    );
    let refused = server.send(
        "POST",
        "/knox/login/",
        &[("Authorization", &basic(&name, PASSWORD))],
        "",
    );
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (
            403,
            r#"{"error":"Maximum amount of tokens allowed per user exceeded."}"#
        )
    );
    let (status, body) = knox.request("POST", "/knox/login/", &basic(&name, PASSWORD));
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": "Maximum amount of tokens allowed per user exceeded."})
        )
    );
}

/// Ours migrates first: Django's introspection finds knox's table as knox's migrations make it,
/// so marking Django's migrations applied (`migrate --fake`) leaves its `migrate` nothing to do.
fn our_table_is_knoxs(db: &TestDb) {
    let Some(python) = python("our_table_is_knoxs") else {
        return;
    };
    let url = db.url.as_str();
    // The reference: a table Django made, on a second database of the same backend.
    // The reference: a table Django made, on a second database of the same backend.
    let Some(other) = TestDb::new(db.backend) else {
        return;
    };
    let reference = {
        let mut django = Knox::start(&python, &other.url);
        django.ask(json!({"cmd": "migrate"}));
        django.schema()
    };
    let store = store_at(url);
    store.migrate().unwrap();
    let mut knox = Knox::start(&python, url);
    assert_eq!(
        knox.schema(),
        reference,
        "our knox_authtoken differs from Django's"
    );
    // Our core tables are Django's too: every migration can be marked applied.
    knox.ask(json!({"cmd": "migrate", "args": ["--fake"]}));
    let shown = knox.ask(json!({"cmd": "showmigrations"}));
    let lines: Vec<&str> = shown["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(lines.len(), 10, "{lines:?}");
    assert!(
        lines[1..].iter().all(|l| l.starts_with(" [X] ")),
        "{lines:?}"
    );
    let again = knox.ask(json!({"cmd": "migrate"}));
    assert!(
        again["output"]
            .as_str()
            .unwrap()
            .contains("No migrations to apply."),
        "{again}"
    );
}

/// 32 simultaneous logins of one user through `drf_parity` (`TOKEN_LIMIT_PER_USER = 3`): exactly
/// three tokens, and knox's 403 for the rest.
fn limit_under_concurrency(db: &TestDb) {
    let url = db.url.as_str();
    let store = store_at(url);
    store.migrate().unwrap();
    let name = unique_name("knoxrace");
    store
        .create_user(NewUser::new(name.clone(), Some(PASSWORD.into())))
        .unwrap();
    let server = Arc::new(serve(&store));
    let barrier = Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (server, barrier, name) = (Arc::clone(&server), Arc::clone(&barrier), name.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let reply = server.send(
                    "POST",
                    "/knox/login/",
                    &[("Authorization", &basic(&name, PASSWORD))],
                    "",
                );
                (reply.status, reply.body)
            })
        })
        .collect();
    let replies: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let created = replies.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert_eq!(created, 3, "{replies:?}");
    assert!(
        refused.iter().all(|(status, body)| *status == 403
            && body == r#"{"error":"Maximum amount of tokens allowed per user exceeded."}"#),
        "{refused:?}"
    );
    let user = store.user_by_username(&name).unwrap().unwrap();
    let rows = store.database().run(|conn| {
        use auth_core::db::schema::knox_authtoken;
        use diesel::prelude::*;
        Ok(knox_authtoken::table
            .filter(knox_authtoken::user_id.eq(user.id))
            .count()
            .get_result::<i64>(conn)?)
    });
    assert_eq!(rows.unwrap(), 3);
}

/// `purge-tokens` deletes the expired knox tokens (and nothing else), printing how many.
fn purge_tokens_command(db: &TestDb) {
    let store = store_at(&db.url);
    store.migrate().unwrap();
    let name = unique_name("knoxpurge");
    let user = store
        .create_user(NewUser::new(name, Some(PASSWORD.into())))
        .unwrap();
    let knox = KnoxStore::new(store.database().clone(), KnoxSettings::default());
    let tokens: Vec<String> = (0..3)
        .map(|_| knox.create(user.id).unwrap().unwrap().token().to_owned())
        .collect();
    expire(&store, &tokens[0]);
    expire(&store, &tokens[1]);
    // One line per token family compiled in: knox's first, then Durin's
    // (none of its tokens here).
    let others = if cfg!(feature = "durin") {
        "Deleted 0 expired durin tokens.\n"
    } else {
        ""
    };
    let out = crate::django_interop::manage(&store, &["purge-tokens"], "");
    assert_eq!(out, format!("Deleted 2 expired knox tokens.\n{others}"));
    assert!(knox.authenticate(&tokens[2]).unwrap().is_some());
    let again = crate::django_interop::manage(&store, &["purge-tokens"], "");
    assert_eq!(again, format!("Deleted 0 expired knox tokens.\n{others}"));
}

per_backend!(
    tokens_both_ways,
    our_table_is_knoxs,
    limit_under_concurrency,
    purge_tokens_command
);

//! One login for a Django site and this library: Django 5.2 (`scripts/django/sessions.py`, a
//! Django process with its own `SessionMiddleware` and auth) and `drf_parity` with
//! `SESSION_ENGINE=django` (or `signed_cookies`) on one database and one `SECRET_KEY`: a login on
//! either side is a login on both, a logout or a password change on either side ends it on both,
//! a session signed with a key now in `SECRET_KEY_FALLBACKS` still works (and is re-signed), a
//! tampered or forged session is anonymous (never a 500), and each side's `clearsessions` removes
//! only expired rows. On SQLite always, PostgreSQL and MariaDB when their URLs are set; Django's
//! half needs `DJANGO_PYTHON`.

use std::time::Duration;

use crate::django_interop::{manage, on_server, on_sqlite};
use auth_core::db::schema::django_session;
use auth_core::sessions::django::DjangoSessionDb;
use auth_core::{AuthStore, Hashers, NewUser};
use diesel::prelude::*;
use examples::config::Secret;
use examples::parity::{Parity, SessionEngine, SessionOptions};
use integration_tests::django::DjangoProcess;
use integration_tests::server::{Browser, Response, Server};
use integration_tests::{connect, env_nonempty, skip, unique_name, Backend};
use serde_json::{json, Value};
use std::path::Path;

const KEY: &str = "the-shared-secret-key-of-the-django-site-and-the-api";
const OLD_KEY: &str = "the-previous-secret-key-now-in-secret-key-fallbacks";
/// The PBKDF2 iterations of both sides: they must agree (see `DJANGO_52_PBKDF2_ITERATIONS`).
const ITERATIONS: u32 = 1_000;

/// The store, migrated, hashing as the Django side does.
fn store_at(url: &str) -> AuthStore {
    let store = connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    store
}

/// A Django process answering `sessions.py`'s commands.
struct Django(DjangoProcess);

impl Django {
    fn start(python: &str, url: &str, key: &str, fallbacks: &str, engine: &str) -> Django {
        let iterations = ITERATIONS.to_string();
        Django(DjangoProcess::start(
            python,
            "sessions.py",
            &[
                ("INTEROP_DATABASE_URL", url),
                ("SECRET_KEY", key),
                ("SECRET_KEY_FALLBACKS", fallbacks),
                ("SESSION_ENGINE", engine),
                ("PBKDF2_ITERATIONS", &iterations),
            ],
        ))
    }

    fn ask(&mut self, command: Value) -> Value {
        self.0.ask(command)
    }

    /// Django's `Client.login`: the `sessionid` cookie.
    fn login(&mut self, username: &str, password: &str) -> String {
        let answer = self.ask(json!({"cmd": "login", "username": username, "password": password}));
        assert_eq!(answer["ok"], true, "Django's login of {username}: {answer}");
        answer["sessionid"]
            .as_str()
            .expect("a session cookie")
            .to_owned()
    }

    fn request(&mut self, method: &str, path: &str, sessionid: &str) -> Value {
        self.ask(json!({"cmd": "request", "method": method, "path": path, "sessionid": sessionid}))
    }

    /// The session's user as Django's `AuthenticationMiddleware` sees it, and the cookie
    /// Django's response sets (`None`: none).
    fn whoami(&mut self, sessionid: &str) -> (String, Option<String>) {
        let answer = self.request("GET", "/whoami/", sessionid);
        assert_eq!(answer["status"], 200, "{answer}");
        (
            answer["body"]["user"].as_str().unwrap().to_owned(),
            answer["sessionid"].as_str().map(str::to_owned),
        )
    }
}

fn options(engine: SessionEngine) -> SessionOptions {
    SessionOptions {
        engine,
        ..SessionOptions::default()
    }
}

fn serve(store: &AuthStore, key: &str, engine: SessionEngine) -> Server {
    Server::start(
        Parity::with_sessions(store.clone(), &Secret::new(key).unwrap(), options(engine)).unwrap(),
        1,
    )
}

/// `drf_parity`'s `/session/` (Session, IsAuthenticated) with the cookie `sessionid`:
/// the user, or `None` when it is a 403.
fn our_user(server: &Server, sessionid: &str) -> (Option<String>, Response) {
    let cookie = format!("sessionid={sessionid}");
    let reply = server.send("GET", "/session/", &[("Cookie", &cookie)], "");
    let user = match reply.status {
        200 => {
            let body: Value = serde_json::from_str(&reply.body).unwrap();
            Some(body["user"].as_str().unwrap().to_owned())
        }
        403 => None,
        other => panic!("/session/ answered {other}: {}", reply.body),
    };
    (user, reply)
}

/// A login through `drf_parity`'s csrf and login views: the browser holding the cookies.
fn our_login(server: &Server, username: &str, password: &str) -> Browser {
    let mut browser = Browser::default();
    log_in_again(server, &mut browser, username, password);
    browser
}

/// A login with the cookies `browser` holds.
fn log_in_again(server: &Server, browser: &mut Browser, username: &str, password: &str) {
    let reply = browser.send(server, "GET", "/csrf/", &[], "");
    let token: Value = serde_json::from_str(&reply.body).unwrap();
    let token = token["csrftoken"].as_str().unwrap().to_owned();
    let body = json!({"username": username, "password": password}).to_string();
    let reply = browser.send(
        server,
        "POST",
        "/login/",
        &[
            ("Content-Type", "application/json"),
            ("X-CSRFToken", &token),
        ],
        &body,
    );
    assert_eq!(reply.status, 200, "our login: {}", reply.body);
}

fn our_logout(server: &Server, browser: &mut Browser) -> Response {
    let reply = browser.send(server, "GET", "/csrf/", &[], "");
    let token: Value = serde_json::from_str(&reply.body).unwrap();
    let token = token["csrftoken"].as_str().unwrap().to_owned();
    browser.send(server, "POST", "/logout/", &[("X-CSRFToken", &token)], "")
}

fn user(store: &AuthStore, password: &str) -> String {
    let name = unique_name("sess");
    store
        .create_user(NewUser::new(name.clone(), Some(password.into())))
        .unwrap();
    name
}

fn python(test: &str) -> Option<String> {
    let python = env_nonempty("DJANGO_PYTHON");
    if python.is_none() {
        skip(
            test,
            "Django's half needs a Python with scripts/django/requirements.txt \
             (set DJANGO_PYTHON to run; scripts/django/setup_venv.sh prints one)",
        );
    }
    python
}

/// Django's `db` engine and ours on one database, both ways.
fn db_sessions_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store = store_at(url);
    let server = serve(&store, KEY, SessionEngine::Django);
    let mut django = Django::start(&python, url, KEY, "", "db");
    let name = user(&store, "pw-1");

    // Django's login is a login here; ours is one in Django.
    let theirs = django.login(&name, "pw-1");
    assert_eq!(our_user(&server, &theirs).0.as_deref(), Some(name.as_str()));
    let mut browser = our_login(&server, &name, "pw-1");
    let ours = browser.sessionid.clone().expect("our session cookie");
    assert_eq!(ours.len(), 32, "Django's key format: {ours}");
    assert_eq!(django.whoami(&ours).0, name);

    // A value a Django view stored survives our rewrite of the session.
    let put = django.request("POST", "/put/?key=cart&value=%5B1%2C%22%C3%A9%22%5D", &ours);
    assert_eq!(put["status"], 200, "{put}");
    log_in_again(&server, &mut browser, &name, "pw-1");
    let cycled = browser.sessionid.clone().unwrap();
    assert_ne!(cycled, ours, "a login cycles the key");
    let data = django.request("GET", "/data/", &cycled);
    assert_eq!(data["body"]["data"]["cart"], json!([1, "é"]), "{data}");
    assert_eq!(
        data["body"]["data"]["_auth_user_id"],
        json!(store
            .user_by_username(&name)
            .unwrap()
            .unwrap()
            .id
            .to_string())
    );
    assert_eq!(
        django.whoami(&ours).0,
        "AnonymousUser",
        "the old key is gone"
    );

    // Logout on either side ends the session on both.
    let reply = our_logout(&server, &mut browser);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(django.whoami(&cycled).0, "AnonymousUser");
    let out = django.request("POST", "/logout/", &theirs);
    assert_eq!(out["sessionid"], "", "Django deletes its cookie: {out}");
    assert_eq!(our_user(&server, &theirs).0, None);

    // A password change on either side ends every session on both.
    let theirs = django.login(&name, "pw-1");
    let ours = our_login(&server, &name, "pw-1").sessionid.unwrap();
    store
        .set_password(store.user_by_username(&name).unwrap().unwrap().id, "pw-2")
        .unwrap();
    assert_eq!(django.whoami(&theirs).0, "AnonymousUser");
    assert_eq!(django.whoami(&ours).0, "AnonymousUser");
    let theirs = django.login(&name, "pw-2");
    let ours = our_login(&server, &name, "pw-2").sessionid.unwrap();
    django.ask(json!({"cmd": "set_password", "username": name, "password": "pw-3"}));
    assert_eq!(our_user(&server, &theirs).0, None);
    assert_eq!(our_user(&server, &ours).0, None);

    // Tampered data and forged keys are anonymous, never an error.
    let theirs = django.login(&name, "pw-3");
    {
        let mut conn = store.connection().unwrap();
        let data: String = django_session::table
            .find(&theirs)
            .select(django_session::session_data)
            .first(&mut *conn)
            .unwrap();
        let tampered = data.replacen(':', "x:", 1);
        diesel::update(django_session::table.find(&theirs))
            .set(django_session::session_data.eq(tampered))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_eq!(our_user(&server, &theirs).0, None);
    assert_eq!(django.whoami(&theirs).0, "AnonymousUser");
    assert_eq!(
        our_user(&server, "abcdefghijklmnopqrstuvwxyz012345").0,
        None
    );

    // Each side's clearsessions removes only expired rows.
    let table = DjangoSessionDb::new(store.database().clone());
    let live = django.login(&name, "pw-3");
    for side in ["ours", "Django's"] {
        let expired = table.create("expired", Duration::ZERO).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        if side == "ours" {
            manage(&store, &["clearsessions"], "");
        } else {
            django.ask(json!({"cmd": "clearsessions"}));
        }
        assert!(
            !table.delete(&expired).unwrap(),
            "{side} clearsessions left an expired row"
        );
        assert_eq!(
            django.whoami(&live).0,
            name,
            "{side} clearsessions removed a live one"
        );
    }
}

/// Sessions signed with a key now in `SECRET_KEY_FALLBACKS` keep working on both sides.
fn rotated_keys_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store = store_at(url);
    let name = user(&store, "pw");
    // Before the rotation: one session made by Django, one by us.
    let mut old_django = Django::start(&python, url, OLD_KEY, "", "db");
    let theirs = old_django.login(&name, "pw");
    let old_server = serve(&store, OLD_KEY, SessionEngine::Django);
    let ours = our_login(&old_server, &name, "pw").sessionid.unwrap();
    drop(old_server);

    // After it: the old key is a fallback on both sides.
    let options = SessionOptions {
        secret_key_fallbacks: vec![OLD_KEY.to_owned()],
        ..options(SessionEngine::Django)
    };
    let parity = Parity::with_sessions(store.clone(), &Secret::new(KEY).unwrap(), options).unwrap();
    let server = Server::start(parity, 1);
    let mut django = Django::start(&python, url, KEY, OLD_KEY, "db");
    let (user_here, reply) = our_user(&server, &theirs);
    assert_eq!(user_here.as_deref(), Some(name.as_str()));
    let resigned = reply
        .cookie("sessionid")
        .expect("the session's key is cycled");
    assert_ne!(resigned, theirs);
    let strict = Django::start(&python, url, KEY, "", "db")
        .whoami(&resigned)
        .0;
    assert_eq!(strict, name, "re-signed with the current key");
    let (user_there, cycled) = django.whoami(&ours);
    assert_eq!(user_there, name);
    let cycled = cycled.expect("Django cycles the key too");
    assert_eq!(our_user(&server, &cycled).0.as_deref(), Some(name.as_str()));
}

/// Django's `signed_cookies` engine on both sides.
fn signed_cookies_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store = store_at(url);
    let server = serve(&store, KEY, SessionEngine::SignedCookies);
    let mut django = Django::start(&python, url, KEY, "", "signed_cookies");
    let name = user(&store, "pw");
    let theirs = django.login(&name, "pw");
    assert_eq!(our_user(&server, &theirs).0.as_deref(), Some(name.as_str()));
    let mut browser = our_login(&server, &name, "pw");
    let ours = browser.sessionid.clone().unwrap();
    assert_eq!(django.whoami(&ours).0, name);
    // Logging out deletes the browser's cookie, but cannot revoke a copy of it (the documented
    // limit of this engine, Django's too).
    let reply = our_logout(&server, &mut browser);
    assert_eq!(reply.status, 200);
    assert_eq!(browser.sessionid.as_deref(), Some(""));
    assert_eq!(django.whoami(&ours).0, name);
    // A password change does end them.
    django.ask(json!({"cmd": "set_password", "username": name, "password": "new"}));
    assert_eq!(our_user(&server, &ours).0, None);
    assert_eq!(our_user(&server, &theirs).0, None);
    // A forged cookie is anonymous.
    let forged = format!("{}A", &theirs[..theirs.len() - 1]);
    assert_eq!(our_user(&server, &forged).0, None);
    assert_eq!(django.whoami(&forged).0, "AnonymousUser");
}

on_each_backend!(db_sessions_both_ways =>
    django_db_sessions_on_sqlite,
    django_db_sessions_on_postgres,
    django_db_sessions_on_mysql
);
on_each_backend!(rotated_keys_both_ways =>
    rotated_keys_on_sqlite,
    rotated_keys_on_postgres,
    rotated_keys_on_mysql
);
on_each_backend!(signed_cookies_both_ways =>
    signed_cookies_on_sqlite,
    signed_cookies_on_postgres,
    signed_cookies_on_mysql
);

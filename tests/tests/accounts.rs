//! Djoser 2.3.5 (`scripts/django/accounts.py`, one Django process answering JSON lines) and
//! this library's Djoser endpoints on one database and one `SECRET_KEY`: a password reset or
//! activation link emailed by Django works here and ours works there, each once; registration,
//! activation, reset and login errors answer the same status and body on both sides; both hand
//! out the same token. On SQLite always, PostgreSQL and MariaDB when their URLs are set; Djoser's
//! half needs `ACCOUNTS_PYTHON` (`scripts/django/setup_venv.sh accounts`).

use std::path::Path;

use crate::django_interop::{on_server, on_sqlite};
use actix_web::{web, App};
use auth_actix::accounts::djoser;
use auth_actix::email::{Mailer, MemoryBackend};
use auth_actix::site::SiteSettings;
use auth_actix::{AuthSettings, BasicAuthentication, TokenAuthentication};
use auth_core::{AuthStore, Hashers, NewUser};
use auth_testkit::app::TestApp;
use integration_tests::django::DjangoProcess;
use integration_tests::{connect, env_nonempty, skip, unique_name, Backend};
use serde_json::{json, Value};

const KEY: &str = "the-shared-secret-key-of-djoser-and-the-api";
/// The PBKDF2 iterations of both sides.
const ITERATIONS: u32 = 1_000;

/// A Django process with Djoser answering `accounts.py`'s commands.
struct Djoser(DjangoProcess);

impl Djoser {
    fn start(python: &str, url: &str) -> Djoser {
        let iterations = ITERATIONS.to_string();
        Djoser(DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/accounts.py"),
            &[
                ("INTEROP_DATABASE_URL", url),
                ("SECRET_KEY", KEY),
                ("PBKDF2_ITERATIONS", &iterations),
            ],
        ))
    }

    /// Djoser's status, body and emails for a JSON `POST`.
    fn post(&mut self, path: &str, body: Value) -> (u16, String, Vec<String>) {
        let answer = self
            .0
            .ask(json!({"cmd": "post", "path": path, "body": body}));
        let mails = answer["mail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        (
            u16::try_from(answer["status"].as_u64().unwrap()).unwrap(),
            answer["body"].as_str().unwrap().to_owned(),
            mails,
        )
    }
}

/// Our Djoser endpoints under `/auth/`, as `drf_parity` mounts them, mailing into `outbox`.
async fn ours(store: &AuthStore, outbox: &MemoryBackend) -> TestApp {
    let settings = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes((TokenAuthentication::default(), BasicAuthentication))
        .site(
            SiteSettings::builder()
                .secret_key(KEY)
                .allowed_hosts(["localhost"])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let djoser_settings = examples::parity::djoser_builder()
        .mailer(Mailer::new(outbox.clone()))
        .build()
        .unwrap();
    TestApp::new(
        App::new()
            .app_data(settings)
            .app_data(djoser_settings)
            .service(web::scope("/auth").configure(djoser::urls)),
    )
    .await
}

/// Our status, body and emails for a JSON `POST`.
async fn our_post(
    app: &TestApp,
    outbox: &MemoryBackend,
    path: &str,
    body: Value,
) -> (u16, String, Vec<String>) {
    let reply = app.post(path).json(&body).await;
    for _ in 0..10 {
        actix_web::rt::task::yield_now().await;
    }
    let mails = outbox.take().into_iter().map(|m| m.text).collect();
    (reply.status, reply.body, mails)
}

/// The `uid` and `token` of the link after `prefix` in an email.
fn link(mail: &str, prefix: &str) -> (String, String) {
    let start = mail
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {mail}"))
        + prefix.len();
    let rest = &mail[start..];
    let end = rest.find(['\n', '"']).unwrap_or(rest.len());
    let (uid, token) = rest[..end].split_once('/').expect("uid/token");
    (uid.to_owned(), token.to_owned())
}

const RESET: &str = "http://localhost:8000/password/reset/confirm/";
const ACTIVATE: &str = "http://localhost:8000/activate/";

fn python(test: &str) -> Option<String> {
    let python = env_nonempty("ACCOUNTS_PYTHON");
    if python.is_none() {
        skip(
            test,
            "Djoser's half needs a Python with scripts/django/requirements-accounts.txt \
             (set ACCOUNTS_PYTHON to run; scripts/django/setup_venv.sh accounts prints one)",
        );
    }
    python
}

fn links_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store = connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let mut django = Djoser::start(&python, url);
    let outbox = MemoryBackend::new();
    actix_web::rt::System::new().block_on(async {
        let app = ours(&store, &outbox).await;
        let name = unique_name("acct");
        let email = format!("{name}@example.com");
        let mut new = NewUser::new(name.clone(), Some("a-Long-pass-42".into()));
        new.email = email.clone();
        store.create_user(new).unwrap();

        // Django's reset link works here, once, and is then spent in Django too.
        let (status, _, mails) =
            django.post("/auth/users/reset_password/", json!({"email": email}));
        assert_eq!((status, mails.len()), (204, 1));
        let (uid, token) = link(&mails[0], RESET);
        let confirm = json!({"uid": uid, "token": token, "new_password": "b-Long-pass-43"});
        let (status, body, _) =
            our_post(&app, &outbox, "/auth/users/reset_password_confirm/", confirm.clone()).await;
        assert_eq!((status, body.as_str()), (204, ""));
        let spent = (400, r#"{"token":["Invalid token for given user."]}"#.to_owned());
        let (status, body, _) = django.post("/auth/users/reset_password_confirm/", confirm);
        assert_eq!((status, body), spent.clone());

        // Ours works in Django, once, and is then spent here too.
        let (status, _, mails) =
            our_post(&app, &outbox, "/auth/users/reset_password/", json!({"email": email})).await;
        assert_eq!((status, mails.len()), (204, 1));
        let (uid, token) = link(&mails[0], RESET);
        let confirm = json!({"uid": uid, "token": token, "new_password": "c-Long-pass-44"});
        let (status, body, _) = django.post("/auth/users/reset_password_confirm/", confirm.clone());
        assert_eq!((status, body.as_str()), (204, ""));
        let (status, body, _) =
            our_post(&app, &outbox, "/auth/users/reset_password_confirm/", confirm).await;
        assert_eq!((status, body), spent);

        // One token for the user, whichever side logs in.
        let login = json!({"username": name, "password": "c-Long-pass-44"});
        let (status, theirs, _) = django.post("/auth/token/login/", login.clone());
        assert_eq!(status, 200, "{theirs}");
        let (status, mine, _) = our_post(&app, &outbox, "/auth/token/login/", login).await;
        assert_eq!((status, mine), (200, theirs));

        // Registration on one side, activation on the other, both ways.
        for django_registers in [true, false] {
            let name = unique_name("reg");
            let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "a-Long-pass-42"});
            let (status, _, mails) = if django_registers {
                django.post("/auth/users/", body)
            } else {
                our_post(&app, &outbox, "/auth/users/", body).await
            };
            assert_eq!((status, mails.len()), (201, 1));
            let (uid, token) = link(&mails[0], ACTIVATE);
            let activate = json!({"uid": uid, "token": token});
            let (first, second) = if django_registers {
                let first = our_post(&app, &outbox, "/auth/users/activation/", activate.clone()).await;
                (first, django.post("/auth/users/activation/", activate))
            } else {
                let first = django.post("/auth/users/activation/", activate.clone());
                (first, our_post(&app, &outbox, "/auth/users/activation/", activate).await)
            };
            assert_eq!((first.0, first.1.as_str()), (204, ""));
            assert_eq!(
                (second.0, second.1.as_str()),
                (403, r#"{"detail":"Stale token for given user."}"#)
            );
        }

        // The same errors, byte for byte.
        let taken = name.clone();
        for (path, body) in [
            ("/auth/users/", json!({})),
            ("/auth/users/", json!({"username": "x y", "email": "nope", "password": "123"})),
            ("/auth/users/", json!({"username": taken, "password": "a-Long-pass-42"})),
            ("/auth/users/", json!({"username": "newcomer", "email": "n@example.com", "password": "newcomer1"})),
            ("/auth/users/activation/", json!({})),
            ("/auth/users/activation/", json!({"uid": "zz", "token": "x"})),
            ("/auth/users/activation/", json!({"uid": "MQ", "token": "1-abc"})),
            ("/auth/users/reset_password/", json!({})),
            ("/auth/users/reset_password/", json!({"email": "nope"})),
            ("/auth/users/reset_password/", json!({"email": "nobody@example.com"})),
            ("/auth/users/reset_password_confirm/", json!({})),
            ("/auth/users/reset_password_confirm/", json!({"uid": "MQ", "token": "x", "new_password": "123"})),
            ("/auth/users/reset_username_confirm/", json!({})),
            ("/auth/token/login/", json!({})),
            ("/auth/token/login/", json!({"username": taken, "password": "wrong"})),
            ("/auth/users/resend_activation/", json!({"email": "nobody@example.com"})),
        ] {
            let (their_status, their_body, _) = django.post(path, body.clone());
            let (status, ours, _) = our_post(&app, &outbox, path, body.clone()).await;
            assert_eq!(
                (status, ours.as_str()),
                (their_status, their_body.as_str()),
                "{path} {body}"
            );
        }
    });
}

on_each_backend!(links_both_ways =>
    djoser_links_on_sqlite,
    djoser_links_on_postgres,
    djoser_links_on_mysql
);

//! Djoser 2.3.5 and dj-rest-auth 7.2.0 (`scripts/django/accounts.py`, one Django process
//! answering JSON lines) and this library's Djoser and dj-rest-auth endpoints on one database and
//! one `SECRET_KEY`: a password reset or activation link emailed by Django works here and ours
//! works there, each once; registration, activation, reset, login, user and password errors
//! answer the same status and body on both sides; both hand out the same token. On SQLite always, PostgreSQL and MariaDB when their URLs are set; Djoser's
//! half needs `ACCOUNTS_PYTHON` (`scripts/django/setup_venv.sh accounts`).

use std::path::Path;

use crate::django_interop::{on_server, on_sqlite};
use actix_web::{web, App};
use auth_actix::accounts::{dj_rest_auth, djoser};
use auth_actix::email::{Mailer, MemoryBackend};
use auth_actix::site::SiteSettings;
use auth_actix::{AuthSettings, BasicAuthentication, SessionAuthentication, TokenAuthentication};
use auth_core::{AuthStore, Hashers, NewUser};
use auth_testkit::app::TestApp;
use integration_tests::django::DjangoProcess;
use integration_tests::{connect, env_nonempty, skip, unique_name, Backend};
use serde_json::{json, Value};

pub(crate) const KEY: &str = "the-shared-secret-key-of-djoser-and-the-api";
/// The PBKDF2 iterations of both sides.
pub(crate) const ITERATIONS: u32 = 1_000;

/// A Django process with Djoser answering `accounts.py`'s commands.
pub(crate) struct Djoser(DjangoProcess);

impl Djoser {
    pub(crate) fn start(python: &str, url: &str) -> Djoser {
        Self::start_with(python, url, &[])
    }

    /// [`Djoser::start`] with more environment (`EMAIL_PORT`: send by SMTP).
    pub(crate) fn start_with(python: &str, url: &str, env: &[(&str, &str)]) -> Djoser {
        let iterations = ITERATIONS.to_string();
        Djoser(DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/accounts.py"),
            &[
                &[
                    ("INTEROP_DATABASE_URL", url),
                    ("SECRET_KEY", KEY),
                    ("PBKDF2_ITERATIONS", &iterations),
                ],
                env,
            ]
            .concat(),
        ))
    }

    /// Djoser's status, body and emails for a JSON `POST`.
    pub(crate) fn post(&mut self, path: &str, body: Value) -> (u16, String, Vec<String>) {
        self.send("post", path, None, body)
    }

    /// Django's status, body and emails for a JSON request, with a DRF token if given.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, String, Vec<String>) {
        let answer = self.0.ask(
            json!({"cmd": "post", "method": method, "path": path, "token": token, "body": body}),
        );
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

/// The site settings of both sides' `SECRET_KEY`.
fn site() -> SiteSettings {
    SiteSettings::builder()
        .secret_key(KEY)
        .allowed_hosts(["localhost"])
        .build()
        .unwrap()
}

/// Our Djoser endpoints under `/auth/`, as `drf_parity` mounts them, mailing through `mailer`.
pub(crate) async fn ours(store: &AuthStore, mailer: Mailer) -> TestApp {
    let settings = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes((TokenAuthentication::default(), BasicAuthentication))
        .site(site())
        .build()
        .unwrap();
    let djoser_settings = examples::parity::djoser_builder()
        .mailer(mailer)
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

/// Our dj-rest-auth endpoints under `/dj-rest-auth/`, as `drf_parity` mounts them (Token then
/// Session authentication), mailing through `mailer`.
pub(crate) async fn our_rest_auth(store: &AuthStore, mailer: Mailer) -> TestApp {
    let settings = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes((TokenAuthentication::default(), SessionAuthentication))
        .site(site())
        .build()
        .unwrap();
    let rest_auth = examples::parity::dj_rest_auth_builder()
        .mailer(mailer)
        .build()
        .unwrap();
    TestApp::new(
        App::new()
            .app_data(settings)
            .app_data(rest_auth)
            .wrap(
                auth_actix::session::django_defaults(
                    auth_actix::session::DieselSessionStore::from(store),
                    actix_web::cookie::Key::from(&[7; 64]),
                )
                .build(),
            )
            .service(web::scope("/dj-rest-auth").configure(dj_rest_auth::urls)),
    )
    .await
}

/// Our status, body and emails for a JSON request, with a DRF token if given.
pub(crate) async fn our_send(
    app: &TestApp,
    outbox: &MemoryBackend,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, String, Vec<String>) {
    let call = match method {
        "get" => app.get(path),
        "options" => app.options(path),
        "put" => app.put(path).json(&body),
        "patch" => app.patch(path).json(&body),
        _ => app.post(path).json(&body),
    };
    let call = match token {
        Some(token) => call.authorization(&format!("Token {token}")),
        None => call,
    };
    let reply = call.await;
    for _ in 0..10 {
        actix_web::rt::task::yield_now().await;
    }
    let mails = outbox.take().into_iter().map(|m| m.text).collect();
    (reply.status, reply.body, mails)
}

/// Our status, body and emails for a JSON `POST`.
async fn our_post(
    app: &TestApp,
    outbox: &MemoryBackend,
    path: &str,
    body: Value,
) -> (u16, String, Vec<String>) {
    our_send(app, outbox, "post", path, None, body).await
}

/// The `uid` and `token` of the link after `prefix` in an email.
pub(crate) fn link(mail: &str, prefix: &str) -> (String, String) {
    let start = mail
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {mail}"))
        + prefix.len();
    let rest = &mail[start..];
    let end = rest.find(['\r', '\n', '"']).unwrap_or(rest.len());
    let (uid, token) = rest[..end].split_once('/').expect("uid/token");
    (uid.to_owned(), token.to_owned())
}

pub(crate) const RESET: &str = "http://localhost:8000/password/reset/confirm/";
pub(crate) const ACTIVATE: &str = "http://localhost:8000/activate/";

pub(crate) fn python(test: &str) -> Option<String> {
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
        let app = ours(&store, Mailer::new(outbox.clone())).await;
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

pub(crate) const REST_RESET: &str = "http://localhost:8000/password-reset/confirm/";

/// The `uid` and `token` of a dj-rest-auth reset email (Django's, with its trailing slash).
pub(crate) fn rest_link(mail: &str) -> (String, String) {
    let (uid, token) = link(mail, REST_RESET);
    (uid, token.trim_end_matches('/').to_owned())
}

fn rest_auth_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store = connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let mut django = Djoser::start(&python, url);
    let outbox = MemoryBackend::new();
    actix_web::rt::System::new().block_on(async {
        let app = our_rest_auth(&store, Mailer::new(outbox.clone())).await;
        let ours = |method: &'static str, path: &'static str, token: Option<String>, body: Value| {
            let (app, outbox) = (&app, &outbox);
            async move { our_send(app, outbox, method, path, token.as_deref(), body).await }
        };
        let name = unique_name("rest");
        // Mixed case: both sides find the user whatever the case of the address.
        let email = format!("{name}@Example.com");
        let mut new = NewUser::new(name.clone(), Some("a-Long-pass-42".into()));
        new.email = email.clone();
        store.create_user(new).unwrap();
        let asked = email.to_uppercase();
        let done = r#"{"detail":"Password has been reset with the new password."}"#;
        let spent = r#"{"token":["Invalid value"]}"#;

        // Django's reset email and ours: the same text but for the token.
        let (status, theirs, mails) =
            django.post("/dj-rest-auth/password/reset/", json!({"email": asked}));
        assert_eq!((status, mails.len()), (200, 1), "{theirs}");
        let (uid, token) = rest_link(&mails[0]);
        let (status, body, our_mails) =
            ours("post", "/dj-rest-auth/password/reset/", None, json!({"email": asked})).await;
        assert_eq!((status, body, our_mails.len()), (200, theirs, 1));
        let (our_uid, our_token) = rest_link(&our_mails[0]);
        assert_eq!(our_uid, uid);
        assert_eq!(our_mails[0].replace(&our_token, "T"), mails[0].replace(&token, "T"));

        // Django's link works here, once, and is then spent in Django too.
        let confirm = json!({"uid": uid, "token": token, "new_password1": "b-Long-pass-43", "new_password2": "b-Long-pass-43"});
        let (status, body, _) =
            ours("post", "/dj-rest-auth/password/reset/confirm/", None, confirm.clone()).await;
        assert_eq!((status, body.as_str()), (200, done));
        let (status, body, _) = django.post("/dj-rest-auth/password/reset/confirm/", confirm);
        assert_eq!((status, body.as_str()), (400, spent));
        // So is ours, made before the change.
        let confirm = json!({"uid": our_uid, "token": our_token, "new_password1": "x-Long-pass-49", "new_password2": "x-Long-pass-49"});
        let (status, body, _) = django.post("/dj-rest-auth/password/reset/confirm/", confirm);
        assert_eq!((status, body.as_str()), (400, spent));

        // A fresh link of ours works in Django, once, and is then spent here too.
        let (_, _, our_mails) =
            ours("post", "/dj-rest-auth/password/reset/", None, json!({"email": email})).await;
        let (uid, token) = rest_link(&our_mails[0]);
        let confirm = json!({"uid": uid, "token": token, "new_password1": "c-Long-pass-44", "new_password2": "c-Long-pass-44"});
        let (status, body, _) = django.post("/dj-rest-auth/password/reset/confirm/", confirm.clone());
        assert_eq!((status, body.as_str()), (200, done));
        let (status, body, _) =
            ours("post", "/dj-rest-auth/password/reset/confirm/", None, confirm).await;
        assert_eq!((status, body.as_str()), (400, spent));

        // One token, whichever side logs in, by username or by email; each side's works on
        // the other's `user/`.
        let login = json!({"username": name, "password": "c-Long-pass-44"});
        let (status, theirs, _) = django.post("/dj-rest-auth/login/", login.clone());
        assert_eq!(status, 200, "{theirs}");
        let (status, mine, _) = ours("post", "/dj-rest-auth/login/", None, login).await;
        assert_eq!((status, mine.as_str()), (200, theirs.as_str()));
        let by_email = json!({"email": email.to_lowercase(), "password": "c-Long-pass-44"});
        let (status, mine, _) = ours("post", "/dj-rest-auth/login/", None, by_email).await;
        assert_eq!((status, mine.as_str()), (200, theirs.as_str()));
        let key = serde_json::from_str::<Value>(&theirs).unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, their_user, _) = django.send("get", "/dj-rest-auth/user/", Some(&key), json!({}));
        assert_eq!(status, 200, "{their_user}");
        let (status, our_user, _) = ours("get", "/dj-rest-auth/user/", Some(key.clone()), json!({})).await;
        assert_eq!((status, our_user), (200, their_user));

        // The same errors, byte for byte, for a client without a session (as Django's).
        app.remove_cookie("sessionid");
        let token = Some(key.as_str());
        for (method, path, token, body) in [
            ("post", "/dj-rest-auth/login/", None, json!({})),
            ("post", "/dj-rest-auth/login/", None, json!({"username": name, "password": "wrong"})),
            ("post", "/dj-rest-auth/login/", None, json!({"email": "nope", "password": "x"})),
            ("post", "/dj-rest-auth/login/", None, json!({"email": "nobody@example.com", "password": "x"})),
            ("post", "/dj-rest-auth/login/", None, json!({"username": "", "password": ""})),
            ("post", "/dj-rest-auth/password/reset/", None, json!({})),
            ("post", "/dj-rest-auth/password/reset/", None, json!({"email": "nope"})),
            ("post", "/dj-rest-auth/password/reset/", None, json!({"email": "nobody@example.com"})),
            ("post", "/dj-rest-auth/password/reset/confirm/", None, json!({})),
            ("post", "/dj-rest-auth/password/reset/confirm/", None, json!({"uid": "zz", "token": "x", "new_password1": "a", "new_password2": "a"})),
            ("post", "/dj-rest-auth/password/reset/confirm/", None, json!({"uid": uid, "token": "1-abc", "new_password1": "a", "new_password2": "a"})),
            ("post", "/dj-rest-auth/password/change/", None, json!({})),
            ("post", "/dj-rest-auth/password/change/", token, json!({})),
            ("post", "/dj-rest-auth/password/change/", token, json!({"new_password1": "abc", "new_password2": "abd"})),
            ("post", "/dj-rest-auth/password/change/", token, json!({"new_password1": name, "new_password2": name})),
            ("post", "/dj-rest-auth/password/change/", token, json!({"new_password1": "12345678", "new_password2": "12345678"})),
            ("put", "/dj-rest-auth/user/", token, json!({})),
            ("patch", "/dj-rest-auth/user/", token, json!({"username": "a b", "first_name": "x".repeat(151)})),
            ("patch", "/dj-rest-auth/user/", token, json!({"last_name": null})),
            ("get", "/dj-rest-auth/logout/", None, json!({})),
            // DRF's metadata: the serializers' fields, for the callers who may post them.
            ("options", "/dj-rest-auth/login/", None, json!({})),
            ("options", "/dj-rest-auth/logout/", None, json!({})),
            ("options", "/dj-rest-auth/user/", None, json!({})),
            ("options", "/dj-rest-auth/user/", token, json!({})),
            ("options", "/dj-rest-auth/password/change/", token, json!({})),
            ("options", "/dj-rest-auth/password/reset/", None, json!({})),
            ("options", "/dj-rest-auth/password/reset/confirm/", None, json!({})),
        ] {
            let (their_status, their_body, _) = django.send(method, path, token, body.clone());
            // DRF's browsable API renders HTML too; this library renders JSON only.
            let their_body = their_body.replace(
                r#""renders":["application/json","text/html"]"#,
                r#""renders":["application/json"]"#,
            );
            let (status, our_body, _) =
                ours(method, path, token.map(str::to_owned), body.clone()).await;
            assert_eq!(
                (status, our_body.as_str()),
                (their_status, their_body.as_str()),
                "{method} {path} {body}"
            );
        }

        // A change on one side is seen by the other; logout there ends the token here.
        let change = json!({"new_password1": "d-Long-pass-45", "new_password2": "d-Long-pass-45"});
        let (status, body, _) = ours("post", "/dj-rest-auth/password/change/", Some(key.clone()), change).await;
        assert_eq!((status, body.as_str()), (200, r#"{"detail":"New password has been saved."}"#));
        let login = json!({"username": name, "password": "d-Long-pass-45"});
        let (status, body, _) = django.post("/dj-rest-auth/login/", login);
        assert_eq!(status, 200, "{body}");
        let (status, body, _) = django.send("post", "/dj-rest-auth/logout/", Some(&key), json!({}));
        assert_eq!((status, body.as_str()), (200, r#"{"detail":"Successfully logged out."}"#));
        let (status, _, _) = ours("get", "/dj-rest-auth/user/", Some(key.clone()), json!({})).await;
        assert_eq!(status, 401);
    });
}

on_each_backend!(rest_auth_both_ways =>
    dj_rest_auth_on_sqlite,
    dj_rest_auth_on_postgres,
    dj_rest_auth_on_mysql
);

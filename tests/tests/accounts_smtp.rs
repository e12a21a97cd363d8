//! The account emails over real SMTP: our SMTP backend delivers Djoser's activation and reset
//! emails and dj-rest-auth's reset email to an SMTP sink on loopback (`scripts/django/smtp_sink.py`,
//! Python's aiosmtpd), where their headers and text are read back and their links used; Django
//! sends its dj-rest-auth reset email to the same sink, and both messages agree but for the token.
//! An SMTP server that is down, or that accepts the connection and never answers, changes neither
//! the status, nor the body, nor the time of an answer, for known and unknown addresses alike,
//! and each failed delivery is logged with its cause.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::accounts::{
    link, our_rest_auth, ours, python, rest_link, Djoser, ACTIVATE, ITERATIONS, RESET,
};
use auth_actix::email::Mailer;
use auth_core::{Hashers, NewUser};
use integration_tests::django::DjangoProcess;
use integration_tests::server::Logs;
use integration_tests::{connect, unique_name, TempSqlite};
use serde_json::{json, Value};

/// The SMTP sink, and the messages it received.
struct Sink {
    process: DjangoProcess,
    port: u16,
}

impl Sink {
    fn start(python: &str) -> Sink {
        let mut process = DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/smtp_sink.py"),
            &[],
        );
        let port = process.ask(json!({"cmd": "port"}))["port"]
            .as_u64()
            .unwrap();
        Sink {
            process,
            port: u16::try_from(port).unwrap(),
        }
    }

    /// Exactly `n` messages, waiting up to ten seconds for them (delivery happens after the
    /// answer, in a task of its own).
    async fn take(&mut self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got: Vec<Value> = Vec::new();
        while got.len() < n && Instant::now() < deadline {
            let answer = self.process.ask(json!({"cmd": "messages"}));
            got.extend(answer["messages"].as_array().unwrap().iter().cloned());
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        // Nothing more arrives late.
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let answer = self.process.ask(json!({"cmd": "messages"}));
        got.extend(answer["messages"].as_array().unwrap().iter().cloned());
        assert_eq!(
            got.len(),
            n,
            "{got:#?} {:#?}",
            Logs::capture()
                .snapshot()
                .iter()
                .filter(|e| e.contains("email"))
                .collect::<Vec<_>>()
        );
        got
    }
}

fn text(message: &Value) -> &str {
    message["text"].as_str().unwrap()
}

/// Checks the envelope and headers of a message of ours to `to`.
fn from_us(message: &Value, subject: &str, to: &str) {
    assert_eq!(message["subject"], subject, "{message:#}");
    assert_eq!(message["from"], "webmaster@localhost");
    assert_eq!(message["to"], to);
    assert_eq!(message["envelope_from"], "webmaster@localhost");
    assert_eq!(message["envelope_to"], json!([to]));
}

#[test]
fn our_smtp_backend_delivers_the_account_emails() {
    let test = "our_smtp_backend_delivers_the_account_emails";
    let Some(python) = python(test) else { return };
    let logs = Logs::capture();
    let db = TempSqlite::new();
    let store = connect(&db.url()).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let mut sink = Sink::start(&python);
    let port = sink.port.to_string();
    let mut django = Djoser::start_with(&python, &db.url(), &[("EMAIL_PORT", &port)]);
    let mailer = || Mailer::from_url(&format!("smtp://127.0.0.1:{port}?timeout=5")).unwrap();
    let _ = &logs;
    actix_web::rt::System::new().block_on(async {
        let djoser = ours(&store, mailer()).await;
        let rest_auth = our_rest_auth(&store, mailer()).await;
        // Djoser: registration mails the activation link, which activates.
        let name = unique_name("smtp");
        let email = format!("{name}@example.com");
        let reply = djoser
            .post("/auth/users/")
            .json(&json!({"username": name, "email": email, "password": "a-Long-pass-42"}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let sent = sink.take(1).await;
        from_us(&sent[0], "Account activation on localhost:8000", &email);
        assert!(sent[0]["html"].as_str().unwrap().contains(ACTIVATE));
        let (uid, token) = link(text(&sent[0]), ACTIVATE);
        let reply = djoser
            .post("/auth/users/activation/")
            .json(&json!({"uid": uid, "token": token}))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);

        // Djoser's reset.
        let reply = djoser
            .post("/auth/users/reset_password/")
            .json(&json!({"email": email}))
            .await;
        assert_eq!(reply.status, 204);
        let sent = sink.take(1).await;
        from_us(&sent[0], "Password reset on localhost:8000", &email);
        let (uid, token) = link(text(&sent[0]), RESET);
        let reply = djoser
            .post("/auth/users/reset_password_confirm/")
            .json(&json!({"uid": uid, "token": token, "new_password": "b-Long-pass-43"}))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);

        // dj-rest-auth's reset, from us and from Django to the same sink: the same message but
        // for the token, and Django's link works here.
        let reply = rest_auth
            .post("/dj-rest-auth/password/reset/")
            .json(&json!({"email": email}))
            .await;
        assert_eq!(reply.status, 200);
        let ours_sent = sink.take(1).await;
        from_us(&ours_sent[0], "Password reset on localhost:8000", &email);
        assert_eq!(ours_sent[0]["html"], Value::Null);
        let (status, _, _) = django.post("/dj-rest-auth/password/reset/", json!({"email": email}));
        assert_eq!(status, 200);
        let theirs = sink.take(1).await;
        let (_, our_token) = rest_link(text(&ours_sent[0]));
        let (uid, their_token) = rest_link(text(&theirs[0]));
        for field in ["subject", "from", "to", "envelope_from", "envelope_to"] {
            assert_eq!(ours_sent[0][field], theirs[0][field], "{field}");
        }
        assert_eq!(
            text(&ours_sent[0]).replace(&our_token, "T"),
            text(&theirs[0]).replace(&their_token, "T")
        );
        let reply = rest_auth
            .post("/dj-rest-auth/password/reset/confirm/")
            .json(&json!({"uid": uid, "token": their_token, "new_password1": "c-Long-pass-44", "new_password2": "c-Long-pass-44"}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    });
}

/// A port on which nothing listens.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A server that accepts every connection and never says a word (not even SMTP's greeting);
/// it holds the connections until the test ends.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}

/// How long the SMTP backend waits for a server before giving up.
const SMTP_TIMEOUT: Duration = Duration::from_secs(3);

#[test]
fn a_down_or_silent_smtp_server_changes_nothing_in_the_answers() {
    let logs = Logs::capture();
    let db = TempSqlite::new();
    let store = connect(&db.url()).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    for (server, port, cause) in [
        ("down", closed_port(), "SMTP: "),
        ("silent", silent_server(), "SMTP: no answer within 3s"),
    ] {
        let url = format!("smtp://127.0.0.1:{port}?timeout={}", SMTP_TIMEOUT.as_secs());
        let known = format!("{}@example.com", unique_name(server));
        let unknown = format!("{}@example.com", unique_name("nobody"));
        let mut new = NewUser::new(unique_name(server), Some("a-Long-pass-42".into()));
        new.email = known.clone();
        store.create_user(new).unwrap();
        actix_web::rt::System::new().block_on(async {
            let djoser = ours(&store, Mailer::from_url(&url).unwrap()).await;
            let rest_auth = our_rest_auth(&store, Mailer::from_url(&url).unwrap()).await;
            for (app, path, answer) in [
                (&djoser, "/auth/users/reset_password/", (204, "")),
                (&djoser, "/auth/users/reset_username/", (204, "")),
                (
                    &rest_auth,
                    "/dj-rest-auth/password/reset/",
                    (200, r#"{"detail":"Password reset e-mail has been sent."}"#),
                ),
            ] {
                for email in [&known, &unknown] {
                    let started = Instant::now();
                    let reply = app.post(path).json(&json!({ "email": email })).await;
                    let took = started.elapsed();
                    assert_eq!(
                        (reply.status, reply.body.as_str()),
                        answer,
                        "{server} {path} {email}"
                    );
                    // Had the answer waited for the server, it would have taken the whole time
                    // limit at least: this bound is a certainty, not a guess about speed.
                    assert!(took < SMTP_TIMEOUT, "{server} {path}: {took:?}");
                }
            }
            // Each failed delivery (one per known-address request) is logged with its cause.
            let deadline = Instant::now() + SMTP_TIMEOUT + Duration::from_secs(10);
            let failures = loop {
                let failures: Vec<String> = logs
                    .snapshot()
                    .into_iter()
                    .filter(|e| e.contains("email not sent") && e.contains(&known))
                    .collect();
                if failures.len() >= 3 || Instant::now() > deadline {
                    break failures;
                }
                actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            };
            assert_eq!(failures.len(), 3, "{server}: {failures:#?}");
            for event in &failures {
                assert!(event.starts_with("ERROR"), "{event}");
                assert!(event.contains(cause), "{server}: {event}");
            }
            assert!(
                !logs.snapshot().iter().any(|e| e.contains(&unknown)),
                "nothing is sent, nor logged, for an unknown address"
            );
        });
    }
}

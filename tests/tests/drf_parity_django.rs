//! Users and tokens made by Django work in the `drf_parity` app.
//!
//! `tests/fixtures/django52.sqlite3` was written by Django 5.2 and DRF 3.18
//! (`scripts/django/make_fixture.py`); `django52.json` lists its users, their
//! passwords and tokens. After our `migrate` on a copy of it, every user logs
//! in to `drf_parity` with Basic exactly when Django would let them in, every
//! token authenticates exactly when DRF's `TokenAuthentication` would, and
//! Django's `is_staff` decides `IsAdminUser`. (The other direction, a database
//! written by our commands checked by Django, is `django_interop.rs`.)
#![cfg(feature = "sqlite")]

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::{call_service, init_service, TestRequest};
use base64::Engine;
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::{connect, fixture, TempSqlite};
use serde_json::Value;

/// A user of the fixture's manifest.
#[derive(Debug)]
struct Entry {
    username: String,
    password: Option<String>,
    is_active: bool,
    is_staff: bool,
    token: Option<String>,
}

fn manifest() -> Vec<Entry> {
    let path = fixture("django52.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let manifest: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    let users = manifest["users"].as_array().expect("a users list");
    users
        .iter()
        .map(|user| Entry {
            username: user["username"].as_str().expect("a username").to_owned(),
            password: user["password"].as_str().map(str::to_owned),
            is_active: user["is_active"].as_bool().expect("is_active"),
            is_staff: user["is_staff"].as_bool().expect("is_staff"),
            token: user["token"].as_str().map(str::to_owned),
        })
        .collect()
}

async fn read<B: MessageBody>(response: ServiceResponse<B>) -> (u16, String) {
    let status = response.status().as_u16();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

macro_rules! get {
    ($app:expr, $path:expr, $authorization:expr) => {
        read(
            call_service(
                $app,
                TestRequest::get()
                    .uri($path)
                    .insert_header(("Authorization", $authorization))
                    .to_request(),
            )
            .await,
        )
        .await
    };
}

fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// `{"user":"<username>","auth":<key or null>}`, as the parity views answer.
fn caller(username: &str, key: Option<&str>) -> String {
    let username = serde_json::to_string(username).expect("a JSON string");
    match key {
        Some(key) => format!(r#"{{"user":{username},"auth":"{key}"}}"#),
        None => format!(r#"{{"user":{username},"auth":null}}"#),
    }
}

fn detail(text: &str) -> String {
    serde_json::json!({ "detail": text }).to_string()
}

#[actix_web::test]
async fn django_users_and_tokens_work_in_drf_parity() {
    let db = TempSqlite::copy_of(&fixture("django52.sqlite3"));
    let store = connect(&db.url());
    store.migrate().expect("our migrate on Django's database");
    let secret = Secret::random().expect("a secret");
    let parity = Parity::new(store, &secret).expect("valid settings");
    let app = init_service(parity.app()).await;
    let users = manifest();
    assert!(users.len() >= 10, "the whole manifest: {users:?}");
    let invalid = detail("Invalid username/password.");

    let mut logins = 0;
    let mut tokens = 0;
    for user in &users {
        let name = user.username.as_str();
        if let Some(password) = &user.password {
            let right = basic(name, password);
            let expected = if user.is_active {
                (200, caller(name, None))
            } else {
                // Django's ModelBackend refuses inactive users.
                (401, invalid.clone())
            };
            assert_eq!(get!(&app, "/basic/", right.as_str()), expected, "{name}");
            // Twice: a login may upgrade the stored hash (Django's must_update),
            // and the upgraded hash must verify too.
            assert_eq!(get!(&app, "/basic/", right.as_str()), expected, "{name}");
            let wrong = basic(name, &format!("{password}-wrong"));
            assert_eq!(
                get!(&app, "/basic/", wrong.as_str()),
                (401, invalid.clone()),
                "{name}"
            );
            if user.is_active {
                let admin = if user.is_staff {
                    (200, caller(name, None))
                } else {
                    (
                        403,
                        detail("You do not have permission to perform this action."),
                    )
                };
                assert_eq!(get!(&app, "/admin/", right.as_str()), admin, "{name}");
                logins += 1;
            }
        } else {
            // An unusable password lets nobody in, whatever is typed.
            for attempt in ["", "!", "password"] {
                let header = basic(name, attempt);
                assert_eq!(
                    get!(&app, "/basic/", header.as_str()),
                    (401, invalid.clone()),
                    "{name} {attempt:?}"
                );
            }
        }
        if let Some(key) = &user.token {
            let header = format!("Token {key}");
            let expected = if user.is_active {
                (200, caller(name, Some(key)))
            } else {
                (401, detail("User inactive or deleted."))
            };
            assert_eq!(get!(&app, "/token/", header.as_str()), expected, "{name}");
            let bearer = format!("Bearer {key}");
            assert_eq!(get!(&app, "/bearer/", bearer.as_str()), expected, "{name}");
            tokens += 1;
        }
    }
    assert!(
        logins >= 8,
        "every active user with a password logged in ({logins})"
    );
    assert!(tokens >= 5, "every token was tried ({tokens})");
}

/// One request of the outside audit, sent both to Django (`scripts/django/audit_answers.py`)
/// and to `drf_parity`. A header listed twice is sent twice (Django sees it joined).
struct AuditCase {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    host: &'static str,
    headers: Vec<(&'static str, String)>,
    content_type: String,
    body: String,
}

fn audit_case(name: &'static str, method: &'static str, path: &'static str) -> AuditCase {
    AuditCase {
        name,
        method,
        path,
        host: "localhost",
        headers: Vec::new(),
        content_type: String::new(),
        body: String::new(),
    }
}

/// A multipart login to `/api-token-auth/` with `boundary`, and a wrong password.
fn multipart_login(name: &'static str, boundary: &str) -> AuditCase {
    let quoted = boundary.replace('\\', "\\\\").replace('"', "\\\"");
    multipart_with(
        name,
        &format!("multipart/form-data; boundary=\"{quoted}\""),
        boundary,
    )
}

/// A multipart login with the `Content-Type` as given and a body separated by `boundary`.
fn multipart_with(name: &'static str, content_type: &str, boundary: &str) -> AuditCase {
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nwrong\r\n\
         --{boundary}--\r\n"
    );
    AuditCase {
        content_type: content_type.to_owned(),
        body,
        ..audit_case(name, "POST", "/api-token-auth/")
    }
}

fn audit_cases() -> Vec<AuditCase> {
    let alice = basic("alice", "alice-pw");
    let with = |mut case: AuditCase, headers: &[(&'static str, &str)]| {
        case.headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
        case
    };
    let at = |mut case: AuditCase, host: &'static str| {
        case.host = host;
        case
    };
    vec![
        // Host: Django's get_host() with drf_parity's default ALLOWED_HOSTS.
        at(
            audit_case("host allowed", "GET", "/session/"),
            "localhost:8000",
        ),
        at(
            audit_case("host subdomain", "GET", "/session/"),
            "api.localhost",
        ),
        at(audit_case("host ipv6", "GET", "/session/"), "[::1]:8000"),
        at(audit_case("host loopback", "GET", "/basic/"), "127.0.0.1:9"),
        at(
            audit_case("host not allowed", "GET", "/session/"),
            "evil.example",
        ),
        at(
            audit_case("host not allowed, port", "GET", "/basic/"),
            "evil.example:80",
        ),
        at(audit_case("host malformed", "GET", "/session/"), "a_b"),
        at(
            with(
                audit_case("host not allowed, credentials", "GET", "/basic/"),
                &[("Authorization", &alice)],
            ),
            "127.0.0.2",
        ),
        // Vary: Cookie exactly when the session was read.
        audit_case("vary session", "GET", "/session/"),
        with(
            audit_case("vary default", "GET", "/default/"),
            &[("Authorization", &alice)],
        ),
        with(
            audit_case("vary basic", "GET", "/basic/"),
            &[("Authorization", &alice)],
        ),
        audit_case("vary token", "GET", "/token/"),
        // A credential header twice: DRF's answer to the joined value.
        with(
            audit_case("token twice", "GET", "/token/"),
            &[
                ("Authorization", "Token abc"),
                ("Authorization", "Token def"),
            ],
        ),
        with(
            audit_case("token then basic", "GET", "/token/"),
            &[("Authorization", "Token abc"), ("Authorization", &alice)],
        ),
        with(
            audit_case("basic twice", "GET", "/basic/"),
            &[("Authorization", &alice), ("Authorization", &alice)],
        ),
        // Multipart boundaries: Django's fullmatch of [ -~]{0,200}[!-~].
        multipart_login("boundary of 201", &"-".repeat(201)),
        multipart_login("boundary of 202", &"-".repeat(202)),
        multipart_login("boundary of 5000", &"b".repeat(5000)),
        multipart_login("boundary ending in a space", "abc "),
        multipart_login("boundary with spaces", " a b"),
        multipart_login("boundary with a semicolon and a quote", "a;b\"c"),
        multipart_login("boundary of 225", &"-".repeat(225)),
        multipart_login("boundary of 226", &"-".repeat(226)),
        // Content-Type parameters as Django 5.2 reads them.
        multipart_with("unquoted", "multipart/form-data; boundary=abc", "abc"),
        multipart_with("no space", "multipart/form-data;boundary=abc", "abc"),
        multipart_with("upper case", "MULTIPART/FORM-DATA; BOUNDARY=abc", "abc"),
        multipart_with(
            "twice, the last",
            "multipart/form-data; boundary=abc; boundary=xyz",
            "xyz",
        ),
        multipart_with(
            "twice, the first",
            "multipart/form-data; boundary=abc; boundary=xyz",
            "abc",
        ),
        multipart_with(
            "RFC 2231",
            "multipart/form-data; boundary*=utf-8''abc",
            "abc",
        ),
        multipart_with("empty", "multipart/form-data; boundary=", "abc"),
        multipart_with(
            "RFC 2231 continued",
            "multipart/form-data; boundary*0=ab; boundary*1*=%63",
            "abc",
        ),
        // (An unknown RFC 2231 character set makes Django's WSGIRequest raise before any view:
        // a 500 from the server. We answer DRF's 415; see the parsers module.)
        multipart_with(
            "RFC 2231 latin-1",
            "multipart/form-data; boundary*=latin-1''%E9",
            "\u{e9}",
        ),
        multipart_with(
            "angle brackets",
            "multipart/form-data; boundary=<abc>",
            "abc",
        ),
        multipart_with("bare name", "multipart/form-data; boundary", "abc"),
        multipart_with(
            "charset first",
            "multipart/form-data; charset=latin-1; boundary=abc",
            "abc",
        ),
        multipart_with(
            "media type 256",
            &format!("multipart/form-data; boundary={}", "-".repeat(225)),
            &"-".repeat(225),
        ),
        multipart_with(
            "media type 257",
            &format!("multipart/form-data; boundary={}", "-".repeat(226)),
            &"-".repeat(226),
        ),
    ]
}

impl AuditCase {
    /// The case as `audit_answers.py` reads it.
    fn to_json(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "method": self.method,
            "path": self.path,
            "host": self.host,
            "headers": self.headers,
            "content_type": self.content_type,
            "body": self.body,
        })
    }

    /// The request, for drf_parity.
    fn request(&self) -> TestRequest {
        let mut request = TestRequest::default()
            .method(self.method.parse().expect("a method"))
            .uri(self.path)
            .insert_header(("host", self.host))
            .set_payload(self.body.clone().into_bytes());
        if !self.content_type.is_empty() {
            request = request.insert_header(("content-type", self.content_type.as_str()));
        }
        for (name, value) in &self.headers {
            request = request.append_header((*name, value.as_str()));
        }
        request
    }
}

/// An answer as `audit_answers.py` reports Django's.
async fn answer<B: MessageBody>(name: &str, response: ServiceResponse<B>) -> Value {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("an ASCII header").to_owned())
    };
    let (content_type, www_authenticate, vary) = (
        header("content-type"),
        header("www-authenticate"),
        header("vary"),
    );
    let (status, body) = read(response).await;
    serde_json::json!({
        "name": name,
        "status": status,
        "body": body,
        "content_type": content_type,
        "www_authenticate": www_authenticate,
        "vary": vary,
    })
}

/// The audit's requests get Django's and DRF's own answers (status, body, Content-Type,
/// WWW-Authenticate, Vary), as DRF 3.18 on Django 5.2 gives them (recorded by running them).
#[actix_web::test]
async fn audit_requests_get_drfs_answers() {
    let Some(python) = integration_tests::env_nonempty("DJANGO_PYTHON") else {
        integration_tests::skip(
            "audit_requests_get_drfs_answers",
            "Django's answers need a Python with scripts/django/requirements.txt \
             (set DJANGO_PYTHON to run; scripts/django/setup_venv.sh prints one)",
        );
        return;
    };
    let cases = audit_cases();
    let script = integration_tests::repo_root().join("scripts/django/audit_answers.py");
    let mut child = std::process::Command::new(&python)
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {python} {}: {e}", script.display()));
    let input = serde_json::to_vec(&cases.iter().map(AuditCase::to_json).collect::<Vec<_>>())
        .expect("the cases as JSON");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&input).expect("send the cases");
    }
    let output = child.wait_with_output().expect("Django's answers");
    assert!(
        output.status.success(),
        "audit_answers.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let django: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON answers");
    assert_eq!(django.len(), cases.len());

    let db = TempSqlite::new();
    let store = connect(&db.url());
    store.migrate().expect("migrate");
    store
        .create_user(auth_actix::auth_core::NewUser::new(
            "alice",
            Some("alice-pw".into()),
        ))
        .expect("alice");
    let parity = Parity::new(store, &Secret::random().expect("a secret")).expect("settings");
    let app = init_service(parity.app()).await;
    let mut differences = Vec::new();
    for (case, theirs) in cases.iter().zip(&django) {
        let ours = answer(
            case.name,
            call_service(&app, case.request().to_request()).await,
        )
        .await;
        if &ours != theirs {
            differences.push(format!(
                "{}:\n  Django: {theirs}\n  ours:   {ours}",
                case.name
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    println!(
        "{} audit requests answered as DRF answers them",
        cases.len()
    );
}

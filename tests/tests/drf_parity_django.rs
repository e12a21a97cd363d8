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

//! One set of JSON Web Tokens for a Django site running djangorestframework-simplejwt 5.5.1
//! (`scripts/django/simplejwt.py`, one Django process answering JSON-line commands) and
//! `drf_parity`, on one database and one `SECRET_KEY`: a pair from either side authenticates and
//! refreshes on the other, a token blacklisted on either side is refused on both, rotation leaves
//! exactly the rows simplejwt writes, sliding tokens work both ways, and the error bodies are the
//! same bytes. On SQLite always, PostgreSQL and MariaDB when their URLs are set; Django's half
//! needs `JWT_PYTHON`.

use std::path::Path;

use crate::django_interop::{on_server, on_sqlite};
use auth_core::{AuthStore, Hashers, NewUser};
use examples::config::Secret;
use examples::parity::Parity;
use integration_tests::django::DjangoProcess;
use integration_tests::server::{Response, Server};
use integration_tests::{connect, env_nonempty, skip, unique_name, Backend};
use serde_json::{json, Value};

const KEY: &str = "the-shared-secret-key-of-the-django-site-and-the-jwt-api";
/// The PBKDF2 iterations of both sides (Django would otherwise re-hash at each login).
const ITERATIONS: u32 = 1_000;

/// simplejwt's own process.
struct Django(DjangoProcess);

impl Django {
    fn start(python: &str, url: &str) -> Django {
        let iterations = ITERATIONS.to_string();
        Django(DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/simplejwt.py"),
            &[
                ("INTEROP_DATABASE_URL", url),
                ("SECRET_KEY", KEY),
                ("PBKDF2_ITERATIONS", &iterations),
            ],
        ))
    }

    fn ask(&mut self, command: Value) -> Value {
        self.0.ask(command)
    }

    /// A `POST` of `data` (status and body).
    fn post(&mut self, path: &str, data: Value) -> (u16, Value) {
        let answer = self.ask(json!({"cmd": "request", "path": path, "data": data}));
        (
            answer["status"].as_u64().unwrap() as u16,
            answer["body"].clone(),
        )
    }

    /// `/jwt/` with the token: status and body.
    fn jwt(&mut self, token: &str) -> (u16, Value) {
        let answer =
            self.ask(json!({"cmd": "request", "method": "GET", "path": "/jwt/", "token": token}));
        (
            answer["status"].as_u64().unwrap() as u16,
            answer["body"].clone(),
        )
    }

    /// The user's outstanding rows, oldest first: `(jti, blacklisted)`.
    fn rows(&mut self, username: &str) -> Vec<(String, bool)> {
        let rows = self.ask(json!({"cmd": "rows", "username": username}));
        rows.as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["jti"].as_str().unwrap().to_owned(),
                    row["blacklisted"].as_bool().unwrap(),
                )
            })
            .collect()
    }
}

fn reply(response: Response) -> (u16, Value) {
    let body =
        serde_json::from_str(&response.body).unwrap_or_else(|e| panic!("{}: {e}", response.body));
    (response.status, body)
}

fn our_post(server: &Server, path: &str, data: Value) -> (u16, Value) {
    reply(server.send(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &data.to_string(),
    ))
}

fn our_jwt(server: &Server, token: &str) -> (u16, Value) {
    let header = format!("Bearer {token}");
    reply(server.send("GET", "/jwt/", &[("Authorization", &header)], ""))
}

/// The `jti` of a token (its payload, unverified: both sides checked it already).
fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = auth_core::signing::b64_decode(payload.as_bytes()).unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

fn text(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

fn python(test: &str) -> Option<String> {
    let python = env_nonempty("JWT_PYTHON");
    if python.is_none() {
        skip(
            test,
            "simplejwt's half needs a Python with scripts/django/requirements-jwt.txt \
             (set JWT_PYTHON to run; scripts/django/setup_venv.sh jwt prints one)",
        );
    }
    python
}

fn jwt_both_ways(test: &str, url: &str, _dir: &Path) {
    let Some(python) = python(test) else { return };
    let store: AuthStore = connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let server = Server::start(
        Parity::new(store.clone(), &Secret::new(KEY).unwrap()).unwrap(),
        1,
    );
    let mut django = Django::start(&python, url);
    let name = unique_name("jwt");
    store
        .create_user(NewUser::new(name.clone(), Some("pw".into())))
        .unwrap();
    let credentials = json!({"username": name, "password": "pw"});
    let blacklisted = json!({"detail": "Token is blacklisted", "code": "token_not_valid"});
    let me = |token: &str| json!({"user": name, "auth": jti(token)});

    // Django's pair authenticates and refreshes here.
    let (status, pair) = django.post("/api/token/", credentials.clone());
    assert_eq!(status, 200, "{pair}");
    let (theirs_refresh, theirs_access) = (text(&pair, "refresh"), text(&pair, "access"));
    assert_eq!(our_jwt(&server, &theirs_access), (200, me(&theirs_access)));
    let (status, rotated) = our_post(
        &server,
        "/api/token/refresh/",
        json!({"refresh": theirs_refresh}),
    );
    assert_eq!(status, 200, "{rotated}");
    let ours_rotated = text(&rotated, "refresh");
    assert_eq!(django.jwt(&text(&rotated, "access")).0, 200);
    // Rotation leaves exactly simplejwt's rows: the old one blacklisted, the new one outstanding.
    assert_eq!(
        django.rows(&name),
        [(jti(&theirs_refresh), true), (jti(&ours_rotated), false)]
    );
    // The rotated-out token is refused on both sides, with the same body.
    let theirs = django.post("/api/token/refresh/", json!({"refresh": theirs_refresh}));
    assert_eq!(theirs, (401, blacklisted.clone()));
    let ours = our_post(
        &server,
        "/api/token/refresh/",
        json!({"refresh": theirs_refresh}),
    );
    assert_eq!(ours, theirs);
    let theirs = django.post("/api/token/verify/", json!({"token": theirs_refresh}));
    assert_eq!(
        theirs,
        (400, json!({"non_field_errors": ["Token is blacklisted"]}))
    );
    assert_eq!(
        our_post(
            &server,
            "/api/token/verify/",
            json!({"token": theirs_refresh})
        ),
        theirs
    );

    // Our rotated token refreshes in Django, which then refuses it here.
    let (status, again) = django.post("/api/token/refresh/", json!({"refresh": ours_rotated}));
    assert_eq!(status, 200, "{again}");
    let theirs_rotated = text(&again, "refresh");
    let ours = our_post(
        &server,
        "/api/token/refresh/",
        json!({"refresh": ours_rotated}),
    );
    assert_eq!(ours, (401, blacklisted.clone()));
    assert_eq!(
        django.rows(&name),
        [
            (jti(&theirs_refresh), true),
            (jti(&ours_rotated), true),
            (jti(&theirs_rotated), false)
        ]
    );

    // Our pair works in Django.
    let (status, pair) = our_post(&server, "/api/token/", credentials.clone());
    assert_eq!(status, 200, "{pair}");
    let (ours_refresh, ours_access) = (text(&pair, "refresh"), text(&pair, "access"));
    assert_eq!(django.jwt(&ours_access), (200, me(&ours_access)));
    assert_eq!(
        django.rows(&name).last(),
        Some(&(jti(&ours_refresh), false))
    );

    // Blacklisting on either side is refused on both.
    assert_eq!(
        our_post(
            &server,
            "/api/token/blacklist/",
            json!({"refresh": theirs_rotated})
        ),
        (200, json!({}))
    );
    assert_eq!(
        django.post("/api/token/refresh/", json!({"refresh": theirs_rotated})),
        (401, blacklisted.clone())
    );
    assert_eq!(
        django.post("/api/token/blacklist/", json!({"refresh": ours_refresh})),
        (200, json!({}))
    );
    assert_eq!(
        our_post(
            &server,
            "/api/token/refresh/",
            json!({"refresh": ours_refresh})
        ),
        (401, blacklisted.clone())
    );

    // The same 401 bodies for garbage and for a refresh token used as an access token.
    for token in ["garbage", ours_refresh.as_str()] {
        let theirs = django.jwt(token);
        assert_eq!(theirs.0, 401, "{}", theirs.1);
        assert_eq!(our_jwt(&server, token), theirs);
    }

    // Sliding tokens both ways, the jti kept across refreshes.
    let (status, sliding) = django.post("/api/token/sliding/", credentials.clone());
    assert_eq!(status, 200, "{sliding}");
    let theirs_sliding = text(&sliding, "token");
    assert_eq!(
        our_jwt(&server, &theirs_sliding),
        (200, me(&theirs_sliding))
    );
    let (status, renewed) = our_post(
        &server,
        "/api/token/sliding/refresh/",
        json!({"token": theirs_sliding}),
    );
    assert_eq!(status, 200, "{renewed}");
    let ours_sliding = text(&renewed, "token");
    assert_eq!(jti(&ours_sliding), jti(&theirs_sliding));
    assert_eq!(django.jwt(&ours_sliding), (200, me(&ours_sliding)));
    let (status, sliding) = our_post(&server, "/api/token/sliding/", credentials);
    assert_eq!(status, 200, "{sliding}");
    let ours_sliding = text(&sliding, "token");
    let (status, renewed) = django.post(
        "/api/token/sliding/refresh/",
        json!({"token": ours_sliding}),
    );
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(our_jwt(&server, &text(&renewed, "token")).0, 200);
    // Both sliding tokens are outstanding, as simplejwt records them.
    let rows = django.rows(&name);
    assert!(rows.contains(&(jti(&theirs_sliding), false)), "{rows:?}");
    assert!(rows.contains(&(jti(&ours_sliding), false)), "{rows:?}");
}

on_each_backend!(jwt_both_ways =>
    simplejwt_on_sqlite,
    simplejwt_on_postgres,
    simplejwt_on_mysql
);

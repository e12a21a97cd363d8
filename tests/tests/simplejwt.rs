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

use actix_web::HttpResponse;
use auth_actix::auth_core::jwt::{JwksOptions, JwtSettings, TokenClass};
use auth_actix::jwt::{JWTAuthentication, Jwt};
use auth_actix::prelude::*;

const KEY: &str = "the-shared-secret-key-of-the-django-site-and-the-jwt-api";
/// The PBKDF2 iterations of both sides (Django would otherwise re-hash at each login).
const ITERATIONS: u32 = 1_000;

/// simplejwt's own process.
struct Django(DjangoProcess);

impl Django {
    fn start(python: &str, url: &str) -> Django {
        Django::start_with(python, url, &[])
    }

    /// With more environment (`djsite/jwt_settings.py` reads the `JWT_*` variables).
    fn start_with(python: &str, url: &str, env: &[(&str, &str)]) -> Django {
        let iterations = ITERATIONS.to_string();
        let mut all = vec![
            ("INTEROP_DATABASE_URL", url),
            ("SECRET_KEY", KEY),
            ("PBKDF2_ITERATIONS", &iterations),
        ];
        all.extend_from_slice(env);
        Django(DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/simplejwt.py"),
            &all,
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

/// The key pairs of `auth-actix/tests/data/jwks_keys.json`.
fn jwks_keys() -> Value {
    let path = integration_tests::repo_root().join("auth-actix/tests/data/jwks_keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[api_view(GET)]
#[authentication_classes(JWTAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn jwt_view(request: AuthRequest) -> HttpResponse {
    let jti = request
        .auth()
        .and_then(|auth| auth.get::<auth_core::jwt::Token>())
        .and_then(|token| token.jti().map(str::to_owned));
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "auth": jti}))
}

/// `JWK_URL` on both sides, one JWKS on loopback: simplejwt (its `PyJWKClient`) and we give
/// the same answer, byte for byte, to tokens simplejwt signs with a `kid` the set has, with
/// one it lacks, without one (as simplejwt issues them), and after the set gains a key. Where
/// we differ by design: the issuer down and a `kid` the cache lacks is our 503, simplejwt's
/// 401. (Our refetch interval is 0 here, as PyJWT has none, for the answers to be comparable.)
fn jwk_url_both_ways(test: &str, url: &str, _dir: &Path) {
    use auth_testkit::jwks::{Answer, Issuer};
    let Some(python) = python(test) else { return };
    let store: AuthStore = connect(url).with_hashers(Hashers {
        pbkdf2_iterations: ITERATIONS,
    });
    store.migrate().unwrap();
    let name = unique_name("jwks");
    store
        .create_user(NewUser::new(name.clone(), Some("pw".into())))
        .unwrap();
    let keys = jwks_keys();
    let public = |key: &str, kid: &str| {
        let mut jwk = keys[key]["jwk"].clone();
        jwk["kid"] = json!(kid);
        jwk
    };
    let issuer = Issuer::start(Answer::Body(
        json!({"keys": [public("rsa-1", "k1")]}).to_string(),
    ));
    let private = keys["rsa-1"]["private_pem"].as_str().unwrap().to_owned();
    let mut django = Django::start_with(
        &python,
        url,
        &[("JWT_JWK_URL", &issuer.url), ("JWT_SIGNING_KEY", &private)],
    );
    let settings = JwtSettings::builder()
        .algorithm("RS256")
        .auth_token_classes([TokenClass::Access, TokenClass::Sliding])
        .signing_key(private.clone())
        .jwk_url(&issuer.url)
        .jwks_options(JwksOptions {
            refetch_interval: chrono::TimeDelta::zero(),
            ..JwksOptions::default()
        })
        .build()
        .unwrap();
    let jwt = Jwt::new(settings, None).unwrap();
    let auth = auth_actix::AuthSettings::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let server = Server::serve(
        move || {
            actix_web::App::new()
                .app_data(auth.clone())
                .app_data(jwt.clone())
                .route("/jwt/", actix_web::web::to(jwt_view))
        },
        1,
    );
    let mut sign = |kid: Option<&str>, key: Option<&str>| {
        let answer =
            django.ask(json!({"cmd": "sign", "username": name, "kid": kid, "private_pem": key}));
        text(&answer, "token")
    };
    let with_kid = sign(Some("k1"), None);
    let without_kid = sign(None, None);
    let unknown_kid = sign(Some("k9"), None);
    let rotated = sign(Some("k2"), keys["rsa-2"]["private_pem"].as_str());
    let forged = sign(Some("k1"), keys["rsa-2"]["private_pem"].as_str());
    let me = |token: &str| json!({"user": name, "auth": jti(token)});

    assert_eq!(django.jwt(&with_kid), (200, me(&with_kid)));
    assert_eq!(our_jwt(&server, &with_kid), (200, me(&with_kid)));
    for refused in [&without_kid, &unknown_kid, &rotated, &forged] {
        let theirs = django.jwt(refused);
        assert_eq!(theirs.0, 401, "{}", theirs.1);
        assert_eq!(our_jwt(&server, refused), theirs);
    }
    // simplejwt's own pair (RS256, no kid) is refused alike on both sides.
    let (status, pair) = django.post("/api/token/", json!({"username": name, "password": "pw"}));
    assert_eq!(status, 200, "{pair}");
    let access = text(&pair, "access");
    assert_eq!(our_jwt(&server, &access), django.jwt(&access));

    // The set gains k2: both sides fetch it again for the unknown kid and accept the token.
    issuer.set(Answer::Body(
        json!({"keys": [public("rsa-1", "k1"), public("rsa-2", "k2")]}).to_string(),
    ));
    assert_eq!(django.jwt(&rotated), (200, me(&rotated)));
    assert_eq!(our_jwt(&server, &rotated), (200, me(&rotated)));

    // The issuer down: cached keys still verify on both sides; an unknown kid is
    // simplejwt's 401 and our 503.
    issuer.set(Answer::Status(500));
    assert_eq!(django.jwt(&with_kid), (200, me(&with_kid)));
    assert_eq!(our_jwt(&server, &with_kid), (200, me(&with_kid)));
    let theirs = django.jwt(&unknown_kid);
    assert_eq!(theirs.0, 401, "{}", theirs.1);
    assert_eq!(
        our_jwt(&server, &unknown_kid),
        (
            503,
            json!({"detail": "Service temporarily unavailable, try again later."})
        )
    );
}

#[cfg(feature = "sqlite")]
#[test]
fn simplejwt_jwk_url_on_sqlite() {
    on_sqlite("simplejwt_jwk_url_on_sqlite", jwk_url_both_ways);
}

//! OAuth 2.0 against the real Django OAuth Toolkit 3.4.1 on one database (SQLite, PostgreSQL,
//! MariaDB): Django migrates, our `migrate` changes nothing Django's `migrate --check` sees;
//! applications made by DOT's `createapplication` work on our token endpoint and ours on DOT's;
//! tokens and refresh tokens issued by either side work on the other; revocation on either side
//! is seen by both; and a refresh token used by many at once yields exactly one new pair.
//!
//! DOT's half runs `scripts/django/oauth2.py` (one process per test answering JSON lines) with
//! the Python in `OAUTH2_PYTHON` (`scripts/django/setup_venv.sh oauth2` prints one); without it
//! that half is skipped with a line.

use std::sync::{Arc, Barrier};

use auth_core::oauth2::endpoint::{self, OAuthResponse};
use auth_core::oauth2::{Application, NewApplication, NewGrant, OAuth2Settings, OAuth2Store};
use auth_core::parsers::{PyString, RequestData, Value as Field};
use auth_core::{AuthStore, NewUser};
use base64::Engine as _;
use integration_tests::django::DjangoProcess;
use integration_tests::{env_nonempty, skip, unique_name};
use serde_json::{json, Value};

use crate::common::TestDb;

/// The PBKDF2 count both sides hash passwords and client secrets with.
const ITERATIONS: u32 = 1_000;

/// DOT's half: `scripts/django/oauth2.py`.
struct Django(DjangoProcess);

impl Django {
    fn start(python: &str, url: &str) -> Django {
        let iterations = ITERATIONS.to_string();
        Django(DjangoProcess::start(
            python,
            &integration_tests::repo_root().join("scripts/django/oauth2.py"),
            &[
                ("INTEROP_DATABASE_URL", url),
                ("PBKDF2_ITERATIONS", &iterations),
            ],
        ))
    }

    fn ask(&mut self, command: Value) -> Value {
        self.0.ask(command)
    }

    /// DOT's token endpoint: the status and the parsed body.
    fn token(&mut self, form: Value, authorization: &str) -> (u64, Value) {
        let answer =
            self.ask(json!({"cmd": "token", "form": form, "authorization": authorization}));
        let body = answer["body"].as_str().unwrap_or_default();
        (
            answer["status"].as_u64().unwrap_or_default(),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    fn validate(&mut self, token: &str) -> Value {
        self.ask(json!({"cmd": "validate", "token": token}))
    }
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn form(fields: &[(&str, &str)]) -> RequestData {
    RequestData::Fields(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Field::Str(PyString::from(*v))))
            .collect(),
    )
}

struct Ours {
    store: OAuth2Store,
    users: AuthStore,
    settings: OAuth2Settings,
}

impl Ours {
    fn token(&self, fields: &[(&str, &str)], authorization: &str) -> (u16, Value) {
        let OAuthResponse { status, body, .. } = endpoint::token(
            &self.store,
            &self.users,
            &self.settings,
            &form(fields),
            authorization.as_bytes(),
            false,
        )
        .expect("the store answers");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// A code for `user` at `app`, sent to `redirect_uri`, with a PKCE challenge.
    fn grant(
        &self,
        user: i32,
        app: i64,
        redirect_uri: &str,
        scope: &str,
        pkce: (&str, &str),
    ) -> String {
        self.store
            .create_grant(
                &NewGrant {
                    user_id: user,
                    application_id: app,
                    redirect_uri: redirect_uri.into(),
                    scope: scope.into(),
                    code_challenge: pkce.0.into(),
                    code_challenge_method: pkce.1.into(),
                    ..NewGrant::default()
                },
                &self.settings,
            )
            .unwrap()
    }
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

fn both_ways(db: &TestDb) {
    let test = format!("OAuth 2.0 with DOT on {}", db.backend.name());
    let Some(python) = env_nonempty("OAUTH2_PYTHON") else {
        skip(
            &test,
            "DOT's half needs scripts/django/requirements-oauth2.txt (set OAUTH2_PYTHON; \
             scripts/django/setup_venv.sh oauth2 prints one)",
        );
        return;
    };
    let mut django = Django::start(&python, &db.url);
    // Django migrates; ours then changes nothing Django would notice.
    django.ask(json!({"cmd": "migrate"}));
    let users = db.migrated();
    assert_eq!(django.ask(json!({"cmd": "migrate_check"}))["ok"], true);
    assert!(
        users.migrate().unwrap().is_empty(),
        "a second migrate applies nothing"
    );
    let ours = Ours {
        store: OAuth2Store::new(users.database().clone()).with_hashers(users.hashers().clone()),
        users: users.clone(),
        settings: OAuth2Settings::builder()
            .scopes([
                ("read", "Reading scope"),
                ("write", "Writing scope"),
                ("introspection", "Introspect token scope"),
            ])
            .build(),
    };
    let alice = unique_name("alice");
    users
        .create_user(NewUser::new(alice.clone(), Some("pw".into())))
        .unwrap();
    let dj_user = unique_name("dj");
    django.ask(json!({"cmd": "user", "username": dj_user, "password": "pw2"}));

    // An application made by DOT's createapplication, its secret hashed by Django.
    let dj_app = django.ask(json!({"cmd": "createapplication", "args": [
        "confidential", "password", "--client-secret", "s3cret", "--name", "dj"]}));
    assert!(str_of(&dj_app, "client_secret").starts_with("pbkdf2_sha256$1000$"));
    let dj_basic = basic(str_of(&dj_app, "client_id"), "s3cret");
    // ... works on our token endpoint, for Django's user too.
    let (status, ours_pair) = ours.token(
        &[
            ("grant_type", "password"),
            ("username", &dj_user),
            ("password", "pw2"),
        ],
        &dj_basic,
    );
    assert_eq!(status, 200, "{ours_pair}");
    assert_eq!(ours_pair["scope"], "read write introspection");
    // Our token is good on Django's side.
    let seen = django.validate(str_of(&ours_pair, "access_token"));
    assert_eq!(seen, json!({"valid": true, "user": dj_user}));

    // An application we made works on DOT's endpoint.
    let mut new = NewApplication::new("confidential", "password");
    new.client_secret = Some("t0p".into());
    let (our_app, _) = ours
        .store
        .create_application(new, ours.settings.now())
        .unwrap();
    let our_basic = basic(&our_app.client_id, "t0p");
    let (status, dj_pair) = django.token(
        json!({"grant_type": "password", "username": alice, "password": "pw", "scope": "read"}),
        &our_basic,
    );
    assert_eq!(status, 200, "{dj_pair}");
    // Django's token is good on ours, with its user.
    let found = ours
        .store
        .access_token(str_of(&dj_pair, "access_token"))
        .unwrap()
        .unwrap();
    assert_eq!(found.user.unwrap().username, alice);
    assert_eq!(found.token.scope, "read");

    // Django's refresh token refreshed here: Django no longer accepts the old access token.
    let (status, refreshed) = ours.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&dj_pair, "refresh_token")),
        ],
        &our_basic,
    );
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        django.validate(str_of(&dj_pair, "access_token"))["valid"],
        false
    );
    assert_eq!(
        django.validate(str_of(&refreshed, "access_token"))["user"],
        json!(alice)
    );
    // ... and refreshed again on Django's side; the one we issued is gone here.
    let (status, again) = django.token(
        json!({"grant_type": "refresh_token", "refresh_token": str_of(&refreshed, "refresh_token")}),
        &our_basic,
    );
    assert_eq!(status, 200, "{again}");
    assert!(ours
        .store
        .access_token(str_of(&refreshed, "access_token"))
        .unwrap()
        .is_none());
    // A refresh token Django rotated is refused here, as Django refuses it.
    let (status, body) = ours.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&refreshed, "refresh_token")),
        ],
        &our_basic,
    );
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));

    // Revocation on Django's side is seen here, and ours there.
    django.ask(json!({"cmd": "revoke_refresh", "token": str_of(&ours_pair, "refresh_token")}));
    assert!(ours
        .store
        .access_token(str_of(&ours_pair, "access_token"))
        .unwrap()
        .is_none());
    assert!(ours
        .store
        .revoke_refresh_token(
            str_of(&again, "refresh_token"),
            Some(our_app.id),
            ours.settings.now()
        )
        .unwrap());
    assert_eq!(
        django.validate(str_of(&again, "access_token"))["valid"],
        false
    );
    let (status, _) = django.token(
        json!({"grant_type": "refresh_token", "refresh_token": str_of(&again, "refresh_token")}),
        &our_basic,
    );
    assert_eq!(status, 400);

    // Client credentials: DOT's application on our endpoint, a token without a user there.
    let cc = django.ask(json!({"cmd": "createapplication", "args": [
        "confidential", "client-credentials", "--client-secret", "cc", "--no-hash-client-secret"]}));
    assert_eq!(cc["client_secret"], "cc", "a legacy plaintext secret");
    let (status, token) = ours.token(
        &[("grant_type", "client_credentials"), ("scope", "read")],
        &basic(str_of(&cc, "client_id"), "cc"),
    );
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        django.validate(str_of(&token, "access_token")),
        json!({"valid": true, "user": null})
    );
    let (status, token) = django.token(
        json!({"grant_type": "client_credentials"}),
        &basic(str_of(&cc, "client_id"), "cc"),
    );
    assert_eq!(status, 200, "{token}");
    let found = ours
        .store
        .access_token(str_of(&token, "access_token"))
        .unwrap()
        .unwrap();
    assert!(found.user.is_none() && found.token.user_id.is_none());
}

/// A migrated database with a new user and a confidential password application.
fn password_app(
    db: &TestDb,
    settings: OAuth2Settings,
    name: &str,
) -> (OAuth2Store, OAuth2Settings, auth_core::User, Application) {
    let users = db.migrated();
    let store = OAuth2Store::new(users.database().clone()).with_hashers(users.hashers().clone());
    let user = users
        .create_user(NewUser::new(unique_name(name), Some("pw".into())))
        .unwrap();
    let (app, _) = store
        .create_application(
            NewApplication::new("confidential", "password"),
            settings.now(),
        )
        .unwrap();
    (store, settings, user, app)
}

/// Many requests with one refresh token at the same moment: exactly one new pair, the others
/// `invalid_grant` (never an error), on every backend.
fn refresh_race(db: &TestDb) {
    let (store, settings, user, app) = password_app(db, OAuth2Settings::default(), "race");
    for _ in 0..3 {
        let issued = store
            .issue(app.id, Some(user.id), "read", true, &settings)
            .unwrap();
        let refresh = issued.refresh_token.unwrap();
        let racers = 6;
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = (0..racers)
            .map(|_| {
                let (store, app, settings, refresh, barrier) = (
                    store.clone(),
                    app.clone(),
                    settings.clone(),
                    refresh.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    store.refresh(&refresh, &app, None, &settings)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won: Vec<_> = results
            .iter()
            .filter_map(|r| r.as_ref().expect("no store error").as_ref().ok())
            .collect();
        assert_eq!(won.len(), 1, "{results:?}");
        let fresh = won[0].access_token.clone();
        assert!(store.access_token(&fresh).unwrap().is_some());
        assert!(store.access_token(&issued.access_token).unwrap().is_none());
    }
}

/// Many requests redeeming one authorization code at the same moment: exactly one token pair,
/// the others `400 invalid_grant` (never an error), on every backend.
fn redeem_race(db: &TestDb) {
    let users = db.migrated();
    let ours = Ours {
        store: OAuth2Store::new(users.database().clone()).with_hashers(users.hashers().clone()),
        users: users.clone(),
        settings: OAuth2Settings::default(),
    };
    let user = users
        .create_user(NewUser::new(unique_name("redeem"), Some("pw".into())))
        .unwrap();
    let mut new = NewApplication::new("public", "authorization-code");
    new.redirect_uris = "https://client.example/cb".into();
    let (app, _) = ours
        .store
        .create_application(new, ours.settings.now())
        .unwrap();
    let ours = Arc::new(ours);
    for _ in 0..3 {
        let code = ours.grant(
            user.id,
            app.id,
            "https://client.example/cb",
            "read",
            ("a-plain-challenge", "plain"),
        );
        let racers = 6;
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = (0..racers)
            .map(|_| {
                let (ours, code, client_id, barrier) = (
                    ours.clone(),
                    code.clone(),
                    app.client_id.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    ours.token(
                        &[
                            ("grant_type", "authorization_code"),
                            ("client_id", &client_id),
                            ("code", &code),
                            ("code_verifier", "a-plain-challenge"),
                            ("redirect_uri", "https://client.example/cb"),
                        ],
                        "",
                    )
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won: Vec<_> = results
            .iter()
            .filter(|(status, _)| *status == 200)
            .collect();
        assert_eq!(won.len(), 1, "{results:?}");
        for (status, body) in &results {
            if *status != 200 {
                assert_eq!((*status, body), (400, &json!({"error": "invalid_grant"})));
            }
        }
        assert!(ours
            .store
            .access_token(str_of(&won[0].1, "access_token"))
            .unwrap()
            .is_some());
    }
}

/// `REFRESH_TOKEN_REUSE_PROTECTION`: a rotated refresh token presented again revokes its whole
/// family (DOT's `revoke_family`) and nothing else, on every backend's `token_family` column.
fn reuse_protection(db: &TestDb) {
    let settings = OAuth2Settings::builder()
        .refresh_token_reuse_protection(true)
        .build();
    let (store, settings, user, app) = password_app(db, settings, "reuse");
    let first = store
        .issue(app.id, Some(user.id), "read", true, &settings)
        .unwrap();
    let old = first.refresh_token.unwrap();
    let second = store.refresh(&old, &app, None, &settings).unwrap().unwrap();
    let third = store
        .refresh(
            second.refresh_token.as_deref().unwrap(),
            &app,
            None,
            &settings,
        )
        .unwrap()
        .unwrap();
    let other = store
        .issue(app.id, Some(user.id), "read", true, &settings)
        .unwrap();
    assert!(store.refresh(&old, &app, None, &settings).unwrap().is_err());
    assert!(store.access_token(&third.access_token).unwrap().is_none());
    assert!(store
        .refresh(
            third.refresh_token.as_deref().unwrap(),
            &app,
            None,
            &settings
        )
        .unwrap()
        .is_err());
    assert!(store.access_token(&other.access_token).unwrap().is_some());
    assert!(store
        .refresh(
            other.refresh_token.as_deref().unwrap(),
            &app,
            None,
            &settings
        )
        .unwrap()
        .is_ok());
}

/// Authorization codes both ways on one database: a code DOT's `AuthorizationView` saved is
/// redeemed on our token endpoint, and one of ours (`create_grant`) on DOT's, each with PKCE.
fn codes_both_ways(db: &TestDb) {
    let test = format!("authorization codes with DOT on {}", db.backend.name());
    let Some(python) = env_nonempty("OAUTH2_PYTHON") else {
        skip(&test, "DOT's half needs OAUTH2_PYTHON");
        return;
    };
    let mut django = Django::start(&python, &db.url);
    django.ask(json!({"cmd": "migrate"}));
    let users = db.migrated();
    let ours = Ours {
        store: OAuth2Store::new(users.database().clone()).with_hashers(users.hashers().clone()),
        users: users.clone(),
        settings: OAuth2Settings::default(),
    };
    let username = unique_name("codes");
    django.ask(json!({"cmd": "user", "username": username, "password": "pw"}));
    let user = users.user_by_username(&username).unwrap().unwrap();
    let callback = "https://client.example/cb";
    let app = django.ask(json!({"cmd": "createapplication", "args": [
        "confidential", "authorization-code", "--client-secret", "s3cret",
        "--redirect-uris", callback, "--name", "codes"]}));
    let client_id = str_of(&app, "client_id").to_owned();
    let client = basic(&client_id, "s3cret");
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    // DOT's code, redeemed here.
    let answer = django.ask(json!({"cmd": "authorize", "username": username, "form": {
        "client_id": client_id, "redirect_uri": callback, "response_type": "code",
        "scope": "read", "state": "xyz", "code_challenge": challenge,
        "code_challenge_method": "S256", "allow": "Authorize"}}));
    assert_eq!(answer["status"], 302, "{answer}");
    let location = str_of(&answer, "location");
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap_or_else(|| panic!("no code in {location}"))
        .to_owned();
    assert!(location.contains("state=xyz"), "{location}");
    let (status, token) = ours.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", verifier),
            ("redirect_uri", callback),
        ],
        &client,
    );
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "read");
    assert_eq!(
        django.validate(str_of(&token, "access_token")),
        json!({"valid": true, "user": username})
    );
    // Redeemed here, gone there.
    let (status, body) = django.token(
        json!({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
               "redirect_uri": callback}),
        &client,
    );
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));

    // Our code, redeemed at DOT.
    let app = ours.store.application(&client_id).unwrap().unwrap();
    let code = ours.grant(user.id, app.id, callback, "read write", (challenge, "S256"));
    let form = json!({"grant_type": "authorization_code", "code": code,
                      "code_verifier": verifier, "redirect_uri": callback});
    let (status, token) = django.token(form.clone(), &client);
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "read write");
    let found = ours
        .store
        .access_token(str_of(&token, "access_token"))
        .unwrap()
        .unwrap();
    assert_eq!(found.user.unwrap().username, username);
    let (status, again) = django.token(form, &client);
    assert_eq!((status, again), (400, json!({"error": "invalid_grant"})));
}

per_backend!(
    both_ways,
    refresh_race,
    redeem_race,
    reuse_protection,
    codes_both_ways
);

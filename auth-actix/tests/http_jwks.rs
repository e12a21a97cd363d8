//! `JWK_URL` over HTTP: RS256 tokens from another issuer verified with the
//! keys of a JWKS served on loopback; the cache, key rotation (a new `kid`
//! makes one refetch), a flood of unknown `kid`s bounded to one fetch per
//! interval, and an issuer that is down, slow, oversized or not a JWKS
//! answering 503, never a pass.
//!
//! The keys are `tests/data/jwks_keys.json` (made once with `cryptography`
//! and PyJWT's `RSAAlgorithm.to_jwk`).

use std::net::TcpListener;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{with_auth, UNAVAILABLE};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::auth_core::http_client::HttpLimits;
use auth_actix::auth_core::jwt::{JwksOptions, JwtSettings, Token, TokenClass};
use auth_actix::auth_core::signing::{b64_encode, to_json, JsonValue};
use auth_actix::auth_core::NewUser;
use auth_actix::jwt::{JWTAuthentication, JWTStatelessUserAuthentication, Jwt};
use auth_actix::prelude::*;
use auth_actix::AuthSettings;
use auth_testkit::jwks::{Answer, Issuer};
use chrono::{DateTime, TimeDelta};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000;
const INVALID: &str = r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid"}]}"#;

fn set(set: Value) -> String {
    set.to_string()
}

fn keys() -> Value {
    serde_json::from_str(include_str!("data/jwks_keys.json")).unwrap()
}

/// A public JWK of the fixture `name`, with `kid` and `extra` members.
fn jwk(name: &str, kid: &str, extra: Value) -> Value {
    let mut jwk = keys()[name]["jwk"].clone();
    jwk["kid"] = json!(kid);
    for (k, v) in extra.as_object().unwrap() {
        jwk[k] = v.clone();
    }
    jwk
}

fn settings(url: &str, clock: &Arc<AtomicI64>) -> JwtSettings {
    let at = clock.clone();
    JwtSettings::builder()
        .algorithm("RS256")
        .jwk_url(url)
        .jwks_options(JwksOptions {
            limits: HttpLimits {
                timeout: Duration::from_millis(500),
                max_body: 16 * 1024,
                ..HttpLimits::default()
            },
            ..JwksOptions::default()
        })
        .clock(Arc::new(move || {
            DateTime::from_timestamp(at.load(Ordering::SeqCst), 0).unwrap()
        }))
        .build()
        .unwrap()
}

/// A token of the other issuer: simplejwt's access claims for user 1,
/// signed by the fixture `key` with `alg` and `kid` in the header.
fn token(key: &str, alg: &str, kid: Option<&str>, clock: &Arc<AtomicI64>) -> String {
    let issuer = {
        let at = clock.clone();
        JwtSettings::builder()
            .signing_key("unused")
            .clock(Arc::new(move || {
                DateTime::from_timestamp(at.load(Ordering::SeqCst), 0).unwrap()
            }))
            .build()
            .unwrap()
    };
    let mut claims = Token::for_user_id(TokenClass::Access, &issuer, "1", None);
    claims.insert("username", JsonValue::String("alice".into()));
    let mut header = json!({"alg": alg, "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let input = format!(
        "{}.{}",
        b64_encode(header.to_string().as_bytes()),
        b64_encode(to_json(claims.payload()).unwrap().as_bytes())
    );
    let (encoding, algorithm) = match alg {
        "RS256" => (
            EncodingKey::from_rsa_pem(keys()[key]["private_pem"].as_str().unwrap().as_bytes())
                .unwrap(),
            Algorithm::RS256,
        ),
        _ => (EncodingKey::from_secret(key.as_bytes()), Algorithm::HS256),
    };
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &encoding, algorithm).unwrap();
    format!("{input}.{signature}")
}

#[api_view(GET)]
#[authentication_classes(JWTStatelessUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn stateless_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[api_view(GET)]
#[authentication_classes(JWTAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn jwt_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

fn bearer(path: &str, token: &str) -> TestRequest {
    with_auth(
        TestRequest::get().uri(path),
        format!("Bearer {token}").as_bytes(),
    )
}

macro_rules! app {
    ($store:expr, $jwt:expr) => {
        serve!(
            AuthSettings::builder().store($store.clone()).build().unwrap(),
            with $jwt.clone(),
            "/stateless/" => stateless_view,
            "/jwt/" => jwt_view,
            "/api/token/verify/" => auth_actix::jwt::token_verify
        )
    };
}

#[actix_web::test]
async fn tokens_of_another_issuer_verify_with_its_jwks_and_rotation_refetches_once() {
    let (store, _dir) = crate::common::sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    assert_eq!(alice.id, 1);
    let clock = Arc::new(AtomicI64::new(T0));
    let issuer = Issuer::start(Answer::Body(set(json!({"keys": [
        jwk("rsa-1", "k1", json!({"use": "sig", "alg": "RS256"})),
        // Not signing keys, or not for RS256: never used.
        jwk("rsa-2", "enc", json!({"use": "enc"})),
        jwk("rsa-2", "other-alg", json!({"alg": "RS512"})),
        jwk("ec-p256", "ec", json!({})),
        {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "broken", "n": "AQ", "e": "AQAB"},
        jwk("rsa-2", "", json!({})),
    ]}))));
    let jwt = Jwt::new(settings(&issuer.url, &clock), None).unwrap();
    let app = app!(store, jwt);
    let k1 = token("rsa-1", "RS256", Some("k1"), &clock);

    // One fetch, then the cache.
    let reply = send!(&app, bearer("/stateless/", &k1));
    assert_eq!((reply.status, reply.body.as_str()), (200, "TokenUser 1"));
    assert_eq!(send!(&app, bearer("/jwt/", &k1)).body, "alice");
    let verify = send!(
        &app,
        TestRequest::post()
            .uri("/api/token/verify/")
            .set_json(json!({"token": k1}))
    );
    assert_eq!(verify.summary(), (200, None, "{}"));
    assert_eq!(issuer.hits(), 1);

    // Refused, each as simplejwt refuses it: no kid (simplejwt fetches first; we do not),
    // a key of the set that is not a signing key for RS256, the wrong key for the kid,
    // the oct key with HS256 (an algorithm other than ALGORITHM).
    for refused in [
        token("rsa-1", "RS256", None, &clock),
        token("rsa-2", "RS256", Some("enc"), &clock),
        token("rsa-2", "RS256", Some("other-alg"), &clock),
        token("rsa-2", "RS256", Some("broken"), &clock),
        token("rsa-2", "RS256", Some("k1"), &clock),
        token("secret", "HS256", Some("hs"), &clock),
    ] {
        let reply = send!(&app, bearer("/stateless/", &refused));
        assert_eq!((reply.status, reply.body.as_str()), (401, INVALID));
    }
    // A flood of unknown kids: refused, and not one more fetch within the interval.
    for i in 0..40 {
        let unknown = token("rsa-2", "RS256", Some(&format!("random-{i}")), &clock);
        assert_eq!(send!(&app, bearer("/stateless/", &unknown)).status, 401);
    }
    assert_eq!(issuer.hits(), 1);

    // Rotation: k2 appears; once the interval has passed, its first token makes one refetch.
    issuer.set(Answer::Body(set(json!({"keys": [
        jwk("rsa-1", "k1", json!({})),
        jwk("rsa-2", "k2", json!({})),
    ]}))));
    let k2 = token("rsa-2", "RS256", Some("k2"), &clock);
    assert_eq!(send!(&app, bearer("/stateless/", &k2)).status, 401);
    assert_eq!(issuer.hits(), 1);
    clock.store(T0 + 30, Ordering::SeqCst);
    let k2 = token("rsa-2", "RS256", Some("k2"), &clock);
    assert_eq!(send!(&app, bearer("/stateless/", &k2)).status, 200);
    assert_eq!(issuer.hits(), 2);
    for i in 0..20 {
        let unknown = token("rsa-2", "RS256", Some(&format!("again-{i}")), &clock);
        assert_eq!(send!(&app, bearer("/stateless/", &unknown)).status, 401);
    }
    assert_eq!(send!(&app, bearer("/stateless/", &k1)).status, 200);
    assert_eq!(issuer.hits(), 2);
    assert_eq!(jwt.settings().jwks().unwrap().fetches(), 2);
}

#[actix_web::test]
async fn an_issuer_down_is_a_503_never_a_pass() {
    let (store, _dir) = crate::common::sqlite_store();
    let clock = Arc::new(AtomicI64::new(T0));
    let issuer = Issuer::start(Answer::Status(500));
    let jwt = Jwt::new(settings(&issuer.url, &clock), None).unwrap();
    let app = app!(store, jwt);
    let k1 = token("rsa-1", "RS256", Some("k1"), &clock);
    macro_rules! unavailable {
        ($reply:expr) => {{
            let reply = $reply;
            (reply.status, reply.body)
        }};
    }
    let down = (503, UNAVAILABLE.to_owned());

    // Each way the issuer can fail: one fetch, then 503s without another
    // until the interval has passed.
    let failures = [
        Answer::Status(500),
        Answer::Status(404),
        Answer::Body("<html>not json</html>".into()),
        Answer::Body(r#"{"no": "keys"}"#.into()),
        Answer::Body(format!(
            r#"{{"keys": [], "pad": "{}"}}"#,
            "x".repeat(20_000)
        )),
        Answer::Hang,
    ];
    for (i, failure) in failures.into_iter().enumerate() {
        issuer.set(failure);
        clock.store(T0 + 30 * i as i64, Ordering::SeqCst);
        let k1 = token("rsa-1", "RS256", Some("k1"), &clock);
        assert_eq!(
            unavailable!(send!(&app, bearer("/stateless/", &k1))),
            down,
            "{i}"
        );
        assert_eq!(
            unavailable!(send!(&app, bearer("/stateless/", &k1))),
            down,
            "{i}"
        );
        let verify = send!(
            &app,
            TestRequest::post()
                .uri("/api/token/verify/")
                .set_json(json!({"token": k1}))
        );
        assert_eq!(unavailable!(verify), down, "{i}");
        assert_eq!(issuer.hits(), i + 1, "{i}");
    }
    // A malformed token is refused without asking the issuer.
    let reply = send!(&app, bearer("/stateless/", "garbage"));
    assert_eq!((reply.status, reply.body.as_str()), (401, INVALID));

    // Back up: the next fetch (once the interval has passed) lets tokens through.
    issuer.set(Answer::Body(set(
        json!({"keys": [jwk("rsa-1", "k1", json!({}))]}),
    )));
    clock.store(T0 + 30 * 6, Ordering::SeqCst);
    let k1_now = token("rsa-1", "RS256", Some("k1"), &clock);
    assert_eq!(send!(&app, bearer("/stateless/", &k1_now)).status, 200);
    // Keys are trusted for the lifespan only: past it, the issuer down is a 503 again.
    issuer.set(Answer::Status(503));
    clock.store(T0 + 30 * 6 + 299, Ordering::SeqCst);
    let fresh = token("rsa-1", "RS256", Some("k1"), &clock);
    assert_eq!(send!(&app, bearer("/stateless/", &fresh)).status, 200);
    clock.store(T0 + 30 * 6 + 300, Ordering::SeqCst);
    let fresh = token("rsa-1", "RS256", Some("k1"), &clock);
    assert_eq!(
        unavailable!(send!(&app, bearer("/stateless/", &fresh))),
        down
    );
    drop(k1);

    // Nobody listening at all.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", closed.local_addr().unwrap());
    drop(closed);
    let jwt = Jwt::new(settings(&url, &clock), None).unwrap();
    let app = app!(store, jwt);
    let fresh = token("rsa-1", "RS256", Some("k1"), &clock);
    assert_eq!(
        unavailable!(send!(&app, bearer("/stateless/", &fresh))),
        down
    );
}

#[test]
fn jwk_url_settings_are_checked_at_start_up() {
    let clock = Arc::new(AtomicI64::new(T0));
    let at = clock.clone();
    let build = |url: &str, options: JwksOptions| {
        let at = at.clone();
        JwtSettings::builder()
            .algorithm("RS256")
            .jwk_url(url)
            .jwks_options(options)
            .clock(Arc::new(move || {
                DateTime::from_timestamp(at.load(Ordering::SeqCst), 0).unwrap()
            }))
            .build()
    };
    for url in ["ftp://issuer/jwks", "/jwks", "issuer.example.com/jwks"] {
        let err = build(url, JwksOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "JWK_URL must be an absolute http or https URL"
        );
    }
    let err = build(
        "https://issuer.example.com/jwks",
        JwksOptions {
            lifespan: TimeDelta::seconds(10),
            ..JwksOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("lifespan"), "{err}");
    // HMAC algorithms ignore JWK_URL, as simplejwt does.
    let hs = JwtSettings::builder()
        .signing_key("secret")
        .jwk_url("https://issuer.example.com/jwks")
        .build()
        .unwrap();
    assert!(hs.jwks().is_none());
}

//! Basic, Token, RemoteUser and a custom class against the real user and token
//! store (a temporary SQLite database created through `AuthStore`), and a 503
//! when the database fails during authentication.

use std::borrow::Cow;

use crate::common::{detail, with_auth, DENIED, NOT_PROVIDED};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::auth_core::NewUser;
use auth_actix::prelude::*;
use auth_actix::{
    run_blocking, AuthError, AuthResult, AuthStore, Authenticated, RemoteUserConfig, TrustedProxy,
};
use base64::Engine;
use serde_json::json;

struct Fixture {
    store: AuthStore,
    alice_key: String,
    inactive_key: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn settings(&self) -> auth_actix::AuthSettingsBuilder {
        AuthSettings::builder().store(self.store.clone())
    }
}

/// alice (active, password `s3cret:pw`), staff `boss`, `José` (latin-1
/// password `pässword`), `sleepy` (inactive, password `pw`), each with a token.
fn fixture() -> Fixture {
    let (store, dir) = crate::common::sqlite_store();
    let create = |username: &str, password: &str, staff: bool, active: bool| {
        let mut new = NewUser::new(username, Some(password.to_owned()));
        new.is_staff = staff;
        new.is_active = active;
        store.create_user(new).expect("create user")
    };
    let alice = create("alice", "s3cret:pw", false, true);
    create("boss", "pw", true, true);
    create("José", "pässword", false, true);
    let sleepy = create("sleepy", "pw", false, false);
    let alice_key = store.token_get_or_create(alice.id).expect("token").0.key;
    let inactive_key = store.token_get_or_create(sleepy.id).expect("token").0.key;
    Fixture {
        store,
        alice_key,
        inactive_key,
        _dir: dir,
    }
}

fn basic(username: &[u8], password: &[u8]) -> Vec<u8> {
    let credentials = [username, b":", password].concat();
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    format!("Basic {encoded}").into_bytes()
}

fn describe(request: &AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "user": request.user().to_string(),
        "id": request.user().id(),
        "auth": request.auth().and_then(|a| a.as_token()).map(|t| t.key.clone()),
        "by": request.successful_authenticator(),
    }))
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication, TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn basic_then_token(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(IsAdminUser)]
async fn admin_only(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[actix_web::test]
async fn basic_authentication() {
    let f = fixture();
    let app = serve!(
        f.settings().build().unwrap(),
        "/" => basic_then_token,
        "/admin" => admin_only
    );
    let get = |header: Vec<u8>| with_auth(TestRequest::get().uri("/"), &header);

    let reply = send!(&app, get(basic(b"alice", b"s3cret:pw")));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(r#""by":"BasicAuthentication""#),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(r#""auth":null"#) && reply.body.contains(r#""user":"alice""#));

    let invalid = detail("Invalid username/password.");
    for (username, password) in [
        (&b"alice"[..], &b"wrong"[..]),
        (b"alice", b"s3cret"),
        (b"ALICE", b"s3cret:pw"),
        (b"nobody", b"pw"),
        (b"alice", b""),
        // Django's ModelBackend rejects inactive users inside the backend.
        (b"sleepy", b"pw"),
    ] {
        let reply = send!(&app, get(basic(username, password)));
        assert_eq!(
            reply.summary(),
            (401, Some("Basic realm=\"api\""), invalid.as_str()),
            "{:?}",
            String::from_utf8_lossy(username)
        );
    }

    // UTF-8 credentials, and latin-1 ones (not valid UTF-8), reach the same user.
    let reply = send!(&app, get(basic("José".as_bytes(), "pässword".as_bytes())));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = send!(&app, get(basic(b"Jos\xe9", b"p\xe4ssword")));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(r#""user":"José""#));

    // Authenticated but not staff: 403 with the default message.
    let reply = send!(
        &app,
        with_auth(
            TestRequest::get().uri("/admin"),
            &basic(b"alice", b"s3cret:pw")
        )
    );
    assert_eq!(reply.summary(), (403, None, detail(DENIED).as_str()));
    let reply = send!(
        &app,
        with_auth(TestRequest::get().uri("/admin"), &basic(b"boss", b"pw"))
    );
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn token_authentication() {
    let f = fixture();
    let app = serve!(f.settings().build().unwrap(), "/" => basic_then_token);
    let get = |header: String| with_auth(TestRequest::get().uri("/"), header.as_bytes());

    let reply = send!(&app, get(format!("Token {}", f.alice_key)));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(&format!(r#""auth":"{}""#, f.alice_key)),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(r#""by":"TokenAuthentication""#));
    assert_eq!(f.alice_key.len(), 40);

    let challenge = Some("Basic realm=\"api\"");
    let reply = send!(&app, get(format!("Token {}", f.inactive_key)));
    assert_eq!(
        reply.summary(),
        (401, challenge, detail("User inactive or deleted.").as_str())
    );
    let reply = send!(&app, get(format!("Token {}", f.alice_key.to_uppercase())));
    assert_eq!(
        reply.summary(),
        (401, challenge, detail("Invalid token.").as_str())
    );
    let reply = send!(&app, get(format!("Token {}x", f.alice_key)));
    assert_eq!(reply.body, detail("Invalid token."));
    let reply = send!(&app, get("Token".to_owned()));
    assert_eq!(
        reply.body,
        detail("Invalid token header. No credentials provided.")
    );
}

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

fn remote_request(peer: &str, user: impl AsRef<[u8]>) -> TestRequest {
    TestRequest::get()
        .uri("/")
        .peer_addr(peer.parse().unwrap())
        .insert_header((
            "X-Remote-User",
            HeaderValue::from_bytes(user.as_ref()).unwrap(),
        ))
}

#[actix_web::test]
async fn remote_user_authentication() {
    let f = fixture();
    let proxy: TrustedProxy = "10.0.0.0/8".parse().unwrap();
    let config = RemoteUserConfig::default()
        .header(HeaderName::from_static("x-remote-user"))
        .trusted_proxies([proxy]);
    let app = serve!(f.settings().build().unwrap(), with config.clone(), "/" => remote);

    let reply = send!(&app, remote_request("10.0.0.2:4000", "alice"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(r#""by":"RemoteUserAuthentication""#));
    // Unknown users are created (with an unusable password).
    assert!(f.store.user_by_username("newcomer").unwrap().is_none());
    let reply = send!(&app, remote_request("10.0.0.2:4000", "newcomer"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let created = f
        .store
        .user_by_username("newcomer")
        .unwrap()
        .expect("created");
    assert!(created.is_active);
    assert!(f.store.authenticate("newcomer", "").unwrap().is_none());
    // Inactive users are not authenticated (not attempted, so 403: no challenge).
    let reply = send!(&app, remote_request("10.0.0.2:4000", "sleepy"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    // A client outside the proxies cannot claim anyone.
    let reply = send!(&app, remote_request("192.0.2.1:4000", "boss"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    // The exact name, as Django's `get_or_create(username=...)`: neither validated nor
    // normalised (NFKC would make `remoteªuser` `remoteauser`), the same account every time.
    for (header, name) in [
        (&b"remote\xaauser"[..], "remote\u{aa}user"),
        (b"DOMAIN\\user", "DOMAIN\\user"),
        (b"John Smith", "John Smith"),
    ] {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let reply = send!(&app, remote_request("10.0.0.2:4000", header));
            assert_eq!(reply.status, 200, "{name}: {}", reply.body);
            let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(body["user"], name);
            ids.push(body["id"].clone());
        }
        assert_eq!(ids[0], ids[1], "{name}: one account");
        let user = f.store.user_by_username(name).unwrap().expect(name);
        assert_eq!(ids[0], user.id);
    }
    assert!(f.store.user_by_username("remoteauser").unwrap().is_none());
    // A name the column cannot hold is nobody.
    let reply = send!(&app, remote_request("10.0.0.2:4000", "x".repeat(151)));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));

    // Without creation, unknown users are anonymous; `clean_username` rewrites names.
    let strict = config
        .create_unknown_user(false)
        .clean_username(|name| name.to_lowercase());
    let app = serve!(f.settings().build().unwrap(), with strict, "/" => remote);
    let reply = send!(&app, remote_request("10.1.1.1:4000", "stranger"));
    assert_eq!(reply.status, 403);
    assert!(f.store.user_by_username("stranger").unwrap().is_none());
    let reply = send!(&app, remote_request("10.1.1.1:4000", "ALICE"));
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains(r#""user":"alice""#));
}

/// DRF's documentation example: the username in `X-Username`, looked up in the
/// store; an unknown user is `AuthenticationFailed("No such user")`.
#[derive(Default)]
struct XUsernameAuthentication;

impl Authentication for XUsernameAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        let Some(username) = request.headers().get("X-Username") else {
            return Ok(None);
        };
        let username = String::from_utf8_lossy(username.as_bytes()).into_owned();
        let store = config.store()?.clone();
        match run_blocking(move || store.user_by_username(&username)).await? {
            Some(user) => Ok(Some(Authenticated::user(user))),
            None => Err(AuthError::authentication_failed("No such user")),
        }
    }
}

/// The same class with a challenge, so that its failures are 401s.
#[derive(Default)]
struct XUsernameWithChallenge;

impl Authentication for XUsernameWithChallenge {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        XUsernameAuthentication.authenticate(request, config).await
    }
    fn authenticate_header(
        &self,
        _: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        Some("X-Username".into())
    }
}

#[api_view(GET)]
#[authentication_classes(XUsernameWithChallenge)]
#[permission_classes(IsAuthenticated)]
async fn challenged(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[api_view(GET)]
#[authentication_classes(XUsernameAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn custom(request: AuthRequest) -> HttpResponse {
    describe(&request)
}

#[actix_web::test]
async fn a_custom_class_with_the_store() {
    let f = fixture();
    let app = serve!(f.settings().build().unwrap(), "/" => custom, "/challenged" => challenged);
    let reply = send!(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header(("X-Username", "alice"))
    );
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains(r#""by":"XUsernameAuthentication""#));
    let reply = send!(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header(("X-Username", "eve"))
    );
    assert_eq!(reply.summary(), (403, None, r#"{"detail":"No such user"}"#));
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    let reply = send!(
        &app,
        TestRequest::get()
            .uri("/challenged")
            .insert_header(("X-Username", "eve"))
    );
    assert_eq!(
        reply.summary(),
        (401, Some("X-Username"), r#"{"detail":"No such user"}"#)
    );
}

#[actix_web::test]
async fn a_database_error_is_a_503_never_a_pass() {
    // A database without the auth tables: every query fails.
    let (store, _dir) = crate::common::broken_store();
    let settings = AuthSettings::builder().store(store).build().unwrap();
    let proxy = RemoteUserConfig::default().trusted_proxies(["127.0.0.1".parse().unwrap()]);
    let app = serve!(settings, with proxy, "/" => basic_then_token, "/remote" => remote);
    let unavailable = crate::common::UNAVAILABLE;
    for header in [
        basic(b"alice", b"pw"),
        b"Token 0123456789abcdef0123456789abcdef01234567".to_vec(),
    ] {
        let reply = send!(&app, with_auth(TestRequest::get().uri("/"), &header));
        assert_eq!(reply.summary(), (503, None, unavailable));
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    let req = TestRequest::get()
        .uri("/remote")
        .peer_addr("127.0.0.1:1".parse().unwrap())
        .insert_header(("Remote-User", "alice"));
    assert_eq!(send!(&app, req).summary(), (503, None, unavailable));
    // Without credentials nothing is looked up.
    let reply = send!(&app, TestRequest::get().uri("/"));
    assert_eq!(reply.status, 401);
}

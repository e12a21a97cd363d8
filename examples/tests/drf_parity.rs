//! Every `drf_parity` view over HTTP, in process (`actix_web::test`, no
//! socket): statuses, `WWW-Authenticate`, `Allow` and bodies, byte for byte.
//! The real binary is started and probed in `drf_parity_binary.rs`.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::test::{call_service, init_service, TestRequest};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig};
use auth_actix::AuthStore;
use base64::Engine;
use examples::config::Secret;
use examples::parity::{Parity, DENY_MESSAGE};

const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
const DENIED: &str = "You do not have permission to perform this action.";
const INVALID_BASIC: &str = "Invalid username/password.";
const BASIC: &str = "Basic realm=\"api\"";
const ALLOW: &str = "GET, POST, PUT, PATCH, OPTIONS";
/// The methods every parity view implements.
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "PATCH"];

/// A migrated SQLite database with cheap password hashing and the users:
/// `alice` (active), `boss` (staff), `sleepy` (inactive), each with a token.
struct Fixture {
    store: AuthStore,
    alice_key: String,
    boss_key: String,
    sleepy_key: String,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
    let store = AuthStore::connect(&url, &PoolConfig::default())
        .expect("open SQLite")
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().expect("migrate");
    let create = |username: &str, staff: bool, active: bool| {
        let mut new = NewUser::new(username, Some(format!("{username}-pw")));
        new.is_staff = staff;
        new.is_active = active;
        let user = store.create_user(new).expect("create a user");
        store.token_get_or_create(user.id).expect("a token").0.key
    };
    Fixture {
        alice_key: create("alice", false, true),
        boss_key: create("boss", true, true),
        sleepy_key: create("sleepy", false, false),
        store,
        _dir: dir,
    }
}

impl Fixture {
    fn parity(&self) -> Parity {
        Parity::new(self.store.clone(), &Secret::random().expect("a secret"))
            .expect("valid settings")
    }
}

/// The fixture, and its parity app as a test service.
macro_rules! served {
    () => {{
        let f = fixture();
        let app = init_service(f.parity().app()).await;
        (f, app)
    }};
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    challenge: Option<String>,
    allow: Option<String>,
    content_type: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

/// Send a `TestRequest` through an app and read the whole response (a macro:
/// the app's service type cannot be named).
macro_rules! send {
    ($app:expr, $request:expr) => {
        read(call_service($app, $request.to_request()).await).await
    };
}

async fn read<B: MessageBody>(response: ServiceResponse<B>) -> Reply {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let (status, challenge, allow, content_type) = (
        response.status().as_u16(),
        header("www-authenticate"),
        header("allow"),
        header("content-type"),
    );
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Reply {
        status,
        challenge,
        allow,
        content_type,
        set_cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn detail(text: &str) -> String {
    serde_json::json!({ "detail": text }).to_string()
}

fn caller(user: &str, auth: Option<&str>) -> String {
    match auth {
        Some(key) => format!(r#"{{"user":"{user}","auth":"{key}"}}"#),
        None => format!(r#"{{"user":"{user}","auth":null}}"#),
    }
}

fn basic(username: &str, password: &str) -> (String, String) {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    ("Authorization".into(), format!("Basic {encoded}"))
}

fn alice() -> (String, String) {
    basic("alice", "alice-pw")
}

fn boss() -> (String, String) {
    basic("boss", "boss-pw")
}

fn authorization(value: &str) -> (String, String) {
    ("Authorization".into(), value.to_owned())
}

fn request(method: &str, path: &str, headers: &[(String, String)]) -> TestRequest {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = TestRequest::default().method(method).uri(path);
    for (name, value) in headers {
        req = req.insert_header((name.as_str(), value.as_str()));
    }
    req
}

/// One expectation: the request, then the status, `WWW-Authenticate` and body.
struct Case<'a> {
    method: &'a str,
    path: &'a str,
    headers: Vec<(String, String)>,
    status: u16,
    challenge: Option<&'a str>,
    body: String,
}

fn case<'a>(
    method: &'a str,
    path: &'a str,
    headers: Vec<(String, String)>,
    status: u16,
    challenge: Option<&'a str>,
    body: String,
) -> Case<'a> {
    Case {
        method,
        path,
        headers,
        status,
        challenge,
        body,
    }
}

/// Run the cases against an app; each response also carries `Allow` and is JSON.
macro_rules! check {
    ($app:expr, $cases:expr) => {
        for c in $cases {
            let reply = send!($app, request(c.method, c.path, &c.headers));
            c.verify(&reply);
        }
    };
}

impl Case<'_> {
    fn verify(&self, reply: &Reply) {
        let what = format!("{} {} {:?}", self.method, self.path, self.headers);
        assert_eq!(
            (
                reply.status,
                reply.challenge.as_deref(),
                reply.body.as_str()
            ),
            (self.status, self.challenge, self.body.as_str()),
            "{what}"
        );
        assert_eq!(reply.allow.as_deref(), Some(ALLOW), "{what}");
        assert_eq!(
            reply.content_type.as_deref(),
            Some("application/json"),
            "{what}"
        );
    }
}

fn not_allowed(method: &str) -> String {
    detail(&format!("Method \"{method}\" not allowed."))
}

#[actix_web::test]
async fn basic_view() {
    let (f, app) = served!();
    let ok = caller("alice", None);
    #[rustfmt::skip]
    let mut cases = vec![
        case("GET", "/basic/", vec![], 401, Some(BASIC), detail(NOT_PROVIDED)),
        case("GET", "/basic/", vec![basic("alice", "nope")], 401, Some(BASIC), detail(INVALID_BASIC)),
        // An inactive user is refused by the backend, as with Django's ModelBackend.
        case("GET", "/basic/", vec![basic("sleepy", "sleepy-pw")], 401, Some(BASIC), detail(INVALID_BASIC)),
        case("GET", "/basic/", vec![authorization("Basic")], 401, Some(BASIC), detail("Invalid basic header. No credentials provided.")),
        case("GET", "/basic/", vec![authorization("Basic a b")], 401, Some(BASIC), detail("Invalid basic header. Credentials string should not contain spaces.")),
        case("GET", "/basic/", vec![authorization("Basic !!!!")], 401, Some(BASIC), detail("Invalid basic header. Credentials not correctly base64 encoded.")),
        // Another scheme: not attempted.
        case("GET", "/basic/", vec![authorization(&format!("Token {}", f.alice_key))], 401, Some(BASIC), detail(NOT_PROVIDED)),
        // Authentication and permissions come before the 405.
        case("DELETE", "/basic/", vec![], 401, Some(BASIC), detail(NOT_PROVIDED)),
        case("DELETE", "/basic/", vec![alice()], 405, None, not_allowed("DELETE")),
        case("HEAD", "/basic/", vec![alice()], 405, None, not_allowed("HEAD")),
        case("TRACE", "/basic/", vec![alice()], 405, None, not_allowed("TRACE")),
        case("OPTIONS", "/basic/", vec![], 401, Some(BASIC), detail(NOT_PROVIDED)),
    ];
    #[rustfmt::skip]
    let each_method = METHODS.map(|method| case(method, "/basic/", vec![alice()], 200, None, ok.clone()));
    cases.extend(each_method);
    check!(&app, cases);
}

#[actix_web::test]
async fn options_answers_drfs_metadata() {
    let (_f, app) = served!();
    let reply = send!(&app, request("OPTIONS", "/basic/", &[alice()]));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.allow.as_deref(), Some(ALLOW));
    assert_eq!(
        reply.body,
        r#"{"name":"Basic","description":"Basic authentication, authenticated users only.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#
    );
    // Safe for IsAuthenticatedOrReadOnly: anonymous callers get it too.
    let reply = send!(&app, request("OPTIONS", "/ro/", &[]));
    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with(r#"{"name":"Ro","#), "{}", reply.body);
}

#[actix_web::test]
async fn token_and_bearer_views() {
    let (f, app) = served!();
    let token = |key: &str| authorization(&format!("Token {key}"));
    let bearer = |key: &str| authorization(&format!("Bearer {key}"));
    let alice_ok = caller("alice", Some(&f.alice_key));
    #[rustfmt::skip]
    let mut cases = vec![
        case("GET", "/token/", vec![], 401, Some("Token"), detail(NOT_PROVIDED)),
        case("GET", "/token/", vec![token(&"0".repeat(40))], 401, Some("Token"), detail("Invalid token.")),
        case("GET", "/token/", vec![token(&f.sleepy_key)], 401, Some("Token"), detail("User inactive or deleted.")),
        case("GET", "/token/", vec![authorization("Token")], 401, Some("Token"), detail("Invalid token header. No credentials provided.")),
        case("GET", "/token/", vec![authorization("Token a b")], 401, Some("Token"), detail("Invalid token header. Token string should not contain spaces.")),
        // The keyword is case-insensitive.
        case("GET", "/token/", vec![authorization(&format!("token {}", f.alice_key))], 200, None, alice_ok.clone()),
        case("GET", "/token/", vec![alice()], 401, Some("Token"), detail(NOT_PROVIDED)),
        case("GET", "/token/", vec![bearer(&f.alice_key)], 401, Some("Token"), detail(NOT_PROVIDED)),
        case("DELETE", "/token/", vec![token(&f.alice_key)], 405, None, not_allowed("DELETE")),
        case("GET", "/bearer/", vec![], 401, Some("Bearer"), detail(NOT_PROVIDED)),
        case("GET", "/bearer/", vec![token(&f.alice_key)], 401, Some("Bearer"), detail(NOT_PROVIDED)),
        case("GET", "/bearer/", vec![bearer("nope")], 401, Some("Bearer"), detail("Invalid token.")),
        case("GET", "/bearer/", vec![bearer(&f.sleepy_key)], 401, Some("Bearer"), detail("User inactive or deleted.")),
    ];
    #[rustfmt::skip]
    let each_method = METHODS.map(|method| case(method, "/token/", vec![token(&f.alice_key)], 200, None, alice_ok.clone()));
    cases.extend(each_method);
    #[rustfmt::skip]
    let each_method = METHODS.map(|method| case(method, "/bearer/", vec![bearer(&f.boss_key)], 200, None, caller("boss", Some(&f.boss_key))));
    cases.extend(each_method);
    // A key with a byte that is not UTF-8.
    let reply = send!(
        &app,
        TestRequest::get().uri("/token/").insert_header((
            "Authorization",
            actix_web::http::header::HeaderValue::from_bytes(b"Token abc\xb8").expect("bytes"),
        ))
    );
    assert_eq!(
        (reply.status, reply.body),
        (
            401,
            detail("Invalid token header. Token string should not contain invalid characters.")
        )
    );
    check!(&app, cases);
}

#[actix_web::test]
async fn remote_user_view_trusts_loopback_peers_only() {
    let (f, app) = served!();
    let from = |peer: &str, user: Option<&str>| {
        let mut req = TestRequest::get()
            .uri("/remote/")
            .peer_addr(peer.parse().expect("a socket address"));
        if let Some(user) = user {
            req = req.insert_header(("Remote-User", user));
        }
        req
    };
    let reply = send!(&app, from("127.0.0.1:40000", Some("alice")));
    assert_eq!((reply.status, reply.body), (200, caller("alice", None)));
    let reply = send!(&app, from("[::1]:40000", Some("boss")));
    assert_eq!((reply.status, reply.body), (200, caller("boss", None)));
    // Unknown users are created, with an unusable password.
    let newcomer = "remote.newcomer";
    let reply = send!(&app, from("127.0.0.1:40000", Some(newcomer)));
    assert_eq!((reply.status, reply.body), (200, caller(newcomer, None)));
    let created = f
        .store
        .user_by_username(newcomer)
        .unwrap()
        .expect("created");
    assert!(created.password.starts_with('!'), "an unusable password");
    // Not attempted: no header, an inactive user, or a peer that is not a proxy.
    for (peer, user) in [
        ("127.0.0.1:40000", None),
        ("127.0.0.1:40000", Some("sleepy")),
        ("10.0.0.7:40000", Some("alice")),
        ("192.168.1.2:40000", Some("boss")),
    ] {
        let reply = send!(&app, from(peer, user));
        assert_eq!(
            (reply.status, reply.challenge, reply.body),
            (403, None, detail(NOT_PROVIDED)),
            "{peer} {user:?}"
        );
    }
    assert!(
        f.store.user_by_username("mallory").unwrap().is_none(),
        "an untrusted peer creates nobody"
    );
    let reply = send!(&app, from("10.0.0.7:40000", Some("mallory")));
    assert_eq!(reply.status, 403);
    assert!(f.store.user_by_username("mallory").unwrap().is_none());
}

#[actix_web::test]
async fn default_and_multi_class_views() {
    let (f, app) = served!();
    let token = |key: &str| authorization(&format!("Token {key}"));
    #[rustfmt::skip]
    let cases = vec![
        // The app's defaults: Session (no challenge, so 403s), Basic; IsAuthenticated.
        case("GET", "/default/", vec![], 403, None, detail(NOT_PROVIDED)),
        case("POST", "/default/", vec![alice()], 200, None, caller("alice", None)),
        case("GET", "/default/", vec![basic("alice", "nope")], 403, None, detail(INVALID_BASIC)),
        case("GET", "/default/", vec![token(&f.alice_key)], 403, None, detail(NOT_PROVIDED)),
        case("DELETE", "/default/", vec![alice()], 405, None, not_allowed("DELETE")),
        // Basic, then Token: either works; the challenge is the first class's.
        case("GET", "/basic-token/", vec![], 401, Some(BASIC), detail(NOT_PROVIDED)),
        case("GET", "/basic-token/", vec![alice()], 200, None, caller("alice", None)),
        case("PUT", "/basic-token/", vec![token(&f.boss_key)], 200, None, caller("boss", Some(&f.boss_key))),
        case("GET", "/basic-token/", vec![token("nope")], 401, Some(BASIC), detail("Invalid token.")),
        case("GET", "/basic-token/", vec![token(&f.sleepy_key)], 401, Some(BASIC), detail("User inactive or deleted.")),
        case("GET", "/basic-token/", vec![basic("alice", "nope")], 401, Some(BASIC), detail(INVALID_BASIC)),
    ];
    check!(&app, cases);
}

#[actix_web::test]
async fn custom_class_view() {
    let (_f, app) = served!();
    let x = |name: &str| ("X-Username".to_owned(), name.to_owned());
    #[rustfmt::skip]
    let cases = vec![
        case("GET", "/custom/", vec![x("alice")], 200, None, caller("alice", None)),
        case("PATCH", "/custom/", vec![x("boss")], 200, None, caller("boss", None)),
        // No challenge: 403s.
        case("GET", "/custom/", vec![x("nobody")], 403, None, detail("No such user")),
        case("GET", "/custom/", vec![], 403, None, detail(NOT_PROVIDED)),
        case("GET", "/custom/", vec![x("")], 403, None, detail(NOT_PROVIDED)),
        case("GET", "/custom/", vec![alice()], 403, None, detail(NOT_PROVIDED)),
        case("DELETE", "/custom/", vec![x("alice")], 405, None, not_allowed("DELETE")),
    ];
    check!(&app, cases);
}

#[actix_web::test]
async fn permission_views() {
    let (_f, app) = served!();
    let anon = || vec![];
    let a = || vec![alice()];
    let b = || vec![boss()];
    let anonymous = caller("AnonymousUser", None);
    let alice_ok = caller("alice", None);
    let boss_ok = caller("boss", None);
    let not_provided = detail(NOT_PROVIDED);
    let denied = detail(DENIED);
    #[rustfmt::skip]
    let cases = vec![
        // AllowAny: authentication still runs (a bad header fails), methods still checked.
        case("GET", "/open/", anon(), 200, None, anonymous.clone()),
        case("POST", "/open/", anon(), 200, None, anonymous.clone()),
        case("GET", "/open/", a(), 200, None, alice_ok.clone()),
        case("GET", "/open/", vec![basic("alice", "nope")], 401, Some(BASIC), detail(INVALID_BASIC)),
        case("DELETE", "/open/", anon(), 405, None, not_allowed("DELETE")),
        // IsAuthenticatedOrReadOnly.
        case("GET", "/ro/", anon(), 200, None, anonymous.clone()),
        case("POST", "/ro/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("PUT", "/ro/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("PATCH", "/ro/", a(), 200, None, alice_ok.clone()),
        // TRACE is not a safe method for DRF's permissions.
        case("TRACE", "/ro/", anon(), 401, Some(BASIC), not_provided.clone()),
        // IsAdminUser.
        case("GET", "/admin/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("GET", "/admin/", a(), 403, None, denied.clone()),
        case("POST", "/admin/", b(), 200, None, boss_ok.clone()),
        case("DELETE", "/admin/", a(), 403, None, denied.clone()),
        case("DELETE", "/admin/", b(), 405, None, not_allowed("DELETE")),
        // IsAdminUser | ReadOnly.
        case("GET", "/admin-or-ro/", anon(), 200, None, anonymous.clone()),
        case("GET", "/admin-or-ro/", a(), 200, None, alice_ok.clone()),
        case("POST", "/admin-or-ro/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("POST", "/admin-or-ro/", a(), 403, None, denied.clone()),
        case("PUT", "/admin-or-ro/", b(), 200, None, boss_ok.clone()),
        // !IsAdminUser: anonymous users are not staff.
        case("GET", "/not-admin/", anon(), 200, None, anonymous.clone()),
        case("GET", "/not-admin/", a(), 200, None, alice_ok.clone()),
        case("GET", "/not-admin/", b(), 403, None, denied.clone()),
        case("DELETE", "/not-admin/", anon(), 405, None, not_allowed("DELETE")),
        // IsAuthenticated, then DenyWithMessage: its message, once authenticated.
        case("GET", "/deny-msg/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("GET", "/deny-msg/", a(), 403, None, detail(DENY_MESSAGE)),
        case("POST", "/deny-msg/", b(), 403, None, detail(DENY_MESSAGE)),
        // IsAuthenticated & DenyWithMessage: a composition shows the default message.
        case("GET", "/and-deny/", anon(), 401, Some(BASIC), not_provided.clone()),
        case("GET", "/and-deny/", a(), 403, None, denied.clone()),
        case("PATCH", "/and-deny/", b(), 403, None, denied.clone()),
    ];
    check!(&app, cases);
}

#[actix_web::test]
async fn bare_view_has_no_machinery() {
    let (_f, app) = served!();
    for (method, headers) in [
        ("GET", vec![]),
        ("POST", vec![]),
        ("GET", vec![basic("alice", "nope")]),
        ("GET", vec![authorization("Basic")]),
    ] {
        let reply = send!(&app, request(method, "/bare/", &headers));
        assert_eq!(
            (reply.status, reply.body.as_str(), reply.allow.as_deref()),
            (200, r#"{"ok":true}"#, None),
            "{method} {headers:?}"
        );
    }
}

/// A POST to `obtain_auth_token` with `body` as `content_type`.
fn login(content_type: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api-token-auth/")
        .insert_header(("Content-Type", content_type))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn obtain_auth_token_answers_drfs_bodies() {
    let (f, app) = served!();
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let token = format!(r#"{{"token":"{}"}}"#, f.alice_key);
    let unable = r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#;
    let required =
        r#"{"username":["This field is required."],"password":["This field is required."]}"#;
    let multipart = "--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n\
                     --B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nalice-pw\r\n--B--\r\n";
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, u16, &str)> = vec![
        // The key made earlier comes back, in every body format.
        (json, r#"{"username":"alice","password":"alice-pw"}"#, 200, &token),
        (form, "username=alice&password=alice-pw", 200, &token),
        ("multipart/form-data; boundary=B", multipart, 200, &token),
        // The username is trimmed; the password is kept as sent.
        (json, r#"{"username":" alice ","password":"alice-pw"}"#, 200, &token),
        (json, r#"{"username":"alice","password":" alice-pw"}"#, 400, unable),
        (json, r#"{"username":"alice","password":"nope"}"#, 400, unable),
        (json, r#"{"username":"sleepy","password":"sleepy-pw"}"#, 400, unable),
        (json, r#"{"username":"nobody","password":"pw"}"#, 400, unable),
        (json, "{}", 400, required),
        (json, r#"{"username":"alice"}"#, 400, r#"{"password":["This field is required."]}"#),
        (json, r#"{"username":"","password":""}"#, 400, r#"{"username":["This field may not be blank."],"password":["This field may not be blank."]}"#),
        (json, r#"{"username":null,"password":null}"#, 400, r#"{"username":["This field may not be null."],"password":["This field may not be null."]}"#),
        (json, r#"{"username":true,"password":["x"]}"#, 400, r#"{"username":["Not a valid string."],"password":["Not a valid string."]}"#),
        (json, "[]", 400, r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#),
        (json, "\"alice\"", 400, r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}"#),
        (json, "{", 400, r#"{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}"#),
        ("text/plain", r#"{"username":"alice","password":"alice-pw"}"#, 415, r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#),
    ];
    for (content_type, body, status, expected) in cases {
        let reply = send!(&app, login(content_type, body));
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (status, expected),
            "{content_type} {body:?}"
        );
        assert_eq!(reply.allow.as_deref(), Some("POST, OPTIONS"));
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    }
    let reply = send!(&app, TestRequest::get().uri("/api-token-auth/"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (405, r#"{"detail":"Method \"GET\" not allowed."}"#)
    );
    // The app's default authentication runs first: a bad Basic header fails
    // before any password is looked at (a 403: Session, first, has no challenge).
    let reply = send!(
        &app,
        login(json, r#"{"username":"alice","password":"alice-pw"}"#)
            .insert_header(("Authorization", "Basic"))
    );
    assert_eq!(
        (
            reply.status,
            reply.challenge.as_deref(),
            reply.body.as_str()
        ),
        (
            403,
            None,
            detail("Invalid basic header. No credentials provided.").as_str()
        )
    );
    // A user without a token gets one, the same on every login.
    let newcomer = f
        .store
        .create_user(NewUser::new("newcomer", Some("newcomer-pw".into())))
        .expect("a user");
    assert!(f.store.token_for_user(newcomer.id).unwrap().is_none());
    let credentials = r#"{"username":"newcomer","password":"newcomer-pw"}"#;
    let first = send!(&app, login(json, credentials));
    let second = send!(&app, login(json, credentials));
    let key = f
        .store
        .token_for_user(newcomer.id)
        .unwrap()
        .expect("made")
        .key;
    assert_eq!(first.body, format!(r#"{{"token":"{key}"}}"#));
    assert_eq!((first.status, &first.body), (second.status, &second.body));
    // The token works on the token views.
    let reply = send!(
        &app,
        request("GET", "/token/", &[authorization(&format!("Token {key}"))])
    );
    assert_eq!(
        (reply.status, reply.body),
        (200, caller("newcomer", Some(&key)))
    );
}

/// A browser's cookies, enough for these tests.
#[derive(Default, Clone)]
struct Jar(std::collections::BTreeMap<String, String>);

impl Jar {
    /// Keeps what the response set; drops what it expired.
    fn update(&mut self, reply: &Reply) {
        for cookie in &reply.set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = value.is_empty() || cookie.to_ascii_lowercase().contains("max-age=0");
            if expired {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The request, with the cookies.
    fn on(&self, request: TestRequest) -> TestRequest {
        if self.0.is_empty() {
            return request;
        }
        let cookies: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        request.insert_header(("Cookie", cookies.join("; ")))
    }
}

fn csrf_failed(reason: &str) -> String {
    detail(&format!("CSRF Failed: {reason}"))
}

#[actix_web::test]
async fn session_views_with_login_csrf_and_logout() {
    let (f, app) = served!();
    let mut jar = Jar::default();
    let credentials = r#"{"username":"alice","password":"alice-pw"}"#;
    let post_login = |jar: &Jar, token: Option<&str>, body: &str| {
        let mut req = jar.on(TestRequest::post()
            .uri("/login/")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_owned()));
        if let Some(token) = token {
            req = req.insert_header(("X-CSRFToken", token.to_owned()));
        }
        req
    };

    // Login is CSRF-protected for everyone, as Django's LoginView.
    let reply = send!(&app, post_login(&jar, None, credentials));
    assert_eq!(
        (reply.status, reply.body),
        (403, csrf_failed("CSRF cookie not set."))
    );

    // /csrf/: a masked token and the cookie holding its secret.
    let reply = send!(&app, jar.on(TestRequest::get().uri("/csrf/")));
    jar.update(&reply);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let token = body["csrftoken"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    let secret = jar
        .get("csrftoken")
        .expect("the csrftoken cookie")
        .to_owned();
    assert_eq!(secret.len(), 32);

    let reply = send!(&app, post_login(&jar, None, credentials));
    assert_eq!(
        (reply.status, reply.body),
        (403, csrf_failed("CSRF token missing."))
    );
    let wrong = r#"{"username":"alice","password":"nope"}"#;
    let reply = send!(&app, post_login(&jar, Some(&token), wrong));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            400,
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#
        )
    );
    assert!(jar.get("sessionid").is_none());

    let reply = send!(&app, post_login(&jar, Some(&token), credentials));
    jar.update(&reply);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"user":"alice"}"#)
    );
    let session_cookie = jar.get("sessionid").expect("a session").to_owned();
    let rotated = jar.get("csrftoken").expect("a CSRF cookie").to_owned();
    assert_ne!(rotated, secret, "login rotates the CSRF secret");

    // Safe methods need no token.
    for path in ["/session/", "/token-session/", "/default/"] {
        let reply = send!(&app, jar.on(request("GET", path, &[])));
        assert_eq!(
            (reply.status, reply.body),
            (200, caller("alice", None)),
            "{path}"
        );
    }
    // Unsafe ones need the token of the current secret.
    let reply = send!(&app, jar.on(request("POST", "/session/", &[])));
    assert_eq!(
        (reply.status, reply.challenge, reply.body),
        (403, None, csrf_failed("CSRF token missing."))
    );
    let stale = ("X-CSRFToken".to_owned(), token.clone());
    let reply = send!(&app, jar.on(request("PUT", "/session/", &[stale])));
    assert_eq!(
        (reply.status, reply.body),
        (
            403,
            csrf_failed("CSRF token from the 'X-Csrftoken' HTTP header incorrect.")
        )
    );
    let current = ("X-CSRFToken".to_owned(), rotated.clone());
    for method in ["POST", "PUT", "PATCH"] {
        let reply = send!(
            &app,
            jar.on(request(method, "/session/", std::slice::from_ref(&current)))
        );
        assert_eq!((reply.status, reply.body), (200, caller("alice", None)));
    }
    let reply = send!(
        &app,
        jar.on(request(
            "DELETE",
            "/session/",
            std::slice::from_ref(&current)
        ))
    );
    assert_eq!((reply.status, reply.body), (405, not_allowed("DELETE")));
    // Token comes first on /token-session/, and needs no CSRF token.
    let boss_token = authorization(&format!("Token {}", f.boss_key));
    let reply = send!(
        &app,
        jar.on(request("POST", "/token-session/", &[boss_token]))
    );
    assert_eq!(
        (reply.status, reply.body),
        (200, caller("boss", Some(&f.boss_key)))
    );
    // A session user on a Basic-only view is not authenticated there.
    let reply = send!(&app, jar.on(request("GET", "/basic/", &[])));
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some(BASIC))
    );

    // Without the cookie: anonymous, and Session has no challenge.
    let reply = send!(&app, request("GET", "/session/", &[]));
    assert_eq!(
        (reply.status, reply.challenge, reply.body),
        (403, None, detail(NOT_PROVIDED))
    );
    let reply = send!(&app, request("GET", "/token-session/", &[]));
    assert_eq!(
        (reply.status, reply.challenge.as_deref()),
        (401, Some("Token"))
    );

    // Logout needs the token too, and ends the session on the server.
    let reply = send!(&app, jar.on(request("POST", "/logout/", &[])));
    assert_eq!(
        (reply.status, reply.body),
        (403, csrf_failed("CSRF token missing."))
    );
    let reply = send!(&app, jar.on(request("POST", "/logout/", &[current])));
    jar.update(&reply);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"Successfully logged out."}"#)
    );
    assert!(jar.get("sessionid").is_none());
    // A copy of the old cookie opens nothing.
    let replayed = TestRequest::get()
        .uri("/session/")
        .insert_header(("Cookie", format!("sessionid={session_cookie}")));
    let reply = send!(&app, replayed);
    assert_eq!((reply.status, reply.body), (403, detail(NOT_PROVIDED)));
}

#[actix_web::test]
async fn dj_rest_auth_is_mounted_with_its_defaults() {
    let (f, app) = served!();
    let json = |method: &str, path: &str, headers: &[(String, String)], body: serde_json::Value| {
        request(method, path, headers).set_json(body)
    };
    // A stale token does not block the login; SESSION_LOGIN starts a session.
    let reply = send!(
        &app,
        json(
            "POST",
            "/dj-rest-auth/login/",
            &[authorization("Token stale")],
            serde_json::json!({"username": "alice", "password": "alice-pw"}),
        )
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, format!(r#"{{"key":"{}"}}"#, f.alice_key).as_str())
    );
    assert!(
        reply
            .set_cookies
            .iter()
            .any(|c| c.starts_with("sessionid="))
            && reply
                .set_cookies
                .iter()
                .any(|c| c.starts_with("csrftoken=")),
        "{:?}",
        reply.set_cookies
    );
    let token = authorization(&format!("Token {}", f.alice_key));
    let reply = send!(
        &app,
        request("GET", "/dj-rest-auth/user/", std::slice::from_ref(&token))
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            200,
            r#"{"pk":1,"username":"alice","email":"","first_name":"","last_name":""}"#
        )
    );
    let reply = send!(
        &app,
        json(
            "POST",
            "/dj-rest-auth/password/reset/",
            &[],
            serde_json::json!({"email": "nobody@example.com"}),
        )
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, detail("Password reset e-mail has been sent.").as_str())
    );
    let reply = send!(&app, request("GET", "/dj-rest-auth/logout/", &[]));
    assert_eq!(
        (reply.status, reply.allow.as_deref()),
        (405, Some("GET, POST, HEAD, OPTIONS"))
    );
    let reply = send!(
        &app,
        request(
            "POST",
            "/dj-rest-auth/logout/",
            std::slice::from_ref(&token)
        )
    );
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, detail("Successfully logged out.").as_str())
    );
    assert!(f.store.token_for_user(1).unwrap().is_none());
}

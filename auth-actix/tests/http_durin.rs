//! Django-Rest-Durin over HTTP (feature `durin`): every status and body of
//! the login, refresh, logout, logoutall, sessions and apiaccess views and of
//! `DurinTokenAuthentication`, expiry on a clock the tests move, the
//! per-client throttle, the client permissions, and 503s when the store is
//! down. (Durin itself reads and writes these tables in the workspace's
//! `tests` crate.)

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::durin::{Client, DurinAuth, DurinSettings, DurinStore};
use auth_actix::auth_core::NewUser;
use auth_actix::durin::{
    self as durin, AllowSpecificClients, ClientNames, DisallowSpecificClients,
    DurinTokenAuthentication, UserClientRateThrottle,
};
use auth_actix::prelude::*;
use auth_actix::{Auth, AuthStore};
use chrono::{DateTime, NaiveDateTime, TimeDelta};
use serde_json::{json, Value};

use crate::common::{with_auth, Reply, UNAVAILABLE};

/// `/durin/`'s view in `drf_parity`: who, and with which token.
#[api_view(GET, POST)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
#[throttle_classes(UserClientRateThrottle)]
async fn whoami(request: AuthRequest) -> HttpResponse {
    let token = request
        .auth()
        .and_then(Auth::get::<DurinAuth>)
        .map(|auth| auth.token.token().to_owned());
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "auth": token}))
}

struct Mobile;
impl ClientNames for Mobile {
    const NAMES: &'static [&'static str] = &["ios"];
}

#[api_view(GET)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(AllowSpecificClients<Mobile>)]
async fn mobile_only() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(DisallowSpecificClients<Mobile>)]
async fn not_mobile() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The instant 2026-12-05 10:00:00.250000 UTC, plus what the test adds.
#[derive(Clone)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn start() -> NaiveDateTime {
        DateTime::from_timestamp(1_796_464_800, 250_000_000)
            .unwrap()
            .naive_utc()
    }
    fn now(&self) -> NaiveDateTime {
        Self::start() + TimeDelta::microseconds(self.0.load(Ordering::SeqCst))
    }
    fn advance(&self, by: TimeDelta) {
        self.0
            .fetch_add(by.num_microseconds().unwrap(), Ordering::SeqCst);
    }
    fn seconds(&self) -> f64 {
        self.now().and_utc().timestamp_micros() as f64 / 1e6
    }
}

struct Fixture {
    store: AuthStore,
    durin: DurinStore,
    clock: Clock,
    web: Client,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let (store, dir) = crate::common::sqlite_store();
    for (name, active) in [("alice", true), ("bob", true), ("carol", false)] {
        let mut user = NewUser::new(name, Some("pw".into()));
        user.is_active = active;
        store.create_user(user).unwrap();
    }
    let clock = Clock(Arc::new(AtomicI64::new(0)));
    let c = clock.clone();
    let durin = DurinStore::from(&store).with_clock(Arc::new(move || c.now()));
    let web = durin.create_client("web", TimeDelta::hours(2), "").unwrap();
    durin
        .create_client("ios", TimeDelta::days(30), "2/m")
        .unwrap();
    Fixture {
        store,
        durin,
        clock,
        web,
        _dir: dir,
    }
}

/// The app over the fixture with these Durin settings: Durin's URLs and the
/// test views under `/durin/`, the throttle clock on the fixture's.
macro_rules! app {
    ($f:expr, $settings:expr) => {{
        let clock = $f.clock.clone();
        let auth = AuthSettings::builder()
            .store($f.store.clone())
            .throttle_timer(move || clock.seconds())
            .build()
            .unwrap();
        init_service(
            App::new()
                .app_data(auth)
                .app_data($settings)
                .app_data($f.durin.clone())
                .service(
                    web::scope("/durin")
                        .configure(durin::urls)
                        .route("/", web::to(whoami))
                        .route("/mobile/", web::to(mobile_only))
                        .route("/not-mobile/", web::to(not_mobile)),
                ),
        )
        .await
    }};
}

macro_rules! call {
    ($app:expr, $req:expr) => {
        crate::common::read(actix_web::test::call_service($app, $req.to_request()).await).await
    };
}

/// Logs `username` in for `client`: the token.
macro_rules! logged_in {
    ($app:expr, $username:expr, $client:expr) => {{
        let reply = call!($app, login($username, Some($client)));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()["token"].as_str().unwrap().to_owned()
    }};
}

fn login(username: &str, client: Option<&str>) -> TestRequest {
    let mut body = json!({"username": username, "password": "pw"});
    if let Some(client) = client {
        body["client"] = json!(client);
    }
    TestRequest::post().uri("/durin/login/").set_json(body)
}

fn token(req: TestRequest, token: &str) -> TestRequest {
    with_auth(req, format!("Token {token}").as_bytes())
}

fn detail(text: &str) -> String {
    json!({ "detail": text }).to_string()
}

/// `(status, WWW-Authenticate, body)` of a 401 with Durin's challenge.
fn unauthorized(reply: &Reply, message: &str) {
    assert_eq!(
        reply.summary(),
        (401, Some("Token"), detail(message).as_str()),
        "{reply:?}"
    );
}

#[actix_web::test]
async fn login_answers_as_durin() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());

    let reply = call!(&app, login("alice", Some("web")));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    // Two hours after the clock's instant, DRF's rendering in UTC.
    assert_eq!(
        reply.body,
        format!(r#"{{"expiry":"2026-12-05T12:00:00.250000Z","token":"{token}"}}"#)
    );
    // A repeat login (later) gives the same token and expiry.
    f.clock.advance(TimeDelta::minutes(5));
    assert_eq!(call!(&app, login("alice", Some("web"))).body, reply.body);
    // Another client: another token.
    let other = call!(&app, login("alice", Some("ios"))).json();
    assert_ne!(other["token"], body["token"]);
    assert_eq!(other["expiry"], "2027-01-04T10:05:00.250000Z");
    // Forms work as well.
    let form = TestRequest::post().uri("/durin/login/").set_form([
        ("username", "alice"),
        ("password", "pw"),
        ("client", "web"),
    ]);
    assert_eq!(call!(&app, form).body, reply.body);
    let last_login = f
        .store
        .user_by_username("alice")
        .unwrap()
        .unwrap()
        .last_login;
    assert!(last_login.is_some(), "login updates last_login");
}

#[actix_web::test]
async fn login_errors_in_durins_order() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let bad = |body: Value| TestRequest::post().uri("/durin/login/").set_json(body);
    let cases = [
        (
            bad(json!({"client": "web"})),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#
                .to_owned(),
        ),
        (
            bad(json!({"username": "alice", "password": "nope", "client": "web"})),
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#.to_owned(),
        ),
        // An inactive user cannot log in (Django's ModelBackend).
        (
            bad(json!({"username": "carol", "password": "pw", "client": "web"})),
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#.to_owned(),
        ),
        (login("alice", None), detail("No client specified.")),
        (
            bad(json!({"username": "alice", "password": "pw", "client": ""})),
            detail("No client specified."),
        ),
        (
            bad(json!({"username": "alice", "password": "pw", "client": null})),
            detail("No client specified."),
        ),
        (
            login("alice", Some("tv")),
            detail("No client with that name."),
        ),
        (
            login("alice", Some("WEB")),
            detail("No client with that name."),
        ),
        (
            bad(json!({"username": "alice", "password": "pw", "client": ["web"]})),
            detail("No client with that name."),
        ),
    ];
    for (request, body) in cases {
        let reply = call!(&app, request);
        assert_eq!((reply.status, reply.body.as_str()), (400, body.as_str()));
    }
    let get = call!(&app, TestRequest::get().uri("/durin/login/"));
    assert_eq!(
        (get.status, get.body.as_str()),
        (405, detail(r#"Method "GET" not allowed."#).as_str())
    );
    assert!(
        f.durin.sessions(1, None).unwrap().is_empty(),
        "no token made"
    );
}

#[actix_web::test]
async fn login_with_refresh_on_login_and_the_user_serializer() {
    let f = fixture();
    let settings = DurinSettings::builder()
        .refresh_token_on_login(true)
        .user_serializer(true)
        .build()
        .unwrap();
    let app = app!(f, settings);
    let first = call!(&app, login("alice", Some("web"))).json();
    assert_eq!(first["user"], json!({"username": "alice"}));
    f.clock.advance(TimeDelta::minutes(30));
    let second = call!(&app, login("alice", Some("web")));
    let body = second.json();
    assert_eq!(body["token"], first["token"]);
    assert_eq!(
        second.body,
        format!(
            r#"{{"expiry":"2026-12-05T12:30:00.250000Z","token":{},"user":{{"username":"alice"}}}}"#,
            first["token"]
        )
    );
}

#[actix_web::test]
async fn authentication_rules_and_401s() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let alice = logged_in!(&app, "alice", "web");
    let whoami = || TestRequest::get().uri("/durin/");

    let reply = call!(&app, token(whoami(), &alice));
    assert_eq!(
        (reply.status, reply.body.clone()),
        (200, format!(r#"{{"auth":"{alice}","user":"alice"}}"#))
    );
    // The keyword is case-insensitive.
    let lower = call!(
        &app,
        with_auth(whoami(), format!("token {alice}").as_bytes())
    );
    assert_eq!(lower.status, 200);

    unauthorized(
        &call!(&app, whoami()),
        "Authentication credentials were not provided.",
    );
    unauthorized(
        &call!(&app, with_auth(whoami(), b"Bearer x")),
        "Authentication credentials were not provided.",
    );
    unauthorized(
        &call!(&app, with_auth(whoami(), b"Token")),
        "Invalid token header. No credentials provided.",
    );
    unauthorized(
        &call!(&app, with_auth(whoami(), b"Token a b")),
        "Invalid token header. Token string should not contain spaces.",
    );
    unauthorized(
        &call!(&app, with_auth(whoami(), b"Token \xc3\x28\xff")),
        "Invalid token.",
    );
    unauthorized(
        &call!(&app, token(whoami(), "0".repeat(64).as_str())),
        "Invalid token.",
    );
    unauthorized(
        &call!(&app, token(whoami(), &alice.to_uppercase())),
        "Invalid token.",
    );
    unauthorized(
        &call!(&app, token(whoami(), &"a".repeat(65))),
        "Invalid token.",
    );
    // The header twice, one of them ours: refused, whichever comes first.
    let twice = whoami()
        .append_header(("Authorization", format!("Token {alice}")))
        .append_header(("Authorization", "Basic eDp5"));
    unauthorized(
        &call!(&app, twice),
        "Invalid token header. Token string should not contain spaces.",
    );

    // An inactive user's token.
    let carol_id = f.store.user_by_username("carol").unwrap().unwrap().id;
    let carol = f
        .durin
        .login(carol_id, &f.web, &DurinSettings::default())
        .unwrap();
    unauthorized(
        &call!(&app, token(whoami(), carol.token())),
        "User inactive or deleted.",
    );
}

#[actix_web::test]
async fn tokens_expire_on_the_clock_and_refresh_extends_them() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let alice = logged_in!(&app, "alice", "web");
    let whoami = || TestRequest::get().uri("/durin/");

    f.clock.advance(TimeDelta::minutes(90));
    let refreshed = call!(
        &app,
        token(TestRequest::post().uri("/durin/refresh/"), &alice)
    );
    assert_eq!(
        (refreshed.status, refreshed.body.as_str()),
        (200, r#"{"expiry":"2026-12-05T13:30:00.250000Z"}"#)
    );
    f.clock.advance(TimeDelta::hours(2));
    assert_eq!(
        call!(&app, token(whoami(), &alice)).status,
        200,
        "the expiry itself still works"
    );
    f.clock.advance(TimeDelta::microseconds(1));
    unauthorized(
        &call!(&app, token(whoami(), &alice)),
        "The given token has expired.",
    );
    // Durin deleted the row.
    unauthorized(&call!(&app, token(whoami(), &alice)), "Invalid token.");
    let again = logged_in!(&app, "alice", "web");
    assert_ne!(again, alice, "a login after expiry makes a new token");
}

#[actix_web::test]
async fn logout_and_logoutall() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let web = logged_in!(&app, "alice", "web");
    let ios = logged_in!(&app, "alice", "ios");
    let bob = logged_in!(&app, "bob", "web");
    let whoami = || TestRequest::get().uri("/durin/");

    let out = call!(&app, token(TestRequest::post().uri("/durin/logout/"), &web));
    assert_eq!(
        (out.status, out.body.as_str(), out.header("content-type")),
        (204, "", None)
    );
    unauthorized(&call!(&app, token(whoami(), &web)), "Invalid token.");
    assert_eq!(call!(&app, token(whoami(), &ios)).status, 200);

    let web = logged_in!(&app, "alice", "web");
    let all = call!(
        &app,
        token(TestRequest::post().uri("/durin/logoutall/"), &ios)
    );
    assert_eq!((all.status, all.body.as_str()), (204, ""));
    unauthorized(&call!(&app, token(whoami(), &web)), "Invalid token.");
    unauthorized(&call!(&app, token(whoami(), &ios)), "Invalid token.");
    assert_eq!(
        call!(&app, token(whoami(), &bob)).status,
        200,
        "bob's stays"
    );

    // Unauthenticated: Durin's 401.
    unauthorized(
        &call!(&app, TestRequest::post().uri("/durin/logout/")),
        "Authentication credentials were not provided.",
    );
    unauthorized(
        &call!(&app, TestRequest::post().uri("/durin/refresh/")),
        "Authentication credentials were not provided.",
    );
}

#[actix_web::test]
async fn sessions_list_and_delete() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let web = logged_in!(&app, "alice", "web");
    f.clock.advance(TimeDelta::seconds(1));
    let ios = logged_in!(&app, "alice", "ios");
    let bob = logged_in!(&app, "bob", "web");
    let sessions = || TestRequest::get().uri("/durin/sessions/");

    let list = call!(&app, token(sessions(), &web));
    assert_eq!(list.status, 200);
    let ids: Vec<i64> = f
        .durin
        .sessions(1, None)
        .unwrap()
        .iter()
        .map(|s| s.token.id)
        .collect();
    assert_eq!(
        list.body,
        format!(
            concat!(
                r#"[{{"id":{},"client":"web","created":"2026-12-05T10:00:00.250000Z","expiry":"2026-12-05T12:00:00.250000Z","has_expired":false,"is_current":true,"expires_in_str":"2 hours"}},"#,
                r#"{{"id":{},"client":"ios","created":"2026-12-05T10:00:01.250000Z","expiry":"2027-01-04T10:00:01.250000Z","has_expired":false,"is_current":false,"expires_in_str":"a month"}}]"#
            ),
            ids[0], ids[1]
        )
    );

    // Deleting the current token: Durin's 400 (its text, without the space).
    let own = call!(
        &app,
        token(
            TestRequest::delete().uri(&format!("/durin/sessions/{}", ids[0])),
            &web
        )
    );
    assert_eq!(
        (own.status, own.body.as_str()),
        (
            400,
            r#"["Can't delete token if the request is authed with it.Use /durin/logout/ instead."]"#
        )
    );
    // Someone else's, or none: 404.
    let bob_id = f.durin.sessions(2, None).unwrap()[0].token.id;
    for id in [bob_id.to_string(), "999".into(), "abc".into()] {
        let reply = call!(
            &app,
            token(
                TestRequest::delete().uri(&format!("/durin/sessions/{id}")),
                &web
            )
        );
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (
                404,
                detail("No AuthToken matches the given query.").as_str()
            ),
            "{id}"
        );
    }
    // Durin's double-slash route is not copied.
    let double = call!(
        &app,
        token(
            TestRequest::delete().uri(&format!("/durin/sessions//{}", ids[1])),
            &web
        )
    );
    assert_eq!(double.status, 404);
    // Another of mine: gone.
    let other = call!(
        &app,
        token(
            TestRequest::delete().uri(&format!("/durin/sessions/{}", ids[1])),
            &web
        )
    );
    assert_eq!((other.status, other.body.as_str()), (204, ""));
    unauthorized(
        &call!(&app, token(TestRequest::get().uri("/durin/"), &ios)),
        "Invalid token.",
    );
    assert_eq!(
        call!(&app, token(TestRequest::get().uri("/durin/"), &bob)).status,
        200
    );
    // The list is GET only; the detail DELETE only.
    assert_eq!(
        call!(
            &app,
            token(TestRequest::post().uri("/durin/sessions/"), &web)
        )
        .status,
        405
    );
    assert_eq!(
        call!(
            &app,
            token(
                TestRequest::get().uri(&format!("/durin/sessions/{}", ids[0])),
                &web
            )
        )
        .status,
        405
    );

    // An expired token stays listed (has_expired) until presented or purged.
    f.clock.advance(TimeDelta::hours(3));
    let bob2 = logged_in!(&app, "alice", "ios");
    let list = call!(&app, token(sessions(), &bob2)).json();
    assert_eq!(list[0]["has_expired"], true);
    assert_eq!(
        f.durin.purge_expired().unwrap(),
        2,
        "alice's web and bob's web"
    );
    assert_eq!(
        call!(&app, token(sessions(), &bob2))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn apiaccess() {
    let f = fixture();
    // Unset API_ACCESS_CLIENT_NAME: Durin's AssertionError, a 500.
    let app = app!(f, DurinSettings::default());
    let web = logged_in!(&app, "alice", "web");
    let reply = call!(
        &app,
        token(TestRequest::get().uri("/durin/apiaccess/"), &web)
    );
    assert_eq!(reply.status, 500);

    f.durin
        .create_client("api", TimeDelta::days(365), "")
        .unwrap();
    let settings = DurinSettings::builder()
        .api_access_client_name("api")
        .build()
        .unwrap();
    let app = app!(f, settings);
    let get = || token(TestRequest::get().uri("/durin/apiaccess/"), &web);
    let missing = call!(&app, get());
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (404, detail("Not found.").as_str())
    );
    let made = call!(
        &app,
        token(TestRequest::post().uri("/durin/apiaccess/"), &web)
    );
    assert_eq!(made.status, 201);
    let api = made.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        made.body,
        format!(
            r#"{{"client":"api","created":"2026-12-05T10:00:00.250000Z","expiry":"2027-12-05T10:00:00.250000Z","has_expired":false,"expires_in_str":"a year","token":"{api}"}}"#
        )
    );
    let again = call!(
        &app,
        token(TestRequest::post().uri("/durin/apiaccess/"), &web)
    );
    assert_eq!(
        (again.status, again.body.as_str()),
        (400, r#"["An API token was already issued to you."]"#)
    );
    let shown = call!(&app, get());
    assert_eq!(
        (shown.status, shown.body.as_str()),
        (
            200,
            r#"{"client":"api","created":"2026-12-05T10:00:00.250000Z","expiry":"2027-12-05T10:00:00.250000Z","has_expired":false,"expires_in_str":"a year"}"#
        )
    );
    // The API token authenticates like any other.
    assert_eq!(
        call!(&app, token(TestRequest::get().uri("/durin/"), &api)).status,
        200
    );
    let gone = call!(
        &app,
        token(TestRequest::delete().uri("/durin/apiaccess/"), &web)
    );
    assert_eq!((gone.status, gone.body.as_str()), (204, ""));
    assert_eq!(call!(&app, get()).status, 404);
    assert_eq!(
        call!(
            &app,
            token(TestRequest::delete().uri("/durin/apiaccess/"), &web)
        )
        .status,
        404
    );

    // API_ACCESS_RESPONSE_INCLUDE_TOKEN and API_ACCESS_EXCLUDE_FROM_SESSIONS.
    let settings = DurinSettings::builder()
        .api_access_client_name("api")
        .api_access_response_include_token(true)
        .api_access_exclude_from_sessions(true)
        .build()
        .unwrap();
    let app = app!(f, settings);
    let api = call!(
        &app,
        token(TestRequest::post().uri("/durin/apiaccess/"), &web)
    )
    .json()["token"]
        .clone();
    assert_eq!(call!(&app, get()).json()["token"], api);
    let list = call!(
        &app,
        token(TestRequest::get().uri("/durin/sessions/"), &web)
    )
    .json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["client"], "web");
}

#[actix_web::test]
async fn throttled_per_user_and_client_at_the_clients_rate() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let ios = logged_in!(&app, "alice", "ios"); // 2/m
    let web = logged_in!(&app, "alice", "web"); // no rate
    let bob = logged_in!(&app, "bob", "ios");
    let whoami = |t: &str| token(TestRequest::get().uri("/durin/"), t);

    for _ in 0..2 {
        assert_eq!(call!(&app, whoami(&ios)).status, 200);
    }
    f.clock.advance(TimeDelta::seconds(15));
    let refused = call!(&app, whoami(&ios));
    assert_eq!(
        (
            refused.status,
            refused.header("retry-after"),
            refused.body.as_str()
        ),
        (
            429,
            Some("45"),
            detail("Request was throttled. Expected available in 45 seconds.").as_str()
        )
    );
    // Another user of the same client has a budget of their own; a client
    // without a rate is not throttled.
    assert_eq!(call!(&app, whoami(&bob)).status, 200);
    for _ in 0..10 {
        assert_eq!(call!(&app, whoami(&web)).status, 200);
    }
    f.clock.advance(TimeDelta::seconds(46));
    assert_eq!(call!(&app, whoami(&ios)).status, 200);
}

#[actix_web::test]
async fn client_permissions() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let ios = logged_in!(&app, "alice", "ios");
    let web = logged_in!(&app, "alice", "web");
    let denied = detail("You do not have permission to perform this action.");
    let get = |path: &str, t: &str| token(TestRequest::get().uri(path), t);
    assert_eq!(call!(&app, get("/durin/mobile/", &ios)).status, 200);
    let reply = call!(&app, get("/durin/mobile/", &web));
    assert_eq!((reply.status, reply.body.as_str()), (403, denied.as_str()));
    assert_eq!(call!(&app, get("/durin/not-mobile/", &web)).status, 200);
    assert_eq!(call!(&app, get("/durin/not-mobile/", &ios)).status, 403);
    // Without a token: DRF's not-authenticated answer.
    let anonymous = call!(&app, TestRequest::get().uri("/durin/mobile/"));
    assert_eq!(anonymous.status, 401);
}

#[actix_web::test]
async fn a_store_that_is_down_is_a_503_never_a_401() {
    let f = fixture();
    let app = app!(f, DurinSettings::default());
    let web = logged_in!(&app, "alice", "web");
    // The same app over a database without tables.
    let (broken, _dir) = crate::common::broken_store();
    let auth = AuthSettings::builder()
        .store(broken.clone())
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .app_data(auth)
            .app_data(DurinSettings::default())
            .app_data(DurinStore::from(&broken))
            .service(
                web::scope("/durin")
                    .configure(durin::urls)
                    .route("/", web::to(whoami)),
            ),
    )
    .await;
    for request in [
        token(TestRequest::get().uri("/durin/"), &web),
        token(TestRequest::post().uri("/durin/logout/"), &web),
        token(TestRequest::get().uri("/durin/sessions/"), &web),
        login("alice", Some("web")),
    ] {
        let reply = call!(&app, request);
        assert_eq!((reply.status, reply.body.as_str()), (503, UNAVAILABLE));
    }
}

#[actix_web::test]
async fn missing_app_data_is_a_500_naming_the_fix() {
    let (store, _dir) = crate::common::sqlite_store();
    let auth = AuthSettings::builder().store(store).build().unwrap();
    let app = init_service(
        App::new().app_data(auth).service(
            web::scope("/durin")
                .configure(durin::urls)
                .route("/", web::to(whoami)),
        ),
    )
    .await;
    let reply = call!(
        &app,
        with_auth(TestRequest::get().uri("/durin/"), b"Token abc")
    );
    assert_eq!(reply.status, 500);
}

mod properties {
    use super::*;
    use auth_actix::auth_core::durin::validate_client_throttle_rate;
    use auth_actix::auth_core::throttling::Rate;
    use proptest::prelude::*;

    const MESSAGES: [&str; 3] = [
        "Invalid token header. No credentials provided.",
        "Invalid token header. Token string should not contain spaces.",
        "Invalid token.",
    ];

    fn is_py_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }

    proptest! {
        /// Any header: not ours, a token that round-trips, or one of Durin's 401s.
        #[test]
        fn any_header_parses_or_fails_with_durins_words(
            header in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..80),
                ("[tT][oO][kK][eE][nN]", proptest::collection::vec(any::<u8>(), 0..70))
                    .prop_map(|(k, rest)| [k.as_bytes(), b" ", &rest].concat()),
            ]
        ) {
            match DurinTokenAuthentication::parse_header(&header, "Token") {
                Ok(None) => {}
                Ok(Some(token)) => {
                    prop_assert!(!token.is_empty() && !token.bytes().any(is_py_space));
                    let again = format!("TOKEN {token}");
                    prop_assert_eq!(
                        DurinTokenAuthentication::parse_header(again.as_bytes(), "Token").unwrap(),
                        Some(token)
                    );
                }
                Err(err) => {
                    prop_assert_eq!(err.status(), 401);
                    prop_assert!(MESSAGES.contains(&err.to_string().as_str()), "{}", err);
                }
            }
        }

        /// A Durin token (64 lowercase hex) always comes back whole.
        #[test]
        fn durin_tokens_parse(token in "[0-9a-f]{64}", keyword in "[tT]oken", gap in "[ \t]{1,3}") {
            let header = format!("{keyword}{gap}{token}{gap}");
            prop_assert_eq!(
                DurinTokenAuthentication::parse_header(header.as_bytes(), "Token").unwrap(),
                Some(token.as_str())
            );
        }

        /// Durin's rates are DRF's rates with the period spelt in one letter;
        /// any other spelling is refused with Python's words.
        #[test]
        fn client_rates(n in -5i64..100_000, period in "[a-z]{0,4}", space in " {0,2}") {
            let rate = format!("{space}{n}{space}/{period}");
            let seconds = match period.as_str() {
                "s" => Some(1),
                "m" => Some(60),
                "h" => Some(3_600),
                "d" => Some(86_400),
                _ => None,
            };
            match (validate_client_throttle_rate(&rate), seconds) {
                (Ok(Some(parsed)), Some(seconds)) => {
                    prop_assert_eq!(parsed, (n, seconds));
                    let drf = Rate::parse(&rate).unwrap();
                    prop_assert_eq!((drf.num_requests(), drf.duration()), (n, seconds));
                }
                (Err(err), None) => {
                    prop_assert_eq!(err.to_string(), format!("invalid period '{period}'."));
                }
                (other, _) => prop_assert!(false, "{:?} for {:?}", other, rate),
            }
        }

        /// Any text as a rate: accepted as Durin's validator would, or refused, never a panic.
        #[test]
        fn any_rate_text(rate in "\\PC{0,12}") {
            if let Ok(Some((_, seconds))) = validate_client_throttle_rate(&rate) {
                prop_assert!([1, 60, 3_600, 86_400].contains(&seconds));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Client names: 1 to 64 characters (not all blank) are created once and found
        /// exactly; longer ones and duplicates are refused with Durin's words.
        #[test]
        fn client_names(name in "\\PC{1,70}") {
            let (store, _dir) = crate::common::sqlite_store();
            let durin = DurinStore::from(&store);
            let made = durin.create_client(&format!(" {name}\t"), TimeDelta::days(1), "");
            // DRF's CharField strips the white space around it.
            let name = auth_actix::auth_core::compat::py_strip(&name).to_owned();
            let length = name.chars().count();
            if name.is_empty() {
                prop_assert_eq!(made.unwrap_err().to_string(), "name: This field may not be blank.");
            } else if length > 64 {
                prop_assert_eq!(
                    made.unwrap_err().to_string(),
                    "name: Ensure this field has no more than 64 characters."
                );
            } else {
                let client = made.unwrap();
                prop_assert_eq!(&client.name, &name);
                prop_assert_eq!(durin.client_by_name(&name).unwrap(), Some(client));
                prop_assert_eq!(
                    durin.create_client(&name, TimeDelta::days(1), "").unwrap_err().to_string(),
                    "name: client with this name already exists."
                );
            }
        }
    }
}

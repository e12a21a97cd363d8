//! dj-rest-auth's endpoints over HTTP against a real SQLite store, with the
//! statuses and bodies dj-rest-auth 7.2.0 answers (recorded from it on
//! Django 5.2 with DRF 3.16, token mode, `SESSION_LOGIN` on, Django's four
//! password validators), the emails read from an in-memory outbox.

use actix_web::{web, App};
use auth_actix::accounts::dj_rest_auth::{self, DjRestAuthSettings, DjRestAuthSettingsBuilder};
use auth_actix::email::{EmailMessage, Mailer, MemoryBackend};
use auth_actix::site::SiteSettings;
use auth_actix::{
    AuthSettings, AuthStore, DynAuthentication, SessionAuthentication, TokenAuthentication,
};
use auth_core::NewUser;
use auth_testkit::app::{Reply, TestApp};
use serde_json::json;

const SECRET: &str = "dj-rest-auth-test-secret";
const PASSWORD: &str = "a-Long-pass-42";
const BAD_CREDENTIALS: &str =
    r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#;

struct Setup {
    app: TestApp,
    outbox: MemoryBackend,
    store: AuthStore,
    _dir: tempfile::TempDir,
}

async fn setup_with(
    configure: impl FnOnce(DjRestAuthSettingsBuilder) -> DjRestAuthSettingsBuilder,
) -> Setup {
    let (store, dir) = crate::common::sqlite_store();
    let outbox = MemoryBackend::new();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes([
            DynAuthentication::new(TokenAuthentication::<auth_actix::keyword::Token>::default()),
            DynAuthentication::new(SessionAuthentication),
        ])
        .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
        .build()
        .unwrap();
    let rest_auth = configure(
        DjRestAuthSettings::builder()
            .domain("localhost:8000")
            .protocol("http")
            .mailer(Mailer::new(outbox.clone())),
    )
    .build()
    .unwrap();
    let app = TestApp::new(
        App::new()
            .app_data(settings)
            .app_data(rest_auth)
            .wrap(crate::common::sessions())
            .service(web::scope("/dj-rest-auth").configure(dj_rest_auth::urls)),
    )
    .await;
    for (name, email) in [("carol", "Carol@Example.com"), ("dave", "dave@example.com")] {
        let mut new = NewUser::new(name, Some(PASSWORD.into()));
        new.email = email.into();
        new.first_name = if name == "carol" {
            "Carol".into()
        } else {
            String::new()
        };
        store.create_user(new).unwrap();
    }
    Setup {
        app,
        outbox,
        store,
        _dir: dir,
    }
}

async fn setup() -> Setup {
    setup_with(|b| b).await
}

/// Lets the spawned deliveries run, then takes the outbox.
async fn mail(setup: &Setup) -> Vec<EmailMessage> {
    for _ in 0..10 {
        actix_web::rt::task::yield_now().await;
    }
    setup.outbox.take()
}

async fn post(s: &Setup, path: &str, auth: Option<&str>, body: &serde_json::Value) -> Reply {
    let mut call = s.app.post(path).json(body);
    if let Some(auth) = auth {
        call = call.authorization(auth);
    }
    call.await
}

async fn expect(
    s: &Setup,
    path: &str,
    auth: Option<&str>,
    cases: Vec<(serde_json::Value, u16, &str)>,
) {
    for (body, status, expected) in cases {
        let reply = post(s, path, auth, &body).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (status, expected),
            "{path} {body}"
        );
    }
}

/// Carol's token, from a login.
async fn carol_token(s: &Setup) -> String {
    let reply = post(
        s,
        "/dj-rest-auth/login/",
        None,
        &json!({"username": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    format!("Token {}", reply.json()["key"].as_str().unwrap())
}

#[actix_web::test]
async fn login_as_dj_rest_auth() {
    let s = setup().await;
    expect(
        &s,
        "/dj-rest-auth/login/",
        None,
        vec![
            (
                json!({}),
                400,
                r#"{"password":["This field is required."]}"#,
            ),
            (
                json!({"username": "carol"}),
                400,
                r#"{"password":["This field is required."]}"#,
            ),
            (json!({"password": "x"}), 400, BAD_CREDENTIALS),
            (
                json!({"username": "", "password": "x"}),
                400,
                BAD_CREDENTIALS,
            ),
            (
                json!({"email": "nope", "password": "x"}),
                400,
                r#"{"email":["Enter a valid email address."]}"#,
            ),
            (
                json!({"email": "", "password": ""}),
                400,
                r#"{"password":["This field may not be blank."]}"#,
            ),
            (
                json!({"username": "carol", "password": "wrong"}),
                400,
                BAD_CREDENTIALS,
            ),
            (
                json!({"username": "nobody", "password": "x"}),
                400,
                BAD_CREDENTIALS,
            ),
            (
                json!({"email": "nobody@example.com", "password": "x"}),
                400,
                BAD_CREDENTIALS,
            ),
            (
                json!({"username": true, "password": 1}),
                400,
                r#"{"username":["Not a valid string."]}"#,
            ),
        ],
    )
    .await;
    // By username, and by email whatever its case: the same one token.
    let first = post(
        &s,
        "/dj-rest-auth/login/",
        None,
        &json!({"username": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let key = first.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 40);
    assert_eq!(first.body, format!(r#"{{"key":"{key}"}}"#));
    // SESSION_LOGIN: the session is logged in, the CSRF secret rotated.
    assert!(
        first.set_cookie("sessionid").is_some(),
        "{:?}",
        first.headers
    );
    assert!(
        first.set_cookie("csrftoken").is_some(),
        "{:?}",
        first.headers
    );
    let by_email = post(
        &s,
        "/dj-rest-auth/login/",
        None,
        &json!({"email": "carol@example.COM", "password": PASSWORD}),
    )
    .await;
    assert_eq!((by_email.status, by_email.body), (200, first.body.clone()));
    let carol = s.store.user_by_username("carol").unwrap().unwrap();
    assert!(carol.last_login.is_some());
    // The session alone authenticates `user/`.
    let reply = s.app.get("/dj-rest-auth/user/").await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // An inactive user cannot log in; without the trailing slash it answers too.
    s.store.set_active(carol.id, false).unwrap();
    let reply = post(
        &s,
        "/dj-rest-auth/login",
        None,
        &json!({"username": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (400, BAD_CREDENTIALS));
}

#[actix_web::test]
async fn login_ignores_stale_credentials() {
    // dj-rest-auth answers 401 {"detail":"Invalid token."} here.
    let s = setup().await;
    let login = json!({"username": "carol", "password": PASSWORD});
    for stale in [
        "Token 0000000000000000000000000000000000000000",
        "Token",
        "Bearer x",
    ] {
        let reply = post(&s, "/dj-rest-auth/login/", Some(stale), &login).await;
        assert_eq!(reply.status, 200, "{stale}: {}", reply.body);
    }
    // A session cookie of a logged-out session, and no CSRF token: still fine.
    s.app.set_cookie("sessionid", "stale-session-key");
    let reply = s
        .app
        .post("/dj-rest-auth/login/")
        .csrf(false)
        .json(&login)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[actix_web::test]
async fn login_without_session_login() {
    let s = setup_with(|b| b.session_login(false)).await;
    let reply = post(
        &s,
        "/dj-rest-auth/login/",
        None,
        &json!({"username": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.set_cookie("sessionid").is_none());
    // Logout then needs a token.
    s.app.remove_cookie("sessionid");
    let reply = post(&s, "/dj-rest-auth/logout/", None, &json!({})).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            400,
            r#"{"detail":"You should be logged in to logout. Check whether the token is passed."}"#
        )
    );
}

#[actix_web::test]
async fn logout_as_dj_rest_auth() {
    let s = setup().await;
    let token = carol_token(&s).await;
    let reply = s.app.get("/dj-rest-auth/logout/").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (405, r#"{"detail":"Method \"GET\" not allowed."}"#)
    );
    assert_eq!(reply.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    let reply = post(&s, "/dj-rest-auth/logout/", Some(&token), &json!({})).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"Successfully logged out."}"#)
    );
    // The token is gone, and so is the session.
    let carol = s.store.user_by_username("carol").unwrap().unwrap();
    assert!(s.store.token_for_user(carol.id).unwrap().is_none());
    let reply = s.app.get("/dj-rest-auth/user/").await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    // Anonymous: the same answer.
    let reply = post(&s, "/dj-rest-auth/logout/", None, &json!({})).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"Successfully logged out."}"#)
    );

    // ACCOUNT_LOGOUT_ON_GET.
    let s = setup_with(|b| b.logout_on_get(true)).await;
    let token = carol_token(&s).await;
    let reply = s
        .app
        .get("/dj-rest-auth/logout/")
        .authorization(&token)
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"Successfully logged out."}"#)
    );
    let carol = s.store.user_by_username("carol").unwrap().unwrap();
    assert!(s.store.token_for_user(carol.id).unwrap().is_none());
}

#[actix_web::test]
async fn user_details_as_dj_rest_auth() {
    let s = setup().await;
    let reply = s.app.get("/dj-rest-auth/user/").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            401,
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    let token = carol_token(&s).await;
    s.app.remove_cookie("sessionid");
    let reply = s.app.get("/dj-rest-auth/user/").authorization(&token).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            200,
            r#"{"pk":1,"username":"carol","email":"Carol@example.com","first_name":"Carol","last_name":""}"#
        )
    );
    assert_eq!(
        reply.header("allow"),
        Some("GET, PUT, PATCH, HEAD, OPTIONS")
    );
    let cases = [
        ("PUT", json!({}), 400, r#"{"username":["This field is required."]}"#.to_owned()),
        (
            "PUT",
            json!({"username": "dave", "first_name": "x".repeat(151), "email": "z@z.z", "pk": 9}),
            400,
            r#"{"username":["A user with that username already exists."],"first_name":["Ensure this field has no more than 150 characters."]}"#.to_owned(),
        ),
        (
            "PATCH",
            json!({"username": "a b"}),
            400,
            r#"{"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]}"#.to_owned(),
        ),
        ("PATCH", json!({"first_name": "  Caro ", "last_name": null}), 400, r#"{"last_name":["This field may not be null."]}"#.to_owned()),
        // `email` and `pk` are read-only: ignored.
        (
            "PATCH",
            json!({"first_name": "Caro", "email": "new@x.com", "pk": 5}),
            200,
            r#"{"pk":1,"username":"carol","email":"Carol@example.com","first_name":"Caro","last_name":""}"#.to_owned(),
        ),
        (
            "PUT",
            json!({"username": "carol"}),
            200,
            r#"{"pk":1,"username":"carol","email":"Carol@example.com","first_name":"Caro","last_name":""}"#.to_owned(),
        ),
        (
            "PUT",
            json!({"username": "caroline", "last_name": "B"}),
            200,
            r#"{"pk":1,"username":"caroline","email":"Carol@example.com","first_name":"Caro","last_name":"B"}"#.to_owned(),
        ),
    ];
    for (method, body, status, expected) in cases {
        let call = if method == "PUT" {
            s.app.put("/dj-rest-auth/user/")
        } else {
            s.app.patch("/dj-rest-auth/user/")
        };
        let reply = call.authorization(&token).json(&body).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (status, expected.as_str()),
            "{method} {body}"
        );
    }
    let stored = s.store.user_by_id(1).unwrap().unwrap();
    assert_eq!(
        (
            stored.username.as_str(),
            stored.first_name.as_str(),
            stored.last_name.as_str(),
            stored.email.as_str()
        ),
        ("caroline", "Caro", "B", "Carol@example.com")
    );
}

#[actix_web::test]
async fn password_change_as_dj_rest_auth() {
    let s = setup().await;
    let token = carol_token(&s).await;
    let too_long = "x".repeat(129);
    expect(
        &s,
        "/dj-rest-auth/password/change/",
        Some(&token),
        vec![
            (json!({}), 400, r#"{"new_password1":["This field is required."],"new_password2":["This field is required."]}"#),
            (json!({"new_password1": "abc", "new_password2": "abd"}), 400, "{\"new_password2\":[\"The two password fields didn\u{2019}t match.\"]}"),
            (
                json!({"new_password1": "carol", "new_password2": "carol"}),
                400,
                r#"{"new_password2":["The password is too similar to the username.","This password is too short. It must contain at least 8 characters.","This password is too common."]}"#,
            ),
            (
                json!({"new_password1": too_long, "new_password2": ""}),
                400,
                r#"{"new_password1":["Ensure this field has no more than 128 characters."],"new_password2":["This field may not be blank."]}"#,
            ),
        ],
    )
    .await;
    let reply = post(&s, "/dj-rest-auth/password/change/", None, &json!({})).await;
    assert_eq!(reply.status, 403, "{}", reply.body); // the session needs its CSRF token
    s.app.remove_cookie("sessionid");
    let reply = post(&s, "/dj-rest-auth/password/change/", None, &json!({})).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let change = json!({"new_password1": "b-Long-pass-43", "new_password2": "b-Long-pass-43"});
    let reply = post(&s, "/dj-rest-auth/password/change/", Some(&token), &change).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"detail":"New password has been saved."}"#)
    );
    assert!(s
        .store
        .authenticate("carol", "b-Long-pass-43")
        .unwrap()
        .is_some());
    assert!(s.store.authenticate("carol", PASSWORD).unwrap().is_none());

    // OLD_PASSWORD_FIELD_ENABLED.
    let s = setup_with(|b| b.old_password_field_enabled(true)).await;
    let token = carol_token(&s).await;
    expect(
        &s,
        "/dj-rest-auth/password/change/",
        Some(&token),
        vec![
            (
                json!({}),
                400,
                r#"{"old_password":["This field is required."],"new_password1":["This field is required."],"new_password2":["This field is required."]}"#,
            ),
            (
                json!({"old_password": "wrong", "new_password1": "b-Long-pass-43", "new_password2": "b-Long-pass-43"}),
                400,
                r#"{"old_password":["Your old password was entered incorrectly. Please enter it again."]}"#,
            ),
            (
                json!({"old_password": PASSWORD, "new_password1": "b-Long-pass-43", "new_password2": "b-Long-pass-43"}),
                200,
                r#"{"detail":"New password has been saved."}"#,
            ),
        ],
    )
    .await;
}

#[actix_web::test]
async fn session_survives_its_own_password_change() {
    // LOGOUT_ON_PASSWORD_CHANGE off (the default): the session stays logged in; on: it ends.
    for (logout, status) in [(false, 200), (true, 401)] {
        let s = setup_with(|b| b.logout_on_password_change(logout)).await;
        carol_token(&s).await; // the session is logged in, its cookies in the jar
        let change = json!({"new_password1": "b-Long-pass-43", "new_password2": "b-Long-pass-43"});
        let reply = s
            .app
            .post("/dj-rest-auth/password/change/")
            .csrf(true)
            .json(&change)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let reply = s.app.get("/dj-rest-auth/user/").await;
        assert_eq!(reply.status, status, "{logout}: {}", reply.body);
    }
}

/// The text of Django's reset email for carol.
fn reset_text(uid: &str, token: &str) -> String {
    format!(
        "\nYou're receiving this email because you requested a password reset for your user account at localhost:8000.\n\n\
         Please go to the following page and choose a new password:\n\n\
         http://localhost:8000/password-reset/confirm/{uid}/{token}/\n\n\
         In case you\u{2019}ve forgotten, you are: carol\n\n\
         Thanks for using our site!\n\n\
         The localhost:8000 team\n\n\n"
    )
}

/// The `uid` and `token` of the reset link of `text`.
fn reset_link(text: &str) -> (String, String) {
    let prefix = "http://localhost:8000/password-reset/confirm/";
    let start = text.find(prefix).expect("link") + prefix.len();
    let rest = &text[start..];
    let path = &rest[..rest.find('\n').unwrap()];
    let mut parts = path.trim_end_matches('/').splitn(2, '/');
    (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn password_reset_as_dj_rest_auth() {
    let s = setup().await;
    const SENT: &str = r#"{"detail":"Password reset e-mail has been sent."}"#;
    expect(
        &s,
        "/dj-rest-auth/password/reset/",
        None,
        vec![
            (json!({}), 400, r#"{"email":["This field is required."]}"#),
            (
                json!({"email": "nope"}),
                400,
                r#"{"email":["Enter a valid email address."]}"#,
            ),
            (json!({"email": "nobody@example.com"}), 200, SENT),
        ],
    )
    .await;
    assert!(mail(&s).await.is_empty());
    // Another case, and the request's Host does not choose the link's domain.
    let reply = s
        .app
        .post("/dj-rest-auth/password/reset/")
        .header("host", "127.0.0.1:9999")
        .json(&json!({"email": "CAROL@example.com"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, SENT));
    let sent = mail(&s).await;
    assert_eq!(sent.len(), 1);
    let message = &sent[0];
    assert_eq!(message.subject, "Password reset on localhost:8000");
    assert_eq!(message.from, "webmaster@localhost");
    assert_eq!(message.to, ["Carol@example.com"]);
    assert_eq!(message.html, None);
    let (uid, token) = reset_link(&message.text);
    assert_eq!(uid, "MQ");
    assert_eq!(message.text, reset_text(&uid, &token));

    expect(
        &s,
        "/dj-rest-auth/password/reset/confirm/",
        None,
        vec![
            (
                json!({}),
                400,
                r#"{"new_password1":["This field is required."],"new_password2":["This field is required."],"uid":["This field is required."],"token":["This field is required."]}"#,
            ),
            (json!({"uid": "zz", "token": "x", "new_password1": "a", "new_password2": "b"}), 400, r#"{"uid":["Invalid value"]}"#),
            (json!({"uid": "OTk", "token": "x", "new_password1": "a", "new_password2": "b"}), 400, r#"{"uid":["Invalid value"]}"#),
            (json!({"uid": "MQ", "token": "x", "new_password1": "a", "new_password2": "b"}), 400, r#"{"token":["Invalid value"]}"#),
            (json!({"uid": uid, "token": token, "new_password1": "a", "new_password2": "b"}), 400, "{\"new_password2\":[\"The two password fields didn\u{2019}t match.\"]}"),
            (
                json!({"uid": uid, "token": token, "new_password1": "carol", "new_password2": "carol"}),
                400,
                r#"{"new_password2":["The password is too similar to the username.","This password is too short. It must contain at least 8 characters.","This password is too common."]}"#,
            ),
            (
                json!({"uid": uid, "token": token, "new_password1": "c-Long-pass-44", "new_password2": "c-Long-pass-44"}),
                200,
                r#"{"detail":"Password has been reset with the new password."}"#,
            ),
            // Spent: the password it was made from changed.
            (
                json!({"uid": uid, "token": token, "new_password1": "d-Long-pass-45", "new_password2": "d-Long-pass-45"}),
                400,
                r#"{"token":["Invalid value"]}"#,
            ),
        ],
    )
    .await;
    assert!(s
        .store
        .authenticate("carol", "c-Long-pass-44")
        .unwrap()
        .is_some());
}

#[actix_web::test]
async fn reset_reaches_every_matching_active_user() {
    let s = setup().await;
    // A second active user with carol's address (another case), an inactive
    // one, and one without a usable password: only the first two match.
    for (name, active, password) in [
        ("carol2", true, Some(PASSWORD)),
        ("carol3", false, Some(PASSWORD)),
        ("carol4", true, None),
    ] {
        let mut new = NewUser::new(name, password.map(str::to_owned));
        new.email = "carol@example.com".into();
        new.is_active = active;
        s.store.create_user(new).unwrap();
    }
    let reply = post(
        &s,
        "/dj-rest-auth/password/reset/",
        None,
        &json!({"email": "carol@EXAMPLE.com"}),
    )
    .await;
    assert_eq!(reply.status, 200);
    let mut to: Vec<_> = mail(&s)
        .await
        .into_iter()
        .map(|m| m.to[0].clone())
        .collect();
    to.sort();
    assert_eq!(to, ["Carol@example.com", "carol@example.com"]);
    // A shared email at login names nobody (Django: 500).
    let reply = post(
        &s,
        "/dj-rest-auth/login/",
        None,
        &json!({"email": "carol@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (400, BAD_CREDENTIALS));
}

#[actix_web::test]
async fn a_reset_link_template_is_checked_at_start() {
    assert!(DjRestAuthSettings::builder()
        .password_reset_confirm_url("/reset/{uid}/")
        .build()
        .is_err());
    assert!(DjRestAuthSettings::builder()
        .password_reset_confirm_url("/reset/{nope}/{uid}/{token}")
        .build()
        .is_err());
    let s = setup_with(|b| b.password_reset_confirm_url("/#/reset/{uid}/{token}")).await;
    post(
        &s,
        "/dj-rest-auth/password/reset/",
        None,
        &json!({"email": "dave@example.com"}),
    )
    .await;
    let sent = mail(&s).await;
    assert!(
        sent[0].text.contains("http://localhost:8000/#/reset/Mg/"),
        "{}",
        sent[0].text
    );
}

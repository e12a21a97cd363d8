//! Djoser's endpoints over HTTP against a real SQLite store, with the
//! statuses and bodies Djoser 2.3.5 answers (recorded from Djoser on Django
//! 5.2 with DRF 3.18, `SEND_ACTIVATION_EMAIL` on and the same link
//! templates), the emails read from an in-memory outbox.

use actix_web::{web, App};
use auth_actix::accounts::djoser::{self, DjoserSettings};
use auth_actix::email::{EmailMessage, Mailer, MemoryBackend};
use auth_actix::site::SiteSettings;
use auth_actix::{
    AuthSettings, AuthStore, BasicAuthentication, DynAuthentication, TokenAuthentication,
};
use auth_testkit::app::{Reply, TestApp};
use serde_json::json;

const SECRET: &str = "accounts-test-secret";

struct Setup {
    app: TestApp,
    outbox: MemoryBackend,
    store: AuthStore,
    _dir: tempfile::TempDir,
}

fn djoser_settings(outbox: &MemoryBackend) -> auth_actix::accounts::djoser::DjoserSettingsBuilder {
    DjoserSettings::builder()
        .send_activation_email(true)
        .activation_url("activate/{uid}/{token}")
        .password_reset_confirm_url("password/reset/confirm/{uid}/{token}")
        .username_reset_confirm_url("username/reset/confirm/{uid}/{token}")
        .domain("localhost:8000")
        .protocol("http")
        .frontend_origins(["https://app.example.com"])
        .mailer(Mailer::new(outbox.clone()))
}

async fn setup_with(
    configure: impl FnOnce(
        auth_actix::accounts::djoser::DjoserSettingsBuilder,
    ) -> auth_actix::accounts::djoser::DjoserSettingsBuilder,
) -> Setup {
    let (store, dir) = crate::common::sqlite_store();
    let outbox = MemoryBackend::new();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .default_authentication_classes([
            DynAuthentication::new(TokenAuthentication::<auth_actix::keyword::Token>::default()),
            DynAuthentication::new(BasicAuthentication),
        ])
        .site(SiteSettings::builder().secret_key(SECRET).build().unwrap())
        .build()
        .unwrap();
    let djoser_settings = configure(djoser_settings(&outbox)).build().unwrap();
    let app = TestApp::new(
        App::new()
            .app_data(settings)
            .app_data(djoser_settings)
            .service(web::scope("/auth").configure(djoser::urls)),
    )
    .await;
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

/// The `uid` and `token` of the link at the end of a line of `text`.
fn link(text: &str, prefix: &str) -> (String, String) {
    let start = text.find(prefix).expect("link in the email") + prefix.len();
    let rest = &text[start..];
    let end = rest.find(['\n', '"']).unwrap_or(rest.len());
    let (uid, token) = rest[..end].split_once('/').expect("uid/token");
    (uid.to_owned(), token.to_owned())
}

/// POSTs `body` to `path`, with `auth` as the `Authorization` header if given.
async fn post(s: &Setup, path: &str, auth: Option<&str>, body: &serde_json::Value) -> Reply {
    let mut call = s.app.post(path).json(body);
    if let Some(auth) = auth {
        call = call.authorization(auth);
    }
    call.await
}

/// POSTs each body to `path` and checks Djoser's 400 and body.
async fn expect_400s(
    s: &Setup,
    path: &str,
    auth: Option<&str>,
    cases: Vec<(serde_json::Value, &str)>,
) {
    for (body, expected) in cases {
        let reply = post(s, path, auth, &body).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (400, expected),
            "{body}"
        );
    }
}

/// POSTs `{"email"}` for each address to `path`: an empty 204 for each.
async fn expect_204s(s: &Setup, path: &str, emails: &[&str]) {
    for email in emails {
        let reply = post(s, path, None, &json!({ "email": email })).await;
        assert_eq!((reply.status, reply.body.as_str()), (204, ""), "{email}");
    }
}

/// Registers carol (inactive: activation is on) and returns her activation link.
async fn register_carol(s: &Setup) -> (String, String) {
    let reply = s
        .app
        .post("/auth/users/")
        .json(&json!({"username": "carol", "email": "carol@example.com", "password": "a-Long-pass-42"}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let sent = mail(s).await;
    assert_eq!(sent.len(), 1);
    link(&sent[0].text, "http://localhost:8000/activate/")
}

async fn active_carol(s: &Setup) -> String {
    let (uid, token) = register_carol(s).await;
    let reply = s
        .app
        .post("/auth/users/activation/")
        .json(&json!({"uid": uid, "token": token}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let reply = s
        .app
        .post("/auth/token/login/")
        .json(&json!({"username": "carol", "password": "a-Long-pass-42"}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["auth_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn registration_errors_as_djoser() {
    let s = setup().await;
    expect_400s(
        &s,
        "/auth/users/",
        None,
        vec![
        (
            json!({}),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#,
        ),
        (
            json!({"username": "carol", "email": "carol@example.com", "password": "123"}),
            r#"{"password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]}"#,
        ),
        (
            json!({"username": "carolina", "email": "c@example.com", "password": "carolina1"}),
            r#"{"password":["The password is too similar to the username.","This password is too common."]}"#,
        ),
        (
            json!({"username": "x y", "email": "nope", "password": "a-Long-pass-42"}),
            r#"{"email":["Enter a valid email address."],"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]}"#,
        ),
        (
            json!({"username": "", "email": "", "password": ""}),
            r#"{"username":["This field may not be blank."],"password":["This field may not be blank."]}"#,
        ),
        ],
    )
    .await;
    assert!(mail(&s).await.is_empty());
}

#[actix_web::test]
async fn registration_and_activation() {
    let s = setup().await;
    let reply = s
        .app
        .post("/auth/users/")
        .json(&json!({"username": "carol", "email": "carol@example.com", "password": "a-Long-pass-42"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            201,
            r#"{"email":"carol@example.com","username":"carol","id":1}"#
        )
    );
    let sent = mail(&s).await;
    assert_eq!(sent.len(), 1);
    let message = &sent[0];
    assert_eq!(message.subject, "Account activation on localhost:8000");
    assert_eq!(message.to, ["carol@example.com"]);
    assert_eq!(message.from, "webmaster@localhost");
    let (uid, token) = link(&message.text, "http://localhost:8000/activate/");
    assert_eq!(uid, "MQ");
    assert!(message.html.as_deref().unwrap().contains(&format!(
        "<a href=\"http://localhost:8000/activate/MQ/{token}\">"
    )));

    // Djoser's duplicate, and the inactive user cannot log in.
    let reply = s
        .app
        .post("/auth/users/")
        .json(&json!({"username": "carol", "email": "carol@example.com", "password": "a-Long-pass-42"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            400,
            r#"{"username":["A user with that username already exists."]}"#
        )
    );
    let login = json!({"username": "carol", "password": "a-Long-pass-42"});
    let reply = s.app.post("/auth/token/login/").json(&login).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            400,
            r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#
        )
    );

    expect_400s(
        &s,
        "/auth/users/activation/",
        None,
        vec![
            (
                json!({}),
                r#"{"uid":["This field is required."],"token":["This field is required."]}"#,
            ),
            (
                json!({"uid": "zz", "token": token}),
                r#"{"uid":["Invalid user id or user doesn't exist."]}"#,
            ),
            (
                json!({"uid": uid, "token": "1-abc"}),
                r#"{"token":["Invalid token for given user."]}"#,
            ),
        ],
    )
    .await;

    // resend_activation: the same answer for a known and an unknown address.
    expect_204s(
        &s,
        "/auth/users/resend_activation/",
        &["carol@example.com", "nobody@example.com"],
    )
    .await;
    assert_eq!(mail(&s).await.len(), 1);
    let reply = s
        .app
        .post("/auth/users/resend_activation/")
        .json(&json!({"email": "nobody"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"email":["Enter a valid email address."]}"#)
    );

    let activate = json!({"uid": uid, "token": token});
    let reply = s.app.post("/auth/users/activation/").json(&activate).await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    let reply = s.app.post("/auth/users/activation/").json(&activate).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, r#"{"detail":"Stale token for given user."}"#)
    );
    let reply = s.app.post("/auth/token/login/").json(&login).await;
    assert_eq!(reply.status, 200);
    let key = reply.json()["auth_token"].as_str().unwrap().to_owned();
    assert_eq!(reply.body, format!(r#"{{"auth_token":"{key}"}}"#));
    // One token per user; the slash is optional; last_login is set.
    let reply = s.app.post("/auth/token/login").json(&login).await;
    assert_eq!(reply.json()["auth_token"], key.as_str());
    assert!(s
        .store
        .user_by_username("carol")
        .unwrap()
        .unwrap()
        .last_login
        .is_some());
}

#[actix_web::test]
async fn resend_activation_without_activation_emails_is_an_empty_400() {
    let s = setup_with(|b| b.send_activation_email(false)).await;
    let reply = s
        .app
        .post("/auth/users/resend_activation/")
        .json(&json!({"email": "carol@example.com"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (400, ""));
}

#[actix_web::test]
async fn me_and_other_users() {
    let s = setup().await;
    let reply = s.app.get("/auth/users/me/").await;
    assert_eq!(
        (
            reply.status,
            reply.header("www-authenticate"),
            reply.body.as_str()
        ),
        (
            401,
            Some("Token"),
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    let key = active_carol(&s).await;
    let auth = format!("Token {key}");
    let me = r#"{"email":"carol@example.com","id":1,"username":"carol"}"#;
    let reply = s.app.get("/auth/users/me/").authorization(&auth).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, me));
    // The username is read-only; the same email changes nothing.
    let reply = s
        .app
        .patch("/auth/users/me/")
        .authorization(&auth)
        .json(&json!({"username": "zed", "email": "carol@example.com"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, me));
    let reply = s
        .app
        .put("/auth/users/me/")
        .authorization(&auth)
        .json(&json!({"email": "bad"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"email":["Enter a valid email address."]}"#)
    );
    let reply = s.app.get("/auth/users/").authorization(&auth).await;
    assert_eq!((reply.status, reply.body), (200, format!("[{me}]")));

    let mut dave = auth_actix::auth_core::NewUser::new("dave", Some("a-Long-pass-42".into()));
    dave.email = "dave@example.com".into();
    let dave = s.store.create_user(dave).unwrap();
    let reply = s
        .app
        .get(&format!("/auth/users/{}/", dave.id))
        .authorization(&auth)
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    let reply = s.app.get("/auth/users/1/").authorization(&auth).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, me));
    let reply = s
        .app
        .delete(&format!("/auth/users/{}/", dave.id))
        .authorization(&auth)
        .json(&json!({"current_password": "x"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            403,
            r#"{"detail":"You do not have permission to perform this action."}"#
        )
    );

    // A changed email deactivates until the new address is confirmed.
    let reply = s
        .app
        .patch("/auth/users/me/")
        .authorization(&auth)
        .json(&json!({"email": "carol@new.example.com"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            200,
            r#"{"email":"carol@new.example.com","id":1,"username":"carol"}"#
        )
    );
    let sent = mail(&s).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, ["carol@new.example.com"]);
    let reply = s.app.get("/auth/users/me/").authorization(&auth).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (401, r#"{"detail":"User inactive or deleted."}"#)
    );
}

#[actix_web::test]
async fn set_password_and_username() {
    let s = setup().await;
    let key = active_carol(&s).await;
    let auth = format!("Token {key}");
    expect_400s(
        &s,
        "/auth/users/set_password/",
        Some(&auth),
        vec![
        (
            json!({}),
            r#"{"new_password":["This field is required."],"current_password":["This field is required."]}"#,
        ),
        (
            json!({"new_password": "123", "current_password": "x"}),
            r#"{"current_password":["Invalid password."]}"#,
        ),
        (
            json!({"new_password": "123", "current_password": "a-Long-pass-42"}),
            r#"{"new_password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]}"#,
        ),
        ],
    )
    .await;
    let reply = s
        .app
        .post("/auth/users/set_password/")
        .authorization(&auth)
        .json(&json!({"new_password": "b-Long-pass-43", "current_password": "a-Long-pass-42"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));

    let mut dave = auth_actix::auth_core::NewUser::new("dave", Some("x".into()));
    dave.email = "dave@example.com".into();
    s.store.create_user(dave).unwrap();
    expect_400s(
        &s,
        "/auth/users/set_username/",
        Some(&auth),
        vec![
        (
            json!({}),
            r#"{"current_password":["This field is required."],"new_username":["This field is required."]}"#,
        ),
        (
            json!({"new_username": "dave", "current_password": "b-Long-pass-43"}),
            r#"{"new_username":["A user with that username already exists."]}"#,
        ),
        (
            json!({"new_username": "a b", "current_password": "x"}),
            r#"{"current_password":["Invalid password."],"new_username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]}"#,
        ),
        ],
    )
    .await;
    let reply = s
        .app
        .post("/auth/users/set_username/")
        .authorization(&auth)
        .json(&json!({"new_username": "carol2", "current_password": "b-Long-pass-43"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    assert!(s.store.user_by_username("carol2").unwrap().is_some());
}

#[actix_web::test]
async fn password_reset_round_trip() {
    let s = setup().await;
    active_carol(&s).await;
    expect_400s(
        &s,
        "/auth/users/reset_password/",
        None,
        vec![
            (json!({}), r#"{"email":["This field is required."]}"#),
            (
                json!({"email": "x"}),
                r#"{"email":["Enter a valid email address."]}"#,
            ),
        ],
    )
    .await;
    // No enumeration: a known and an unknown address answer alike.
    expect_204s(
        &s,
        "/auth/users/reset_password/",
        &["nobody@example.com", "carol@example.com"],
    )
    .await;
    let sent = mail(&s).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Password reset on localhost:8000");
    let (uid, token) = link(
        &sent[0].text,
        "http://localhost:8000/password/reset/confirm/",
    );
    assert!(sent[0]
        .text
        .contains("\nYour username, in case you've forgotten: carol\n"));

    expect_400s(
        &s,
        "/auth/users/reset_password_confirm/",
        None,
        vec![
        (
            json!({}),
            r#"{"uid":["This field is required."],"token":["This field is required."],"new_password":["This field is required."]}"#,
        ),
        (
            json!({"uid": uid, "token": token, "new_password": "123"}),
            r#"{"new_password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]}"#,
        ),
        (
            json!({"uid": uid, "token": "x", "new_password": "c-Long-pass-44"}),
            r#"{"token":["Invalid token for given user."]}"#,
        ),
        ],
    )
    .await;
    let confirm = json!({"uid": uid, "token": token, "new_password": "c-Long-pass-44"});
    let reply = s
        .app
        .post("/auth/users/reset_password_confirm/")
        .json(&confirm)
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    // Single use.
    let reply = s
        .app
        .post("/auth/users/reset_password_confirm/")
        .json(&confirm)
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"token":["Invalid token for given user."]}"#)
    );
    let reply = s
        .app
        .post("/auth/token/login/")
        .json(&json!({"username": "carol", "password": "c-Long-pass-44"}))
        .await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn two_users_sharing_an_email_each_get_their_reset() {
    let s = setup().await;
    for name in ["ann", "bob"] {
        let mut user = auth_actix::auth_core::NewUser::new(name, Some("a-Long-pass-42".into()));
        user.email = "shared@example.com".into();
        s.store.create_user(user).unwrap();
    }
    let reply = s
        .app
        .post("/auth/users/reset_password/")
        .json(&json!({"email": "shared@example.com"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    let sent = mail(&s).await;
    assert_eq!(sent.len(), 2);
    assert!(sent[0].text.contains("forgotten: ann\n"));
    assert!(sent[1].text.contains("forgotten: bob\n"));
}

#[actix_web::test]
async fn links_follow_an_allow_listed_origin_only() {
    let s = setup().await;
    active_carol(&s).await;
    for (origin, prefix) in [
        (
            "https://app.example.com",
            "https://app.example.com/password/reset/confirm/",
        ),
        (
            "https://evil.example.com",
            "http://localhost:8000/password/reset/confirm/",
        ),
    ] {
        let reply = s
            .app
            .post("/auth/users/reset_password/")
            .header("Origin", origin)
            .json(&json!({"email": "carol@example.com"}))
            .await;
        assert_eq!(reply.status, 204);
        let sent = mail(&s).await;
        assert!(sent[0].text.contains(prefix), "{}", sent[0].text);
    }
}

#[actix_web::test]
async fn username_reset_round_trip() {
    let s = setup().await;
    active_carol(&s).await;
    let reply = s
        .app
        .post("/auth/users/reset_username/")
        .json(&json!({"email": "carol@example.com"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    let sent = mail(&s).await;
    assert_eq!(sent[0].subject, "Username reset on localhost:8000");
    let (uid, token) = link(
        &sent[0].text,
        "http://localhost:8000/username/reset/confirm/",
    );
    let reply = s
        .app
        .post("/auth/users/reset_username_confirm/")
        .json(&json!({}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"new_username":["This field is required."]}"#)
    );
    let reply = s
        .app
        .post("/auth/users/reset_username_confirm/")
        .json(&json!({"new_username": "carol3"}))
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, r#"{"uid":["Invalid user id or user doesn't exist."]}"#)
    );
    let reply = s
        .app
        .post("/auth/users/reset_username_confirm/")
        .json(&json!({"uid": uid, "token": token, "new_username": "carol3"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    assert!(s.store.user_by_username("carol3").unwrap().is_some());
}

#[actix_web::test]
async fn logout_and_delete() {
    let s = setup().await;
    let reply = s.app.post("/auth/token/logout/").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (
            401,
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    let key = active_carol(&s).await;
    let auth = format!("Token {key}");
    let reply = s.app.post("/auth/token/logout/").authorization(&auth).await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    let reply = s.app.get("/auth/users/me/").authorization(&auth).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (401, r#"{"detail":"Invalid token."}"#)
    );
    let reply = s
        .app
        .post("/auth/token/login/")
        .json(&json!({"username": "carol", "password": "a-Long-pass-42"}))
        .await;
    let auth = format!("Token {}", reply.json()["auth_token"].as_str().unwrap());
    for (body, expected) in [
        (
            json!({}),
            r#"{"current_password":["This field is required."]}"#,
        ),
        (
            json!({"current_password": "x"}),
            r#"{"current_password":["Invalid password."]}"#,
        ),
    ] {
        let reply = s
            .app
            .delete("/auth/users/me/")
            .authorization(&auth)
            .json(&body)
            .await;
        assert_eq!((reply.status, reply.body.as_str()), (400, expected));
    }
    let reply = s
        .app
        .delete("/auth/users/me/")
        .authorization(&auth)
        .json(&json!({"current_password": "a-Long-pass-42"}))
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    assert!(s.store.user_by_username("carol").unwrap().is_none());
}

#[actix_web::test]
async fn token_login_errors() {
    let s = setup().await;
    expect_400s(
        &s,
        "/auth/token/login/",
        None,
        vec![
            (
                json!({}),
                r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#,
            ),
            (
                json!({"username": "carol", "password": "x"}),
                r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#,
            ),
        ],
    )
    .await;
}

#[actix_web::test]
async fn a_down_smtp_server_changes_nothing_in_the_answer() {
    // Nothing listens on this port: every delivery fails, and is logged.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mailer = Mailer::from_url(&format!("smtp://127.0.0.1:{port}?timeout=1")).unwrap();
    let s = setup_with(move |b| b.mailer(mailer)).await;
    let mut user = auth_actix::auth_core::NewUser::new("carol", Some("a-Long-pass-42".into()));
    user.email = "carol@example.com".into();
    s.store.create_user(user).unwrap();
    expect_204s(
        &s,
        "/auth/users/reset_password/",
        &["carol@example.com", "nobody@example.com"],
    )
    .await;
}

#[test]
fn missing_link_templates_fail_at_start_up() {
    let err = DjoserSettings::builder()
        .send_activation_email(true)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DJOSER: ACTIVATION_URL is not set; PASSWORD_RESET_CONFIRM_URL is not set; USERNAME_RESET_CONFIRM_URL is not set"
    );
    let err = DjoserSettings::builder()
        .password_reset_confirm_url("reset/{uid}/{tokn}")
        .username_reset_confirm_url("u/{uid}/{token}")
        .frontend_origins(["app.example.com"])
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown placeholder {tokn}"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("frontend origin \"app.example.com\""),
        "{err}"
    );
}

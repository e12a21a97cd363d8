//! Django OAuth Toolkit over HTTP: `OAuth2Authentication`'s 401s and their
//! `WWW-Authenticate`, the scope permissions, and `/o/token/`'s statuses and
//! exact bodies (captured from DOT 3.4.1 with oauthlib 4.0.1).

use actix_web::test::TestRequest;
use actix_web::{web, HttpResponse};
use auth_actix::auth_core::oauth2::{AccessToken, NewApplication, OAuth2Settings, OAuth2Store};
use auth_actix::auth_core::NewUser;
use auth_actix::oauth2::{
    introspect, revoke_token, token, OAuth2, OAuth2Authentication, TokenHasReadWriteScope,
    TokenHasScope,
};
use auth_actix::prelude::*;
use auth_actix::AuthSettings;
use base64::Engine as _;
use serde_json::json;

use crate::common::{broken_store, sqlite_store, with_auth, DENIED, NOT_PROVIDED};

async fn echo(request: AuthRequest) -> HttpResponse {
    let token = request
        .auth()
        .and_then(|a| a.get::<AccessToken>())
        .map(|t| t.token.clone());
    HttpResponse::Ok().json(json!({"user": request.user().to_string(), "auth": token}))
}

#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(OAuth2Authentication)]
#[permission_classes(TokenHasScope)]
#[view_config(required_scopes = ["read"])]
async fn oauth(request: AuthRequest) -> HttpResponse {
    echo(request).await
}

#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(OAuth2Authentication)]
#[permission_classes(TokenHasReadWriteScope)]
async fn oauth_rw(request: AuthRequest) -> HttpResponse {
    echo(request).await
}

struct Fixture {
    oauth2: OAuth2,
    settings: AuthSettings,
    password_app: (String, String),
    cc_app: (String, String),
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let (users, dir) = sqlite_store();
    users
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    let mut inactive = NewUser::new("bob", Some("pw".into()));
    inactive.is_active = false;
    users.create_user(inactive).unwrap();
    let store = OAuth2Store::new(users.database().clone()).with_hashers(users.hashers().clone());
    let settings = OAuth2Settings::builder()
        .scopes([
            ("read", "Reading scope"),
            ("write", "Writing scope"),
            ("introspection", "Introspect token scope"),
        ])
        .build();
    let mut pw = NewApplication::new("confidential", "password");
    pw.client_secret = Some("s3cret".into());
    let (pw, _) = store.create_application(pw, settings.now()).unwrap();
    let mut cc = NewApplication::new("confidential", "client-credentials");
    cc.client_secret = Some("s3cret".into());
    let (cc, _) = store.create_application(cc, settings.now()).unwrap();
    Fixture {
        oauth2: OAuth2::new(store, users.clone(), settings),
        settings: AuthSettings::builder().store(users).build().unwrap(),
        password_app: (pw.client_id, "s3cret".into()),
        cc_app: (cc.client_id, "s3cret".into()),
        _dir: dir,
    }
}

macro_rules! app {
    ($f:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($f.settings.clone())
                .app_data(web::Data::new($f.oauth2.clone()))
                .route("/oauth/", web::to(oauth))
                .route("/oauth-rw/", web::to(oauth_rw))
                .service(web::resource("/o/token/").to(token))
                .service(web::resource("/o/revoke_token/").to(revoke_token))
                .service(web::resource("/o/introspect/").to(introspect)),
        )
        .await
    };
}

fn basic((id, secret): &(String, String)) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn token_request(form: &str, auth: Option<&str>) -> TestRequest {
    form_post("/o/token/", form, auth)
}

const INVALID_HEADER: &str =
    r#"Bearer realm="api",error="invalid_token",error_description="The access token is invalid.""#;

#[actix_web::test]
async fn token_endpoint_answers_as_dot() {
    let f = fixture();
    let app = app!(f);
    let cc = basic(&f.cc_app);
    let r = send!(
        &app,
        token_request("grant_type=client_credentials", Some(&cc))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let body = r.json();
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(access.len(), 30);
    assert_eq!(
        r.body,
        format!(
            r#"{{"access_token": "{access}", "expires_in": 36000, "token_type": "Bearer", "scope": "read write introspection"}}"#
        )
    );
    // Body credentials work too; scopes narrow.
    let form = format!(
        "grant_type=client_credentials&scope=read&client_id={}&client_secret=s3cret",
        f.cc_app.0
    );
    let r = send!(&app, token_request(&form, None));
    assert_eq!(r.json()["scope"], "read");

    let cases: &[(&str, Option<&str>, u16, &str)] = &[
        (
            "grant_type=client_credentials&scope=nope",
            Some(&cc),
            400,
            r#"{"error": "invalid_scope"}"#,
        ),
        ("", Some(&cc), 400, r#"{"error": "unsupported_grant_type"}"#),
        (
            "grant_type=foo",
            None,
            400,
            r#"{"error": "unsupported_grant_type"}"#,
        ),
        (
            "grant_type=password&username=alice",
            Some(&cc),
            400,
            r#"{"error": "invalid_request", "error_description": "Request is missing password parameter."}"#,
        ),
        (
            "grant_type=password&username=alice&password=pw",
            None,
            401,
            r#"{"error": "invalid_client"}"#,
        ),
        (
            "grant_type=password&username=alice&password=x",
            Some(&basic(&f.password_app)),
            400,
            r#"{"error": "invalid_grant", "error_description": "Invalid credentials given."}"#,
        ),
        (
            "grant_type=password&username=bob&password=pw",
            Some(&basic(&f.password_app)),
            400,
            r#"{"error": "invalid_grant", "error_description": "Invalid credentials given."}"#,
        ),
        (
            "grant_type=client_credentials",
            Some(&basic(&f.password_app)),
            400,
            r#"{"error": "unauthorized_client"}"#,
        ),
        (
            "grant_type=refresh_token",
            Some(&basic(&f.password_app)),
            400,
            r#"{"error": "invalid_request", "error_description": "Missing refresh token parameter."}"#,
        ),
        (
            "grant_type=refresh_token&refresh_token=zz",
            Some(&basic(&f.password_app)),
            400,
            r#"{"error": "invalid_grant"}"#,
        ),
    ];
    for (form, auth, status, body) in cases {
        let r = send!(&app, token_request(form, *auth));
        assert_eq!((r.status, r.body.as_str()), (*status, *body), "{form}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    let wrong = basic(&(f.cc_app.0.clone(), "x".into()));
    let r = send!(
        &app,
        token_request("grant_type=client_credentials", Some(&wrong))
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (401, r#"{"error": "invalid_client"}"#)
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer error="invalid_client""#)
    );
    let r = send!(&app, TestRequest::get().uri("/o/token/"));
    assert_eq!((r.status, r.body.as_str()), (405, ""));
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
}

#[actix_web::test]
async fn password_and_refresh_rotate() {
    let f = fixture();
    let app = app!(f);
    let pw = basic(&f.password_app);
    let r = send!(
        &app,
        token_request(
            "grant_type=password&username=alice&password=pw&scope=read",
            Some(&pw)
        )
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let first = r.json();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body,
        format!(
            r#"{{"access_token": "{}", "expires_in": 36000, "token_type": "Bearer", "scope": "read", "refresh_token": "{refresh}"}}"#,
            first["access_token"].as_str().unwrap()
        )
    );
    let form = format!("grant_type=refresh_token&refresh_token={refresh}&scope=read+write");
    let r = send!(&app, token_request(&form, Some(&pw)));
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"error": "invalid_scope"}"#)
    );
    let form = format!("grant_type=refresh_token&refresh_token={refresh}");
    let r = send!(&app, token_request(&form, Some(&pw)));
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.json();
    assert_ne!(second["access_token"], first["access_token"]);
    let r = send!(&app, token_request(&form, Some(&pw)));
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"error": "invalid_grant"}"#)
    );
    // The old access token is gone; the new one works.
    let old = format!("Bearer {}", first["access_token"].as_str().unwrap());
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth/"), old.as_bytes())
    );
    assert_eq!(r.status, 401);
    let new = second["access_token"].as_str().unwrap().to_owned();
    let r = send!(
        &app,
        with_auth(
            TestRequest::get().uri("/oauth/"),
            format!("Bearer {new}").as_bytes()
        )
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"user": "alice", "auth": new}))
    );
}

#[actix_web::test]
async fn resource_server_answers_as_dot() {
    let f = fixture();
    let app = app!(f);
    let pw = basic(&f.password_app);
    let read = send!(
        &app,
        token_request(
            "grant_type=password&username=alice&password=pw&scope=read",
            Some(&pw)
        )
    )
    .json();
    let read = read["access_token"].as_str().unwrap().to_owned();
    let cc = send!(
        &app,
        token_request(
            "grant_type=client_credentials&scope=read+write",
            Some(&basic(&f.cc_app))
        )
    )
    .json();
    let cc = cc["access_token"].as_str().unwrap().to_owned();

    // No credentials: 401 with the bare challenge.
    let r = send!(&app, TestRequest::get().uri("/oauth/"));
    assert_eq!(r.status, 401);
    assert_eq!(r.body, format!(r#"{{"detail":"{NOT_PROVIDED}"}}"#));
    assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="api""#));
    // An unknown token is not attempted, and says why in the challenge.
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth/"), b"Bearer nope")
    );
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some(INVALID_HEADER))
    );
    assert_eq!(r.body, format!(r#"{{"detail":"{NOT_PROVIDED}"}}"#));
    // Not a bearer header: not attempted, no token read from the query.
    let uri = format!("/oauth/?access_token={read}");
    let r = send!(&app, with_auth(TestRequest::get().uri(&uri), b"Token abc"));
    assert_eq!(r.status, 401);
    // Without any Authorization header, the query's access_token counts.
    let as_alice = (200, json!({"user": "alice", "auth": read}));
    let r = send!(&app, TestRequest::get().uri(&uri));
    assert_eq!((r.status, r.json()), as_alice);
    // A form POST's body counts too, before the query (oauthlib reads the
    // body's parameters over the query's).
    let r = send!(
        &app,
        form_post(
            "/oauth/?access_token=nope",
            &format!("access_token={read}&x=1"),
            None
        )
    );
    assert_eq!((r.status, r.json()), as_alice);
    let r = send!(
        &app,
        form_post(
            &format!("/oauth/?access_token={read}"),
            "access_token=nope",
            None
        )
    );
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some(INVALID_HEADER))
    );
    let r = send!(&app, form_post(&uri, "x=1", None));
    assert_eq!(r.status, 200, "the query's token when the body has none");
    // A JSON body is not a form: its access_token is not read.
    let r = send!(
        &app,
        TestRequest::post()
            .uri("/oauth/")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(format!(r#"{{"access_token": "{read}"}}"#))
    );
    assert_eq!(r.status, 401);
    // With an Authorization header, the body is not read.
    let r = send!(
        &app,
        form_post(
            "/oauth/",
            &format!("access_token={read}"),
            Some("Token abc")
        )
    );
    assert_eq!(r.status, 401);
    // A client credentials token has no user.
    let r = send!(
        &app,
        with_auth(
            TestRequest::get().uri("/oauth/"),
            format!("Bearer {cc}").as_bytes()
        )
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"user": "None", "auth": cc}))
    );
    // Read-write: a read-only token may GET, not POST.
    let bearer = format!("Bearer {read}");
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth-rw/"), bearer.as_bytes())
    );
    assert_eq!(r.status, 200);
    let r = send!(
        &app,
        with_auth(TestRequest::post().uri("/oauth-rw/"), bearer.as_bytes())
    );
    assert_eq!(
        (r.status, r.body),
        (403, format!(r#"{{"detail":"{DENIED}"}}"#))
    );
    let r = send!(
        &app,
        with_auth(
            TestRequest::post().uri("/oauth-rw/"),
            format!("Bearer {cc}").as_bytes()
        )
    );
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn inactive_users_and_expired_tokens_are_refused() {
    let f = fixture();
    let app = app!(f);
    let users = f.oauth2.users().clone();
    let pw = basic(&f.password_app);
    let r = send!(
        &app,
        token_request("grant_type=password&username=alice&password=pw", Some(&pw))
    )
    .json();
    let bearer = format!("Bearer {}", r["access_token"].as_str().unwrap());
    let alice = users.user_by_username("alice").unwrap().unwrap();
    users.set_active(alice.id, false).unwrap();
    // DOT would let this token through; we do not.
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth/"), bearer.as_bytes())
    );
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some(INVALID_HEADER))
    );
    users.set_active(alice.id, true).unwrap();

    let expired = OAuth2::new(
        f.oauth2.store().clone(),
        users,
        OAuth2Settings::builder()
            .access_token_expire_seconds(-1)
            .build(),
    );
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(f.settings.clone())
            .app_data(web::Data::new(expired))
            .route("/oauth/", web::to(oauth))
            .service(web::resource("/o/token/").to(token)),
    )
    .await;
    let r = send!(
        &app,
        token_request("grant_type=password&username=alice&password=pw", Some(&pw))
    )
    .json();
    let bearer = format!("Bearer {}", r["access_token"].as_str().unwrap());
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth/"), bearer.as_bytes())
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer realm="api",error="invalid_token",error_description="The access token has expired.""#
        )
    );
}

#[actix_web::test]
async fn store_down_is_503() {
    let (users, _dir) = broken_store();
    let oauth2 = OAuth2::new(
        OAuth2Store::new(users.database().clone()),
        users.clone(),
        OAuth2Settings::default(),
    );
    let settings = AuthSettings::builder().store(users).build().unwrap();
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(settings)
            .app_data(web::Data::new(oauth2))
            .route("/oauth/", web::to(oauth))
            .service(web::resource("/o/token/").to(token)),
    )
    .await;
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri("/oauth/"), b"Bearer abc")
    );
    assert_eq!(r.status, 503);
    let r = send!(
        &app,
        token_request("grant_type=client_credentials", Some("Basic YTpi"))
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (503, r#"{"error": "temporarily_unavailable"}"#)
    );
}

fn form_post(path: &str, form: &str, auth: Option<&str>) -> TestRequest {
    let req = TestRequest::post()
        .uri(path)
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(form.to_owned());
    match auth {
        Some(value) => with_auth(req, value.as_bytes()),
        None => req,
    }
}

#[actix_web::test]
async fn revoke_and_introspect_answer_as_dot() {
    let f = fixture();
    let app = app!(f);
    let pw = basic(&f.password_app);
    let pair = send!(
        &app,
        token_request(
            "grant_type=password&username=alice&password=pw&scope=read+introspection",
            Some(&pw)
        )
    )
    .json();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let form = format!("token={access}");

    // Introspection by the client itself, and by a token with the scope.
    let r = send!(&app, form_post("/o/introspect/", &form, Some(&pw)));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let exp = r.json()["exp"].as_i64().unwrap();
    assert_eq!(
        r.body,
        format!(
            r#"{{"active": true, "scope": "read introspection", "exp": {exp}, "client_id": "{}", "username": "alice"}}"#,
            f.password_app.0
        )
    );
    let bearer = format!("Bearer {access}");
    let uri = format!("/o/introspect/?token={access}");
    let r = send!(
        &app,
        with_auth(TestRequest::get().uri(&uri), bearer.as_bytes())
    );
    assert_eq!(r.json()["active"], true);
    let r = send!(&app, form_post("/o/introspect/", "token=nope", Some(&pw)));
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"active": false}"#));
    let r = send!(&app, form_post("/o/introspect/", "", Some(&pw)));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"error": "invalid_request", "error_description": "Token parameter is missing."}"#
        )
    );
    // Neither a client nor a token with the scope: 403, empty.
    let r = send!(&app, form_post("/o/introspect/", &form, None));
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let cc = send!(
        &app,
        token_request(
            "grant_type=client_credentials&scope=read",
            Some(&basic(&f.cc_app))
        )
    )
    .json();
    let weak = format!("Bearer {}", cc["access_token"].as_str().unwrap());
    let r = send!(
        &app,
        with_auth(form_post("/o/introspect/", &form, None), weak.as_bytes())
    );
    assert_eq!(r.status, 403);
    let r = send!(&app, TestRequest::put().uri("/o/introspect/"));
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, POST, HEAD, OPTIONS"))
    );

    // Revocation.
    let r = send!(&app, form_post("/o/revoke_token/", "", Some(&pw)));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"error": "invalid_request", "error_description": "Missing token parameter."}"#
        )
    );
    let r = send!(&app, form_post("/o/revoke_token/", "token=x", None));
    assert_eq!(
        (r.status, r.body.as_str()),
        (401, r#"{"error": "invalid_client"}"#)
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer error="invalid_client""#)
    );
    // Another client cannot revoke this client's token.
    let r = send!(
        &app,
        form_post(
            "/o/revoke_token/",
            &format!("token={refresh}"),
            Some(&basic(&f.cc_app))
        )
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = send!(&app, form_post("/o/introspect/", &form, Some(&pw)));
    assert_eq!(r.json()["active"], true);
    let revoke = format!("token={refresh}&token_type_hint=refresh_token");
    let r = send!(&app, form_post("/o/revoke_token/", &revoke, Some(&pw)));
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = send!(&app, form_post("/o/introspect/", &form, Some(&pw)));
    assert_eq!(r.body, r#"{"active": false}"#);
    let r = send!(
        &app,
        token_request(
            &format!("grant_type=refresh_token&refresh_token={refresh}"),
            Some(&pw)
        )
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"error": "invalid_grant"}"#)
    );
    let r = send!(&app, TestRequest::get().uri("/o/revoke_token/"));
    assert_eq!((r.status, r.header("allow")), (405, Some("POST, OPTIONS")));
}

#[actix_web::test]
async fn authorization_code_is_redeemed_once_with_pkce() {
    use auth_actix::auth_core::oauth2::NewGrant;
    let f = fixture();
    let app = app!(f);
    let store = f.oauth2.store();
    let mut web_app = NewApplication::new("confidential", "authorization-code");
    web_app.client_secret = Some("s3cret".into());
    web_app.redirect_uris = "https://client.example/cb".into();
    let (web_app, _) = store
        .create_application(web_app, f.oauth2.settings().now())
        .unwrap();
    let alice = f.oauth2.users().user_by_username("alice").unwrap().unwrap();
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let code = store
        .create_grant(
            &NewGrant {
                user_id: alice.id,
                application_id: web_app.id,
                redirect_uri: "https://client.example/cb".into(),
                scope: "read".into(),
                code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
                code_challenge_method: "S256".into(),
                ..NewGrant::default()
            },
            f.oauth2.settings(),
        )
        .unwrap();
    let client = basic(&(web_app.client_id.clone(), "s3cret".into()));
    let redirect = "redirect_uri=https%3A%2F%2Fclient.example%2Fcb";
    let cases: &[(String, u16, &str)] = &[
        (
            format!("grant_type=authorization_code&{redirect}&code_verifier={verifier}"),
            400,
            r#"{"error": "invalid_request", "error_description": "Missing code parameter."}"#,
        ),
        (
            format!("grant_type=authorization_code&code={code}&{redirect}"),
            400,
            r#"{"error": "invalid_request", "error_description": "Code verifier required."}"#,
        ),
        (
            format!("grant_type=authorization_code&code={code}&{redirect}&code_verifier=x"),
            400,
            r#"{"error": "invalid_grant"}"#,
        ),
        (
            format!(
                "grant_type=authorization_code&code={code}&code_verifier={verifier}\
                 &redirect_uri=https%3A%2F%2Fclient.example%2Fother"
            ),
            400,
            r#"{"error": "invalid_request", "error_description": "Mismatching redirect URI."}"#,
        ),
    ];
    for (form, status, body) in cases {
        let r = send!(&app, token_request(form, Some(&client)));
        assert_eq!((r.status, r.body.as_str()), (*status, *body), "{form}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // A password application may not redeem it.
    let r = send!(
        &app,
        token_request(
            &format!("grant_type=authorization_code&code={code}&code_verifier={verifier}"),
            Some(&basic(&f.password_app)),
        )
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"error": "unauthorized_client"}"#)
    );
    let form =
        format!("grant_type=authorization_code&code={code}&{redirect}&code_verifier={verifier}");
    let r = send!(&app, token_request(&form, Some(&client)));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    assert_eq!(body["scope"], "read");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body,
        format!(
            r#"{{"access_token": "{access}", "expires_in": 36000, "token_type": "Bearer", "scope": "read", "refresh_token": "{refresh}"}}"#
        )
    );
    let r = send!(
        &app,
        TestRequest::get()
            .uri("/oauth/")
            .insert_header(("Authorization", format!("Bearer {access}")))
    );
    assert_eq!(r.json(), json!({"user": "alice", "auth": access}));
    // Once only.
    let r = send!(&app, token_request(&form, Some(&client)));
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"error": "invalid_grant"}"#)
    );
}

//! Each scenario binary, started on an ephemeral port and probed over HTTP.

use crate::common::{basic, http, start, temp_database};
use auth_actix::auth_core::PoolConfig;
use auth_actix::AuthStore;

const NOT_PROVIDED: &str = r#"{"detail":"Authentication credentials were not provided."}"#;

/// The token the binary made for its demo user, read from its database.
fn demo_token(url: &str) -> String {
    let store = AuthStore::connect(url, &PoolConfig::default()).expect("open the database");
    let demo = store
        .user_by_username("demo")
        .expect("query")
        .expect("the demo user");
    store
        .token_for_user(demo.id)
        .expect("query")
        .expect("the demo token")
        .key
}

#[test]
fn quickstart() {
    let (dir, url) = temp_database();
    let server = start(
        env!("CARGO_BIN_EXE_quickstart"),
        &[("DATABASE_URL", &url)],
        dir.path(),
    );
    let printed = server.stdout();
    let token = demo_token(&url);
    assert!(printed.contains("password: demo-password"), "{printed}");
    assert!(printed.contains(&format!("Token {token}")), "{printed}");
    let response = http(
        &server.addr,
        "GET",
        "/api/me/",
        &[("Authorization", &basic("demo", "demo-password"))],
        "",
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (
            200,
            r#"{"authenticated_by":"BasicAuthentication","user":"demo"}"#
        )
    );
    let response = http(
        &server.addr,
        "GET",
        "/api/me/",
        &[("Authorization", &format!("Token {token}"))],
        "",
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (
            200,
            r#"{"authenticated_by":"TokenAuthentication","user":"demo"}"#
        )
    );
}

#[test]
fn custom_authentication() {
    let (dir, url) = temp_database();
    let server = start(
        env!("CARGO_BIN_EXE_custom_authentication"),
        &[("DATABASE_URL", &url)],
        dir.path(),
    );
    let get = |headers: &[(&str, &str)]| {
        let response = http(&server.addr, "GET", "/whoami/", headers, "");
        (response.status, response.body)
    };
    assert_eq!(
        get(&[("X-Username", "demo")]),
        (200, r#"{"user":"demo"}"#.to_owned())
    );
    assert_eq!(
        get(&[("X-Username", "eve")]),
        (403, r#"{"detail":"No such user"}"#.to_owned())
    );
    assert_eq!(get(&[]), (403, NOT_PROVIDED.to_owned()));
}

#[test]
fn bearer_token() {
    let (dir, url) = temp_database();
    let server = start(
        env!("CARGO_BIN_EXE_bearer_token"),
        &[("DATABASE_URL", &url)],
        dir.path(),
    );
    let token = demo_token(&url);
    assert!(server.stdout().contains(&format!("Bearer {token}")));
    let response = http(
        &server.addr,
        "GET",
        "/api/me/",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    );
    assert_eq!(
        (response.status, response.body),
        (200, format!(r#"{{"token":"{token}","user":"demo"}}"#))
    );
    for headers in [vec![], vec![("Authorization", "Token x")]] {
        let response = http(&server.addr, "GET", "/api/me/", &headers, "");
        assert_eq!(
            (response.status, response.body.as_str()),
            (401, NOT_PROVIDED)
        );
        assert!(response.has_header("www-authenticate", "Bearer"));
    }
}

#[test]
fn scope_middleware() {
    let (dir, url) = temp_database();
    let server = start(
        env!("CARGO_BIN_EXE_scope_middleware"),
        &[("DATABASE_URL", &url)],
        dir.path(),
    );
    let json = ("Content-Type", "application/json");
    let note = r#"{"text":"hi"}"#;
    let response = http(&server.addr, "GET", "/api/notes/", &[], "");
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"notes":[],"user":"AnonymousUser"}"#)
    );
    let response = http(&server.addr, "POST", "/api/notes/", &[json], note);
    assert_eq!(
        (response.status, response.body.as_str()),
        (401, NOT_PROVIDED)
    );
    assert!(response.has_header("www-authenticate", "Token"));
    let demo = basic("demo", "demo-password");
    let response = http(
        &server.addr,
        "POST",
        "/api/notes/",
        &[json, ("Authorization", &demo)],
        note,
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (201, r#"{"owner":"demo","text":"hi"}"#)
    );
    let token = format!("Token {}", demo_token(&url));
    let response = http(
        &server.addr,
        "POST",
        "/api/notes/",
        &[json, ("Authorization", &token)],
        note,
    );
    assert_eq!(response.status, 201);
    // Outside the scope: no pipeline, so even bad credentials pass.
    let response = http(
        &server.addr,
        "GET",
        "/health/",
        &[("Authorization", "Basic")],
        "",
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"ok":true}"#)
    );
}

#[test]
fn postgres() {
    if !cfg!(feature = "postgres") {
        crate::common::skipped("SKIPPED: postgres: the example needs the postgres feature (run with --features postgres)");
        return;
    }
    // Cargo names every binary, built or not.
    let bin = env!("CARGO_BIN_EXE_postgres");
    let Some(url) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        crate::common::skipped(
            "SKIPPED: postgres: needs PostgreSQL (set TEST_POSTGRES_URL to run)",
        );
        return;
    };
    let store = AuthStore::connect(&url, &PoolConfig::default()).expect("connect");
    store.migrate().expect("migrate");
    let username = format!(
        "pg-example-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros()
    );
    let mut new = auth_actix::auth_core::NewUser::new(&username, Some("pg password".into()));
    new.is_active = true;
    let user = store.create_user(new).expect("create a user");
    let key = store.token_get_or_create(user.id).expect("a token").0.key;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(bin, &[("DATABASE_URL", &url)], dir.path());
    let response = http(
        &server.addr,
        "GET",
        "/api/me/",
        &[("Authorization", &basic(&username, "pg password"))],
        "",
    );
    assert_eq!(
        (response.status, response.body),
        (
            200,
            format!(r#"{{"authenticated_by":"BasicAuthentication","user":"{username}"}}"#)
        )
    );
    let response = http(
        &server.addr,
        "GET",
        "/api/me/",
        &[("Authorization", &format!("Token {key}"))],
        "",
    );
    assert_eq!(response.status, 200);
    store.delete_user(user.id).expect("clean up");
}

#[test]
fn redis_sessions() {
    if !cfg!(feature = "redis") {
        crate::common::skipped("SKIPPED: redis_sessions: the example needs the redis feature (run with --features redis)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_redis_sessions");
    let Some(redis) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        crate::common::skipped("SKIPPED: redis_sessions: needs Redis (set TEST_REDIS_URL to run)");
        return;
    };
    let (dir, url) = temp_database();
    let server = start(
        bin,
        &[("DATABASE_URL", &url), ("REDIS_URL", &redis)],
        dir.path(),
    );
    let response = http(&server.addr, "GET", "/api-auth/csrf/", &[], "");
    assert_eq!(response.status, 200, "{}", response.body);
    let csrf_cookie = response
        .cookies()
        .into_iter()
        .find(|(name, _)| name == "csrftoken")
        .expect("the csrftoken cookie")
        .1;
    let cookie = format!("csrftoken={csrf_cookie}");
    let response = http(
        &server.addr,
        "POST",
        "/api-auth/login/",
        &[
            ("Cookie", &cookie),
            ("X-CSRFToken", &csrf_cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "username=demo&password=demo-password",
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"user":"demo"}"#)
    );
    let cookies = response.cookies();
    let find = |name: &str| {
        cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
    };
    let (session, rotated) = (find("sessionid"), find("csrftoken"));
    let jar = format!("sessionid={session}; csrftoken={rotated}");
    let me = |jar: &str| http(&server.addr, "GET", "/api/me/", &[("Cookie", jar)], "");
    let response = me(&jar);
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"user":"demo"}"#)
    );
    let response = http(
        &server.addr,
        "POST",
        "/api-auth/logout/",
        &[("Cookie", &jar), ("X-CSRFToken", &rotated)],
        "",
    );
    assert_eq!(response.status, 200, "{}", response.body);
    // The session ended in Redis: the same cookie opens nothing.
    let response = me(&jar);
    assert_eq!(
        (response.status, response.body.as_str()),
        (403, NOT_PROVIDED)
    );
}

/// The README's "Add it to your app" is `my_app.rs` character for character, so the code a
/// newcomer copies is code that compiles; its debug-profile lines are the ones the slow-hash
/// warning names.
#[test]
fn the_readme_app_is_my_app() {
    let source = include_str!("../src/bin/my_app.rs");
    let (_, code) = source
        .split_once("\n\n")
        .expect("a doc comment, a blank line, then the code");
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("```rust,ignore\n{code}```")),
        "README.md's app is not examples/src/bin/my_app.rs"
    );
    let lines = auth_actix::auth_core::hashers::DEV_PROFILE_LINES;
    assert!(
        readme.contains(&format!("```toml\n{lines}```")),
        "README.md's profile lines are not DEV_PROFILE_LINES"
    );
}

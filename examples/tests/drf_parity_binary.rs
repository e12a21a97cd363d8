//! The real `drf_parity` binary: its subcommands, then `serve` on an ephemeral
//! port, probed over a real socket (which is also what makes the loopback
//! peer of `/remote/` real).

use std::process::{Command, Output};

use crate::common::{basic, http, start};

const BIN: &str = env!("CARGO_BIN_EXE_drf_parity");

/// `drf_parity <args>` on the database `url`.
fn drf_parity(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run drf_parity")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
fn succeed(url: &str, args: &[&str]) -> String {
    let output = drf_parity(url, args);
    assert!(
        output.status.success(),
        "drf_parity {args:?}: {}\n{}{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

fn token_of(output: &str, username: &str) -> String {
    output
        .strip_prefix("Generated token ")
        .and_then(|rest| rest.strip_suffix(&format!(" for user {username}\n")))
        .unwrap_or_else(|| panic!("create-token printed {output:?}"))
        .to_owned()
}

#[test]
fn the_binary_manages_its_database_and_serves_the_views() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The absolute `sqlite:///` form.
    let url = format!("sqlite://{}", dir.path().join("parity.sqlite3").display());
    assert!(url.starts_with("sqlite:///"), "{url}");

    // Subcommands.
    assert!(succeed(&url, &["migrate"]).contains("Applying"));
    assert!(succeed(&url, &["migrate"]).contains("No migrations to apply."));
    let users: [(&[&str], &str); 4] = [
        (&["alice", "--password", "alice pw"], "User"),
        (
            &[
                "boss",
                "--password",
                "boss-pw",
                "--email",
                "boss@example.com",
                "--staff",
            ],
            "User",
        ),
        (
            &["root", "--password", "root-pw", "--superuser"],
            "Superuser",
        ),
        (&["ghost", "--password", "ghost-pw", "--inactive"], "User"),
    ];
    for (args, printed) in users {
        let args: Vec<&str> = std::iter::once("createuser")
            .chain(args.iter().copied())
            .collect();
        assert_eq!(
            succeed(&url, &args),
            format!("{printed} created successfully.\n")
        );
    }
    let alice_key = token_of(&succeed(&url, &["create-token", "alice"]), "alice");
    assert_eq!(
        token_of(&succeed(&url, &["create-token", "alice"]), "alice"),
        alice_key,
        "the same key every time"
    );
    let old_key = alice_key;
    let alice_key = token_of(&succeed(&url, &["create-token", "-r", "alice"]), "alice");
    assert_ne!(alice_key, old_key, "-r replaces the key");
    let ghost_key = token_of(&succeed(&url, &["create-token", "ghost"]), "ghost");
    let missing = drf_parity(&url, &["create-token", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "CommandError: Cannot create the Token: user nobody does not exist\n"
    );
    let bad = drf_parity(&url, &["serve", "--port", "1"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let help = succeed(&url, &["help"]);
    assert!(help.contains("drf_parity [serve]") && help.contains("create-token"));

    // An empty SECRET_KEY is refused, as Django refuses it.
    let empty = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .env("SECRET_KEY", "")
        .env("BIND_ADDR", "127.0.0.1:0")
        .output()
        .expect("run drf_parity");
    assert_eq!(empty.status.code(), Some(1));
    assert!(stderr(&empty).contains("The SECRET_KEY setting must not be empty."));

    // An unknown session engine is refused before anything is served.
    let engine = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .env("SESSION_ENGINE", "cache")
        .env("BIND_ADDR", "127.0.0.1:0")
        .output()
        .expect("run drf_parity");
    assert_eq!(engine.status.code(), Some(1));
    assert!(stderr(&engine).contains("SESSION_ENGINE must be `django` or `signed_cookies`"));

    // Serving.
    let server = start(BIN, &[("DATABASE_URL", &url)], dir.path());
    let call = |method: &str, path: &str, headers: &[(&str, &str)]| {
        let response = http(&server.addr, method, path, headers, "");
        (response.status, response.body)
    };
    let alice = basic("alice", "alice pw");
    let boss = basic("boss", "boss-pw");
    let token = format!("Token {alice_key}");
    let bearer = format!("Bearer {alice_key}");
    let ghost = format!("Token {ghost_key}");
    let caller = |user: &str, key: Option<&str>| match key {
        Some(key) => format!(r#"{{"user":"{user}","auth":"{key}"}}"#),
        None => format!(r#"{{"user":"{user}","auth":null}}"#),
    };
    assert_eq!(
        call("GET", "/basic/", &[("Authorization", &alice)]),
        (200, caller("alice", None))
    );
    assert_eq!(
        call("POST", "/token/", &[("Authorization", &token)]),
        (200, caller("alice", Some(&alice_key)))
    );
    assert_eq!(
        call("PUT", "/bearer/", &[("Authorization", &bearer)]),
        (200, caller("alice", Some(&alice_key)))
    );
    assert_eq!(
        call("GET", "/token/", &[("Authorization", &ghost)]),
        (401, r#"{"detail":"User inactive or deleted."}"#.to_owned())
    );
    let response = http(&server.addr, "DELETE", "/basic/", &[], "");
    assert_eq!(
        (response.status, response.body.as_str()),
        (
            401,
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    assert!(
        response.has_header("www-authenticate", "Basic realm=\"api\""),
        "{}",
        response.head
    );
    assert!(response.has_header("allow", "GET, POST, PUT, PATCH, OPTIONS"));
    assert_eq!(
        call("PATCH", "/admin/", &[("Authorization", &alice)]),
        (
            403,
            r#"{"detail":"You do not have permission to perform this action."}"#.to_owned()
        )
    );
    assert_eq!(
        call("PATCH", "/admin/", &[("Authorization", &boss)]),
        (200, caller("boss", None))
    );
    // This connection comes from loopback: the proxy header is believed.
    assert_eq!(
        call("GET", "/remote/", &[("Remote-User", "carol")]),
        (200, caller("carol", None))
    );
    let response = http(
        &server.addr,
        "POST",
        "/api-token-auth/",
        &[("Content-Type", "application/json")],
        r#"{"username":"alice","password":"alice pw"}"#,
    );
    assert_eq!(
        (response.status, response.body),
        (200, format!(r#"{{"token":"{alice_key}"}}"#))
    );
    assert_eq!(
        call("GET", "/bare/", &[]),
        (200, r#"{"ok":true}"#.to_owned())
    );
    drop(server);

    // The user the remote view created is in the database the commands use.
    let carol = token_of(&succeed(&url, &["create-token", "carol"]), "carol");
    assert_eq!(carol.len(), 40);
}

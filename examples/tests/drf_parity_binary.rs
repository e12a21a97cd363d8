//! The real `drf_parity` binary: its subcommands, then `serve` on an ephemeral
//! port, probed over a real socket (which is also what makes the loopback
//! peer of `/remote/` real).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;

const BIN: &str = env!("CARGO_BIN_EXE_drf_parity");
const SECRET_KEY: &str = "a test key that is long enough to derive cookie keys from";

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

/// The server, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str, log: &Path) -> Server {
    let log = std::fs::File::create(log).expect("a log file");
    let mut child = Command::new(BIN)
        .env("DATABASE_URL", url)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("WORKERS", "1")
        .env("SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start drf_parity");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    out.read_line(&mut line).expect("read drf_parity's stdout");
    let addr = line
        .trim_end()
        .strip_prefix("drf_parity listening on http://")
        .unwrap_or_else(|| panic!("drf_parity printed {line:?}"))
        .to_owned();
    Server { child, addr }
}

/// One HTTP/1.1 exchange: the status, the head (lower-cased) and the body.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
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

    // A SECRET_KEY too short to derive a key from is refused, and not echoed.
    let short = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .env("SECRET_KEY", "hunter2")
        .env("BIND_ADDR", "127.0.0.1:0")
        .output()
        .expect("run drf_parity");
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("SECRET_KEY must be at least 32 bytes"));
    assert!(!stderr(&short).contains("hunter2"));

    // Serving.
    let server = serve(&url, &dir.path().join("serve.log"));
    let addr = server.addr.as_str();
    let alice = basic("alice", "alice pw");
    let (status, _, body) = http(addr, "GET", "/basic/", &[("Authorization", &alice)]);
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"user":"alice","auth":null}"#)
    );
    let token = format!("Token {alice_key}");
    let (status, _, body) = http(addr, "POST", "/token/", &[("Authorization", &token)]);
    assert_eq!(
        (status, body),
        (200, format!(r#"{{"user":"alice","auth":"{alice_key}"}}"#))
    );
    let bearer = format!("Bearer {alice_key}");
    let (status, _, _) = http(addr, "PUT", "/bearer/", &[("Authorization", &bearer)]);
    assert_eq!(status, 200);
    let ghost = format!("Token {ghost_key}");
    let (status, _, body) = http(addr, "GET", "/token/", &[("Authorization", &ghost)]);
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"detail":"User inactive or deleted."}"#)
    );
    let (status, head, body) = http(addr, "DELETE", "/basic/", &[]);
    assert_eq!(
        (status, body.as_str()),
        (
            401,
            r#"{"detail":"Authentication credentials were not provided."}"#
        )
    );
    assert!(
        head.contains("\r\nwww-authenticate: basic realm=\"api\""),
        "{head}"
    );
    assert!(head.contains("\r\nallow: get, post, put, patch, options"));
    let (status, _, body) = http(addr, "PATCH", "/admin/", &[("Authorization", &alice)]);
    assert_eq!(
        (status, body.as_str()),
        (
            403,
            r#"{"detail":"You do not have permission to perform this action."}"#
        )
    );
    let boss = basic("boss", "boss-pw");
    let (status, _, _) = http(addr, "PATCH", "/admin/", &[("Authorization", &boss)]);
    assert_eq!(status, 200);
    // This connection comes from loopback: the proxy header is believed.
    let (status, _, body) = http(addr, "GET", "/remote/", &[("Remote-User", "carol")]);
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"user":"carol","auth":null}"#)
    );
    let (status, _, body) = http(addr, "GET", "/bare/", &[]);
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    drop(server);

    // The user the remote view created is in the database the commands use.
    let carol = token_of(&succeed(&url, &["create-token", "carol"]), "carol");
    assert_eq!(carol.len(), 40);
}

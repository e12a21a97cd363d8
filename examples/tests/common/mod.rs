//! Running the example binaries: start one on an ephemeral port, speak HTTP
//! to it over a real socket.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

/// A key long enough for `SECRET_KEY`.
pub const SECRET_KEY: &str = "a test key that is long enough to derive cookie keys from";

/// A running example, killed when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    stdout: PathBuf,
}

impl Server {
    /// Everything the server printed on stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin` with `env` (plus `BIND_ADDR=127.0.0.1:0`, one worker and a
/// `SECRET_KEY`), its output in files under `dir`, and waits for its
/// `<program> listening on http://<addr>` line.
pub fn start(bin: &str, env: &[(&str, &str)], dir: &Path) -> Server {
    let name = Path::new(bin)
        .file_name()
        .map_or_else(|| "server".into(), |n| n.to_string_lossy().into_owned());
    let stdout = dir.join(format!("{name}.out"));
    let stderr = dir.join(format!("{name}.err"));
    let mut command = Command::new(bin);
    command
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("WORKERS", "1")
        .env("SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("a stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("a stderr file"));
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start the example");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
        if let Some(addr) = printed
            .lines()
            .find_map(|line| line.split_once(" listening on http://"))
            .map(|(_, addr)| addr.trim().to_owned())
        {
            return Server {
                child,
                addr,
                stdout,
            };
        }
        let exited = child.try_wait().expect("poll the example").is_some();
        if exited || Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{name} did not start:\n{printed}{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What came back.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// The status line and the headers, as received.
    pub head: String,
    pub body: String,
}

impl Response {
    /// Whether the head has the header line `name: value` (compared
    /// case-insensitively).
    pub fn has_header(&self, name: &str, value: &str) -> bool {
        self.head
            .to_ascii_lowercase()
            .contains(&format!("\r\n{name}: {value}\r\n").to_ascii_lowercase())
    }

    /// The `name=value` pairs of the `Set-Cookie` headers.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.head
            .split("\r\n")
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                if !name.eq_ignore_ascii_case("set-cookie") {
                    return None;
                }
                let pair = value.trim().split(';').next()?;
                let (name, value) = pair.split_once('=')?;
                Some((name.to_owned(), value.to_owned()))
            })
            .collect()
    }
}

/// One HTTP/1.1 exchange on a new connection.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
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
    Response {
        status,
        head: format!("{head}\r\n"),
        body: body.to_owned(),
    }
}

/// `Basic <base64(username:password)>`.
pub fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// A temporary directory and the `sqlite:///` URL of a database in it.
pub fn temp_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
    (dir, url)
}

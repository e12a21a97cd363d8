//! Running the example binaries: start one on an ephemeral port, speak HTTP
//! to it over a real socket.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use auth_testkit::server::{basic, http};
pub use auth_testkit::skipped;

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

/// A temporary directory and the `sqlite:///` URL of a database in it.
pub fn temp_database() -> (tempfile::TempDir, String) {
    let db = auth_testkit::TempSqlite::new();
    let url = db.url();
    (db.into_dir(), url)
}

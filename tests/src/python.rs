//! A Python process of `scripts/django/` answering commands: one JSON object per line on its
//! stdin, one JSON answer per line on its stdout (Django started once per test, not per command).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

use crate::repo_root;

/// The running process; killed when dropped.
pub struct JsonLines {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl JsonLines {
    /// Runs `python scripts/django/<script>` with `env` added to the environment.
    pub fn start(python: &str, script: &str, env: &[(&str, String)]) -> JsonLines {
        let mut command = Command::new(python);
        command
            .arg(repo_root().join("scripts/django").join(script))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("run {python} {script}: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        JsonLines {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends `command` and reads the answer; panics on an `{"error": ...}` answer.
    pub fn ask(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("write to Django");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read Django's answer");
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("Django answered {line:?} to {command}: {e}"));
        assert!(
            answer.get("error").is_none(),
            "Django: {answer} for {command}"
        );
        answer
    }
}

impl Drop for JsonLines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

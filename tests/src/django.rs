//! A long-running Django process answering JSON-line commands: one JSON object per line on its
//! standard input, one JSON answer per line on its standard output (the scripts of
//! `scripts/django/` that end in a command loop), so that a suite pays Django's start-up once.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

/// The running script; killed when dropped.
pub struct DjangoProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl DjangoProcess {
    /// Runs `script` with `python`, with `env` added to the environment.
    pub fn start(python: &str, script: &Path, env: &[(&str, &str)]) -> DjangoProcess {
        let mut command = Command::new(python);
        command
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("run {python} {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        DjangoProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends `command`, returns the answer; panics when Django answers `{"error": ...}`.
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

impl Drop for DjangoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

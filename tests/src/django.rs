//! A Django process answering JSON-line commands (`scripts/django/*.py`): one JSON object per
//! line on its stdin, one JSON answer per line on its stdout. Started once per test, so Django's
//! start-up is paid once, not per request.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

use crate::repo_root;

/// The process; killed when dropped.
pub struct DjangoProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl DjangoProcess {
    /// `python scripts/django/<script>` with `env` added to the environment.
    pub fn start(python: &str, script: &str, env: &[(&str, &str)]) -> DjangoProcess {
        let mut command = Command::new(python);
        command.arg(repo_root().join("scripts/django").join(script));
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {python} {script}: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        DjangoProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends `command` and reads the answer; an `{"error": ...}` answer fails the test.
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

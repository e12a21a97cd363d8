//! A long-running Django process answering one JSON command per line on stdin with one JSON
//! answer per line on stdout (`scripts/django/sessions.py`, `scripts/django/oauth2.py`): Django
//! starts once per test, not once per check.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

use crate::repo_root;

/// One `scripts/django/<script>` process; killed on drop.
pub struct DjangoScript {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl DjangoScript {
    /// Runs `scripts/django/<script>` with `python` and the environment `envs`.
    pub fn start(python: &str, script: &str, envs: &[(&str, &str)]) -> DjangoScript {
        let mut command = Command::new(python);
        command.arg(repo_root().join("scripts/django").join(script));
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {python} {script}: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        DjangoScript {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends `command` and returns the answer; panics on an answer with an `error`.
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

impl Drop for DjangoScript {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

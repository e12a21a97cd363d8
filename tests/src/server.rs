//! A real `drf_parity` server in this process (auth-testkit's [`Server`](auth_testkit::server::Server)
//! with `drf_parity`'s app), the kit's plain HTTP/1.1 client over a socket, a browser's Django
//! cookies, and a capture of everything the process logs.

use std::io::Write;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar};
use actix_web::App;
use examples::config::Secret;
use examples::parity::Parity;

use auth_testkit::server::AppFactory;

pub use auth_testkit::server::{basic, exchange, http, parse_response, Response};

/// A running server; stopped when dropped. Derefs to the kit's server (`addr`, `send`).
pub struct Server(auth_testkit::server::Server);

impl Server {
    /// Serves `parity`'s app with `workers` workers on an ephemeral loopback port.
    pub fn start(parity: Parity, workers: usize) -> Server {
        Server::serve(move || parity.app(), workers)
    }

    /// Serves the apps `app` makes (one a worker) on an ephemeral loopback port.
    pub fn serve<F, T, B>(app: F, workers: usize) -> Server
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: AppFactory<B>,
        B: MessageBody + 'static,
    {
        Server(auth_testkit::server::Server::serve(app, workers))
    }
}

impl Deref for Server {
    type Target = auth_testkit::server::Server;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A browser's Django cookies: `csrftoken` and `sessionid`, as the server last set them.
#[derive(Debug, Default, Clone)]
pub struct Browser {
    /// The CSRF cookie (the secret).
    pub csrftoken: Option<String>,
    /// The session cookie (encrypted, percent-encoded).
    pub sessionid: Option<String>,
}

impl Browser {
    /// The `Cookie` header for the cookies held: `csrftoken=…; sessionid=…`, empty for none.
    pub fn cookie_header(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(csrf) = &self.csrftoken {
            pairs.push(format!("csrftoken={csrf}"));
        }
        if let Some(session) = &self.sessionid {
            pairs.push(format!("sessionid={session}"));
        }
        pairs.join("; ")
    }

    /// Keeps the cookies `reply` sets (an emptied cookie is kept as empty).
    pub fn keep(&mut self, reply: &Response) {
        if let Some(csrf) = reply.cookie("csrftoken") {
            self.csrftoken = Some(csrf);
        }
        if let Some(session) = reply.cookie("sessionid") {
            self.sessionid = Some(session);
        }
    }

    /// One exchange with `server` sending the cookies held (no `Cookie` header without any),
    /// keeping the cookies the reply sets.
    pub fn send(
        &mut self,
        server: &Server,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let cookies = self.cookie_header();
        let mut all = headers.to_vec();
        if !cookies.is_empty() {
            all.push(("Cookie", &cookies));
        }
        let reply = server.send(method, path, &all, body);
        self.keep(&reply);
        reply
    }

    /// The session key inside the session cookie, which a server with `secret_key` made.
    ///
    /// Panics without a session cookie, or with one that key did not make.
    pub fn session_key(&self, secret_key: &str) -> String {
        let cookie = self.sessionid.as_deref().expect("a session cookie");
        let mut jar = CookieJar::new();
        let cookie = Cookie::parse_encoded(format!("sessionid={cookie}")).expect("a cookie");
        jar.add_original(cookie.into_owned());
        jar.private(&Secret::new(secret_key).unwrap().cookie_key())
            .get("sessionid")
            .expect("a session cookie this server made")
            .value()
            .to_owned()
    }
}

/// Everything this process logs, through `tracing` (and the `log` records it receives), at every
/// level and from every target, one string per event as the `fmt` subscriber writes it without
/// colours or times: `LEVEL target: message field=value ...`, span fields included.
#[derive(Clone)]
pub struct Logs {
    events: Arc<Mutex<Vec<String>>>,
}

struct EventWriter(Arc<Mutex<Vec<String>>>);

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The fmt subscriber formats an event whole, then writes it once.
        let line = String::from_utf8_lossy(buf).trim_end().to_owned();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// The process-wide capture, installed as the global subscriber at `TRACE` on first use.
    ///
    /// Panics if another global subscriber was installed first.
    pub fn capture() -> Logs {
        static LOGS: OnceLock<Logs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let events = Arc::new(Mutex::new(Vec::new()));
            let writer = events.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .without_time()
                .with_writer(move || EventWriter(writer.clone()))
                .try_init()
                .expect("no other global subscriber");
            Logs { events }
        })
        .clone()
    }

    /// Every event captured since the last [`Logs::take`], oldest first; clears them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A copy of every event captured since the last [`Logs::take`].
    pub fn snapshot(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The events at `WARN` or `ERROR`: what an operator's log (the default `info` filter or
/// stricter) shows as a problem.
pub fn problems(events: &[String]) -> Vec<&String> {
    events
        .iter()
        .filter(|event| {
            let event = event.trim_start();
            event.starts_with("ERROR") || event.starts_with("WARN")
        })
        .collect()
}

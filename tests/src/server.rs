//! A real `drf_parity` server in this process (an actix `HttpServer` on `127.0.0.1:0` in its own
//! thread), a plain HTTP/1.1 client over a socket, and a capture of everything the process logs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar};
use actix_web::dev::{ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer};
use examples::config::Secret;
use examples::parity::Parity;

/// A running server; stopped when dropped.
pub struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves `parity`'s app with `workers` workers on an ephemeral loopback port.
    pub fn start(parity: Parity, workers: usize) -> Server {
        Server::serve(move || parity.app(), workers)
    }

    /// Serves the apps `app` makes (one a worker) on an ephemeral loopback port.
    pub fn serve<F, T, B>(app: F, workers: usize) -> Server
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(app)
                    .workers(workers)
                    .disable_signals()
                    .bind("127.0.0.1:0")?;
                let addr = server.addrs()[0];
                let server = server.run();
                sender
                    .send((addr, server.handle()))
                    .expect("the test waits for the address");
                server.await
            })
        });
        let (addr, handle) = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        Server {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// One exchange on a new connection (see [`http`]).
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        http(&self.addr(), method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let stop = self.handle.stop(false);
        actix_web::rt::System::new().block_on(stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The status line and the headers, as received, each line ending in CRLF.
    pub head: String,
    /// The body.
    pub body: String,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (n, value) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The value of the cookie `name` this response sets, if it does.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find_map(|(n, value)| (n == name).then_some(value))
    }

    /// Whether the head has the header line `name: value` (compared case-insensitively).
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

    /// `(status, body)`, for assertions.
    pub fn summary(&self) -> (u16, &str) {
        (self.status, self.body.as_str())
    }
}

/// One HTTP/1.1 exchange on a new connection (`Connection: close`), read to the end.
///
/// Panics with a clear message when the server drops the connection without a full answer.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    exchange(addr, request.as_bytes(), &format!("{method} {path}"))
}

/// Send `request` exactly as given (head and body) on a new connection, and read the answer to
/// the end of the connection; `what` names the request in panic messages.
pub fn exchange(addr: &str, request: &[u8], what: &str) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    stream.write_all(request).expect("send the request");
    let mut raw = Vec::new();
    if let Err(err) = stream.read_to_end(&mut raw) {
        panic!("{what}: the connection failed before the whole answer came: {err}");
    }
    parse_response(&raw, what)
}

/// An HTTP/1.1 response read to the end of its connection; `what` names the request in panic
/// messages.
pub fn parse_response(raw: &[u8], what: &str) -> Response {
    let response = String::from_utf8_lossy(raw).into_owned();
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        panic!("{what}: the connection was dropped without an HTTP answer: {response:?}");
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    if let Some(length) = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    }) {
        assert_eq!(
            body.len(),
            length,
            "{what}: the body was cut short: {response:?}"
        );
    }
    Response {
        status,
        head: format!("{head}\r\n"),
        body: body.to_owned(),
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

/// `Basic <base64(username:password)>`.
pub fn basic(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
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

//! A real server in this process (an actix `HttpServer` on `127.0.0.1:0` in its own thread), and
//! a plain HTTP/1.1 client over a socket, for what only a real connection shows (peer
//! addresses, raw header bytes, slow bodies, several workers).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer};

/// What `App::new()...` builds, with the body type `B` of its responses: the service factory
/// `HttpServer` and `test::init_service` take (named once here rather than at each use).
pub trait AppFactory<B>:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
        InitError = (),
    > + 'static
{
}

impl<T, B> AppFactory<B> for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static
{
}

/// A running server; stopped when dropped.
pub struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves the apps `app` makes (one a worker) on an ephemeral loopback port.
    pub fn serve<F, T, B>(app: F, workers: usize) -> Server
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: AppFactory<B>,
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
    /// Stops the server and waits for its thread. The stop command is sent when `stop` is
    /// called, so this needs no runtime of its own and may run inside an async test.
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What came back over the socket, as received.
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
        self.headers()
            .find_map(|(n, value)| n.eq_ignore_ascii_case(name).then_some(value))
    }

    /// Every header line as `(name, value)`, in order, values trimmed.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.head.split("\r\n").skip(1).filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim(), value.trim()))
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
        self.headers()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| {
                let pair = value.split(';').next()?;
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

/// One HTTP/1.1 exchange on a new connection (`Connection: close`, `Host: <addr>`), read to the
/// end.
///
/// Panics with a clear message when the server drops the connection without a full answer.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let request = request_bytes(addr, method, path, headers, body.as_bytes());
    exchange(addr, &request, &format!("{method} {path}"))
}

/// The bytes of an HTTP/1.1 request as [`http`] sends it: `Host: <addr>`, `Connection: close`,
/// `headers`, `Content-Length` and `body`.
pub fn request_bytes(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
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
    let response = Response {
        status,
        head: format!("{head}\r\n"),
        body: body.to_owned(),
    };
    if let Some(Ok(length)) = response.header("content-length").map(str::parse::<usize>) {
        assert_eq!(
            response.body.len(),
            length,
            "{what}: the body was cut short: {response:?}"
        );
    }
    response
}

/// `Basic <base64(username:password)>`.
pub fn basic(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

//! [`TestApp`]: an app under test, in process or behind a real socket, driven as a browser or
//! an API client would drive it, and [`Reply`], what came back.
//!
//! ```ignore
//! let app = TestApp::new(App::new().app_data(settings).wrap(sessions).configure(views::urls)).await;
//! assert_eq!(app.login("alice", "pw").await.status, 200);
//! let reply = app.post("/notes/").json(&json!({"text": "hi"})).csrf(true).await;
//! assert_eq!((reply.status, reply.json()["text"].as_str()), (201, Some("hi")));
//! let key = app.token("alice", "pw").await;
//! let reply = app.get("/notes/").authorization(&format!("Token {key}")).await;
//! ```

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::cookie::time::{Duration, OffsetDateTime};
use actix_web::cookie::Cookie;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use actix_web::App;
use auth_actix::csrf::CSRF_COOKIE_NAME;
use auth_actix::views;

use crate::server::{self, AppFactory, Server};

/// What a test looks at in a response: the status, the headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, as the app set them.
    pub headers: HeaderMap,
    /// The body (UTF-8, lossily).
    pub body: String,
}

impl Reply {
    /// The value of header `name`, if present (`<non-ascii>` for a value that is not ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("<non-ascii>"))
    }

    /// The body.
    pub fn text(&self) -> &str {
        &self.body
    }

    /// The body as JSON; panics with the status and body when it is not JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body of a {} is not JSON ({e}): {:?}",
                self.status, self.body
            )
        })
    }

    /// Status, `WWW-Authenticate` and body in one comparable value.
    pub fn summary(&self) -> (u16, Option<&str>, &str) {
        (
            self.status,
            self.header("www-authenticate"),
            self.body.as_str(),
        )
    }

    /// The whole `Set-Cookie` header this response sends for the cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        set_cookie(self, name)
    }

    /// The value this response sets for the cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_value(self, name)
    }
}

/// The `Set-Cookie` header of a response for the cookie `name`, whole.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the cookie `name` set by a response.
pub fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    let header = set_cookie(reply, name)?;
    let value = header.split(';').next()?.split_once('=')?.1.to_owned();
    Some(value)
}

/// DRF's error body `{"detail":"<text>"}`, compact, as its JSON renderer writes it.
pub fn detail(text: &str) -> String {
    serde_json::json!({ "detail": text }).to_string()
}

/// Reads a whole service response.
pub async fn read<B: MessageBody + 'static>(response: ServiceResponse<B>) -> Reply {
    read_response(response.map_into_boxed_body().into_parts().1).await
}

/// Reads a whole `HttpResponse`.
pub async fn read_response(response: actix_web::HttpResponse) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A request sent through an in-process service, answered as actix-web would answer it (an
/// error a middleware returns becomes its error response).
type SendFn = Rc<dyn Fn(TestRequest) -> Pin<Box<dyn Future<Output = Reply>>>>;

enum Transport {
    Service(SendFn),
    Socket {
        addr: String,
        // A server started by `TestApp::serve`, stopped with the app.
        _server: Option<Server>,
    },
}

/// An app under test with a browser's cookie jar.
///
/// - **Cookies**: every `Set-Cookie` of a reply is kept and sent back (`Cookie`) on later
///   requests; a cookie set with `Max-Age=0` or an `Expires` in the past is dropped, as a browser
///   drops it.
/// - **CSRF**: when on ([`TestApp::with_csrf`] for every request, [`Call::csrf`] for one), an
///   unsafe request (not `GET`, `HEAD`, `OPTIONS`, `TRACE`) carries `X-CSRFToken` with the
///   `csrftoken` cookie's value and an `Origin` and `Referer` of this app's own host, as a page
///   of the site sending it would.
/// - **Host**: in process, requests carry `Host: localhost` (one of Django's `DEBUG` hosts,
///   [`SiteSettings`](auth_actix::site::SiteSettings)' default); over a socket, the server's
///   address.
///
/// Methods take `&self`: the jar is inside. Requests are built with [`TestApp::get`],
/// [`TestApp::post`] ... and sent by awaiting the [`Call`].
pub struct TestApp {
    transport: Transport,
    host: String,
    jar: RefCell<BTreeMap<String, String>>,
    csrf: Cell<bool>,
    login_path: String,
    token_path: String,
}

impl TestApp {
    /// `app` in process (actix-web's `test::init_service`).
    pub async fn new<T, B>(app: App<T>) -> TestApp
    where
        T: AppFactory<B>,
        B: MessageBody + 'static,
    {
        let service = Rc::new(actix_web::test::init_service(app).await);
        let send: SendFn = Rc::new(move |request: TestRequest| {
            let service = Rc::clone(&service);
            Box::pin(async move {
                match service.call(request.to_request()).await {
                    Ok(response) => read(response).await,
                    Err(error) => read_response(error.error_response()).await,
                }
            })
        });
        TestApp::with_transport(Transport::Service(send), "localhost".to_owned())
    }

    /// A server already listening at `addr` (`127.0.0.1:<port>`), over real connections (one
    /// per request, each exchange blocking the calling thread, so the server must run
    /// elsewhere: another thread, as [`Server`] runs it, or another process).
    pub fn at(addr: impl Into<String>) -> TestApp {
        let addr = addr.into();
        TestApp::with_transport(
            Transport::Socket {
                addr: addr.clone(),
                _server: None,
            },
            addr,
        )
    }

    /// The apps `app` makes served on a real socket by `workers` workers ([`Server::serve`]),
    /// stopped when this is dropped.
    pub fn serve<F, T, B>(app: F, workers: usize) -> TestApp
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: AppFactory<B>,
        B: MessageBody + 'static,
    {
        let server = Server::serve(app, workers);
        let addr = server.addr();
        TestApp::with_transport(
            Transport::Socket {
                addr: addr.clone(),
                _server: Some(server),
            },
            addr,
        )
    }

    /// The server's address (`127.0.0.1:<port>`) for an app over a socket; `None` in process.
    pub fn addr(&self) -> Option<&str> {
        match &self.transport {
            Transport::Service(_) => None,
            Transport::Socket { addr, .. } => Some(addr),
        }
    }

    fn with_transport(transport: Transport, host: String) -> TestApp {
        TestApp {
            transport,
            host,
            jar: RefCell::default(),
            csrf: Cell::new(false),
            login_path: views::login::PATH.to_owned(),
            token_path: views::obtain_auth_token::PATH.to_owned(),
        }
    }

    /// CSRF handling on for every unsafe request (see [`TestApp`]).
    pub fn with_csrf(self) -> TestApp {
        self.csrf.set(true);
        self
    }

    /// The `Host` requests carry in process (default `localhost`), and so the `Origin` and
    /// `Referer` of CSRF handling.
    pub fn with_host(mut self, host: impl Into<String>) -> TestApp {
        self.host = host.into();
        self
    }

    /// Where [`TestApp::login`] posts (default: the login view's `/api-auth/login/`).
    pub fn login_at(mut self, path: impl Into<String>) -> TestApp {
        self.login_path = path.into();
        self
    }

    /// Where [`TestApp::token`] posts (default: `obtain_auth_token`'s `/api-token-auth/`).
    pub fn token_at(mut self, path: impl Into<String>) -> TestApp {
        self.token_path = path.into();
        self
    }

    /// The value of the cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.borrow().get(name).cloned()
    }

    /// Puts the cookie `name=value` in the jar, as a response setting it would.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
    }

    /// Drops the cookie `name` from the jar.
    pub fn remove_cookie(&self, name: &str) {
        self.jar.borrow_mut().remove(name);
    }

    /// A request with `method` to `path` (with its query string, if any); send it with `.await`.
    pub fn request(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            csrf: None,
        }
    }

    /// A `GET` of `path`.
    pub fn get(&self, path: &str) -> Call<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` to `path`.
    pub fn post(&self, path: &str) -> Call<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` to `path`.
    pub fn put(&self, path: &str) -> Call<'_> {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` to `path`.
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` of `path`.
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.request(Method::DELETE, path)
    }

    /// An `OPTIONS` of `path`.
    pub fn options(&self, path: &str) -> Call<'_> {
        self.request(Method::OPTIONS, path)
    }

    /// A `HEAD` of `path`.
    pub fn head(&self, path: &str) -> Call<'_> {
        self.request(Method::HEAD, path)
    }

    /// Logs in through the session login view as a browser does: a `GET` of the csrf view
    /// first when the jar has no `csrftoken`, then the credentials as JSON with the CSRF token.
    /// The reply is the login view's (200 `{"user": ...}` on success); the session cookie and
    /// the rotated CSRF cookie it sets are in the jar.
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        if self.cookie(CSRF_COOKIE_NAME).is_none() {
            let reply = self.get(views::csrf::PATH).await;
            assert_eq!(reply.status, 200, "the csrf view: {}", reply.body);
        }
        let login_path = self.login_path.clone();
        self.post(&login_path)
            .json(&serde_json::json!({"username": username, "password": password}))
            .csrf(true)
            .await
    }

    /// Ends the session through the logout view (with the CSRF token a logged-in session needs).
    pub async fn logout(&self) -> Reply {
        self.post(views::logout::PATH).csrf(true).await
    }

    /// The user's token from `obtain_auth_token`; panics with the reply unless it is a 200
    /// `{"token": "<key>"}`.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let token_path = self.token_path.clone();
        let reply = self
            .post(&token_path)
            .json(&serde_json::json!({"username": username, "password": password}))
            .csrf(true)
            .await;
        assert_eq!(reply.status, 200, "obtain_auth_token: {}", reply.body);
        match reply.json().get("token").and_then(|t| t.as_str()) {
            Some(key) => key.to_owned(),
            None => panic!("obtain_auth_token answered no token: {}", reply.body),
        }
    }

    /// The jar as a `Cookie` header value, `None` when empty.
    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.borrow();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Keeps the cookies a reply sets, dropping the ones it expires.
    fn keep_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.jar.borrow_mut();
        for value in headers.get_all("set-cookie") {
            let Some(cookie) = value.to_str().ok().and_then(|v| Cookie::parse(v).ok()) else {
                continue;
            };
            if expired(&cookie) {
                jar.remove(cookie.name());
            } else {
                jar.insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
    }

    async fn send(&self, call: Call<'_>) -> Reply {
        let mut headers = call.headers;
        let has = |headers: &[(String, String)], name: &str| {
            headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let safe = matches!(
            call.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if call.csrf.unwrap_or(self.csrf.get()) && !safe {
            let origin = format!("http://{}", self.host);
            if let Some(token) = self.cookie(CSRF_COOKIE_NAME) {
                if !has(&headers, "x-csrftoken") {
                    headers.push(("X-CSRFToken".to_owned(), token));
                }
            }
            if !has(&headers, "referer") {
                headers.push(("Referer".to_owned(), format!("{origin}/")));
            }
            if !has(&headers, "origin") {
                headers.push(("Origin".to_owned(), origin));
            }
        }
        if let Some(cookies) = self.cookie_header() {
            if !has(&headers, "cookie") {
                headers.push(("Cookie".to_owned(), cookies));
            }
        }
        let reply = match &self.transport {
            Transport::Service(send) => {
                let mut request = TestRequest::default()
                    .method(call.method)
                    .uri(&call.path)
                    .set_payload(call.body);
                if !has(&headers, "host") {
                    request = request.insert_header(("Host", self.host.as_str()));
                }
                for (name, value) in &headers {
                    request = request.append_header((name.as_str(), value.as_str()));
                }
                send(request).await
            }
            Transport::Socket { addr, .. } => {
                let pairs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let what = format!("{} {}", call.method, call.path);
                let bytes = server::request_bytes(
                    addr,
                    call.method.as_str(),
                    &call.path,
                    &pairs,
                    &call.body,
                );
                from_socket(server::exchange(addr, &bytes, &what))
            }
        };
        self.keep_cookies(&reply.headers);
        reply
    }
}

/// Whether a browser drops `cookie` on receiving it: `Max-Age` zero or less, or (without
/// `Max-Age`, which takes precedence) an `Expires` in the past.
fn expired(cookie: &Cookie<'_>) -> bool {
    match cookie.max_age() {
        Some(age) => age <= Duration::ZERO,
        None => cookie
            .expires_datetime()
            .is_some_and(|at| at <= OffsetDateTime::now_utc()),
    }
}

/// A socket response as a [`Reply`].
fn from_socket(response: server::Response) -> Reply {
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    Reply {
        status: response.status,
        headers,
        body: response.body,
    }
}

/// A request being built for a [`TestApp`]; `.await` sends it and gives the [`Reply`].
#[must_use = "a request is sent by awaiting it"]
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    csrf: Option<bool>,
}

impl<'a> Call<'a> {
    /// Adds the header `name: value` (the jar's `Cookie`, the CSRF headers and the `Host` are
    /// not added when the request names them itself).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Authorization: <value>` (`Token <key>`, `Bearer <jwt>` ...).
    pub fn authorization(self, value: &str) -> Self {
        self.header("Authorization", value)
    }

    /// `Authorization: Basic <base64(username:password)>`.
    pub fn basic(self, username: &str, password: &str) -> Self {
        self.authorization(&server::basic(username, password))
    }

    /// `value` as the JSON body.
    pub fn json(self, value: &serde_json::Value) -> Self {
        self.body("application/json", value.to_string())
    }

    /// `fields` as an `application/x-www-form-urlencoded` body.
    pub fn form(self, fields: &[(&str, &str)]) -> Self {
        let body = fields
            .iter()
            .map(|(name, value)| format!("{}={}", form_encode(name), form_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.body("application/x-www-form-urlencoded", body)
    }

    /// `body` with `Content-Type: <content_type>`.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("Content-Type", content_type)
    }

    /// CSRF handling on or off for this request, whatever the app's default.
    pub fn csrf(mut self, on: bool) -> Self {
        self.csrf = Some(on);
        self
    }

    /// Sends the request (what `.await` does).
    pub async fn send(self) -> Reply {
        let app = self.app;
        app.send(self).await
    }
}

impl<'a> IntoFuture for Call<'a> {
    type Output = Reply;
    type IntoFuture = Pin<Box<dyn Future<Output = Reply> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// `application/x-www-form-urlencoded` encoding of one name or value (as a browser's form).
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

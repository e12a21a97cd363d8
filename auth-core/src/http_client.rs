//! A small blocking HTTP client for calls this crate makes to other services
//! (feature `http-client`): a JWKS for simplejwt's `JWK_URL`, and later an
//! OAuth 2.0 introspection endpoint or an OpenID Connect discovery document.
//!
//! Blocking: call it off the async workers (`run_blocking`). Every call is
//! bounded: a connect timeout and a timeout for the whole exchange, a
//! maximum body size (the body is never read past it), a few redirects and
//! only within the same origin (scheme, host and port), never to another
//! host. HTTPS uses rustls with ring and the Mozilla roots compiled in (the
//! same TLS stack as the SMTP email backend); the `HTTP(S)_PROXY` and
//! `NO_PROXY` variables are honoured as Python's `urllib` honours them.
//!
//! Errors name the origin only (`https://issuer.example.com:443`), never
//! the path, the query or credentials in the URL: they are safe to log.
//!
//! ```no_run
//! use auth_core::http_client::{HttpClient, HttpLimits};
//!
//! let client = HttpClient::new(HttpLimits::default());
//! let answer = client.get("https://issuer.example.com/.well-known/jwks.json", "application/json")?;
//! assert_eq!(answer.status, 200);
//! # Ok::<(), auth_core::http_client::HttpError>(())
//! ```

use std::fmt;
use std::time::Duration;

use ureq::http::Uri;

/// The bounds of every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The whole exchange: resolving, connecting, TLS, sending, the answer
    /// read to its end (5 s).
    pub timeout: Duration,
    /// Connecting (3 s).
    pub connect_timeout: Duration,
    /// The largest body read, in bytes (256 KiB); a larger one is
    /// [`HttpError::TooLarge`].
    pub max_body: usize,
    /// Redirects followed for a `GET`, each within the same origin (3).
    pub max_redirects: u8,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            max_body: 256 * 1024,
            max_redirects: 3,
        }
    }
}

/// An answer, read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code (any: a 4xx or 5xx is an answer, not an error).
    pub status: u16,
    /// `Content-Type`, if any and readable.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a call failed. The messages name the origin only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Not an absolute `http` or `https` URL with a host.
    #[error("not an absolute http or https URL")]
    BadUrl,
    /// Resolving, connecting, TLS or the exchange failed.
    #[error("{origin}: {reason}")]
    Failed {
        /// `scheme://host:port`.
        origin: String,
        /// Why, without the URL.
        reason: String,
    },
    /// No complete answer within the timeout.
    #[error("{origin}: no answer within {timeout:?}")]
    Timeout {
        /// `scheme://host:port`.
        origin: String,
        /// The limit.
        timeout: Duration,
    },
    /// The body is larger than the limit.
    #[error("{origin}: the answer is larger than {limit} bytes")]
    TooLarge {
        /// `scheme://host:port`.
        origin: String,
        /// The limit.
        limit: usize,
    },
    /// A redirect to another origin, refused.
    #[error("{origin}: redirected to another origin, refused")]
    CrossOriginRedirect {
        /// `scheme://host:port`.
        origin: String,
    },
    /// More redirects than the limit.
    #[error("{origin}: more than {limit} redirects")]
    TooManyRedirects {
        /// `scheme://host:port`.
        origin: String,
        /// The limit.
        limit: u8,
    },
}

/// A blocking HTTP client with [`HttpLimits`]. Cheap to clone (connections
/// are pooled and shared).
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    limits: HttpLimits,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Where a URL points: its scheme, host and port (the default port filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

fn origin(uri: &Uri) -> Result<Origin, HttpError> {
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let default_port = match scheme.as_deref() {
        Some("http") => 80,
        Some("https") => 443,
        _ => return Err(HttpError::BadUrl),
    };
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or(HttpError::BadUrl)?;
    Ok(Origin {
        scheme: scheme.unwrap_or_default(),
        host: host.to_ascii_lowercase(),
        port: uri.port_u16().unwrap_or(default_port),
    })
}

fn parse(url: &str) -> Result<(Uri, Origin), HttpError> {
    let uri: Uri = url.parse().map_err(|_| HttpError::BadUrl)?;
    let origin = origin(&uri)?;
    Ok((uri, origin))
}

/// `scheme://host:port` of an absolute `http` or `https` URL (what errors
/// name), or [`HttpError::BadUrl`].
pub fn origin_of(url: &str) -> Result<String, HttpError> {
    parse(url).map(|(_, origin)| origin.to_string())
}

/// The URL a `Location` names, relative to `base`: absolute, scheme-relative
/// (`//host/path`), absolute-path (`/path`) or relative to `base`'s folder.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    if location.contains("://") {
        return location.parse().ok();
    }
    let scheme = base.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    }
    let authority = base.authority()?.as_str();
    let path = if location.starts_with('/') {
        location.to_owned()
    } else {
        let folder = base
            .path()
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        format!("{folder}/{location}")
    };
    format!("{scheme}://{authority}{path}").parse().ok()
}

impl HttpClient {
    /// A client with these limits.
    pub fn new(limits: HttpLimits) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(limits.timeout))
            .timeout_connect(Some(limits.connect_timeout))
            .http_status_as_error(false)
            // Redirects are followed here, within the origin only.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        HttpClient { agent, limits }
    }

    /// The limits.
    pub fn limits(&self) -> HttpLimits {
        self.limits
    }

    /// `GET url` with `Accept: accept`, following same-origin redirects.
    pub fn get(&self, url: &str, accept: &str) -> Result<HttpResponse, HttpError> {
        let (mut uri, first) = parse(url)?;
        for _ in 0..=self.limits.max_redirects {
            let response = self
                .agent
                .get(&uri)
                .header("Accept", accept)
                .call()
                .map_err(|err| self.error(&first, err))?;
            if !response.status().is_redirection() {
                return self.read(&first, response);
            }
            let next = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .and_then(|location| resolve(&uri, location))
                .ok_or_else(|| HttpError::Failed {
                    origin: first.to_string(),
                    reason: "a redirect without a usable Location".into(),
                })?;
            if origin(&next).ok().as_ref() != Some(&first) {
                return Err(HttpError::CrossOriginRedirect {
                    origin: first.to_string(),
                });
            }
            uri = next;
        }
        Err(HttpError::TooManyRedirects {
            origin: first.to_string(),
            limit: self.limits.max_redirects,
        })
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body and extra
    /// headers (an `Authorization`, say). Redirects are not followed: a 3xx
    /// is returned as it is.
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        let (uri, first) = parse(url)?;
        let mut request = self.agent.post(&uri).header("Accept", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send_form(form.iter().copied())
            .map_err(|err| self.error(&first, err))?;
        self.read(&first, response)
    }

    fn read(
        &self,
        origin: &Origin,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<HttpResponse, HttpError> {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(self.limits.max_body as u64)
            .read_to_vec()
            .map_err(|err| self.error(origin, err))?;
        Ok(HttpResponse {
            status,
            content_type,
            body,
        })
    }

    /// `err` as an [`HttpError`] naming `origin` only (ureq's own messages
    /// may quote the URL).
    fn error(&self, origin: &Origin, err: ureq::Error) -> HttpError {
        let origin = origin.to_string();
        let reason = match err {
            ureq::Error::Timeout(_) => {
                return HttpError::Timeout {
                    origin,
                    timeout: self.limits.timeout,
                }
            }
            ureq::Error::BodyExceedsLimit(_) => {
                return HttpError::TooLarge {
                    origin,
                    limit: self.limits.max_body,
                }
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                return HttpError::Timeout {
                    origin,
                    timeout: self.limits.timeout,
                }
            }
            ureq::Error::Io(io) => format!("{}", io.kind()),
            ureq::Error::HostNotFound => "host not found".to_owned(),
            ureq::Error::ConnectionFailed => "connection failed".to_owned(),
            ureq::Error::Tls(why) => format!("TLS: {why}"),
            ureq::Error::Rustls(err) => format!("TLS: {err}"),
            ureq::Error::Protocol(err) => format!("HTTP: {err}"),
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => "bad request URL".to_owned(),
            ureq::Error::InvalidProxyUrl => "invalid proxy URL in the environment".to_owned(),
            _ => "the exchange failed".to_owned(),
        };
        HttpError::Failed { origin, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A loopback server answering each connection with `answer(path, body)`
    /// (the raw response); counts the requests.
    fn serve(
        answer: impl Fn(&str, &[u8]) -> Vec<u8> + Send + Sync + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                seen.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let target = line.split(' ').nth(1).unwrap_or("");
                let path = target.split('?').next().unwrap_or("").to_owned();
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let _ = stream.write_all(&answer(&path, &body));
            }
        });
        (base, count)
    }

    fn ok(body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn redirect(to: &str) -> Vec<u8> {
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .into_bytes()
    }

    #[test]
    fn get_reads_the_answer_and_follows_same_origin_redirects_only() {
        let (base, _) = serve(|path, _| match path {
            "/keys" => ok(r#"{"keys":[]}"#),
            "/old" => redirect("/keys"),
            "/dir/rel" => redirect("../keys"),
            "/away" => redirect("http://other.example:1/keys"),
            "/loop" => redirect("/loop"),
            _ => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }
        });
        let client = HttpClient::new(HttpLimits::default());
        let answer = client
            .get(&format!("{base}/keys"), "application/json")
            .unwrap();
        assert_eq!(
            (
                answer.status,
                answer.content_type.as_deref(),
                answer.body.as_slice()
            ),
            (200, Some("application/json"), br#"{"keys":[]}"#.as_slice())
        );
        assert_eq!(
            client.get(&format!("{base}/old"), "*/*").unwrap().status,
            200
        );
        assert_eq!(
            client
                .get(&format!("{base}/nothing"), "*/*")
                .unwrap()
                .status,
            404
        );
        let origin = base.clone();
        assert_eq!(
            client.get(&format!("{base}/away"), "*/*").unwrap_err(),
            HttpError::CrossOriginRedirect { origin }
        );
        assert!(matches!(
            client.get(&format!("{base}/loop"), "*/*").unwrap_err(),
            HttpError::TooManyRedirects { limit: 3, .. }
        ));
    }

    #[test]
    fn limits_hold_and_errors_name_the_origin_only() {
        let (base, _) = serve(|path, _| match path {
            "/big" => ok(&"x".repeat(2000)),
            _ => {
                std::thread::sleep(Duration::from_millis(1500));
                ok("{}")
            }
        });
        let client = HttpClient::new(HttpLimits {
            timeout: Duration::from_millis(300),
            max_body: 1000,
            ..HttpLimits::default()
        });
        let err = client
            .get(&format!("{base}/big?secret=s3cr3t"), "*/*")
            .unwrap_err();
        assert!(
            matches!(err, HttpError::TooLarge { limit: 1000, .. }),
            "{err:?}"
        );
        let err = client
            .get(&format!("{base}/slow?secret=s3cr3t"), "*/*")
            .unwrap_err();
        assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
        assert_eq!(err.to_string(), format!("{base}: no answer within 300ms"));
        // Nobody listening: a failure naming the origin, not the URL's path or credentials.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let err = client
            .get(
                &format!("http://user:pw@127.0.0.1:{port}/keys?token=t"),
                "*/*",
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("http://127.0.0.1:{port}: ")),
            "{text}"
        );
        assert!(
            !text.contains("pw") && !text.contains("token") && !text.contains("keys"),
            "{text}"
        );
        for url in ["ftp://host/x", "/relative", "http://", "not a url"] {
            assert_eq!(
                client.get(url, "*/*").unwrap_err(),
                HttpError::BadUrl,
                "{url}"
            );
        }
    }

    #[test]
    fn post_form_sends_the_form_and_headers() {
        let (base, count) = serve(|_, body| ok(&String::from_utf8_lossy(body)));
        let client = HttpClient::new(HttpLimits::default());
        let answer = client
            .post_form(
                &format!("{base}/introspect"),
                &[("token", "a b&c"), ("hint", "access_token")],
                &[("Authorization", "Basic eDp5")],
            )
            .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"token=a+b%26c&hint=access_token");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}

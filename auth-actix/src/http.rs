//! The request as Django's `HttpRequest` reads it, for every check that
//! needs it (CSRF, RemoteUser's proxies, throttles, the families' links and
//! redirects): `META` headers, `is_secure()`, `get_port()`, `get_host()`
//! against `ALLOWED_HOSTS` ([`SiteSettings`]); the host check that runs
//! before every view; and what the response must say about how the request
//! was handled.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_session::{Session, SessionExt};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use auth_core::compat::{latin1, py_strip};

use crate::parsers::CloseConnection;
use crate::site::SiteSettings;

/// Django's `bad_request` page (`django.views.defaults.ERROR_PAGE_TEMPLATE`
/// with the title `Bad Request (400)`), what Django answers for a
/// `DisallowedHost`.
pub const BAD_REQUEST_PAGE: &str = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n";

/// Whether the one-time stderr hint about `ALLOWED_HOSTS` was printed.
static HOST_HINT_PRINTED: AtomicBool = AtomicBool::new(false);

/// Django's `request.get_host()` check, run before authentication: `None`
/// when the host is allowed, else the 400 Django answers (its bad-request
/// page), with Django's `DisallowedHost` message logged (and printed on
/// stderr once per process, so a misconfigured `ALLOWED_HOSTS` is visible
/// without a log subscriber).
pub(crate) fn disallowed_host(request: &HttpRequest, site: &SiteSettings) -> Option<HttpResponse> {
    if get_host(request, site).is_some() {
        return None;
    }
    let host = raw_host(request, site);
    let domain = split_domain_port(&host).0;
    let message = if domain.is_empty() {
        format!(
            "Invalid HTTP_HOST header: {host:?}. The domain name provided is not valid according to RFC 1034/1035."
        )
    } else {
        format!(
            "Invalid HTTP_HOST header: {host:?}. You may need to add {domain:?} to ALLOWED_HOSTS."
        )
    };
    tracing::error!(target: "auth_actix::security::DisallowedHost", "{message}");
    if !domain.is_empty() && !HOST_HINT_PRINTED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "auth-actix: {message} (SiteSettings::builder().allowed_hosts(..), given to AuthSettings; the default allows \
             only localhost, 127.0.0.1 and [::1]). Further refused hosts are logged through `tracing` only."
        );
    }
    Some(
        HttpResponse::build(StatusCode::BAD_REQUEST)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .body(BAD_REQUEST_PAGE),
    )
}

/// The last second an HTTP date can name (9999-12-31T23:59:59Z), in seconds
/// since the Unix epoch: where a cookie's `Expires` stops.
pub(crate) const LATEST_HTTP_DATE: u64 = 253_402_300_799;

/// Marks a request whose session was read or written: its response gets
/// `Vary: Cookie` (Django's `SessionMiddleware`).
#[derive(Clone, Copy)]
pub(crate) struct SessionAccessed;

/// What the pipeline noted while handling `request`, applied to its
/// response: `Vary: Cookie` when the session was accessed (Django's
/// `SessionMiddleware`), and `Connection: close` when the request body was
/// abandoned half read.
pub(crate) fn finish_response<B>(request: &HttpRequest, response: &mut HttpResponse<B>) {
    let extensions = request.extensions();
    if extensions.contains::<SessionAccessed>() {
        patch_vary_cookie(response.headers_mut());
    }
    if extensions.contains::<CloseConnection>() {
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
}

/// Django's `request.META[...]` for a header: its values as latin-1, several
/// joined with `,` (what WSGI servers do with repeated headers).
pub(crate) fn meta(req: &HttpRequest, name: &HeaderName) -> Option<String> {
    let mut values = req.headers().get_all(name);
    let mut out = latin1(values.next()?.as_bytes());
    for value in values {
        out.push(',');
        out.push_str(&latin1(value.as_bytes()));
    }
    Some(out)
}

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");

/// Django's `request.is_secure()`: with `use_x_forwarded_proto` and an
/// `X-Forwarded-Proto` header, whether its first value is `https`; otherwise
/// whether the connection itself is TLS.
pub fn is_secure(req: &HttpRequest, site: &SiteSettings) -> bool {
    if site.use_x_forwarded_proto() {
        if let Some(value) = meta(req, &X_FORWARDED_PROTO) {
            let first = value.split(',').next().unwrap_or_default();
            return py_strip(first) == "https";
        }
    }
    req.app_config().secure()
}

/// Django's `request.get_port()`: `X-Forwarded-Port` with
/// `use_x_forwarded_port`, else the port the server listens on.
pub fn get_port(req: &HttpRequest, site: &SiteSettings) -> String {
    if site.use_x_forwarded_port() {
        if let Some(port) = meta(req, &X_FORWARDED_PORT) {
            return port;
        }
    }
    req.app_config().local_addr().port().to_string()
}

/// Django's `_get_raw_host`: `X-Forwarded-Host` (with `use_x_forwarded_host`),
/// else `Host`, else the request's authority (HTTP/2), else the server's
/// name from actix-web's configuration.
pub fn raw_host(req: &HttpRequest, site: &SiteSettings) -> String {
    if site.use_x_forwarded_host() {
        if let Some(host) = meta(req, &X_FORWARDED_HOST) {
            return host;
        }
    }
    if let Some(host) = meta(req, &header::HOST) {
        return host;
    }
    match req.uri().authority() {
        Some(authority) => authority.as_str().to_owned(),
        None => req.app_config().host().to_owned(),
    }
}

/// Django's `split_domain_port`: the lower-cased domain without one trailing
/// dot, and the port; `("", "")` for a host that is not
/// `^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$` once lower-cased.
pub fn split_domain_port(host: &str) -> (String, String) {
    let host = host.to_lowercase();
    let domain_end = if host.starts_with('[') {
        // \[[a-f0-9]*:[a-f0-9.:]+\]
        let Some(close) = host.find(']') else {
            return (String::new(), String::new());
        };
        let inner = &host[1..close];
        let first_other = inner.find(|c: char| !matches!(c, 'a'..='f' | '0'..='9'));
        let ok = first_other.is_some_and(|i| {
            let after = &inner[i..];
            after.starts_with(':')
                && after.len() > 1
                && after[1..]
                    .chars()
                    .all(|c| matches!(c, 'a'..='f' | '0'..='9' | '.' | ':'))
        });
        if !ok {
            return (String::new(), String::new());
        }
        close + 1
    } else {
        // [a-z0-9.-]+
        let end = host
            .find(|c: char| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '-'))
            .unwrap_or(host.len());
        if end == 0 {
            return (String::new(), String::new());
        }
        end
    };
    let (domain, rest) = host.split_at(domain_end);
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => "",
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => port,
        _ => return (String::new(), String::new()),
    };
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    (domain.to_owned(), port.to_owned())
}

/// Django's `validate_host`.
fn validate_host(domain: &str, allowed_hosts: &[String]) -> bool {
    allowed_hosts
        .iter()
        .any(|pattern| pattern == "*" || auth_core::csrf::is_same_domain(domain, pattern))
}

/// Django's `request.get_host()`: the raw host (see
/// [`SiteSettings::use_x_forwarded_host`]), or `None` where Django raises
/// `DisallowedHost` (a malformed host, or one `ALLOWED_HOSTS` does not allow).
pub fn get_host(req: &HttpRequest, site: &SiteSettings) -> Option<String> {
    let host = raw_host(req, site);
    let (domain, _port) = split_domain_port(&host);
    (!domain.is_empty() && validate_host(&domain, site.allowed_hosts())).then_some(host)
}

/// Django's `patch_vary_headers(response, ("Cookie",))`.
pub(crate) fn patch_vary_cookie(headers: &mut HeaderMap) {
    let mut vary: Vec<String> = headers
        .get_all(header::VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if !vary.iter().any(|v| v.eq_ignore_ascii_case("cookie")) {
        vary.push("Cookie".to_owned());
    }
    let value = if vary.iter().any(|v| v == "*") {
        "*".to_owned()
    } else {
        vary.join(", ")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}

/// Django's `request.session`: the request's [`Session`], noted as accessed
/// so that the response carries `Vary: Cookie`, as Django's
/// `SessionMiddleware` adds whenever a view touched the session (a shared
/// cache must not serve one user's answer to another). The pipeline's
/// responses, and those passing [`FailClosed`](crate::session::FailClosed), get the header.
///
/// Session authentication, `login`, `logout` and the views here read the
/// session through this; a handler that reads it itself should too (actix's
/// `request.get_session()` does not note the access).
pub fn session_of(request: &HttpRequest) -> Session {
    mark_accessed(request);
    request.get_session()
}

/// Whether actix-session's [`SessionMiddleware`](actix_session::SessionMiddleware) handled `request`: it puts
/// the loaded session in the request's extensions before the handler runs,
/// where `get_session()` otherwise makes an empty one that nothing saves
/// (so a missing middleware would silently make everyone anonymous).
///
/// actix-session's session type is private, so the check merges the
/// request's extensions into a set holding a marked session of that type:
/// the middleware's session, if there is one, replaces the marked one. The
/// extensions are left as they were, but for an empty session where the
/// middleware did not run.
pub(crate) fn middleware_ran(request: &HttpRequest) -> bool {
    const PROBE: &str = "__auth_actix_session_probe";
    let original = std::mem::take(&mut *request.extensions_mut());
    // A marked session of actix-session's type, alone in the extensions.
    let marked = request.get_session();
    let marking = marked.insert(PROBE, true);
    let mut merged = std::mem::take(&mut *request.extensions_mut());
    merged.extend(original);
    *request.extensions_mut() = merged;
    if marking.is_err() {
        return true;
    }
    let session = request.get_session();
    let ran = !session.contains_key(PROBE);
    if !ran {
        session.clear();
    }
    ran
}

/// Note that the request's session was accessed (see [`session_of`]).
pub(crate) fn mark_accessed(request: &HttpRequest) {
    let mut extensions = request.extensions_mut();
    if !extensions.contains::<SessionAccessed>() {
        extensions.insert(SessionAccessed);
    }
}

/// A value registered as app data, plain or in `web::Data` (what a class's
/// own configuration is: `BasicConfig`, `RemoteUserConfig`).
pub(crate) fn app_data<T: 'static>(request: &HttpRequest) -> Option<&T> {
    request.app_data::<T>().or_else(|| {
        request
            .app_data::<actix_web::web::Data<T>>()
            .map(|data| data.get_ref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_and_port_like_django() {
        let cases = [
            ("example.com", ("example.com", "")),
            ("Example.COM:8000", ("example.com", "8000")),
            ("example.com.", ("example.com", "")),
            ("example.com..", ("example.com.", "")),
            ("[::1]:8443", ("[::1]", "8443")),
            ("[::1]", ("[::1]", "")),
            ("[::ffff:1.2.3.4]", ("[::ffff:1.2.3.4]", "")),
            ("[a:b]", ("[a:b]", "")),
            ("[:1]", ("[:1]", "")),
            ("[1]", ("", "")),
            ("[::g]", ("", "")),
            ("[1:]", ("", "")),
            ("[.:1]", ("", "")),
            ("[::1", ("", "")),
            ("exa mple.com", ("", "")),
            ("example.com:", ("", "")),
            ("example.com:80a", ("", "")),
            ("example.com:8:8", ("", "")),
            (":80", ("", "")),
            ("", ("", "")),
            ("\u{e9}.example", ("", "")),
            ("a_b.example", ("", "")),
            (".", ("", "")),
        ];
        for (host, (domain, port)) in cases {
            assert_eq!(
                split_domain_port(host),
                (domain.to_owned(), port.to_owned()),
                "{host:?}"
            );
        }
    }

    #[test]
    fn allowed_hosts_like_django() {
        let hosts = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(validate_host("anything", &hosts(&["*"])));
        assert!(validate_host("example.com", &hosts(&["example.com"])));
        assert!(validate_host("example.com", &hosts(&[".example.com"])));
        assert!(validate_host("a.example.com", &hosts(&[".example.com"])));
        assert!(!validate_host("a.example.com", &hosts(&["example.com"])));
        assert!(validate_host("example.com", &hosts(&["EXAMPLE.COM"])));
        assert!(!validate_host("example.com", &hosts(&[])));
    }
}

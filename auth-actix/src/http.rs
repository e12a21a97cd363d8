//! Django's request-wide HTTP checks that run before a view: the `Host`
//! header against `ALLOWED_HOSTS` (`request.get_host()`), and what the
//! response must say about how the request was handled.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::csrf::{self, CsrfConfig};
use crate::parsers::CloseConnection;
use crate::session::SessionAccessed;

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
pub(crate) fn disallowed_host(request: &HttpRequest, config: &CsrfConfig) -> Option<HttpResponse> {
    if csrf::get_host(request, config).is_some() {
        return None;
    }
    let host = csrf::raw_host(request, config);
    let domain = csrf::split_domain_port(&host).0;
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
            "auth-actix: {message} (CsrfConfig::allowed_hosts in AuthSettings; the default allows \
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

/// What the pipeline noted while handling `request`, applied to its
/// response: `Vary: Cookie` when the session was accessed (Django's
/// `SessionMiddleware`), and `Connection: close` when the request body was
/// abandoned half read.
pub(crate) fn finish_response<B>(request: &HttpRequest, response: &mut HttpResponse<B>) {
    let extensions = request.extensions();
    if extensions.contains::<SessionAccessed>() {
        csrf::patch_vary_cookie(response.headers_mut());
    }
    if extensions.contains::<CloseConnection>() {
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
}

//! DRF's request parsing (`request.data`) over actix-web requests: the body
//! read within the site's limits, then parsed by [`auth_core::parsers`],
//! whose rules (DRF's parser selection, Python's `json`, Django's
//! `QueryDict` and `MultiPartParser`, their exact error texts) are all
//! documented there. The parsing names ([`parse`], [`RequestData`],
//! [`Value`], [`Parser`], ...) are re-exported here.
//!
//! - Bodies are capped at a limit ([`DEFAULT_BODY_LIMIT`], Django's
//!   `DATA_UPLOAD_MAX_MEMORY_SIZE` of 2.5 MiB, by default; see
//!   `SiteSettingsBuilder::body_limit`): a larger body, or a `Content-Length`
//!   announcing one, is 413 `Request body is too large.` (Django answers a
//!   bare 400 there). No input gives a 5xx.
//! - A body must arrive within a deadline, and the bodies being read hold at
//!   most a memory budget together ([`BodyLimits`]).
//! - A body over 64 KiB is parsed on the blocking thread pool.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use auth_core::error::AuthError;
use futures_core::Stream;
use tokio::sync::Semaphore;

use auth_core::compat::latin1;
use auth_core::csrf::CSRF_FORM_FIELD;
use auth_core::parsers::parse_form_post;

pub use auth_core::parsers::{
    is_form_media_type, parse, Parser, PyString, RequestData, Value, CREDENTIAL_PARSERS,
    MAX_FORM_FIELDS, MAX_FORM_FILES, MAX_JSON_DEPTH, MAX_MEDIA_TYPE_LENGTH,
};

/// Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`: the default body limit, 2.5 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2_621_440;

/// The request's `Content-Type` as Django's `META["CONTENT_TYPE"]` (latin-1;
/// `None` when absent).
pub fn content_type(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| latin1(value.as_bytes()))
}

/// Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`-style bounds on reading request
/// bodies, shared by every view of an app ([`SiteSettings::body_limits`](crate::site::SiteSettings::body_limits)):
///
/// - **size**: a body, or a `Content-Length` announcing one, over
///   [`limit`](Self::limit) is 413 `Request body is too large.`;
/// - **deadline**: the whole body must arrive within
///   [`read_timeout`](Self::read_timeout) ([`DEFAULT_BODY_READ_TIMEOUT`]) of
///   the first read, else 408 `Request body was not received in time.` and
///   the connection is closed, so a client that stops sending holds neither
///   memory nor a connection for longer than that;
/// - **memory**: the bodies being read at any moment hold at most
///   [`buffer_budget`](Self::buffer_budget) bytes together
///   ([`DEFAULT_BODY_BUFFER_BUDGET`]; each body counts for its
///   `Content-Length`, or for the whole limit when the length is not
///   announced). A body that does not fit is refused at once with 503
///   `Service temporarily unavailable, try again later.`.
///
/// These bound what one process spends on slow or large bodies; in
/// production, run behind a proxy that buffers request bodies (nginx does by
/// default), which also takes slow clients off the application.
#[derive(Clone)]
pub struct BodyLimits {
    limit: usize,
    read_timeout: Duration,
    budget: Arc<Semaphore>,
    budget_bytes: usize,
}

/// The default read deadline of a request body: 30 s (gunicorn's default
/// worker timeout, which bounds the same read in a Django deployment).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default memory budget of the bodies read at once: 64 MiB, 25 bodies
/// of the default 2.5 MiB limit.
pub const DEFAULT_BODY_BUFFER_BUDGET: usize = 64 << 20;

/// The budget's unit: 1 KiB a permit.
const BUDGET_UNIT: usize = 1024;

impl BodyLimits {
    /// Limits of `limit` bytes a body, `read_timeout` to read one, and
    /// `buffer_budget` bytes for all the bodies being read at once (at least
    /// `limit`).
    pub fn new(limit: usize, read_timeout: Duration, buffer_budget: usize) -> Self {
        let buffer_budget = buffer_budget.max(limit);
        let permits = buffer_budget
            .div_ceil(BUDGET_UNIT)
            .min(Semaphore::MAX_PERMITS);
        BodyLimits {
            limit,
            read_timeout,
            budget: Arc::new(Semaphore::new(permits)),
            budget_bytes: buffer_budget,
        }
    }

    /// The largest body read, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How long reading one body may take.
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// The bytes all the bodies being read at once may hold.
    pub fn buffer_budget(&self) -> usize {
        self.budget_bytes
    }
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits::new(
            DEFAULT_BODY_LIMIT,
            DEFAULT_BODY_READ_TIMEOUT,
            DEFAULT_BODY_BUFFER_BUDGET,
        )
    }
}

impl fmt::Debug for BodyLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyLimits")
            .field("limit", &self.limit)
            .field("read_timeout", &self.read_timeout)
            .field("buffer_budget", &self.budget_bytes)
            .finish()
    }
}

/// Read the whole body within `limits` (see [`BodyLimits`]): 413 for a body
/// over the limit, 408 (and the connection closed) when it does not arrive in
/// time, 503 when the memory budget is spent, 400 `Malformed request.` for a
/// body the client did not finish. A body an authentication class already
/// read (the CSRF form field) is read again from its copy.
pub async fn read_body(
    request: &HttpRequest,
    payload: &mut Payload,
    limits: &BodyLimits,
) -> Result<Bytes, AuthError> {
    let limit = limits.limit;
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > limit as u64) {
        return Err(AuthError::payload_too_large());
    }
    if announced == Some(0) || matches!(payload, Payload::None) {
        return Ok(Bytes::new());
    }
    // What this body may hold at most, in budget units.
    let size = announced.map_or(limit, |len| len as usize);
    let units = u32::try_from(size.div_ceil(BUDGET_UNIT).max(1)).unwrap_or(u32::MAX);
    let Ok(_permit) = limits.budget.clone().try_acquire_many_owned(units) else {
        if BUDGET_WARNING.due() {
            tracing::warn!(
                budget = limits.budget_bytes,
                "request bodies being read hold the whole buffer budget: refusing more with 503 \
                 (logged at most once a second)"
            );
        }
        return Err(AuthError::service_unavailable());
    };
    let read = read_limited(payload.take(), announced.map(|len| len as usize), limit);
    match actix_web::rt::time::timeout(limits.read_timeout, read).await {
        Err(_) => {
            tracing::debug!(
                timeout = ?limits.read_timeout,
                "the request body did not arrive in time"
            );
            request.extensions_mut().insert(CloseConnection);
            Err(AuthError::request_timeout())
        }
        Ok(result) => result,
    }
}

/// The whole body, at most `limit` bytes: its buffer is allocated once for an
/// announced length (growing by doubling would hold up to twice the body,
/// past what the budget counted).
async fn read_limited(
    mut payload: Payload,
    announced: Option<usize>,
    limit: usize,
) -> Result<Bytes, AuthError> {
    let mut buffer = BytesMut::with_capacity(announced.unwrap_or(8 * 1024).min(limit));
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let chunk = chunk.map_err(|err| {
            tracing::debug!(error = %err, "the request body could not be read");
            AuthError::parse_error(None)
        })?;
        if buffer.len() + chunk.len() > limit {
            return Err(AuthError::payload_too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// A log line allowed at most once a second (a flood of refused requests
/// must not flood the log too).
struct RateLimited(AtomicU64);

impl RateLimited {
    /// Whether a line may be logged now.
    fn due(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let last = self.0.load(Ordering::Relaxed);
        now != last
            && self
                .0
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

static BUDGET_WARNING: RateLimited = RateLimited(AtomicU64::new(0));

/// Marks a request whose body was abandoned half read: its response closes
/// the connection (the rest of the body will not be read).
#[derive(Clone, Copy)]
pub(crate) struct CloseConnection;

/// Bodies larger than this are parsed on the blocking thread pool, so that a
/// large form never holds an async worker (which serves other connections)
/// for its parse.
const PARSE_INLINE_MAX: usize = 64 * 1024;

/// [`parse`], on the blocking thread pool for a body over 64 KiB.
pub async fn parse_async(
    content_type: Option<String>,
    body: Bytes,
    parsers: &'static [Parser],
) -> Result<RequestData, AuthError> {
    parse_off_worker(content_type, body, move |content_type, body| {
        parse(content_type, body, parsers)
    })
    .await
}

/// `parse` over the body, on the blocking thread pool for a body over 64 KiB.
async fn parse_off_worker<F>(
    content_type: Option<String>,
    body: Bytes,
    parse: F,
) -> Result<RequestData, AuthError>
where
    F: FnOnce(Option<&str>, &[u8]) -> Result<RequestData, AuthError> + Send + 'static,
{
    if body.len() <= PARSE_INLINE_MAX {
        return parse(content_type.as_deref(), &body);
    }
    match actix_web::web::block(move || parse(content_type.as_deref(), &body)).await {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(error = %err, "parsing a request body on the blocking pool failed");
            Err(AuthError::server_error())
        }
    }
}

/// Read and parse the body: [`read_body`], then [`parse_async`].
pub async fn request_data(
    request: &HttpRequest,
    payload: &mut Payload,
    parsers: &'static [Parser],
    limits: &BodyLimits,
) -> Result<RequestData, AuthError> {
    let body = read_body(request, payload, limits).await?;
    parse_async(content_type(request), body, parsers).await
}

// ----------------------------------------------------------------------------
// The body during authentication.
//
// Django's CSRF check reads the `csrfmiddlewaretoken` field of a form POST,
// so session authentication must read the body before the handler does. The
// pipeline keeps the payload of a form POST in the request's extensions while
// it authenticates; a class that reads it leaves a copy for the handler.

/// The payload of a form POST, while the pipeline authenticates.
struct PendingPayload(Payload);

/// The body of a form POST, once a class has read it.
#[derive(Clone)]
struct BufferedBody(Bytes);

/// Whether the request is a `POST` with a form body (DRF's
/// `is_form_media_type`): the only requests whose body CSRF looks at.
pub(crate) fn is_form_post(request: &HttpRequest) -> bool {
    request.method() == Method::POST
        && content_type(request).is_some_and(|ct| is_form_media_type(&ct))
}

/// Keep a form POST's payload in the request for authentication; any other
/// payload is handed back.
pub(crate) fn stash_payload(request: &HttpRequest, payload: Payload) -> Option<Payload> {
    if is_form_post(request) {
        request.extensions_mut().insert(PendingPayload(payload));
        None
    } else {
        Some(payload)
    }
}

/// The payload for the handler after authentication: the stashed one, or a
/// copy of the body a class read.
pub(crate) fn unstash_payload(request: &HttpRequest) -> Payload {
    let mut extensions = request.extensions_mut();
    if let Some(BufferedBody(bytes)) = extensions.remove::<BufferedBody>() {
        extensions.remove::<PendingPayload>();
        return Payload::from(bytes);
    }
    extensions
        .remove::<PendingPayload>()
        .map_or(Payload::None, |pending| pending.0)
}

/// The `csrfmiddlewaretoken` field of a form POST (Django's
/// `request.POST.get("csrfmiddlewaretoken")`): [`form_post_field`].
pub(crate) async fn csrf_form_token(
    request: &HttpRequest,
    limits: &BodyLimits,
) -> Result<Option<String>, AuthError> {
    form_post_field(request, limits, CSRF_FORM_FIELD).await
}

/// Django's `request.POST.get(name)` before the view runs, reading the body
/// the pipeline kept (at most `limit` bytes) and leaving a copy for the
/// handler. `Ok(None)` when the request is not a form POST run by the
/// pipeline, the field is absent, or the form cannot be parsed.
pub(crate) async fn form_post_field(
    request: &HttpRequest,
    limits: &BodyLimits,
    name: &str,
) -> Result<Option<String>, AuthError> {
    if !is_form_post(request) {
        return Ok(None);
    }
    let buffered = request.extensions().get::<BufferedBody>().cloned();
    let body = match buffered {
        Some(BufferedBody(bytes)) => bytes,
        None => {
            let pending = request.extensions_mut().remove::<PendingPayload>();
            let Some(PendingPayload(mut payload)) = pending else {
                return Ok(None);
            };
            let bytes = read_body(request, &mut payload, limits).await?;
            request.extensions_mut().insert(BufferedBody(bytes.clone()));
            bytes
        }
    };
    let data = parse_off_worker(content_type(request), body, parse_form_post).await;
    Ok(data.ok().and_then(|data| data.form_field(name)))
}

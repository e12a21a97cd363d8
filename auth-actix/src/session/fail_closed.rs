//! [`FailClosed`]: a session store failure is a 503 JSON answer.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_session::storage::{SaveError, UpdateError};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::Error;
use actix_web::HttpMessage;
use auth_core::error::AuthError;

use crate::error::ApiError;

/// Middleware around actix-session's `SessionMiddleware` that answers 503
/// `{"detail": "Service temporarily unavailable, try again later."}` when
/// the session store fails (the database or Redis is down), where
/// actix-session answers an empty 500.
///
/// A session that cannot be loaded never becomes an anonymous request (the
/// middleware stops the request before any handler runs), and a login whose
/// session cannot be saved is not reported as a success. Register it *after*
/// the session middleware, so that it wraps it:
///
/// ```
/// use actix_web::{cookie::Key, App};
/// use auth_actix::session::{self, DieselSessionStore, FailClosed};
/// # fn app(sessions: DieselSessionStore, key: Key) {
/// let app = App::new()
///     .wrap(session::django_defaults(sessions, key).build())
///     .wrap(FailClosed);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FailClosed;

impl<S, B> Transform<S, ServiceRequest> for FailClosed
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = FailClosedMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FailClosedMiddleware { service }))
    }
}

/// The service [`FailClosed`] wraps around the session middleware.
#[doc(hidden)]
pub struct FailClosedMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for FailClosedMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let future = self.service.call(request);
        Box::pin(async move {
            let mut response = future.await.map_err(fail_closed)?;
            if response
                .request()
                .extensions()
                .contains::<crate::http::SessionAccessed>()
            {
                crate::http::patch_vary_cookie(response.headers_mut());
            }
            Ok(response)
        })
    }
}

/// actix-session's store errors (`InternalError` with the store's error,
/// from loading, saving, updating or deleting a session) become our 503.
fn fail_closed(error: Error) -> Error {
    let from_store = error.as_error::<InternalError<anyhow::Error>>().is_some()
        || error.as_error::<InternalError<SaveError>>().is_some()
        || error.as_error::<InternalError<UpdateError>>().is_some();
    if !from_store {
        return error;
    }
    tracing::error!(%error, "the session store failed");
    ApiError::new(AuthError::service_unavailable()).into()
}

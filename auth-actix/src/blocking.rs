//! Blocking work (queries, password hashing) off the actix worker threads.

use actix_web::web;
use auth_core::error::AuthError;
use auth_core::StoreError;

/// Run `work` on actix's blocking thread pool (`web::block`).
///
/// A store failure, or the blocking pool failing, becomes a 503
/// "Service temporarily unavailable, try again later." (logged): never an
/// anonymous pass, never a panic, never a 500 from `BlockingError`.
pub async fn run_blocking<T, F>(work: F) -> Result<T, AuthError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match web::block(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            tracing::error!(error = %err, "authentication store failed");
            Err(AuthError::service_unavailable())
        }
        Err(err) => {
            tracing::error!(error = %err, "authentication blocking task failed");
            Err(AuthError::service_unavailable())
        }
    }
}

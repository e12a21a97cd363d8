//! The pipeline's outcome for one request, as the handler's extractors see
//! it: who made the request, what was preloaded, the view's policy (for
//! object permissions and errors raised by the handler), the settings.

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::identity::Identity;
use auth_core::permissions::{Denial, Loaded, PermissionRequest};
use auth_core::view::ViewConfig;

use crate::settings::AuthSettings;

/// The pipeline's outcome for one request.
#[derive(Clone)]
pub(crate) struct RequestState {
    pub(crate) identity: Arc<Identity>,
    /// What the view's permissions needed preloaded.
    pub(crate) loaded: Option<Arc<Loaded>>,
    pub(crate) policy: Arc<dyn ViewPolicy>,
    pub(crate) settings: AuthSettings,
}

thread_local! {
    /// The state of the request whose handler is being polled on this thread.
    pub(crate) static CURRENT: RefCell<Option<RequestState>> = const { RefCell::new(None) };
}

/// Run `handler` (extraction and the handler's body) with `state` available
/// to [`AuthRequest`]'s extractor.
///
/// The state is in place only while `handler` is being polled, and whatever
/// was there before is restored after each poll (so nested pipelines and
/// other tasks on the thread never see it). This costs no allocation, unlike
/// the request's extensions.
pub(crate) async fn with_state<F: Future>(state: RequestState, handler: F) -> F::Output {
    let mut handler = pin!(handler);
    let mut slot = Some(state);
    poll_fn(move |cx| {
        CURRENT.with(|current| std::mem::swap(&mut *current.borrow_mut(), &mut slot));
        let poll = handler.as_mut().poll(cx);
        CURRENT.with(|current| std::mem::swap(&mut *current.borrow_mut(), &mut slot));
        poll
    })
    .await
}

/// What the request state keeps of a view, for object permissions and
/// errors raised by the handler.
pub(crate) trait ViewPolicy: Send + Sync {
    fn view_config(&self) -> &ViewConfig;
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        settings: &AuthSettings,
    ) -> Option<Cow<'static, str>>;
    fn has_authenticators(&self, settings: &AuthSettings) -> bool;
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
        settings: &AuthSettings,
    ) -> Result<(), Denial>;
}

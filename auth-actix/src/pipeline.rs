//! The request pipeline (DRF's `APIView.initial` and `dispatch`):
//! authenticate, check permissions, then dispatch on the method.

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use auth_core::error::AuthError;
use auth_core::identity::Identity;
use auth_core::permissions::{Denial, Loaded, Needs, PermissionList, PermissionRequest};
use auth_core::view::ViewConfig;

use crate::authentication::AuthenticationList;
use crate::blocking::run_blocking;
use crate::error::missing_settings;
use crate::error::ApiError;
use crate::http::{disallowed_host, finish_response};
use crate::metadata::{options_body, Metadata};
use crate::parsers::{stash_payload, unstash_payload};
use crate::settings::AuthSettings;
use crate::state::{with_state, RequestState, ViewPolicy};
use crate::throttling::{DefaultThrottles, ThrottleList, ThrottleRequest};

/// An ordered list of permissions for a view: a tuple (from
/// `#[permission_classes(..)]`), a `Vec<DynPermission>`, or
/// [`DefaultPermissions`] (the app-wide list from [`AuthSettings`]).
pub trait PermissionClasses: Send + Sync + 'static {
    /// Every `has_permission`, in order; the first denial decides.
    fn check_permissions(
        &self,
        request: &PermissionRequest<'_>,
        settings: &AuthSettings,
    ) -> Result<(), Denial>;
    /// Every `has_object_permission`, in order; the first denial decides.
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
        settings: &AuthSettings,
    ) -> Result<(), Denial>;
    /// What the list needs preloaded, when it does not depend on the
    /// settings (`None` for [`DefaultPermissions`]: the settings' own).
    fn own_needs(&self) -> Option<Needs>;
}

impl<T: PermissionList> PermissionClasses for T {
    fn check_permissions(
        &self,
        request: &PermissionRequest<'_>,
        _: &AuthSettings,
    ) -> Result<(), Denial> {
        PermissionList::check_permissions(self, request)
    }
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
        _: &AuthSettings,
    ) -> Result<(), Denial> {
        PermissionList::check_object_permissions(self, request, obj)
    }
    fn own_needs(&self) -> Option<Needs> {
        Some(Needs::of(self))
    }
}

/// The app-wide `DEFAULT_PERMISSION_CLASSES` from [`AuthSettings`]: what a
/// view without `#[permission_classes(..)]` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPermissions;

impl PermissionClasses for DefaultPermissions {
    fn check_permissions(
        &self,
        request: &PermissionRequest<'_>,
        settings: &AuthSettings,
    ) -> Result<(), Denial> {
        PermissionList::check_permissions(settings.permission_classes(), request)
    }
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
        settings: &AuthSettings,
    ) -> Result<(), Denial> {
        PermissionList::check_object_permissions(settings.permission_classes(), request, obj)
    }
    fn own_needs(&self) -> Option<Needs> {
        None
    }
}

/// HTTP methods as bits, in Django's order (`View.http_method_names`).
pub(crate) const METHOD_ORDER: [(Method, u16); 8] = [
    (Method::GET, MethodSet::GET),
    (Method::POST, MethodSet::POST),
    (Method::PUT, MethodSet::PUT),
    (Method::PATCH, MethodSet::PATCH),
    (Method::DELETE, MethodSet::DELETE),
    (Method::HEAD, MethodSet::HEAD),
    (Method::OPTIONS, MethodSet::OPTIONS),
    (Method::TRACE, MethodSet::TRACE),
];

/// The methods a view implements and its `Allow` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSet {
    handled: u16,
    allow: HeaderValue,
}

/// Where a request goes after authentication and permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodRoute {
    /// A handler implements the method.
    Handler,
    /// `OPTIONS` without a handler: the view's metadata.
    Options,
    /// 405.
    NotAllowed,
}

impl MethodSet {
    /// `GET`.
    pub const GET: u16 = 1;
    /// `POST`.
    pub const POST: u16 = 1 << 1;
    /// `PUT`.
    pub const PUT: u16 = 1 << 2;
    /// `PATCH`.
    pub const PATCH: u16 = 1 << 3;
    /// `DELETE`.
    pub const DELETE: u16 = 1 << 4;
    /// `HEAD`.
    pub const HEAD: u16 = 1 << 5;
    /// `OPTIONS`.
    pub const OPTIONS: u16 = 1 << 6;
    /// `TRACE`.
    pub const TRACE: u16 = 1 << 7;

    /// Handlers for `handled`; `allow` is the `Allow` header (the handled
    /// methods plus `OPTIONS`, in Django's order), computed by the macros.
    pub const fn new(handled: u16, allow: &'static str) -> Self {
        MethodSet {
            handled,
            allow: HeaderValue::from_static(allow),
        }
    }

    /// The bit of `method`, or 0 for a method DRF views never implement.
    pub fn bit(method: &Method) -> u16 {
        METHOD_ORDER
            .iter()
            .find(|(m, _)| m == method)
            .map_or(0, |(_, bit)| *bit)
    }

    /// Where `method` goes.
    pub fn route(&self, method: &Method) -> MethodRoute {
        let bit = Self::bit(method);
        if bit != 0 && self.handled & bit != 0 {
            MethodRoute::Handler
        } else if bit == Self::OPTIONS {
            MethodRoute::Options
        } else {
            MethodRoute::NotAllowed
        }
    }

    /// The `Allow` header value.
    pub fn allow(&self) -> &HeaderValue {
        &self.allow
    }
}

/// What the macros compute about a view: name and description for `OPTIONS`
/// responses (DRF's `get_view_name` and `get_view_description`), the rest of
/// its `OPTIONS` answer (`#[api_view(metadata = ..)]`) and its attributes
/// (`#[view_config(..)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewMeta {
    /// `"My View"` for `my_view`.
    pub name: &'static str,
    /// The doc comment (or `#[api_view(description = ..)]`), dedented.
    pub description: &'static str,
    /// The view's own media types and serializer fields; `None`: the
    /// settings' media types, no serializer.
    pub metadata: Option<&'static Metadata>,
    /// The attributes permissions and throttles read.
    pub config: ViewConfig,
}

impl ViewMeta {
    /// No name, no description, no attributes (a scope behind [`AuthPipeline`](crate::AuthPipeline)).
    pub const EMPTY: ViewMeta = ViewMeta {
        name: "",
        description: "",
        metadata: None,
        config: ViewConfig::new(),
    };
}

/// One view's policy: authentication, permission and throttle classes, methods.
pub struct ViewSpec<A, P, T = DefaultThrottles> {
    authentication: A,
    permissions: P,
    throttles: T,
    /// `None`: the settings' (the view uses `DEFAULT_PERMISSION_CLASSES`).
    needs: Option<Arc<Needs>>,
    methods: Option<MethodSet>,
    meta: ViewMeta,
}

impl<A: AuthenticationList, P: PermissionClasses, T: ThrottleList> ViewSpec<A, P, T> {
    /// A view with these lists; `methods: None` leaves methods to the router.
    pub fn new(
        authentication: A,
        permissions: P,
        throttles: T,
        methods: Option<MethodSet>,
        meta: ViewMeta,
    ) -> Self {
        let needs = permissions.own_needs().map(Arc::new);
        ViewSpec {
            authentication,
            permissions,
            throttles,
            needs,
            methods,
            meta,
        }
    }

    /// An error from this view: DRF's `handle_exception` context.
    pub(crate) fn error(
        &self,
        error: AuthError,
        request: &HttpRequest,
        settings: &AuthSettings,
    ) -> ApiError {
        let header = if error.kind().is_authentication() {
            self.authentication
                .authenticate_header(request, settings.authentication())
                .map(|header| match error.challenge() {
                    // The failure knows better what to say, within DRF's
                    // rule: the header is the first class's (a 401 only when
                    // it has one), so the challenge counts only when it is
                    // in that class's scheme.
                    Some(challenge) if same_scheme(&header, challenge.scheme()) => {
                        Cow::Owned(challenge.to_string())
                    }
                    _ => header,
                })
        } else {
            None
        };
        ApiError::for_view(error, header, settings.error_body())
    }
}

/// Whether `header` (a `WWW-Authenticate` value) is a challenge in `scheme`.
fn same_scheme(header: &str, scheme: &str) -> bool {
    header
        .split(' ')
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(scheme))
}

impl<A: AuthenticationList, P: PermissionClasses, T: ThrottleList> ViewPolicy
    for ViewSpec<A, P, T>
{
    fn view_config(&self) -> &ViewConfig {
        &self.meta.config
    }
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        settings: &AuthSettings,
    ) -> Option<Cow<'static, str>> {
        self.authentication
            .authenticate_header(request, settings.authentication())
    }
    fn has_authenticators(&self, settings: &AuthSettings) -> bool {
        self.authentication
            .has_authenticators(settings.authentication())
    }
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
        settings: &AuthSettings,
    ) -> Result<(), Denial> {
        self.permissions
            .check_object_permissions(request, obj, settings)
    }
}

/// A view's spec built once, on first use (`static` in generated code).
pub struct ViewCell<A, P, T = DefaultThrottles> {
    spec: OnceLock<Arc<ViewSpec<A, P, T>>>,
    methods: Option<MethodSet>,
    meta: ViewMeta,
}

impl<A, P, T> ViewCell<A, P, T> {
    /// A cell for a view with these methods and metadata.
    pub const fn new(methods: Option<MethodSet>, meta: ViewMeta) -> Self {
        ViewCell {
            spec: OnceLock::new(),
            methods,
            meta,
        }
    }
}

impl<A, P, T> ViewCell<A, P, T>
where
    A: AuthenticationList + Default,
    P: PermissionClasses + Default,
    T: ThrottleList + Default,
{
    /// The spec, building the class lists with `Default` the first time.
    pub fn get(&self) -> &Arc<ViewSpec<A, P, T>> {
        self.spec.get_or_init(|| {
            Arc::new(ViewSpec::new(
                A::default(),
                P::default(),
                T::default(),
                self.methods.clone(),
                self.meta,
            ))
        })
    }
}

/// Authenticate, check permissions, check throttles (DRF's
/// `perform_authentication`, `check_permissions` and `check_throttles`, in
/// that order). The outcome is what [`AuthRequest`](crate::AuthRequest)
/// gives the handler.
pub(crate) async fn authorize<A: AuthenticationList, P: PermissionClasses, T: ThrottleList>(
    request: &HttpRequest,
    settings: &AuthSettings,
    spec: &Arc<ViewSpec<A, P, T>>,
) -> Result<RequestState, ApiError> {
    let identity = match spec
        .authentication
        .authenticate(request, settings.authentication())
        .await
    {
        Ok(Some(identity)) => Arc::new(identity),
        Ok(None) => settings.anonymous().clone(),
        Err(err) => return Err(spec.error(err, request, settings)),
    };
    let needs = spec
        .needs
        .as_ref()
        .unwrap_or_else(|| settings.permission_needs());
    let loaded = preload(needs, &identity, settings)
        .await
        .map_err(|err| spec.error(err, request, settings))?;
    let view = &spec.meta.config;
    let mut permission_request =
        PermissionRequest::new(request.method().as_str(), &identity, request).with_view(view);
    if let Some(loaded) = &loaded {
        permission_request = permission_request.with_loaded(loaded);
    }
    if let Err(denial) = spec
        .permissions
        .check_permissions(&permission_request, settings)
    {
        let err = denial.into_error(
            spec.authentication
                .has_authenticators(settings.authentication()),
            &identity,
        );
        return Err(spec.error(err, request, settings));
    }
    if !spec.throttles.is_empty(settings.throttling()) {
        let throttle_request =
            ThrottleRequest::new(request, &identity, view, settings.throttling());
        if let Err(err) = spec.throttles.check_throttles(&throttle_request).await {
            return Err(spec.error(err, request, settings));
        }
    }
    Ok(RequestState {
        identity,
        loaded,
        policy: spec.clone(),
        settings: settings.clone(),
    })
}

/// What the permissions need, loaded once: without a query when the
/// identity decides, else in one hop to the blocking pool.
async fn preload(
    needs: &Arc<Needs>,
    identity: &Arc<Identity>,
    settings: &AuthSettings,
) -> Result<Option<Arc<Loaded>>, AuthError> {
    if needs.is_empty() {
        return Ok(None);
    }
    if let Some(loaded) = needs.without_query(identity) {
        return Ok(Some(Arc::new(loaded)));
    }
    let store = settings.store()?.clone();
    let (needs, identity) = (needs.clone(), identity.clone());
    let loaded = run_blocking(move || needs.load(&identity, &store)).await?;
    Ok(Some(Arc::new(loaded)))
}

/// Run a view: check the host, authenticate, check permissions, dispatch on
/// the method, then finalize (errors get the view's context; `Allow` on every
/// response; `Vary: Cookie` when the session was read).
pub async fn dispatch<A, P, T, F, Fut, R>(
    spec: &Arc<ViewSpec<A, P, T>>,
    request: HttpRequest,
    payload: Payload,
    handler: F,
) -> HttpResponse
where
    A: AuthenticationList,
    P: PermissionClasses,
    T: ThrottleList,
    F: FnOnce(HttpRequest, Payload) -> Fut,
    Fut: Future<Output = Result<R, actix_web::Error>>,
    R: Responder,
{
    let mut response = match AuthSettings::from_request(&request) {
        None => missing_settings().error_response(),
        Some(settings) => match disallowed_host(&request, settings.site()) {
            Some(refused) => refused,
            None => run_view(spec, settings, &request, payload, handler).await,
        },
    };
    if let Some(methods) = &spec.methods {
        response
            .headers_mut()
            .insert(header::ALLOW, methods.allow().clone());
    }
    finish_response(&request, &mut response);
    response
}

/// [`dispatch`] once the settings and the host are known.
async fn run_view<A, P, T, F, Fut, R>(
    spec: &Arc<ViewSpec<A, P, T>>,
    settings: &AuthSettings,
    request: &HttpRequest,
    payload: Payload,
    handler: F,
) -> HttpResponse
where
    A: AuthenticationList,
    P: PermissionClasses,
    T: ThrottleList,
    F: FnOnce(HttpRequest, Payload) -> Fut,
    Fut: Future<Output = Result<R, actix_web::Error>>,
    R: Responder,
{
    // A form POST's body may be read by authentication (the CSRF form
    // field); the handler then gets a copy.
    let payload = stash_payload(request, payload);
    let authorized = authorize(request, settings, spec).await;
    let payload = payload.unwrap_or_else(|| unstash_payload(request));
    let state = match authorized {
        Err(err) => return err.error_response(),
        Ok(state) => state,
    };
    match spec
        .methods
        .as_ref()
        .map_or(MethodRoute::Handler, |m| m.route(request.method()))
    {
        MethodRoute::Handler => {
            let response = match with_state(state, handler(request.clone(), payload)).await {
                Ok(responder) => responder.respond_to(request).map_into_boxed_body(),
                Err(err) => HttpResponse::from_error(err),
            };
            finalize_error(response, request, settings, spec)
        }
        MethodRoute::Options => metadata_response(spec, &state, request, settings),
        MethodRoute::NotAllowed => spec
            .error(
                AuthError::method_not_allowed(request.method().as_str()),
                request,
                settings,
            )
            .error_response(),
    }
}

/// Give an [`ApiError`] returned by the handler the view's context.
pub(crate) fn finalize_error<A: AuthenticationList, P: PermissionClasses, T: ThrottleList>(
    response: HttpResponse,
    request: &HttpRequest,
    settings: &AuthSettings,
    spec: &ViewSpec<A, P, T>,
) -> HttpResponse {
    let Some(api_error) = response.error().and_then(|err| err.as_error::<ApiError>()) else {
        return response;
    };
    if api_error.has_context() {
        return response;
    }
    spec.error(api_error.error().clone(), request, settings)
        .error_response()
}

/// DRF's `SimpleMetadata` for the view. A serializer's fields are listed
/// for `POST` and `PUT` when the view handles the method and its permissions
/// would allow it (DRF's `determine_actions`).
fn metadata_response<A, P, T>(
    spec: &ViewSpec<A, P, T>,
    state: &RequestState,
    request: &HttpRequest,
    settings: &AuthSettings,
) -> HttpResponse
where
    A: AuthenticationList,
    P: PermissionClasses,
    T: ThrottleList,
{
    let meta = &spec.meta;
    let mut actions = Vec::new();
    let has_serializer = meta.metadata.is_some_and(|m| m.fields().is_some());
    if let (true, Some(methods)) = (has_serializer, &spec.methods) {
        for (method, name) in [(Method::POST, "POST"), (Method::PUT, "PUT")] {
            if methods.route(&method) != MethodRoute::Handler {
                continue;
            }
            let mut as_method =
                PermissionRequest::new(name, &state.identity, request).with_view(&meta.config);
            if let Some(loaded) = &state.loaded {
                as_method = as_method.with_loaded(loaded);
            }
            if spec
                .permissions
                .check_permissions(&as_method, settings)
                .is_ok()
            {
                actions.push(name);
            }
        }
    }
    let body = options_body(
        meta.name,
        meta.description,
        meta.metadata,
        &actions,
        settings,
    );
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_routes() {
        let set = MethodSet::new(MethodSet::GET | MethodSet::POST, "GET, POST, OPTIONS");
        assert_eq!(set.route(&Method::GET), MethodRoute::Handler);
        assert_eq!(set.route(&Method::POST), MethodRoute::Handler);
        assert_eq!(set.route(&Method::OPTIONS), MethodRoute::Options);
        assert_eq!(
            set.route(&Method::HEAD),
            MethodRoute::NotAllowed,
            "DRF: HEAD only when listed"
        );
        assert_eq!(set.route(&Method::DELETE), MethodRoute::NotAllowed);
        let propfind = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(set.route(&propfind), MethodRoute::NotAllowed);
        let with_options = MethodSet::new(MethodSet::OPTIONS, "OPTIONS");
        assert_eq!(with_options.route(&Method::OPTIONS), MethodRoute::Handler);
    }
}

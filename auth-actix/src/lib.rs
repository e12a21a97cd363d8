#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The macros write `::auth_actix::…`: this makes those paths work in the
// crate's own views too.
extern crate self as auth_actix;

#[cfg(feature = "accounts")]
pub mod accounts;
pub mod authentication;
mod blocking;
pub mod csrf;
#[cfg(feature = "durin")]
pub mod durin;
pub mod error;
pub mod http;
#[cfg(feature = "jwt")]
pub mod jwt;
#[cfg(feature = "knox")]
pub mod knox;
pub mod metadata;
mod middleware;
#[cfg(feature = "oauth2")]
pub mod oauth2;
pub mod parsers;
mod pipeline;
mod request;
pub mod session;
pub mod settings;
pub mod site;
mod state;
pub mod throttling;
pub mod views;

pub use auth_core;
/// The management commands (`migrate`, `createuser`, `create-token`, ...)
/// for an application binary: `auth_core::commands`, here too.
pub use auth_core::commands;
/// Outgoing email (feature `email`): `auth_core::email`, here too.
#[cfg(feature = "email")]
pub use auth_core::email;
pub use auth_core::error::{messages, AuthError, Challenge, ErrorDetail, ErrorKind};
pub use auth_core::identity::{
    AnonymousUser, Auth, Authenticated, Identity, RequestUser, StatelessUser, UnauthenticatedUser,
};
pub use auth_core::model_permissions::{
    DjangoModelPermissions, DjangoModelPermissionsOrAnonReadOnly, DjangoObjectPermissions,
    ObjectPermissionBackend, UserPermissions,
};
pub use auth_core::permission_operators;
pub use auth_core::permissions::{
    AllowAny, And, Denial, DynPermission, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly,
    Needs, Not, Or, Permission, PermissionList, PermissionRequest, Preloaded, ReadOnly,
    SAFE_METHODS,
};
/// DRF's serializer fields (`CharField`, the credentials of
/// `AuthTokenSerializer`): `auth_core::serializers::fields`, here too.
pub use auth_core::serializers::fields;
pub use auth_core::view::ViewConfig;
pub use auth_core::{AuthStore, StoreError, Token, User};
pub use auth_macros::{
    api_view, authentication_classes, permission_classes, throttle_classes, view_config,
};

pub use authentication::{
    get_authorization_header, keyword, keyword::Bearer, AuthResult, Authentication,
    AuthenticationConfig, AuthenticationList, BasicAuthentication, BasicConfig,
    DefaultAuthentication, DynAuthentication, Keyword, RemoteUserAuthentication, RemoteUserConfig,
    SessionAuthentication, TokenAuthentication, TokenStore, TrustedProxy,
};
pub use blocking::{run_blocking, run_query};
pub use error::ApiError;
pub use middleware::{AuthPipeline, AuthPipelineService};
pub use pipeline::{
    dispatch, DefaultPermissions, MethodSet, PermissionClasses, ViewMeta, ViewSpec,
};
pub use request::AuthRequest;
pub use settings::{AuthSettings, AuthSettingsBuilder, ConfigError};
pub use throttling::{
    AnonRateThrottle, DynThrottle, ScopedRateThrottle, Throttle, ThrottleDecision, ThrottleRequest,
    UserRateThrottle,
};

/// Everything a view module needs: `use auth_actix::prelude::*;`.
pub mod prelude {
    pub use crate::{
        api_view, authentication_classes, permission_classes, throttle_classes, view_config,
        AllowAny, AnonRateThrottle, AuthRequest, AuthSettings, Authentication,
        AuthenticationConfig, BasicAuthentication, Bearer, DjangoModelPermissions,
        DjangoModelPermissionsOrAnonReadOnly, DjangoObjectPermissions, IsAdminUser,
        IsAuthenticated, IsAuthenticatedOrReadOnly, Permission, ReadOnly, RemoteUserAuthentication,
        ScopedRateThrottle, SessionAuthentication, Throttle, TokenAuthentication, UserRateThrottle,
    };
    pub use actix_web::{web, HttpRequest, HttpResponse, Responder};
}

/// Paths used by the code the macros generate. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::authentication::{Authentication, DefaultAuthentication};
    pub use crate::metadata::Metadata;
    pub use crate::pipeline::{dispatch, DefaultPermissions, MethodSet, ViewCell, ViewMeta};
    pub use crate::throttling::{DefaultThrottles, Throttle};
    pub use actix_web::dev::{AppService, HttpServiceFactory, Payload};
    pub use actix_web::http::Method;
    pub use actix_web::web::resource;
    pub use actix_web::{Error, FromRequest, Handler, HttpRequest, HttpResponse, Resource};
    pub use auth_core::permissions::{And, Not, Or, Permission};
    pub use auth_core::view::ViewConfig;
    pub use core::option::Option::{None, Some};
    pub use core::result::Result::{Err, Ok};
    pub use std::boxed::Box;

    /// The future of a view registered with `#[api_view(path = ..)]`.
    pub type ViewFuture = std::pin::Pin<Box<dyn std::future::Future<Output = HttpResponse>>>;

    /// The wrapper's one argument: the request and its payload, taken in a
    /// single extraction (cheaper than extracting the two separately).
    pub struct ViewRequest(pub HttpRequest, pub Payload);

    impl FromRequest for ViewRequest {
        type Error = Error;
        type Future = std::future::Ready<Result<Self, Error>>;

        fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
            std::future::ready(Ok(ViewRequest(request.clone(), payload.take())))
        }
    }

    /// A handler's value as a response.
    pub fn respond<R: actix_web::Responder>(value: R, request: &HttpRequest) -> HttpResponse {
        value.respond_to(request).map_into_boxed_body()
    }

    /// DRF's 405 for `request`'s method.
    pub fn method_not_allowed(request: &HttpRequest) -> Error {
        crate::ApiError::from(crate::AuthError::method_not_allowed(
            request.method().as_str(),
        ))
        .into()
    }

    /// A type named in `#[authentication_classes(..)]`, checked where it is
    /// named: the macro writes `<T as AuthenticationClass>::Class`, so a type
    /// that is not a class gives one error, on its name.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an authentication class",
        label = "not an authentication class",
        note = "a class in `#[authentication_classes(..)]` implements `Authentication` and `Default`"
    )]
    pub trait AuthenticationClass {
        /// The class itself.
        type Class;
    }

    impl<T: Authentication + Default> AuthenticationClass for T {
        type Class = T;
    }

    /// A type named in `#[permission_classes(..)]`, checked where it is named.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a permission class",
        label = "not a permission class",
        note = "a class in `#[permission_classes(..)]` implements `Permission` and `Default`"
    )]
    pub trait PermissionClass {
        /// The class itself.
        type Class;
    }

    impl<T: Permission + Default> PermissionClass for T {
        type Class = T;
    }

    /// A type named in `#[throttle_classes(..)]`, checked where it is named.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a throttle class",
        label = "not a throttle class",
        note = "a class in `#[throttle_classes(..)]` implements `Throttle` and `Default`"
    )]
    pub trait ThrottleClass {
        /// The class itself.
        type Class;
    }

    impl<T: Throttle + Default> ThrottleClass for T {
        type Class = T;
    }
}

//! Authentication classes (DRF's `rest_framework.authentication`).
//!
//! A class looks at the request and does one of three things:
//!
//! - `Ok(None)`: **not attempted** (no credentials of its kind); the next class is tried;
//! - `Ok(Some(Authenticated))`: **success**; later classes are never consulted;
//! - `Err(AuthError)`: **failure**; the walk stops and the error is the response.
//!
//! Implementing [`Authentication`] is all a custom class needs:
//!
//! ```
//! use auth_actix::prelude::*;
//! use auth_actix::{run_blocking, AuthError, Authenticated};
//!
//! /// Trusts an `X-Username` header (for a demo only!).
//! #[derive(Default)]
//! struct XUsername;
//!
//! impl Authentication for XUsername {
//!     async fn authenticate(
//!         &self,
//!         request: &HttpRequest,
//!         config: &AuthenticationConfig,
//!     ) -> Result<Option<Authenticated>, AuthError> {
//!         let Some(name) = request.headers().get("X-Username") else { return Ok(None) };
//!         let name = String::from_utf8_lossy(name.as_bytes()).into_owned();
//!         let store = config.store()?.clone();
//!         match run_blocking(move || store.user_by_username(&name)).await? {
//!             Some(user) => Ok(Some(Authenticated::user(user))),
//!             None => Err(AuthError::authentication_failed("No such user")),
//!         }
//!     }
//! }
//! ```

mod basic;
mod config;
pub(crate) mod parse;
mod remote_user;
pub(crate) mod session;
mod token;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::identity::{Authenticated, Identity};

pub use basic::{BasicAuthentication, BasicConfig};
pub use config::AuthenticationConfig;
pub use remote_user::{RemoteUserAuthentication, RemoteUserConfig, TrustedProxy};
pub use session::SessionAuthentication;
pub(crate) use token::keyword_matches;
pub use token::{keyword, Keyword, TokenAuthentication, TokenStore};

/// What an authentication class returns.
pub type AuthResult = Result<Option<Authenticated>, AuthError>;

/// The request's `Authorization` header as raw bytes (`b""` when absent), as
/// Django's `request.META["HTTP_AUTHORIZATION"]` holds it: a header sent more
/// than once is its values joined with `,` (what WSGI servers do), which no
/// DRF class accepts as one credential.
///
/// DRF reads the header as bytes (Django decodes it as latin-1 and DRF
/// re-encodes it), so classes must not go through `to_str()`.
pub fn get_authorization_header(request: &HttpRequest) -> Cow<'_, [u8]> {
    let mut values = request
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    let Some(first) = values.next() else {
        return Cow::Borrowed(b"");
    };
    let Some(second) = values.next() else {
        return Cow::Borrowed(first.as_bytes());
    };
    let mut joined = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        joined.push(b',');
        joined.extend_from_slice(value.as_bytes());
    }
    Cow::Owned(joined)
}

/// For a class that reads `Authorization`: when the header is sent more than
/// once and one of its values is for this class (`is_ours`), the failure
/// `message` (DRF's answer to the joined header: too many parts); `Ok(())`
/// when it is sent once, or none of its values is for this class. A client
/// that repeats the header never gets to pick which value counts, whatever
/// a proxy in front appends or replaces.
pub(crate) fn refuse_repeated_authorization(
    request: &HttpRequest,
    is_ours: impl Fn(&[u8]) -> bool,
    message: &'static str,
) -> Result<(), AuthError> {
    let values = request
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    if values.clone().nth(1).is_none() {
        return Ok(());
    }
    let mut values = values;
    if values.any(|value| is_ours(value.as_bytes())) {
        return Err(AuthError::authentication_failed(message));
    }
    Ok(())
}

/// An authentication class (DRF's `BaseAuthentication`).
///
/// `authenticate` may do I/O; anything blocking (a database lookup, a password
/// check) belongs in [`run_blocking`](crate::run_blocking). Classes named in
/// `#[authentication_classes(..)]` are built once per view with `Default`;
/// configuration comes from type parameters, the class's own app data, or
/// the [`AuthenticationConfig`] it is handed (stores, site and CSRF settings).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authentication class",
    label = "not an authentication class",
    note = "implement `Authentication` for `{Self}` (and `Default`), or, if it is a permission, list it in `#[permission_classes(..)]`"
)]
pub trait Authentication: Send + Sync + 'static {
    /// Not attempted (`Ok(None)`), success, or failure.
    fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> impl Future<Output = AuthResult>;

    /// The `WWW-Authenticate` value for a 401, or `None` for a 403 (the
    /// default). Only the view's first class is asked.
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        let _ = (request, config);
        None
    }

    /// The class's name, reported by `successful_authenticator()`.
    fn name(&self) -> &'static str {
        short_type_name::<Self>()
    }
}

pub(crate) use crate::error::short_type_name;

type BoxedAuthFuture<'a> = Pin<Box<dyn Future<Output = AuthResult> + 'a>>;

/// The object-safe face of [`Authentication`].
trait ErasedAuthentication: Send + Sync {
    fn authenticate_boxed<'a>(
        &'a self,
        request: &'a HttpRequest,
        config: &'a AuthenticationConfig,
    ) -> BoxedAuthFuture<'a>;
    fn header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>>;
    fn class_name(&self) -> &'static str;
}

impl<T: Authentication> ErasedAuthentication for T {
    fn authenticate_boxed<'a>(
        &'a self,
        request: &'a HttpRequest,
        config: &'a AuthenticationConfig,
    ) -> BoxedAuthFuture<'a> {
        Box::pin(self.authenticate(request, config))
    }
    fn header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        self.authenticate_header(request, config)
    }
    fn class_name(&self) -> &'static str {
        self.name()
    }
}

/// A shared, type-erased authentication class, for lists chosen at run time
/// (the app-wide `DEFAULT_AUTHENTICATION_CLASSES`).
#[derive(Clone)]
pub struct DynAuthentication(Arc<dyn ErasedAuthentication>);

impl DynAuthentication {
    /// Erase `class`'s type.
    pub fn new<T: Authentication>(class: T) -> Self {
        DynAuthentication(Arc::new(class))
    }
}

impl fmt::Debug for DynAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DynAuthentication")
            .field(&self.0.class_name())
            .finish()
    }
}

impl Authentication for DynAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        self.0.authenticate_boxed(request, config).await
    }
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        self.0.header(request, config)
    }
    fn name(&self) -> &'static str {
        self.0.class_name()
    }
}

/// An ordered list of authentication classes: a tuple of classes (from
/// `#[authentication_classes(..)]`), a `Vec<DynAuthentication>`, or
/// [`DefaultAuthentication`] (the app-wide list, `DEFAULT_AUTHENTICATION_CLASSES`).
pub trait AuthenticationList: Send + Sync + 'static {
    /// Walk the classes in order (DRF's `Request._authenticate`): the first
    /// success or failure decides; `Ok(None)` when nobody attempted.
    fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> impl Future<Output = Result<Option<Identity>, AuthError>>;

    /// The first class's `authenticate_header` (DRF's `get_authenticate_header`).
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>>;

    /// Whether the list has any class (DRF's `request.authenticators`).
    fn has_authenticators(&self, config: &AuthenticationConfig) -> bool;
}

async fn try_class<C: Authentication>(
    class: &C,
    request: &HttpRequest,
    config: &AuthenticationConfig,
) -> Result<Option<Identity>, AuthError> {
    Ok(class
        .authenticate(request, config)
        .await?
        .map(|ok| Identity::authenticated(ok, class.name())))
}

macro_rules! tuple_authentication_list {
    () => {
        impl AuthenticationList for () {
            async fn authenticate(&self, _: &HttpRequest, _: &AuthenticationConfig) -> Result<Option<Identity>, AuthError> {
                Ok(None)
            }
            fn authenticate_header(&self, _: &HttpRequest, _: &AuthenticationConfig) -> Option<Cow<'static, str>> {
                None
            }
            fn has_authenticators(&self, _: &AuthenticationConfig) -> bool {
                false
            }
        }
    };
    ($first:ident $($rest:ident)*) => {
        impl<$first: Authentication, $($rest: Authentication),*> AuthenticationList for ($first, $($rest,)*) {
            #[allow(non_snake_case)]
            async fn authenticate(
                &self,
                request: &HttpRequest,
                config: &AuthenticationConfig,
            ) -> Result<Option<Identity>, AuthError> {
                let ($first, $($rest,)*) = self;
                if let Some(identity) = try_class($first, request, config).await? {
                    return Ok(Some(identity));
                }
                $(
                    if let Some(identity) = try_class($rest, request, config).await? {
                        return Ok(Some(identity));
                    }
                )*
                Ok(None)
            }
            fn authenticate_header(
                &self,
                request: &HttpRequest,
                config: &AuthenticationConfig,
            ) -> Option<Cow<'static, str>> {
                self.0.authenticate_header(request, config)
            }
            fn has_authenticators(&self, _: &AuthenticationConfig) -> bool {
                true
            }
        }
    };
}

tuple_authentication_list!();
tuple_authentication_list!(A0);
tuple_authentication_list!(A0 A1);
tuple_authentication_list!(A0 A1 A2);
tuple_authentication_list!(A0 A1 A2 A3);
tuple_authentication_list!(A0 A1 A2 A3 A4);
tuple_authentication_list!(A0 A1 A2 A3 A4 A5);
tuple_authentication_list!(A0 A1 A2 A3 A4 A5 A6);
tuple_authentication_list!(A0 A1 A2 A3 A4 A5 A6 A7);

impl AuthenticationList for Vec<DynAuthentication> {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Result<Option<Identity>, AuthError> {
        for class in self {
            if let Some(identity) = try_class(class, request, config).await? {
                return Ok(Some(identity));
            }
        }
        Ok(None)
    }
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        self.first()
            .and_then(|class| class.authenticate_header(request, config))
    }
    fn has_authenticators(&self, _: &AuthenticationConfig) -> bool {
        !self.is_empty()
    }
}

/// The app-wide `DEFAULT_AUTHENTICATION_CLASSES` ([`AuthenticationConfig::default_classes`]): what a
/// view without `#[authentication_classes(..)]` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultAuthentication;

impl AuthenticationList for DefaultAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Result<Option<Identity>, AuthError> {
        config.default_classes().authenticate(request, config).await
    }
    fn authenticate_header(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        config
            .default_classes()
            .authenticate_header(request, config)
    }
    fn has_authenticators(&self, config: &AuthenticationConfig) -> bool {
        !config.default_classes().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(
            short_type_name::<BasicAuthentication>(),
            "BasicAuthentication"
        );
        assert_eq!(
            short_type_name::<TokenAuthentication<keyword::Bearer>>(),
            "TokenAuthentication"
        );
        assert_eq!(
            DynAuthentication::new(BasicAuthentication).name(),
            "BasicAuthentication"
        );
    }
}

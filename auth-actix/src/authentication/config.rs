//! [`AuthenticationConfig`]: what authentication classes read.

use std::fmt;
use std::sync::Arc;

use auth_core::error::AuthError;
use auth_core::AuthStore;

use super::{BasicAuthentication, DynAuthentication, SessionAuthentication, TokenStore};
use crate::csrf::CsrfConfig;
use crate::error::misconfigured;
use crate::site::SiteSettings;

/// What authentication classes read, handed to
/// [`Authentication::authenticate`](super::Authentication::authenticate):
/// `DEFAULT_AUTHENTICATION_CLASSES`, the user store, the token store, and
/// Django's site and CSRF settings (DRF's classes read Django's settings and
/// database, never `REST_FRAMEWORK`).
///
/// It is part of [`AuthSettings`](crate::AuthSettings) (set through its
/// builder, read with `AuthSettings::authentication()`), as
/// [`ThrottleConfig`](crate::throttling::ThrottleConfig) is for throttles: a
/// class sees what it needs, not the permission or throttle settings.
/// Cheap to clone.
#[derive(Clone)]
pub struct AuthenticationConfig {
    pub(crate) classes: Vec<DynAuthentication>,
    pub(crate) store: Option<AuthStore>,
    pub(crate) token_store: Option<Arc<dyn TokenStore>>,
    pub(crate) site: SiteSettings,
    pub(crate) csrf: CsrfConfig,
}

impl Default for AuthenticationConfig {
    /// DRF's default classes `[SessionAuthentication, BasicAuthentication]`,
    /// no store, Django's default site and CSRF settings.
    fn default() -> Self {
        AuthenticationConfig {
            classes: vec![
                DynAuthentication::new(SessionAuthentication),
                DynAuthentication::new(BasicAuthentication),
            ],
            store: None,
            token_store: None,
            site: SiteSettings::default(),
            csrf: CsrfConfig::default(),
        }
    }
}

impl AuthenticationConfig {
    /// `DEFAULT_AUTHENTICATION_CLASSES`.
    pub fn default_classes(&self) -> &Vec<DynAuthentication> {
        &self.classes
    }

    /// The user store (Basic, RemoteUser, Session, custom classes); a server
    /// error when none was set.
    pub fn store(&self) -> Result<&AuthStore, AuthError> {
        self.store.as_ref().ok_or_else(|| {
            misconfigured("no user store in AuthSettings: call AuthSettings::builder().store(..)")
        })
    }

    /// The token store (Token authentication): the one set with
    /// [`AuthSettingsBuilder::token_store`](crate::AuthSettingsBuilder::token_store),
    /// else the user store.
    pub fn token_store(&self) -> Result<&Arc<dyn TokenStore>, AuthError> {
        self.token_store.as_ref().ok_or_else(|| {
            misconfigured(
                "no token store in AuthSettings: call AuthSettings::builder().store(..) or .token_store(..)",
            )
        })
    }

    /// Django's site-wide settings (`SECRET_KEY`, `ALLOWED_HOSTS`, the proxy
    /// headers, the body limits).
    pub fn site(&self) -> &SiteSettings {
        &self.site
    }

    /// Django's CSRF settings, checked by session authentication.
    pub fn csrf(&self) -> &CsrfConfig {
        &self.csrf
    }
}

impl fmt::Debug for AuthenticationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationConfig")
            .field("default_classes", &self.classes)
            .field("has_store", &self.store.is_some())
            .field("has_token_store", &self.token_store.is_some())
            .field("site", &self.site)
            .field("csrf", &self.csrf)
            .finish()
    }
}

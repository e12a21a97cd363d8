//! auth-actix's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`.

#[macro_use]
mod common;

/// The body strategies of auth-core's property tests.
#[path = "../../auth-core/tests/body_strategies.rs"]
mod body_strategies;
mod csrf;
#[cfg(feature = "accounts")]
mod http_accounts;
mod http_classes;
#[cfg(feature = "accounts")]
mod http_dj_rest_auth;
mod http_django_sessions;
#[cfg(feature = "durin")]
mod http_durin;
#[cfg(feature = "jwt")]
mod http_jwks;
#[cfg(feature = "jwt")]
mod http_jwt;
#[cfg(feature = "knox")]
mod http_knox;
mod http_login;
mod http_model_permissions;
#[cfg(feature = "oauth2")]
mod http_oauth2;
mod http_obtain_auth_token;
mod http_pipeline;
mod http_session;
mod http_store;
mod http_throttling;
mod http_token;
mod http_token_cache;
mod http_views;
mod pool_exhausted;
mod properties;

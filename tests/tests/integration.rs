//! tests's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`
//! and auth-testkit's macros (`per_backend!`, `session_store_tests!`).

#[macro_use]
extern crate auth_testkit;

/// The test databases of every backend (auth-testkit's).
mod common {
    pub use auth_testkit::{username, TestDb, DJANGO_TABLES};
}

mod conformance;
#[macro_use]
mod django_interop;
mod accounts;
mod accounts_enumeration;
mod accounts_smtp;
mod django_sessions;
mod drf_parity_django;
#[cfg(feature = "durin")]
mod durin;
mod knox;
mod oauth2;
mod session_auth;
mod sessions;
#[cfg(feature = "jwt")]
mod simplejwt;
mod spoofing;
mod testkit;
mod throttling;

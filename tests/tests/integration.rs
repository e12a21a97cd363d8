//! tests's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`.

#[path = "../../auth-core/tests/common/mod.rs"]
#[macro_use]
mod common;

#[macro_use]
mod django_interop;
mod django_sessions;
mod drf_parity_django;
mod session_auth;
mod sessions;
mod spoofing;
mod throttling;

//! Runnable example apps for `auth-actix`, and what they share.
//!
//! | binary | what it shows |
//! |---|---|
//! | `quickstart` | the README's first command: a server on an embedded SQLite file, a demo user and token, `curl` lines to paste |
//! | `drf_parity` | every behaviour of Django REST framework's authentication and permissions, one view each, for checking parity over HTTP |
//! | `custom_authentication` | a class of your own (DRF's `X-Username` documentation example) |
//! | `bearer_token` | token authentication with the `Bearer` keyword |
//! | `scope_middleware` | the pipeline as a middleware on a scope, without attributes |
//! | `postgres` | an existing (Django) PostgreSQL database (cargo feature `postgres`) |
//! | `redis_sessions` | session login with the sessions in Redis (cargo feature `redis`) |
//!
//! Run one with `cargo run -p examples --bin <name>`. The modules here are the
//! pieces the binaries share, public so the tests can build the same apps.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod custom;
pub mod parity;

//! auth-core's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`
//! and auth-testkit's macros (`per_backend!`, `token_store_tests!`).

#[macro_use]
extern crate auth_testkit;

mod common;

mod commands;
mod conformance;
mod groups;
mod properties;
mod sessions;
mod store;

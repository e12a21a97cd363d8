//! auth-core's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`
//! and auth-testkit's macros (`per_backend!`, `token_store_tests!`).

#[macro_use]
extern crate auth_testkit;

mod common;

mod accounts;
mod body_strategies;
mod commands;
mod conformance;
mod groups;
mod parsers;
mod properties;
mod render;
mod sessions;
mod store;

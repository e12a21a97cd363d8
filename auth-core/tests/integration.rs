//! auth-core's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`.

#[macro_use]
mod common;

mod commands;
mod groups;
mod properties;
mod sessions;
mod store;

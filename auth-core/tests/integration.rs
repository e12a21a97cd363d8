//! auth-core's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`.

#[macro_use]
mod common;

mod body_strategies;
mod commands;
mod groups;
mod parsers;
mod properties;
mod render;
mod sessions;
mod store;

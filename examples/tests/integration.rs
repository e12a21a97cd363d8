//! examples's integration tests, as one test binary (one link instead of
//! one per file): each file of this folder is a module, sharing `common`.

#[macro_use]
mod common;

mod drf_parity;
mod drf_parity_binary;
mod drf_parity_throttling;
mod scenarios;

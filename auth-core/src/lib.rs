#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![warn(missing_docs)]

// Without a database backend only this error is reported: the modules that
// need one are compiled out rather than failing one by one.
#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "auth-core needs a database backend: enable at least one of the cargo features `sqlite` (the default), `postgres` or `mysql`"
);

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod commands;
pub mod compat;
pub mod crypto;
pub mod csrf;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod db;
pub mod error;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod groups;
pub mod hashers;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod identity;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod model_permissions;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod models;
pub mod parsers;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod permissions;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod relations;
pub mod render;
pub mod serializers;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod sessions;
pub mod signing;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod store;
pub mod throttling;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod token_cache;
pub mod view;

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use db::{AnyConnection, DbPool, PoolConfig};
pub use hashers::Hashers;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use models::{NewUser, Token, User};
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use sessions::SessionDb;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use store::{AuthStore, StoreError};
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use token_cache::{DigestCache, TokenCacheConfig};

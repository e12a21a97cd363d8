#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![warn(missing_docs)]

// Without a database backend only this error is reported: the modules that
// need one are compiled out rather than failing one by one.
#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "auth-core needs a database backend: enable at least one of the cargo features `sqlite` (the default), `postgres` or `mysql`"
);

/// Items that need a database backend: compiled only with one (without,
/// the `compile_error!` above is the one error reported).
macro_rules! with_database {
    ($($item:item)*) => {
        $(#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))] $item)*
    };
}

pub mod compat;
pub mod crypto;
pub mod csrf;
#[cfg(feature = "email")]
pub mod email;
pub mod error;
pub mod hashers;
#[cfg(feature = "http-client")]
pub mod http_client;
pub mod parsers;
pub mod password_validation;
pub mod render;
pub mod reset_tokens;
pub mod serializers;
pub mod signing;
pub mod throttling;
pub mod view;
pub use hashers::Hashers;

// Not in `with_database!`: it defines `#[macro_export]` macros, which a
// macro-expanded module may not.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod permissions;

with_database! {
    #[cfg(feature = "accounts")]
    pub mod accounts;
    pub mod commands;
    pub mod db;
    pub mod groups;
    pub mod identity;
    #[cfg(feature = "jwt")]
    pub mod jwt;
    pub mod model_permissions;
    pub mod models;
    pub mod purge;
    #[cfg(feature = "oauth2")]
    pub mod oauth2;
    pub mod relations;
    pub mod sessions;
    pub mod store;
    pub mod token_cache;
    pub mod tokens;
    pub use db::{AnyConnection, Database, DbPool, PoolConfig};
    pub use models::{NewUser, Token, User};
    pub use sessions::SessionDb;
    pub use store::{AuthStore, StoreError};
    pub use token_cache::{DigestCache, TokenCacheConfig};

    /// The commands of every feature compiled in, in the order `help` lists
    /// them: the core's, then each family's, behind its feature (the crate
    /// root assembles them, so the core's `commands` module never names a
    /// family). Names and aliases are unique across all of them.
    pub(crate) const COMMAND_SETS: &[&[commands::Command]] = &[
        commands::CORE_COMMANDS,
        #[cfg(any(feature = "knox", feature = "durin"))]
        commands::TOKEN_COMMANDS,
        #[cfg(feature = "durin")]
        durin::commands::COMMANDS,
    ];
}

#[cfg(all(
    feature = "knox",
    any(feature = "sqlite", feature = "postgres", feature = "mysql")
))]
pub mod knox;

/// Django-Rest-Durin 1.1.0's clients and tokens (feature `durin`).
#[cfg(all(
    feature = "durin",
    any(feature = "sqlite", feature = "postgres", feature = "mysql")
))]
pub mod durin;

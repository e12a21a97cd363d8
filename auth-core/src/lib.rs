#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod commands;
pub mod crypto;
pub mod csrf;
pub mod db;
pub mod hashers;
pub mod models;
pub mod store;

pub use db::{AnyConnection, DbPool, PoolConfig};
pub use hashers::Hashers;
pub use models::{NewUser, Token, User};
pub use store::{AuthStore, StoreError};

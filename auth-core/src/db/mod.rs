//! CONTRACT (skeleton): connections, pool, URL parsing, migrations, schema.
#![allow(missing_docs)]

/// One connection type over every compiled-in backend (Diesel `MultiConnection`).
pub struct AnyConnection;
/// The r2d2 pool.
pub type DbPool = std::sync::Arc<()>;
/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_size: u32,
    pub connection_timeout: std::time::Duration,
}

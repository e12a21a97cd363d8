//! [`DieselSessionStore`]: actix-session's `SessionStore` over `auth_core`'s
//! session table.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use auth_core::db::{Database, DbPool};
use auth_core::sessions::{session_user_id, SessionDb};
use auth_core::{AuthStore, StoreError};

use crate::blocking::run_query_raw;

/// The state actix-session keeps per session: JSON-encoded values by name.
type State = HashMap<String, String>;

/// Why the session store could not answer. Its messages never contain a
/// session key (the table holds only hashes, and no key is ever formatted).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionStoreError {
    /// The database failed or could not be reached.
    #[error("session store: {0}")]
    Store(#[from] StoreError),
    /// The query panicked, or actix-web's blocking thread pool is shutting
    /// down.
    #[error("session store: the blocking task failed")]
    Blocking,
}

impl SessionStoreError {
    /// `true` when the database could not be reached in time (the request
    /// may succeed later).
    pub fn is_unavailable(&self) -> bool {
        match self {
            SessionStoreError::Store(e) => e.is_unavailable(),
            SessionStoreError::Blocking => true,
        }
    }
}

/// A TTL as the store takes it (a negative one expires at once).
fn std_ttl(ttl: &Duration) -> std::time::Duration {
    std::time::Duration::try_from(*ttl).unwrap_or(std::time::Duration::ZERO)
}

/// actix-session's [`SessionStore`] over the `actix_auth_session` table (see
/// the [module documentation](super)). Cheap to clone; `Debug` shows the pool's
/// size, never a key.
#[derive(Clone, Debug)]
pub struct DieselSessionStore {
    db: SessionDb,
}

impl From<&Database> for DieselSessionStore {
    /// The sessions of `db`.
    fn from(db: &Database) -> Self {
        DieselSessionStore::new(db.pool().clone())
    }
}

impl From<&AuthStore> for DieselSessionStore {
    /// The sessions of the database `store` uses.
    fn from(store: &AuthStore) -> Self {
        DieselSessionStore::new(store.pool().clone())
    }
}

impl DieselSessionStore {
    /// A store over `pool` (whose database has been migrated).
    pub fn new(pool: DbPool) -> Self {
        DieselSessionStore {
            db: SessionDb::new(pool),
        }
    }

    /// The synchronous table underneath.
    pub fn sessions(&self) -> &SessionDb {
        &self.db
    }

    /// Runs `op`, one short query, off the worker thread on the worker's
    /// query queue (as token lookups do: see [`run_query`](crate::run_query)).
    async fn run<T, F>(&self, op: F) -> Result<T, SessionStoreError>
    where
        F: FnOnce(&SessionDb) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        match run_query_raw(move || op(&db)).await {
            Some(result) => result.map_err(SessionStoreError::from),
            None => Err(SessionStoreError::Blocking),
        }
    }

    /// Ends every session of `user_id` except the one whose key is `keep`
    /// (the caller's own, e.g. after a password change; `None` ends them
    /// all). Returns how many were ended.
    ///
    /// The key of the current request's session is not exposed by
    /// actix-session; to keep it, call `Session::renew()` after this with
    /// `keep = None`, which re-saves the current state under a fresh key.
    pub async fn delete_user_sessions(
        &self,
        user_id: i32,
        keep: Option<&SessionKey>,
    ) -> Result<usize, SessionStoreError> {
        let keep = keep.map(|k| k.as_ref().to_owned());
        self.run(move |db| db.delete_user_sessions(user_id, keep.as_deref()))
            .await
    }

    /// Django's `clearsessions`: deletes expired sessions, returns how many.
    pub async fn clear_expired(&self) -> Result<usize, SessionStoreError> {
        self.run(SessionDb::clear_expired).await
    }
}

impl SessionStore for DieselSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key = session_key.as_ref().to_owned();
        let record = self
            .run(move |db| db.load(&key))
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        match record {
            None => Ok(None),
            Some(record) => serde_json::from_str(&record.session_data)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let data = serde_json::to_string(&session_state)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        let user_id = session_user_id(&session_state);
        let ttl = std_ttl(ttl);
        let key = self
            .run(move |db| db.create(&data, user_id, ttl))
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        SessionKey::try_from(key.into_string()).map_err(|e| SaveError::Other(e.into()))
    }

    /// Replaces the state. When the session ended meanwhile (a logout
    /// elsewhere purged it, or it expired), nothing is written and the old key
    /// is returned: its cookie then names no session, so the request that was
    /// already running cannot bring a logged-out session back.
    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let data = serde_json::to_string(&session_state)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let user_id = session_user_id(&session_state);
        let ttl = std_ttl(ttl);
        let key = session_key.as_ref().to_owned();
        let updated = self
            .run(move |db| db.update(&key, &data, user_id, ttl))
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if !updated {
            tracing::debug!("the session ended before its new state could be saved; not saved");
        }
        Ok(session_key)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        let key = session_key.as_ref().to_owned();
        let ttl = std_ttl(ttl);
        self.run(move |db| db.update_ttl(&key, ttl)).await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let key = session_key.as_ref().to_owned();
        self.run(move |db| db.delete(&key)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_conversion() {
        assert_eq!(std_ttl(&Duration::seconds(90)).as_secs(), 90);
        assert_eq!(std_ttl(&Duration::seconds(-1)), std::time::Duration::ZERO);
        assert_eq!(std_ttl(&Duration::ZERO), std::time::Duration::ZERO);
    }

    #[test]
    fn errors_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<DieselSessionStore>();
        send_sync::<SessionStoreError>();
    }
}

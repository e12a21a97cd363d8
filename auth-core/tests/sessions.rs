//! The session table on every backend: SQLite always, PostgreSQL and MariaDB
//! when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set.

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use crate::common::TestDb;
use auth_core::db::schema::actix_auth_session;
use auth_core::sessions::{is_well_formed_key, SessionDb, SESSION_KEY_LENGTH};
use auth_core::StoreError;
use chrono::{NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;

const HOUR: Duration = Duration::from_secs(3600);

fn sessions(db: &TestDb) -> (auth_core::AuthStore, SessionDb) {
    let store = db.migrated();
    let sessions = SessionDb::from(&store);
    (store, sessions)
}

fn rows(store: &auth_core::AuthStore) -> Vec<(String, String, Option<i32>)> {
    actix_auth_session::table
        .select((
            actix_auth_session::key_hash,
            actix_auth_session::session_data,
            actix_auth_session::user_id,
        ))
        .order(actix_auth_session::key_hash)
        .load(&mut *store.connection().unwrap())
        .unwrap()
}

fn round_trip(db: &TestDb) {
    let (_store, sessions) = sessions(db);
    let before = Utc::now().naive_utc();
    let key = sessions.create(r#"{"a":"1"}"#, Some(7), HOUR).unwrap();
    assert_eq!(key.as_str().len(), SESSION_KEY_LENGTH);
    assert!(is_well_formed_key(key.as_str()));

    let record = sessions.load(key.as_str()).unwrap().expect("live session");
    assert_eq!(record.session_data, r#"{"a":"1"}"#);
    assert_eq!(record.user_id, Some(7));
    let ttl = record.expire_date - before;
    assert!(
        ttl > TimeDelta::seconds(3590) && ttl <= TimeDelta::seconds(3601),
        "{ttl:?}"
    );

    assert!(sessions
        .update(key.as_str(), r#"{"a":"2"}"#, None, 2 * HOUR)
        .unwrap());
    let record = sessions.load(key.as_str()).unwrap().unwrap();
    assert_eq!(record.session_data, r#"{"a":"2"}"#);
    assert_eq!(record.user_id, None);
    assert!(record.expire_date - before > TimeDelta::seconds(7190));

    assert!(sessions.update_ttl(key.as_str(), HOUR).unwrap());
    let record = sessions.load(key.as_str()).unwrap().unwrap();
    assert!(record.expire_date - before < TimeDelta::seconds(3601));
    assert_eq!(record.session_data, r#"{"a":"2"}"#);

    // Updating with identical values still reports the row (MySQL counts
    // found rows, not changed rows, through Diesel).
    let same = sessions.load(key.as_str()).unwrap().unwrap();
    assert!(sessions
        .update(key.as_str(), &same.session_data, same.user_id, HOUR)
        .unwrap());

    assert!(sessions.delete(key.as_str()).unwrap());
    assert!(sessions.load(key.as_str()).unwrap().is_none());
    assert!(!sessions.delete(key.as_str()).unwrap());
    assert!(!sessions.update(key.as_str(), "{}", Some(7), HOUR).unwrap());
    assert!(!sessions.update_ttl(key.as_str(), HOUR).unwrap());
}

/// The row holds a hash of the key, never the key itself.
fn keys_are_stored_hashed(db: &TestDb) {
    let (store, sessions) = sessions(db);
    let key = sessions.create("{}", None, HOUR).unwrap();
    let rows = rows(&store);
    assert_eq!(rows.len(), 1);
    let (hash, _, _) = &rows[0];
    assert_eq!(hash.len(), 64);
    assert!(hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_ne!(hash, key.as_str());
    // Case matters, also under MySQL's collations.
    let upper = key.as_str().to_ascii_uppercase();
    if upper != key.as_str() {
        assert!(sessions.load(&upper).unwrap().is_none());
    }
}

fn expired_sessions_are_absent(db: &TestDb) {
    let (store, sessions) = sessions(db);
    let expired = sessions
        .create(r#"{"x":"y"}"#, Some(1), Duration::ZERO)
        .unwrap();
    let live = sessions.create("{}", Some(1), HOUR).unwrap();
    thread::sleep(Duration::from_millis(5));
    assert!(sessions.load(expired.as_str()).unwrap().is_none());
    // Neither a state change nor a TTL refresh brings it back.
    assert!(!sessions
        .update(expired.as_str(), "{}", Some(1), HOUR)
        .unwrap());
    assert!(!sessions.update_ttl(expired.as_str(), HOUR).unwrap());
    assert!(sessions.load(expired.as_str()).unwrap().is_none());
    assert_eq!(rows(&store).len(), 2);

    assert_eq!(sessions.clear_expired().unwrap(), 1);
    assert_eq!(sessions.clear_expired().unwrap(), 0);
    assert_eq!(rows(&store).len(), 1);
    assert!(sessions.load(live.as_str()).unwrap().is_some());
}

fn ending_a_users_sessions(db: &TestDb) {
    let (store, sessions) = sessions(db);
    let a: Vec<_> = (0..3)
        .map(|_| sessions.create("{}", Some(1), HOUR).unwrap())
        .collect();
    let b = sessions.create("{}", Some(2), HOUR).unwrap();
    let anonymous = sessions.create("{}", None, HOUR).unwrap();

    assert_eq!(
        sessions
            .delete_user_sessions(1, Some(a[0].as_str()))
            .unwrap(),
        2
    );
    assert!(sessions.load(a[0].as_str()).unwrap().is_some());
    assert!(sessions.load(a[1].as_str()).unwrap().is_none());
    assert!(sessions.load(a[2].as_str()).unwrap().is_none());
    assert!(sessions.load(b.as_str()).unwrap().is_some());
    assert!(sessions.load(anonymous.as_str()).unwrap().is_some());

    // A `keep` that names no row of this user keeps nothing of theirs.
    assert_eq!(
        sessions.delete_user_sessions(1, Some(b.as_str())).unwrap(),
        1
    );
    assert_eq!(sessions.delete_user_sessions(1, None).unwrap(), 0);
    assert_eq!(
        sessions.delete_user_sessions(2, Some("garbage")).unwrap(),
        1
    );
    assert_eq!(rows(&store).len(), 1);
}

fn malformed_keys_are_absent(db: &TestDb) {
    let (_store, sessions) = sessions(db);
    sessions.create("{}", None, HOUR).unwrap();
    let long = "a".repeat(100_000);
    for key in [
        "",
        "x",
        "' OR 1=1 --",
        &"a".repeat(63),
        &long,
        &format!("{}\u{0}", "a".repeat(63)),
        &format!("{}é", "a".repeat(62)),
    ] {
        assert!(sessions.load(key).unwrap().is_none());
        assert!(!sessions.update(key, "{}", None, HOUR).unwrap());
        assert!(!sessions.update_ttl(key, HOUR).unwrap());
        assert!(!sessions.delete(key).unwrap());
    }
    // A well-formed key that names nothing.
    let unknown = "A".repeat(SESSION_KEY_LENGTH);
    assert!(sessions.load(&unknown).unwrap().is_none());
}

fn data_is_kept_exactly(db: &TestDb) {
    let (_store, sessions) = sessions(db);
    let big = format!(
        "{{\"big\":\"{}\",\"uni\":\"h\u{e9}llo \u{1F600} \\u0000\"}}",
        "x".repeat(200_000)
    );
    let key = sessions.create(&big, None, HOUR).unwrap();
    assert_eq!(
        sessions.load(key.as_str()).unwrap().unwrap().session_data,
        big
    );
    // A raw NUL is refused the same way on every backend.
    for result in [
        sessions.create("{\u{0}}", None, HOUR).map(|_| ()),
        sessions
            .update(key.as_str(), "{\u{0}}", None, HOUR)
            .map(|_| ()),
    ] {
        match result {
            Err(StoreError::InvalidField(m)) => {
                assert_eq!(m, "session_data: Null characters are not allowed.")
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A TTL beyond what a backend's timestamps hold is clamped, not an error.
fn huge_ttl_is_clamped(db: &TestDb) {
    let (_store, sessions) = sessions(db);
    let key = sessions.create("{}", None, Duration::MAX).unwrap();
    let record = sessions.load(key.as_str()).unwrap().unwrap();
    // MySQL/MariaDB get timestamps as `TIMESTAMP` parameters, which end in 2038.
    let latest = match db.backend {
        auth_core::db::Backend::Mysql => NaiveDate::from_ymd_opt(2038, 1, 19)
            .unwrap()
            .and_hms_opt(3, 14, 7)
            .unwrap(),
        _ => NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap(),
    };
    assert_eq!(record.expire_date, latest);
    assert!(sessions.update_ttl(key.as_str(), Duration::MAX).unwrap());
}

fn concurrent_creates_get_distinct_keys(db: &TestDb) {
    let (store, sessions) = sessions(db);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let sessions = sessions.clone();
            thread::spawn(move || {
                (0..10)
                    .map(|_| sessions.create("{}", Some(i), HOUR).unwrap().into_string())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let keys: HashSet<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(keys.len(), 80);
    assert_eq!(rows(&store).len(), 80);
}

fn debug_shows_no_key_or_state(db: &TestDb) {
    let (_store, sessions) = sessions(db);
    let key = sessions
        .create(r#"{"_auth_user_hash":"pw-derived"}"#, Some(3), HOUR)
        .unwrap();
    let record = sessions.load(key.as_str()).unwrap().unwrap();
    for shown in [
        format!("{key:?}"),
        format!("{record:?}"),
        format!("{sessions:?}"),
    ] {
        assert!(!shown.contains(key.as_str()), "{shown}");
        assert!(!shown.contains("pw-derived"), "{shown}");
    }
}

per_backend!(
    round_trip,
    keys_are_stored_hashed,
    expired_sessions_are_absent,
    ending_a_users_sessions,
    malformed_keys_are_absent,
    data_is_kept_exactly,
    huge_ttl_is_clamped,
    concurrent_creates_get_distinct_keys,
    debug_shows_no_key_or_state,
);

#[test]
fn unreachable_database_is_unavailable() {
    let Some(db) = TestDb::new(auth_core::db::Backend::Sqlite) else {
        return;
    };
    let store = db.single_connection();
    let sessions = SessionDb::from(&store);
    let held = store.connection().unwrap();
    let key = "a".repeat(SESSION_KEY_LENGTH);
    assert!(sessions.load(&key).unwrap_err().is_unavailable());
    assert!(sessions
        .create("{}", None, HOUR)
        .unwrap_err()
        .is_unavailable());
    drop(held);
    assert!(sessions.load(&key).unwrap().is_none());
}

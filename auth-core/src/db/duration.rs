//! Django's `DurationField` as each backend stores it: PostgreSQL's
//! `interval`, and a `bigint` of microseconds on SQLite and MySQL/MariaDB
//! (`django/db/backends/*/base.py` `data_types`; Django's
//! `duration_microseconds`).
//!
//! A family whose package has a duration column (Durin's `Client.token_ttl`)
//! reads and writes it through these SQL fragments, so that one query works
//! on every backend and a value written here is the `timedelta` Django reads
//! there, and the reverse:
//!
//! ```
//! use auth_core::db::duration::{micros_of, stored_from_micros, to_micros};
//! use auth_core::db::Backend;
//! use chrono::TimeDelta;
//!
//! assert_eq!(to_micros(TimeDelta::hours(2)), 7_200_000_000);
//! assert_eq!(micros_of(Backend::Sqlite, "durin_client.token_ttl"), "durin_client.token_ttl");
//! assert_eq!(
//!     micros_of(Backend::Postgres, "durin_client.token_ttl"),
//!     "CAST(ROUND(EXTRACT(EPOCH FROM durin_client.token_ttl) * 1000000) AS bigint)"
//! );
//! assert_eq!(stored_from_micros(Backend::Mysql, "?"), "?");
//! ```

use chrono::TimeDelta;

use super::Backend;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// SQL giving the duration column (or expression) `column` as a `bigint` of
/// microseconds, on `backend`. On PostgreSQL the `interval` is converted
/// (days count 24 hours, as Python's `timedelta` has them; Django never
/// writes months).
pub fn micros_of(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => {
            format!("CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000000) AS bigint)")
        }
        Backend::Sqlite | Backend::Mysql => column.to_owned(),
    }
}

/// SQL turning `micros` (a `bigint` expression or bind placeholder, e.g.
/// `$2`) into the value Django stores for that duration on `backend`. On
/// PostgreSQL it is the `interval` psycopg writes for a `timedelta`: whole
/// days, then seconds (`1 day`, `02:00:00`), so Django reads back the same
/// `timedelta`. The placeholder appears more than once there, which only
/// PostgreSQL's numbered placeholders allow.
pub fn stored_from_micros(backend: Backend, micros: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "make_interval(days => CAST(DIV({micros}, {MICROS_PER_DAY}) AS integer), \
             secs => CAST(MOD({micros}, {MICROS_PER_DAY}) AS double precision) / 1000000)"
        ),
        Backend::Sqlite | Backend::Mysql => micros.to_owned(),
    }
}

/// A duration as Django's `duration_microseconds` counts it (saturating at
/// the `bigint` range, which Python's `timedelta` never reaches).
pub fn to_micros(duration: TimeDelta) -> i64 {
    duration.num_microseconds().unwrap_or(if duration < TimeDelta::zero() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The duration of `micros` microseconds.
pub fn from_micros(micros: i64) -> TimeDelta {
    TimeDelta::microseconds(micros)
}

/// The `n`-th (from 1) bind placeholder of a raw query on `backend`: `$n` on
/// PostgreSQL, `?` elsewhere.
pub fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Postgres => format!("${n}"),
        Backend::Sqlite | Backend::Mysql => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        for micros in [0, 1, 999_999, MICROS_PER_DAY, 7_200_000_000, -5, i64::MAX] {
            assert_eq!(to_micros(from_micros(micros)), micros);
        }
        assert_eq!(to_micros(TimeDelta::days(1)), MICROS_PER_DAY);
    }

    #[test]
    fn placeholders() {
        assert_eq!(placeholder(Backend::Postgres, 2), "$2");
        assert_eq!(placeholder(Backend::Sqlite, 2), "?");
        assert!(stored_from_micros(Backend::Postgres, "$2").contains("DIV($2, 86400000000)"));
    }
}

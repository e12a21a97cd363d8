//! Reading `Timestamp` columns on the hot paths without chrono's format parser.
//!
//! SQLite has no date type: Django and Diesel store `datetime` columns as text,
//! `YYYY-MM-DD HH:MM:SS[.ffffff]`. Diesel reads that text by trying up to 18
//! chrono format strings in turn, and chrono re-reads the format string on every
//! call: about 2,500 instructions per column, more than the SQLite lookup of the
//! token row itself spends on its index. The models' timestamp fields are read
//! through [`TimestampColumn`] and [`NullableTimestampColumn`] instead: on SQLite, the
//! exact layout Django and Diesel write is parsed directly, and any other text
//! (other separators, a time zone suffix, a leap second, Julian day numbers) goes
//! to Diesel's own parser, so what is accepted and what it means are unchanged.
//! The other backends send binary timestamps and use Diesel's readers as is.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql};
use diesel::sql_types;

use super::MultiBackend;

/// A non-null `Timestamp` column, read as a [`NaiveDateTime`] (the models'
/// `deserialize_as` type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct TimestampColumn(pub NaiveDateTime);

/// A `Nullable<Timestamp>` column, read as an `Option<NaiveDateTime>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct NullableTimestampColumn(pub Option<NaiveDateTime>);

impl From<TimestampColumn> for NaiveDateTime {
    fn from(value: TimestampColumn) -> Self {
        value.0
    }
}

impl From<NullableTimestampColumn> for Option<NaiveDateTime> {
    fn from(value: NullableTimestampColumn) -> Self {
        value.0
    }
}

/// `YYYY-MM-DD HH:MM:SS`, optionally followed by `.` and 1 to 9 digits: the
/// text Django's SQLite backend and Diesel write. `None` for anything else,
/// including valid timestamps in other layouts and leap seconds (chrono's
/// `%S` reads `60`), which the caller hands to Diesel's parser.
pub(crate) fn parse_sqlite_text(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

/// The value of 1 to 9 ASCII digits.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(feature = "sqlite")]
impl FromSql<sql_types::Timestamp, diesel::sqlite::Sqlite> for TimestampColumn {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(diesel::sqlite::SqliteType::Text) {
            if let Some(parsed) = parse_sqlite_text(value.read_text()) {
                return Ok(TimestampColumn(parsed));
            }
        }
        <NaiveDateTime as FromSql<sql_types::Timestamp, diesel::sqlite::Sqlite>>::from_sql(value)
            .map(TimestampColumn)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<sql_types::Timestamp, diesel::pg::Pg> for TimestampColumn {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<sql_types::Timestamp, diesel::pg::Pg>>::from_sql(value)
            .map(TimestampColumn)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<sql_types::Timestamp, diesel::mysql::Mysql> for TimestampColumn {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<sql_types::Timestamp, diesel::mysql::Mysql>>::from_sql(value)
            .map(TimestampColumn)
    }
}

impl FromSql<sql_types::Timestamp, MultiBackend> for TimestampColumn {
    fn from_sql(
        value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, sql_types::Timestamp>()
    }
}

/// `FromSql<Nullable<Timestamp>>` for every backend: SQL `NULL` is `None`,
/// anything else is read as a [`TimestampColumn`].
macro_rules! nullable_from_sql {
    ($($(#[$cfg:meta])* $backend:ty;)+) => {$(
        $(#[$cfg])*
        impl FromSql<sql_types::Nullable<sql_types::Timestamp>, $backend> for NullableTimestampColumn {
            fn from_sql(
                value: <$backend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                <TimestampColumn as FromSql<sql_types::Timestamp, $backend>>::from_sql(value)
                    .map(|t| NullableTimestampColumn(Some(t.0)))
            }

            fn from_nullable_sql(
                value: Option<<$backend as diesel::backend::Backend>::RawValue<'_>>,
            ) -> deserialize::Result<Self> {
                match value {
                    Some(value) => <Self as FromSql<
                        sql_types::Nullable<sql_types::Timestamp>,
                        $backend,
                    >>::from_sql(value),
                    None => Ok(NullableTimestampColumn(None)),
                }
            }
        }
    )+};
}

nullable_from_sql! {
    #[cfg(feature = "sqlite")] diesel::sqlite::Sqlite;
    #[cfg(feature = "postgres")] diesel::pg::Pg;
    #[cfg(feature = "mysql")] diesel::mysql::Mysql;
    MultiBackend;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Diesel's SQLite reader makes of `text` with its first format,
    /// the layout the fast path reads.
    fn chrono(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
    }

    #[test]
    fn reads_what_django_and_diesel_write() {
        for text in [
            "2026-11-26 07:02:54",
            "2026-11-26 07:02:54.5",
            "2026-11-26 07:02:54.123456",
            "2026-11-26 07:02:54.123456789",
            "2024-02-29 23:59:59.999999",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59.000001",
        ] {
            assert_eq!(parse_sqlite_text(text), chrono(text), "{text}");
            assert!(parse_sqlite_text(text).is_some(), "{text}");
        }
        let written = NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_micro_opt(7, 2, 54, 120_000)
            .unwrap();
        let text = written.format("%F %T%.f").to_string();
        assert_eq!(parse_sqlite_text(&text), Some(written));
    }

    #[test]
    fn leaves_everything_else_to_diesel() {
        for text in [
            "",
            "2026-11-26",
            "2026-11-26T07:02:54",
            "2026-11-26 07:02:54Z",
            "2026-11-26 07:02:54+00:00",
            "2026-11-26 07:02:54.",
            "2026-11-26 07:02:54.1234567890",
            "2026-11-26 07:02:60",
            "2026-02-30 07:02:54",
            "2026-13-01 07:02:54",
            "2026-11-26 24:00:00",
            "2026-11-26 07:60:00",
            "+2026-11-26 07:02:54",
            "2026-1-26 07:02:54",
            "2026-11-26 07:02:5x",
            "2460000.5",
            "2026-11-26 07:02:54.12a",
        ] {
            assert_eq!(parse_sqlite_text(text), None, "{text:?}");
        }
    }

    /// Through SQLite itself: every stored form Diesel reads is read the same
    /// way (the fast path or the fallback), NULL is `None`, and text Diesel
    /// rejects is still an error.
    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_values_read_as_diesel_reads_them() {
        use diesel::dsl::sql;
        use diesel::prelude::*;
        use diesel::sql_types::{Nullable, Timestamp};

        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        for stored in [
            "'2026-11-26 07:02:54.123456'",
            "'2026-11-26 07:02:54'",
            "'2026-11-26T07:02:54'",
            "'2026-11-26 07:02:54+00:00'",
            "'2026-11-26 07:02:54.5Z'",
            "'2026-11-26 07:02'",
            "2460000.5",
            "'2460000.25'",
        ] {
            let ours: TimestampColumn = diesel::select(sql::<Timestamp>(stored))
                .get_result(&mut conn)
                .unwrap_or_else(|e| panic!("{stored}: {e}"));
            let diesels: NaiveDateTime = diesel::select(sql::<Timestamp>(stored))
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(ours.0, diesels, "{stored}");
            let nullable: NullableTimestampColumn =
                diesel::select(sql::<Nullable<Timestamp>>(stored))
                    .get_result(&mut conn)
                    .unwrap();
            assert_eq!(nullable.0, Some(diesels), "{stored}");
        }
        let null: NullableTimestampColumn = diesel::select(sql::<Nullable<Timestamp>>("NULL"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(null.0, None);
        for bad in ["'2026-02-30 07:02:54'", "'yesterday'", "NULL"] {
            let read: QueryResult<TimestampColumn> =
                diesel::select(sql::<Timestamp>(bad)).get_result(&mut conn);
            assert!(read.is_err(), "{bad}: {read:?}");
        }
    }

    proptest::proptest! {
        /// Whenever the fast path answers, chrono's `%F %T%.f` gives the same instant.
        #[test]
        fn agrees_with_chrono(
            y in 0u32..10_000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..26, mi in 0u32..62, s in 0u32..62,
            frac in proptest::option::of("[0-9]{0,10}"),
            sep in proptest::sample::select(vec![' ', 'T', '_']),
        ) {
            let mut text = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}");
            if let Some(frac) = &frac {
                text.push('.');
                text.push_str(frac);
            }
            if let Some(fast) = parse_sqlite_text(&text) {
                proptest::prop_assert_eq!(Some(fast), chrono(&text), "{}", text);
            } else {
                // Only layouts outside the fast path, and invalid dates, fall back.
                let plain = sep == ' ' && s < 60 && frac.as_ref().is_none_or(|f| (1..=9).contains(&f.len()));
                proptest::prop_assert!(!plain || chrono(&text).is_none(), "{}", text);
            }
        }
    }
}

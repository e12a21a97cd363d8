//! DRF's response rendering, with no web framework: `JSONRenderer`'s bytes
//! and `DateTimeField`'s text, so that every view answers what DRF 3.18
//! would answer, character for character.
//!
//! - [`to_json`] is `JSONRenderer().render(data)` with DRF's defaults
//!   (`COMPACT_JSON`, `UNICODE_JSON`, `STRICT_JSON`): `json.dumps` with the
//!   separators `(',', ':')` and `ensure_ascii=False` (non-ASCII text as is,
//!   control characters escaped as `\u001f`), then U+2028 and U+2029
//!   escaped; floats as Python's `repr` writes them (`1e+16`, `0.0001`);
//!   `None` (a top-level `null`) renders as no body at all.
//! - [`detail_body`] is the body of DRF's exception handler for an error's
//!   detail: `{"detail":"…"}`, or the list or field map itself, in order.
//! - [`datetime_to_representation`] is `DateTimeField().to_representation`
//!   with `DATETIME_FORMAT = 'iso-8601'`, in the site's [`TimeZone`] when
//!   `USE_TZ` is on.
//!
//! Keys come out in the order the value serializes them, as a Python dict
//! keeps its insertion order: a struct's field order, or a
//! [`JsonObject`](crate::signing::JsonObject)'s. A `serde_json::Value`'s
//! object sorts its keys: the workspace does not turn on serde_json's
//! `preserve_order`, which would change the order of every `serde_json::Map`
//! of every crate in the build. Write a response as a struct.
//!
//! ```
//! use auth_core::render::{datetime_to_representation, to_json, TimeZone};
//! use chrono::{TimeZone as _, Utc};
//!
//! #[derive(serde::Serialize)]
//! struct Login<'a> {
//!     expiry: String,
//!     token: &'a str,
//! }
//!
//! let expiry = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
//! let body = Login {
//!     expiry: datetime_to_representation(&expiry, Some(TimeZone::UTC)).unwrap(),
//!     token: "é",
//! };
//! assert_eq!(to_json(&body).unwrap(), r#"{"expiry":"2026-01-02T03:04:05Z","token":"é"}"#);
//! let paris = TimeZone::from_name("Europe/Paris").unwrap();
//! assert_eq!(
//!     datetime_to_representation(&expiry, Some(paris)).unwrap(),
//!     "2026-01-02T04:04:05+01:00"
//! );
//! ```
//!
//! Known differences from DRF, for values DRF would not produce: a float
//! that is not finite is written `null` (serde_json's rule; DRF's
//! `STRICT_JSON` refuses it with a 500), and no `indent` is taken from the
//! `Accept` header's media type parameters (DRF's browsable-API pretty
//! printing).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, Timelike, Utc};
use serde::Serialize;

use crate::compat::json;
use crate::error::ErrorDetail;

/// Why a value could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// `serde_json` could not write the value (a map whose keys are not
    /// strings or numbers, a failing `Serialize`).
    #[error("the value cannot be rendered as JSON: {0}")]
    Unserializable(String),
    /// DRF's `overflow` error of `DateTimeField`: the datetime, in the time
    /// zone asked for, is outside Python's years 1 to 9999.
    #[error("Datetime value out of range.")]
    DateTimeOutOfRange,
}

/// `JSONRenderer().render(data)` with DRF's default settings (see the
/// [module documentation](self)), as text.
///
/// ```
/// use auth_core::render::to_json;
///
/// assert_eq!(to_json(&("é\u{2028}", 1e16, [0.5])).unwrap(), r#"["é\u2028",1e+16,[0.5]]"#);
/// assert_eq!(to_json(&None::<u8>).unwrap(), "");
/// ```
///
/// # Errors
///
/// [`RenderError::Unserializable`] when `serde_json` cannot write the value.
pub fn to_json<T: Serialize + ?Sized>(data: &T) -> Result<String, RenderError> {
    let out = json::dumps(data, |c| matches!(c, '\u{2028}' | '\u{2029}'))
        .map_err(RenderError::Unserializable)?;
    // `if data is None: return b''`: only a top-level `None` writes `null`
    // and nothing else.
    if out == "null" {
        return Ok(String::new());
    }
    Ok(out)
}

/// Appends `text` as a JSON string the way DRF's `JSONRenderer` writes it:
/// Python's `json.dumps` with `ensure_ascii=False` (non-ASCII as is, control
/// characters escaped), then U+2028 and U+2029 escaped. The same as
/// [`to_json`] of a string, without serde.
pub fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The rendered body of DRF's exception handler for `detail`:
/// `{"detail":"…"}` for a message, else the list or the field map itself,
/// fields in their order.
///
/// ```
/// use auth_core::error::ErrorDetail;
/// use auth_core::render::detail_body;
///
/// assert_eq!(detail_body(&ErrorDetail::Text("Not found.".into())), r#"{"detail":"Not found."}"#);
/// ```
pub fn detail_body(detail: &ErrorDetail) -> String {
    let mut out = String::with_capacity(64);
    match detail {
        ErrorDetail::Text(text) => {
            out.push_str("{\"detail\":");
            push_json_str(&mut out, text);
            out.push('}');
        }
        other => push_detail(&mut out, other),
    }
    out
}

fn push_detail(out: &mut String, detail: &ErrorDetail) {
    match detail {
        ErrorDetail::Text(text) => push_json_str(out, text),
        ErrorDetail::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_detail(out, item);
            }
            out.push(']');
        }
        ErrorDetail::Map(fields) => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(out, key);
                out.push(':');
                push_detail(out, item);
            }
            out.push('}');
        }
    }
}

// ----------------------------------------------------------------------------
// Datetimes.

/// Django's `TIME_ZONE`: an IANA time zone (`"UTC"`, `"Europe/Paris"`), as
/// Python's `zoneinfo` names them. The tz database is the one compiled into
/// this crate (`chrono-tz`, tz release 2025b), so an offset follows the rules
/// of that release.
///
/// One difference from Python: chrono-tz tabulates each zone's offsets up to
/// 2099, and keeps its standard time after that, where `zoneinfo` goes on
/// applying the zone's daylight saving rule. An instant after 2099 in a zone
/// with daylight saving time may be rendered with the standard offset (the
/// same instant, another wall-clock time).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// `"UTC"`, Django's default for a new project.
    pub const UTC: TimeZone = TimeZone(chrono_tz::Tz::UTC);

    /// The zone named `name`, exactly as `zoneinfo.ZoneInfo(name)` knows it
    /// (case matters); `None` for a name the tz database does not have.
    pub fn from_name(name: &str) -> Option<TimeZone> {
        chrono_tz::Tz::from_str(name).ok().map(TimeZone)
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The wall-clock time in this zone at the instant `value`: what
    /// Python's `datetime.now()` returns in a Django process, whose `TZ`
    /// environment variable Django sets to `TIME_ZONE`.
    pub fn local(&self, value: &DateTime<Utc>) -> NaiveDateTime {
        value.with_timezone(&self.0).naive_local()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::UTC
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({:?})", self.name())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// DRF's `DateTimeField().to_representation(value)` with
/// `DATETIME_FORMAT = 'iso-8601'` (the default): `enforce_timezone`, then
/// `value.isoformat()` with a trailing `+00:00` written `Z`.
///
/// `zone` is DRF's `default_timezone()`: the site's `TIME_ZONE` when
/// `USE_TZ` is on, `None` when it is off (the value is then made naive in
/// UTC and written without an offset). Seconds always appear, microseconds
/// only when not zero (Python's `isoformat`); finer digits are dropped, as a
/// Python `datetime` cannot hold them, and a leap second is 59.999999. An
/// offset of whole minutes is `+HH:MM`, of seconds (local mean time before
/// 1900) `+HH:MM:SS`.
///
/// A value read from this crate's tables (naive, in UTC, as Django stores
/// it with `USE_TZ = True`) is `value.and_utc()`.
///
/// # Errors
///
/// [`RenderError::DateTimeOutOfRange`] (DRF's `Datetime value out of
/// range.`) when the value, or its local time in `zone`, is outside Python's
/// years 1 to 9999.
pub fn datetime_to_representation(
    value: &DateTime<Utc>,
    zone: Option<TimeZone>,
) -> Result<String, RenderError> {
    if !(1..=9999).contains(&value.year()) {
        return Err(RenderError::DateTimeOutOfRange);
    }
    let (local, offset) = match zone {
        Some(TimeZone(tz)) => {
            let local = value.with_timezone(&tz);
            (
                local.naive_local(),
                Some(local.offset().fix().local_minus_utc()),
            )
        }
        None => (value.naive_utc(), None),
    };
    if !(1..=9999).contains(&local.year()) {
        return Err(RenderError::DateTimeOutOfRange);
    }
    let mut out = String::with_capacity(32);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    let micros = (local.nanosecond() / 1000).min(999_999);
    if micros != 0 {
        let _ = write!(out, ".{micros:06}");
    }
    match offset {
        None => {}
        Some(0) => out.push('Z'),
        Some(seconds) => {
            let sign = if seconds < 0 { '-' } else { '+' };
            let seconds = seconds.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", seconds / 3600, seconds / 60 % 60);
            if seconds % 60 != 0 {
                let _ = write!(out, ":{:02}", seconds % 60);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn strings_are_drfs() {
        let text = "é \"q\" \\ \n\t\u{1} \u{7f} \u{2028}\u{2029} 😀";
        let mut out = String::new();
        push_json_str(&mut out, text);
        assert_eq!(
            out,
            "\"é \\\"q\\\" \\\\ \\n\\t\\u0001 \u{7f} \\u2028\\u2029 😀\""
        );
        assert_eq!(to_json(text).unwrap(), out);
        let detail = ErrorDetail::Map(vec![
            (
                Cow::Borrowed("z"),
                ErrorDetail::List(vec!["a".into(), "b".into()]),
            ),
            (Cow::Borrowed("a"), "c".into()),
        ]);
        assert_eq!(detail_body(&detail), r#"{"z":["a","b"],"a":"c"}"#);
    }

    #[test]
    fn values() {
        #[derive(Serialize)]
        struct Out {
            b: Option<u8>,
            a: f64,
        }
        assert_eq!(
            to_json(&Out { b: None, a: 1e-5 }).unwrap(),
            r#"{"b":null,"a":1e-05}"#
        );
        assert_eq!(to_json(&f64::NAN).unwrap(), "");
        assert_eq!(to_json(&[f64::INFINITY]).unwrap(), "[null]");
        let keys = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(matches!(
            to_json(&keys),
            Err(RenderError::Unserializable(_))
        ));
    }

    #[test]
    fn datetimes() {
        let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        let zone = |name| TimeZone::from_name(name);
        let value = at(2024, 7, 1, 12, 0, 0);
        assert_eq!(
            datetime_to_representation(&value, Some(TimeZone::UTC)).unwrap(),
            "2024-07-01T12:00:00Z"
        );
        assert_eq!(
            datetime_to_representation(&value, None).unwrap(),
            "2024-07-01T12:00:00"
        );
        assert_eq!(
            datetime_to_representation(&value, zone("America/St_Johns")).unwrap(),
            "2024-07-01T09:30:00-02:30"
        );
        let fine = value + chrono::Duration::nanoseconds(1_500);
        assert_eq!(
            datetime_to_representation(&fine, zone("UTC")).unwrap(),
            "2024-07-01T12:00:00.000001Z"
        );
        assert_eq!(
            datetime_to_representation(&at(1900, 1, 1, 0, 0, 0), zone("Africa/Monrovia")).unwrap(),
            "1899-12-31T23:16:52-00:43:08"
        );
        assert_eq!(
            datetime_to_representation(&at(9999, 12, 31, 23, 0, 0), zone("Europe/Paris")),
            Err(RenderError::DateTimeOutOfRange)
        );
        assert_eq!(
            datetime_to_representation(&at(10000, 1, 1, 0, 0, 0), None),
            Err(RenderError::DateTimeOutOfRange)
        );
        assert_eq!(zone("europe/paris"), None);
        assert_eq!(TimeZone::default().to_string(), "UTC");
        assert_eq!(format!("{:?}", TimeZone::UTC), "TimeZone(\"UTC\")");
    }
}

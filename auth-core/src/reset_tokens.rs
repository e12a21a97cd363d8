//! Django's `PasswordResetTokenGenerator` (`django.contrib.auth.tokens`) and
//! the user-id encoding of its links (`django.utils.http`).
//!
//! A token is `<seconds since 2001-01-01, base 36>-<every other hex digit of
//! salted_hmac(key_salt, pk + password hash + last login + timestamp +
//! email)>`. It is good for [`PASSWORD_RESET_TIMEOUT`] seconds and becomes
//! invalid as soon as the password, the last login or the email changes, so
//! a reset (or activation) link works once, on both sides of a site that
//! shares its users with Django.
//!
//! The same tokens as Django, byte for byte, for the same `SECRET_KEY`
//! (and `SECRET_KEY_FALLBACKS`), `TIME_ZONE` and clock: Django counts the
//! timestamp on the process's local wall clock (`datetime.now()`, with
//! `TZ` set to `TIME_ZONE`), so [`PasswordResetTokenGenerator::with_time_zone`]
//! must name the Django site's zone for a token to carry the same
//! timestamp. One difference: a token whose timestamp is negative (`-1-...`)
//! makes Django raise (a 500 in a view); here it is simply invalid.
//!
//! ```
//! use auth_core::reset_tokens::{PasswordResetTokenGenerator, ResetSubject};
//! use auth_core::signing::SecretKey;
//!
//! let generator = PasswordResetTokenGenerator::new(SecretKey::new("s3cret").unwrap());
//! let user = ResetSubject { pk: "7", password: "pbkdf2_sha256$...", last_login: None, email: "ann@example.com" };
//! let token = generator.make_token(&user);
//! assert!(generator.check_token(&user, &token));
//! let after_reset = ResetSubject { password: "pbkdf2_sha256$new", ..user };
//! assert!(!generator.check_token(&after_reset, &token));
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::compat::a2b_base64;
use crate::crypto;
use crate::render::TimeZone;
use crate::signing::{Algorithm, SecretKey};

/// Django's default `PASSWORD_RESET_TIMEOUT`: three days, in seconds.
pub const PASSWORD_RESET_TIMEOUT: u64 = 60 * 60 * 24 * 3;

/// `PasswordResetTokenGenerator.key_salt`.
pub const KEY_SALT: &str = "django.contrib.auth.tokens.PasswordResetTokenGenerator";

/// The parts of a user that a reset token covers.
#[derive(Clone, Copy)]
pub struct ResetSubject<'a> {
    /// The primary key as Python's `str()` writes it (`"7"`).
    pub pk: &'a str,
    /// The stored password hash (`user.password`).
    pub password: &'a str,
    /// `last_login` as stored: UTC with `USE_TZ = True`, else local time.
    pub last_login: Option<NaiveDateTime>,
    /// The email (`""` when none).
    pub email: &'a str,
}

impl fmt::Debug for ResetSubject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetSubject")
            .field("pk", &self.pk)
            .field("password", &"<hidden>")
            .field("last_login", &self.last_login)
            .field("email", &self.email)
            .finish()
    }
}

/// Django's `PasswordResetTokenGenerator` (algorithm `sha256`).
#[derive(Clone)]
pub struct PasswordResetTokenGenerator {
    key_salt: String,
    secret: SecretKey,
    fallbacks: Vec<SecretKey>,
    timeout: u64,
    zone: TimeZone,
}

impl fmt::Debug for PasswordResetTokenGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordResetTokenGenerator")
            .field("key_salt", &self.key_salt)
            .field("secret", &"<hidden>")
            .field("fallbacks", &self.fallbacks.len())
            .field("timeout", &self.timeout)
            .field("zone", &self.zone)
            .finish()
    }
}

impl PasswordResetTokenGenerator {
    /// Django's `default_token_generator` for `SECRET_KEY = secret`, with
    /// no fallbacks, the default timeout and `TIME_ZONE = "UTC"`.
    pub fn new(secret: SecretKey) -> Self {
        PasswordResetTokenGenerator {
            key_salt: KEY_SALT.to_owned(),
            secret,
            fallbacks: Vec::new(),
            timeout: PASSWORD_RESET_TIMEOUT,
            zone: TimeZone::UTC,
        }
    }

    /// `SECRET_KEY_FALLBACKS`: tokens made with these keys are still
    /// accepted; new ones use the main key.
    pub fn with_fallbacks(mut self, keys: impl IntoIterator<Item = SecretKey>) -> Self {
        self.fallbacks = keys.into_iter().collect();
        self
    }

    /// `PASSWORD_RESET_TIMEOUT`, in seconds.
    pub fn with_timeout(mut self, seconds: u64) -> Self {
        self.timeout = seconds;
        self
    }

    /// Django's `TIME_ZONE`, the clock the timestamps are counted on.
    pub fn with_time_zone(mut self, zone: TimeZone) -> Self {
        self.zone = zone;
        self
    }

    /// A subclass's `key_salt` (Djoser and dj-rest-auth use the default;
    /// a project may keep activation and reset tokens apart with its own).
    pub fn with_key_salt(mut self, key_salt: impl Into<String>) -> Self {
        self.key_salt = key_salt.into();
        self
    }

    /// The configured `PASSWORD_RESET_TIMEOUT`.
    pub fn timeout(&self) -> u64 {
        self.timeout
    }

    /// `make_token(user)` now.
    pub fn make_token(&self, user: &ResetSubject<'_>) -> String {
        self.make_token_at(user, Utc::now())
    }

    /// `make_token(user)` at the instant `now`.
    pub fn make_token_at(&self, user: &ResetSubject<'_>, now: DateTime<Utc>) -> String {
        // A clock before 2001 cannot happen on a server; Django would write a
        // negative timestamp and then fail. Clamp rather than panic.
        let timestamp = u64::try_from(self.num_seconds(now)).unwrap_or(0);
        make_token_with_timestamp(&self.key_salt, user, timestamp, &self.secret)
    }

    /// `check_token(user, token)` now.
    pub fn check_token(&self, user: &ResetSubject<'_>, token: &str) -> bool {
        self.check_token_at(user, token, Utc::now())
    }

    /// `check_token(user, token)` at the instant `now`: the token was made
    /// for this user in this state with one of the keys, and is not older
    /// than the timeout (a timestamp in the future is accepted, as Django
    /// accepts it).
    pub fn check_token_at(&self, user: &ResetSubject<'_>, token: &str, now: DateTime<Utc>) -> bool {
        let Some(timestamp) = parse_timestamp(token) else {
            return false;
        };
        let made_here = std::iter::once(&self.secret)
            .chain(&self.fallbacks)
            .any(|secret| {
                let expected = make_token_with_timestamp(&self.key_salt, user, timestamp, secret);
                crypto::constant_time_eq(expected.as_bytes(), token.as_bytes())
            });
        made_here && self.num_seconds(now) - i128::from(timestamp) <= i128::from(self.timeout)
    }

    /// `_num_seconds(_now())`: whole seconds from 2001-01-01 00:00 to the
    /// local wall-clock time of `now` (truncated toward zero, as `int()`).
    fn num_seconds(&self, now: DateTime<Utc>) -> i128 {
        let epoch = NaiveDate::from_ymd_opt(2001, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        let delta = self.zone.local(&now) - epoch;
        i128::from(delta.num_seconds())
    }
}

/// The timestamp of a token `<ts>-<hash>`, if `<ts>` can be one Django
/// made: the token has exactly one `-`, and `<ts>` is canonical base 36 of
/// at most 13 digits. Django parses more (`int(s, 36)` takes signs, blanks
/// and upper case), but then compares the whole token with one it makes
/// from the number, which is always canonical, so only canonical forms can
/// ever match.
fn parse_timestamp(token: &str) -> Option<u64> {
    let (ts, hash) = token.split_once('-')?;
    if hash.contains('-') {
        return None;
    }
    let value = base36_to_int(ts)?;
    (int_to_base36(value) == ts).then_some(value)
}

fn make_token_with_timestamp(
    key_salt: &str,
    user: &ResetSubject<'_>,
    timestamp: u64,
    secret: &SecretKey,
) -> String {
    // Django: `user.last_login.replace(microsecond=0, tzinfo=None)`, then
    // `str()` of that naive datetime.
    let login = user
        .last_login
        .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    let value = format!(
        "{}{}{}{}{}",
        user.pk, user.password, login, timestamp, user.email
    );
    let digest = crypto::hex(&secret.salted_hmac(key_salt, value.as_bytes(), Algorithm::Sha256));
    let hash: String = digest.chars().step_by(2).collect();
    format!("{}-{hash}", int_to_base36(timestamp))
}

/// `django.utils.http.int_to_base36`.
pub fn int_to_base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
}

/// `django.utils.http.base36_to_int` for canonical input: lower-case ASCII
/// base-36 digits, at most 13 of them (Django's limit), fitting a `u64`.
pub fn base36_to_int(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 13 {
        return None;
    }
    s.bytes().try_fold(0u64, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            _ => return None,
        };
        acc.checked_mul(36)?.checked_add(u64::from(digit))
    })
}

/// `django.utils.http.urlsafe_base64_encode`: URL-safe base64 without the
/// trailing `=` (how reset and activation links carry the user's id:
/// `urlsafe_base64_encode(force_bytes(user.pk))`, `"7"` → `"Nw"`).
pub fn urlsafe_base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// `django.utils.http.urlsafe_base64_decode`, exactly as lenient as
/// Django: padding is appended the way Django appends it, and
/// `base64.urlsafe_b64decode` skips characters outside the alphabet.
/// `None` where Django raises `ValueError`.
pub fn urlsafe_base64_decode(s: &str) -> Option<Vec<u8>> {
    // `s.ljust(len(s) + len(s) % 4, b"=")`
    let pad = s.len() % 4;
    a2b_base64(s.bytes().chain(std::iter::repeat_n(b'=', pad)), true).ok()
}

/// The user id carried by a reset or activation link (`uid`): Django's
/// `force_str(urlsafe_base64_decode(uid))`. `None` when it is not base64
/// or not UTF-8 (Djoser and Django's views answer "invalid" then).
pub fn decode_uid(uid: &str) -> Option<String> {
    String::from_utf8(urlsafe_base64_decode(uid)?).ok()
}

/// `urlsafe_base64_encode(force_bytes(pk))`.
pub fn encode_uid(pk: &str) -> String {
    urlsafe_base64_encode(pk.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(password: &str) -> ResetSubject<'_> {
        ResetSubject {
            pk: "1",
            password,
            last_login: None,
            email: "a@example.com",
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn base36_round_trips_and_rejects_what_django_cannot_make() {
        for n in [0, 1, 35, 36, 1_295, 1_296, 822_000_000, u64::MAX] {
            assert_eq!(base36_to_int(&int_to_base36(n)), Some(n));
        }
        assert_eq!(int_to_base36(0), "0");
        assert_eq!(int_to_base36(35), "z");
        assert_eq!(int_to_base36(36), "10");
        for bad in [
            "",
            "A",
            "-1",
            "+1",
            " 1",
            "1_0",
            "zzzzzzzzzzzzzz",
            "3w5e11264sgsg",
        ] {
            assert_eq!(base36_to_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_token_expires_after_the_timeout_and_not_before() {
        let generator =
            PasswordResetTokenGenerator::new(SecretKey::new("k").unwrap()).with_timeout(60);
        let made = at("2026-01-01T00:00:00Z");
        let token = generator.make_token_at(&user("h"), made);
        assert!(generator.check_token_at(&user("h"), &token, at("2026-01-01T00:01:00Z")));
        assert!(!generator.check_token_at(&user("h"), &token, at("2026-01-01T00:01:01Z")));
        // a timestamp in the future is fine, as in Django
        assert!(generator.check_token_at(&user("h"), &token, at("2025-12-31T00:00:00Z")));
    }

    #[test]
    fn the_token_binds_every_part_of_the_user_and_the_key() {
        let key = SecretKey::new("k").unwrap();
        let generator = PasswordResetTokenGenerator::new(key.clone());
        let now = at("2026-01-01T00:00:00Z");
        let token = generator.make_token_at(&user("h"), now);
        let login = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_micro_opt(0, 0, 1, 5)
            .unwrap();
        for changed in [
            ResetSubject {
                pk: "2",
                ..user("h")
            },
            user("h2"),
            ResetSubject {
                last_login: Some(login),
                ..user("h")
            },
            ResetSubject {
                email: "b@example.com",
                ..user("h")
            },
        ] {
            assert!(
                !generator.check_token_at(&changed, &token, now),
                "{changed:?}"
            );
        }
        let other = PasswordResetTokenGenerator::new(SecretKey::new("other").unwrap());
        assert!(!other.check_token_at(&user("h"), &token, now));
        let rotated = other.with_fallbacks([key]);
        assert!(rotated.check_token_at(&user("h"), &token, now));
        for mangled in [
            String::new(),
            format!("{token}-x"),
            token.replace('-', ""),
            format!("-{token}"),
        ] {
            assert!(
                !generator.check_token_at(&user("h"), &mangled, now),
                "{mangled:?}"
            );
        }
    }

    #[test]
    fn uids_decode_as_leniently_as_djangos() {
        assert_eq!(encode_uid("7"), "Nw");
        assert_eq!(decode_uid("Nw").as_deref(), Some("7"));
        assert_eq!(decode_uid("MTIz").as_deref(), Some("123"));
        // characters outside the alphabet are skipped, as base64 does
        assert_eq!(decode_uid("N.w").as_deref(), Some("7"));
        assert_eq!(decode_uid("N"), None);
        assert_eq!(decode_uid("_w"), None); // 0xff: not UTF-8
    }

    #[test]
    fn debug_hides_the_secret_and_the_password() {
        let generator = PasswordResetTokenGenerator::new(SecretKey::new("topsecret").unwrap());
        assert!(!format!("{generator:?}").contains("topsecret"));
        assert!(!format!("{:?}", user("pbkdf2_sha256$x")).contains("pbkdf2"));
    }
}

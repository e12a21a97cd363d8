//! `Signer`, `TimestampSigner`, `dumps` and `loads` of Django 5.2's
//! `django.core.signing`.

use std::fmt;
use std::iter;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use miniz_oxide::inflate::TINFLStatus;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::json::{from_json, to_json};
use super::{b62_decode, b62_encode, b64_decode, b64_encode, Algorithm, SecretKey};
use crate::compat::py_float_repr;
use crate::crypto;

/// The default salt of [`Signer`]: Django's `'%s.%s' % (module, class name)`.
pub const SIGNER_SALT: &str = "django.core.signing.Signer";

/// The default salt of [`TimestampSigner`].
pub const TIMESTAMP_SIGNER_SALT: &str = "django.core.signing.TimestampSigner";

/// The default salt of [`dumps`] and [`loads`].
pub const DUMPS_SALT: &str = "django.core.signing";

/// The largest payload a compressed signed object may inflate to by default
/// (Django sets no bound). The signature is checked first, so only a holder
/// of the key can send a compressed payload at all.
pub const MAX_DECOMPRESSED_LEN: usize = 8 * 1024 * 1024;

/// The results of this module.
type Result<T, E = SigningError> = std::result::Result<T, E>;

/// zlib's default level, which Python's `zlib.compress` uses.
const ZLIB_LEVEL: u8 = 6;

/// Why a signed value was refused, with Django's messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// Django's `BadSignature`: no separator, or a signature that none of
    /// the keys made (`Signature "…" does not match`).
    #[error("{0}")]
    BadSignature(String),
    /// Django's `SignatureExpired` (a `BadSignature`): the timestamp is more
    /// than `max_age` old.
    #[error("Signature age {} > {} seconds", py_float_repr(*.age), seconds_repr(.max_age))]
    SignatureExpired {
        /// Seconds since the value was signed (`time.time() - timestamp`).
        age: f64,
        /// The age allowed.
        max_age: Duration,
    },
    /// Django's `ValueError` for a separator that can occur in url-safe
    /// base64 (or is empty).
    #[error(
        "Unsafe Signer separator: {} (cannot be empty or consist of only A-z0-9-_=)",
        py_str_repr(.0)
    )]
    UnsafeSeparator(String),
    /// The signature verified but the payload cannot be read: a bad base62
    /// timestamp, base64, zlib stream or JSON, or a payload that inflates
    /// beyond the limit (Django raises `ValueError`, `binascii.Error`,
    /// `zlib.error` or `JSONDecodeError`, which are not `BadSignature`).
    #[error("{0}")]
    Malformed(String),
    /// `sign_object` was given a value JSON cannot hold (Python's
    /// `TypeError`).
    #[error("not JSON serializable: {0}")]
    Unserializable(String),
}

impl SigningError {
    /// Whether Django would raise `BadSignature` (or its subclass
    /// `SignatureExpired`): the value was not signed with our key and salt,
    /// or is too old.
    pub fn is_bad_signature(&self) -> bool {
        matches!(
            self,
            SigningError::BadSignature(_) | SigningError::SignatureExpired { .. }
        )
    }
}

/// `max_age` as Django prints it: an integer number of seconds, or a float.
fn seconds_repr(max_age: &Duration) -> String {
    if max_age.subsec_nanos() == 0 {
        max_age.as_secs().to_string()
    } else {
        py_float_repr(max_age.as_secs_f64())
    }
}

/// Python's `repr(str)` for the separators Django refuses (ASCII).
fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Django's `_SEP_UNSAFE` (`^[A-z0-9-_=]*$`): only characters that url-safe
/// base64 (or the `A-z` range's punctuation) can contain. Python's `$` also
/// matches before one final newline.
fn is_unsafe_separator(sep: &str) -> bool {
    sep.strip_suffix('\n')
        .unwrap_or(sep)
        .chars()
        .all(|c| matches!(c, 'A'..='z' | '0'..='9' | '-' | '='))
}

/// Django's `base64_hmac(salt, value, key, algorithm)`: the url-safe base64
/// (unpadded) of `salted_hmac(salt, value, key, algorithm)`.
///
/// ```
/// use auth_core::signing::{base64_hmac, Algorithm, SecretKey};
///
/// let key = SecretKey::new("s3cret").unwrap();
/// assert_eq!(base64_hmac("salt", b"value", &key, Algorithm::Sha256).len(), 43);
/// ```
pub fn base64_hmac(salt: &str, value: &[u8], key: &SecretKey, algorithm: Algorithm) -> String {
    b64_encode(&key.salted_hmac(salt, value, algorithm))
}

/// The time as Python's `time.time()` gives it: seconds since the Unix epoch.
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

fn system_time() -> f64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    }
}

/// Django's `Signer`: `value:signature`, where the signature is
/// `base64_hmac(salt + "signer", value, key, algorithm)`.
///
/// Defaults are Django's: separator `:`, salt [`SIGNER_SALT`], SHA-256, no
/// fallback keys (Django's default is `settings.SECRET_KEY_FALLBACKS`, which
/// a caller passes with [`Signer::with_fallback_keys`]). `Debug` shows no key.
///
/// ```
/// use auth_core::signing::{SecretKey, Signer};
///
/// let signer = Signer::new(SecretKey::new("s3cret").unwrap()).with_salt("my.salt");
/// let signed = signer.sign("hello");
/// assert_eq!(signer.unsign(&signed).unwrap(), "hello");
/// assert!(signer.unsign("hello:forged").unwrap_err().is_bad_signature());
/// ```
#[derive(Debug, Clone)]
pub struct Signer {
    key: SecretKey,
    fallback_keys: Vec<SecretKey>,
    sep: String,
    /// `None` (or empty, as Django's `salt or ...`) is the class's default.
    salt: Option<String>,
    class_salt: &'static str,
    algorithm: Algorithm,
    max_decompressed_len: usize,
}

impl Signer {
    /// A signer keyed with `key` and Django's defaults.
    pub fn new(key: SecretKey) -> Self {
        Signer {
            key,
            fallback_keys: Vec::new(),
            sep: ":".to_owned(),
            salt: None,
            class_salt: SIGNER_SALT,
            algorithm: Algorithm::Sha256,
            max_decompressed_len: MAX_DECOMPRESSED_LEN,
        }
    }

    /// Also accepts signatures made with these keys (Django's
    /// `SECRET_KEY_FALLBACKS`, tried after the key, in order). Values are
    /// always signed with the key.
    pub fn with_fallback_keys(mut self, keys: impl IntoIterator<Item = SecretKey>) -> Self {
        self.fallback_keys = keys.into_iter().collect();
        self
    }

    /// The salt, which namespaces signatures; an empty one means the
    /// default, as in Django.
    pub fn with_salt(mut self, salt: impl Into<String>) -> Self {
        self.salt = Some(salt.into());
        self
    }

    /// The separator between value, timestamp and signature.
    ///
    /// # Errors
    ///
    /// [`SigningError::UnsafeSeparator`] for a separator Django refuses:
    /// empty, or only characters from `A-z0-9-_=`.
    pub fn with_sep(mut self, sep: impl Into<String>) -> Result<Self> {
        let sep = sep.into();
        if is_unsafe_separator(&sep) {
            return Err(SigningError::UnsafeSeparator(sep));
        }
        self.sep = sep;
        Ok(self)
    }

    /// The HMAC's digest (Django's `algorithm`; SHA-256 by default).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The bound on a compressed object's inflated size
    /// ([`MAX_DECOMPRESSED_LEN`] by default).
    pub fn with_max_decompressed_len(mut self, len: usize) -> Self {
        self.max_decompressed_len = len;
        self
    }

    /// The salt in use.
    pub fn salt(&self) -> &str {
        match self.salt.as_deref() {
            Some(salt) if !salt.is_empty() => salt,
            _ => self.class_salt,
        }
    }

    /// The separator.
    pub fn sep(&self) -> &str {
        &self.sep
    }

    /// The digest.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn signature_with(&self, key: &SecretKey, value: &str) -> String {
        let salt = format!("{}signer", self.salt());
        base64_hmac(&salt, value.as_bytes(), key, self.algorithm)
    }

    /// Django's `signature(value)`: the signature [`Signer::sign`] appends.
    pub fn signature(&self, value: &str) -> String {
        self.signature_with(&self.key, value)
    }

    /// Django's `sign(value)`: `value`, the separator and its signature.
    pub fn sign(&self, value: &str) -> String {
        format!("{value}{}{}", self.sep, self.signature(value))
    }

    /// Django's `unsign(signed_value)`: the value, when the part after the
    /// last separator is its signature under the key or a fallback key
    /// (compared in constant time).
    ///
    /// # Errors
    ///
    /// [`SigningError::BadSignature`] with Django's message.
    pub fn unsign<'a>(&self, signed_value: &'a str) -> Result<&'a str> {
        let Some((value, sig)) = signed_value.rsplit_once(self.sep.as_str()) else {
            return Err(SigningError::BadSignature(format!(
                "No \"{}\" found in value",
                self.sep
            )));
        };
        for key in iter::once(&self.key).chain(&self.fallback_keys) {
            if crypto::constant_time_eq(sig.as_bytes(), self.signature_with(key, value).as_bytes())
            {
                return Ok(value);
            }
        }
        Err(SigningError::BadSignature(format!(
            "Signature \"{sig}\" does not match"
        )))
    }

    /// Django's `sign_object(obj, compress=...)`: `obj` as JSON (see
    /// [`to_json`]), zlib-compressed when `compress` is set and that saves
    /// more than one byte (then marked by a leading `.`), in url-safe
    /// base64, signed.
    ///
    /// # Errors
    ///
    /// [`SigningError::Unserializable`] when `obj` cannot be written as JSON.
    pub fn sign_object<T: Serialize + ?Sized>(&self, obj: &T, compress: bool) -> Result<String> {
        object_payload(obj, compress).map(|payload| self.sign(&payload))
    }

    /// Django's `unsign_object(signed_obj)`: the object [`Signer::sign_object`]
    /// signed. Use [`JsonValue`](super::JsonValue) to keep an object's key
    /// order.
    ///
    /// # Errors
    ///
    /// As [`Signer::unsign`], and [`SigningError::Malformed`] when the signed
    /// payload is not base64, zlib or JSON of type `T`.
    pub fn unsign_object<T: DeserializeOwned>(&self, signed_obj: &str) -> Result<T> {
        decode_payload(self.unsign(signed_obj)?, self.max_decompressed_len)
    }
}

/// `sign_object`'s payload: the JSON, maybe compressed, in base64.
fn object_payload<T: Serialize + ?Sized>(obj: &T, compress: bool) -> Result<String> {
    let json = to_json(obj)?;
    let data = json.as_bytes();
    if compress {
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, ZLIB_LEVEL);
        // Django: `len(compressed) < (len(data) - 1)`.
        if compressed.len() + 1 < data.len() {
            return Ok(format!(".{}", b64_encode(&compressed)));
        }
    }
    Ok(b64_encode(data))
}

/// `unsign_object`'s reading of a verified payload.
fn decode_payload<T: DeserializeOwned>(base64d: &str, limit: usize) -> Result<T> {
    let Some(compressed) = base64d.strip_prefix('.') else {
        return from_json(&b64_decode(base64d.as_bytes())?);
    };
    let deflated = b64_decode(compressed.as_bytes())?;
    let data = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&deflated, limit).map_err(
        |err| {
            SigningError::Malformed(if err.status == TINFLStatus::HasMoreOutput {
                format!("the compressed payload inflates beyond {limit} bytes")
            } else {
                format!("error: zlib: {err}")
            })
        },
    )?;
    from_json(&data)
}

/// Django's `TimestampSigner`: [`Signer`] over `value:timestamp`, the
/// timestamp being the signing time's whole seconds in base 62, so that
/// [`TimestampSigner::unsign`] can refuse old values.
///
/// Its default salt is [`TIMESTAMP_SIGNER_SALT`]. The clock is the system's
/// unless replaced with [`TimestampSigner::with_clock`].
///
/// ```
/// use std::time::Duration;
/// use auth_core::signing::{SecretKey, Signer, SigningError, TimestampSigner};
///
/// let key = SecretKey::new("s3cret").unwrap();
/// let signer = TimestampSigner::new(Signer::new(key)).with_clock(|| 1_700_000_000.5);
/// let signed = signer.sign("hello");
/// assert!(signed.starts_with("hello:1r31eq:"));
///
/// let later = signer.clone().with_clock(|| 1_700_000_100.5);
/// assert_eq!(later.unsign(&signed, Some(Duration::from_secs(101))).unwrap(), "hello");
/// let err = later.unsign(&signed, Some(Duration::from_secs(60))).unwrap_err();
/// assert!(matches!(err, SigningError::SignatureExpired { .. }));
/// assert_eq!(err.to_string(), "Signature age 100.5 > 60 seconds");
/// ```
#[derive(Clone)]
pub struct TimestampSigner {
    signer: Signer,
    clock: Clock,
}

impl fmt::Debug for TimestampSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampSigner")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl TimestampSigner {
    /// A timestamp signer with `signer`'s key, fallback keys, separator,
    /// algorithm and salt (when it has none, [`TIMESTAMP_SIGNER_SALT`]).
    pub fn new(mut signer: Signer) -> Self {
        signer.class_salt = TIMESTAMP_SIGNER_SALT;
        TimestampSigner {
            signer,
            clock: Arc::new(system_time),
        }
    }

    /// Reads the time from `clock` (seconds since the Unix epoch, as
    /// `time.time()`) instead of the system.
    pub fn with_clock(mut self, clock: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The salt in use.
    pub fn salt(&self) -> &str {
        self.signer.salt()
    }

    /// Django's `timestamp()`: `b62_encode(int(time.time()))`.
    pub fn timestamp(&self) -> String {
        // `as` truncates towards zero, as Python's int() does.
        b62_encode((self.clock)() as i128)
    }

    /// Django's `sign(value)`: `value:timestamp:signature`.
    pub fn sign(&self, value: &str) -> String {
        self.signer
            .sign(&format!("{value}{}{}", self.signer.sep, self.timestamp()))
    }

    /// Django's `unsign(value, max_age)`: the value, when its signature
    /// verifies and, given `max_age`, it was signed at most `max_age` ago.
    ///
    /// # Errors
    ///
    /// [`SigningError::BadSignature`], [`SigningError::SignatureExpired`],
    /// or [`SigningError::Malformed`] for a verified value without a valid
    /// timestamp (Django's `ValueError` or `IndexError`).
    pub fn unsign<'a>(&self, value: &'a str, max_age: Option<Duration>) -> Result<&'a str> {
        let result = self.signer.unsign(value)?;
        let Some((value, timestamp)) = result.rsplit_once(self.signer.sep.as_str()) else {
            return Err(SigningError::Malformed(
                "ValueError: not enough values to unpack (expected 2, got 1)".to_owned(),
            ));
        };
        let timestamp = b62_decode(timestamp)?;
        if let Some(max_age) = max_age {
            // Python converts the int to the nearest float, as `as` does.
            let age = (self.clock)() - timestamp as f64;
            if age > max_age.as_secs_f64() {
                return Err(SigningError::SignatureExpired { age, max_age });
            }
        }
        Ok(value)
    }

    /// Django's `sign_object(obj, compress=...)`, timestamped (see
    /// [`Signer::sign_object`]).
    ///
    /// # Errors
    ///
    /// [`SigningError::Unserializable`] when `obj` cannot be written as JSON.
    pub fn sign_object<T: Serialize + ?Sized>(&self, obj: &T, compress: bool) -> Result<String> {
        object_payload(obj, compress).map(|payload| self.sign(&payload))
    }

    /// Django's `unsign_object(signed_obj, max_age=...)`.
    ///
    /// # Errors
    ///
    /// As [`TimestampSigner::unsign`] and [`Signer::unsign_object`].
    pub fn unsign_object<T: DeserializeOwned>(
        &self,
        signed_obj: &str,
        max_age: Option<Duration>,
    ) -> Result<T> {
        decode_payload(
            self.unsign(signed_obj, max_age)?,
            self.signer.max_decompressed_len,
        )
    }
}

/// Django's `signing.dumps(obj, key, salt, compress=...)`: `obj` signed by a
/// [`TimestampSigner`] with `salt` ([`DUMPS_SALT`] is Django's default; an
/// empty one means [`TIMESTAMP_SIGNER_SALT`], as in Django).
///
/// ```
/// use auth_core::signing::{dumps, loads, JsonValue, SecretKey, DUMPS_SALT};
///
/// let key = SecretKey::new("s3cret").unwrap();
/// let signed = dumps(&serde_json::json!({"user": 42}), &key, DUMPS_SALT, true).unwrap();
/// let back: JsonValue = loads(&signed, &key, DUMPS_SALT, None, &[]).unwrap();
/// assert_eq!(auth_core::signing::to_json(&back).unwrap(), r#"{"user":42}"#);
/// ```
///
/// # Errors
///
/// [`SigningError::Unserializable`] when `obj` cannot be written as JSON.
pub fn dumps<T: Serialize + ?Sized>(
    obj: &T,
    key: &SecretKey,
    salt: &str,
    compress: bool,
) -> Result<String> {
    TimestampSigner::new(Signer::new(key.clone()).with_salt(salt)).sign_object(obj, compress)
}

/// Django's `signing.loads(s, key, salt, max_age=..., fallback_keys=...)`:
/// the object [`dumps`] signed with `key` or one of `fallback_keys` (pass
/// Django's `SECRET_KEY_FALLBACKS`), at most `max_age` ago when given.
///
/// # Errors
///
/// As [`TimestampSigner::unsign_object`].
pub fn loads<T: DeserializeOwned>(
    s: &str,
    key: &SecretKey,
    salt: &str,
    max_age: Option<Duration>,
    fallback_keys: &[SecretKey],
) -> Result<T> {
    TimestampSigner::new(
        Signer::new(key.clone())
            .with_salt(salt)
            .with_fallback_keys(fallback_keys.iter().cloned()),
    )
    .unsign_object(s, max_age)
}

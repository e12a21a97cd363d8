//! [`Token`]: simplejwt's `Token` and its four classes.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::DecodingKey;
use md5::{Digest, Md5};

use super::backend::{self, epoch};
use super::settings::{JwtSettings, UserIdField};
use super::{TokenClass, TokenError};
use crate::crypto;
use crate::db::StoreError;
use crate::models::User;
use crate::signing::{JsonObject, JsonValue};

/// The claims `RefreshToken.access_token` does not copy.
const NO_COPY_CLAIMS: [&str; 4] = ["token_type", "exp", "jti", "iat"];

/// simplejwt's `get_md5_hash_password`: `md5(password).hexdigest().upper()`
/// of the stored password hash (the `CHECK_REVOKE_TOKEN` claim).
pub fn md5_hash_password(password: &str) -> String {
    crypto::hex(&Md5::digest(password.as_bytes())).to_ascii_uppercase()
}

/// A new `jti`: `uuid4().hex`.
fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    crypto::fill_random(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    crypto::hex(&bytes)
}

/// `calendar.timegm(dt.utctimetuple())`: whole seconds, the fraction dropped.
fn seconds(at: DateTime<Utc>) -> JsonValue {
    JsonValue::Number(at.timestamp().into())
}

/// A token of one [`TokenClass`]: its payload (in simplejwt's claim order)
/// and the time it was made or read at (`current_time`).
#[derive(Clone)]
pub struct Token {
    class: TokenClass,
    payload: JsonObject,
    current_time: DateTime<Utc>,
    settings: JwtSettings,
}

/// Shows the class and the `jti` only: never the signed token.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("class", &self.class)
            .field("jti", &self.jti())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// `TokenClass()`: a new token with `token_type`, `exp`, `iat` and
    /// `jti` (and `refresh_exp` for a sliding token), at the settings' now.
    pub fn new(class: TokenClass, settings: &JwtSettings) -> Self {
        let now = settings.now();
        let mut token = Token {
            class,
            payload: JsonObject::new(),
            current_time: now,
            settings: settings.clone(),
        };
        token
            .payload
            .insert("token_type", JsonValue::String(class.token_type().into()));
        token.set_exp();
        token.set_iat();
        token.set_jti();
        if class == TokenClass::Sliding {
            let lifetime = settings.sliding_token_refresh_lifetime();
            token.payload.insert("refresh_exp", seconds(now + lifetime));
        }
        token
    }

    /// `TokenClass.for_user(user)` without the outstanding row (see
    /// [`JwtStore::for_user`](super::JwtStore::for_user)): the user id claim
    /// as a string, and `md5(password)` with `CHECK_REVOKE_TOKEN`.
    pub fn for_user(class: TokenClass, settings: &JwtSettings, user: &User) -> Self {
        let id = match settings.user_id_field() {
            UserIdField::Id => user.id.to_string(),
            UserIdField::Username => user.username.clone(),
        };
        Self::for_user_id(class, settings, &id, Some(&user.password))
    }

    /// [`for_user`](Self::for_user) from the id claim's value and the stored
    /// password hash (needed only with `CHECK_REVOKE_TOKEN`).
    pub fn for_user_id(
        class: TokenClass,
        settings: &JwtSettings,
        user_id: &str,
        password: Option<&str>,
    ) -> Self {
        let mut token = Self::new(class, settings);
        token.payload.insert(
            settings.user_id_claim(),
            JsonValue::String(user_id.to_owned()),
        );
        if settings.check_revoke_token() {
            token.payload.insert(
                settings.revoke_token_claim(),
                JsonValue::String(md5_hash_password(password.unwrap_or_default())),
            );
        }
        token
    }

    /// `TokenClass(raw)`: decodes and verifies `raw`, **without** the
    /// blacklist (which needs the database: see
    /// [`JwtStore::parse`](super::JwtStore::parse)).
    pub fn parse(class: TokenClass, raw: &[u8], settings: &JwtSettings) -> Result<Self, TokenError> {
        Self::parse_with(class, raw, settings, None, |_| Ok(false))
    }

    /// `TokenClass(raw)` with a verifying key (from a JWKS; `None` uses
    /// `VERIFYING_KEY`) and the blacklist check `blacklisted(jti)`, asked
    /// for refresh and sliding tokens when the blacklist is on, in
    /// simplejwt's order: decode, blacklist, `exp`, `jti`, `token_type`.
    pub fn parse_with(
        class: TokenClass,
        raw: &[u8],
        settings: &JwtSettings,
        key: Option<&DecodingKey>,
        blacklisted: impl FnOnce(&str) -> Result<bool, StoreError>,
    ) -> Result<Self, TokenError> {
        let now = settings.now();
        let payload = backend::decode(settings, raw, now, key)?;
        let token = Token {
            class,
            payload,
            current_time: now,
            settings: settings.clone(),
        };
        if class.uses_blacklist() && settings.blacklist() {
            // simplejwt indexes `payload["jti"]` here (a 500 without one).
            let jti = token.jti().ok_or(TokenError::NoId)?;
            if blacklisted(jti)? {
                return Err(TokenError::Blacklisted);
            }
        }
        token.check_exp("exp", now)?;
        if token.jti().is_none() {
            return Err(TokenError::NoId);
        }
        if class != TokenClass::Untyped {
            match token.payload.get("token_type") {
                None => return Err(TokenError::NoType),
                Some(JsonValue::String(t)) if t == class.token_type() => {}
                Some(_) => return Err(TokenError::WrongType),
            }
        }
        Ok(token)
    }

    /// The class.
    pub fn class(&self) -> TokenClass {
        self.class
    }

    /// The payload, in claim order.
    pub fn payload(&self) -> &JsonObject {
        &self.payload
    }

    /// A claim.
    pub fn get(&self, claim: &str) -> Option<&JsonValue> {
        self.payload.get(claim)
    }

    /// Sets a claim (a new one goes last).
    pub fn insert(&mut self, claim: impl Into<String>, value: JsonValue) {
        self.payload.insert(claim, value);
    }

    /// When the token was made or read (simplejwt's `current_time`).
    pub fn current_time(&self) -> DateTime<Utc> {
        self.current_time
    }

    /// The `jti` claim, when a string.
    pub fn jti(&self) -> Option<&str> {
        match self.payload.get("jti") {
            Some(JsonValue::String(jti)) => Some(jti),
            _ => None,
        }
    }

    /// The `exp` claim as a time (whole seconds), when a number.
    pub fn exp(&self) -> Option<DateTime<Utc>> {
        time_claim(self.payload.get("exp")?)
    }

    /// The user id claim as a string: a string as is, an integer (tokens of
    /// simplejwt ≤ 5.5.0) in decimal; `None` without one.
    pub fn user_id(&self) -> Option<String> {
        match self.payload.get(self.settings.user_id_claim())? {
            JsonValue::String(id) => Some(id.clone()),
            JsonValue::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// simplejwt's `check_exp(claim, current_time)`: the claim must be
    /// present and later than `current_time - LEEWAY`.
    pub fn check_exp(&self, claim: &str, current_time: DateTime<Utc>) -> Result<(), TokenError> {
        let value = self
            .payload
            .get(claim)
            .ok_or_else(|| TokenError::NoClaim(claim.to_owned()))?;
        let at = match value {
            JsonValue::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            _ => None,
        }
        .ok_or(TokenError::Invalid)?;
        let at = (at * 1e6).round() / 1e6;
        if at <= epoch(current_time) - self.settings.0.leeway {
            return Err(TokenError::ClaimExpired(claim.to_owned()));
        }
        Ok(())
    }

    /// `set_jti()`: a new `jti`.
    pub fn set_jti(&mut self) {
        self.payload.insert("jti", JsonValue::String(new_jti()));
    }

    /// `set_exp()`: `exp` = `current_time` + the class's lifetime.
    pub fn set_exp(&mut self) {
        let lifetime = self.lifetime();
        self.payload
            .insert("exp", seconds(self.current_time + lifetime));
    }

    /// `set_iat()`: `iat` = `current_time`.
    pub fn set_iat(&mut self) {
        self.payload.insert("iat", seconds(self.current_time));
    }

    fn lifetime(&self) -> TimeDelta {
        match self.class {
            TokenClass::Access => self.settings.access_token_lifetime(),
            TokenClass::Refresh => self.settings.refresh_token_lifetime(),
            TokenClass::Sliding => self.settings.sliding_token_lifetime(),
            TokenClass::Untyped => TimeDelta::zero(),
        }
    }

    /// `RefreshToken.access_token`: a new access token whose `exp` counts
    /// from this token's `current_time`, with every claim of this one but
    /// `token_type`, `exp`, `jti` and `iat`.
    pub fn access_token(&self) -> Token {
        let mut access = Token::new(TokenClass::Access, &self.settings);
        access.payload.insert(
            "exp",
            seconds(self.current_time + self.settings.access_token_lifetime()),
        );
        for (claim, value) in self.payload.iter() {
            if !NO_COPY_CLAIMS.contains(&claim) {
                access.payload.insert(claim, value.clone());
            }
        }
        access
    }

    /// `SlidingToken` refresh (`TokenRefreshSlidingSerializer`): checks
    /// `refresh_exp`, then renews `exp` and `iat`; the `jti` stays.
    pub fn refresh_sliding(&mut self) -> Result<(), TokenError> {
        self.check_exp("refresh_exp", self.current_time)?;
        self.set_exp();
        self.set_iat();
        Ok(())
    }

    /// `str(token)`: the signed token.
    pub fn encode(&self) -> Result<String, TokenError> {
        backend::encode(&self.settings, &self.payload)
    }

    /// The settings the token was made or read with.
    pub fn settings(&self) -> &JwtSettings {
        &self.settings
    }
}

/// `datetime_from_epoch(value)` for a numeric claim, whole seconds.
fn time_claim(value: &JsonValue) -> Option<DateTime<Utc>> {
    let JsonValue::Number(n) = value else {
        return None;
    };
    let seconds = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
    DateTime::from_timestamp(seconds, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SecretKey;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    fn settings_at(clock: Arc<AtomicI64>) -> JwtSettings {
        JwtSettings::builder()
            .secret_key(&SecretKey::new("test-secret").unwrap())
            .clock(Arc::new(move || {
                DateTime::from_timestamp(clock.load(Ordering::SeqCst), 0).unwrap()
            }))
            .build()
            .unwrap()
    }

    #[test]
    fn claims_are_simplejwts_in_order() {
        let clock = Arc::new(AtomicI64::new(1_700_000_000));
        let settings = settings_at(clock);
        let refresh = Token::for_user_id(TokenClass::Refresh, &settings, "7", None);
        let keys: Vec<_> = refresh.payload().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["token_type", "exp", "iat", "jti", "user_id"]);
        assert_eq!(refresh.get("exp"), Some(&JsonValue::Number((1_700_000_000i64 + 86400).into())));
        let jti = refresh.jti().unwrap();
        assert_eq!(jti.len(), 32);
        assert!(jti.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(&jti[12..13], "4");
        let access = refresh.access_token();
        let keys: Vec<_> = access.payload().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["token_type", "exp", "iat", "jti", "user_id"]);
        assert_eq!(access.get("exp"), Some(&JsonValue::Number((1_700_000_300i64).into())));
        assert_ne!(access.jti(), refresh.jti());
        let sliding = Token::for_user_id(TokenClass::Sliding, &settings, "7", None);
        let keys: Vec<_> = sliding.payload().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["token_type", "exp", "iat", "jti", "refresh_exp", "user_id"]);
    }

    #[test]
    fn expiry_follows_the_clock_without_leeway() {
        let clock = Arc::new(AtomicI64::new(1_700_000_000));
        let settings = settings_at(clock.clone());
        let raw = Token::for_user_id(TokenClass::Access, &settings, "7", None)
            .encode()
            .unwrap();
        clock.store(1_700_000_299, Ordering::SeqCst);
        assert!(Token::parse(TokenClass::Access, raw.as_bytes(), &settings).is_ok());
        clock.store(1_700_000_300, Ordering::SeqCst);
        let err = Token::parse(TokenClass::Access, raw.as_bytes(), &settings).unwrap_err();
        assert_eq!(err.to_string(), "Token is expired");
        // An `iat` in the future is refused as PyJWT refuses it.
        clock.store(1_699_999_999, Ordering::SeqCst);
        let err = Token::parse(TokenClass::Access, raw.as_bytes(), &settings).unwrap_err();
        assert_eq!(err.to_string(), "Token is invalid");
    }

    #[test]
    fn sliding_refresh_keeps_the_jti_and_checks_refresh_exp() {
        let clock = Arc::new(AtomicI64::new(1_700_000_000));
        let settings = settings_at(clock.clone());
        let sliding = Token::for_user_id(TokenClass::Sliding, &settings, "7", None);
        let raw = sliding.encode().unwrap();
        clock.store(1_700_000_100, Ordering::SeqCst);
        let mut again = Token::parse(TokenClass::Sliding, raw.as_bytes(), &settings).unwrap();
        again.refresh_sliding().unwrap();
        assert_eq!(again.jti(), sliding.jti());
        assert_eq!(again.get("exp"), Some(&JsonValue::Number(1_700_000_400i64.into())));
        assert_eq!(again.get("refresh_exp"), sliding.get("refresh_exp"));
    }

    #[test]
    fn md5_is_upper_hex() {
        assert_eq!(md5_hash_password(""), "D41D8CD98F00B204E9800998ECF8427E");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::signing::SecretKey;
    use proptest::prelude::*;

    fn settings() -> JwtSettings {
        JwtSettings::builder()
            .secret_key(&SecretKey::new("property-secret").unwrap())
            .build()
            .unwrap()
    }

    const CLASSES: [TokenClass; 4] = [
        TokenClass::Access,
        TokenClass::Refresh,
        TokenClass::Sliding,
        TokenClass::Untyped,
    ];

    /// Only simplejwt's refusals; an accepted token round-trips.
    fn check(raw: &[u8], settings: &JwtSettings) {
        for class in CLASSES {
            match Token::parse(class, raw, settings) {
                Ok(token) => {
                    let again = token.encode().unwrap();
                    let parsed = Token::parse(class, again.as_bytes(), settings).unwrap();
                    assert_eq!(parsed.payload(), token.payload());
                }
                Err(err) => assert!(err.is_refusal(), "unexpected failure: {err}"),
            }
        }
    }

    fn claim() -> impl Strategy<Value = JsonValue> {
        prop_oneof![
            Just(JsonValue::Null),
            any::<bool>().prop_map(JsonValue::Bool),
            any::<i64>().prop_map(|n| JsonValue::Number(n.into())),
            (-1e12f64..1e12).prop_map(|f| JsonValue::Number(serde_json::Number::from_f64(f).unwrap())),
            "[a-z0-9 ]{0,12}".prop_map(JsonValue::String),
            Just(JsonValue::String("access".into())),
            Just(JsonValue::String("sliding".into())),
            Just(JsonValue::Array(vec![])),
        ]
    }

    proptest! {
        #[test]
        fn any_bytes_are_refused_with_a_message(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            check(&raw, &settings());
        }

        #[test]
        fn dotted_base64_is_refused_with_a_message(parts in proptest::collection::vec("[A-Za-z0-9_=-]{0,40}", 1..5)) {
            check(parts.join(".").as_bytes(), &settings());
        }

        #[test]
        fn signed_payloads_of_any_claims_never_panic(
            claims in proptest::collection::vec(
                (prop_oneof![
                    Just("token_type"), Just("exp"), Just("iat"), Just("nbf"), Just("jti"),
                    Just("sub"), Just("aud"), Just("iss"), Just("user_id"), Just("refresh_exp"),
                ], claim()),
                0..10,
            )
        ) {
            let settings = settings();
            let payload: JsonObject = claims
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            let signed = backend::encode(&settings, &payload).unwrap();
            check(signed.as_bytes(), &settings);
        }
    }
}

#[cfg(test)]
mod asymmetric {
    use super::*;
    use std::sync::Arc;

    /// Keys made by `cryptography` and tokens signed by PyJWT 2.10.1 with them (the payload of
    /// simplejwt's access tokens).
    const VECTORS: &str = include_str!("../../tests/data/jwt/pyjwt_asymmetric.json");

    fn settings(alg: &str, vector: &serde_json::Value) -> JwtSettings {
        JwtSettings::builder()
            .algorithm(alg)
            .signing_key(vector["private_pem"].as_str().unwrap())
            .verifying_key(vector["public_pem"].as_str().unwrap())
            .clock(Arc::new(|| DateTime::from_timestamp(1_700_000_100, 0).unwrap()))
            .build()
            .unwrap()
    }

    #[test]
    fn pyjwt_tokens_verify_and_deterministic_signatures_match_byte_for_byte() {
        let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
        for alg in ["RS256", "ES256", "ES384", "EdDSA"] {
            let vector = &vectors[alg];
            let settings = settings(alg, vector);
            let theirs = vector["token"].as_str().unwrap();
            let token = Token::parse(TokenClass::Access, theirs.as_bytes(), &settings)
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(token.user_id().as_deref(), Some("1"));
            let ours = token.encode().unwrap();
            if alg == "RS256" || alg == "EdDSA" {
                // PKCS#1 v1.5 and Ed25519 are deterministic: the same bytes as PyJWT.
                assert_eq!(ours, theirs, "{alg}");
            }
            assert!(Token::parse(TokenClass::Access, ours.as_bytes(), &settings).is_ok());
            // Another key's signature, or the algorithm changed in the header, is refused.
            let other = if alg == "ES256" { "ES384" } else { "ES256" };
            let forged = vectors[other]["token"].as_str().unwrap();
            let err = Token::parse(TokenClass::Access, forged.as_bytes(), &settings).unwrap_err();
            assert_eq!(err.to_string(), "Token is invalid", "{alg}");
        }
    }

    #[test]
    fn verify_only_settings_refuse_to_sign_and_bad_keys_fail_build() {
        let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
        let verify_only = JwtSettings::builder()
            .algorithm("RS256")
            .verifying_key(vectors["RS256"]["public_pem"].as_str().unwrap())
            .build()
            .unwrap();
        let token = Token::for_user_id(TokenClass::Access, &verify_only, "1", None);
        assert!(matches!(token.encode(), Err(TokenError::NoSigningKey)));
        let err = JwtSettings::builder()
            .algorithm("RS256")
            .verifying_key("not a key")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("VERIFYING_KEY"), "{err}");
        let err = JwtSettings::builder().algorithm("ES512").build().unwrap_err();
        assert_eq!(err.to_string(), "Unrecognized algorithm type 'ES512'");
    }
}

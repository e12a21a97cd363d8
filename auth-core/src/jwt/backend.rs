//! simplejwt's `TokenBackend` over PyJWT 2.10: encoding (`jwt.encode`) and
//! decoding with PyJWT's checks, in PyJWT's order.
//!
//! The `jsonwebtoken` crate does the signatures and keys only; the claims
//! are checked here, because its own validation differs from PyJWT's (a
//! 60-second default leeway, required claims, no `iat` check).

use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;

use super::settings::JwtSettings;
use super::TokenError;
use crate::signing::{b64_decode, b64_encode, to_json, JsonObject, JsonValue};

/// The longest token read (bytes): far above any token simplejwt issues,
/// so that a hostile header costs bounded work.
pub const MAX_TOKEN_LENGTH: usize = 16 * 1024;

/// `jwt.encode(payload + aud + iss, key, algorithm)`: the header
/// `{"alg":…,"typ":"JWT"}` (PyJWT sorts header keys), the payload as
/// Python's `json.dumps(separators=(",", ":"))` writes it.
pub fn encode(settings: &JwtSettings, payload: &JsonObject) -> Result<String, TokenError> {
    let inner = &settings.0;
    let key = inner
        .encoding_key
        .as_ref()
        .ok_or(TokenError::NoSigningKey)?;
    let mut payload = payload.clone();
    if let Some(audience) = &inner.audience {
        let value = match audience {
            super::Audience::One(one) => JsonValue::String(one.clone()),
            super::Audience::Many(many) => {
                JsonValue::Array(many.iter().cloned().map(JsonValue::String).collect())
            }
        };
        payload.insert("aud", value);
    }
    if let Some(issuer) = &inner.issuer {
        payload.insert("iss", JsonValue::String(issuer.clone()));
    }
    let header = format!(
        "{{\"alg\":\"{}\",\"typ\":\"JWT\"}}",
        inner.algorithm.name()
    );
    let body = to_json(&payload).map_err(|_| TokenError::Invalid)?;
    let mut token = b64_encode(header.as_bytes());
    token.push('.');
    token.push_str(&b64_encode(body.as_bytes()));
    let signature = jsonwebtoken::crypto::sign(token.as_bytes(), key, inner.algorithm.backend())
        .map_err(|err| {
            tracing::error!(error = %err, "the JWT signing key cannot sign");
            TokenError::NoSigningKey
        })?;
    token.push('.');
    token.push_str(&signature);
    Ok(token)
}

/// The parts of a token, split as PyJWT splits them, with the header read.
pub struct Parts<'a> {
    /// `header.payload`, what the signature covers.
    pub signing_input: &'a [u8],
    /// The payload segment (base64url).
    pub payload: &'a [u8],
    /// The signature segment (base64url).
    pub signature: &'a [u8],
    /// The header.
    pub header: JsonObject,
}

impl Parts<'_> {
    /// The header's `kid`, when it is a string.
    pub fn kid(&self) -> Option<&str> {
        match self.header.get("kid") {
            Some(JsonValue::String(kid)) => Some(kid),
            _ => None,
        }
    }
}

fn object(segment: &[u8]) -> Result<JsonObject, TokenError> {
    let bytes = b64_decode(segment).map_err(|_| TokenError::Invalid)?;
    match serde_json::from_slice::<JsonValue>(&bytes) {
        Ok(JsonValue::Object(object)) => Ok(object),
        _ => Err(TokenError::Invalid),
    }
}

/// PyJWS's `_load`: three segments (`rsplit(".", 1)` then `split(".", 1)`),
/// a JSON object header whose `kid`, if any, is a string.
pub fn split(raw: &[u8]) -> Result<Parts<'_>, TokenError> {
    if raw.len() > MAX_TOKEN_LENGTH {
        return Err(TokenError::Invalid);
    }
    let dot = raw
        .iter()
        .rposition(|b| *b == b'.')
        .ok_or(TokenError::Invalid)?;
    let (signing_input, signature) = (&raw[..dot], &raw[dot + 1..]);
    let first = signing_input
        .iter()
        .position(|b| *b == b'.')
        .ok_or(TokenError::Invalid)?;
    let header = object(&signing_input[..first])?;
    if header
        .get("kid")
        .is_some_and(|kid| !matches!(kid, JsonValue::String(_)))
    {
        return Err(TokenError::Invalid);
    }
    Ok(Parts {
        signing_input,
        payload: &signing_input[first + 1..],
        signature,
        header,
    })
}

/// `int(value)` of a numeric claim, as PyJWT reads `iat`, `nbf` and `exp`
/// (floats truncated). Anything but a number is refused (Python would
/// raise a `TypeError`, a 500, for most of them).
fn int_claim(value: &JsonValue) -> Result<f64, TokenError> {
    match value {
        JsonValue::Number(n) => n
            .as_i64()
            .map(|i| i as f64)
            .or_else(|| n.as_f64().map(f64::trunc))
            .filter(|f| f.is_finite())
            .ok_or(TokenError::Invalid),
        _ => Err(TokenError::Invalid),
    }
}

/// Seconds since the epoch, with microseconds (Python's `timestamp()`).
pub(crate) fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

/// `jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
/// issuer=ISSUER, leeway=LEEWAY, options={"verify_aud": AUDIENCE is not
/// None})`, as simplejwt's `TokenBackend.decode` calls it: the payload, or
/// [`TokenError::Expired`] for an `exp` in the past and
/// [`TokenError::Invalid`] for everything else.
///
/// `key` is the verifying key (from a JWKS); `None` uses the settings'.
pub fn decode(
    settings: &JwtSettings,
    raw: &[u8],
    now: DateTime<Utc>,
    key: Option<&DecodingKey>,
) -> Result<JsonObject, TokenError> {
    let parts = split(raw)?;
    decode_parts(settings, &parts, now, key)
}

/// [`decode`] of a token already [`split`].
pub fn decode_parts(
    settings: &JwtSettings,
    parts: &Parts<'_>,
    now: DateTime<Utc>,
    key: Option<&DecodingKey>,
) -> Result<JsonObject, TokenError> {
    let inner = &settings.0;
    // PyJWS: `alg not in algorithms` -> InvalidAlgorithmError.
    match parts.header.get("alg") {
        Some(JsonValue::String(alg)) if alg == inner.algorithm.name() => {}
        _ => return Err(TokenError::Invalid),
    }
    let key = key
        .or(inner.decoding_key.as_ref())
        .ok_or(TokenError::Invalid)?;
    let signature = std::str::from_utf8(parts.signature).map_err(|_| TokenError::Invalid)?;
    match jsonwebtoken::crypto::verify(
        signature,
        parts.signing_input,
        key,
        inner.algorithm.backend(),
    ) {
        Ok(true) => {}
        _ => return Err(TokenError::Invalid),
    }
    let payload = object(parts.payload)?;
    validate_claims(settings, &payload, epoch(now))?;
    Ok(payload)
}

/// PyJWT's `_validate_claims`, in its order: `iat`, `nbf`, `exp`, `iss`,
/// `aud`, `sub`, `jti`.
fn validate_claims(settings: &JwtSettings, payload: &JsonObject, now: f64) -> Result<(), TokenError> {
    let inner = &settings.0;
    let leeway = inner.leeway;
    if let Some(iat) = payload.get("iat") {
        if int_claim(iat)? > now + leeway {
            return Err(TokenError::Invalid);
        }
    }
    if let Some(nbf) = payload.get("nbf") {
        if int_claim(nbf)? > now + leeway {
            return Err(TokenError::Invalid);
        }
    }
    if let Some(exp) = payload.get("exp") {
        if int_claim(exp)? <= now - leeway {
            return Err(TokenError::Expired);
        }
    }
    if let Some(issuer) = &inner.issuer {
        match payload.get("iss") {
            Some(JsonValue::String(iss)) if iss == issuer => {}
            _ => return Err(TokenError::Invalid),
        }
    }
    if let Some(audience) = &inner.audience {
        let claims: Vec<&str> = match payload.get("aud") {
            Some(JsonValue::String(one)) if !one.is_empty() => vec![one.as_str()],
            Some(JsonValue::Array(many)) if !many.is_empty() => many
                .iter()
                .map(|v| match v {
                    JsonValue::String(s) => Ok(s.as_str()),
                    _ => Err(TokenError::Invalid),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(TokenError::Invalid),
        };
        if !audience.names().iter().any(|a| claims.contains(&a.as_str())) {
            return Err(TokenError::Invalid);
        }
    }
    for claim in ["sub", "jti"] {
        if payload
            .get(claim)
            .is_some_and(|v| !matches!(v, JsonValue::String(_)))
        {
            return Err(TokenError::Invalid);
        }
    }
    Ok(())
}

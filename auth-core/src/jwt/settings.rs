//! [`JwtSettings`]: simplejwt's `SIMPLE_JWT` with its defaults, and a builder.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};

use super::jwks::{Jwks, JwksOptions};
use super::TokenClass;
use crate::signing::SecretKey;

/// The signing algorithms simplejwt allows and this crate implements
/// (`ALGORITHM`). simplejwt also lists `ES512` and the `PS*` family, which
/// the pure-Rust backend does not offer: [`JwtSettingsBuilder::build`]
/// refuses them by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256 (simplejwt's default).
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519 (PyJWT's `EdDSA`).
    EdDSA,
}

impl JwtAlgorithm {
    /// The `alg` header value (PyJWT's name).
    pub const fn name(self) -> &'static str {
        match self {
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::RS384 => "RS384",
            JwtAlgorithm::RS512 => "RS512",
            JwtAlgorithm::ES256 => "ES256",
            JwtAlgorithm::ES384 => "ES384",
            JwtAlgorithm::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name` (`"HS256"`, ...), as `ALGORITHM` names it.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            JwtAlgorithm::HS256,
            JwtAlgorithm::HS384,
            JwtAlgorithm::HS512,
            JwtAlgorithm::RS256,
            JwtAlgorithm::RS384,
            JwtAlgorithm::RS512,
            JwtAlgorithm::ES256,
            JwtAlgorithm::ES384,
            JwtAlgorithm::EdDSA,
        ]
        .into_iter()
        .find(|alg| alg.name() == name)
    }

    /// Whether the algorithm is an HMAC (one shared secret signs and verifies).
    pub const fn is_hmac(self) -> bool {
        matches!(
            self,
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512
        )
    }

    pub(crate) const fn backend(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            JwtAlgorithm::HS256 => A::HS256,
            JwtAlgorithm::HS384 => A::HS384,
            JwtAlgorithm::HS512 => A::HS512,
            JwtAlgorithm::RS256 => A::RS256,
            JwtAlgorithm::RS384 => A::RS384,
            JwtAlgorithm::RS512 => A::RS512,
            JwtAlgorithm::ES256 => A::ES256,
            JwtAlgorithm::ES384 => A::ES384,
            JwtAlgorithm::EdDSA => A::EdDSA,
        }
    }
}

/// The field of `auth_user` the user id claim names (`USER_ID_FIELD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserIdField {
    /// `id` (simplejwt's default): the claim is `str(user.id)`.
    #[default]
    Id,
    /// `username`.
    Username,
}

/// `AUDIENCE`: one audience or several, written into tokens as given (a
/// string or a list) and checked as PyJWT checks `aud`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One audience, written as a JSON string.
    One(String),
    /// Several, written as a JSON list; a token naming any of them passes.
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn names(&self) -> &[String] {
        match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Many(many) => many,
        }
    }
}

/// The clock tokens are issued and checked with: the system's by default,
/// a fixed or moving one in tests ([`JwtSettingsBuilder::clock`]).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A mistake in the JWT settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// `ALGORITHM` names nothing this crate implements.
    #[error("Unrecognized algorithm type '{0}'")]
    UnknownAlgorithm(String),
    /// No signing key (HMAC needs `SIGNING_KEY`, or the site's `SECRET_KEY`).
    #[error("SIGNING_KEY is empty: give JwtSettings::builder().signing_key(..) or the site's SECRET_KEY")]
    NoSigningKey,
    /// An asymmetric algorithm without `VERIFYING_KEY` nor `JWK_URL`.
    #[error("{0} needs a VERIFYING_KEY (a PEM public key) or a JWK_URL")]
    NoVerifyingKey(&'static str),
    /// A PEM key that does not parse for the algorithm.
    #[error("{which} is not a PEM key for {algorithm}: {reason}")]
    BadKey {
        /// `SIGNING_KEY` or `VERIFYING_KEY`.
        which: &'static str,
        /// The algorithm.
        algorithm: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// `AUTH_HEADER_TYPES` is empty or holds a value with white space.
    #[error("AUTH_HEADER_TYPES must name at least one keyword, without white space")]
    BadHeaderTypes,
    /// `AUTH_TOKEN_CLASSES` is empty.
    #[error("AUTH_TOKEN_CLASSES must name at least one token class")]
    NoTokenClasses,
    /// `BLACKLIST_AFTER_ROTATION` without the blacklist (simplejwt swallows
    /// the `AttributeError`, #985: here it is refused).
    #[error("BLACKLIST_AFTER_ROTATION needs the token blacklist: turn on JwtSettings::builder().blacklist(true)")]
    RotationWithoutBlacklist,
    /// `LEEWAY` is negative or not finite.
    #[error("LEEWAY must be a finite number of seconds, zero or more")]
    BadLeeway,
    /// `JWK_URL` is not an absolute `http` or `https` URL.
    #[error("JWK_URL must be an absolute http or https URL")]
    BadJwkUrl,
    /// The JWKS cache's times are unusable.
    #[error("the JWKS lifespan must be positive and at least the refetch interval, which must not be negative")]
    BadJwksOptions,
}

/// simplejwt's `SIMPLE_JWT` settings, with its defaults (see
/// [`JwtSettings::builder`]). Cheap to clone. `Debug` never shows a key.
#[derive(Clone)]
pub struct JwtSettings(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub access_token_lifetime: TimeDelta,
    pub refresh_token_lifetime: TimeDelta,
    pub sliding_token_lifetime: TimeDelta,
    pub sliding_token_refresh_lifetime: TimeDelta,
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
    pub update_last_login: bool,
    pub algorithm: JwtAlgorithm,
    pub encoding_key: Option<EncodingKey>,
    pub decoding_key: Option<DecodingKey>,
    pub audience: Option<Audience>,
    pub issuer: Option<String>,
    pub jwk_url: Option<String>,
    pub jwks: Option<Arc<Jwks>>,
    pub leeway: f64,
    pub auth_header_types: Vec<String>,
    pub user_id_field: UserIdField,
    pub user_id_claim: String,
    pub auth_token_classes: Vec<TokenClass>,
    pub check_revoke_token: bool,
    pub revoke_token_claim: String,
    pub check_user_is_active: bool,
    pub blacklist: bool,
    pub clock: Clock,
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        f.debug_struct("JwtSettings")
            .field("algorithm", &s.algorithm)
            .field("access_token_lifetime", &s.access_token_lifetime)
            .field("refresh_token_lifetime", &s.refresh_token_lifetime)
            .field("rotate_refresh_tokens", &s.rotate_refresh_tokens)
            .field("blacklist_after_rotation", &s.blacklist_after_rotation)
            .field("blacklist", &s.blacklist)
            .field("auth_token_classes", &s.auth_token_classes)
            .finish_non_exhaustive()
    }
}

impl JwtSettings {
    /// A builder with simplejwt's defaults: access tokens live 5 minutes,
    /// refresh tokens a day, sliding tokens 5 minutes (refreshable for a
    /// day), HS256 with the site's `SECRET_KEY`, no rotation, no
    /// blacklist, `LEEWAY` 0, `Bearer`, `user_id` naming `id`, access
    /// tokens only.
    pub fn builder() -> JwtSettingsBuilder {
        JwtSettingsBuilder::default()
    }

    /// Now, by the settings' clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0.clock)()
    }

    /// `ALGORITHM`.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.0.algorithm
    }

    /// `ACCESS_TOKEN_LIFETIME`.
    pub fn access_token_lifetime(&self) -> TimeDelta {
        self.0.access_token_lifetime
    }

    /// `REFRESH_TOKEN_LIFETIME`.
    pub fn refresh_token_lifetime(&self) -> TimeDelta {
        self.0.refresh_token_lifetime
    }

    /// `SLIDING_TOKEN_LIFETIME`.
    pub fn sliding_token_lifetime(&self) -> TimeDelta {
        self.0.sliding_token_lifetime
    }

    /// `SLIDING_TOKEN_REFRESH_LIFETIME`.
    pub fn sliding_token_refresh_lifetime(&self) -> TimeDelta {
        self.0.sliding_token_refresh_lifetime
    }

    /// `ROTATE_REFRESH_TOKENS`.
    pub fn rotate_refresh_tokens(&self) -> bool {
        self.0.rotate_refresh_tokens
    }

    /// `BLACKLIST_AFTER_ROTATION`.
    pub fn blacklist_after_rotation(&self) -> bool {
        self.0.blacklist_after_rotation
    }

    /// `UPDATE_LAST_LOGIN`.
    pub fn update_last_login(&self) -> bool {
        self.0.update_last_login
    }

    /// Whether the blacklist app is installed (simplejwt: the
    /// `token_blacklist` app in `INSTALLED_APPS`).
    pub fn blacklist(&self) -> bool {
        self.0.blacklist
    }

    /// `AUTH_HEADER_TYPES`.
    pub fn auth_header_types(&self) -> &[String] {
        &self.0.auth_header_types
    }

    /// `AUTH_TOKEN_CLASSES`.
    pub fn auth_token_classes(&self) -> &[TokenClass] {
        &self.0.auth_token_classes
    }

    /// `USER_ID_FIELD`.
    pub fn user_id_field(&self) -> UserIdField {
        self.0.user_id_field
    }

    /// `USER_ID_CLAIM`.
    pub fn user_id_claim(&self) -> &str {
        &self.0.user_id_claim
    }

    /// `CHECK_REVOKE_TOKEN`.
    pub fn check_revoke_token(&self) -> bool {
        self.0.check_revoke_token
    }

    /// `REVOKE_TOKEN_CLAIM`.
    pub fn revoke_token_claim(&self) -> &str {
        &self.0.revoke_token_claim
    }

    /// `CHECK_USER_IS_ACTIVE`.
    pub fn check_user_is_active(&self) -> bool {
        self.0.check_user_is_active
    }

    /// `JWK_URL`.
    pub fn jwk_url(&self) -> Option<&str> {
        self.0.jwk_url.as_deref()
    }

    /// The key set of `JWK_URL`, when tokens are verified with it (an
    /// asymmetric `ALGORITHM`: as simplejwt, HMAC algorithms ignore
    /// `JWK_URL`). Give [`Jwks::key`]'s key to
    /// [`Token::parse_with`](super::Token::parse_with): without it, such
    /// settings refuse every token.
    pub fn jwks(&self) -> Option<&Arc<Jwks>> {
        self.0.jwks.as_ref()
    }

    /// The `WWW-Authenticate` value of simplejwt's classes and views:
    /// `Bearer realm="api"` (the first header type).
    pub fn www_authenticate(&self) -> String {
        format!("{} realm=\"api\"", self.0.auth_header_types[0])
    }
}

/// Builds [`JwtSettings`]; every setting keeps simplejwt's default unless set.
pub struct JwtSettingsBuilder {
    access_token_lifetime: TimeDelta,
    refresh_token_lifetime: TimeDelta,
    sliding_token_lifetime: TimeDelta,
    sliding_token_refresh_lifetime: TimeDelta,
    rotate_refresh_tokens: bool,
    blacklist_after_rotation: bool,
    update_last_login: bool,
    algorithm: String,
    signing_key: Option<Vec<u8>>,
    verifying_key: Option<Vec<u8>>,
    audience: Option<Audience>,
    issuer: Option<String>,
    jwk_url: Option<String>,
    jwks_options: JwksOptions,
    leeway: f64,
    auth_header_types: Vec<String>,
    user_id_field: UserIdField,
    user_id_claim: String,
    auth_token_classes: Vec<TokenClass>,
    check_revoke_token: bool,
    revoke_token_claim: String,
    check_user_is_active: bool,
    blacklist: bool,
    clock: Clock,
}

impl Default for JwtSettingsBuilder {
    fn default() -> Self {
        JwtSettingsBuilder {
            access_token_lifetime: TimeDelta::minutes(5),
            refresh_token_lifetime: TimeDelta::days(1),
            sliding_token_lifetime: TimeDelta::minutes(5),
            sliding_token_refresh_lifetime: TimeDelta::days(1),
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            update_last_login: false,
            algorithm: "HS256".to_owned(),
            signing_key: None,
            verifying_key: None,
            audience: None,
            issuer: None,
            jwk_url: None,
            jwks_options: JwksOptions::default(),
            leeway: 0.0,
            auth_header_types: vec!["Bearer".to_owned()],
            user_id_field: UserIdField::Id,
            user_id_claim: "user_id".to_owned(),
            auth_token_classes: vec![TokenClass::Access],
            check_revoke_token: false,
            revoke_token_claim: "hash_password".to_owned(),
            check_user_is_active: true,
            blacklist: false,
            clock: Arc::new(Utc::now),
        }
    }
}

impl fmt::Debug for JwtSettingsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettingsBuilder")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = value;
                self
            }
        )*
    };
}

impl JwtSettingsBuilder {
    setters! {
        /// `ACCESS_TOKEN_LIFETIME` (5 minutes).
        access_token_lifetime: TimeDelta;
        /// `REFRESH_TOKEN_LIFETIME` (1 day).
        refresh_token_lifetime: TimeDelta;
        /// `SLIDING_TOKEN_LIFETIME` (5 minutes).
        sliding_token_lifetime: TimeDelta;
        /// `SLIDING_TOKEN_REFRESH_LIFETIME` (1 day).
        sliding_token_refresh_lifetime: TimeDelta;
        /// `ROTATE_REFRESH_TOKENS` (off).
        rotate_refresh_tokens: bool;
        /// `BLACKLIST_AFTER_ROTATION` (off; needs [`blacklist`](Self::blacklist)).
        blacklist_after_rotation: bool;
        /// `UPDATE_LAST_LOGIN` (off).
        update_last_login: bool;
        /// `LEEWAY` in seconds (0).
        leeway: f64;
        /// `USER_ID_FIELD` (`id`).
        user_id_field: UserIdField;
        /// `CHECK_REVOKE_TOKEN` (off): tokens carry `md5(password)` and fail
        /// once the password changes.
        check_revoke_token: bool;
        /// `CHECK_USER_IS_ACTIVE` (on).
        check_user_is_active: bool;
        /// The blacklist app (`rest_framework_simplejwt.token_blacklist` in
        /// `INSTALLED_APPS`; off): refresh and sliding tokens are recorded in
        /// `token_blacklist_outstandingtoken` and checked against
        /// `token_blacklist_blacklistedtoken`.
        blacklist: bool;
        /// How the key set of `JWK_URL` is cached and fetched (PyJWKClient's
        /// 300 s lifespan; at most one fetch per 30 s; 5 s and 256 KiB at most).
        jwks_options: JwksOptions;
        /// The clock (the system's): tests move time with it.
        clock: Clock;
    }

    /// `ALGORITHM` (`"HS256"`).
    pub fn algorithm(mut self, name: impl Into<String>) -> Self {
        self.algorithm = name.into();
        self
    }

    /// `SIGNING_KEY`: the HMAC secret, or a PEM private key. Defaults to
    /// the site's `SECRET_KEY` ([`secret_key`](Self::secret_key)).
    pub fn signing_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.signing_key = Some(key.into());
        self
    }

    /// Django's `SECRET_KEY`, simplejwt's default `SIGNING_KEY`: used when
    /// no [`signing_key`](Self::signing_key) is given.
    pub fn secret_key(mut self, key: &SecretKey) -> Self {
        if self.signing_key.is_none() {
            self.signing_key = Some(key.as_bytes().to_vec());
        }
        self
    }

    /// `VERIFYING_KEY`: the PEM public key of an asymmetric algorithm.
    pub fn verifying_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.verifying_key = Some(key.into());
        self
    }

    /// `AUDIENCE` (none).
    pub fn audience(mut self, audience: Audience) -> Self {
        self.audience = Some(audience);
        self
    }

    /// `ISSUER` (none).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// `JWK_URL` (none): verify with the keys of this JWKS (an asymmetric
    /// `ALGORITHM` only; it replaces `VERIFYING_KEY`, as in simplejwt). See
    /// [`jwks`](super::jwks) for the cache and what an unreachable issuer
    /// answers.
    pub fn jwk_url(mut self, url: impl Into<String>) -> Self {
        self.jwk_url = Some(url.into());
        self
    }

    /// `AUTH_HEADER_TYPES` (`["Bearer"]`), compared case-sensitively.
    pub fn auth_header_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.auth_header_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// `USER_ID_CLAIM` (`user_id`).
    pub fn user_id_claim(mut self, claim: impl Into<String>) -> Self {
        self.user_id_claim = claim.into();
        self
    }

    /// `REVOKE_TOKEN_CLAIM` (`hash_password`).
    pub fn revoke_token_claim(mut self, claim: impl Into<String>) -> Self {
        self.revoke_token_claim = claim.into();
        self
    }

    /// `AUTH_TOKEN_CLASSES` (`[Access]`), tried in order.
    pub fn auth_token_classes(mut self, classes: impl IntoIterator<Item = TokenClass>) -> Self {
        self.auth_token_classes = classes.into_iter().collect();
        self
    }

    /// Checks the settings and parses the keys.
    pub fn build(self) -> Result<JwtSettings, JwtConfigError> {
        let algorithm = JwtAlgorithm::from_name(&self.algorithm)
            .ok_or_else(|| JwtConfigError::UnknownAlgorithm(self.algorithm.clone()))?;
        if self.auth_header_types.is_empty()
            || self
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || t.contains(|c: char| c.is_whitespace()))
        {
            return Err(JwtConfigError::BadHeaderTypes);
        }
        if self.auth_token_classes.is_empty() {
            return Err(JwtConfigError::NoTokenClasses);
        }
        if self.blacklist_after_rotation && !self.blacklist {
            return Err(JwtConfigError::RotationWithoutBlacklist);
        }
        if !self.leeway.is_finite() || self.leeway < 0.0 {
            return Err(JwtConfigError::BadLeeway);
        }
        let jwks = match &self.jwk_url {
            Some(url) if !algorithm.is_hmac() => {
                let options = self.jwks_options;
                if options.lifespan <= TimeDelta::zero()
                    || options.refetch_interval < TimeDelta::zero()
                    || options.lifespan < options.refetch_interval
                {
                    return Err(JwtConfigError::BadJwksOptions);
                }
                let jwks = Jwks::new(url, algorithm, options, self.clock.clone())
                    .map_err(|_| JwtConfigError::BadJwkUrl)?;
                Some(Arc::new(jwks))
            }
            _ => None,
        };
        let (encoding_key, decoding_key) = keys(
            algorithm,
            self.signing_key.as_deref(),
            self.verifying_key.as_deref(),
            self.jwk_url.is_some(),
        )?;
        Ok(JwtSettings(Arc::new(Inner {
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            sliding_token_lifetime: self.sliding_token_lifetime,
            sliding_token_refresh_lifetime: self.sliding_token_refresh_lifetime,
            rotate_refresh_tokens: self.rotate_refresh_tokens,
            blacklist_after_rotation: self.blacklist_after_rotation,
            update_last_login: self.update_last_login,
            algorithm,
            encoding_key,
            decoding_key,
            audience: self.audience,
            issuer: self.issuer,
            jwk_url: self.jwk_url,
            jwks,
            leeway: self.leeway,
            auth_header_types: self.auth_header_types,
            user_id_field: self.user_id_field,
            user_id_claim: self.user_id_claim,
            auth_token_classes: self.auth_token_classes,
            check_revoke_token: self.check_revoke_token,
            revoke_token_claim: self.revoke_token_claim,
            check_user_is_active: self.check_user_is_active,
            blacklist: self.blacklist,
            clock: self.clock,
        })))
    }
}

/// The signing key (none for a verify-only asymmetric setup) and the
/// verifying key (none when a JWKS provides them).
fn keys(
    algorithm: JwtAlgorithm,
    signing: Option<&[u8]>,
    verifying: Option<&[u8]>,
    has_jwks: bool,
) -> Result<(Option<EncodingKey>, Option<DecodingKey>), JwtConfigError> {
    let signing = signing.filter(|key| !key.is_empty());
    let verifying = verifying.filter(|key| !key.is_empty());
    if algorithm.is_hmac() {
        let secret = signing.ok_or(JwtConfigError::NoSigningKey)?;
        return Ok((
            Some(EncodingKey::from_secret(secret)),
            Some(DecodingKey::from_secret(secret)),
        ));
    }
    let bad = |which: &'static str| {
        move |err: jsonwebtoken::errors::Error| JwtConfigError::BadKey {
            which,
            algorithm: algorithm.name(),
            reason: err.to_string(),
        }
    };
    let encoding = signing
        .map(|pem| match algorithm {
            JwtAlgorithm::ES256 | JwtAlgorithm::ES384 => EncodingKey::from_ec_pem(pem),
            JwtAlgorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            _ => EncodingKey::from_rsa_pem(pem),
        })
        .transpose()
        .map_err(bad("SIGNING_KEY"))?;
    let decoding = verifying
        .map(|pem| match algorithm {
            JwtAlgorithm::ES256 | JwtAlgorithm::ES384 => DecodingKey::from_ec_pem(pem),
            JwtAlgorithm::EdDSA => DecodingKey::from_ed_pem(pem),
            _ => DecodingKey::from_rsa_pem(pem),
        })
        .transpose()
        .map_err(bad("VERIFYING_KEY"))?;
    if decoding.is_none() && !has_jwks {
        return Err(JwtConfigError::NoVerifyingKey(algorithm.name()));
    }
    // With a JWK_URL, simplejwt verifies with the set's keys only.
    Ok((encoding, if has_jwks { None } else { decoding }))
}

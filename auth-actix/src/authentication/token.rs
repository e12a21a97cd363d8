//! `TokenAuthentication`, its keyword and its store.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::{messages, AuthError};
use auth_core::identity::{Auth, Authenticated};
use auth_core::models::User;
pub use auth_core::tokens::TokenStore;

use super::parse::{single_token, split_credentials};
use super::AuthenticationConfig;
use super::{get_authorization_header, refuse_repeated_authorization, AuthResult, Authentication};
use crate::blocking::run_query;

/// The keyword a [`TokenAuthentication`] expects (DRF's `keyword` attribute).
pub trait Keyword: Send + Sync + 'static {
    /// The keyword, compared case-insensitively; also the `WWW-Authenticate` value.
    const KEYWORD: &'static str;
}

/// The keywords this crate defines; define your own by implementing [`Keyword`].
pub mod keyword {
    use super::Keyword;

    /// `Token` (DRF's default).
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Token;

    impl Keyword for Token {
        const KEYWORD: &'static str = "Token";
    }

    /// `Bearer`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Bearer;

    impl Keyword for Bearer {
        const KEYWORD: &'static str = "Bearer";
    }
}

/// Token authentication (DRF's `TokenAuthentication`): `Authorization: Token <key>`.
///
/// The keyword is a type parameter, so one app can use `Token` on one view
/// and `Bearer` on another: `TokenAuthentication<Bearer>`. The token store
/// comes from the [`AuthenticationConfig`]. Success sets `request.auth` to the token.
pub struct TokenAuthentication<K: Keyword = keyword::Token>(PhantomData<fn() -> K>);

impl TokenAuthentication<keyword::Token> {
    /// DRF's `TokenAuthentication()`, with the keyword `Token`.
    ///
    /// `TokenAuthentication::default()` names no keyword, and a default type
    /// parameter does not decide one in an expression, so the trait's
    /// `Default::default` alone would not compile there (E0283). This
    /// inherent function answers it; `TokenAuthentication::<Bearer>::default()`
    /// is the trait's, for any keyword.
    #[allow(clippy::should_implement_trait)]
    pub const fn default() -> Self {
        TokenAuthentication(PhantomData)
    }
}

impl<K: Keyword> TokenAuthentication<K> {
    /// A token class with keyword `K`: `TokenAuthentication::<Bearer>::new()`
    /// (for the keyword `Token`, `TokenAuthentication::default()`).
    pub const fn new() -> Self {
        TokenAuthentication(PhantomData)
    }

    /// Parse an `Authorization` header as DRF does: `Ok(None)` when its first
    /// word is not the keyword, else the key or DRF's error.
    pub fn parse_header(header: &[u8]) -> Result<Option<&str>, AuthError> {
        let Some(split) = split_credentials(header) else {
            return Ok(None);
        };
        if !keyword_matches(split.keyword, K::KEYWORD) {
            return Ok(None);
        }
        let key = single_token(&split)?;
        std::str::from_utf8(key)
            .map(Some)
            .map_err(|_| AuthError::authentication_failed(messages::TOKEN_INVALID_CHARACTERS))
    }
}

/// `parts[0].lower() == keyword.lower().encode()`: the header side is
/// lowered as ASCII only (Python `bytes.lower()`), the keyword fully.
pub(crate) fn keyword_matches(given: &[u8], keyword: &str) -> bool {
    if keyword.is_ascii() {
        return given.eq_ignore_ascii_case(keyword.as_bytes());
    }
    let lowered = keyword.to_lowercase();
    given.len() == lowered.len()
        && given
            .iter()
            .zip(lowered.as_bytes())
            .all(|(g, k)| g.to_ascii_lowercase() == *k)
}

impl<K: Keyword> Default for TokenAuthentication<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Keyword> Clone for TokenAuthentication<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Keyword> Copy for TokenAuthentication<K> {}

impl<K: Keyword> fmt::Debug for TokenAuthentication<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenAuthentication({:?})", K::KEYWORD)
    }
}

impl<K: Keyword> Authentication for TokenAuthentication<K> {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        refuse_repeated_authorization(
            request,
            |value| {
                split_credentials(value).is_some_and(|s| keyword_matches(s.keyword, K::KEYWORD))
            },
            messages::TOKEN_CONTAINS_SPACES,
        )?;
        let header = get_authorization_header(request);
        let Some(key) = Self::parse_header(&header)? else {
            return Ok(None);
        };
        let store = config.token_store()?;
        if let Some(found) = store.cached(key) {
            return credentials(Some(found));
        }
        // Boxed, so that views pay for the lookup's future only on a miss.
        Box::pin(check_key(store.clone(), key.to_owned())).await
    }

    fn authenticate_header(
        &self,
        _: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(K::KEYWORD))
    }
}

/// DRF's `authenticate_credentials`: the key's token and user, off the worker thread.
async fn check_key(store: Arc<dyn TokenStore>, key: String) -> AuthResult {
    credentials(run_query(move || store.lookup(&key)).await?)
}

/// The outcome of a lookup, as DRF's `authenticate_credentials` words it.
fn credentials(found: Option<(User, Auth)>) -> AuthResult {
    match found {
        None => Err(AuthError::authentication_failed(messages::INVALID_TOKEN)),
        Some((user, _)) if !user.is_active => {
            Err(AuthError::authentication_failed(messages::USER_INACTIVE))
        }
        Some((user, auth)) => Ok(Some(Authenticated::with_auth(user, auth))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<K: Keyword>(header: &[u8]) -> Result<Option<String>, String> {
        TokenAuthentication::<K>::parse_header(header)
            .map(|key| key.map(str::to_owned))
            .map_err(|e| e.to_string())
    }
    use keyword::{Bearer, Token};

    #[test]
    fn keyword_is_case_insensitive_and_configurable() {
        assert_eq!(parse::<Token>(b"Token abc"), Ok(Some("abc".into())));
        assert_eq!(parse::<Token>(b"tOKEN abc"), Ok(Some("abc".into())));
        assert_eq!(parse::<Token>(b"Bearer abc"), Ok(None));
        assert_eq!(parse::<Bearer>(b"bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parse::<Bearer>(b"Token abc"), Ok(None));
        assert_eq!(parse::<Token>(b""), Ok(None));
        assert_eq!(parse::<Token>(b" \t "), Ok(None));
        assert_eq!(parse::<Token>(b"Tokens abc"), Ok(None));
    }

    #[test]
    fn messages_are_drfs() {
        assert_eq!(
            parse::<Token>(b"Token"),
            Err("Invalid token header. No credentials provided.".into())
        );
        assert_eq!(
            parse::<Token>(b"Token  "),
            Err("Invalid token header. No credentials provided.".into())
        );
        assert_eq!(
            parse::<Token>(b"Token a b"),
            Err("Invalid token header. Token string should not contain spaces.".into())
        );
        assert_eq!(
            parse::<Token>(b"Token abc\xb8"),
            Err("Invalid token header. Token string should not contain invalid characters.".into())
        );
        // Valid multibyte UTF-8 is accepted (and then fails the lookup).
        assert_eq!(
            parse::<Token>("Token clé".as_bytes()),
            Ok(Some("clé".into()))
        );
    }

    #[test]
    fn non_ascii_keywords_follow_python() {
        struct Kw;
        impl Keyword for Kw {
            const KEYWORD: &'static str = "Clé";
        }
        assert_eq!(parse::<Kw>("clé k".as_bytes()), Ok(Some("k".into())));
        assert_eq!(parse::<Kw>("CLé k".as_bytes()), Ok(Some("k".into())));
        // bytes.lower() does not lower non-ASCII letters.
        assert_eq!(parse::<Kw>("CLÉ k".as_bytes()), Ok(None));
    }
}

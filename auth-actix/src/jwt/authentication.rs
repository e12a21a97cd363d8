//! simplejwt's `JWTAuthentication` and `JWTStatelessUserAuthentication`.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::{AuthError, ErrorDetail, ErrorKind};
use auth_core::identity::{Auth, Authenticated, StatelessUser};
use auth_core::jwt::{md5_hash_password, user_for_claim, JwtSettings, Token, TokenError};
use auth_core::signing::JsonValue;
use auth_core::User;

use super::{failed, Jwt};
use crate::authentication::AuthenticationConfig;
use crate::authentication::{get_authorization_header, AuthResult, Authentication};
use crate::blocking::run_query;

/// `str(TokenUser)` is `"TokenUser <id>"`.
pub const TOKEN_USER_KIND: &str = "TokenUser";

/// `get_raw_token`: `header.split()`; not attempted when empty or when the
/// first part is not exactly one of `AUTH_HEADER_TYPES`; more or fewer than
/// two parts is 401 `bad_authorization_header`.
fn raw_token<'h>(settings: &JwtSettings, header: &'h [u8]) -> Result<Option<&'h [u8]>, AuthError> {
    let mut parts = header
        .split(|b| b.is_ascii_whitespace() || *b == 0x0b)
        .filter(|p| !p.is_empty());
    let Some(first) = parts.next() else {
        return Ok(None);
    };
    if !settings
        .auth_header_types()
        .iter()
        .any(|t| t.as_bytes() == first)
    {
        return Ok(None);
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(Some(token)),
        _ => Err(failed(
            settings,
            "Authorization header must contain two space-delimited values",
            "bad_authorization_header",
        )),
    }
}

/// `get_validated_token`: the first of `AUTH_TOKEN_CLASSES` that accepts
/// the token, else 401 `Given token not valid for any token type` with each
/// class's message. Runs on the worker for access tokens (a signature check
/// only); a class that needs the blacklist queries it off the worker.
async fn validated_token(jwt: &Jwt, raw: &[u8]) -> Result<Token, AuthError> {
    let settings = jwt.settings();
    let mut messages = Vec::new();
    for &class in settings.auth_token_classes() {
        let outcome = if class.uses_blacklist() && settings.blacklist() {
            let store = jwt.store().cloned();
            let raw = raw.to_vec();
            let settings = settings.clone();
            let checked: Result<Result<Token, TokenError>, AuthError> = run_query(move || {
                Ok(match &store {
                    Some(store) => store.parse(class, &raw, &settings),
                    None => Token::parse(class, &raw, &settings),
                })
            })
            .await;
            checked?
        } else {
            Token::parse(class, raw, settings)
        };
        match outcome {
            Ok(token) => return Ok(token),
            Err(TokenError::Store(err)) => return Err(err.into()),
            Err(err) => messages.push(ErrorDetail::Map(vec![
                (
                    "token_class".into(),
                    ErrorDetail::Text(class.class_name().into()),
                ),
                (
                    "token_type".into(),
                    ErrorDetail::Text(class.token_type().into()),
                ),
                ("message".into(), ErrorDetail::Text(err.to_string().into())),
            ])),
        }
    }
    Err(AuthError::new(
        ErrorKind::AuthenticationFailed,
        ErrorDetail::Map(vec![
            (
                "detail".into(),
                ErrorDetail::Text("Given token not valid for any token type".into()),
            ),
            ("code".into(), ErrorDetail::Text("token_not_valid".into())),
            ("messages".into(), ErrorDetail::List(messages)),
        ]),
    )
    .with_code("token_not_valid"))
}

fn no_user_claim(settings: &JwtSettings) -> AuthError {
    failed(
        settings,
        "Token contained no recognizable user identification",
        "token_not_valid",
    )
}

/// The header's token, validated; `Ok(None)` when not attempted.
async fn authenticate_token(request: &HttpRequest) -> Result<Option<(Jwt, Token)>, AuthError> {
    let jwt = Jwt::from_request(request)?.clone();
    let header = get_authorization_header(request);
    let Some(raw) = raw_token(jwt.settings(), &header)? else {
        return Ok(None);
    };
    let outcome = validated_token(&jwt, raw).await;
    match outcome {
        Ok(token) => Ok(Some((jwt, token))),
        Err(err)
            if jwt.settings().anonymous_on_invalid()
                && err.kind() == ErrorKind::AuthenticationFailed =>
        {
            // The opt-in: an invalid token authenticates nobody. Views that
            // need a user still refuse (401 not authenticated).
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn www_authenticate(request: &HttpRequest) -> Option<Cow<'static, str>> {
    Jwt::from_request(request)
        .ok()
        .map(|jwt| Cow::Owned(jwt.settings().www_authenticate()))
}

/// simplejwt's `JWTAuthentication`: `Authorization: Bearer <token>`, a token
/// of one of `AUTH_TOKEN_CLASSES`, and its user loaded (one query) and
/// checked active (`CHECK_USER_IS_ACTIVE`) and, with `CHECK_REVOKE_TOKEN`,
/// unchanged since. `request.auth` is the [`Token`].
#[derive(Debug, Clone, Copy, Default)]
pub struct JWTAuthentication;

impl Authentication for JWTAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        let Some((jwt, token)) = authenticate_token(request).await? else {
            return Ok(None);
        };
        let settings = jwt.settings().clone();
        let Some(id) = token.user_id() else {
            return Err(no_user_claim(&settings));
        };
        let store = config.store()?.clone();
        let lookup = settings.clone();
        let user: Option<User> = run_query(move || user_for_claim(&store, &lookup, &id)).await?;
        let Some(user) = user else {
            return Err(failed(&settings, "User not found", "user_not_found"));
        };
        if settings.check_user_is_active() && !user.is_active {
            return Err(failed(&settings, "User is inactive", "user_inactive"));
        }
        if settings.check_revoke_token() {
            let expected = md5_hash_password(&user.password);
            let given = match token.get(settings.revoke_token_claim()) {
                Some(JsonValue::String(s)) => s.as_str(),
                _ => "",
            };
            if !auth_core::crypto::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                return Err(failed(
                    &settings,
                    "The user's password has been changed.",
                    "password_changed",
                ));
            }
        }
        Ok(Some(Authenticated::with_auth(user, Auth::custom(token))))
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        www_authenticate(request)
    }
}

/// simplejwt's `JWTStatelessUserAuthentication` (`JWTTokenUserAuthentication`):
/// the same token checks, and a [`StatelessUser`] from the claims
/// (`TokenUser`: the id claim, `username`, `is_staff`, `is_superuser`)
/// without a query.
#[derive(Debug, Clone, Copy, Default)]
pub struct JWTStatelessUserAuthentication;

impl Authentication for JWTStatelessUserAuthentication {
    async fn authenticate(&self, request: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        let Some((jwt, token)) = authenticate_token(request).await? else {
            return Ok(None);
        };
        let Some(id) = token.user_id() else {
            return Err(no_user_claim(jwt.settings()));
        };
        let mut user = StatelessUser::new(TOKEN_USER_KIND, id);
        if let Some(JsonValue::String(username)) = token.get("username") {
            user.username = username.clone();
        }
        user.is_staff = matches!(token.get("is_staff"), Some(JsonValue::Bool(true)));
        user.is_superuser = matches!(token.get("is_superuser"), Some(JsonValue::Bool(true)));
        let token = Arc::new(token);
        user.claims = Some(token.clone());
        Ok(Some(Authenticated::stateless(
            user,
            Some(Auth::Custom(token)),
        )))
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        www_authenticate(request)
    }
}

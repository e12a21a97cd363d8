//! simplejwt's `JWTAuthentication` and `JWTStatelessUserAuthentication`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::{AuthError, ErrorDetail, ErrorKind};
use auth_core::identity::{Auth, Authenticated, StatelessUser};
use auth_core::jwt::{md5_hash_password, user_for_claim, JwtSettings, Token, TokenError};
use auth_core::signing::JsonValue;
use auth_core::User;

use super::{failed, invalid_token, verifying_key, Jwt};
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
    // `JWK_URL`'s key: a refusal (no `kid`, an unknown one) is each class's
    // `Token is invalid`, as simplejwt's `get_verifying_key` raises it.
    let key = match verifying_key(settings, raw).await {
        Ok(key) => Ok(key),
        Err(err) if err.is_refusal() => Err(err),
        Err(err) => return Err(invalid_token(settings, err)),
    };
    let mut messages = Vec::new();
    for &class in settings.auth_token_classes() {
        let outcome = match &key {
            Err(_) => Err(TokenError::Invalid),
            Ok(key) if class.uses_blacklist() && settings.blacklist() => {
                let store = jwt.store().cloned();
                let raw = raw.to_vec();
                let settings = settings.clone();
                let key = key.clone();
                let checked: Result<Result<Token, TokenError>, AuthError> = run_query(move || {
                    Ok(match &store {
                        Some(store) => store.parse_with_key(class, &raw, &settings, key.as_deref()),
                        None => {
                            Token::parse_with(class, &raw, &settings, key.as_deref(), |_| Ok(false))
                        }
                    })
                })
                .await;
                checked?
            }
            Ok(key) => Token::parse_with(class, raw, settings, key.as_deref(), |_| Ok(false)),
        };
        match outcome {
            Ok(token) => return Ok(token),
            Err(err) if !err.is_refusal() => return Err(invalid_token(settings, err)),
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
    let token = validated_token(&jwt, raw).await?;
    Ok(Some((jwt, token)))
}

/// What a JWT class does with credentials it refuses: the type parameter of
/// [`JWTAuthentication`] and [`JWTStatelessUserAuthentication`].
pub trait OnInvalid: Send + Sync + 'static {
    /// Whether a refusal (a 401) reads as no credentials.
    const ANONYMOUS: bool;
}

/// simplejwt's and DRF's behaviour, the default: invalid credentials are a
/// 401 with simplejwt's body, on every view.
#[derive(Debug, Clone, Copy, Default)]
pub struct Refuse;

impl OnInvalid for Refuse {
    const ANONYMOUS: bool = false;
}

/// Our opt-in (simplejwt #182, #941), for views that let anonymous users in:
/// whatever this class would refuse with a 401 (a malformed header, an
/// invalid or expired token, a user missing or inactive) authenticates
/// nobody instead, as if no credentials were sent, so the next class is
/// tried and an `AllowAny` view answers. A view that needs a user then
/// answers DRF's `Authentication credentials were not provided.` rather than
/// the token's error: use the default class there. A server failure (the
/// store or `JWK_URL` unreachable) is still a 503.
///
/// `#[authentication_classes(JWTAuthentication<AsAnonymous>)]`
#[derive(Debug, Clone, Copy, Default)]
pub struct AsAnonymous;

impl OnInvalid for AsAnonymous {
    const ANONYMOUS: bool = true;
}

fn on_invalid<P: OnInvalid>(result: AuthResult) -> AuthResult {
    match result {
        Err(err) if P::ANONYMOUS && err.kind() == ErrorKind::AuthenticationFailed => Ok(None),
        other => other,
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
///
/// The type parameter says what invalid credentials do: [`Refuse`] (the
/// default, simplejwt's 401) or [`AsAnonymous`] (no credentials).
pub struct JWTAuthentication<P: OnInvalid = Refuse>(PhantomData<fn() -> P>);

/// [`JWTStatelessUserAuthentication`]'s and [`JWTAuthentication`]'s
/// constructors and traits, which do not depend on the type parameter.
macro_rules! jwt_class {
    ($class:ident) => {
        impl $class<Refuse> {
            /// The class as simplejwt has it (`$class::default()`; a default
            /// type parameter does not decide one in an expression, so the
            /// trait's `Default::default` alone would not compile there).
            #[allow(clippy::should_implement_trait)]
            pub const fn default() -> Self {
                $class(PhantomData)
            }
        }

        impl<P: OnInvalid> $class<P> {
            /// The class with `P`: `$class::<AsAnonymous>::new()`.
            pub const fn new() -> Self {
                $class(PhantomData)
            }
        }

        impl<P: OnInvalid> Default for $class<P> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<P: OnInvalid> Clone for $class<P> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<P: OnInvalid> Copy for $class<P> {}

        impl<P: OnInvalid> fmt::Debug for $class<P> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{}(anonymous_on_invalid: {})",
                    stringify!($class),
                    P::ANONYMOUS
                )
            }
        }
    };
}

jwt_class!(JWTAuthentication);
jwt_class!(JWTStatelessUserAuthentication);

impl<P: OnInvalid> Authentication for JWTAuthentication<P> {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        on_invalid::<P>(authenticate_user(request, config).await)
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        www_authenticate(request)
    }
}

/// `JWTAuthentication.authenticate`.
async fn authenticate_user(request: &HttpRequest, config: &AuthenticationConfig) -> AuthResult {
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

/// simplejwt's `JWTStatelessUserAuthentication` (`JWTTokenUserAuthentication`):
/// the same token checks, and a [`StatelessUser`] from the claims
/// (`TokenUser`: the id claim, `username`, `is_staff`, `is_superuser`)
/// without a query. The type parameter is [`JWTAuthentication`]'s.
pub struct JWTStatelessUserAuthentication<P: OnInvalid = Refuse>(PhantomData<fn() -> P>);

impl<P: OnInvalid> Authentication for JWTStatelessUserAuthentication<P> {
    async fn authenticate(&self, request: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        on_invalid::<P>(authenticate_stateless(request).await)
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        www_authenticate(request)
    }
}

/// `JWTStatelessUserAuthentication.authenticate`.
async fn authenticate_stateless(request: &HttpRequest) -> AuthResult {
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

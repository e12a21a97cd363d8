//! Who made a request: DRF's `request.user`, `request.auth` and
//! `request.successful_authenticator`, without a web framework.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::models::{Token, User};

/// Django's `AnonymousUser`: not authenticated, not staff, not active, no id,
/// empty username; displayed as `AnonymousUser`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnonymousUser;

impl fmt::Display for AnonymousUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnonymousUser")
    }
}

/// DRF's `UNAUTHENTICATED_USER` setting: what `request.user` is when nobody authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnauthenticatedUser {
    /// `django.contrib.auth.models.AnonymousUser` (DRF's default).
    #[default]
    AnonymousUser,
    /// `None`: `request.user` is `None`.
    None,
}

impl UnauthenticatedUser {
    /// The `request.user` value this setting gives.
    pub fn user(self) -> RequestUser {
        match self {
            UnauthenticatedUser::AnonymousUser => RequestUser::Anonymous(AnonymousUser),
            UnauthenticatedUser::None => RequestUser::None,
        }
    }
}

/// `request.user`: a user row, Django's `AnonymousUser`, or `None` (when
/// `UNAUTHENTICATED_USER` is `None`).
#[derive(Clone)]
pub enum RequestUser {
    /// An authenticated user.
    User(User),
    /// Nobody authenticated.
    Anonymous(AnonymousUser),
    /// Nobody authenticated and `UNAUTHENTICATED_USER = None`.
    None,
}

impl RequestUser {
    /// The user row, when authenticated.
    pub fn user(&self) -> Option<&User> {
        match self {
            RequestUser::User(user) => Some(user),
            _ => None,
        }
    }

    /// `bool(request.user and request.user.is_authenticated)`.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, RequestUser::User(_))
    }

    /// `bool(request.user and request.user.is_staff)` (what `IsAdminUser` checks).
    pub fn is_staff(&self) -> bool {
        self.user().is_some_and(|u| u.is_staff)
    }

    /// `is_superuser` (false when not authenticated).
    pub fn is_superuser(&self) -> bool {
        self.user().is_some_and(|u| u.is_superuser)
    }

    /// `is_active` (false for `AnonymousUser`).
    pub fn is_active(&self) -> bool {
        self.user().is_some_and(|u| u.is_active)
    }

    /// The primary key (`None` when not authenticated).
    pub fn id(&self) -> Option<i32> {
        self.user().map(|u| u.id)
    }

    /// The username (`""` when not authenticated, as Django's `AnonymousUser.username`).
    pub fn username(&self) -> &str {
        self.user().map_or("", |u| u.username.as_str())
    }
}

/// `str(request.user)`: the username, `AnonymousUser`, or `None`.
impl fmt::Display for RequestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestUser::User(user) => f.write_str(&user.username),
            RequestUser::Anonymous(anon) => anon.fmt(f),
            RequestUser::None => f.write_str("None"),
        }
    }
}

/// Shows the id and username only: never the password hash.
impl fmt::Debug for RequestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestUser::User(user) => f
                .debug_struct("User")
                .field("id", &user.id)
                .field("username", &user.username)
                .field("is_active", &user.is_active)
                .field("is_staff", &user.is_staff)
                .field("is_superuser", &user.is_superuser)
                .finish_non_exhaustive(),
            RequestUser::Anonymous(anon) => fmt::Debug::fmt(anon, f),
            RequestUser::None => f.write_str("None"),
        }
    }
}

/// `request.auth`: the credential that authenticated the request.
#[derive(Clone)]
pub enum Auth {
    /// `TokenAuthentication`: the token row.
    Token(Token),
    /// Anything a custom class (or a custom token model) chooses to return.
    Custom(Arc<dyn Any + Send + Sync>),
}

impl Auth {
    /// The token, for `TokenAuthentication`.
    pub fn as_token(&self) -> Option<&Token> {
        match self {
            Auth::Token(token) => Some(token),
            Auth::Custom(_) => None,
        }
    }

    /// The custom value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        match self {
            Auth::Custom(value) => value.as_ref().downcast_ref::<T>(),
            Auth::Token(_) => None,
        }
    }
}

/// Never shows a token key.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(token) => f
                .debug_struct("Token")
                .field("key", &"<redacted>")
                .field("user_id", &token.user_id)
                .finish_non_exhaustive(),
            Auth::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A successful authentication: DRF's `(user, auth)` tuple.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// `request.user`.
    pub user: RequestUser,
    /// `request.auth`.
    pub auth: Option<Auth>,
}

impl Authenticated {
    /// `(user, None)`.
    pub fn user(user: User) -> Self {
        Authenticated {
            user: RequestUser::User(user),
            auth: None,
        }
    }

    /// `(user, auth)`.
    pub fn with_auth(user: User, auth: Auth) -> Self {
        Authenticated {
            user: RequestUser::User(user),
            auth: Some(auth),
        }
    }
}

/// The outcome of authentication for one request.
#[derive(Clone, Debug)]
pub struct Identity {
    user: RequestUser,
    auth: Option<Auth>,
    authenticator: Option<&'static str>,
}

impl Identity {
    /// Nobody succeeded (DRF's `_not_authenticated`): `UNAUTHENTICATED_USER`,
    /// `UNAUTHENTICATED_TOKEN`, no authenticator.
    pub fn unauthenticated(user: UnauthenticatedUser, token: Option<Auth>) -> Self {
        Identity {
            user: user.user(),
            auth: token,
            authenticator: None,
        }
    }

    /// The class named `authenticator` succeeded with `outcome`.
    pub fn authenticated(outcome: Authenticated, authenticator: &'static str) -> Self {
        Identity {
            user: outcome.user,
            auth: outcome.auth,
            authenticator: Some(authenticator),
        }
    }

    /// `request.user`.
    pub fn user(&self) -> &RequestUser {
        &self.user
    }

    /// `request.auth` (the token for Token authentication, `None` otherwise).
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    /// The name of the class that authenticated the request, if any.
    pub fn successful_authenticator(&self) -> Option<&'static str> {
        self.authenticator
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    pub(crate) fn user(username: &str, is_staff: bool) -> User {
        User {
            id: 7,
            password: "pbkdf2_sha256$1$salt$hash".into(),
            last_login: None,
            is_superuser: false,
            username: username.into(),
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            is_staff,
            is_active: true,
            date_joined: NaiveDateTime::default(),
        }
    }

    #[test]
    fn anonymous_is_djangos() {
        let anon = UnauthenticatedUser::AnonymousUser.user();
        assert!(!anon.is_authenticated());
        assert!(!anon.is_staff());
        assert!(!anon.is_active());
        assert!(!anon.is_superuser());
        assert_eq!(anon.id(), None);
        assert_eq!(anon.username(), "");
        assert_eq!(anon.to_string(), "AnonymousUser");
        assert_eq!(UnauthenticatedUser::None.user().to_string(), "None");
        assert!(!UnauthenticatedUser::None.user().is_authenticated());
    }

    #[test]
    fn a_user_displays_as_its_username_and_debug_hides_the_hash() {
        let u = RequestUser::User(user("alice", true));
        assert_eq!(u.to_string(), "alice");
        assert!(u.is_authenticated() && u.is_staff() && u.is_active());
        let debug = format!("{u:?}");
        assert!(debug.contains("alice"));
        assert!(!debug.contains("pbkdf2"), "{debug}");
    }

    #[test]
    fn token_debug_hides_the_key() {
        let auth = Auth::Token(Token {
            key: "0123456789abcdef0123456789abcdef01234567".into(),
            user_id: 1,
            created: NaiveDateTime::default(),
        });
        let debug = format!("{auth:?}");
        assert!(!debug.contains("0123456789"), "{debug}");
        assert!(auth.as_token().is_some());
        assert!(auth.downcast_ref::<u8>().is_none());
        let custom = Auth::Custom(Arc::new(5u8));
        assert_eq!(custom.downcast_ref::<u8>(), Some(&5));
    }

    #[test]
    fn identity_records_the_authenticator() {
        let id = Identity::authenticated(
            Authenticated::user(user("bob", false)),
            "BasicAuthentication",
        );
        assert_eq!(id.successful_authenticator(), Some("BasicAuthentication"));
        assert_eq!(id.user().to_string(), "bob");
        assert!(id.auth().is_none());
        let anon = Identity::unauthenticated(UnauthenticatedUser::AnonymousUser, None);
        assert_eq!(anon.successful_authenticator(), None);
    }
}

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

/// `request.user`: a user row, a user known only from a signed token
/// (simplejwt's `TokenUser`), Django's `AnonymousUser`, or `None` (when
/// `UNAUTHENTICATED_USER` is `None`, or a credential belongs to no user, as
/// an OAuth client-credentials token).
#[derive(Clone)]
#[non_exhaustive]
pub enum RequestUser {
    /// An authenticated user.
    User(User),
    /// An authenticated user known only from a token's claims: no query
    /// was made (simplejwt's `JWTStatelessUserAuthentication`).
    Stateless(StatelessUser),
    /// Nobody authenticated.
    Anonymous(AnonymousUser),
    /// Nobody authenticated and `UNAUTHENTICATED_USER = None`.
    None,
}

/// A user known only from a token's claims (simplejwt's `TokenUser`): the
/// id as the token carries it, and what the claims say about it.
#[derive(Clone)]
#[non_exhaustive]
pub struct StatelessUser {
    /// The user id claim, as a string (simplejwt writes `str(user.pk)`).
    pub id: String,
    /// The `username` claim (`""` without one).
    pub username: String,
    /// The `is_staff` claim (false without one).
    pub is_staff: bool,
    /// The `is_superuser` claim (false without one).
    pub is_superuser: bool,
    /// `str(user)` is `"<kind> <id>"` (simplejwt: `TokenUser 42`).
    pub kind: &'static str,
    /// The whole token or claims, for the family that made it.
    pub claims: Option<Arc<dyn Any + Send + Sync>>,
}

impl StatelessUser {
    /// A user with this id, displayed as `"<kind> <id>"`; no other claim.
    pub fn new(kind: &'static str, id: impl Into<String>) -> Self {
        StatelessUser {
            id: id.into(),
            username: String::new(),
            is_staff: false,
            is_superuser: false,
            kind,
            claims: None,
        }
    }

    /// The claims as a `T`, if that is what the family stored.
    pub fn claims<T: Any>(&self) -> Option<&T> {
        self.claims.as_deref()?.downcast_ref::<T>()
    }
}

impl fmt::Debug for StatelessUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatelessUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_staff", &self.is_staff)
            .field("is_superuser", &self.is_superuser)
            .finish_non_exhaustive()
    }
}

impl RequestUser {
    /// The user row, when authenticated by a class that loaded it.
    pub fn user(&self) -> Option<&User> {
        match self {
            RequestUser::User(user) => Some(user),
            _ => None,
        }
    }

    /// The token's user, when authenticated without a query.
    pub fn stateless(&self) -> Option<&StatelessUser> {
        match self {
            RequestUser::Stateless(user) => Some(user),
            _ => None,
        }
    }

    /// `bool(request.user and request.user.is_authenticated)`.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, RequestUser::User(_) | RequestUser::Stateless(_))
    }

    /// `bool(request.user and request.user.is_staff)` (what `IsAdminUser` checks).
    pub fn is_staff(&self) -> bool {
        match self {
            RequestUser::User(user) => user.is_staff,
            RequestUser::Stateless(user) => user.is_staff,
            _ => false,
        }
    }

    /// `is_superuser` (false when not authenticated).
    pub fn is_superuser(&self) -> bool {
        match self {
            RequestUser::User(user) => user.is_superuser,
            RequestUser::Stateless(user) => user.is_superuser,
            _ => false,
        }
    }

    /// `is_active` (false for `AnonymousUser`; true for a token's user, as
    /// simplejwt's `TokenUser.is_active`).
    pub fn is_active(&self) -> bool {
        match self {
            RequestUser::User(user) => user.is_active,
            RequestUser::Stateless(_) => true,
            _ => false,
        }
    }

    /// The primary key (`None` when not authenticated, or when a token's
    /// user id is not an integer).
    pub fn id(&self) -> Option<i32> {
        match self {
            RequestUser::User(user) => Some(user.id),
            RequestUser::Stateless(user) => user.id.parse().ok(),
            _ => None,
        }
    }

    /// The username (`""` when not authenticated, as Django's `AnonymousUser.username`).
    pub fn username(&self) -> &str {
        match self {
            RequestUser::User(user) => &user.username,
            RequestUser::Stateless(user) => &user.username,
            _ => "",
        }
    }
}

/// `str(request.user)`: the username, `TokenUser <id>`, `AnonymousUser`, or `None`.
impl fmt::Display for RequestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestUser::User(user) => f.write_str(&user.username),
            RequestUser::Stateless(user) => write!(f, "{} {}", user.kind, user.id),
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
            RequestUser::Stateless(user) => fmt::Debug::fmt(user, f),
            RequestUser::Anonymous(anon) => fmt::Debug::fmt(anon, f),
            RequestUser::None => f.write_str("None"),
        }
    }
}

/// `request.auth`: the credential that authenticated the request.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// `TokenAuthentication`: the token row.
    Token(Token),
    /// Anything a custom class (or a custom token model) chooses to return.
    Custom(Arc<dyn Any + Send + Sync>),
}

impl Auth {
    /// A family's own credential (a knox token, a JWT, an OAuth access
    /// token), read back with [`Self::get`].
    pub fn custom<T: Any + Send + Sync>(value: T) -> Self {
        Auth::Custom(Arc::new(value))
    }

    /// The credential, if it is a `T` (`auth.get::<KnoxToken>()`).
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.downcast_ref::<T>()
    }

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
#[non_exhaustive]
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

    /// `(token_user, auth)`: a user known from the token alone.
    pub fn stateless(user: StatelessUser, auth: Option<Auth>) -> Self {
        Authenticated {
            user: RequestUser::Stateless(user),
            auth,
        }
    }

    /// `(None, auth)`: a credential that belongs to no user (an OAuth
    /// client-credentials token). `request.user` is `None`, so
    /// `IsAuthenticated` refuses it, as in DRF.
    pub fn without_user(auth: Auth) -> Self {
        Authenticated {
            user: RequestUser::None,
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
    fn a_token_user_and_a_userless_token() {
        let mut token_user = StatelessUser::new("TokenUser", "42");
        token_user.is_staff = true;
        token_user.claims = Some(Arc::new(7u64));
        let stateless = Authenticated::stateless(token_user, None).user;
        assert!(stateless.is_authenticated() && stateless.is_staff() && stateless.is_active());
        assert!(!stateless.is_superuser());
        assert_eq!(stateless.id(), Some(42));
        assert_eq!(stateless.to_string(), "TokenUser 42");
        assert_eq!(
            stateless.stateless().and_then(|u| u.claims::<u64>()),
            Some(&7)
        );
        assert!(
            !format!("{stateless:?}").contains('7'),
            "claims stay out of Debug"
        );

        let client = Authenticated::without_user(Auth::custom("client-token"));
        assert!(!client.user.is_authenticated());
        assert_eq!(client.user.to_string(), "None");
        assert_eq!(
            client.auth.as_ref().and_then(Auth::get::<&str>),
            Some(&"client-token")
        );
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

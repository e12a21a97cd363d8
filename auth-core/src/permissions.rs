//! DRF's permission classes and their algebra (`rest_framework.permissions`).
//!
//! A [`Permission`] answers `has_permission` for the view and
//! `has_object_permission` for one object. Permissions compose with `&`, `|`
//! and `!` (DRF's `&`, `|` and `~`, same precedence) into [`And`], [`Or`] and
//! [`Not`], which can also be written out by name:
//!
//! ```
//! use auth_core::permissions::{IsAdminUser, IsAuthenticated, Or, ReadOnly};
//!
//! let by_operator = IsAdminUser | ReadOnly;
//! let by_name: Or<IsAdminUser, ReadOnly> = Or(IsAdminUser, ReadOnly);
//! # let _ = (by_operator, by_name, !IsAuthenticated & ReadOnly);
//! ```
//!
//! The semantics are DRF's exactly: `&` and `|` short-circuit; an `|` grants an
//! object only through an operand whose `has_permission` also holds; `!`
//! negates the object check too; compositions have no `message` of their own.
//!
//! The checks are synchronous and free. A permission that needs data the
//! request does not carry (the user's Django permissions, one query) says so
//! in [`Permission::needs`]; the pipeline loads each needed [`Preloaded`]
//! value once per request, before any check, and the permission reads it
//! with [`PermissionRequest::loaded`].

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

use crate::error::{messages, AuthError, Text};
use crate::identity::{Auth, Identity, RequestUser};
use crate::store::{AuthStore, StoreError};
use crate::view::{ViewConfig, NO_VIEW_CONFIG};

/// DRF's `SAFE_METHODS`.
pub const SAFE_METHODS: [&str; 3] = ["GET", "HEAD", "OPTIONS"];

/// What a permission sees of the request: the method, the authentication
/// outcome, the view's attributes, what the pipeline preloaded, and the web
/// framework's own request (for anything else).
#[derive(Clone, Copy)]
pub struct PermissionRequest<'a> {
    method: &'a str,
    identity: &'a Identity,
    request: &'a (dyn Any + 'static),
    view: &'a ViewConfig,
    loaded: &'a Loaded,
}

impl<'a> PermissionRequest<'a> {
    /// A request with the given method and identity; `request` is the web
    /// framework's request object, reachable again through [`Self::request`].
    /// The view has no attributes and nothing is preloaded until
    /// [`Self::with_view`] and [`Self::with_loaded`] say otherwise.
    pub fn new(method: &'a str, identity: &'a Identity, request: &'a (dyn Any + 'static)) -> Self {
        PermissionRequest {
            method,
            identity,
            request,
            view: &NO_VIEW_CONFIG,
            loaded: &NOTHING_LOADED,
        }
    }

    /// The same request for a view with these attributes.
    pub fn with_view(self, view: &'a ViewConfig) -> Self {
        PermissionRequest { view, ..self }
    }

    /// The same request with these preloaded values.
    pub fn with_loaded(self, loaded: &'a Loaded) -> Self {
        PermissionRequest { loaded, ..self }
    }

    /// The view's attributes (DRF's `view` argument): `throttle_scope`,
    /// `required_scopes`, the model.
    pub fn view(&self) -> &'a ViewConfig {
        self.view
    }

    /// A value the pipeline preloaded because a permission of the view
    /// [`needs`](Permission::needs) it; `None` when nobody asked for it.
    pub fn loaded<T: Preloaded>(&self) -> Option<&'a T> {
        self.loaded.get::<T>()
    }

    /// The HTTP method, as sent (DRF compares it case-sensitively).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// `request.method in SAFE_METHODS`.
    pub fn is_safe_method(&self) -> bool {
        SAFE_METHODS.contains(&self.method)
    }

    /// `request.user`.
    pub fn user(&self) -> &'a RequestUser {
        self.identity.user()
    }

    /// `request.auth`.
    pub fn auth(&self) -> Option<&'a Auth> {
        self.identity.auth()
    }

    /// The whole authentication outcome.
    pub fn identity(&self) -> &'a Identity {
        self.identity
    }

    /// The framework's request object, if it is a `T` (e.g. actix-web's `HttpRequest`).
    pub fn request<T: Any>(&self) -> Option<&'a T> {
        self.request.downcast_ref::<T>()
    }
}

impl fmt::Debug for PermissionRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermissionRequest")
            .field("method", &self.method)
            .field("identity", self.identity)
            .finish_non_exhaustive()
    }
}

/// A permission class (DRF's `BasePermission`). Both checks allow by default.
///
/// ```
/// use auth_core::permissions::{Permission, PermissionRequest};
/// use std::borrow::Cow;
///
/// /// Only `alice` may pass.
/// #[derive(Default)]
/// struct IsAlice;
///
/// impl Permission for IsAlice {
///     fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
///         request.user().username() == "alice"
///     }
///     fn message(&self) -> Option<Cow<'static, str>> {
///         Some("Only Alice may do this.".into())
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a permission class",
    label = "not a permission class",
    note = "implement `Permission` for `{Self}` (and `Default`), or, if it is an authentication class, list it in `#[authentication_classes(..)]`"
)]
pub trait Permission: Send + Sync + 'static {
    /// Whether the request may reach the view.
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        let _ = request;
        true
    }

    /// Whether the request may act on `obj` (checked when a view asks for it).
    fn has_object_permission(&self, request: &PermissionRequest<'_>, obj: &dyn Any) -> bool {
        let _ = (request, obj);
        true
    }

    /// [`has_permission`](Self::has_permission) for a permission that can
    /// raise instead of answering, as DRF's permissions raise
    /// (`DjangoModelPermissions` raises `MethodNotAllowed` for a method
    /// outside its `perms_map`): an `Err` ends the checks with that error,
    /// through `&`, `|` and `!` as a Python exception goes through them.
    /// Implement this instead of `has_permission` only to raise.
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        Ok(self.has_permission(request))
    }

    /// [`has_object_permission`](Self::has_object_permission) that can
    /// raise (`DjangoObjectPermissions` raises `Http404` to hide an object
    /// the user may not read).
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        Ok(self.has_object_permission(request, obj))
    }

    /// The denial message (DRF's `message` attribute); `None` gives
    /// "You do not have permission to perform this action."
    fn message(&self) -> Option<Text> {
        None
    }

    /// The denial code (DRF's `code` attribute); not shown in the body.
    fn code(&self) -> Option<Text> {
        None
    }

    /// What must be loaded before the checks: add each [`Preloaded`] type
    /// the checks read with [`PermissionRequest::loaded`]. The pipeline
    /// loads the union of a view's needs once per request.
    fn needs(&self, needs: &mut Needs) {
        let _ = needs;
    }
}

/// Data some permissions need before their synchronous checks, loaded by
/// the pipeline once per request however many permissions name it (DRF's
/// `DjangoModelPermissions` reads the user's permissions, one query, through
/// this).
///
/// ```
/// use auth_core::identity::Identity;
/// use auth_core::permissions::{Needs, Permission, PermissionRequest, Preloaded};
/// use auth_core::{AuthStore, StoreError};
///
/// /// How many tokens the user holds.
/// struct TokenCount(usize);
///
/// impl Preloaded for TokenCount {
///     fn without_query(identity: &Identity) -> Option<Self> {
///         // Nobody to count for: no query.
///         (!identity.user().is_authenticated()).then_some(TokenCount(0))
///     }
///     fn load(identity: &Identity, store: &AuthStore) -> Result<Self, StoreError> {
///         let id = identity.user().id().unwrap_or_default();
///         Ok(TokenCount(store.token_for_user(id)?.into_iter().count()))
///     }
/// }
///
/// #[derive(Default)]
/// struct HasToken;
///
/// impl Permission for HasToken {
///     fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
///         request.loaded::<TokenCount>().is_some_and(|count| count.0 > 0)
///     }
///     fn needs(&self, needs: &mut Needs) {
///         needs.add::<TokenCount>();
///     }
/// }
/// ```
pub trait Preloaded: Sized + Send + Sync + 'static {
    /// The value when the identity alone decides it (e.g. an anonymous user
    /// has no permissions): no query and no hop to the blocking pool.
    fn without_query(identity: &Identity) -> Option<Self> {
        let _ = identity;
        None
    }

    /// The query, run on the blocking pool. A [`StoreError`] fails the
    /// request closed (503 when the database is unavailable).
    fn load(identity: &Identity, store: &AuthStore) -> Result<Self, StoreError>;
}

type Erased = Box<dyn Any + Send + Sync>;

/// One [`Preloaded`] type, erased.
#[derive(Clone, Copy)]
struct Need {
    type_id: TypeId,
    name: &'static str,
    without_query: fn(&Identity) -> Option<Erased>,
    load: fn(&Identity, &AuthStore) -> Result<Erased, StoreError>,
}

/// The [`Preloaded`] types a view's permissions need (a set: each is loaded once).
#[derive(Clone, Default)]
pub struct Needs(Vec<Need>);

impl Needs {
    /// Nothing needed.
    pub const fn new() -> Self {
        Needs(Vec::new())
    }

    /// The needs of `permissions`.
    pub fn of<L: PermissionList + ?Sized>(permissions: &L) -> Self {
        let mut needs = Needs::new();
        permissions.needs(&mut needs);
        needs
    }

    /// Add `T` (once).
    pub fn add<T: Preloaded>(&mut self) {
        let type_id = TypeId::of::<T>();
        if self.0.iter().any(|need| need.type_id == type_id) {
            return;
        }
        self.0.push(Need {
            type_id,
            name: std::any::type_name::<T>(),
            without_query: |identity| T::without_query(identity).map(|v| Box::new(v) as Erased),
            load: |identity, store| {
                let value = match T::without_query(identity) {
                    Some(value) => value,
                    None => T::load(identity, store)?,
                };
                Ok(Box::new(value) as Erased)
            },
        });
    }

    /// Whether nothing is needed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every value, when none needs a query for this identity; `None` when
    /// one does (then call [`Self::load`] on the blocking pool).
    pub fn without_query(&self, identity: &Identity) -> Option<Loaded> {
        let mut loaded = Loaded(Vec::with_capacity(self.0.len()));
        for need in &self.0 {
            loaded
                .0
                .push((need.type_id, (need.without_query)(identity)?));
        }
        Some(loaded)
    }

    /// Every value, querying `store` where needed. Blocking.
    pub fn load(&self, identity: &Identity, store: &AuthStore) -> Result<Loaded, StoreError> {
        let mut loaded = Loaded(Vec::with_capacity(self.0.len()));
        for need in &self.0 {
            loaded.0.push((need.type_id, (need.load)(identity, store)?));
        }
        Ok(loaded)
    }
}

impl fmt::Debug for Needs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|need| need.name))
            .finish()
    }
}

/// The values the pipeline preloaded for one request.
#[derive(Default)]
pub struct Loaded(Vec<(TypeId, Erased)>);

/// Nothing preloaded.
static NOTHING_LOADED: Loaded = Loaded(Vec::new());

impl Loaded {
    /// Add (or replace) a value: for a hand-written pipeline, or to check
    /// permissions in a test without a database.
    pub fn insert<T: Preloaded>(&mut self, value: T) {
        let type_id = TypeId::of::<T>();
        self.0.retain(|(id, _)| *id != type_id);
        self.0.push((type_id, Box::new(value)));
    }

    /// The `T` loaded, if one was needed.
    pub fn get<T: Preloaded>(&self) -> Option<&T> {
        let type_id = TypeId::of::<T>();
        self.0
            .iter()
            .find(|(id, _)| *id == type_id)
            .and_then(|(_, value)| value.downcast_ref::<T>())
    }
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Loaded({} values)", self.0.len())
    }
}

/// A denial by one permission: its `message` and `code`, or the error it
/// raised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Denial {
    /// The permission's `message`.
    pub message: Option<Text>,
    /// The permission's `code`.
    pub code: Option<Text>,
    /// What the permission raised instead of answering (`Http404`,
    /// `MethodNotAllowed`): the response, whoever is authenticated.
    pub raised: Option<Box<AuthError>>,
}

impl Denial {
    /// The denial `permission` gives.
    pub fn of<P: Permission + ?Sized>(permission: &P) -> Self {
        Denial {
            message: permission.message(),
            code: permission.code(),
            raised: None,
        }
    }

    /// The answer of a `try_` check: `Ok` when granted, the denial otherwise.
    fn from_check<P: Permission + ?Sized>(
        permission: &P,
        check: Result<bool, AuthError>,
    ) -> Result<(), Denial> {
        match check {
            Ok(true) => Ok(()),
            Ok(false) => Err(Denial::of(permission)),
            Err(raised) => Err(Denial {
                raised: Some(Box::new(raised)),
                ..Denial::default()
            }),
        }
    }

    /// DRF's `permission_denied`: `NotAuthenticated` when the view has
    /// authentication classes and none succeeded (the message is then
    /// ignored); otherwise `PermissionDenied(message, code)`.
    pub fn into_error(self, has_authenticators: bool, identity: &Identity) -> AuthError {
        if let Some(raised) = self.raised {
            return *raised;
        }
        if has_authenticators && identity.successful_authenticator().is_none() {
            return AuthError::not_authenticated();
        }
        let err = AuthError::permission_denied_with(
            self.message
                .unwrap_or(std::borrow::Cow::Borrowed(messages::PERMISSION_DENIED)),
        );
        match self.code {
            Some(code) => err.with_code(code),
            None => err,
        }
    }
}

/// An ordered list of permissions: the implicit AND of DRF's
/// `permission_classes`, where the first denial decides.
pub trait PermissionList: Send + Sync + 'static {
    /// `check_permissions`: every `has_permission`, in order.
    fn check_permissions(&self, request: &PermissionRequest<'_>) -> Result<(), Denial>;
    /// `check_object_permissions`: every `has_object_permission`, in order.
    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<(), Denial>;
    /// The union of the permissions' [`Permission::needs`].
    fn needs(&self, needs: &mut Needs);
}

macro_rules! tuple_permission_list {
    ($($name:ident)*) => {
        impl<$($name: Permission),*> PermissionList for ($($name,)*) {
            #[allow(non_snake_case, unused_variables)]
            fn check_permissions(&self, request: &PermissionRequest<'_>) -> Result<(), Denial> {
                let ($($name,)*) = self;
                $(Denial::from_check($name, $name.try_has_permission(request))?;)*
                Ok(())
            }

            #[allow(non_snake_case, unused_variables)]
            fn check_object_permissions(
                &self,
                request: &PermissionRequest<'_>,
                obj: &dyn Any,
            ) -> Result<(), Denial> {
                let ($($name,)*) = self;
                $(Denial::from_check($name, $name.try_has_object_permission(request, obj))?;)*
                Ok(())
            }

            #[allow(non_snake_case, unused_variables)]
            fn needs(&self, needs: &mut Needs) {
                let ($($name,)*) = self;
                $($name.needs(needs);)*
            }
        }
    };
}

tuple_permission_list!();
tuple_permission_list!(P0);
tuple_permission_list!(P0 P1);
tuple_permission_list!(P0 P1 P2);
tuple_permission_list!(P0 P1 P2 P3);
tuple_permission_list!(P0 P1 P2 P3 P4);
tuple_permission_list!(P0 P1 P2 P3 P4 P5);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6 P7);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6 P7 P8);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6 P7 P8 P9);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 P10);
tuple_permission_list!(P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 P10 P11);

impl PermissionList for [DynPermission] {
    fn check_permissions(&self, request: &PermissionRequest<'_>) -> Result<(), Denial> {
        self.iter()
            .try_for_each(|p| Denial::from_check(p, p.try_has_permission(request)))
    }

    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<(), Denial> {
        self.iter()
            .try_for_each(|p| Denial::from_check(p, p.try_has_object_permission(request, obj)))
    }

    fn needs(&self, needs: &mut Needs) {
        for permission in self {
            permission.needs(needs);
        }
    }
}

impl PermissionList for Vec<DynPermission> {
    fn check_permissions(&self, request: &PermissionRequest<'_>) -> Result<(), Denial> {
        self.as_slice().check_permissions(request)
    }

    fn check_object_permissions(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<(), Denial> {
        self.as_slice().check_object_permissions(request, obj)
    }

    fn needs(&self, needs: &mut Needs) {
        self.as_slice().needs(needs);
    }
}

/// A shared, type-erased permission, for lists chosen at run time (the
/// app-wide `DEFAULT_PERMISSION_CLASSES`). Composes with `&`, `|` and `!` too.
#[derive(Clone)]
pub struct DynPermission(Arc<dyn Permission>);

impl DynPermission {
    /// Erase `permission`'s type.
    pub fn new<P: Permission>(permission: P) -> Self {
        DynPermission(Arc::new(permission))
    }
}

impl fmt::Debug for DynPermission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DynPermission(..)")
    }
}

impl Permission for DynPermission {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        self.0.has_permission(request)
    }
    fn has_object_permission(&self, request: &PermissionRequest<'_>, obj: &dyn Any) -> bool {
        self.0.has_object_permission(request, obj)
    }
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        self.0.try_has_permission(request)
    }
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        self.0.try_has_object_permission(request, obj)
    }
    fn message(&self) -> Option<Text> {
        self.0.message()
    }
    fn code(&self) -> Option<Text> {
        self.0.code()
    }
    fn needs(&self, needs: &mut Needs) {
        self.0.needs(needs);
    }
}

/// `has_permission` and `has_object_permission` for a permission that
/// implements the `try_` checks (what raises counts as a denial).
macro_rules! answers_from_try {
    ($($answer:ident),+) => {$(answers_from_try!(@ $answer);)+};
    (@ has_permission) => {
        fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
            self.try_has_permission(request).unwrap_or(false)
        }
    };
    (@ has_object_permission) => {
        fn has_object_permission(&self, request: &PermissionRequest<'_>, obj: &dyn Any) -> bool {
            self.try_has_object_permission(request, obj).unwrap_or(false)
        }
    };
}
pub(crate) use answers_from_try;

/// `AllowAny`: always allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllowAny;

impl Permission for AllowAny {}

/// `IsAuthenticated`: `request.user.is_authenticated`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsAuthenticated;

impl Permission for IsAuthenticated {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.user().is_authenticated()
    }
}

/// `IsAdminUser`: `request.user.is_staff` (not `is_superuser`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsAdminUser;

impl Permission for IsAdminUser {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.user().is_staff()
    }
}

/// `IsAuthenticatedOrReadOnly`: a safe method, or an authenticated user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsAuthenticatedOrReadOnly;

impl Permission for IsAuthenticatedOrReadOnly {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.is_safe_method() || request.user().is_authenticated()
    }
}

/// `ReadOnly` from DRF's documentation: only `GET`, `HEAD` and `OPTIONS`
/// (useful in compositions such as `IsAdminUser | ReadOnly`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOnly;

impl Permission for ReadOnly {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.is_safe_method()
    }
}

/// `A & B` (DRF's `AND`): both, short-circuiting, for the view and for objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct And<A, B>(pub A, pub B);

impl<A: Permission, B: Permission> Permission for And<A, B> {
    answers_from_try!(has_permission, has_object_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        Ok(self.0.try_has_permission(request)? && self.1.try_has_permission(request)?)
    }
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        Ok(self.0.try_has_object_permission(request, obj)?
            && self.1.try_has_object_permission(request, obj)?)
    }
    fn needs(&self, needs: &mut Needs) {
        self.0.needs(needs);
        self.1.needs(needs);
    }
}

/// `A | B` (DRF's `OR`): either, short-circuiting. For objects an operand
/// grants access only if its `has_permission` holds too:
/// `(A.hp and A.hop) or (B.hp and B.hop)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Or<A, B>(pub A, pub B);

impl<A: Permission, B: Permission> Permission for Or<A, B> {
    answers_from_try!(has_permission, has_object_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        Ok(self.0.try_has_permission(request)? || self.1.try_has_permission(request)?)
    }
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        Ok((self.0.try_has_permission(request)?
            && self.0.try_has_object_permission(request, obj)?)
            || (self.1.try_has_permission(request)?
                && self.1.try_has_object_permission(request, obj)?))
    }
    fn needs(&self, needs: &mut Needs) {
        self.0.needs(needs);
        self.1.needs(needs);
    }
}

/// `!A` (DRF's `~A`, `NOT`): negates both checks, so for a class that does
/// not override `has_object_permission`, `!A` denies every object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Not<A>(pub A);

impl<A: Permission> Permission for Not<A> {
    answers_from_try!(has_permission, has_object_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        Ok(!self.0.try_has_permission(request)?)
    }
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        Ok(!self.0.try_has_object_permission(request, obj)?)
    }
    fn needs(&self, needs: &mut Needs) {
        self.0.needs(needs);
    }
}

/// Implement `&`, `|` and `!` for permission types, so that values compose as
/// in DRF (`IsAdminUser | ReadOnly`). The built-in permissions already have them.
///
/// ```
/// use auth_core::permissions::{IsAuthenticated, Permission};
///
/// #[derive(Default, Clone, Copy)]
/// struct IsOwner;
/// impl Permission for IsOwner {}
/// auth_core::permission_operators!(IsOwner);
///
/// let _composed = IsAuthenticated & !IsOwner;
/// ```
#[macro_export]
macro_rules! permission_operators {
    ($($ty:ty),+ $(,)?) => {$(
        impl<R: $crate::permissions::Permission> ::core::ops::BitAnd<R> for $ty {
            type Output = $crate::permissions::And<$ty, R>;
            fn bitand(self, rhs: R) -> Self::Output {
                $crate::permissions::And(self, rhs)
            }
        }
        impl<R: $crate::permissions::Permission> ::core::ops::BitOr<R> for $ty {
            type Output = $crate::permissions::Or<$ty, R>;
            fn bitor(self, rhs: R) -> Self::Output {
                $crate::permissions::Or(self, rhs)
            }
        }
        impl ::core::ops::Not for $ty {
            type Output = $crate::permissions::Not<$ty>;
            fn not(self) -> Self::Output {
                $crate::permissions::Not(self)
            }
        }
    )+};
}

permission_operators!(
    AllowAny,
    IsAuthenticated,
    IsAdminUser,
    IsAuthenticatedOrReadOnly,
    ReadOnly
);
permission_operators!(DynPermission);

macro_rules! generic_operators {
    ($ty:ident < $($p:ident),+ >) => {
        impl<$($p: Permission,)+ R: Permission> std::ops::BitAnd<R> for $ty<$($p),+> {
            type Output = And<Self, R>;
            fn bitand(self, rhs: R) -> Self::Output {
                And(self, rhs)
            }
        }
        impl<$($p: Permission,)+ R: Permission> std::ops::BitOr<R> for $ty<$($p),+> {
            type Output = Or<Self, R>;
            fn bitor(self, rhs: R) -> Self::Output {
                Or(self, rhs)
            }
        }
        impl<$($p: Permission),+> std::ops::Not for $ty<$($p),+> {
            type Output = Not<Self>;
            fn not(self) -> Self::Output {
                Not(self)
            }
        }
    };
}

generic_operators!(And<A, B>);
generic_operators!(Or<A, B>);
generic_operators!(Not<A>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::identity::tests::user;
    use crate::identity::{Authenticated, UnauthenticatedUser};
    use std::borrow::Cow;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn anon() -> Identity {
        Identity::unauthenticated(UnauthenticatedUser::AnonymousUser, None)
    }
    fn none_user() -> Identity {
        Identity::unauthenticated(UnauthenticatedUser::None, None)
    }
    fn member() -> Identity {
        Identity::authenticated(
            Authenticated::user(user("member", false)),
            "BasicAuthentication",
        )
    }
    fn staff() -> Identity {
        Identity::authenticated(
            Authenticated::user(user("staff", true)),
            "BasicAuthentication",
        )
    }
    fn hp<P: Permission>(p: &P, method: &str, id: &Identity) -> bool {
        p.has_permission(&PermissionRequest::new(method, id, &()))
    }
    fn hop<P: Permission>(p: &P, method: &str, id: &Identity) -> bool {
        p.has_object_permission(&PermissionRequest::new(method, id, &()), &0u8)
    }

    const METHODS: [&str; 8] = [
        "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE",
    ];

    #[test]
    fn drf_permission_table() {
        for m in METHODS {
            let safe = ["GET", "HEAD", "OPTIONS"].contains(&m);
            for id in [anon(), none_user(), member(), staff()] {
                let authed = id.user().is_authenticated();
                let is_staff = id.user().is_staff();
                assert!(hp(&AllowAny, m, &id));
                assert_eq!(hp(&IsAuthenticated, m, &id), authed);
                assert_eq!(hp(&IsAdminUser, m, &id), is_staff);
                assert_eq!(
                    hp(&IsAuthenticatedOrReadOnly, m, &id),
                    safe || authed,
                    "{m}"
                );
                assert_eq!(hp(&ReadOnly, m, &id), safe);
                for has_object in [
                    hop(&AllowAny, m, &id),
                    hop(&IsAuthenticated, m, &id),
                    hop(&IsAdminUser, m, &id),
                ] {
                    assert!(has_object, "object checks default to true");
                }
            }
        }
        // Case-sensitive, as DRF's `request.method in SAFE_METHODS`; TRACE is a write.
        assert!(!hp(&IsAuthenticatedOrReadOnly, "get", &anon()));
        assert!(!hp(&ReadOnly, "TRACE", &anon()));
    }

    /// A permission that counts its calls and answers fixed values.
    struct Probe {
        hp: bool,
        hop: bool,
        hp_calls: Arc<AtomicUsize>,
        hop_calls: Arc<AtomicUsize>,
    }
    impl Probe {
        fn new(hp: bool, hop: bool) -> Self {
            Probe {
                hp,
                hop,
                hp_calls: Arc::default(),
                hop_calls: Arc::default(),
            }
        }
    }
    impl Permission for Probe {
        fn has_permission(&self, _: &PermissionRequest<'_>) -> bool {
            self.hp_calls.fetch_add(1, Ordering::SeqCst);
            self.hp
        }
        fn has_object_permission(&self, _: &PermissionRequest<'_>, _: &dyn Any) -> bool {
            self.hop_calls.fetch_add(1, Ordering::SeqCst);
            self.hop
        }
        fn message(&self) -> Option<Text> {
            Some(Cow::Borrowed("probe message"))
        }
    }

    #[test]
    fn and_or_not_truth_tables() {
        let id = member();
        for a in [false, true] {
            for b in [false, true] {
                assert_eq!(
                    hp(&And(Probe::new(a, true), Probe::new(b, true)), "GET", &id),
                    a && b
                );
                assert_eq!(
                    hp(&Or(Probe::new(a, true), Probe::new(b, true)), "GET", &id),
                    a || b
                );
                assert_eq!(
                    hop(&And(Probe::new(true, a), Probe::new(true, b)), "GET", &id),
                    a && b
                );
            }
            assert_eq!(hp(&Not(Probe::new(a, true)), "GET", &id), !a);
            assert_eq!(hop(&Not(Probe::new(true, a)), "GET", &id), !a);
        }
    }

    #[test]
    fn and_short_circuits() {
        let (a, b) = (Probe::new(false, false), Probe::new(true, true));
        let (b_hp, b_hop) = (b.hp_calls.clone(), b.hop_calls.clone());
        let both = And(a, b);
        assert!(!hp(&both, "GET", &member()));
        assert!(!hop(&both, "GET", &member()));
        assert_eq!(b_hp.load(Ordering::SeqCst), 0);
        assert_eq!(b_hop.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn or_short_circuits() {
        let (a, b) = (Probe::new(true, true), Probe::new(true, true));
        let b_hp = b.hp_calls.clone();
        assert!(hp(&Or(a, b), "GET", &member()));
        assert_eq!(b_hp.load(Ordering::SeqCst), 0);
    }

    /// DRF's `test_object_or_laziness`: `IsAuthenticated | AllowAny` for an
    /// anonymous user grants the object through AllowAny and never calls
    /// `IsAuthenticated`'s object check.
    #[test]
    fn or_object_laziness() {
        let first = Probe::new(false, true);
        let first_hop = first.hop_calls.clone();
        assert!(hop(&Or(first, AllowAny), "GET", &anon()));
        assert_eq!(first_hop.load(Ordering::SeqCst), 0);
        // And when the first operand grants, the second is never asked.
        let second = Probe::new(true, true);
        let (second_hp, second_hop) = (second.hp_calls.clone(), second.hop_calls.clone());
        assert!(hop(&Or(AllowAny, second), "GET", &anon()));
        assert_eq!(
            (
                second_hp.load(Ordering::SeqCst),
                second_hop.load(Ordering::SeqCst)
            ),
            (0, 0)
        );
    }

    /// DRF's `test_unimplemented_has_object_permission`: an operand whose
    /// `has_permission` is false cannot grant an object, although its
    /// `has_object_permission` defaults to true.
    #[test]
    fn or_object_rule_requires_has_permission() {
        struct IsAuthenticatedUserOwner;
        impl Permission for IsAuthenticatedUserOwner {
            fn has_permission(&self, r: &PermissionRequest<'_>) -> bool {
                r.user().is_authenticated()
            }
            fn has_object_permission(&self, _: &PermissionRequest<'_>, _: &dyn Any) -> bool {
                false
            }
        }
        let composed = Or(IsAuthenticatedUserOwner, IsAdminUser);
        assert!(!hop(&composed, "GET", &anon()));
        assert!(hop(&composed, "GET", &staff()));
        assert!(!hop(&composed, "GET", &member()));
        // The naive `A.hop or B.hop` would have said yes here:
        assert!(!hop(
            &Or(Probe::new(false, true), Probe::new(false, true)),
            "GET",
            &member()
        ));
    }

    /// `~IsAdminUser` denies every object check, for everyone.
    #[test]
    fn not_denies_objects_when_the_operand_does_not_override() {
        for id in [anon(), member(), staff()] {
            assert!(!hop(&!IsAdminUser, "GET", &id));
        }
        assert!(hp(&!IsAdminUser, "GET", &member()));
        assert!(!hp(&!IsAdminUser, "GET", &staff()));
    }

    #[test]
    fn operators_have_drfs_precedence() {
        // `!` binds tighter than `&`, which binds tighter than `|`.
        let p = IsAdminUser | ReadOnly & !IsAuthenticated;
        let _: &Or<IsAdminUser, And<ReadOnly, Not<IsAuthenticated>>> = &p;
        assert!(hp(&p, "GET", &anon()));
        assert!(!hp(&p, "GET", &member()));
        assert!(hp(&p, "POST", &staff()));
        let q = (IsAdminUser | ReadOnly) & IsAuthenticated;
        assert!(!hp(&q, "GET", &anon()));
        assert!(hp(&q, "GET", &member()));
        let dynamic = DynPermission::new(IsAdminUser) | DynPermission::new(ReadOnly);
        assert!(hp(&dynamic, "GET", &anon()));
        assert!(!hp(&dynamic, "POST", &member()));
    }

    #[test]
    fn compositions_drop_messages() {
        assert_eq!(
            Probe::new(false, false).message().as_deref(),
            Some("probe message")
        );
        assert_eq!(And(Probe::new(false, false), AllowAny).message(), None);
        assert_eq!(
            Or(Probe::new(false, false), Probe::new(false, false)).message(),
            None
        );
        assert_eq!(Not(Probe::new(true, true)).message(), None);
    }

    #[test]
    fn a_list_is_an_ordered_and_and_the_first_denial_decides() {
        struct Deny(&'static str);
        impl Permission for Deny {
            fn has_permission(&self, _: &PermissionRequest<'_>) -> bool {
                false
            }
            fn has_object_permission(&self, _: &PermissionRequest<'_>, _: &dyn Any) -> bool {
                false
            }
            fn message(&self) -> Option<Text> {
                Some(Cow::Borrowed(self.0))
            }
            fn code(&self) -> Option<Text> {
                Some(Cow::Borrowed("denied"))
            }
        }
        let id = member();
        let req = PermissionRequest::new("GET", &id, &());
        let list = (AllowAny, Deny("first"), Deny("second"));
        let denial = list.check_permissions(&req).unwrap_err();
        assert_eq!(denial.message.as_deref(), Some("first"));
        assert_eq!(
            list.check_object_permissions(&req, &1u8)
                .unwrap_err()
                .message
                .as_deref(),
            Some("first")
        );
        assert_eq!(().check_permissions(&req), Ok(()));
        assert_eq!((AllowAny, IsAuthenticated).check_permissions(&req), Ok(()));

        let dynamic = vec![
            DynPermission::new(AllowAny),
            DynPermission::new(Deny("dyn")),
        ];
        assert_eq!(
            dynamic
                .check_permissions(&req)
                .unwrap_err()
                .message
                .as_deref(),
            Some("dyn")
        );
        assert_eq!(Vec::<DynPermission>::new().check_permissions(&req), Ok(()));
    }

    #[test]
    fn denial_becomes_not_authenticated_only_with_authenticators_and_nobody_authenticated() {
        let denial = Denial {
            message: Some(Cow::Borrowed("custom")),
            code: Some(Cow::Borrowed("c")),
            raised: None,
        };
        let err = denial.clone().into_error(true, &anon());
        assert_eq!(err.kind(), ErrorKind::NotAuthenticated);
        assert_eq!(
            err.to_string(),
            "Authentication credentials were not provided."
        );

        let err = denial.clone().into_error(false, &anon());
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!((err.to_string().as_str(), err.code()), ("custom", "c"));

        let err = denial.into_error(true, &member());
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);

        let err = Denial::default().into_error(true, &member());
        assert_eq!(
            err.to_string(),
            "You do not have permission to perform this action."
        );
        assert_eq!(err.code(), "permission_denied");
    }

    #[test]
    fn the_framework_request_is_reachable() {
        let id = anon();
        let req = PermissionRequest::new("GET", &id, &42u32);
        assert_eq!(req.request::<u32>(), Some(&42));
        assert_eq!(req.request::<String>(), None);
        assert!(format!("{req:?}").contains("GET"));
    }
}

//! Django's model permissions (`django.contrib.auth`'s `ModelBackend`) and
//! DRF's permission classes over them: `DjangoModelPermissions`,
//! `DjangoModelPermissionsOrAnonReadOnly` and `DjangoObjectPermissions`.
//!
//! A user's permissions are Django's `auth_permission` rows granted to the
//! user directly (`auth_user_user_permissions`) or through a group
//! (`auth_user_groups`, `auth_group_permissions`), named
//! `"<app_label>.<codename>"`. `ModelBackend`'s rules apply: an active
//! superuser has every permission, an inactive user none, and nobody has
//! an object permission through `ModelBackend` (an
//! [`ObjectPermissionBackend`] such as django-guardian's adds them).
//!
//! A view names its model with `#[view_config(model = "app_label.model")]`
//! (DRF reads it off the view's `queryset`). The pipeline loads the
//! permissions at most once per request, in one query, and only when the
//! identity does not decide alone (anonymous, inactive and superusers need
//! none).
//!
//! ```
//! use auth_core::model_permissions::{DjangoModelPermissions, UserPermissions};
//! use auth_core::permissions::{Needs, Permission};
//!
//! let mut needs = Needs::new();
//! DjangoModelPermissions::default().needs(&mut needs);
//! assert!(!needs.is_empty());
//! let alice = UserPermissions::granted(["polls.add_question"]);
//! assert!(alice.has_perm("polls.add_question"));
//! assert!(alice.has_perms(&[]));
//! assert!(!alice.has_perms(&["polls.add_question", "polls.delete_question"]));
//! ```

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use crate::error::AuthError;
use crate::identity::{Identity, RequestUser};
use crate::models::User;
use crate::permissions::{answers_from_try, Needs, Permission, PermissionRequest, Preloaded};
use crate::store::{AuthStore, StoreError};

/// What `ModelBackend` knows about the request's user: who they are and,
/// for an active user who is not a superuser, their permissions.
#[derive(Clone, PartialEq, Eq)]
pub struct UserPermissions(Holder);

#[derive(Clone, PartialEq, Eq)]
enum Holder {
    /// `AnonymousUser`, or an inactive user: no permission.
    Nobody,
    /// An active superuser: every permission.
    Superuser,
    /// A stateless token's user (simplejwt's `TokenUser`), whose
    /// `has_perm` and `has_perms` answer `False`, even for no permission.
    TokenUser,
    /// An active user and the permissions granted to them or their groups.
    Granted(BTreeSet<String>),
}

impl UserPermissions {
    /// An active user who is not a superuser, with these permissions.
    pub fn granted<S: Into<String>>(perms: impl IntoIterator<Item = S>) -> Self {
        UserPermissions(Holder::Granted(perms.into_iter().map(Into::into).collect()))
    }

    /// What the identity alone decides: `None` for an active user who is
    /// not a superuser (their grants must be loaded).
    pub fn of_identity(identity: &Identity) -> Option<Self> {
        Self::of_user(identity.user())
    }

    fn of_user(user: &RequestUser) -> Option<Self> {
        match user {
            RequestUser::User(user) if !user.is_active => Some(UserPermissions(Holder::Nobody)),
            RequestUser::User(user) if user.is_superuser => {
                Some(UserPermissions(Holder::Superuser))
            }
            RequestUser::User(_) => None,
            RequestUser::Stateless(_) => Some(UserPermissions(Holder::TokenUser)),
            _ => Some(UserPermissions(Holder::Nobody)),
        }
    }

    /// Django's `user.has_perm(perm)` under `ModelBackend`.
    pub fn has_perm(&self, perm: &str) -> bool {
        match &self.0 {
            Holder::Superuser => true,
            Holder::Granted(perms) => perms.contains(perm),
            Holder::Nobody | Holder::TokenUser => false,
        }
    }

    /// Django's `user.has_perms(perms)`: every one of them (so `true` for
    /// none, except for a `TokenUser`, as simplejwt answers).
    pub fn has_perms(&self, perms: &[&str]) -> bool {
        match self.0 {
            Holder::TokenUser => false,
            _ => perms.iter().all(|perm| self.has_perm(perm)),
        }
    }

    /// Django's `user.has_perms(perms, obj)`: an active superuser has every
    /// object permission; anyone else only what `backend` grants
    /// (`ModelBackend` grants none).
    pub fn has_object_perms<B: ObjectPermissionBackend + ?Sized>(
        &self,
        backend: &B,
        request: &PermissionRequest<'_>,
        perms: &[&str],
        obj: &dyn Any,
    ) -> bool {
        match self.0 {
            Holder::TokenUser => false,
            Holder::Superuser => true,
            _ => perms
                .iter()
                .all(|perm| backend.has_perm(request, perm, obj)),
        }
    }

    /// Whether the user is an active superuser.
    pub fn is_superuser(&self) -> bool {
        self.0 == Holder::Superuser
    }

    /// The permissions granted to an active user who is not a superuser
    /// (directly and through groups); empty for everyone else.
    pub fn granted_perms(&self) -> impl Iterator<Item = &str> {
        let perms = match &self.0 {
            Holder::Granted(perms) => Some(perms),
            _ => None,
        };
        perms.into_iter().flatten().map(String::as_str)
    }
}

impl fmt::Debug for UserPermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Holder::Nobody => f.write_str("UserPermissions(none)"),
            Holder::Superuser => f.write_str("UserPermissions(superuser)"),
            Holder::TokenUser => f.write_str("UserPermissions(token user)"),
            Holder::Granted(perms) => f.debug_tuple("UserPermissions").field(perms).finish(),
        }
    }
}

impl Preloaded for UserPermissions {
    fn without_query(identity: &Identity) -> Option<Self> {
        Self::of_identity(identity)
    }

    fn load(identity: &Identity, store: &AuthStore) -> Result<Self, StoreError> {
        match identity.user().user() {
            Some(user) => user.get_all_permissions(store),
            None => Ok(UserPermissions(Holder::Nobody)),
        }
    }
}

impl User {
    /// Django's `get_all_permissions()` as `ModelBackend` answers it (one
    /// query, none for inactive users and superusers). Blocking.
    pub fn get_all_permissions(&self, store: &AuthStore) -> Result<UserPermissions, StoreError> {
        match UserPermissions::of_user(&RequestUser::User(self.clone())) {
            Some(decided) => Ok(decided),
            None => Ok(UserPermissions(Holder::Granted(
                store.user_permissions(self.id)?,
            ))),
        }
    }

    /// Django's `user.has_perm(perm)`, `perm` as `"app_label.codename"`. Blocking.
    pub fn has_perm(&self, store: &AuthStore, perm: &str) -> Result<bool, StoreError> {
        Ok(self.get_all_permissions(store)?.has_perm(perm))
    }

    /// Django's `user.has_perms(perms)`. Blocking.
    pub fn has_perms(&self, store: &AuthStore, perms: &[&str]) -> Result<bool, StoreError> {
        Ok(self.get_all_permissions(store)?.has_perms(perms))
    }
}

/// An authentication backend's object permissions (django-guardian's
/// `ObjectPermissionBackend`): whether the request's user holds `perm` on
/// `obj`. Django asks it only for users who are not active superusers.
pub trait ObjectPermissionBackend: Send + Sync + 'static {
    /// `backend.has_perm(user, perm, obj)`.
    fn has_perm(&self, request: &PermissionRequest<'_>, perm: &str, obj: &dyn Any) -> bool;
}

/// Django's `ModelBackend`: no object permissions at all, so
/// `DjangoObjectPermissions` denies every object to everyone but active
/// superusers, as in DRF without django-guardian.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelBackend;

impl ObjectPermissionBackend for ModelBackend {
    fn has_perm(&self, _: &PermissionRequest<'_>, _: &str, _: &dyn Any) -> bool {
        false
    }
}

/// DRF's `perms_map`: the permissions each method needs, as templates with
/// `{app_label}` and `{model_name}`; a method it does not list is a 405.
pub trait PermsMap: Send + Sync + 'static {
    /// The templates for `method`, or `None` for a method not in the map.
    fn templates(method: &str) -> Option<&'static [&'static str]>;
}

/// DRF's own `perms_map`: nothing to read, `add` to create, `change` to
/// update, `delete` to delete.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrfPermsMap;

impl PermsMap for DrfPermsMap {
    fn templates(method: &str) -> Option<&'static [&'static str]> {
        Some(match method {
            "GET" | "OPTIONS" | "HEAD" => &[],
            "POST" => &["{app_label}.add_{model_name}"],
            "PUT" | "PATCH" => &["{app_label}.change_{model_name}"],
            "DELETE" => &["{app_label}.delete_{model_name}"],
            _ => return None,
        })
    }
}

/// DRF's `perms_map` with Django's `view` permission required to read
/// (the override DRF's documentation suggests: `GET` and `HEAD` need
/// `{app_label}.view_{model_name}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewPermsMap;

impl PermsMap for ViewPermsMap {
    fn templates(method: &str) -> Option<&'static [&'static str]> {
        match method {
            "GET" | "HEAD" => Some(&["{app_label}.view_{model_name}"]),
            _ => DrfPermsMap::templates(method),
        }
    }
}

/// `get_required_permissions(method, model)`.
fn required_permissions<M: PermsMap>(
    request: &PermissionRequest<'_>,
    method: &str,
    class: &str,
) -> Result<Vec<String>, AuthError> {
    let Some((app_label, model_name)) = request.view().model_label() else {
        // DRF's assertion that the view has a queryset: a 500.
        tracing::error!(
            "{class} needs the view's model: add #[view_config(model = \"app_label.model_name\")]"
        );
        return Err(AuthError::server_error());
    };
    let templates = M::templates(method).ok_or_else(|| AuthError::method_not_allowed(method))?;
    Ok(templates
        .iter()
        .map(|template| {
            template
                .replace("{app_label}", app_label)
                .replace("{model_name}", model_name)
        })
        .collect())
}

fn as_strs(perms: &[String]) -> Vec<&str> {
    perms.iter().map(String::as_str).collect()
}

/// DRF's `DjangoModelPermissions.has_permission`.
fn model_permission<M: PermsMap>(
    request: &PermissionRequest<'_>,
    authenticated_users_only: bool,
    class: &str,
) -> Result<bool, AuthError> {
    if authenticated_users_only && !request.user().is_authenticated() {
        return Ok(false);
    }
    let perms = required_permissions::<M>(request, request.method(), class)?;
    Ok(user_permissions(request).has_perms(&as_strs(&perms)))
}

/// The permissions the pipeline loaded (borrowed, not copied), or what the
/// identity decides (when a permission is checked outside the pipeline).
fn user_permissions<'a>(request: &PermissionRequest<'a>) -> Cow<'a, UserPermissions> {
    match request.loaded::<UserPermissions>() {
        Some(loaded) => Cow::Borrowed(loaded),
        // Not loaded (a hand-made request without the pipeline): what the
        // identity decides, else nothing granted.
        None => Cow::Owned(
            UserPermissions::of_identity(request.identity())
                .unwrap_or(UserPermissions(Holder::Nobody)),
        ),
    }
}

/// DRF's `DjangoModelPermissions`: an authenticated user holding the
/// Django permissions the method needs on the view's model (`POST`:
/// `add`, `PUT`/`PATCH`: `change`, `DELETE`: `delete`, reads: none; see
/// [`PermsMap`]). A method outside the map is a 405, a view without a
/// model a 500, as in DRF.
///
/// `DjangoModelPermissionsWith<M>` takes another [`PermsMap`] (DRF's
/// overridden `perms_map`), e.g. [`ViewPermsMap`].
pub type DjangoModelPermissions = DjangoModelPermissionsWith<DrfPermsMap>;

/// [`DjangoModelPermissions`] with the permissions of `M`.
pub struct DjangoModelPermissionsWith<M>(PhantomData<fn() -> M>);

/// DRF's `DjangoModelPermissionsOrAnonReadOnly`: the same, except that
/// anonymous users may read.
pub type DjangoModelPermissionsOrAnonReadOnly =
    DjangoModelPermissionsOrAnonReadOnlyWith<DrfPermsMap>;

/// [`DjangoModelPermissionsOrAnonReadOnly`] with the permissions of `M`.
pub struct DjangoModelPermissionsOrAnonReadOnlyWith<M>(PhantomData<fn() -> M>);

/// DRF's `DjangoObjectPermissions`: `DjangoModelPermissions` for the view,
/// and for each object the permissions the method needs on that object
/// through `B` (default [`ModelBackend`], which grants none: only active
/// superusers pass). A user who may not read the object gets a 404 rather
/// than learn it exists; one who may read but not change it, a 403.
///
/// `DjangoObjectPermissionsWith<B, M>` takes a backend granting object
/// permissions (django-guardian's role) and another [`PermsMap`].
pub type DjangoObjectPermissions = DjangoObjectPermissionsWith<ModelBackend, DrfPermsMap>;

/// [`DjangoObjectPermissions`] with the object permissions of `B` and the
/// permissions of `M`.
pub struct DjangoObjectPermissionsWith<B, M> {
    backend: B,
    map: PhantomData<fn() -> M>,
}

macro_rules! unit_impls {
    ($($name:ident),*) => {$(
        impl<M> Default for $name<M> {
            fn default() -> Self {
                $name(PhantomData)
            }
        }
        impl<M> Clone for $name<M> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<M> Copy for $name<M> {}
        impl<M> fmt::Debug for $name<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    )*};
}

unit_impls!(
    DjangoModelPermissionsWith,
    DjangoModelPermissionsOrAnonReadOnlyWith
);
crate::permission_operators!(
    DjangoModelPermissions,
    DjangoModelPermissionsOrAnonReadOnly,
    DjangoObjectPermissions
);

impl<M: PermsMap> Permission for DjangoModelPermissionsWith<M> {
    answers_from_try!(has_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        model_permission::<M>(request, true, "DjangoModelPermissions")
    }
    fn needs(&self, needs: &mut Needs) {
        needs.add::<UserPermissions>();
    }
}

impl<M: PermsMap> Permission for DjangoModelPermissionsOrAnonReadOnlyWith<M> {
    answers_from_try!(has_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        model_permission::<M>(request, false, "DjangoModelPermissionsOrAnonReadOnly")
    }
    fn needs(&self, needs: &mut Needs) {
        needs.add::<UserPermissions>();
    }
}

impl<B: ObjectPermissionBackend, M> DjangoObjectPermissionsWith<B, M> {
    /// Object permissions from `backend`.
    pub fn with_backend(backend: B) -> Self {
        DjangoObjectPermissionsWith {
            backend,
            map: PhantomData,
        }
    }
}

impl<B: ObjectPermissionBackend + Default, M> Default for DjangoObjectPermissionsWith<B, M> {
    fn default() -> Self {
        Self::with_backend(B::default())
    }
}

impl<B: fmt::Debug, M> fmt::Debug for DjangoObjectPermissionsWith<B, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DjangoObjectPermissions")
            .field(&self.backend)
            .finish()
    }
}

impl<B: ObjectPermissionBackend, M: PermsMap> Permission for DjangoObjectPermissionsWith<B, M> {
    answers_from_try!(has_permission, has_object_permission);
    fn try_has_permission(&self, request: &PermissionRequest<'_>) -> Result<bool, AuthError> {
        model_permission::<M>(request, true, "DjangoObjectPermissions")
    }
    fn try_has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn Any,
    ) -> Result<bool, AuthError> {
        let class = "DjangoObjectPermissions";
        let user = user_permissions(request);
        let perms = required_permissions::<M>(request, request.method(), class)?;
        if user.has_object_perms(&self.backend, request, &as_strs(&perms), obj) {
            return Ok(true);
        }
        // Whether the user may read the object decides between 403 and 404.
        if request.is_safe_method() {
            return Err(AuthError::not_found());
        }
        let read = required_permissions::<M>(request, "GET", class)?;
        if !user.has_object_perms(&self.backend, request, &as_strs(&read), obj) {
            return Err(AuthError::not_found());
        }
        Ok(false)
    }
    fn needs(&self, needs: &mut Needs) {
        needs.add::<UserPermissions>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::identity::tests::user;
    use crate::identity::{Authenticated, StatelessUser, UnauthenticatedUser};
    use crate::permissions::{And, IsAuthenticated, Loaded, Not, Or, PermissionList};
    use crate::view::ViewConfig;

    const USERS: ViewConfig = ViewConfig::new().with_model("auth.user");

    fn someone(superuser: bool, active: bool) -> Identity {
        let mut user = user("someone", false);
        user.is_superuser = superuser;
        user.is_active = active;
        Identity::authenticated(Authenticated::user(user), "BasicAuthentication")
    }

    fn anon() -> Identity {
        Identity::unauthenticated(UnauthenticatedUser::AnonymousUser, None)
    }

    /// `list`'s checks for `method` by `identity` holding `perms` (as the
    /// pipeline would have loaded them), on the `auth.user` view: the
    /// view's, or with `object` an object's.
    fn checked<L: PermissionList>(
        list: &L,
        object: bool,
        method: &str,
        identity: &Identity,
        perms: &[&str],
    ) -> Result<(), u16> {
        let mut loaded = Loaded::default();
        loaded.insert(
            UserPermissions::of_identity(identity)
                .unwrap_or_else(|| UserPermissions::granted(perms.iter().copied())),
        );
        let request = PermissionRequest::new(method, identity, &())
            .with_view(&USERS)
            .with_loaded(&loaded);
        let outcome = if object {
            list.check_object_permissions(&request, &"the object")
        } else {
            list.check_permissions(&request)
        };
        outcome.map_err(|denial| denial.into_error(false, identity).status())
    }

    fn check<L: PermissionList>(
        list: &L,
        method: &str,
        identity: &Identity,
        perms: &[&str],
    ) -> Result<(), u16> {
        checked(list, false, method, identity, perms)
    }

    fn check_object<L: PermissionList>(
        list: &L,
        method: &str,
        identity: &Identity,
        perms: &[&str],
    ) -> Result<(), u16> {
        checked(list, true, method, identity, perms)
    }

    #[test]
    fn model_backend_rules() {
        let grants = UserPermissions::granted(["auth.add_user", "auth.view_user"]);
        assert!(grants.has_perm("auth.add_user") && !grants.has_perm("auth.delete_user"));
        assert!(grants.has_perms(&["auth.add_user", "auth.view_user"]));
        assert!(!grants.has_perms(&["auth.add_user", "auth.delete_user"]));
        let superuser = UserPermissions::of_identity(&someone(true, true)).unwrap();
        assert!(superuser.has_perm("anything.at_all") && superuser.is_superuser());
        // Inactive users have no permission, superusers included; nor has AnonymousUser.
        for nobody in [someone(true, false), someone(false, false), anon()] {
            let perms = UserPermissions::of_identity(&nobody).unwrap();
            assert!(!perms.has_perm("auth.add_user"));
            assert!(perms.has_perms(&[]), "all([]) is True");
        }
        // An active user who is not a superuser needs the query.
        assert!(UserPermissions::of_identity(&someone(false, true)).is_none());
        // simplejwt's TokenUser: has_perm and has_perms are always False.
        let token_user = Identity::authenticated(
            Authenticated::stateless(StatelessUser::new("TokenUser", "7"), None),
            "JWTStatelessUserAuthentication",
        );
        let perms = UserPermissions::of_identity(&token_user).unwrap();
        assert!(!perms.has_perms(&[]) && !perms.has_perm("auth.add_user"));
    }

    #[test]
    fn drfs_perms_map() {
        let list = (DjangoModelPermissions::default(),);
        let member = someone(false, true);
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert_eq!(check(&list, method, &member, &[]), Ok(()), "{method}");
            assert_eq!(check(&list, method, &anon(), &[]), Err(403), "{method}");
        }
        for (method, perm) in [
            ("POST", "auth.add_user"),
            ("PUT", "auth.change_user"),
            ("PATCH", "auth.change_user"),
            ("DELETE", "auth.delete_user"),
        ] {
            assert_eq!(check(&list, method, &member, &[]), Err(403), "{method}");
            assert_eq!(check(&list, method, &member, &[perm]), Ok(()), "{method}");
            assert_eq!(
                check(&list, method, &someone(true, true), &[]),
                Ok(()),
                "{method}"
            );
            assert_eq!(
                check(&list, method, &someone(true, false), &[perm]),
                Err(403),
                "{method}"
            );
        }
        // A method outside the map: MethodNotAllowed, raised through the list.
        assert_eq!(check(&list, "TRACE", &member, &[]), Err(405));
        // Anonymous readers under OrAnonReadOnly; writes still need the permission.
        let ro = (DjangoModelPermissionsOrAnonReadOnly::default(),);
        assert_eq!(check(&ro, "GET", &anon(), &[]), Ok(()));
        assert_eq!(check(&ro, "POST", &anon(), &[]), Err(403));
        // The view permission variant.
        let view = (DjangoModelPermissionsWith::<ViewPermsMap>::default(),);
        assert_eq!(check(&view, "GET", &member, &[]), Err(403));
        assert_eq!(check(&view, "GET", &member, &["auth.view_user"]), Ok(()));
        assert_eq!(check(&view, "OPTIONS", &member, &[]), Ok(()));
    }

    #[test]
    fn a_view_without_a_model_is_a_server_error() {
        let identity = someone(false, true);
        let loaded = Loaded::default();
        let request = PermissionRequest::new("POST", &identity, &()).with_loaded(&loaded);
        let denial = (DjangoModelPermissions::default(),)
            .check_permissions(&request)
            .unwrap_err();
        assert_eq!(
            denial.into_error(false, &identity).kind(),
            ErrorKind::Server
        );
    }

    /// Grants `auth.view_user` on every object, and nothing else.
    #[derive(Default)]
    struct ReadOnlyObjects;

    impl ObjectPermissionBackend for ReadOnlyObjects {
        fn has_perm(&self, _: &PermissionRequest<'_>, perm: &str, obj: &dyn Any) -> bool {
            perm == "auth.view_user" && obj.downcast_ref::<&str>() == Some(&"the object")
        }
    }

    #[test]
    fn object_permissions_hide_what_cannot_be_read() {
        let member = someone(false, true);
        // ModelBackend: no object permissions. Reads need none (GET maps to []).
        let model = (DjangoObjectPermissions::default(),);
        assert_eq!(check_object(&model, "GET", &member, &[]), Ok(()));
        // A write without the object permission, by a user who may read: 403.
        assert_eq!(
            check_object(&model, "PUT", &member, &["auth.change_user"]),
            Err(403)
        );
        assert_eq!(
            check_object(&model, "DELETE", &someone(true, true), &[]),
            Ok(())
        );

        // Reads need the view permission: whoever cannot read gets a 404.
        let guarded = (DjangoObjectPermissionsWith::<ReadOnlyObjects, ViewPermsMap>::default(),);
        assert_eq!(check_object(&guarded, "GET", &member, &[]), Ok(()));
        assert_eq!(check_object(&guarded, "PATCH", &member, &[]), Err(403));
        let blind = (DjangoObjectPermissionsWith::<ModelBackend, ViewPermsMap>::default(),);
        assert_eq!(check_object(&blind, "GET", &member, &[]), Err(404));
        assert_eq!(check_object(&blind, "PATCH", &member, &[]), Err(404));
        // The 404 goes through a composition as DRF's Http404 does.
        let either = (Or(
            IsAuthenticated,
            DjangoObjectPermissionsWith::<ModelBackend, ViewPermsMap>::default(),
        ),);
        assert_eq!(
            check_object(&either, "GET", &member, &[]),
            Ok(()),
            "IsAuthenticated grants first"
        );
        let both = (And(
            IsAuthenticated,
            DjangoObjectPermissionsWith::<ModelBackend, ViewPermsMap>::default(),
        ),);
        assert_eq!(check_object(&both, "GET", &member, &[]), Err(404));
        let negated = (Not(
            DjangoObjectPermissionsWith::<ModelBackend, ViewPermsMap>::default(),
        ),);
        assert_eq!(check_object(&negated, "GET", &member, &[]), Err(404));
    }
}

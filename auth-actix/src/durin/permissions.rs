//! Durin's client permissions (`durin.permissions`): abstract in Durin
//! (subclass with `allowed_clients_name`), a type parameter here.

use std::fmt;
use std::marker::PhantomData;

use auth_core::durin::DurinAuth;
use auth_core::permissions::{Permission, PermissionRequest};

/// The client names a permission lists (Durin's `allowed_clients_name` /
/// `disallowed_clients_name`).
///
/// ```
/// use auth_actix::durin::{AllowSpecificClients, ClientNames};
///
/// struct Mobile;
/// impl ClientNames for Mobile {
///     const NAMES: &'static [&'static str] = &["ios", "android"];
/// }
/// type MobileOnly = AllowSpecificClients<Mobile>;
/// ```
pub trait ClientNames: Send + Sync + 'static {
    /// The names.
    const NAMES: &'static [&'static str];
}

/// The request's Durin client name, if it was authenticated by a Durin token.
fn client_name<'a>(request: &PermissionRequest<'a>) -> Option<&'a str> {
    request
        .auth()
        .and_then(|auth| auth.get::<DurinAuth>())
        .map(|auth| auth.client_name.as_str())
}

/// Durin's `AllowSpecificClients`: only requests authenticated by a Durin
/// token of one of `C::NAMES`. Without a Durin token, denied (Durin denies
/// without `request.auth`, and fails with a 500 on another class's token).
pub struct AllowSpecificClients<C>(PhantomData<fn() -> C>);

/// Durin's `DisallowSpecificClients`: requests authenticated by a Durin
/// token of a client not in `C::NAMES`. Without a Durin token, denied.
pub struct DisallowSpecificClients<C>(PhantomData<fn() -> C>);

macro_rules! client_permission {
    ($name:ident, $allowed:expr) => {
        impl<C> Default for $name<C> {
            fn default() -> Self {
                $name(PhantomData)
            }
        }

        impl<C> fmt::Debug for $name<C> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl<C: ClientNames> Permission for $name<C> {
            fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
                let allowed: fn(bool) -> bool = $allowed;
                client_name(request).is_some_and(|name| allowed(C::NAMES.contains(&name)))
            }
        }
    };
}

client_permission!(AllowSpecificClients, |listed| listed);
client_permission!(DisallowSpecificClients, |listed| !listed);

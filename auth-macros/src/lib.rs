#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate proc_macro;

mod expand;
mod format;
mod parse;
mod validate;

use proc_macro::TokenStream;

use parse::Kind;

/// DRF's `@api_view`: the methods a view implements.
///
/// `#[api_view(GET, POST)]` runs authentication and permissions on every
/// request, then calls the function for `GET` and `POST`, answers `OPTIONS`
/// with the view's metadata, and gives DRF's 405 with an `Allow` header for
/// any other method. `#[api_view]` alone means `GET`. `HEAD` is a method of
/// its own, as in DRF: list it to serve it.
///
/// On an `impl` block it makes a class-based view (DRF's `APIView`): each
/// `async fn get/post/put/patch/delete/head/options/trace` is a handler.
///
/// Options follow the methods: `path = "/notes/"` makes a function view a
/// unit struct registered at that path by `.service(view)` (and still a
/// handler for `web::resource(..).to(view)`), `description = "…"` replaces
/// the doc comment in `OPTIONS` answers, and `metadata = CONST` names an
/// `auth_actix::metadata::Metadata` (the view's media types and serializer
/// fields for `OPTIONS`): `#[api_view(GET, POST, path = "/notes/")]`.
#[proc_macro_attribute]
pub fn api_view(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::ApiView, args.into(), item.into()).into()
}

/// DRF's `@authentication_classes`: the view's authentication classes, in
/// order, replacing `DEFAULT_AUTHENTICATION_CLASSES`.
///
/// `#[authentication_classes(TokenAuthentication<Bearer>, BasicAuthentication)]`.
/// An empty list means no authentication (denials are then 403).
#[proc_macro_attribute]
pub fn authentication_classes(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Authentication, args.into(), item.into()).into()
}

/// DRF's `@permission_classes`: the view's permissions, in order, replacing
/// `DEFAULT_PERMISSION_CLASSES`.
///
/// Each entry may compose classes with `&`, `|`, `!` and parentheses, with
/// Rust's (and Python's) precedence: `#[permission_classes(IsAdminUser | ReadOnly)]`.
/// An empty list allows every request.
#[proc_macro_attribute]
pub fn permission_classes(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Permission, args.into(), item.into()).into()
}

/// DRF's `@throttle_classes`: the view's throttles, replacing
/// `DEFAULT_THROTTLE_CLASSES`.
///
/// `#[throttle_classes(UserRateThrottle, ScopedRateThrottle)]`. Every
/// throttle is consulted, after authentication and permissions; when any
/// refuses, the answer is DRF's 429 with the longest wait. An empty list
/// turns throttling off for the view.
#[proc_macro_attribute]
pub fn throttle_classes(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Throttle, args.into(), item.into()).into()
}

/// The view's attributes that permissions and throttles read (DRF's class
/// attributes on an `APIView`):
///
/// - `throttle_scope = "uploads"`: what `ScopedRateThrottle` keys its rate on;
/// - `required_scopes = ["read", "write"]`: Django OAuth Toolkit's scopes
///   for `TokenHasScope`;
/// - `model = "polls.question"`: the Django model (`app_label.model_name`,
///   lower case) for `DjangoModelPermissions`.
///
/// Unknown keys and malformed values are compile errors.
#[proc_macro_attribute]
pub fn view_config(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::ViewConfig, args.into(), item.into()).into()
}

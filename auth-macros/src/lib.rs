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

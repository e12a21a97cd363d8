//! Expansion: one wrapper function that runs the pipeline, then the user's function.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Item, ItemFn, TypePath};

use crate::format::{view_description, view_name};
use crate::parse::{attribute_args, parse_args, Args, Kind, MethodName, PermExpr, METHODS};
use crate::validate;

/// Entry point of all three attributes.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let misplaced = format!("#[{}] goes on an `async fn` view", kind.name());
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => {
            let fallback = without_our_attributes(&function);
            view_function(kind, args, function)
                .unwrap_or_else(|err| with_error(quote!(#fallback), err))
        }
        Ok(other) => with_error(item, syn::Error::new_spanned(other, misplaced)),
        Err(_) => with_error(item, syn::Error::new(Span::call_site(), misplaced)),
    }
}

/// The item unchanged (minus our attributes, so nothing expands twice) and the error.
fn with_error(item: TokenStream, err: syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    quote!(#item #err)
}

fn without_our_attributes(function: &ItemFn) -> ItemFn {
    let mut function = function.clone();
    function.attrs.retain(|attr| Kind::of(attr).is_none());
    function
}

/// What the three attributes say about one view.
#[derive(Default)]
pub(crate) struct Config {
    pub(crate) methods: Option<Vec<MethodName>>,
    pub(crate) authentication: Option<Vec<TypePath>>,
    pub(crate) permissions: Option<Vec<PermExpr>>,
}

impl Config {
    fn set(&mut self, kind: Kind, args: Args, origin: Option<&Attribute>) -> syn::Result<()> {
        let twice = || {
            let message = format!(
                "#[{0}] given twice: put everything in one #[{0}(..)]",
                kind.name()
            );
            match origin {
                Some(attr) => syn::Error::new_spanned(attr, message),
                None => syn::Error::new(Span::call_site(), message),
            }
        };
        match (kind, args) {
            (Kind::ApiView, Args::Methods(methods)) => {
                validate::unique_methods(&methods)?;
                if self.methods.replace(methods).is_some() {
                    return Err(twice());
                }
            }
            (Kind::Authentication, Args::Classes(classes)) => {
                validate::unique_classes(&classes)?;
                if self
                    .authentication
                    .replace(validate::plain_classes(classes)?)
                    .is_some()
                {
                    return Err(twice());
                }
            }
            (Kind::Permission, Args::Classes(classes)) => {
                validate::unique_classes(&classes)?;
                if self.permissions.replace(classes).is_some() {
                    return Err(twice());
                }
            }
            (_, _) => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    "mismatched attribute arguments",
                ))
            }
        }
        Ok(())
    }

    /// This attribute's arguments plus our sibling attributes, which are
    /// removed from `attrs`; everything else stays.
    pub(crate) fn collect(
        kind: Kind,
        args: TokenStream,
        attrs: &mut Vec<Attribute>,
    ) -> syn::Result<Self> {
        let mut config = Config::default();
        config.set(kind, parse_args(kind, args)?, None)?;
        let mut kept = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            match Kind::of(&attr) {
                Some(sibling) => {
                    config.set(sibling, attribute_args(sibling, &attr)?, Some(&attr))?
                }
                None => kept.push(attr),
            }
        }
        *attrs = kept;
        Ok(config)
    }

    /// The authentication list type. Each class is written as
    /// `<T as AuthenticationClass>::Class`, spanned on the user's type, so a
    /// wrong type is one error on its name.
    pub(crate) fn authentication_type(&self) -> TokenStream {
        match &self.authentication {
            None => quote!(::auth_actix::__private::DefaultAuthentication),
            Some(classes) => {
                let classes = classes.iter().map(|class| {
                    quote_spanned! {class.span()=>
                        <#class as ::auth_actix::__private::AuthenticationClass>::Class
                    }
                });
                quote!((#(#classes,)*))
            }
        }
    }

    /// The permission list type, each class checked as for authentication.
    pub(crate) fn permission_type(&self) -> TokenStream {
        match &self.permissions {
            None => quote!(::auth_actix::__private::DefaultPermissions),
            Some(entries) => {
                let types = entries.iter().map(permission_expr);
                quote!((#(#types,)*))
            }
        }
    }

    /// `Some(MethodSet)` for `#[api_view]`, else `None`.
    pub(crate) fn method_set(&self) -> TokenStream {
        match &self.methods {
            None => quote!(::auth_actix::__private::None),
            Some(methods) => {
                // `#[api_view]` alone means GET, as DRF's `@api_view()`.
                let names: Vec<&str> = if methods.is_empty() {
                    vec!["GET"]
                } else {
                    methods.iter().map(|m| m.name).collect()
                };
                method_set(&names)
            }
        }
    }
}

/// `Some(MethodSet::new(bits, "GET, POST, OPTIONS"))`: bits in Django's
/// order, and the `Allow` header with `OPTIONS` always present.
pub(crate) fn method_set(handled: &[&str]) -> TokenStream {
    let mut bits = 0u16;
    let mut allow = Vec::new();
    for (i, method) in METHODS.iter().enumerate() {
        if handled.contains(method) {
            bits |= 1 << i;
        }
        if handled.contains(method) || *method == "OPTIONS" {
            allow.push(*method);
        }
    }
    let allow = allow.join(", ");
    quote!(::auth_actix::__private::Some(::auth_actix::__private::MethodSet::new(#bits, #allow)))
}

/// The type of a permission expression.
fn permission_expr(expr: &PermExpr) -> TokenStream {
    match expr {
        PermExpr::Class(class) => quote_spanned! {class.span()=>
            <#class as ::auth_actix::__private::PermissionClass>::Class
        },
        PermExpr::And(a, b, _) => {
            let (a, b) = (permission_expr(a), permission_expr(b));
            quote!(::auth_actix::__private::And<#a, #b>)
        }
        PermExpr::Or(a, b, _) => {
            let (a, b) = (permission_expr(a), permission_expr(b));
            quote!(::auth_actix::__private::Or<#a, #b>)
        }
        PermExpr::Not(a, _) => {
            let a = permission_expr(a);
            quote!(::auth_actix::__private::Not<#a>)
        }
    }
}

/// The doc comment lines of `attrs`.
pub(crate) fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .collect()
}

/// `ViewMeta { name, description }`.
pub(crate) fn view_meta(ident: &syn::Ident, attrs: &[Attribute]) -> TokenStream {
    let name = view_name(&ident.to_string());
    let description = view_description(&doc_lines(attrs));
    quote!(::auth_actix::__private::ViewMeta { name: #name, description: #description })
}

/// Lint attributes also apply to the moved body.
fn lint_attributes(attrs: &[Attribute]) -> Vec<&Attribute> {
    let lints = ["allow", "warn", "deny", "forbid", "expect"];
    attrs
        .iter()
        .filter(|attr| lints.iter().any(|lint| attr.path().is_ident(lint)))
        .collect()
}

/// The call of a handler: extract its arguments as one tuple (as actix-web
/// does), then call it. `callee` is a path to the function.
pub(crate) fn extract_and_call(
    inputs: &syn::punctuated::Punctuated<FnArg, syn::Token![,]>,
    callee: TokenStream,
) -> TokenStream {
    let types: Vec<&syn::Type> = inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(&*typed.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let names: Vec<syn::Ident> = (0..types.len())
        .map(|i| format_ident!("__auth_actix_arg{}", i))
        .collect();
    quote! {
        |__auth_actix_req: ::auth_actix::__private::HttpRequest, mut __auth_actix_payload: ::auth_actix::__private::Payload| async move {
            let (#(#names,)*) = <(#(#types,)*) as ::auth_actix::__private::FromRequest>::from_request(
                &__auth_actix_req,
                &mut __auth_actix_payload,
            )
            .await?;
            ::auth_actix::__private::Ok::<_, ::auth_actix::__private::Error>(#callee(#(#names),*).await)
        }
    }
}

fn view_function(kind: Kind, args: TokenStream, mut function: ItemFn) -> syn::Result<TokenStream> {
    let config = Config::collect(kind, args, &mut function.attrs)?;
    validate::view_signature(kind, &function.sig)?;

    let auth_type = config.authentication_type();
    let perm_type = config.permission_type();
    let methods = config.method_set();
    let meta = view_meta(&function.sig.ident, &function.attrs);

    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let lints = lint_attributes(&attrs);
    let name = &sig.ident;
    let mut inner_sig = sig.clone();
    inner_sig.ident = format_ident!("__auth_actix_view");
    let call = extract_and_call(&sig.inputs, quote!(__auth_actix_view));

    Ok(quote! {
        #(#attrs)*
        #vis async fn #name(
            __auth_actix_request: ::auth_actix::__private::HttpRequest,
            __auth_actix_payload: ::auth_actix::__private::WebPayload,
        ) -> ::auth_actix::__private::HttpResponse {
            #(#lints)*
            #inner_sig #block
            static __AUTH_ACTIX_VIEW: ::auth_actix::__private::ViewCell<#auth_type, #perm_type> =
                ::auth_actix::__private::ViewCell::new(#methods, #meta);
            ::auth_actix::__private::dispatch(
                __AUTH_ACTIX_VIEW.get(),
                __auth_actix_request,
                __auth_actix_payload.into_inner(),
                #call,
            )
            .await
        }
    })
}

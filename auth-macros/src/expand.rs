//! Expansion: one wrapper function that runs the pipeline, then the user's function.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Item, ItemFn, ItemImpl, LitStr, TypePath, Visibility};

use crate::format::{view_description, view_name};
use crate::parse::{
    attribute_args, parse_args, ApiViewArgs, Args, Kind, MethodName, PermExpr, METHODS,
};
use crate::validate::{self, ViewConfigSpec};

/// Entry point of all our attributes.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let misplaced = format!(
        "#[{}] goes on an `async fn` view, or on the `impl` block of a class-based view",
        kind.name()
    );
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => {
            let fallback = without_our_attributes(&function.attrs, quote!(#function));
            view_function(kind, args, function).unwrap_or_else(|err| with_error(fallback, err))
        }
        Ok(Item::Impl(block)) => {
            let fallback = without_our_attributes(&block.attrs, quote!(#block));
            class_view(kind, args, block).unwrap_or_else(|err| with_error(fallback, err))
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

/// The item with our attributes removed (`attrs` are its outer attributes).
fn without_our_attributes(attrs: &[Attribute], item: TokenStream) -> TokenStream {
    let ours: Vec<String> = attrs
        .iter()
        .filter(|a| Kind::of(a).is_some())
        .map(|a| quote!(#a).to_string())
        .collect();
    if ours.is_empty() {
        return item;
    }
    match syn::parse2::<Item>(item.clone()) {
        Ok(mut parsed) => {
            if let Item::Fn(ItemFn { attrs, .. }) | Item::Impl(ItemImpl { attrs, .. }) = &mut parsed
            {
                attrs.retain(|attr| Kind::of(attr).is_none());
            }
            quote!(#parsed)
        }
        Err(_) => item,
    }
}

/// What our attributes say about one view.
#[derive(Default)]
pub(crate) struct Config {
    pub(crate) methods: Option<Vec<MethodName>>,
    /// `#[api_view(path = "/…")]`.
    pub(crate) path: Option<LitStr>,
    /// `#[api_view(description = "…")]`.
    pub(crate) description: Option<LitStr>,
    /// `#[api_view(metadata = CONST)]`.
    pub(crate) metadata: Option<syn::Path>,
    pub(crate) authentication: Option<Vec<TypePath>>,
    pub(crate) permissions: Option<Vec<PermExpr>>,
    pub(crate) throttles: Option<Vec<TypePath>>,
    pub(crate) view_config: Option<ViewConfigSpec>,
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
            (Kind::ApiView, Args::ApiView(args)) => {
                let ApiViewArgs {
                    methods,
                    path,
                    description,
                    metadata,
                } = args;
                validate::unique_methods(&methods)?;
                if let Some(path) = &path {
                    validate::view_path(path)?;
                }
                if self.methods.replace(methods).is_some() {
                    return Err(twice());
                }
                (self.path, self.description, self.metadata) = (path, description, metadata);
            }
            (Kind::Authentication, Args::Classes(classes)) => {
                validate::unique_classes(&classes)?;
                if self
                    .authentication
                    .replace(validate::plain_classes(kind, classes)?)
                    .is_some()
                {
                    return Err(twice());
                }
            }
            (Kind::Throttle, Args::Classes(classes)) => {
                validate::unique_classes(&classes)?;
                if self
                    .throttles
                    .replace(validate::plain_classes(kind, classes)?)
                    .is_some()
                {
                    return Err(twice());
                }
            }
            (Kind::ViewConfig, Args::Config(entries)) => {
                if self
                    .view_config
                    .replace(validate::view_config(entries)?)
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
        class_tuple(
            self.authentication.as_deref(),
            quote!(::auth_actix::__private::DefaultAuthentication),
            quote!(::auth_actix::__private::AuthenticationClass),
        )
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

    /// The throttle list type, each class checked as for authentication.
    pub(crate) fn throttle_type(&self) -> TokenStream {
        class_tuple(
            self.throttles.as_deref(),
            quote!(::auth_actix::__private::DefaultThrottles),
            quote!(::auth_actix::__private::ThrottleClass),
        )
    }

    /// The view's `ViewConfig`, built with its `const` builder.
    pub(crate) fn view_config(&self) -> TokenStream {
        let mut config = quote!(::auth_actix::__private::ViewConfig::new());
        let Some(spec) = &self.view_config else {
            return config;
        };
        if let Some(scope) = &spec.throttle_scope {
            config = quote!(#config.with_throttle_scope(#scope));
        }
        if let Some(scopes) = &spec.required_scopes {
            config = quote!(#config.with_required_scopes(&[#(#scopes),*]));
        }
        if let Some(model) = &spec.model {
            config = quote!(#config.with_model(#model));
        }
        config
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

/// A list of plain classes as a tuple type, each written
/// `<T as #class_trait>::Class` spanned on the user's type (so a wrong type
/// is one error, on its name); `default` when the attribute is absent.
fn class_tuple(
    classes: Option<&[TypePath]>,
    default: TokenStream,
    class_trait: TokenStream,
) -> TokenStream {
    let Some(classes) = classes else {
        return default;
    };
    let classes = classes.iter().map(|class| {
        quote_spanned! {class.span()=>
            <#class as #class_trait>::Class
        }
    });
    quote!((#(#classes,)*))
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

/// `ViewMeta { name, description, metadata, config }`: the description is
/// `description = "…"` if given, else the doc comment.
pub(crate) fn view_meta(ident: &syn::Ident, attrs: &[Attribute], config: &Config) -> TokenStream {
    let name = view_name(&ident.to_string());
    let description = match &config.description {
        Some(text) => view_description(&[text.value()]),
        None => view_description(&doc_lines(attrs)),
    };
    let metadata = match &config.metadata {
        // Spanned on the user's path: a `const` of another type is one
        // "expected `&Metadata`" error there.
        Some(path) => quote_spanned! {path.span()=> {
            const __AUTH_ACTIX_METADATA: &::auth_actix::__private::Metadata = &#path;
            ::auth_actix::__private::Some(__AUTH_ACTIX_METADATA)
        }},
        None => quote!(::auth_actix::__private::None),
    };
    let config = config.view_config();
    quote!(::auth_actix::__private::ViewMeta {
        name: #name,
        description: #description,
        metadata: #metadata,
        config: #config,
    })
}

/// Lint attributes also apply to the moved body.
fn lint_attributes(attrs: &[Attribute]) -> Vec<&Attribute> {
    let lints = ["allow", "warn", "deny", "forbid", "expect"];
    attrs
        .iter()
        .filter(|attr| lints.iter().any(|lint| attr.path().is_ident(lint)))
        .collect()
}

type Inputs = syn::punctuated::Punctuated<FnArg, syn::Token![,]>;

/// Extract a handler's arguments as one tuple (as actix-web does) from
/// `__auth_actix_req` and `__auth_actix_payload`, then call `callee` with them.
fn extract_and_call(inputs: &Inputs, callee: TokenStream) -> TokenStream {
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
        let (#(#names,)*) = <(#(#types,)*) as ::auth_actix::__private::FromRequest>::from_request(
            &__auth_actix_req,
            &mut __auth_actix_payload,
        )
        .await?;
        #callee(#(#names),*).await
    }
}

/// The closure `dispatch` calls once the request may reach a handler.
fn handler_closure(body: TokenStream) -> TokenStream {
    quote! {
        |__auth_actix_req: ::auth_actix::__private::HttpRequest,
         mut __auth_actix_payload: ::auth_actix::__private::Payload| async move {
            #body
        }
    }
}

fn view_function(kind: Kind, args: TokenStream, mut function: ItemFn) -> syn::Result<TokenStream> {
    let config = Config::collect(kind, args, &mut function.attrs)?;
    validate::view_signature(kind, &function.sig)?;
    if config.path.is_some() {
        validate::no_route_attribute(&function.attrs)?;
    }

    let types = ListTypes::of(&config);
    let methods = config.method_set();
    let meta = view_meta(&function.sig.ident, &function.attrs, &config);

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
    let call = handler_closure(quote! {
        ::auth_actix::__private::Ok::<_, ::auth_actix::__private::Error>({ #call })
    });

    let wrapper = wrapper_fn(
        name,
        &types,
        &methods,
        &meta,
        &call,
        quote! {
            #(#lints)*
            #inner_sig #block
        },
    );
    Ok(match &config.path {
        None => quote! {
            #(#attrs)*
            #vis #wrapper
        },
        Some(path) => view_service(&attrs, &vis, name, path, &wrapper),
    })
}

/// `path = "/…"`: as actix-web's `#[get("/…")]`, a unit struct named after
/// the function that registers the view at `path` (`.service(view)`); it is
/// also the handler (`web::resource(other).to(view)`). The doc comment,
/// `cfg`, lint and `deprecated` attributes go on the struct, the others on
/// the function that runs the view.
fn view_service(
    attrs: &[Attribute],
    vis: &Visibility,
    name: &syn::Ident,
    path: &LitStr,
    wrapper: &TokenStream,
) -> TokenStream {
    let on_struct = |attr: &&Attribute| {
        ["doc", "cfg", "deprecated"]
            .iter()
            .any(|ident| attr.path().is_ident(ident))
    };
    let struct_attrs = attrs.iter().filter(on_struct).chain(lint_attributes(attrs));
    let fn_attrs = attrs.iter().filter(|attr| !on_struct(attr));
    let cfgs: Vec<&Attribute> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect();
    quote! {
        #(#struct_attrs)*
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #vis struct #name;

        #(#cfgs)*
        impl #name {
            /// The path `.service(..)` registers the view at.
            #[allow(dead_code)]
            pub const PATH: &'static str = #path;
        }

        #(#cfgs)*
        impl ::auth_actix::__private::Handler<(::auth_actix::__private::ViewRequest,)> for #name {
            type Output = ::auth_actix::__private::HttpResponse;
            type Future = ::auth_actix::__private::ViewFuture;

            fn call(
                &self,
                (__auth_actix_request,): (::auth_actix::__private::ViewRequest,),
            ) -> ::auth_actix::__private::ViewFuture {
                #(#fn_attrs)*
                #wrapper
                ::auth_actix::__private::Box::pin(#name(__auth_actix_request))
            }
        }

        #(#cfgs)*
        impl ::auth_actix::__private::HttpServiceFactory for #name {
            fn register(self, __auth_actix_config: &mut ::auth_actix::__private::AppService) {
                ::auth_actix::__private::HttpServiceFactory::register(
                    ::auth_actix::__private::resource(Self::PATH).to(self),
                    __auth_actix_config,
                )
            }
        }
    }
}

/// A class-based view: the `impl` block's `get`, `post`, … are its handlers
/// (DRF's `APIView`); `as_view()` and `resource(path)` register it.
fn class_view(kind: Kind, args: TokenStream, mut block: ItemImpl) -> syn::Result<TokenStream> {
    let config = Config::collect(kind, args, &mut block.attrs)?;
    if let Some(method) = config.methods.as_ref().and_then(|methods| methods.first()) {
        return Err(syn::Error::new(
            method.span,
            "on an `impl` block the methods are its handlers (`async fn get`, `post`, …): write `#[api_view]` without methods",
        ));
    }
    let self_ty = validate::class_view_type(&block)?;
    let type_name = match &*block.self_ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    };
    if let Some(path) = &config.path {
        let shown = type_name
            .as_ref()
            .map_or("View".to_owned(), ToString::to_string);
        return Err(syn::Error::new(
            path.span(),
            format!(
                "`path` is for function views: register a class-based view with `.service({shown}::resource({:?}))`",
                path.value()
            ),
        ));
    }
    let handlers = validate::class_view_handlers(kind, &block)?;

    let mut handled: Vec<&str> = handlers.iter().map(|(method, _)| *method).collect();
    // Django's `View.setup`: `head` falls back to `get`.
    let head_is_get = handled.contains(&"GET") && !handled.contains(&"HEAD");
    if head_is_get {
        handled.push("HEAD");
    }
    let methods = method_set(&handled);
    let types = ListTypes::of(&config);
    let meta = match type_name {
        Some(ident) => view_meta(&ident, &block.attrs, &config),
        None => view_meta(&format_ident!("View"), &block.attrs, &config),
    };

    let branches = handlers.iter().map(|(method, function)| {
        let ident = &function.sig.ident;
        let call = extract_and_call(&function.sig.inputs, quote!(<#self_ty>::#ident));
        let method_ident = format_ident!("{}", method);
        let condition = if *method == "GET" && head_is_get {
            quote! {
                *__auth_actix_req.method() == ::auth_actix::__private::Method::GET
                    || *__auth_actix_req.method() == ::auth_actix::__private::Method::HEAD
            }
        } else {
            quote!(*__auth_actix_req.method() == ::auth_actix::__private::Method::#method_ident)
        };
        quote! {
            if #condition {
                let __auth_actix_response = { #call };
                return ::auth_actix::__private::Ok(::auth_actix::__private::respond(
                    __auth_actix_response,
                    &__auth_actix_req,
                ));
            }
        }
    });
    let call = handler_closure(quote! {
        #(#branches)*
        ::auth_actix::__private::Err(::auth_actix::__private::method_not_allowed(&__auth_actix_req))
    });

    let name = format_ident!("__auth_actix_class_view");
    let wrapper = wrapper_fn(&name, &types, &methods, &meta, &call, TokenStream::new());
    Ok(quote! {
        #block

        impl #self_ty {
            /// The view's handler (DRF's `as_view()`): register it for every
            /// method, e.g. `web::resource(path).to(Self::as_view())`.
            #[allow(dead_code)]
            pub fn as_view() -> impl ::auth_actix::__private::Handler<
                (::auth_actix::__private::ViewRequest,),
                Output = ::auth_actix::__private::HttpResponse,
            > {
                #wrapper
                __auth_actix_class_view
            }

            /// A resource at `path` that routes every method to this view.
            #[allow(dead_code)]
            pub fn resource(path: &str) -> ::auth_actix::__private::Resource {
                ::auth_actix::__private::resource(path).to(Self::as_view())
            }
        }
    })
}

/// The types of a view's three class lists.
struct ListTypes {
    authentication: TokenStream,
    permissions: TokenStream,
    throttles: TokenStream,
}

impl ListTypes {
    fn of(config: &Config) -> Self {
        ListTypes {
            authentication: config.authentication_type(),
            permissions: config.permission_type(),
            throttles: config.throttle_type(),
        }
    }
}

/// `async fn #name(ViewRequest) -> HttpResponse`: the view's class lists in a
/// `static`, built once, then `dispatch` with `call` for the handlers; `items`
/// go inside (the moved body of a function view).
fn wrapper_fn(
    name: &syn::Ident,
    types: &ListTypes,
    methods: &TokenStream,
    meta: &TokenStream,
    call: &TokenStream,
    items: TokenStream,
) -> TokenStream {
    let ListTypes {
        authentication: auth_type,
        permissions: perm_type,
        throttles: throttle_type,
    } = types;
    quote! {
        async fn #name(
            ::auth_actix::__private::ViewRequest(__auth_actix_request, __auth_actix_payload):
                ::auth_actix::__private::ViewRequest,
        ) -> ::auth_actix::__private::HttpResponse {
            #items
            static __AUTH_ACTIX_VIEW: ::auth_actix::__private::ViewCell<#auth_type, #perm_type, #throttle_type> =
                ::auth_actix::__private::ViewCell::new(#methods, #meta);
            ::auth_actix::__private::dispatch(
                __AUTH_ACTIX_VIEW.get(),
                __auth_actix_request,
                __auth_actix_payload,
                #call,
            )
            .await
        }
    }
}

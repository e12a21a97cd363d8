//! Validation: everything that can be said about the user's code before expanding it.

use std::collections::HashSet;

use syn::{Attribute, FnArg, ImplItemFn, ItemImpl, LitStr, Meta, Signature, TypePath};

use crate::parse::{
    handler_name, key_once, ConfigEntries, ConfigValue, Kind, MethodName, PermExpr, METHODS,
};

/// actix-web extracts at most this many arguments.
const MAX_EXTRACTORS: usize = 16;

/// A view function: `async`, no `self`, no generics, at most 16 extractors.
pub(crate) fn view_signature(kind: Kind, sig: &Signature) -> syn::Result<()> {
    let attr = kind.name();
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            format!("#[{attr}] needs an `async fn`: add `async` before `fn`"),
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new_spanned(
            receiver,
            format!("#[{attr}]: a view handler takes no `self` (it is an associated function); remove it, and for a class-based view put the attributes on the `impl` block"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!("#[{attr}] cannot wrap a generic function: actix-web handlers are not generic"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new_spanned(
            variadic,
            "a view cannot be variadic",
        ));
    }
    if sig.inputs.len() > MAX_EXTRACTORS {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            format!("a view takes at most {MAX_EXTRACTORS} extractor arguments, as actix-web handlers do"),
        ));
    }
    Ok(())
}

/// `path = "/…"`: actix-web's resource path, which starts with `/`.
pub(crate) fn view_path(path: &LitStr) -> syn::Result<()> {
    let value = path.value();
    if value.starts_with('/') {
        return Ok(());
    }
    Err(syn::Error::new(
        path.span(),
        format!("a view's path starts with `/`: `path = \"/{value}\"`"),
    ))
}

/// actix-web's route attributes, which would register the view a second time.
const ROUTE_ATTRIBUTES: [&str; 11] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect", "route",
    "routes",
];

/// A view with `path = …` registers itself: no actix-web route attribute
/// (`#[get("/x")]`, which expects a function) may stay below ours.
pub(crate) fn no_route_attribute(attrs: &[Attribute]) -> syn::Result<()> {
    for attr in attrs {
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        let Some(last) = list.path.segments.last() else {
            continue;
        };
        if ROUTE_ATTRIBUTES.iter().any(|name| last.ident == name) {
            return Err(syn::Error::new_spanned(
                attr,
                format!(
                    "with `path` the view registers itself: remove `#[{}(..)]`, or remove `path` and keep actix-web's route",
                    last.ident
                ),
            ));
        }
    }
    Ok(())
}

/// No method listed twice.
pub(crate) fn unique_methods(methods: &[MethodName]) -> syn::Result<()> {
    let mut seen = HashSet::new();
    for method in methods {
        if !seen.insert(method.name) {
            return Err(syn::Error::new(
                method.span,
                format!("`{}` listed twice", method.name),
            ));
        }
    }
    Ok(())
}

/// No class (or composed expression) listed twice.
pub(crate) fn unique_classes(classes: &[PermExpr]) -> syn::Result<()> {
    let mut seen = HashSet::new();
    for class in classes {
        let text = class.text();
        if !seen.insert(text.clone()) {
            return Err(syn::Error::new(
                class.span(),
                format!("`{text}` listed twice"),
            ));
        }
    }
    Ok(())
}

/// Authentication and throttle classes are plain types: no `&`, `|` or `!`.
pub(crate) fn plain_classes(kind: Kind, classes: Vec<PermExpr>) -> syn::Result<Vec<TypePath>> {
    classes
        .into_iter()
        .map(|class| match class {
            PermExpr::Class(path) => Ok(path),
            other => {
                let (span, op) = other.operator_span().unwrap_or((other.span(), "?"));
                let message = match kind {
                    Kind::Throttle => format!("throttle classes cannot be combined with `{op}`: list them separated by commas (every one is consulted)"),
                    _ => format!("authentication classes cannot be combined with `{op}`: list them in the order to try them, separated by commas"),
                };
                Err(syn::Error::new(span, message))
            }
        })
        .collect()
}

/// The keys `#[view_config(..)]` knows.
const CONFIG_KEYS: &str = "`throttle_scope`, `required_scopes` or `model`";

/// `#[view_config(..)]`: known keys, once each, with well-formed values.
pub(crate) fn view_config(entries: ConfigEntries) -> syn::Result<ViewConfigSpec> {
    let mut spec = ViewConfigSpec::default();
    for (key, value) in entries {
        let name = key.to_string();
        let given = match name.as_str() {
            "throttle_scope" => Some(spec.throttle_scope.is_some()),
            "required_scopes" => Some(spec.required_scopes.is_some()),
            "model" => Some(spec.model.is_some()),
            _ => None,
        };
        key_once(&key, given, || {
            format!("unknown view attribute `{name}`: #[view_config] takes {CONFIG_KEYS}")
        })?;
        match (name.as_str(), value) {
            ("required_scopes", ConfigValue::List(scopes, _)) => {
                let mut seen = HashSet::new();
                for scope in &scopes {
                    let text = scope.value();
                    if text.is_empty() || text.chars().any(|c| c.is_whitespace()) {
                        return Err(syn::Error::new(
                            scope.span(),
                            "an OAuth scope is one non-empty word: list several as separate strings",
                        ));
                    }
                    if !seen.insert(text.clone()) {
                        return Err(syn::Error::new(
                            scope.span(),
                            format!("`{text}` listed twice"),
                        ));
                    }
                }
                spec.required_scopes = Some(scopes.iter().map(LitStr::value).collect());
            }
            ("required_scopes", ConfigValue::Text(text)) => {
                return Err(syn::Error::new(
                    text.span(),
                    "write the scopes as a list: `required_scopes = [\"read\", \"write\"]`",
                ))
            }
            (_, ConfigValue::List(_, span)) => {
                return Err(syn::Error::new(
                    span,
                    format!("`{name}` takes one string, not a list"),
                ))
            }
            ("throttle_scope", ConfigValue::Text(text)) => {
                if text.value().is_empty() {
                    return Err(syn::Error::new(
                        text.span(),
                        "the throttle scope cannot be empty",
                    ));
                }
                spec.throttle_scope = Some(text.value());
            }
            (_, ConfigValue::Text(text)) => {
                let label = text.value();
                let valid_part = |part: &str| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                };
                let ok = label
                    .split_once('.')
                    .is_some_and(|(app, model)| valid_part(app) && valid_part(model));
                if !ok {
                    return Err(syn::Error::new(
                        text.span(),
                        format!(
                            "the model is Django's `app_label.model_name`, in lower case (e.g. `\"auth.user\"`), not `{label}`"
                        ),
                    ));
                }
                spec.model = Some(label);
            }
        }
    }
    Ok(spec)
}

/// What `#[view_config(..)]` said.
#[derive(Default)]
pub(crate) struct ViewConfigSpec {
    pub(crate) throttle_scope: Option<String>,
    pub(crate) required_scopes: Option<Vec<String>>,
    pub(crate) model: Option<String>,
}

/// A class-based view is an inherent `impl` of a plain, non-generic type.
pub(crate) fn class_view_type(block: &ItemImpl) -> syn::Result<&syn::Type> {
    if let Some((_, path, _)) = &block.trait_ {
        return Err(syn::Error::new_spanned(
            path,
            "a class-based view is an inherent `impl` block: move the handlers out of this trait implementation",
        ));
    }
    if !block.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &block.generics,
            "a class-based view cannot be generic: its handlers are registered once per type",
        ));
    }
    Ok(&block.self_ty)
}

/// The handlers (`async fn get`, `post`, …) in Django's order, each a valid view function.
pub(crate) fn class_view_handlers(
    kind: Kind,
    block: &ItemImpl,
) -> syn::Result<Vec<(&'static str, &ImplItemFn)>> {
    let mut handlers: Vec<(&'static str, &ImplItemFn)> =
        block.items.iter().filter_map(handler_name).collect();
    for (_, function) in &handlers {
        view_signature(kind, &function.sig)?;
    }
    if handlers.is_empty() {
        let names = METHODS
            .iter()
            .map(|m| m.to_lowercase())
            .collect::<Vec<_>>()
            .join("`, `");
        return Err(syn::Error::new_spanned(
            &block.self_ty,
            format!("a class-based view needs at least one handler: an `async fn` named `{names}`"),
        ));
    }
    handlers.sort_by_key(|(method, _)| METHODS.iter().position(|m| m == method));
    Ok(handlers)
}

//! Validation: everything that can be said about the user's code before expanding it.

use std::collections::HashSet;

use syn::{FnArg, ImplItemFn, ItemImpl, Signature, TypePath};

use crate::expand::handler_name;
use crate::parse::{Kind, MethodName, PermExpr, METHODS};

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

/// Authentication classes are plain types: no `&`, `|` or `!`.
pub(crate) fn plain_classes(classes: Vec<PermExpr>) -> syn::Result<Vec<TypePath>> {
    classes
        .into_iter()
        .map(|class| match class {
            PermExpr::Class(path) => Ok(path),
            other => {
                let (span, op) = other.operator_span().unwrap_or((other.span(), "?"));
                Err(syn::Error::new(
                    span,
                    format!("authentication classes cannot be combined with `{op}`: list them in the order to try them, separated by commas"),
                ))
            }
        })
        .collect()
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

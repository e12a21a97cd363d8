//! Parsing: the attributes' arguments and the sibling attributes on the item.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{token, Attribute, Ident, ImplItem, LitStr, Meta, Token, TypePath};

/// Which of our attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ApiView,
    Authentication,
    Permission,
    Throttle,
    ViewConfig,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::ApiView,
        Kind::Authentication,
        Kind::Permission,
        Kind::Throttle,
        Kind::ViewConfig,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::ApiView => "api_view",
            Kind::Authentication => "authentication_classes",
            Kind::Permission => "permission_classes",
            Kind::Throttle => "throttle_classes",
            Kind::ViewConfig => "view_config",
        }
    }

    /// Ours, by the last segment of the attribute's path.
    pub(crate) fn of(attr: &Attribute) -> Option<Kind> {
        let last = attr.path().segments.last()?;
        Kind::ALL.into_iter().find(|kind| last.ident == kind.name())
    }
}

/// An HTTP method named in `#[api_view(..)]`.
#[derive(Clone)]
pub(crate) struct MethodName {
    pub(crate) name: &'static str,
    pub(crate) span: Span,
}

/// The HTTP methods a DRF view can implement, in Django's order.
pub(crate) const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
];

/// A permission expression: a class, or `&`, `|`, `!` of expressions.
#[derive(Clone)]
pub(crate) enum PermExpr {
    Class(TypePath),
    And(Box<PermExpr>, Box<PermExpr>, Span),
    Or(Box<PermExpr>, Box<PermExpr>, Span),
    Not(Box<PermExpr>, Span),
}

impl PermExpr {
    /// The first operator, if this is not a plain class.
    pub(crate) fn operator_span(&self) -> Option<(Span, &'static str)> {
        match self {
            PermExpr::Class(_) => None,
            PermExpr::And(_, _, span) => Some((*span, "&")),
            PermExpr::Or(_, _, span) => Some((*span, "|")),
            PermExpr::Not(_, span) => Some((*span, "!")),
        }
    }

    /// A key for duplicate detection and messages.
    pub(crate) fn text(&self) -> String {
        match self {
            PermExpr::Class(path) => path.to_token_stream().to_string().replace(' ', ""),
            PermExpr::And(a, b, _) => format!("({} & {})", a.text(), b.text()),
            PermExpr::Or(a, b, _) => format!("({} | {})", a.text(), b.text()),
            PermExpr::Not(a, _) => format!("!{}", a.text()),
        }
    }

    /// The span covering the expression (for messages about the whole entry).
    pub(crate) fn span(&self) -> Span {
        match self {
            PermExpr::Class(path) => path.span(),
            PermExpr::And(a, b, _) | PermExpr::Or(a, b, _) => {
                a.span().join(b.span()).unwrap_or(a.span())
            }
            PermExpr::Not(_, span) => *span,
        }
    }
}

/// One `key = value` of `#[view_config(..)]`.
#[derive(Clone)]
pub(crate) enum ConfigValue {
    Text(LitStr),
    List(Vec<LitStr>, Span),
}

/// The arguments of `#[view_config(..)]`, in the order written.
pub(crate) type ConfigEntries = Vec<(Ident, ConfigValue)>;

/// The arguments of `#[api_view(..)]`: HTTP methods, then options written
/// `key = value`.
#[derive(Clone, Default)]
pub(crate) struct ApiViewArgs {
    pub(crate) methods: Vec<MethodName>,
    /// `path = "/notes/"`: the function view becomes a service at that path.
    pub(crate) path: Option<LitStr>,
    /// `description = "…"`: the `OPTIONS` description, instead of the doc comment.
    pub(crate) description: Option<LitStr>,
    /// `metadata = NOTES`: a `const` of type `auth_actix::metadata::Metadata`.
    pub(crate) metadata: Option<syn::Path>,
}

/// The arguments of one of our attributes.
#[derive(Clone)]
pub(crate) enum Args {
    ApiView(ApiViewArgs),
    Classes(Vec<PermExpr>),
    Config(ConfigEntries),
}

/// Parse an attribute's arguments for `kind`.
pub(crate) fn parse_args(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    match kind {
        Kind::ApiView => parse_api_view.parse2(tokens).map(Args::ApiView),
        Kind::Authentication | Kind::Permission | Kind::Throttle => {
            (|input: ParseStream| parse_class_list(input, kind))
                .parse2(tokens)
                .map(Args::Classes)
        }
        Kind::ViewConfig => parse_config.parse2(tokens).map(Args::Config),
    }
}

fn parse_config(input: ParseStream) -> syn::Result<ConfigEntries> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        let key: Ident = input.parse().map_err(|err| {
            syn::Error::new(
                err.span(),
                "expected `key = value`, e.g. `throttle_scope = \"uploads\"`",
            )
        })?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(key.span(), format!("write `{key} = ...`")));
        }
        input.parse::<Token![=]>()?;
        let value = if input.peek(token::Bracket) {
            let content;
            let brackets = syn::bracketed!(content in input);
            let items =
                content.parse_terminated(|i: ParseStream| i.parse::<LitStr>(), Token![,])?;
            ConfigValue::List(items.into_iter().collect(), brackets.span.join())
        } else {
            ConfigValue::Text(input.parse::<LitStr>().map_err(|err| {
                syn::Error::new(err.span(), format!("`{key}` takes a string literal"))
            })?)
        };
        entries.push((key, value));
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(entries)
}

/// The arguments of a sibling attribute found on the item.
pub(crate) fn attribute_args(kind: Kind, attr: &Attribute) -> syn::Result<Args> {
    match &attr.meta {
        Meta::Path(_) => parse_args(kind, TokenStream::new()),
        Meta::List(list) => parse_args(kind, list.tokens.clone()),
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            format!("write `#[{}(...)]` with parentheses, not `=`", kind.name()),
        )),
    }
}

/// The options `#[api_view(..)]` takes besides the methods.
const API_VIEW_OPTIONS: &str = "`path = \"/…\"`, `description = \"…\"` and `metadata = CONST`";

fn parse_api_view(input: ParseStream) -> syn::Result<ApiViewArgs> {
    let mut args = ApiViewArgs::default();
    while !input.is_empty() {
        if input.peek(syn::LitStr) {
            let lit: syn::LitStr = input.parse()?;
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "write the method without quotes: `{}`",
                    lit.value().to_uppercase()
                ),
            ));
        }
        let ident: Ident = input.parse().map_err(|err| {
            syn::Error::new(
                err.span(),
                "expected an HTTP method such as `GET` or `POST`",
            )
        })?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            parse_option(input, ident, &mut args)?;
        } else {
            args.methods.push(method_name(&ident)?);
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(args)
}

/// `ident` as one of [`METHODS`].
fn method_name(ident: &Ident) -> syn::Result<MethodName> {
    let text = ident.to_string();
    let Some(name) = METHODS.iter().find(|m| **m == text) else {
        let upper = text.to_uppercase();
        let message = if METHODS.contains(&upper.as_str()) {
            format!("write HTTP methods in upper case: `{upper}`")
        } else {
            format!("unknown HTTP method `{text}`: use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or TRACE")
        };
        return Err(syn::Error::new(ident.span(), message));
    };
    Ok(MethodName {
        name,
        span: ident.span(),
    })
}

/// A `key = …` argument whose key is known (`given`: whether it came
/// before; `None`: unknown, `unknown` says so) and not given twice.
pub(crate) fn key_once(
    key: &Ident,
    given: Option<bool>,
    unknown: impl FnOnce() -> String,
) -> syn::Result<()> {
    match given {
        None => Err(syn::Error::new(key.span(), unknown())),
        Some(true) => Err(syn::Error::new(key.span(), format!("`{key}` given twice"))),
        Some(false) => Ok(()),
    }
}

/// The value of `key = …` in `#[api_view(..)]`, once per key.
fn parse_option(input: ParseStream, key: Ident, args: &mut ApiViewArgs) -> syn::Result<()> {
    let name = key.to_string();
    let given = match name.as_str() {
        "path" => Some(args.path.is_some()),
        "description" => Some(args.description.is_some()),
        "metadata" => Some(args.metadata.is_some()),
        _ => None,
    };
    key_once(&key, given, || {
        format!("unknown argument `{name}`: `#[api_view(..)]` takes HTTP methods and {API_VIEW_OPTIONS}, e.g. `#[api_view(GET, POST, path = \"/notes/\")]`")
    })?;
    let text = |example: &str| {
        input.parse::<LitStr>().map_err(|err| {
            syn::Error::new(
                err.span(),
                format!("`{name}` takes a string literal, e.g. `{name} = {example}`"),
            )
        })
    };
    match name.as_str() {
        "path" => args.path = Some(text("\"/notes/\"")?),
        "description" => args.description = Some(text("\"Notes, newest first.\"")?),
        _ => args.metadata = Some(parse_const_path(input)?),
    }
    Ok(())
}

/// The path of the `const` named by `metadata = …`, and nothing after it.
fn parse_const_path(input: ParseStream) -> syn::Result<syn::Path> {
    let expected = "`metadata` names a `const` of type `auth_actix::metadata::Metadata`, e.g. `metadata = NOTE_METADATA`";
    if !(input.peek(Ident)
        || input.peek(Token![::])
        || input.peek(Token![crate])
        || input.peek(Token![self])
        || input.peek(Token![super]))
    {
        return Err(input.error(expected));
    }
    let path = syn::Path::parse_mod_style(input)?;
    if !input.is_empty() && !input.peek(Token![,]) {
        return Err(input.error(format!(
            "{expected}: define the value in a `const` and name it here"
        )));
    }
    Ok(path)
}

fn parse_class_list(input: ParseStream, kind: Kind) -> syn::Result<Vec<PermExpr>> {
    let mut classes = Vec::new();
    while !input.is_empty() {
        let expr = parse_or(input, kind)?;
        if !input.is_empty() {
            if !input.peek(Token![,]) {
                return Err(input.error("expected `,` between classes"));
            }
            input.parse::<Token![,]>()?;
        }
        classes.push(expr);
    }
    Ok(classes)
}

fn doubled(input: ParseStream, single: &str, double: &str) -> syn::Error {
    input.error(format!(
        "combine permissions with `{single}` (DRF's `{single}`), not `{double}`"
    ))
}

/// An operator at the end of an entry points at itself.
fn operand_follows(input: ParseStream, op: Span, text: &str) -> syn::Result<()> {
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(
            op,
            format!("expected a class after `{text}`"),
        ));
    }
    Ok(())
}

fn parse_or(input: ParseStream, kind: Kind) -> syn::Result<PermExpr> {
    let mut lhs = parse_and(input, kind)?;
    loop {
        if input.peek(Token![||]) {
            return Err(doubled(input, "|", "||"));
        }
        if !input.peek(Token![|]) {
            return Ok(lhs);
        }
        let op: Token![|] = input.parse()?;
        operand_follows(input, op.span, "|")?;
        let rhs = parse_and(input, kind)?;
        lhs = PermExpr::Or(Box::new(lhs), Box::new(rhs), op.span);
    }
}

fn parse_and(input: ParseStream, kind: Kind) -> syn::Result<PermExpr> {
    let mut lhs = parse_unary(input, kind)?;
    loop {
        if input.peek(Token![&&]) {
            return Err(doubled(input, "&", "&&"));
        }
        if !input.peek(Token![&]) {
            return Ok(lhs);
        }
        let op: Token![&] = input.parse()?;
        operand_follows(input, op.span, "&")?;
        let rhs = parse_unary(input, kind)?;
        lhs = PermExpr::And(Box::new(lhs), Box::new(rhs), op.span);
    }
}

fn parse_unary(input: ParseStream, kind: Kind) -> syn::Result<PermExpr> {
    if input.peek(Token![~]) {
        return Err(input.error("write `!` for DRF's `~` (negation)"));
    }
    if input.peek(Token![!]) {
        let op: Token![!] = input.parse()?;
        operand_follows(input, op.span, "!")?;
        let inner = parse_unary(input, kind)?;
        return Ok(PermExpr::Not(Box::new(inner), op.span));
    }
    if input.peek(token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let inner = parse_or(&content, kind)?;
        if !content.is_empty() {
            return Err(content.error("expected `&`, `|` or `)`"));
        }
        return Ok(inner);
    }
    if input.peek(Ident)
        || input.peek(Token![::])
        || input.peek(Token![<])
        || input.peek(Token![self])
        || input.peek(Token![crate])
        || input.peek(Token![super])
    {
        return input.parse::<TypePath>().map(PermExpr::Class);
    }
    let what = match kind {
        Kind::Authentication => "an authentication class such as `BasicAuthentication`",
        Kind::Throttle => "a throttle class such as `UserRateThrottle`",
        _ => "a permission class such as `IsAuthenticated`",
    };
    Err(input.error(format!("expected {what}")))
}

/// A handler of a class-based view (`async fn get`, `post`, …): its method and function.
pub(crate) fn handler_name(item: &ImplItem) -> Option<(&'static str, &syn::ImplItemFn)> {
    let ImplItem::Fn(function) = item else {
        return None;
    };
    let name = function.sig.ident.to_string();
    METHODS
        .iter()
        .find(|m| m.to_lowercase() == name)
        .map(|m| (*m, function))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn describe(args: &Args) -> Vec<String> {
        match args {
            Args::Classes(list) => list.iter().map(PermExpr::text).collect(),
            Args::ApiView(args) => {
                let mut out: Vec<String> = args.methods.iter().map(|m| m.name.to_owned()).collect();
                out.extend(args.path.iter().map(|p| format!("path={}", p.value())));
                out.extend(
                    args.description
                        .iter()
                        .map(|d| format!("description={}", d.value())),
                );
                out.extend(
                    args.metadata
                        .iter()
                        .map(|m| format!("metadata={}", quote!(#m).to_string().replace(' ', ""))),
                );
                out
            }
            Args::Config(entries) => entries.iter().map(|(key, _)| key.to_string()).collect(),
        }
    }

    fn perms(tokens: TokenStream) -> Vec<String> {
        match parse_args(Kind::Permission, tokens) {
            Ok(args) => describe(&args),
            Err(err) => vec![err.to_string()],
        }
    }

    fn error(kind: Kind, tokens: TokenStream) -> String {
        match parse_args(kind, tokens) {
            Err(err) => err.to_string(),
            Ok(args) => format!("parsed: {:?}", describe(&args)),
        }
    }

    #[test]
    fn precedence_is_not_and_or() {
        assert_eq!(perms(quote!(A | B & !C)), ["(A | (B & !C))"]);
        assert_eq!(perms(quote!((A | B) & C, D)), ["((A | B) & C)", "D"]);
        assert_eq!(perms(quote!(!!A)), ["!!A"]);
        assert_eq!(perms(quote!(A | B | C)), ["((A | B) | C)"]);
        assert_eq!(perms(quote!(a::B<C>, ::x::Y,)), ["a::B<C>", "::x::Y"]);
        assert_eq!(
            perms(quote!(self::A, crate::B, super::C)),
            ["self::A", "crate::B", "super::C"]
        );
        assert!(perms(quote!()).is_empty());
    }

    #[test]
    fn friendly_errors() {
        assert!(error(Kind::Permission, quote!(A || B)).contains("not `||`"));
        assert!(error(Kind::Permission, quote!(A && B)).contains("not `&&`"));
        assert!(error(Kind::Permission, quote!(~A)).contains("`!`"));
        assert!(error(Kind::Permission, quote!(A |)).contains("expected a class after `|`"));
        assert!(error(Kind::Permission, quote!(!, A)).contains("expected a class after `!`"));
        assert!(error(Kind::Permission, quote!(A | 1)).contains("expected a permission class"));
        assert!(error(Kind::Permission, quote!(A B)).contains("expected `,`"));
        assert!(error(Kind::Authentication, quote!(1)).contains("expected an authentication class"));
        assert!(error(Kind::ApiView, quote!(get)).contains("upper case: `GET`"));
        assert!(error(Kind::ApiView, quote!(FETCH)).contains("unknown HTTP method `FETCH`"));
        assert!(error(Kind::ApiView, quote!("GET")).contains("without quotes"));
        assert!(error(Kind::ApiView, quote!(route = "/x")).contains("unknown argument `route`"));
        assert!(
            error(Kind::ApiView, quote!(path = "/x", path = "/y")).contains("`path` given twice")
        );
        assert!(error(Kind::ApiView, quote!(path = 3)).contains("`path` takes a string literal"));
        assert!(error(Kind::ApiView, quote!(path)).contains("unknown HTTP method `path`"));
        assert!(error(Kind::ApiView, quote!(description = x)).contains("string literal"));
        assert!(error(Kind::ApiView, quote!(metadata = "x")).contains("names a `const`"));
        assert!(error(Kind::ApiView, quote!(metadata = f())).contains("in a `const`"));
    }

    #[test]
    fn view_config_entries() {
        let keys = |tokens| match parse_args(Kind::ViewConfig, tokens) {
            Ok(args) => describe(&args).join(","),
            Err(err) => err.to_string(),
        };
        assert_eq!(
            keys(quote!(
                throttle_scope = "a",
                required_scopes = ["r", "w",],
                model = "a.b",
            )),
            "throttle_scope,required_scopes,model"
        );
        assert!(keys(quote!(throttle_scope)).contains("write `throttle_scope = ...`"));
        assert!(keys(quote!(model = 3)).contains("`model` takes a string literal"));
        assert!(keys(quote!("x" = "y")).contains("expected `key = value`"));
    }

    #[test]
    fn methods() {
        assert_eq!(
            error(Kind::ApiView, quote!(GET, POST,)),
            r#"parsed: ["GET", "POST"]"#
        );
    }

    #[test]
    fn options_in_any_order() {
        assert_eq!(
            error(
                Kind::ApiView,
                quote!(
                    metadata = crate::m::M,
                    GET,
                    description = "D",
                    path = "/p/",
                    POST
                )
            ),
            r#"parsed: ["GET", "POST", "path=/p/", "description=D", "metadata=crate::m::M"]"#
        );
    }
}

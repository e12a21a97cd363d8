//! What a view declares about itself beyond its class lists: DRF's view
//! attributes that permissions and throttles read (`throttle_scope`,
//! Django OAuth Toolkit's `required_scopes`, the model behind
//! `DjangoModelPermissions`).
//!
//! DRF passes the view to `has_permission(request, view)` and
//! `allow_request(request, view)`, and classes read attributes off it. Here
//! the macros collect them from `#[view_config(..)]` at compile time (an
//! unknown key or a malformed value is a compile error) into a
//! [`ViewConfig`], which [`PermissionRequest::view`](crate::permissions::PermissionRequest::view)
//! and the throttle request expose.

/// A view's attributes. Built by the macros (`#[view_config(..)]`) or, for a
/// hand-written pipeline, with the `const` builder:
///
/// ```
/// use auth_core::view::ViewConfig;
///
/// const UPLOADS: ViewConfig = ViewConfig::new()
///     .with_throttle_scope("uploads")
///     .with_required_scopes(&["read", "write"])
///     .with_model("polls.question");
/// assert_eq!(UPLOADS.throttle_scope(), Some("uploads"));
/// assert_eq!(UPLOADS.model_label(), Some(("polls", "question")));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewConfig {
    throttle_scope: Option<&'static str>,
    required_scopes: &'static [&'static str],
    model: Option<&'static str>,
}

/// A view without attributes (what `#[api_view]` alone gives).
pub static NO_VIEW_CONFIG: ViewConfig = ViewConfig::new();

impl ViewConfig {
    /// No attributes.
    pub const fn new() -> Self {
        ViewConfig {
            throttle_scope: None,
            required_scopes: &[],
            model: None,
        }
    }

    /// DRF's `throttle_scope` (what `ScopedRateThrottle` keys its rate on).
    pub const fn with_throttle_scope(self, scope: &'static str) -> Self {
        ViewConfig {
            throttle_scope: Some(scope),
            ..self
        }
    }

    /// Django OAuth Toolkit's `required_scopes` (what `TokenHasScope` checks).
    pub const fn with_required_scopes(self, scopes: &'static [&'static str]) -> Self {
        ViewConfig {
            required_scopes: scopes,
            ..self
        }
    }

    /// The Django model the view serves, as `"app_label.model_name"` (what
    /// `DjangoModelPermissions` derives `"app_label.add_model_name"` from; DRF
    /// reads it off the view's `queryset`).
    pub const fn with_model(self, label: &'static str) -> Self {
        ViewConfig {
            model: Some(label),
            ..self
        }
    }

    /// `view.throttle_scope`, if set.
    pub fn throttle_scope(&self) -> Option<&'static str> {
        self.throttle_scope
    }

    /// `view.required_scopes` (empty when not set).
    pub fn required_scopes(&self) -> &'static [&'static str] {
        self.required_scopes
    }

    /// The model label as written, if set.
    pub fn model(&self) -> Option<&'static str> {
        self.model
    }

    /// The model label split into `(app_label, model_name)`, model name
    /// as written (the macros insist on Django's lower-case `_meta.model_name`); `None` when unset or
    /// not of the form `app.model`.
    pub fn model_label(&self) -> Option<(&'static str, &'static str)> {
        let (app, model) = self.model?.split_once('.')?;
        (!app.is_empty() && !model.is_empty() && !model.contains('.')).then_some((app, model))
    }
}

//! DRF's `SimpleMetadata`: what a view answers to `OPTIONS`.
//!
//! A view answers `OPTIONS` (unless it has a handler for it) with its name,
//! its description and the media types it renders and parses:
//! `{"name":"Note List","description":"…","renders":[…],"parses":[…]}`. A
//! view with a serializer (DRF's `GenericAPIView`) also lists, under
//! `actions`, the fields its `POST` and `PUT` take. Describe them in a
//! [`Metadata`] `const` named by `#[api_view(.., metadata = ..)]`:
//!
//! ```
//! use auth_actix::metadata::{FieldInfo, Metadata};
//! use auth_actix::prelude::*;
//!
//! /// DRF's `AuthTokenSerializer`, as `SimpleMetadata` describes it.
//! const TOKEN: Metadata = Metadata::new().serializer(&[
//!     FieldInfo::new("username", "string", "Username"),
//!     FieldInfo::new("password", "string", "Password"),
//!     FieldInfo::new("token", "string", "Token").read_only(),
//! ]);
//!
//! #[api_view(POST, path = "/token/", metadata = TOKEN)]
//! async fn token() -> HttpResponse {
//!     HttpResponse::Ok().finish()
//! }
//! ```
//!
//! `OPTIONS /token/` then answers `{…,"actions":{"POST":{"username":
//! {"type":"string","required":true,"read_only":false,"label":"Username"},…}}}`.
//! As in DRF's `determine_actions`, a method is listed only when the view
//! handles it and the view's permissions would let the request's user use
//! it; `POST` comes before `PUT`.

use crate::error::push_json_str;
use crate::settings::AuthSettings;

/// One serializer field, as DRF's `SimpleMetadata.get_field_info` describes
/// it: `{"type":"string","required":true,"read_only":false,"label":"Username"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    name: &'static str,
    field_type: &'static str,
    required: bool,
    read_only: bool,
    label: &'static str,
    help_text: Option<&'static str>,
    max_length: Option<usize>,
}

impl FieldInfo {
    /// A required, writable field: `name` in the serializer, `field_type`
    /// DRF's name for its class (`"string"` for a `CharField`, `"boolean"`,
    /// `"integer"`, `"email"`, …) and `label` its label (DRF's default is the
    /// name with `_` as spaces, capitalized: `"Username"`).
    pub const fn new(name: &'static str, field_type: &'static str, label: &'static str) -> Self {
        FieldInfo {
            name,
            field_type,
            required: true,
            read_only: false,
            label,
            help_text: None,
            max_length: None,
        }
    }

    /// `read_only=True`: answered, never read (and so not required).
    pub const fn read_only(mut self) -> Self {
        self.read_only = true;
        self.required = false;
        self
    }

    /// `required=False`.
    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// The field's `help_text`.
    pub const fn help_text(mut self, text: &'static str) -> Self {
        self.help_text = Some(text);
        self
    }

    /// The field's `max_length`.
    pub const fn max_length(mut self, limit: usize) -> Self {
        self.max_length = Some(limit);
        self
    }

    /// The field's name in the serializer.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// `"username":{"type":…,"required":…,"read_only":…,"label":…}`, in DRF's order.
    fn write(&self, out: &mut String) {
        push_json_str(out, self.name);
        out.push_str(":{\"type\":");
        push_json_str(out, self.field_type);
        for (key, value) in [("required", self.required), ("read_only", self.read_only)] {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":");
            out.push_str(if value { "true" } else { "false" });
        }
        out.push_str(",\"label\":");
        push_json_str(out, self.label);
        if let Some(text) = self.help_text {
            out.push_str(",\"help_text\":");
            push_json_str(out, text);
        }
        if let Some(limit) = self.max_length {
            out.push_str(",\"max_length\":");
            out.push_str(&limit.to_string());
        }
        out.push('}');
    }
}

/// What a view's `OPTIONS` answer says beyond its name and description: its
/// own renderers and parsers (DRF's `renderer_classes` and `parser_classes`
/// on the view) and its serializer's fields (`actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metadata {
    renders: Option<&'static [&'static str]>,
    parses: Option<&'static [&'static str]>,
    fields: Option<&'static [FieldInfo]>,
}

impl Metadata {
    /// The settings' media types, no serializer: what a view without
    /// `metadata` answers.
    pub const fn new() -> Self {
        Metadata {
            renders: None,
            parses: None,
            fields: None,
        }
    }

    /// The view's serializer has these fields, in order: `actions` lists them
    /// for the view's `POST` and `PUT`.
    pub const fn serializer(mut self, fields: &'static [FieldInfo]) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The view renders these media types, whatever the settings say.
    pub const fn renders(mut self, media_types: &'static [&'static str]) -> Self {
        self.renders = Some(media_types);
        self
    }

    /// The view parses these media types, whatever the settings say.
    pub const fn parses(mut self, media_types: &'static [&'static str]) -> Self {
        self.parses = Some(media_types);
        self
    }

    /// The serializer's fields, if the view has one.
    pub const fn fields(&self) -> Option<&'static [FieldInfo]> {
        self.fields
    }
}

/// The body of DRF's `SimpleMetadata.determine_metadata`: the view's name
/// and description, the media types, then the serializer's fields for each
/// method of `actions` (when there are any).
pub(crate) fn options_body(
    name: &str,
    description: &str,
    metadata: Option<&Metadata>,
    actions: &[&str],
    settings: &AuthSettings,
) -> String {
    let metadata = metadata.copied().unwrap_or_default();
    let mut body = String::with_capacity(256);
    body.push_str("{\"name\":");
    push_json_str(&mut body, name);
    body.push_str(",\"description\":");
    push_json_str(&mut body, description);
    push_list(&mut body, "renders", metadata.renders, settings.renders());
    push_list(&mut body, "parses", metadata.parses, settings.parses());
    if let (Some(fields), false) = (metadata.fields, actions.is_empty()) {
        body.push_str(",\"actions\":{");
        for (i, method) in actions.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            push_json_str(&mut body, method);
            body.push_str(":{");
            for (j, field) in fields.iter().enumerate() {
                if j > 0 {
                    body.push(',');
                }
                field.write(&mut body);
            }
            body.push('}');
        }
        body.push('}');
    }
    body.push('}');
    body
}

/// `,"key":[…]`: the view's own media types, else the settings'.
fn push_list(body: &mut String, key: &str, own: Option<&[&str]>, settings: &[String]) {
    body.push_str(",\"");
    body.push_str(key);
    body.push_str("\":[");
    match own {
        Some(own) => push_items(body, own.iter().copied()),
        None => push_items(body, settings.iter().map(String::as_str)),
    }
    body.push(']');
}

/// JSON strings separated by commas.
fn push_items<'a>(body: &mut String, items: impl Iterator<Item = &'a str>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            body.push(',');
        }
        push_json_str(body, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: Metadata = Metadata::new().serializer(&[
        FieldInfo::new("id", "integer", "ID").read_only(),
        FieldInfo::new("text", "string", "Text")
            .help_text("What to remember.")
            .max_length(80),
        FieldInfo::new("done", "boolean", "Done").optional(),
    ]);

    #[test]
    fn bodies_as_drf_writes_them() {
        let settings = AuthSettings::builder()
            .metadata_media_types(["application/json"], ["application/json"])
            .build()
            .unwrap();
        let head = r#"{"name":"Note List","description":"Notes.","renders":["application/json"],"parses":["application/json"]"#;
        let body = options_body(
            "Note List",
            "Notes.",
            Some(&NOTE),
            &["POST", "PUT"],
            &settings,
        );
        let fields = r#"{"id":{"type":"integer","required":false,"read_only":true,"label":"ID"},"text":{"type":"string","required":true,"read_only":false,"label":"Text","help_text":"What to remember.","max_length":80},"done":{"type":"boolean","required":false,"read_only":false,"label":"Done"}}"#;
        assert_eq!(
            body,
            format!(r#"{head},"actions":{{"POST":{fields},"PUT":{fields}}}}}"#)
        );
        // No method to describe (or no serializer): no `actions` at all.
        for (metadata, actions) in [(Some(&NOTE), &[][..]), (None, &["POST"][..])] {
            let body = options_body("Note List", "Notes.", metadata, actions, &settings);
            assert_eq!(body, format!("{head}}}"));
        }
        // The view's own media types win over the settings'.
        let own = Metadata::new().renders(&[]).parses(&["text/plain"]);
        assert_eq!(
            options_body("X", "", Some(&own), &[], &settings),
            r#"{"name":"X","description":"","renders":[],"parses":["text/plain"]}"#
        );
    }
}

//! Email templates: Djoser's six account emails and Django's password reset
//! email, with the same text, and the small template language they are
//! written in here.
//!
//! A [`Template`] is text with placeholders: `{name}` inserts a value
//! (HTML-escaped as Django's autoescape does, when the email template
//! escapes), `{name|safe}` inserts it as is, and `{{` and `}}` are literal
//! braces. The names are the [`Placeholder`]s: `uid`, `token`, `domain`,
//! `protocol`, `site_name`, `url`, `user` (the username) and `email`. An
//! unknown name or an unbalanced brace is a [`TemplateError`] when the
//! template is parsed, which an application does when it starts.
//!
//! ```
//! use auth_core::email::{EmailContext, EmailTemplate};
//!
//! let template = EmailTemplate::parse(
//!     "Welcome to {site_name}",
//!     "Hello {user}, confirm at {protocol}://{domain}/{url|safe}",
//!     Some("<p>Hello {user}</p>"),
//! )
//! .unwrap();
//! let context = EmailContext {
//!     user: "<ann>".into(),
//!     site_name: "Example".into(),
//!     protocol: "https".into(),
//!     domain: "example.com".into(),
//!     url: "activate/Nw/tok".into(),
//!     ..EmailContext::default()
//! };
//! let message = template.render(&context, "webmaster@localhost", "ann@example.com");
//! assert_eq!(message.subject, "Welcome to Example");
//! assert_eq!(message.text, "Hello &lt;ann&gt;, confirm at https://example.com/activate/Nw/tok");
//! assert_eq!(message.html.as_deref(), Some("<p>Hello &lt;ann&gt;</p>"));
//! ```

use std::fmt;

use super::EmailMessage;

/// A value a template can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{uid}`: the user id as the link carries it (`Nw` for 7).
    Uid,
    /// `{token}`: the activation or reset token.
    Token,
    /// `{domain}`: the site's domain (`DOMAIN`), with its port.
    Domain,
    /// `{protocol}`: `http` or `https`.
    Protocol,
    /// `{site_name}`: the site's name (`SITE_NAME`).
    SiteName,
    /// `{url}`: the link's path, from the view's URL template.
    Url,
    /// `{user}`: the username.
    User,
    /// `{email}`: the recipient's address.
    Email,
}

impl Placeholder {
    const ALL: [Placeholder; 8] = [
        Placeholder::Uid,
        Placeholder::Token,
        Placeholder::Domain,
        Placeholder::Protocol,
        Placeholder::SiteName,
        Placeholder::Url,
        Placeholder::User,
        Placeholder::Email,
    ];

    /// The name written between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Uid => "uid",
            Placeholder::Token => "token",
            Placeholder::Domain => "domain",
            Placeholder::Protocol => "protocol",
            Placeholder::SiteName => "site_name",
            Placeholder::Url => "url",
            Placeholder::User => "user",
            Placeholder::Email => "email",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` with a name that is not a [`Placeholder`].
    #[error("unknown placeholder {{{name}}} (known: uid, token, domain, protocol, site_name, url, user, email)")]
    UnknownPlaceholder {
        /// The name.
        name: String,
    },
    /// A `{` without its `}`, or a lone `}`: write `{{` and `}}` for braces.
    #[error("unbalanced brace at byte {at} (write {{{{ and }}}} for literal braces)")]
    UnbalancedBrace {
        /// Where.
        at: usize,
    },
    /// A template that must not be empty is.
    #[error("the {0} is empty")]
    Empty(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value {
        placeholder: Placeholder,
        safe: bool,
    },
}

/// Text with placeholders, parsed once.
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Template").field(&self.source()).finish()
    }
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            let brace = &rest[i..];
            let at = offset + i;
            let consumed = if brace.starts_with("{{") {
                text.push('{');
                2
            } else if brace.starts_with("}}") {
                text.push('}');
                2
            } else if brace.starts_with('}') {
                return Err(TemplateError::UnbalancedBrace { at });
            } else {
                let end = brace[1..]
                    .find(['}', '{'])
                    .filter(|&e| brace.as_bytes()[1 + e] == b'}')
                    .ok_or(TemplateError::UnbalancedBrace { at })?;
                let inner = &brace[1..1 + end];
                let (name, safe) = match inner.strip_suffix("|safe") {
                    Some(name) => (name, true),
                    None => (inner, false),
                };
                let placeholder = Placeholder::from_name(name).ok_or_else(|| {
                    TemplateError::UnknownPlaceholder {
                        name: inner.to_owned(),
                    }
                })?;
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Value { placeholder, safe });
                end + 2
            };
            rest = &brace[consumed..];
            offset = at + consumed;
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// The template written back (`{`/`}` doubled in the text).
    pub fn source(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(&text.replace('{', "{{").replace('}', "}}")),
                Part::Value { placeholder, safe } => {
                    out.push('{');
                    out.push_str(placeholder.name());
                    if *safe {
                        out.push_str("|safe");
                    }
                    out.push('}');
                }
            }
        }
        out
    }

    /// Whether `{placeholder}` occurs.
    pub fn uses(&self, placeholder: Placeholder) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Value { placeholder: q, .. } if *q == placeholder))
    }

    /// The text with the values of `context`, escaped for HTML where
    /// `autoescape` is on and the placeholder is not `|safe`.
    pub fn render(&self, context: &EmailContext, autoescape: bool) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value { placeholder, safe } => {
                    let value = context.get(*placeholder);
                    if autoescape && !safe {
                        escape_into(&mut out, value);
                    } else {
                        out.push_str(value);
                    }
                }
            }
        }
        out
    }
}

/// Django's `escape`: `& < > " '` as `&amp; &lt; &gt; &quot; &#x27;`.
pub fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

/// The values a template inserts; empty where not set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EmailContext {
    /// `{uid}`.
    pub uid: String,
    /// `{token}`.
    pub token: String,
    /// `{domain}`.
    pub domain: String,
    /// `{protocol}`.
    pub protocol: String,
    /// `{site_name}`.
    pub site_name: String,
    /// `{url}`.
    pub url: String,
    /// `{user}`.
    pub user: String,
    /// `{email}`.
    pub email: String,
}

/// Without the token and the link that carries it.
impl fmt::Debug for EmailContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailContext")
            .field("uid", &self.uid)
            .field("domain", &self.domain)
            .field("protocol", &self.protocol)
            .field("site_name", &self.site_name)
            .field("user", &self.user)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl EmailContext {
    /// The value of `placeholder`.
    pub fn get(&self, placeholder: Placeholder) -> &str {
        match placeholder {
            Placeholder::Uid => &self.uid,
            Placeholder::Token => &self.token,
            Placeholder::Domain => &self.domain,
            Placeholder::Protocol => &self.protocol,
            Placeholder::SiteName => &self.site_name,
            Placeholder::Url => &self.url,
            Placeholder::User => &self.user,
            Placeholder::Email => &self.email,
        }
    }
}

/// An email's subject, text and optional HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplate {
    subject: Template,
    text: Template,
    html: Option<Template>,
    autoescape: bool,
    strip: bool,
}

impl EmailTemplate {
    /// Parses an email template, escaping values (Django's autoescape, on
    /// in Djoser's templates) and trimming the rendered bodies (as Djoser
    /// does). The subject and the text must not be empty.
    pub fn parse(subject: &str, text: &str, html: Option<&str>) -> Result<Self, TemplateError> {
        if subject.trim().is_empty() {
            return Err(TemplateError::Empty("subject"));
        }
        if text.trim().is_empty() {
            return Err(TemplateError::Empty("text body"));
        }
        Ok(EmailTemplate {
            subject: Template::parse(subject)?,
            text: Template::parse(text)?,
            html: html.map(Template::parse).transpose()?,
            autoescape: true,
            strip: true,
        })
    }

    /// Whether values are HTML-escaped (Django's `{% autoescape %}`).
    pub fn autoescape(mut self, on: bool) -> Self {
        self.autoescape = on;
        self
    }

    /// Whether the rendered bodies are trimmed.
    pub fn strip(mut self, on: bool) -> Self {
        self.strip = on;
        self
    }

    /// Whether any part uses `placeholder`.
    pub fn uses(&self, placeholder: Placeholder) -> bool {
        self.subject.uses(placeholder)
            || self.text.uses(placeholder)
            || self.html.as_ref().is_some_and(|h| h.uses(placeholder))
    }

    /// The message for `to`: the subject on one line (Django joins its
    /// lines) and trimmed, the bodies trimmed when the template strips.
    pub fn render(&self, context: &EmailContext, from: &str, to: &str) -> EmailMessage {
        let subject: String = self
            .subject
            .render(context, self.autoescape)
            .lines()
            .collect();
        let finish = |body: String| {
            if self.strip {
                body.trim().to_owned()
            } else {
                body
            }
        };
        EmailMessage {
            subject: subject.trim().to_owned(),
            from: from.to_owned(),
            to: vec![to.to_owned()],
            text: finish(self.text.render(context, self.autoescape)),
            html: self
                .html
                .as_ref()
                .map(|h| finish(h.render(context, self.autoescape))),
        }
    }

    fn builtin(subject: &str, text: &str, html: &str) -> Self {
        match EmailTemplate::parse(subject, text, Some(html)) {
            Ok(template) => template,
            // The built-in templates are constants, parsed in this module's tests.
            Err(err) => unreachable!("built-in template: {err}"),
        }
    }

    /// Djoser's `email/activation.html`.
    pub fn djoser_activation() -> Self {
        Self::builtin(
            "Account activation on {site_name}",
            "You're receiving this email because you need to finish activation process on {site_name}.\n\n\
             Please go to the following page to activate account:\n\
             {protocol}://{domain}/{url|safe}\n\n\
             Thanks for using our site!\n\n\
             The {site_name} team",
            "<p>You're receiving this email because you need to finish activation process on {site_name}.</p>\n\n\
             <p>Please go to the following page to activate account:</p>\n\
             <p><a href=\"{protocol}://{domain}/{url|safe}\">{protocol}://{domain}/{url|safe}</a></p>\n\n\
             <p>Thanks for using our site!</p>\n\n\
             <p>The {site_name} team</p>",
        )
    }

    /// Djoser's `email/confirmation.html` (after activation).
    pub fn djoser_confirmation() -> Self {
        Self::builtin(
            "{site_name} - Your account has been successfully created and activated!",
            "Your account has been created and is ready to use!\n\n\
             Thanks for using our site!\n\n\
             The {site_name} team",
            "<p>Your account has been created and is ready to use!</p>\n\n\
             <p>Thanks for using our site!</p>\n\n\
             <p>The {site_name} team</p>",
        )
    }

    /// Djoser's `email/password_reset.html`.
    pub fn djoser_password_reset() -> Self {
        Self::reset("password")
    }

    /// Djoser's `email/username_reset.html`.
    pub fn djoser_username_reset() -> Self {
        Self::reset("username")
    }

    fn reset(what: &str) -> Self {
        Self::builtin(
            &format!("{} reset on {{site_name}}", capitalize(what)),
            &format!(
                "You're receiving this email because you requested a {what} reset for your user account at {{site_name}}.\n\n\
                 Please go to the following page and choose a new {what}:\n\
                 {{protocol}}://{{domain}}/{{url|safe}}\n\
                 Your username, in case you've forgotten: {{user}}\n\n\
                 Thanks for using our site!\n\n\
                 The {{site_name}} team"
            ),
            &format!(
                "<p>You're receiving this email because you requested a {what} reset for your user account at {{site_name}}.</p>\n\n\
                 <p>Please go to the following page and choose a new {what}:</p>\n\
                 <a href=\"{{protocol}}://{{domain}}/{{url|safe}}\">{{protocol}}://{{domain}}/{{url|safe}}</a>\n\
                 <p>Your username, in case you've forgotten: <b>{{user}}</b></p>\n\n\
                 <p>Thanks for using our site!</p>\n\n\
                 <p>The {{site_name}} team</p>"
            ),
        )
    }

    /// Djoser's `email/password_changed_confirmation.html`.
    pub fn djoser_password_changed_confirmation() -> Self {
        Self::changed("password")
    }

    /// Djoser's `email/username_changed_confirmation.html`.
    pub fn djoser_username_changed_confirmation() -> Self {
        Self::changed("username")
    }

    fn changed(what: &str) -> Self {
        Self::builtin(
            &format!("{{site_name}} - Your {what} has been successfully changed!"),
            &format!(
                "Your {what} has been changed!\n\n\
                 Thanks for using our site!\n\n\
                 The {{site_name}} team"
            ),
            &format!(
                "<p>Your {what} has been changed!</p>\n\n\
                 <p>Thanks for using our site!</p>\n\n\
                 <p>The {{site_name}} team</p>"
            ),
        )
    }

    /// Django's password reset email (the admin's
    /// `registration/password_reset_email.html` and
    /// `registration/password_reset_subject.txt`): text only, not escaped,
    /// not trimmed; `{url}` is the link's path, from the root.
    pub fn django_password_reset() -> Self {
        let parsed = (
            Template::parse("Password reset on {site_name}"),
            Template::parse(
                "\nYou're receiving this email because you requested a password reset for your user account at {site_name}.\n\n\
                 Please go to the following page and choose a new password:\n\n\
                 {protocol}://{domain}{url}\n\n\
                 In case you\u{2019}ve forgotten, you are: {user}\n\n\
                 Thanks for using our site!\n\n\
                 The {site_name} team\n\n\n",
            ),
        );
        match parsed {
            (Ok(subject), Ok(text)) => EmailTemplate {
                subject,
                text,
                html: None,
                autoescape: false,
                strip: false,
            },
            // The built-in templates are constants, parsed in this module's tests.
            _ => unreachable!("built-in template"),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Django 5.2 renders for Djoser 2.3.5's templates with these
    /// values (`BaseEmailMessage.render`), and for the admin's password
    /// reset email.
    fn context() -> EmailContext {
        EmailContext {
            uid: "Nw".into(),
            token: "tok-en".into(),
            domain: "d<o>'m".into(),
            protocol: "http".into(),
            site_name: "S'<n>&".into(),
            url: "a<'&>/b".into(),
            user: "a<b>'&\"".into(),
            email: "e@x".into(),
        }
    }

    #[test]
    fn djoser_activation_as_django_renders_it() {
        let m = EmailTemplate::djoser_activation().render(&context(), "f@x", "e@x");
        assert_eq!(m.subject, "Account activation on S&#x27;&lt;n&gt;&amp;");
        assert_eq!(m.text, "You're receiving this email because you need to finish activation process on S&#x27;&lt;n&gt;&amp;.\n\nPlease go to the following page to activate account:\nhttp://d&lt;o&gt;&#x27;m/a<'&>/b\n\nThanks for using our site!\n\nThe S&#x27;&lt;n&gt;&amp; team");
        assert_eq!(m.html.as_deref(), Some("<p>You're receiving this email because you need to finish activation process on S&#x27;&lt;n&gt;&amp;.</p>\n\n<p>Please go to the following page to activate account:</p>\n<p><a href=\"http://d&lt;o&gt;&#x27;m/a<'&>/b\">http://d&lt;o&gt;&#x27;m/a<'&>/b</a></p>\n\n<p>Thanks for using our site!</p>\n\n<p>The S&#x27;&lt;n&gt;&amp; team</p>"));
    }

    #[test]
    fn djoser_resets_and_confirmations_as_django_renders_them() {
        let m = EmailTemplate::djoser_password_reset().render(&context(), "f@x", "e@x");
        assert_eq!(m.subject, "Password reset on S&#x27;&lt;n&gt;&amp;");
        assert_eq!(m.text, "You're receiving this email because you requested a password reset for your user account at S&#x27;&lt;n&gt;&amp;.\n\nPlease go to the following page and choose a new password:\nhttp://d&lt;o&gt;&#x27;m/a<'&>/b\nYour username, in case you've forgotten: a&lt;b&gt;&#x27;&amp;&quot;\n\nThanks for using our site!\n\nThe S&#x27;&lt;n&gt;&amp; team");
        assert_eq!(m.html.as_deref(), Some("<p>You're receiving this email because you requested a password reset for your user account at S&#x27;&lt;n&gt;&amp;.</p>\n\n<p>Please go to the following page and choose a new password:</p>\n<a href=\"http://d&lt;o&gt;&#x27;m/a<'&>/b\">http://d&lt;o&gt;&#x27;m/a<'&>/b</a>\n<p>Your username, in case you've forgotten: <b>a&lt;b&gt;&#x27;&amp;&quot;</b></p>\n\n<p>Thanks for using our site!</p>\n\n<p>The S&#x27;&lt;n&gt;&amp; team</p>"));
        let m = EmailTemplate::djoser_username_reset().render(&context(), "f@x", "e@x");
        assert_eq!(m.subject, "Username reset on S&#x27;&lt;n&gt;&amp;");
        assert!(m
            .text
            .contains("Please go to the following page and choose a new username:\n"));
        let m = EmailTemplate::djoser_confirmation().render(&context(), "f@x", "e@x");
        assert_eq!(
            m.subject,
            "S&#x27;&lt;n&gt;&amp; - Your account has been successfully created and activated!"
        );
        assert_eq!(m.text, "Your account has been created and is ready to use!\n\nThanks for using our site!\n\nThe S&#x27;&lt;n&gt;&amp; team");
        let m =
            EmailTemplate::djoser_password_changed_confirmation().render(&context(), "f@x", "e@x");
        assert_eq!(
            m.subject,
            "S&#x27;&lt;n&gt;&amp; - Your password has been successfully changed!"
        );
        assert_eq!(m.html.as_deref(), Some("<p>Your password has been changed!</p>\n\n<p>Thanks for using our site!</p>\n\n<p>The S&#x27;&lt;n&gt;&amp; team</p>"));
        let m =
            EmailTemplate::djoser_username_changed_confirmation().render(&context(), "f@x", "e@x");
        assert_eq!(m.text, "Your username has been changed!\n\nThanks for using our site!\n\nThe S&#x27;&lt;n&gt;&amp; team");
    }

    #[test]
    fn django_password_reset_as_django_renders_it() {
        let context = EmailContext {
            domain: "localhost:8000".into(),
            site_name: "localhost:8000".into(),
            protocol: "http".into(),
            url: "/password-reset/confirm/Nw/tok-en/".into(),
            user: "a<b>".into(),
            ..EmailContext::default()
        };
        let m =
            EmailTemplate::django_password_reset().render(&context, "webmaster@localhost", "e@x");
        assert_eq!(m.subject, "Password reset on localhost:8000");
        assert_eq!(m.text, "\nYou're receiving this email because you requested a password reset for your user account at localhost:8000.\n\nPlease go to the following page and choose a new password:\n\nhttp://localhost:8000/password-reset/confirm/Nw/tok-en/\n\nIn case you\u{2019}ve forgotten, you are: a<b>\n\nThanks for using our site!\n\nThe localhost:8000 team\n\n\n");
        assert_eq!(m.html, None);
        assert_eq!(m.to, ["e@x"]);
    }

    #[test]
    fn parsing() {
        let t = Template::parse("{{literal}} {uid}/{token|safe} }}").unwrap();
        assert_eq!(t.source(), "{{literal}} {uid}/{token|safe} }}");
        assert!(t.uses(Placeholder::Uid) && !t.uses(Placeholder::Url));
        assert_eq!(
            Template::parse("{nope}"),
            Err(TemplateError::UnknownPlaceholder {
                name: "nope".into()
            })
        );
        assert_eq!(
            Template::parse("a {uid"),
            Err(TemplateError::UnbalancedBrace { at: 2 })
        );
        assert_eq!(
            Template::parse("a } b"),
            Err(TemplateError::UnbalancedBrace { at: 2 })
        );
        assert_eq!(
            Template::parse("{ {uid}}"),
            Err(TemplateError::UnbalancedBrace { at: 0 })
        );
        assert_eq!(
            EmailTemplate::parse(" ", "x", None),
            Err(TemplateError::Empty("subject"))
        );
        assert_eq!(Template::parse("").unwrap().render(&context(), true), "");
    }

    #[test]
    fn subjects_are_one_line() {
        let t = EmailTemplate::parse("a\n{site_name}\r\nb", "x", None).unwrap();
        assert_eq!(
            t.render(&context(), "f", "t").subject,
            "aS&#x27;&lt;n&gt;&amp;b"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        assert!(!format!("{:?}", context()).contains("tok-en"));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_never_panics_and_round_trips(source in ".{0,64}") {
                if let Ok(t) = Template::parse(&source) {
                    prop_assert_eq!(Template::parse(&t.source()).unwrap(), t);
                }
            }

            #[test]
            fn literal_text_survives(text in "[^{}]{0,64}") {
                let t = Template::parse(&text).unwrap();
                prop_assert_eq!(t.render(&EmailContext::default(), true), text);
            }
        }
    }
}

//! dj-rest-auth 7.2.0's endpoints (`dj_rest_auth.urls`) in token mode,
//! without allauth: its bodies, status codes and settings, on Django's
//! `SetPasswordForm` and `PasswordResetForm`.
//!
//! ```no_run
//! use actix_web::{web, App};
//! use auth_actix::accounts::dj_rest_auth::{self, DjRestAuthSettings};
//! use auth_actix::email::Mailer;
//!
//! let rest_auth = DjRestAuthSettings::builder()
//!     .domain("example.com")
//!     .mailer(Mailer::from_url("smtp://127.0.0.1:25").unwrap())
//!     .build()
//!     .unwrap();
//! let app = App::new()
//!     .app_data(rest_auth)
//!     .service(web::scope("/dj-rest-auth").configure(dj_rest_auth::urls));
//! ```
//!
//! | endpoint | answers |
//! |---|---|
//! | `POST login/` | `{"username" or "email", "password"}`: 200 `{"key"}`, DRF's one token per user; with `SESSION_LOGIN` (on) the session is logged in too |
//! | `POST logout/` | 200 `{"detail": "Successfully logged out."}`: the caller's token deleted, the session ended; `GET` only with `ACCOUNT_LOGOUT_ON_GET` |
//! | `GET/PUT/PATCH user/` | `{"pk", "username", "email", "first_name", "last_name"}`; `email` and `pk` are read-only |
//! | `POST password/change/` | `{"new_password1", "new_password2"}` (and `old_password` with `OLD_PASSWORD_FIELD_ENABLED`): 200 `{"detail": "New password has been saved."}` |
//! | `POST password/reset/` | `{"email"}`: 200 `{"detail": "Password reset e-mail has been sent."}` whether or not the address has an account |
//! | `POST password/reset/confirm/` | `{"uid", "token", "new_password1", "new_password2"}`: 200 `{"detail": "Password has been reset with the new password."}` |
//!
//! Each path also answers without its trailing slash, as dj-rest-auth's
//! `re_path(r'login/?$')`.
//!
//! Where dj-rest-auth does worse, this does better:
//!
//! - The reset link is a template ([`DjRestAuthSettingsBuilder::password_reset_confirm_url`],
//!   Django's `password-reset/confirm/{uid}/{token}/` by default) on the
//!   configured `DOMAIN`: no `NoReverseMatch` 500 when no
//!   `password_reset_confirm` route is mounted, and never a `Host` header
//!   the client chose.
//! - `login/` runs no authentication class: a stale or invalid token or
//!   session cookie does not block the login (dj-rest-auth answers 401, or
//!   403 for a CSRF check of a stale session).
//! - An email shared by two users does not make `login/` fail with a 500
//!   (`MultipleObjectsReturned`): the email names nobody then.
//! - Unknown accounts cost the same work as known ones: an unknown email at
//!   `login/` still runs a password hash (dj-rest-auth skips it, which
//!   tells by timing whether an address has an account), and the reset
//!   email is sent after the answer, in a task of its own, so an SMTP server
//!   that is slow or down changes neither the status nor the timing.

use std::fmt;
use std::sync::Arc;

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::accounts::{
    self, dj_rest_auth_messages as messages, drf_max_length_message, email_errors, AccountStore,
    DetailsChange, FieldErrors,
};
use auth_core::email::{EmailTemplate, Mailer, Template};
use auth_core::error::{AuthError, ErrorDetail, Text};
use auth_core::models::USERNAME_MAX_LENGTH;
use auth_core::parsers::RequestData;
use auth_core::password_validation::{PasswordValidators, UserAttributes};
use auth_core::reset_tokens::PASSWORD_RESET_TIMEOUT;
use auth_core::serializers::fields::{non_field_error, CharField};
use auth_core::{StoreError, User};
use auth_macros::api_view;

use super::{
    account_store, auth_settings, configured_origin, current_user, email_field, json, on_accounts,
    one_field, read_mapping, token_generator, username_field, JsonObject,
};
use crate::blocking::run_blocking;
use crate::error::{ApiError, ConfigError};
use crate::metadata::{FieldInfo, Metadata};
use crate::AuthRequest;
use auth_core::permissions::{AllowAny, IsAuthenticated};

/// Every dj-rest-auth view at its path, for a scope's `configure`
/// (dj-rest-auth is usually mounted at `dj-rest-auth/`). Each also answers
/// without the trailing slash.
pub fn urls(config: &mut web::ServiceConfig) {
    config.service((
        password_reset,
        password_reset_confirm,
        login,
        logout,
        user_details,
        password_change,
    ));
    config.service(web::resource("/password/reset").to(password_reset));
    config.service(web::resource("/password/reset/confirm").to(password_reset_confirm));
    config.service(web::resource("/login").to(login));
    config.service(web::resource("/logout").to(logout));
    config.service(web::resource("/user").to(user_details));
    config.service(web::resource("/password/change").to(password_change));
}

// ----------------------------------------------------------------------------
// Settings

/// The `REST_AUTH` settings of token mode (and the Django settings its
/// views read: `ACCOUNT_LOGOUT_ON_GET`, `DEFAULT_FROM_EMAIL`,
/// `AUTH_PASSWORD_VALIDATORS`, `PASSWORD_RESET_TIMEOUT`), as app data.
/// Cheap to clone.
#[derive(Clone)]
pub struct DjRestAuthSettings(Arc<Inner>);

struct Inner {
    session_login: bool,
    old_password_field_enabled: bool,
    logout_on_password_change: bool,
    logout_on_get: bool,
    password_reset_confirm_url: Template,
    domain: Option<String>,
    protocol: Option<String>,
    site_name: Option<String>,
    password_reset_email: EmailTemplate,
    validators: PasswordValidators,
    mailer: Mailer,
    password_reset_timeout: u64,
}

impl fmt::Debug for DjRestAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        f.debug_struct("DjRestAuthSettings")
            .field("session_login", &s.session_login)
            .field("old_password_field_enabled", &s.old_password_field_enabled)
            .field("logout_on_password_change", &s.logout_on_password_change)
            .field("logout_on_get", &s.logout_on_get)
            .field("domain", &s.domain)
            .field("protocol", &s.protocol)
            .field("mailer", &s.mailer)
            .finish_non_exhaustive()
    }
}

impl DjRestAuthSettings {
    /// dj-rest-auth's defaults.
    pub fn builder() -> DjRestAuthSettingsBuilder {
        DjRestAuthSettingsBuilder::default()
    }

    fn from_request(request: &HttpRequest) -> Result<&DjRestAuthSettings, ApiError> {
        super::family_settings(request, "DjRestAuthSettings")
    }

    /// The mailer.
    pub fn mailer(&self) -> &Mailer {
        &self.0.mailer
    }
}

/// Builds [`DjRestAuthSettings`]; every setting is dj-rest-auth's or
/// Django's, by its name.
#[derive(Default)]
pub struct DjRestAuthSettingsBuilder {
    no_session_login: bool,
    old_password_field_enabled: bool,
    logout_on_password_change: bool,
    logout_on_get: bool,
    password_reset_confirm_url: Option<String>,
    domain: Option<String>,
    protocol: Option<String>,
    site_name: Option<String>,
    password_reset_email: Option<EmailTemplate>,
    validators: Option<PasswordValidators>,
    mailer: Option<Mailer>,
    password_reset_timeout: Option<u64>,
}

impl DjRestAuthSettingsBuilder {
    /// `SESSION_LOGIN` (on): `login/` also logs the session in (when the
    /// session middleware runs) and `logout/` ends it.
    pub fn session_login(mut self, on: bool) -> Self {
        self.no_session_login = !on;
        self
    }

    /// `OLD_PASSWORD_FIELD_ENABLED` (off): `password/change/` wants the
    /// current password as `old_password`.
    pub fn old_password_field_enabled(mut self, on: bool) -> Self {
        self.old_password_field_enabled = on;
        self
    }

    /// `LOGOUT_ON_PASSWORD_CHANGE` (off): a password change also ends the
    /// caller's session (by default it stays logged in, Django's
    /// `update_session_auth_hash`).
    pub fn logout_on_password_change(mut self, on: bool) -> Self {
        self.logout_on_password_change = on;
        self
    }

    /// allauth's `ACCOUNT_LOGOUT_ON_GET` (off): `GET logout/` logs out too
    /// (otherwise it is a 405).
    pub fn logout_on_get(mut self, on: bool) -> Self {
        self.logout_on_get = on;
        self
    }

    /// The path of the emailed reset link, from the root of
    /// [`domain`](Self::domain): `/password-reset/confirm/{uid}/{token}/` by
    /// default (the route Django's `password_reset_confirm` names in
    /// dj-rest-auth's documentation). Must use `{uid}` and `{token}`.
    pub fn password_reset_confirm_url(mut self, template: impl Into<String>) -> Self {
        self.password_reset_confirm_url = Some(template.into());
        self
    }

    /// The host, with its port, of the reset links (Django's current
    /// site's `domain`). Without it, the request's host (which
    /// `ALLOWED_HOSTS` has checked), as Django's `RequestSite`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// `http` or `https` for the links. Without it, the request's scheme
    /// (`request.is_secure()`).
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// The site name of the email; the domain by default.
    pub fn site_name(mut self, name: impl Into<String>) -> Self {
        self.site_name = Some(name.into());
        self
    }

    /// The reset email: Django's text-only `registration/password_reset_email.html`
    /// by default ([`EmailTemplate::django_password_reset`]); `{url}` is
    /// the link's path.
    pub fn password_reset_email(mut self, template: EmailTemplate) -> Self {
        self.password_reset_email = Some(template);
        self
    }

    /// `AUTH_PASSWORD_VALIDATORS`: Django's four by default.
    pub fn validators(mut self, validators: PasswordValidators) -> Self {
        self.validators = Some(validators);
        self
    }

    /// The email backend and sender: the console by default.
    pub fn mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// Django's `PASSWORD_RESET_TIMEOUT` in seconds (three days).
    pub fn password_reset_timeout(mut self, seconds: u64) -> Self {
        self.password_reset_timeout = Some(seconds);
        self
    }

    /// The settings, or what is wrong: a reset link template that does not
    /// parse or lacks `{uid}` or `{token}`.
    pub fn build(self) -> Result<DjRestAuthSettings, ConfigError> {
        let source = self
            .password_reset_confirm_url
            .unwrap_or_else(|| "/password-reset/confirm/{uid}/{token}/".to_owned());
        let template = Template::parse(&source)
            .map_err(|e| ConfigError::Accounts(format!("REST_AUTH: reset link: {e}")))?;
        use auth_core::email::Placeholder;
        if !(template.uses(Placeholder::Uid) && template.uses(Placeholder::Token)) {
            return Err(ConfigError::Accounts(format!(
                "REST_AUTH: the reset link {source:?} must use {{uid}} and {{token}}"
            )));
        }
        Ok(DjRestAuthSettings(Arc::new(Inner {
            session_login: !self.no_session_login,
            old_password_field_enabled: self.old_password_field_enabled,
            logout_on_password_change: self.logout_on_password_change,
            logout_on_get: self.logout_on_get,
            password_reset_confirm_url: template,
            domain: self.domain,
            protocol: self.protocol,
            site_name: self.site_name,
            password_reset_email: self
                .password_reset_email
                .unwrap_or_else(EmailTemplate::django_password_reset),
            validators: self
                .validators
                .unwrap_or_else(PasswordValidators::django_default),
            mailer: self.mailer.unwrap_or_default(),
            password_reset_timeout: self
                .password_reset_timeout
                .unwrap_or(PASSWORD_RESET_TIMEOUT),
        })))
    }
}

// ----------------------------------------------------------------------------
// Shared pieces

/// `{"detail": message}` with 200.
fn detail(message: &str) -> HttpResponse {
    json(
        StatusCode::OK,
        JsonObject::new().str("detail", message).finish(),
    )
}

/// DRF's `CharField(max_length=max)` (and `required`, `allow_blank` as
/// `field` says).
fn bounded_field(
    data: &RequestData,
    name: &str,
    field: CharField,
    max: Option<usize>,
) -> Result<String, Vec<Text>> {
    let value = field.run_validation(data.get(name))?;
    match max {
        Some(max) if value.chars().count() > max => {
            Err(vec![Text::Owned(drf_max_length_message(max))])
        }
        _ => Ok(value),
    }
}

/// Django's `SetPasswordForm(user, data).is_valid()` on the two passwords:
/// the mismatch, else the validators' messages, both under `new_password2`.
fn set_password_form_errors(
    s: &DjRestAuthSettings,
    user: &User,
    password1: &str,
    password2: &str,
) -> Result<(), ApiError> {
    if password1 != password2 {
        return Err(one_field(
            "new_password2",
            vec![Text::Borrowed(messages::PASSWORD_MISMATCH)],
        ));
    }
    let attributes = UserAttributes::of_user(
        &user.username,
        &user.first_name,
        &user.last_name,
        &user.email,
    );
    match s.0.validators.validate(password2, Some(&attributes)) {
        Ok(()) => Ok(()),
        Err(errors) => Err(one_field(
            "new_password2",
            errors.into_iter().map(|e| Text::Owned(e.message)).collect(),
        )),
    }
}

/// `new_password1` and `new_password2`: DRF's `CharField(max_length=128)`.
fn new_passwords(errors: &mut FieldErrors, data: &RequestData) -> (Option<String>, Option<String>) {
    let field = |name| bounded_field(data, name, CharField::new(), Some(128));
    (
        errors.take("new_password1", field("new_password1")),
        errors.take("new_password2", field("new_password2")),
    )
}

// ----------------------------------------------------------------------------
// What `OPTIONS` says of the serializers (DRF's `SimpleMetadata`)

/// `LoginSerializer`.
const LOGIN_METADATA: Metadata = Metadata::new().serializer(&[
    FieldInfo::new("username", "string", "Username").optional(),
    FieldInfo::new("email", "email", "Email").optional(),
    FieldInfo::new("password", "string", "Password"),
]);

/// `UserDetailsSerializer` over Django's `User`.
const USER_METADATA: Metadata = Metadata::new().serializer(&[
    FieldInfo::new("pk", "integer", "ID").read_only(),
    FieldInfo::new("username", "string", "Username")
        .help_text("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.")
        .max_length(USERNAME_MAX_LENGTH),
    FieldInfo::new("email", "email", "Email address").read_only(),
    FieldInfo::new("first_name", "string", "First name")
        .optional()
        .max_length(USERNAME_MAX_LENGTH),
    FieldInfo::new("last_name", "string", "Last name")
        .optional()
        .max_length(USERNAME_MAX_LENGTH),
]);

/// `PasswordChangeSerializer` (without `old_password`, as by default).
const PASSWORD_CHANGE_METADATA: Metadata = Metadata::new().serializer(&[
    FieldInfo::new("new_password1", "string", "New password1").max_length(128),
    FieldInfo::new("new_password2", "string", "New password2").max_length(128),
]);

/// `PasswordResetSerializer`.
const PASSWORD_RESET_METADATA: Metadata =
    Metadata::new().serializer(&[FieldInfo::new("email", "email", "Email")]);

/// `PasswordResetConfirmSerializer`.
const PASSWORD_RESET_CONFIRM_METADATA: Metadata = Metadata::new().serializer(&[
    FieldInfo::new("new_password1", "string", "New password1").max_length(128),
    FieldInfo::new("new_password2", "string", "New password2").max_length(128),
    FieldInfo::new("uid", "string", "Uid"),
    FieldInfo::new("token", "string", "Token"),
]);

// ----------------------------------------------------------------------------
// login/ and logout/

/// `{"username", "password"}` (or `{"email", "password"}`): 200
/// `{"key": "<token>"}`, the user's one DRF token (created on the first
/// login), `last_login` updated and, with `SESSION_LOGIN`, the session
/// logged in. Wrong credentials or an inactive user: 400
/// `{"non_field_errors": ["Unable to log in with provided credentials."]}`.
///
/// No authentication class runs here: a stale token or session cookie
/// does not stand in the way of a new login.
#[api_view(
    POST,
    path = "/login/",
    metadata = LOGIN_METADATA,
    description = "Check the credentials and return the REST Token\nif the credentials are valid and authenticated.\nCalls Django Auth login method to register User ID\nin Django session framework\n\nAccept the following POST parameters: username, password\nReturn the REST Framework Token Object's key."
)]
#[authentication_classes()]
#[permission_classes(AllowAny)]
pub async fn login(request: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let s = DjRestAuthSettings::from_request(&request)?.clone();
    let settings = auth_settings(&request)?;
    let store = settings.store()?.clone();
    if s.0.session_login {
        // Configuration errors before any database work.
        settings.site().secret_key()?;
    }
    let data = read_mapping(&request, payload).await?;
    // `LoginSerializer`'s fields, in order.
    let mut errors = FieldErrors::new();
    let optional = CharField {
        trim_whitespace: true,
        allow_blank: true,
    };
    let username = match data.get("username") {
        None => None,
        Some(_) => errors.take("username", bounded_field(&data, "username", optional, None)),
    };
    let email = match data.get("email") {
        None => None,
        Some(_) => errors.take(
            "email",
            bounded_field(&data, "email", optional, None).and_then(|v| {
                let found = if v.is_empty() {
                    Vec::new()
                } else {
                    email_errors(&v)
                };
                if found.is_empty() {
                    Ok(v)
                } else {
                    Err(found)
                }
            }),
        ),
    };
    let password = errors.take(
        "password",
        bounded_field(&data, "password", CharField::new(), None),
    );
    errors.check()?;
    let Some(password) = password else {
        return Err(AuthError::server_error().into());
    };
    let accounts = AccountStore::new(store);
    let found = on_accounts(accounts, move |a| {
        // `get_auth_user_using_orm`: an email names the user it belongs to.
        let mut username = username.unwrap_or_default();
        if let Some(email) = email.filter(|e| !e.is_empty()) {
            if let Some(found) = a.user_by_email_iexact(&email)? {
                username = found.username;
            }
        }
        if username.is_empty() {
            // dj-rest-auth answers at once; the same hash work as a wrong
            // password keeps the timing from telling which emails exist.
            a.store().hashers().run_dummy(&password);
            return Ok(None);
        }
        let Some(user) = a.store().authenticate(&username, &password)? else {
            return Ok(None);
        };
        let token = match a.store().token_get_or_create(user.id) {
            Ok((token, _)) => token,
            // Deleted meanwhile: as wrong credentials.
            Err(StoreError::UserNotFound) => return Ok(None),
            Err(err) => return Err(err),
        };
        // Django's `user_logged_in` signal.
        match a.store().update_last_login(user.id) {
            Ok(()) | Err(StoreError::UserNotFound) => {}
            Err(err) => return Err(err),
        }
        Ok(Some((user, token)))
    })
    .await?;
    let Some((user, token)) = found else {
        return Err(non_field_error(messages::INVALID_CREDENTIALS).into());
    };
    if s.0.session_login && crate::http::middleware_ran(&request) {
        crate::session::login(&request, &user)?;
    }
    let mut response = json(
        StatusCode::OK,
        JsonObject::new().str("key", &token.key).finish(),
    );
    if s.0.session_login {
        crate::csrf::process_response(&request, settings.csrf(), response.headers_mut());
    }
    Ok(response)
}

/// `POST` (and `GET` with `ACCOUNT_LOGOUT_ON_GET`): 200 `{"detail":
/// "Successfully logged out."}`; the caller's token is deleted and, with
/// `SESSION_LOGIN`, the session ended. Anonymous callers get the same
/// answer (without `SESSION_LOGIN` and without a token: 400).
#[api_view(
    GET,
    POST,
    HEAD,
    path = "/logout/",
    description = "Calls Django logout method and delete the Token object\nassigned to the current User object.\n\nAccepts/Returns nothing."
)]
#[permission_classes(AllowAny)]
pub async fn logout(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let s = DjRestAuthSettings::from_request(&http)?.clone();
    if *http.method() != Method::POST && !s.0.logout_on_get {
        return Err(AuthError::method_not_allowed(http.method().as_str()).into());
    }
    if !(request.auth().is_some() || s.0.session_login) {
        return Err(AuthError::validation(ErrorDetail::Map(vec![(
            Text::Borrowed("detail"),
            ErrorDetail::Text(Text::Borrowed(messages::LOGOUT_NEEDS_LOGIN)),
        )]))
        .into());
    }
    if let Some(caller) = request.user().user() {
        let id = caller.id;
        let store = auth_settings(&http)?.store()?.clone();
        run_blocking(move || store.token_delete(id).map_err(AuthError::from)).await?;
    }
    if s.0.session_login && crate::http::middleware_ran(&http) {
        crate::session::logout(&http);
    }
    Ok(detail(messages::LOGGED_OUT))
}

// ----------------------------------------------------------------------------
// user/

/// `{"pk", "username", "email", "first_name", "last_name"}`:
/// `UserDetailsSerializer`.
fn user_body(user: &User) -> String {
    JsonObject::new()
        .int("pk", i64::from(user.id))
        .str("username", &user.username)
        .str("email", &user.email)
        .str("first_name", &user.first_name)
        .str("last_name", &user.last_name)
        .finish()
}

/// The caller: `GET` the details; `PUT` (`username` required) and `PATCH`
/// change `username`, `first_name` and `last_name` (`pk` and `email` are
/// read-only and ignored).
#[api_view(
    GET,
    PUT,
    PATCH,
    HEAD,
    path = "/user/",
    metadata = USER_METADATA,
    description = "Reads and updates UserModel fields\nAccepts GET, PUT, PATCH methods.\n\nDefault accepted fields: username, first_name, last_name\nDefault display fields: pk, username, email, first_name, last_name\nRead-only fields: pk, email\n\nReturns UserModel fields."
)]
#[permission_classes(IsAuthenticated)]
pub async fn user_details(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let caller = current_user(&request)?;
    let method = http.method().clone();
    if method == Method::GET || method == Method::HEAD {
        return Ok(json(StatusCode::OK, user_body(&caller)));
    }
    let partial = method == Method::PATCH;
    let data = read_mapping(&http, payload).await?;
    let accounts = account_store(&http)?;
    let mut errors = FieldErrors::new();
    // The model's fields, in `UserDetailsSerializer`'s order.
    let username = if data.get("username").is_none() && partial {
        None
    } else {
        let value = username_field(&data, "username");
        match errors.take("username", value) {
            Some(name) => {
                let lookup = name.clone();
                let other = on_accounts(accounts.clone(), move |a| {
                    a.store().user_by_username(&lookup)
                })
                .await?;
                if other.is_some_and(|u| u.id != caller.id) {
                    errors.add(
                        "username",
                        [Text::Borrowed(accounts::messages::USERNAME_TAKEN)],
                    );
                    None
                } else {
                    Some(name)
                }
            }
            None => None,
        }
    };
    let name_field = |errors: &mut FieldErrors, name: &'static str| match data.get(name) {
        None => None,
        Some(_) => errors.take(
            name,
            bounded_field(
                &data,
                name,
                CharField {
                    trim_whitespace: true,
                    allow_blank: true,
                },
                Some(USERNAME_MAX_LENGTH),
            ),
        ),
    };
    let first_name = name_field(&mut errors, "first_name");
    let last_name = name_field(&mut errors, "last_name");
    errors.check()?;
    let id = caller.id;
    let (u, f, l) = (username.clone(), first_name.clone(), last_name.clone());
    let saved = on_accounts(accounts, move |a| {
        let change = DetailsChange {
            username: u.as_deref(),
            first_name: f.as_deref(),
            last_name: l.as_deref(),
        };
        match a.update_details(id, &change) {
            Ok(()) => Ok(true),
            Err(StoreError::DuplicateUsername) => Ok(false),
            Err(err) => Err(err),
        }
    })
    .await?;
    if !saved {
        return Err(one_field(
            "username",
            vec![Text::Borrowed(accounts::messages::USERNAME_TAKEN)],
        ));
    }
    let mut updated = caller;
    if let Some(v) = username {
        updated.username = v;
    }
    if let Some(v) = first_name {
        updated.first_name = v;
    }
    if let Some(v) = last_name {
        updated.last_name = v;
    }
    Ok(json(StatusCode::OK, user_body(&updated)))
}

// ----------------------------------------------------------------------------
// password/

/// `{"new_password1", "new_password2"}` (and `old_password` with
/// `OLD_PASSWORD_FIELD_ENABLED`): 200 `{"detail": "New password has been
/// saved."}`. The caller's session stays logged in unless
/// `LOGOUT_ON_PASSWORD_CHANGE`; their other sessions end.
#[api_view(
    POST,
    path = "/password/change/",
    metadata = PASSWORD_CHANGE_METADATA,
    description = "Calls Django Auth SetPasswordForm save method.\n\nAccepts the following POST parameters: new_password1, new_password2\nReturns the success/fail message."
)]
#[permission_classes(IsAuthenticated)]
pub async fn password_change(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let s = DjRestAuthSettings::from_request(&http)?.clone();
    let caller = current_user(&request)?;
    let data = read_mapping(&http, payload).await?;
    let mut errors = FieldErrors::new();
    if s.0.old_password_field_enabled {
        let old = errors.take(
            "old_password",
            bounded_field(&data, "old_password", CharField::new(), Some(128)),
        );
        if let Some(old) = old {
            let store = auth_settings(&http)?.store()?.clone();
            let encoded = caller.password.clone();
            let valid = run_blocking(move || {
                Ok::<_, AuthError>(store.hashers().verify(&old, &encoded).is_valid())
            })
            .await?;
            if !valid {
                errors.add(
                    "old_password",
                    [Text::Borrowed(messages::OLD_PASSWORD_INCORRECT)],
                );
            }
        }
    }
    let (password1, password2) = new_passwords(&mut errors, &data);
    errors.check()?;
    let (Some(password1), Some(password2)) = (password1, password2) else {
        return Err(AuthError::server_error().into());
    };
    set_password_form_errors(&s, &caller, &password1, &password2)?;
    if s.0.logout_on_password_change {
        let id = caller.id;
        on_accounts(account_store(&http)?, move |a| {
            a.set_password(id, &password1, false)
        })
        .await?;
    } else if crate::http::middleware_ran(&http) {
        // Django's `update_session_auth_hash`: this session stays valid.
        crate::session::change_password(&http, caller.id, &password1).await?;
    } else {
        let id = caller.id;
        on_accounts(account_store(&http)?, move |a| {
            a.set_password(id, &password1, false)
        })
        .await?;
    }
    Ok(detail(messages::PASSWORD_SAVED))
}

/// `{"email"}`: 200 `{"detail": "Password reset e-mail has been sent."}`,
/// whether or not the address has an account. Each active user with a
/// usable password whose email matches (case-insensitively, as Django's
/// `PasswordResetForm`) is emailed a reset link, after the answer.
#[api_view(
    POST,
    path = "/password/reset/",
    metadata = PASSWORD_RESET_METADATA,
    description = "Calls Django Auth PasswordResetForm save method.\n\nAccepts the following POST parameters: email\nReturns the success/fail message."
)]
#[permission_classes(AllowAny)]
pub async fn password_reset(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let s = DjRestAuthSettings::from_request(&request)?.clone();
    let generator = token_generator(&request, s.0.password_reset_timeout)?;
    let accounts = account_store(&request)?;
    let data = read_mapping(&request, payload).await?;
    // DRF's `EmailField`, then the form's `EmailField(max_length=254)`.
    let email = email_field(&data, "email").map_err(|e| one_field("email", e))?;
    let users = on_accounts(accounts, move |a| a.users_for_password_reset(&email)).await?;
    let origin = configured_origin(&request, s.0.protocol.as_ref(), s.0.domain.as_ref());
    for user in &users {
        super::send_account_email(
            &s.0.mailer,
            &s.0.password_reset_email,
            origin.clone(),
            s.0.site_name.as_ref(),
            user,
            Some((&s.0.password_reset_confirm_url, &generator)),
        );
    }
    Ok(detail(messages::RESET_SENT))
}

/// `{"uid", "token", "new_password1", "new_password2"}` from a reset email:
/// 200 `{"detail": "Password has been reset with the new password."}`, and
/// the link is spent (the password hash it was made from changed). A bad
/// link: 400 `{"uid": ["Invalid value"]}` or `{"token": ["Invalid value"]}`.
#[api_view(
    POST,
    path = "/password/reset/confirm/",
    metadata = PASSWORD_RESET_CONFIRM_METADATA,
    description = "Password reset e-mail link is confirmed, therefore\nthis resets the user's password.\n\nAccepts the following POST parameters: token, uid,\n    new_password1, new_password2\nReturns the success/fail message."
)]
#[permission_classes(AllowAny)]
pub async fn password_reset_confirm(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let s = DjRestAuthSettings::from_request(&request)?.clone();
    let generator = token_generator(&request, s.0.password_reset_timeout)?;
    let accounts = account_store(&request)?;
    let data = read_mapping(&request, payload).await?;
    let mut errors = FieldErrors::new();
    let (password1, password2) = new_passwords(&mut errors, &data);
    let uid = errors.take("uid", bounded_field(&data, "uid", CharField::new(), None));
    let token = errors.take(
        "token",
        bounded_field(&data, "token", CharField::new(), None),
    );
    errors.check()?;
    let (Some(password1), Some(password2), Some(uid), Some(token)) =
        (password1, password2, uid, token)
    else {
        return Err(AuthError::server_error().into());
    };
    let user = match accounts::uid_to_pk(&uid) {
        Some(pk) => on_accounts(accounts.clone(), move |a| a.store().user_by_id(pk)).await?,
        None => None,
    };
    let Some(user) = user else {
        return Err(one_field(
            "uid",
            vec![Text::Borrowed(messages::INVALID_VALUE)],
        ));
    };
    if !accounts::check_token(&generator, &user, &token) {
        return Err(one_field(
            "token",
            vec![Text::Borrowed(messages::INVALID_VALUE)],
        ));
    }
    set_password_form_errors(&s, &user, &password1, &password2)?;
    let id = user.id;
    on_accounts(accounts, move |a| a.set_password(id, &password1, false)).await?;
    Ok(detail(messages::PASSWORD_RESET))
}

//! Djoser 2.3.5's endpoints (`djoser.urls` and `djoser.urls.authtoken`):
//! its URL layout, bodies, status codes and settings.
//!
//! ```no_run
//! use actix_web::{web, App};
//! use auth_actix::accounts::djoser::{self, DjoserSettings};
//! use auth_actix::email::Mailer;
//!
//! let djoser_settings = DjoserSettings::builder()
//!     .send_activation_email(true)
//!     .activation_url("activate/{uid}/{token}")
//!     .password_reset_confirm_url("password/reset/confirm/{uid}/{token}")
//!     .username_reset_confirm_url("username/reset/confirm/{uid}/{token}")
//!     .domain("example.com")
//!     .mailer(Mailer::from_url("smtp://127.0.0.1:25").unwrap())
//!     .build()
//!     .unwrap();
//! let app = App::new()
//!     .app_data(djoser_settings)
//!     .service(web::scope("/auth").configure(djoser::urls));
//! ```
//!
//! | endpoint | answers |
//! |---|---|
//! | `POST users/` | 201 `{"email", "username", "id"}`; the user is inactive and emailed an activation link with `SEND_ACTIVATION_EMAIL` |
//! | `GET users/` | the caller alone, or every user for staff (`HIDE_USERS`) |
//! | `GET/PUT/PATCH/DELETE users/me/` | `{"email", "id", "username"}`; `DELETE` needs `current_password` |
//! | `GET/PUT/PATCH/DELETE users/{id}/` | the same for the caller or staff; another user's id is a 404 (`HIDE_USERS`), a 403 for `DELETE` |
//! | `POST users/activation/` | `{"uid", "token"}`: 204; an active user's link is 403 `Stale token for given user.` |
//! | `POST users/resend_activation/` | `{"email"}`: 204 whether or not the address is known; 400 without `SEND_ACTIVATION_EMAIL` |
//! | `POST users/set_password/` | `{"new_password", "current_password"}`: 204 |
//! | `POST users/reset_password/` | `{"email"}`: 204 whether or not the address is known |
//! | `POST users/reset_password_confirm/` | `{"uid", "token", "new_password"}`: 204, and the link is spent |
//! | `POST users/set_username/` | `{"new_username", "current_password"}`: 204 |
//! | `POST users/reset_username/` | `{"email"}`: 204 |
//! | `POST users/reset_username_confirm/` | `{"uid", "token", "new_username"}`: 204 |
//! | `POST token/login/` | `{"username", "password"}`: 200 `{"auth_token"}` (DRF's one token per user) |
//! | `POST token/logout/` | 204, the token deleted |
//!
//! Where Djoser does worse, this does better (each said where it applies):
//!
//! - A link template that is missing is an error of [`DjoserSettingsBuilder::build`],
//!   not an `AttributeError` (a 500) when the first email is sent.
//! - Links go to the configured `DOMAIN`, or to the request's `Origin` when
//!   it is one of the allow-listed [frontend origins](DjoserSettingsBuilder::frontend_origins)
//!   (Djoser #498, #781); never to a `Host` header the client chose.
//! - Two active users sharing an email address each get their reset email;
//!   Djoser answers 500 (`MultipleObjectsReturned`).
//! - The email goes out after the answer, in a task of its own: an SMTP
//!   server that is down or slow changes neither the status nor the time of
//!   the answer, so it tells nothing about which addresses have accounts.

use std::fmt;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::accounts::{self, email_errors, field_error, messages, AccountStore, FieldErrors};
use auth_core::email::{EmailTemplate, Mailer, Template, TemplateError};
use auth_core::error::{AuthError, Text};
use auth_core::parsers::RequestData;
use auth_core::password_validation::{PasswordValidators, UserAttributes};
use auth_core::reset_tokens::{PasswordResetTokenGenerator, PASSWORD_RESET_TIMEOUT};
use auth_core::serializers::fields::{non_field_error, CharField};
use auth_core::{NewUser, StoreError, User};
use auth_macros::api_view;

use super::{
    account_store, auth_settings, char_field, configured_origin, current_user, email_field, json,
    no_content, on_accounts, one_field, read_mapping, token_generator, username_field, JsonObject,
};
use crate::blocking::run_blocking;
use crate::error::{ApiError, ConfigError};
use crate::AuthRequest;
use auth_core::permissions::{AllowAny, IsAuthenticated};

/// Every Djoser view at Djoser's paths, for a scope's `configure` (Djoser
/// is usually mounted at `auth/`). `token/login` and `token/logout` also
/// answer without the trailing slash, as Djoser's `^token/login/?$`.
pub fn urls(config: &mut web::ServiceConfig) {
    config.service((
        users,
        users_me,
        activation,
        resend_activation,
        set_password,
        reset_password,
        reset_password_confirm,
        set_username,
        reset_username,
        reset_username_confirm,
    ));
    // After the fixed paths, which `{id}` would otherwise shadow.
    config.service((users_detail, token_login, token_logout));
    config.service(web::resource("/token/login").to(token_login));
    config.service(web::resource("/token/logout").to(token_logout));
}

// ----------------------------------------------------------------------------
// Settings

/// The email templates of [`DjoserSettings`], Djoser's by default.
#[derive(Debug, Clone)]
pub struct DjoserTemplates {
    /// `email/activation.html`.
    pub activation: EmailTemplate,
    /// `email/confirmation.html`.
    pub confirmation: EmailTemplate,
    /// `email/password_reset.html`.
    pub password_reset: EmailTemplate,
    /// `email/username_reset.html`.
    pub username_reset: EmailTemplate,
    /// `email/password_changed_confirmation.html`.
    pub password_changed_confirmation: EmailTemplate,
    /// `email/username_changed_confirmation.html`.
    pub username_changed_confirmation: EmailTemplate,
}

impl Default for DjoserTemplates {
    fn default() -> Self {
        DjoserTemplates {
            activation: EmailTemplate::djoser_activation(),
            confirmation: EmailTemplate::djoser_confirmation(),
            password_reset: EmailTemplate::djoser_password_reset(),
            username_reset: EmailTemplate::djoser_username_reset(),
            password_changed_confirmation: EmailTemplate::djoser_password_changed_confirmation(),
            username_changed_confirmation: EmailTemplate::djoser_username_changed_confirmation(),
        }
    }
}

/// Djoser's `DJOSER` settings (and the Django settings its emails read:
/// `DOMAIN`, `SITE_NAME`, `DEFAULT_FROM_EMAIL`, `AUTH_PASSWORD_VALIDATORS`,
/// `PASSWORD_RESET_TIMEOUT`), as app data. Cheap to clone.
#[derive(Clone)]
pub struct DjoserSettings(Arc<Inner>);

struct Inner {
    send_activation_email: bool,
    send_confirmation_email: bool,
    password_changed_email_confirmation: bool,
    username_changed_email_confirmation: bool,
    user_create_password_retype: bool,
    set_password_retype: bool,
    password_reset_confirm_retype: bool,
    password_reset_show_email_not_found: bool,
    username_reset_show_email_not_found: bool,
    hide_users: bool,
    activation_url: Option<Template>,
    password_reset_confirm_url: Template,
    username_reset_confirm_url: Template,
    domain: Option<String>,
    protocol: Option<String>,
    site_name: Option<String>,
    frontend_origins: Vec<(String, String)>,
    templates: DjoserTemplates,
    validators: PasswordValidators,
    mailer: Mailer,
    password_reset_timeout: u64,
}

impl fmt::Debug for DjoserSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        f.debug_struct("DjoserSettings")
            .field("send_activation_email", &s.send_activation_email)
            .field("send_confirmation_email", &s.send_confirmation_email)
            .field("hide_users", &s.hide_users)
            .field("domain", &s.domain)
            .field("protocol", &s.protocol)
            .field("site_name", &s.site_name)
            .field("frontend_origins", &s.frontend_origins)
            .field("mailer", &s.mailer)
            .finish_non_exhaustive()
    }
}

impl DjoserSettings {
    /// Djoser's defaults; the reset link templates must be given.
    pub fn builder() -> DjoserSettingsBuilder {
        DjoserSettingsBuilder::default()
    }

    fn from_request(request: &HttpRequest) -> Result<&DjoserSettings, ApiError> {
        super::family_settings(request, "DjoserSettings")
    }

    /// The mailer.
    pub fn mailer(&self) -> &Mailer {
        &self.0.mailer
    }
}

/// Builds [`DjoserSettings`]; every setting is Djoser's, by its name.
#[derive(Default)]
pub struct DjoserSettingsBuilder {
    send_activation_email: bool,
    send_confirmation_email: bool,
    password_changed_email_confirmation: bool,
    username_changed_email_confirmation: bool,
    user_create_password_retype: bool,
    set_password_retype: bool,
    password_reset_confirm_retype: bool,
    password_reset_show_email_not_found: bool,
    username_reset_show_email_not_found: bool,
    show_users: bool,
    activation_url: Option<String>,
    password_reset_confirm_url: Option<String>,
    username_reset_confirm_url: Option<String>,
    domain: Option<String>,
    protocol: Option<String>,
    site_name: Option<String>,
    frontend_origins: Vec<String>,
    templates: Option<DjoserTemplates>,
    validators: Option<PasswordValidators>,
    mailer: Option<Mailer>,
    password_reset_timeout: Option<u64>,
}

macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, on: bool) -> Self {
                self.$name = on;
                self
            }
        )*
    };
}

macro_rules! options {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
}

impl DjoserSettingsBuilder {
    flags! {
        /// `SEND_ACTIVATION_EMAIL` (off): new users are inactive until they
        /// follow the emailed link (needs [`activation_url`](Self::activation_url)).
        send_activation_email,
        /// `SEND_CONFIRMATION_EMAIL` (off).
        send_confirmation_email,
        /// `PASSWORD_CHANGED_EMAIL_CONFIRMATION` (off).
        password_changed_email_confirmation,
        /// `USERNAME_CHANGED_EMAIL_CONFIRMATION` (off).
        username_changed_email_confirmation,
        /// `USER_CREATE_PASSWORD_RETYPE` (off): `re_password` on registration.
        user_create_password_retype,
        /// `SET_PASSWORD_RETYPE` (off): `re_new_password` on `set_password`.
        set_password_retype,
        /// `PASSWORD_RESET_CONFIRM_RETYPE` (off).
        password_reset_confirm_retype,
        /// `PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND` (off): an unknown address is a
        /// 400, which tells who has an account.
        password_reset_show_email_not_found,
        /// `USERNAME_RESET_SHOW_EMAIL_NOT_FOUND` (off).
        username_reset_show_email_not_found,
    }

    /// `HIDE_USERS` (on): a non-staff user sees only themselves.
    pub fn hide_users(mut self, on: bool) -> Self {
        self.show_users = !on;
        self
    }

    options! {
        /// `ACTIVATION_URL`, e.g. `"#/activate/{uid}/{token}"`.
        activation_url: String,
        /// `PASSWORD_RESET_CONFIRM_URL`, e.g. `"#/password/reset/confirm/{uid}/{token}"`.
        password_reset_confirm_url: String,
        /// `USERNAME_RESET_CONFIRM_URL`, e.g. `"#/username/reset/confirm/{uid}/{token}"`.
        username_reset_confirm_url: String,
        /// Django's `DOMAIN` (or `EMAIL_FRONTEND_DOMAIN`): the host, with its
        /// port, of the links. Without it, the request's host (which
        /// `ALLOWED_HOSTS` has checked).
        domain: String,
        /// `EMAIL_FRONTEND_PROTOCOL`: `http` or `https`. Without it, the
        /// request's scheme.
        protocol: String,
        /// Django's `SITE_NAME` (or `EMAIL_FRONTEND_SITE_NAME`); the domain by
        /// default.
        site_name: String,
        /// The email templates (`DJOSER["EMAIL"]`).
        templates: DjoserTemplates,
        /// `AUTH_PASSWORD_VALIDATORS`: Django's four by default.
        validators: PasswordValidators,
        /// The email backend and sender: the console by default.
        mailer: Mailer,
        /// Django's `PASSWORD_RESET_TIMEOUT` in seconds (three days).
        password_reset_timeout: u64,
    }

    /// Frontend origins (`https://app.example.com`) a request may choose
    /// with its `Origin` header: its links then go there. Any other origin
    /// gets the configured [`domain`](Self::domain).
    pub fn frontend_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> Self {
        self.frontend_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// The settings, or what is missing or wrong: a link template that an
    /// enabled email needs, a template that does not parse, a frontend
    /// origin that is not `scheme://host[:port]`.
    pub fn build(self) -> Result<DjoserSettings, ConfigError> {
        let mut problems = Vec::new();
        let mut url = |name: &str, value: Option<String>, needed: bool| -> Option<Template> {
            match value {
                None => {
                    if needed {
                        problems.push(format!("{name} is not set"));
                    }
                    None
                }
                Some(source) => match Template::parse(&source) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        problems.push(format!("{name}: {e}"));
                        None
                    }
                },
            }
        };
        let activation_url = url(
            "ACTIVATION_URL",
            self.activation_url,
            self.send_activation_email,
        );
        let password_reset_confirm_url = url(
            "PASSWORD_RESET_CONFIRM_URL",
            self.password_reset_confirm_url,
            true,
        );
        let username_reset_confirm_url = url(
            "USERNAME_RESET_CONFIRM_URL",
            self.username_reset_confirm_url,
            true,
        );
        let mut frontend_origins = Vec::new();
        for origin in &self.frontend_origins {
            match origin.split_once("://") {
                Some((scheme @ ("http" | "https"), host))
                    if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) =>
                {
                    frontend_origins.push((scheme.to_owned(), host.to_ascii_lowercase()));
                }
                _ => problems.push(format!(
                    "frontend origin {origin:?} is not http(s)://host[:port]"
                )),
            }
        }
        match (password_reset_confirm_url, username_reset_confirm_url) {
            (Some(password_reset_confirm_url), Some(username_reset_confirm_url))
                if problems.is_empty() =>
            {
                Ok(DjoserSettings(Arc::new(Inner {
                    send_activation_email: self.send_activation_email,
                    send_confirmation_email: self.send_confirmation_email,
                    password_changed_email_confirmation: self.password_changed_email_confirmation,
                    username_changed_email_confirmation: self.username_changed_email_confirmation,
                    user_create_password_retype: self.user_create_password_retype,
                    set_password_retype: self.set_password_retype,
                    password_reset_confirm_retype: self.password_reset_confirm_retype,
                    password_reset_show_email_not_found: self.password_reset_show_email_not_found,
                    username_reset_show_email_not_found: self.username_reset_show_email_not_found,
                    hide_users: !self.show_users,
                    activation_url,
                    password_reset_confirm_url,
                    username_reset_confirm_url,
                    domain: self.domain,
                    protocol: self.protocol,
                    site_name: self.site_name,
                    frontend_origins,
                    templates: self.templates.unwrap_or_default(),
                    validators: self
                        .validators
                        .unwrap_or_else(PasswordValidators::django_default),
                    mailer: self.mailer.unwrap_or_default(),
                    password_reset_timeout: self
                        .password_reset_timeout
                        .unwrap_or(PASSWORD_RESET_TIMEOUT),
                })))
            }
            _ => Err(ConfigError::Accounts(format!(
                "DJOSER: {}",
                problems.join("; ")
            ))),
        }
    }
}

/// A template error as a settings error.
impl From<TemplateError> for ConfigError {
    fn from(error: TemplateError) -> Self {
        ConfigError::Accounts(error.to_string())
    }
}

// ----------------------------------------------------------------------------
// Shared pieces

/// The account store and the token generator for a request.
struct Context {
    accounts: AccountStore,
    generator: PasswordResetTokenGenerator,
}

fn context(request: &HttpRequest, djoser: &DjoserSettings) -> Result<Context, ApiError> {
    Ok(Context {
        accounts: account_store(request)?,
        generator: token_generator(request, djoser.0.password_reset_timeout)?,
    })
}

/// Which email, with its template and link.
#[derive(Clone, Copy)]
enum Email {
    Activation,
    Confirmation,
    PasswordReset,
    UsernameReset,
    PasswordChanged,
    UsernameChanged,
}

/// Renders the email for `user` and sends it after the answer.
fn send(request: &HttpRequest, djoser: &DjoserSettings, ctx: &Context, email: Email, user: &User) {
    let s = &djoser.0;
    let (template, link) = match email {
        Email::Activation => (&s.templates.activation, s.activation_url.as_ref()),
        Email::Confirmation => (&s.templates.confirmation, None),
        Email::PasswordReset => (
            &s.templates.password_reset,
            Some(&s.password_reset_confirm_url),
        ),
        Email::UsernameReset => (
            &s.templates.username_reset,
            Some(&s.username_reset_confirm_url),
        ),
        Email::PasswordChanged => (&s.templates.password_changed_confirmation, None),
        Email::UsernameChanged => (&s.templates.username_changed_confirmation, None),
    };
    super::send_account_email(
        &s.mailer,
        template,
        link_origin(request, djoser),
        s.site_name.as_ref(),
        user,
        link.map(|link| (link, &ctx.generator)),
    );
}

/// The scheme and host of the links: an allow-listed `Origin`, else the
/// configured ones, else the request's (its host checked by `ALLOWED_HOSTS`).
fn link_origin(request: &HttpRequest, djoser: &DjoserSettings) -> (String, String) {
    let s = &djoser.0;
    if let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        if let Some((scheme, host)) = origin.split_once("://") {
            let host = host.to_ascii_lowercase();
            if let Some((scheme, host)) =
                s.frontend_origins
                    .iter()
                    .find(|(allowed_scheme, allowed_host)| {
                        allowed_scheme == scheme && *allowed_host == host
                    })
            {
                return (scheme.clone(), host.clone());
            }
        }
    }
    configured_origin(request, s.protocol.as_ref(), s.domain.as_ref())
}

/// Django's `validate_password` messages for `password` and `user`.
fn password_errors(djoser: &DjoserSettings, password: &str, user: &UserAttributes) -> Vec<Text> {
    match djoser.0.validators.validate(password, Some(user)) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| Text::Owned(e.message)).collect(),
    }
}

fn attributes(user: &User) -> UserAttributes {
    UserAttributes::of_user(
        &user.username,
        &user.first_name,
        &user.last_name,
        &user.email,
    )
}

/// Whether `raw` is the user's password (on the blocking pool).
async fn check_password(ctx: &Context, user: &User, raw: String) -> Result<bool, ApiError> {
    let hashers = ctx.accounts.store().clone();
    let encoded = user.password.clone();
    Ok(run_blocking(move || {
        Ok::<_, AuthError>(hashers.hashers().verify(&raw, &encoded).is_valid())
    })
    .await?)
}

/// `{"email", "id", "username"}`: Djoser's `UserSerializer`.
fn user_body(user: &User) -> String {
    JsonObject::new()
        .str("email", &user.email)
        .int("id", i64::from(user.id))
        .str("username", &user.username)
        .finish()
}

/// Reads a user by id on the blocking pool.
async fn load_user(ctx: &Context, id: i32) -> Result<Option<User>, ApiError> {
    let store = ctx.accounts.store().clone();
    Ok(run_blocking(move || store.user_by_id(id).map_err(AuthError::from)).await?)
}

/// `UidAndTokenSerializer.validate`: the user the link names, if the token is
/// good for them.
async fn user_of_link(ctx: &Context, uid: &str, token: &str) -> Result<User, ApiError> {
    let user = match accounts::uid_to_pk(uid) {
        Some(pk) => load_user(ctx, pk).await?,
        None => None,
    };
    let Some(user) = user else {
        return Err(field_error("uid", messages::INVALID_UID).into());
    };
    if !accounts::check_token(&ctx.generator, &user, token) {
        return Err(field_error("token", messages::INVALID_TOKEN).into());
    }
    Ok(user)
}

/// What every `POST` view starts from: the settings, the store and token
/// generator, and the body.
async fn begin(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<(DjoserSettings, Context, RequestData), ApiError> {
    let djoser = DjoserSettings::from_request(request)?.clone();
    let ctx = context(request, &djoser)?;
    let data = read_mapping(request, payload).await?;
    Ok((djoser, ctx, data))
}

/// `CurrentPasswordSerializer`: `current_password` required and the
/// caller's.
async fn check_current_password(
    errors: &mut FieldErrors,
    data: &RequestData,
    ctx: &Context,
    caller: &User,
) -> Result<(), ApiError> {
    let current = errors.take("current_password", char_field(data, "current_password"));
    if let Some(current) = current {
        if !check_password(ctx, caller, current).await? {
            errors.add(
                "current_password",
                [Text::Borrowed(messages::INVALID_PASSWORD)],
            );
        }
    }
    Ok(())
}

/// Runs a store write on the blocking pool, 503 on an outage.
async fn write<T: Send + 'static>(
    ctx: &Context,
    work: impl FnOnce(&AccountStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    on_accounts(ctx.accounts.clone(), work).await
}

// ----------------------------------------------------------------------------
// users/

/// `GET`: the users the caller may see (the caller alone, or everyone for
/// staff); `POST`: register (`UserCreateSerializer`).
#[api_view(GET, HEAD, POST, path = "/users/", description = "")]
#[permission_classes(AllowAny)]
pub async fn users(request: AuthRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let djoser = DjoserSettings::from_request(&http)?;
    let ctx = context(&http, djoser)?;
    if http.method() != actix_web::http::Method::POST {
        // `CurrentUserOrAdmin` for the list.
        let caller = current_user(&request)?;
        let visible = if caller.is_staff || !djoser.0.hide_users {
            write(&ctx, |a| a.all_users()).await?
        } else {
            vec![caller]
        };
        let items: Vec<String> = visible.iter().map(user_body).collect();
        return Ok(json(StatusCode::OK, format!("[{}]", items.join(","))));
    }
    let data = read_mapping(&http, payload).await?;
    let mut errors = FieldErrors::new();
    // ModelSerializer fields: REQUIRED_FIELDS (email), username, password.
    let email = match data.get("email") {
        None => Some(String::new()),
        Some(_) => {
            let value = CharField {
                trim_whitespace: true,
                allow_blank: true,
            }
            .run_validation(data.get("email"));
            let value = value.and_then(|v| {
                let errs = if v.is_empty() {
                    Vec::new()
                } else {
                    email_errors(&v)
                };
                if errs.is_empty() {
                    Ok(v)
                } else {
                    Err(errs)
                }
            });
            errors.take("email", value)
        }
    };
    let username = errors.take("username", username_field(&data, "username"));
    let password = errors.take("password", char_field(&data, "password"));
    let re_password = if djoser.0.user_create_password_retype {
        errors.take("re_password", char_field(&data, "re_password"))
    } else {
        None
    };
    if let Some(name) = &username {
        let store = ctx.accounts.store().clone();
        let name = name.clone();
        if run_blocking(move || store.user_by_username(&name).map_err(AuthError::from))
            .await?
            .is_some()
        {
            errors.add("username", [Text::Borrowed(messages::USERNAME_TAKEN)]);
        }
    }
    errors.check()?;
    let (Some(email), Some(username), Some(password)) = (email, username, password) else {
        return Err(AuthError::server_error().into());
    };
    let attrs = UserAttributes::of_user(&username, "", "", &email);
    let weak = password_errors(djoser, &password, &attrs);
    if !weak.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("password", weak);
        return Err(errors.into_error().into());
    }
    if djoser.0.user_create_password_retype && re_password.as_deref() != Some(&password) {
        return Err(non_field_error(messages::PASSWORD_MISMATCH).into());
    }
    let active = !djoser.0.send_activation_email;
    let created = write(&ctx, move |a| {
        let mut new = NewUser::new(username, Some(password));
        new.email = email;
        new.is_active = active;
        match a.store().create_user(new) {
            Ok(user) => Ok(Some(user)),
            // Djoser's `IntegrityError` (a concurrent registration won the
            // name) and what Django's model would refuse.
            Err(
                StoreError::DuplicateUsername
                | StoreError::InvalidUsername(_)
                | StoreError::InvalidField(_),
            ) => Ok(None),
            Err(err) => Err(err),
        }
    })
    .await?;
    let Some(user) = created else {
        return Err(non_field_error(messages::CANNOT_CREATE_USER).into());
    };
    if djoser.0.send_activation_email {
        send(&http, djoser, &ctx, Email::Activation, &user);
    } else if djoser.0.send_confirmation_email {
        send(&http, djoser, &ctx, Email::Confirmation, &user);
    }
    let body = JsonObject::new()
        .str("email", &user.email)
        .str("username", &user.username)
        .int("id", i64::from(user.id))
        .finish();
    Ok(json(StatusCode::CREATED, body))
}

// ----------------------------------------------------------------------------
// users/me/ and users/{id}/

/// The current user: `GET` `{"email", "id", "username"}`; `PUT`/`PATCH`
/// the email (the username is read-only); `DELETE` with
/// `{"current_password"}`, which deletes the user and their token.
#[api_view(GET, HEAD, PUT, PATCH, DELETE, path = "/users/me/", description = "")]
#[permission_classes(IsAuthenticated)]
pub async fn users_me(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = current_user(&request)?;
    user_object(&request, payload, caller).await
}

/// A user by id, for that user or staff: as [`users_me`]; another user's
/// id is a 404 with `HIDE_USERS` (a 403 for `DELETE`, as in Djoser).
#[api_view(GET, HEAD, PUT, PATCH, DELETE, path = "/users/{id}/", description = "")]
#[permission_classes(IsAuthenticated)]
pub async fn users_detail(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let djoser = DjoserSettings::from_request(&http)?;
    let ctx = context(&http, djoser)?;
    let caller = current_user(&request)?;
    let id = http
        .match_info()
        .get("id")
        .and_then(|id| id.parse::<i32>().ok());
    let Some(target) = (match id {
        Some(id) => load_user(&ctx, id).await?,
        None => None,
    }) else {
        return Err(AuthError::not_found().into());
    };
    // `CurrentUserOrAdmin.has_object_permission`.
    if !(caller.is_staff || caller.id == target.id) {
        let hidden = djoser.0.hide_users && http.method() != actix_web::http::Method::DELETE;
        return Err(if hidden {
            AuthError::not_found()
        } else {
            AuthError::permission_denied()
        }
        .into());
    }
    user_object(&request, payload, target).await
}

async fn user_object(
    request: &AuthRequest,
    payload: web::Payload,
    target: User,
) -> Result<HttpResponse, ApiError> {
    use actix_web::http::Method;
    let http = request.http_request().clone();
    let djoser = DjoserSettings::from_request(&http)?;
    let ctx = context(&http, djoser)?;
    let method = http.method().clone();
    if method == Method::GET || method == Method::HEAD {
        return Ok(json(StatusCode::OK, user_body(&target)));
    }
    let data = read_mapping(&http, payload).await?;
    if method == Method::DELETE {
        let current =
            char_field(&data, "current_password").map_err(|e| one_field("current_password", e))?;
        // `CurrentPasswordSerializer` checks the caller's password.
        let caller = current_user(request)?;
        if !check_password(&ctx, &caller, current).await? {
            return Err(field_error("current_password", messages::INVALID_PASSWORD).into());
        }
        let id = target.id;
        write(&ctx, move |a| a.store().delete_user(id)).await?;
        return Ok(no_content());
    }
    // PUT and PATCH: only the email is writable, and it is optional.
    let email = match data.get("email") {
        None => None,
        Some(value) => {
            let value = CharField {
                trim_whitespace: true,
                allow_blank: true,
            }
            .run_validation(Some(value))
            .and_then(|v| {
                let errs = if v.is_empty() {
                    Vec::new()
                } else {
                    email_errors(&v)
                };
                if errs.is_empty() {
                    Ok(v)
                } else {
                    Err(errs)
                }
            })
            .map_err(|e| one_field("email", e))?;
            Some(value)
        }
    };
    let mut user = target;
    if let Some(email) = email {
        // Djoser's `UserSerializer.update`: a changed email deactivates the
        // user until the new address is confirmed.
        let deactivate = djoser.0.send_activation_email && email != user.email;
        let id = user.id;
        let new_email = email.clone();
        write(&ctx, move |a| {
            a.set_email(id, &new_email, deactivate.then_some(false))
        })
        .await?;
        user.email = email;
        if deactivate {
            user.is_active = false;
            send(&http, djoser, &ctx, Email::Activation, &user);
        }
    }
    Ok(json(StatusCode::OK, user_body(&user)))
}

// ----------------------------------------------------------------------------
// Activation

/// `{"uid", "token"}` from an activation email: the user becomes active
/// (204). A link for an active user is 403 `Stale token for given user.`
#[api_view(POST, path = "/users/activation/", description = "")]
#[permission_classes(AllowAny)]
pub async fn activation(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (djoser, ctx, data) = begin(&request, payload).await?;
    let djoser = &djoser;
    let mut errors = FieldErrors::new();
    let uid = errors.take("uid", char_field(&data, "uid"));
    let token = errors.take("token", char_field(&data, "token"));
    errors.check()?;
    let (Some(uid), Some(token)) = (uid, token) else {
        return Err(AuthError::server_error().into());
    };
    let user = user_of_link(&ctx, &uid, &token).await?;
    if user.is_active {
        return Err(AuthError::permission_denied_with(messages::STALE_TOKEN).into());
    }
    let id = user.id;
    write(&ctx, move |a| a.store().set_active(id, true)).await?;
    if djoser.0.send_confirmation_email {
        send(&request, djoser, &ctx, Email::Confirmation, &user);
    }
    Ok(no_content())
}

/// The views that take `{"email"}` and email each user with that address.
macro_rules! email_views {
    ($($(#[$doc:meta])* $name:ident at $path:literal sends $email:ident;)*) => {
        $(
            $(#[$doc])*
            #[api_view(POST, path = $path, description = "")]
            #[permission_classes(AllowAny)]
            pub async fn $name(
                request: HttpRequest,
                payload: web::Payload,
            ) -> Result<HttpResponse, ApiError> {
                email_action(request, payload, Email::$email).await
            }
        )*
    };
}

email_views! {
    /// `{"email"}`: a new activation email to each inactive user with that
    /// address (204 whether there is one or not); 400 with an empty body
    /// without `SEND_ACTIVATION_EMAIL`.
    resend_activation at "/users/resend_activation/" sends Activation;
    /// `{"email"}`: a password reset email to each active user with that
    /// address and a usable password; 204 whether there is one or not.
    reset_password at "/users/reset_password/" sends PasswordReset;
    /// `{"email"}`: a username reset email, as [`reset_password`].
    reset_username at "/users/reset_username/" sends UsernameReset;
}

/// `SendEmailResetSerializer` and `get_user`, then the email to each user.
async fn email_action(
    request: HttpRequest,
    payload: web::Payload,
    email: Email,
) -> Result<HttpResponse, ApiError> {
    let (djoser, ctx, data) = begin(&request, payload).await?;
    let djoser = &djoser;
    let address = email_field(&data, "email").map_err(|e| one_field("email", e))?;
    let want_active = !matches!(email, Email::Activation);
    let found = write(&ctx, move |a| a.users_by_email(&address, want_active)).await?;
    let recipients: Vec<User> = found
        .into_iter()
        .filter(|u| auth_core::hashers::is_password_usable(&u.password))
        .collect();
    let s = &djoser.0;
    if recipients.is_empty()
        && (s.password_reset_show_email_not_found || s.username_reset_show_email_not_found)
    {
        // `self.fail("email_not_found")` outside `is_valid`: a list body.
        return Err(
            AuthError::validation(auth_core::error::ErrorDetail::List(vec![
                auth_core::error::ErrorDetail::Text(Text::Borrowed(messages::EMAIL_NOT_FOUND)),
            ]))
            .into(),
        );
    }
    if matches!(email, Email::Activation) && !s.send_activation_email {
        return Ok(HttpResponse::BadRequest().finish());
    }
    for user in &recipients {
        send(&request, djoser, &ctx, email, user);
    }
    Ok(no_content())
}

// ----------------------------------------------------------------------------
// Password and username

/// `{"new_password", "current_password"}` (and `re_new_password` with
/// `SET_PASSWORD_RETYPE`): 204, the password changed.
#[api_view(POST, path = "/users/set_password/", description = "")]
#[permission_classes(IsAuthenticated)]
pub async fn set_password(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let caller = current_user(&request)?;
    let (djoser, ctx, data) = begin(&http, payload).await?;
    let djoser = &djoser;
    let mut errors = FieldErrors::new();
    let new_password = errors.take("new_password", char_field(&data, "new_password"));
    let re_new_password = if djoser.0.set_password_retype {
        errors.take("re_new_password", char_field(&data, "re_new_password"))
    } else {
        None
    };
    check_current_password(&mut errors, &data, &ctx, &caller).await?;
    errors.check()?;
    let Some(new_password) = new_password else {
        return Err(AuthError::server_error().into());
    };
    let weak = password_errors(djoser, &new_password, &attributes(&caller));
    if !weak.is_empty() {
        return Err(one_field("new_password", weak));
    }
    if djoser.0.set_password_retype && re_new_password.as_deref() != Some(&new_password) {
        return Err(non_field_error(messages::PASSWORD_MISMATCH).into());
    }
    let id = caller.id;
    write(&ctx, move |a| a.set_password(id, &new_password, false)).await?;
    if djoser.0.password_changed_email_confirmation {
        send(&http, djoser, &ctx, Email::PasswordChanged, &caller);
    }
    Ok(no_content())
}

/// `{"uid", "token", "new_password"}` from a reset email: 204, the
/// password set and `last_login` updated, which spends the link.
#[api_view(POST, path = "/users/reset_password_confirm/", description = "")]
#[permission_classes(AllowAny)]
pub async fn reset_password_confirm(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (djoser, ctx, data) = begin(&request, payload).await?;
    let djoser = &djoser;
    let mut errors = FieldErrors::new();
    let uid = errors.take("uid", char_field(&data, "uid"));
    let token = errors.take("token", char_field(&data, "token"));
    let new_password = errors.take("new_password", char_field(&data, "new_password"));
    let re_new_password = if djoser.0.password_reset_confirm_retype {
        errors.take("re_new_password", char_field(&data, "re_new_password"))
    } else {
        None
    };
    errors.check()?;
    let (Some(uid), Some(token), Some(new_password)) = (uid, token, new_password) else {
        return Err(AuthError::server_error().into());
    };
    // Djoser validates the password before the link, against the
    // anonymous request user (no attributes to compare with).
    let weak = password_errors(djoser, &new_password, &UserAttributes::new());
    if !weak.is_empty() {
        return Err(one_field("new_password", weak));
    }
    if djoser.0.password_reset_confirm_retype && re_new_password.as_deref() != Some(&new_password) {
        return Err(non_field_error(messages::PASSWORD_MISMATCH).into());
    }
    let user = user_of_link(&ctx, &uid, &token).await?;
    let id = user.id;
    write(&ctx, move |a| a.set_password(id, &new_password, true)).await?;
    if djoser.0.password_changed_email_confirmation {
        send(&request, djoser, &ctx, Email::PasswordChanged, &user);
    }
    Ok(no_content())
}

/// Whether another user has `name` (Django's `UniqueValidator`).
async fn username_taken(ctx: &Context, name: &str) -> Result<bool, ApiError> {
    let store = ctx.accounts.store().clone();
    let name = name.to_owned();
    Ok(
        run_blocking(move || store.user_by_username(&name).map_err(AuthError::from))
            .await?
            .is_some(),
    )
}

/// `new_username`: the model's rules, and not another user's.
async fn new_username_field(
    errors: &mut FieldErrors,
    data: &RequestData,
    ctx: &Context,
) -> Result<Option<String>, ApiError> {
    let new_username = errors.take("new_username", username_field(data, "new_username"));
    if let Some(name) = &new_username {
        if username_taken(ctx, name).await? {
            errors.add("new_username", [Text::Borrowed(messages::USERNAME_TAKEN)]);
        }
    }
    Ok(new_username)
}

/// Sets the username; a name taken meanwhile is the unique error.
async fn change_username(
    ctx: &Context,
    id: i32,
    name: String,
    touch_last_login: bool,
) -> Result<(), ApiError> {
    let result = write(ctx, move |a| {
        match a.set_username(id, &name, touch_last_login) {
            Ok(()) => Ok(true),
            Err(StoreError::DuplicateUsername) => Ok(false),
            Err(err) => Err(err),
        }
    })
    .await?;
    if result {
        Ok(())
    } else {
        Err(field_error("new_username", messages::USERNAME_TAKEN).into())
    }
}

/// `{"new_username", "current_password"}`: 204, the username changed.
#[api_view(POST, path = "/users/set_username/", description = "")]
#[permission_classes(IsAuthenticated)]
pub async fn set_username(
    request: AuthRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let http = request.http_request().clone();
    let caller = current_user(&request)?;
    let (djoser, ctx, data) = begin(&http, payload).await?;
    let djoser = &djoser;
    let mut errors = FieldErrors::new();
    check_current_password(&mut errors, &data, &ctx, &caller).await?;
    let new_username = new_username_field(&mut errors, &data, &ctx).await?;
    errors.check()?;
    let Some(new_username) = new_username else {
        return Err(AuthError::server_error().into());
    };
    change_username(&ctx, caller.id, new_username.clone(), false).await?;
    if djoser.0.username_changed_email_confirmation {
        let user = User {
            username: new_username,
            ..caller
        };
        send(&http, djoser, &ctx, Email::UsernameChanged, &user);
    }
    Ok(no_content())
}

/// `{"uid", "token", "new_username"}` from a username reset email: 204,
/// the username set and `last_login` updated.
#[api_view(POST, path = "/users/reset_username_confirm/", description = "")]
#[permission_classes(AllowAny)]
pub async fn reset_username_confirm(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (djoser, ctx, data) = begin(&request, payload).await?;
    let djoser = &djoser;
    let mut errors = FieldErrors::new();
    let new_username = new_username_field(&mut errors, &data, &ctx).await?;
    errors.check()?;
    let Some(new_username) = new_username else {
        return Err(AuthError::server_error().into());
    };
    // `uid` and `token` are read from the raw body, as Djoser does.
    let uid = data.get_str("uid").unwrap_or_default().to_owned();
    let token = data.get_str("token").unwrap_or_default().to_owned();
    let user = user_of_link(&ctx, &uid, &token).await?;
    change_username(&ctx, user.id, new_username.clone(), true).await?;
    if djoser.0.username_changed_email_confirmation {
        let user = User {
            username: new_username,
            ..user
        };
        send(&request, djoser, &ctx, Email::UsernameChanged, &user);
    }
    Ok(no_content())
}

// ----------------------------------------------------------------------------
// token/

/// `{"username", "password"}`: 200 `{"auth_token": "<key>"}`, the user's
/// one DRF token (created on the first login), and `last_login` updated.
/// Wrong credentials, a missing field or an inactive user: 400
/// `{"non_field_errors": ["Unable to log in with provided credentials."]}`.
#[api_view(
    POST,
    path = "/token/login/",
    description = "Use this endpoint to obtain user authentication token."
)]
#[permission_classes(AllowAny)]
pub async fn token_login(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let settings = auth_settings(&request)?;
    let store = settings.store()?.clone();
    let data = read_mapping(&request, payload).await?;
    // `TokenCreateSerializer`: both fields optional, but typed.
    let optional = |name: &str| match data.get(name) {
        None => Ok(None),
        Some(value) => CharField::new().run_validation(Some(value)).map(Some),
    };
    let mut errors = FieldErrors::new();
    let password = errors.take("password", optional("password"));
    let username = errors.take("username", optional("username"));
    errors.check()?;
    let (Some(Some(username)), Some(Some(password))) = (username, password) else {
        return Err(non_field_error(messages::INVALID_CREDENTIALS).into());
    };
    let token = run_blocking(move || {
        let Some(user) = store.authenticate(&username, &password)? else {
            return Ok(None);
        };
        let (token, _) = store.token_get_or_create(user.id)?;
        // Django's `user_logged_in` signal.
        store.update_last_login(user.id)?;
        Ok::<_, StoreError>(Some(token))
    })
    .await;
    match token {
        Ok(Some(token)) => Ok(json(
            StatusCode::OK,
            JsonObject::new().str("auth_token", &token.key).finish(),
        )),
        Ok(None) | Err(StoreError::UserNotFound) => {
            Err(non_field_error(messages::INVALID_CREDENTIALS).into())
        }
        Err(err) => Err(AuthError::from(err).into()),
    }
}

/// Deletes the caller's token: 204.
#[api_view(
    POST,
    path = "/token/logout/",
    description = "Use this endpoint to logout user (remove user authentication token)."
)]
#[permission_classes(IsAuthenticated)]
pub async fn token_logout(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let caller = current_user(&request)?;
    let store = auth_settings(request.http_request())?.store()?.clone();
    run_blocking(move || store.token_delete(caller.id).map_err(AuthError::from)).await?;
    Ok(no_content())
}

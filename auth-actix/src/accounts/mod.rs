//! Account endpoints (feature `accounts`): registration with email
//! activation, password and username change and reset, the current user,
//! and token login and logout, the way [Djoser](djoser) 2.3.5 and
//! [dj-rest-auth](dj_rest_auth) 7.2.0 answer them, on Django's password
//! validators and `PasswordResetTokenGenerator`, so that a link emailed by a
//! Django site works here and the reverse.
//!
//! Emails go through an [`auth_core::email::Mailer`] and are sent after the
//! response is decided, in a task of their own: a slow or unreachable SMTP
//! server changes neither the status nor the timing of an answer, and a
//! failure is logged with its cause.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use auth_core::accounts::{email_errors, username_errors, AccountStore, FieldErrors};
use auth_core::email::{EmailContext, EmailTemplate, Mailer, Template};
use auth_core::error::{AuthError, Text};
use auth_core::parsers::{RequestData, Value};
use auth_core::render::push_json_str;
use auth_core::reset_tokens::PasswordResetTokenGenerator;
use auth_core::serializers::fields::{non_field_error, CharField};
use auth_core::{StoreError, User};

use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::parsers::{request_data, CREDENTIAL_PARSERS};
use crate::settings::AuthSettings;

pub mod dj_rest_auth;
pub mod djoser;

/// The settings a view runs with.
pub(crate) fn auth_settings(request: &HttpRequest) -> Result<&AuthSettings, ApiError> {
    AuthSettings::from_request(request).ok_or_else(crate::error::missing_settings)
}

/// The family's settings `T` from the app data, or the misconfiguration
/// that names what to add (`builder`, e.g. `DjoserSettings::builder()`).
pub(crate) fn family_settings<'a, T: 'static>(
    request: &'a HttpRequest,
    name: &str,
) -> Result<&'a T, ApiError> {
    request.app_data::<T>().ok_or_else(|| {
        crate::error::misconfigured(&format!(
            "no {name} in the app data: add `.app_data({name}::builder()...build()?)` to the App"
        ))
        .into()
    })
}

/// The body as a mapping (JSON, form or multipart), or DRF's 400 for a
/// body that is not one.
pub(crate) async fn read_mapping(
    request: &HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<RequestData, ApiError> {
    let settings = auth_settings(request)?;
    let data = request_data(
        request,
        &mut payload.into_inner(),
        &CREDENTIAL_PARSERS,
        settings.site().body_limits(),
    )
    .await?;
    if let RequestData::NotAMapping(value) = &data {
        let message = match value {
            Value::Null => "No data provided".to_owned(),
            other => format!(
                "Invalid data. Expected a dictionary, but got {}.",
                other.type_name()
            ),
        };
        return Err(non_field_error(message).into());
    }
    Ok(data)
}

/// A JSON body as DRF's renderer writes it.
pub(crate) fn json(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body)
}

/// 204 without a body.
pub(crate) fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// A JSON object written member by member, in order.
pub(crate) struct JsonObject(String);

impl JsonObject {
    pub(crate) fn new() -> Self {
        JsonObject(String::from("{"))
    }

    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_json_str(&mut self.0, name);
        self.0.push(':');
    }

    pub(crate) fn str(mut self, name: &str, value: &str) -> Self {
        self.key(name);
        push_json_str(&mut self.0, value);
        self
    }

    pub(crate) fn int(mut self, name: &str, value: i64) -> Self {
        self.key(name);
        self.0.push_str(&value.to_string());
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The user the request authenticated, or 401/403 as DRF's
/// `IsAuthenticated` answers (the view's permission classes have already
/// run; this only reads the row).
pub(crate) fn current_user(request: &crate::AuthRequest) -> Result<User, ApiError> {
    request
        .user()
        .user()
        .cloned()
        .ok_or_else(|| AuthError::not_authenticated().into())
}

/// Django's `default_token_generator` with the site's `SECRET_KEY`,
/// `SECRET_KEY_FALLBACKS` and time zone, and `timeout` seconds
/// (`PASSWORD_RESET_TIMEOUT`).
pub(crate) fn token_generator(
    request: &HttpRequest,
    timeout: u64,
) -> Result<PasswordResetTokenGenerator, ApiError> {
    let site = auth_settings(request)?.site();
    Ok(PasswordResetTokenGenerator::new(site.secret_key()?.clone())
        .with_fallbacks(site.secret_key_fallbacks().iter().cloned())
        .with_time_zone(site.time_zone())
        .with_timeout(timeout))
}

/// The account store over the settings' store.
pub(crate) fn account_store(request: &HttpRequest) -> Result<AccountStore, ApiError> {
    Ok(AccountStore::new(auth_settings(request)?.store()?.clone()))
}

/// Runs account queries and writes on the blocking pool, 503 on an outage.
pub(crate) async fn on_accounts<T: Send + 'static>(
    accounts: AccountStore,
    work: impl FnOnce(&AccountStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(run_blocking(move || work(&accounts).map_err(AuthError::from)).await?)
}

/// `{"field": [messages]}` as a 400.
pub(crate) fn one_field(field: &'static str, messages: Vec<Text>) -> ApiError {
    let mut errors = FieldErrors::new();
    errors.add(field, messages);
    errors.into_error().into()
}

/// DRF's required `CharField` on a member of the body.
pub(crate) fn char_field(data: &RequestData, name: &str) -> Result<String, Vec<Text>> {
    CharField::new().run_validation(data.get(name))
}

/// `value` unless `check` finds errors in it.
fn checked(value: String, check: impl Fn(&str) -> Vec<Text>) -> Result<String, Vec<Text>> {
    let errors = check(&value);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// DRF's required `EmailField`.
pub(crate) fn email_field(data: &RequestData, name: &str) -> Result<String, Vec<Text>> {
    checked(char_field(data, name)?, email_errors)
}

/// `User.username` as a serializer field: required, the model's rules,
/// unique (checked by the caller, which has the store).
pub(crate) fn username_field(data: &RequestData, name: &str) -> Result<String, Vec<Text>> {
    checked(char_field(data, name)?, username_errors)
}

/// Renders `template` for `user` and sends it after the answer. `origin` is
/// the links' scheme and host (also the site name when none is set); with
/// a `link`, the context carries a fresh `uid` and `token` and the link's
/// `url` made of them.
pub(crate) fn send_account_email(
    mailer: &Mailer,
    template: &EmailTemplate,
    (protocol, domain): (String, String),
    site_name: Option<&String>,
    user: &User,
    link: Option<(&Template, &PasswordResetTokenGenerator)>,
) {
    let mut context = EmailContext {
        site_name: site_name.cloned().unwrap_or_else(|| domain.clone()),
        domain,
        protocol,
        user: user.username.clone(),
        email: user.email.clone(),
        ..EmailContext::default()
    };
    if let Some((link, generator)) = link {
        context.uid = auth_core::accounts::pk_to_uid(user);
        context.token = auth_core::accounts::make_token(generator, user);
        context.url = link.render(&context, false);
    }
    mailer.send_later(template.render(&context, mailer.from_email(), &user.email));
}

/// The scheme and host of emailed links: the configured ones, else the
/// request's (its host checked by `ALLOWED_HOSTS`).
pub(crate) fn configured_origin(
    request: &HttpRequest,
    protocol: Option<&String>,
    domain: Option<&String>,
) -> (String, String) {
    let info = request.connection_info();
    (
        protocol
            .cloned()
            .unwrap_or_else(|| info.scheme().to_owned()),
        domain.cloned().unwrap_or_else(|| info.host().to_owned()),
    )
}

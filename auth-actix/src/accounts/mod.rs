//! Account endpoints (feature `accounts`): registration with email
//! activation, password and username change and reset, the current user,
//! and token login and logout, the way [Djoser](djoser) 2.3.5 answers them,
//! on Django's password validators and `PasswordResetTokenGenerator`, so
//! that a link emailed by a Django site works here and the reverse.
//!
//! Emails go through an [`auth_core::email::Mailer`] and are sent after the
//! response is decided, in a task of their own: a slow or unreachable SMTP
//! server changes neither the status nor the timing of an answer, and a
//! failure is logged with its cause.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use auth_core::error::AuthError;
use auth_core::parsers::{RequestData, Value};
use auth_core::render::push_json_str;
use auth_core::serializers::fields::non_field_error;
use auth_core::User;

use crate::error::ApiError;
use crate::parsers::{request_data, CREDENTIAL_PARSERS};
use crate::settings::AuthSettings;

pub mod djoser;

/// The settings a view runs with.
pub(crate) fn auth_settings(request: &HttpRequest) -> Result<&AuthSettings, ApiError> {
    AuthSettings::from_request(request).ok_or_else(crate::error::missing_settings)
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

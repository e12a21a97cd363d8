//! Ready-made views: DRF's `obtain_auth_token`.
//!
//! Each view is a value that is both a service (registered at its usual path
//! with `.service(view)`) and a handler (`web::resource(path).to(view)`, at
//! any path). Every method reaches the view, so an unsupported one gets DRF's
//! 405 with `Allow`, after authentication, as in DRF.
//!
//! ```
//! use actix_web::{web, App};
//! use auth_actix::views::obtain_auth_token;
//!
//! let app = App::new()
//!     .service(obtain_auth_token) // POST /api-token-auth/
//!     .service(web::resource("/token/").to(obtain_auth_token));
//! ```
//!
//! The views run the app's `DEFAULT_AUTHENTICATION_CLASSES` first (so a bad
//! `Authorization` header, or a logged-in session without its CSRF token,
//! fails before any password is checked) and no permission classes. The
//! password check and every query run on the blocking thread pool; a store
//! that cannot be reached is a 503, never a 500.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{AppService, HttpServiceFactory, Payload};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, Handler, HttpRequest, HttpResponse};
use auth_core::error::messages;
use auth_core::StoreError;

use crate::authentication::DefaultAuthentication;
use crate::blocking::run_blocking;
use crate::error::{push_json_str, ApiError};
use crate::fields::{non_field_error, Credentials};
use crate::parsers::{request_data, CREDENTIAL_PARSERS};
use crate::pipeline::{dispatch, MethodSet, ViewCell, ViewMeta};
use crate::settings::{missing_settings, AuthSettings};

/// The future a view's handler returns.
type ViewFuture = Pin<Box<dyn Future<Output = HttpResponse>>>;

/// A compact JSON object of string members, as DRF's `JSONRenderer` writes it.
pub(crate) fn json_response(status: StatusCode, members: &[(&str, &str)]) -> HttpResponse {
    let mut body = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        push_json_str(&mut body, name);
        body.push(':');
        push_json_str(&mut body, value);
    }
    body.push('}');
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body)
}

/// The settings a view runs with (present: `dispatch` checked).
fn settings_of(request: &HttpRequest) -> Result<&AuthSettings, ApiError> {
    AuthSettings::from_request(request).ok_or_else(missing_settings)
}

/// Implements `HttpServiceFactory` (at `$path`) and `Handler` for a view type.
macro_rules! view {
    ($view:ident, $path:literal, $run:ident) => {
        impl $view {
            /// The path `.service(..)` registers the view at.
            pub const PATH: &'static str = $path;
        }

        impl Handler<(HttpRequest, web::Payload)> for $view {
            type Output = HttpResponse;
            type Future = ViewFuture;

            fn call(&self, (request, payload): (HttpRequest, web::Payload)) -> ViewFuture {
                Box::pin($run(request, payload.into_inner()))
            }
        }

        impl HttpServiceFactory for $view {
            fn register(self, config: &mut AppService) {
                web::resource(Self::PATH).to(self).register(config)
            }
        }
    };
}

// ----------------------------------------------------------------------------
// obtain_auth_token

/// DRF's `obtain_auth_token` (`ObtainAuthToken`): `POST` a `username` and a
/// `password` (JSON, form or multipart), get the user's token:
/// `200 {"token": "<key>"}`. The same key on every login; the first login of
/// a user without a token creates it (once, even under concurrent logins).
///
/// - Wrong credentials, or an inactive user: 400
///   `{"non_field_errors": ["Unable to log in with provided credentials."]}`.
/// - Field errors (both fields at once): 400 `{"username": ["This field is
///   required."], "password": [...]}`, with DRF's `CharField` rules (see
///   [`fields`](crate::fields)); body errors (415, 400 `JSON parse error - …`,
///   413) as in [`parsers`](crate::parsers).
/// - `GET` and the rest: 405 `Method "GET" not allowed.` with `Allow: POST,
///   OPTIONS`; `OPTIONS` answers DRF's metadata for the view.
///
/// Registered at `/api-token-auth/` by `.service(obtain_auth_token)`.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct obtain_auth_token;

view!(obtain_auth_token, "/api-token-auth/", run_obtain_auth_token);

static OBTAIN_AUTH_TOKEN: ViewCell<DefaultAuthentication, ()> = ViewCell::new(
    Some(MethodSet::new(
        MethodSet::POST | MethodSet::OPTIONS,
        "POST, OPTIONS",
    )),
    ViewMeta {
        name: "Obtain Auth Token",
        description: "",
    },
);

/// DRF's `SimpleMetadata` for `ObtainAuthToken`, with the serializer's fields.
const OBTAIN_AUTH_TOKEN_METADATA: &str = r#"{"name":"Obtain Auth Token","description":"","renders":["application/json"],"parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"},"token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}"#;

async fn run_obtain_auth_token(request: HttpRequest, payload: Payload) -> HttpResponse {
    dispatch(
        OBTAIN_AUTH_TOKEN.get(),
        request,
        payload,
        |request, mut payload| async move {
            if request.method() == Method::OPTIONS {
                return Ok(HttpResponse::Ok()
                    .insert_header((
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ))
                    .body(OBTAIN_AUTH_TOKEN_METADATA));
            }
            let settings = settings_of(&request)?;
            let data = request_data(
                &request,
                &mut payload,
                &CREDENTIAL_PARSERS,
                settings.body_limit(),
            )
            .await
            .map_err(ApiError::from)?;
            let credentials = Credentials::from_data(&data).map_err(ApiError::from)?;
            let store = settings.store().map_err(ApiError::from)?.clone();
            let token = run_blocking(move || {
                let Some(user) =
                    store.authenticate(&credentials.username, &credentials.password)?
                else {
                    return Ok(None);
                };
                match store.token_get_or_create(user.id) {
                    Ok((token, _)) => Ok(Some(token)),
                    // Deleted between the two queries: as if it never existed.
                    Err(StoreError::UserNotFound) => Ok(None),
                    Err(err) => Err(err),
                }
            })
            .await
            .map_err(ApiError::from)?;
            match token {
                Some(token) => Ok(json_response(StatusCode::OK, &[("token", &token.key)])),
                None => Err(ApiError::from(non_field_error(messages::UNABLE_TO_LOG_IN)).into()),
            }
        },
    )
    .await
}

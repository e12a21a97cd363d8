//! DOT's endpoints under `/o/`.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::oauth2::endpoint::{self, OAuthResponse};
use auth_core::parsers::{parse_form_post, RequestData};

use super::OAuth2;
use crate::blocking::run_blocking;
use crate::error::misconfigured;

/// Django's answer to a method a view does not have: 405, an empty
/// `text/html` body and `Allow`.
fn not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .content_type("text/html; charset=utf-8")
        .finish()
}

/// oauthlib's answer, with its `Content-Type`, `Cache-Control: no-store`
/// and `Pragma: no-cache`.
fn oauth_response(answer: OAuthResponse) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if let Some(challenge) = answer.www_authenticate {
        response.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    response.body(answer.body)
}

fn service_unavailable(error: &auth_core::StoreError) -> HttpResponse {
    tracing::error!(%error, "the OAuth 2.0 store failed");
    HttpResponse::ServiceUnavailable()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(r#"{"error": "temporarily_unavailable"}"#)
}

/// DOT's `TokenView` (`POST /o/token/`): the `client_credentials`,
/// `password` and `refresh_token` grants (see
/// [`auth_core::oauth2::endpoint::token`]). A store that cannot be reached
/// answers 503 `{"error": "temporarily_unavailable"}`.
pub async fn token(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    if request.method() == Method::OPTIONS {
        return HttpResponse::Ok()
            .insert_header((header::ALLOW, "POST, OPTIONS"))
            .content_type("text/html; charset=utf-8")
            .finish();
    }
    if request.method() != Method::POST {
        return not_allowed("POST, OPTIONS");
    }
    let Some(oauth2) = state(&request, "token") else {
        return HttpResponse::InternalServerError().finish();
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let params =
        parse_form_post(content_type.as_deref(), &body).unwrap_or_else(|_| RequestData::empty());
    let authorization = crate::authentication::get_authorization_header(&request).into_owned();
    let has_query = !request.query_string().is_empty();
    let answer: Result<OAuthResponse, auth_core::StoreError> = run_blocking(move || {
        endpoint::token(
            oauth2.store(),
            oauth2.users(),
            oauth2.settings(),
            &params,
            &authorization,
            has_query,
        )
    })
    .await;
    match answer {
        Ok(answer) => oauth_response(answer),
        Err(error) => service_unavailable(&error),
    }
}

/// The app's [`OAuth2`]; `None` (logged: the view answers 500) when the app
/// was not given one.
fn state(request: &HttpRequest, view: &str) -> Option<web::Data<OAuth2>> {
    let found = request.app_data::<web::Data<OAuth2>>().cloned();
    if found.is_none() {
        let _ = misconfigured(&format!(
            "the {view} view needs `web::Data<auth_actix::oauth2::OAuth2>` app data"
        ));
    }
    found
}

/// The form body of a request (DOT's `request.POST`), empty when it is not a form.
fn form_of(request: &HttpRequest, body: &[u8]) -> RequestData {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    parse_form_post(content_type, body).unwrap_or_else(|_| RequestData::empty())
}

/// DOT's `RevokeTokenView` (`POST /o/revoke_token/`, RFC 7009): see
/// [`auth_core::oauth2::endpoint::revoke`]. Success is 200 with an empty
/// `text/html` body, as DOT answers.
pub async fn revoke_token(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    if request.method() != Method::POST {
        return not_allowed("POST, OPTIONS");
    }
    let Some(oauth2) = state(&request, "revoke") else {
        return HttpResponse::InternalServerError().finish();
    };
    let params = form_of(&request, &body);
    let authorization = crate::authentication::get_authorization_header(&request).into_owned();
    let has_query = !request.query_string().is_empty();
    let answer = run_blocking(move || {
        endpoint::revoke(
            oauth2.store(),
            oauth2.settings(),
            &params,
            &authorization,
            has_query,
        )
    })
    .await;
    match answer {
        Ok(answer) if answer.status == 200 => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .finish(),
        Ok(answer) => oauth_response(answer),
        Err(error) => service_unavailable(&error),
    }
}

/// DOT's `IntrospectTokenView` (`GET`/`POST /o/introspect/`, RFC 7662):
/// the caller is a client authenticating itself or a bearer token with the
/// `introspection` scope, else 403 with an empty `text/html` body; the
/// token comes from the query (GET) or the form (POST).
pub async fn introspect(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let method = request.method().clone();
    if method == Method::OPTIONS {
        return HttpResponse::Ok()
            .insert_header((header::ALLOW, "GET, POST, HEAD, OPTIONS"))
            .content_type("text/html; charset=utf-8")
            .finish();
    }
    if ![Method::GET, Method::HEAD, Method::POST].contains(&method) {
        return not_allowed("GET, POST, HEAD, OPTIONS");
    }
    let Some(oauth2) = state(&request, "introspect") else {
        return HttpResponse::InternalServerError().finish();
    };
    let params = form_of(&request, &body);
    let token = if method != Method::POST {
        auth_core::parsers::query_pairs(request.query_string())
            .into_iter()
            .rev()
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value)
    } else {
        params.form_field("token")
    };
    let authorization = crate::authentication::get_authorization_header(&request).into_owned();
    let bearer = super::OAuth2Authentication::token_from_request(&request);
    let answer = run_blocking(move || {
        let (store, settings) = (oauth2.store(), oauth2.settings());
        if !endpoint::introspection_allowed(
            store,
            settings,
            &params,
            &authorization,
            bearer.as_deref(),
        )? {
            return Ok(None);
        }
        endpoint::introspect(store, settings, token.as_deref()).map(Some)
    })
    .await;
    match answer {
        Ok(Some(answer)) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
            HttpResponse::build(status)
                .content_type("application/json")
                .body(answer.body)
        }
        Ok(None) => HttpResponse::Forbidden()
            .content_type("text/html; charset=utf-8")
            .finish(),
        Err(error) => service_unavailable(&error),
    }
}

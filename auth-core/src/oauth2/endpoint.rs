//! DOT's token endpoint (`/o/token/`): oauthlib 4.0.1's checks, in its
//! order, with its status codes and JSON bodies (written as Python's
//! `json.dumps` writes them, with spaces), and DOT's client authentication.
//!
//! The web layer parses the form body (DOT reads `request.POST`: the last
//! value of a repeated field counts) and hands over the `Authorization`
//! header; the answer is [`OAuthResponse`].

use base64::Engine as _;
use serde::Serialize;

use sha2::Digest as _;

use super::store::{check_client_secret, grant_type, Application, Grant, Issued, RefreshOutcome};
use super::{OAuth2Settings, OAuth2Store};
use crate::compat::json::dumps_spaced;
use crate::crypto;
use crate::db::StoreError;
use crate::parsers::{unquote_plus, RequestData};
use crate::store::AuthStore;

/// What an endpoint answers: a status, a JSON body, and for `invalid_client`
/// the `WWW-Authenticate` value. Every answer of the token endpoint carries
/// `Content-Type: application/json`, `Cache-Control: no-store` and
/// `Pragma: no-cache`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
    /// `WWW-Authenticate`, when oauthlib sends one.
    pub www_authenticate: Option<&'static str>,
}

impl std::fmt::Debug for OAuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A success body holds tokens.
        f.debug_struct("OAuthResponse")
            .field("status", &self.status)
            .field("www_authenticate", &self.www_authenticate)
            .finish_non_exhaustive()
    }
}

/// oauthlib's `OAuth2Error.json`: `{"error": …, "error_description": …}`.
fn error(status: u16, code: &str, description: Option<&str>) -> OAuthResponse {
    #[derive(Serialize)]
    struct Body<'a> {
        error: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_description: Option<&'a str>,
    }
    OAuthResponse {
        status,
        body: dumps_spaced(&Body {
            error: code,
            error_description: description,
        })
        .unwrap_or_default(),
        www_authenticate: (status == 401).then_some("Bearer error=\"invalid_client\""),
    }
}

/// oauthlib's `_raise_on_bad_post_request`: a POST with a query string.
fn query_refused() -> OAuthResponse {
    error(
        400,
        "invalid_request",
        Some("URL query parameters are not allowed"),
    )
}

fn invalid_client() -> OAuthResponse {
    error(401, "invalid_client", None)
}

/// The `Authorization: Basic` credentials as DOT's `_authenticate_basic_auth`
/// reads them: the type must be exactly `Basic`; base64 as Python's
/// `b64decode` reads it (characters outside the alphabet dropped, padding
/// required); UTF-8; split at the first `:`; each part `unquote_plus`ed.
/// `None` where DOT's check fails before looking the client up.
pub fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?;
    let (kind, rest) = header.split_once(' ')?;
    if kind != "Basic" {
        return None;
    }
    let cleaned: String = rest
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((unquote_plus(id), unquote_plus(secret)))
}

/// oauthlib's `scope_to_list`: `scope.strip().split(" ")`.
fn scope_to_list(scope: &str) -> Vec<&str> {
    scope
        .trim_matches(|c: char| c.is_whitespace())
        .split(' ')
        .collect()
}

/// One token request's view of the client: DOT's `RequestValidator` pieces.
struct Client<'a> {
    store: &'a OAuth2Store,
    params: &'a RequestData,
    authorization: &'a [u8],
}

impl Client<'_> {
    fn basic_header_present(&self) -> bool {
        std::str::from_utf8(self.authorization)
            .ok()
            .and_then(|h| h.split_once(' '))
            .is_some_and(|(kind, _)| kind == "Basic")
    }

    /// DOT's `authenticate_client`: Basic, then the body.
    fn authenticate(&self) -> Result<Option<Application>, StoreError> {
        if let Some((id, secret)) = parse_basic(self.authorization) {
            if let Some(app) = self.store.application(&id)? {
                if check_client_secret(self.store.hashers(), &secret, &app.client_secret) {
                    return Ok(Some(app));
                }
            }
        }
        let Some(id) = self.params.form_field("client_id") else {
            return Ok(None);
        };
        let secret = self.params.form_field("client_secret").unwrap_or_default();
        match self.store.application(&id)? {
            Some(app) if check_client_secret(self.store.hashers(), &secret, &app.client_secret) => {
                Ok(Some(app))
            }
            _ => Ok(None),
        }
    }

    /// oauthlib's `validate_client_authentication` with DOT's
    /// `client_authentication_required` and `authenticate_client_id`.
    fn validate(&self) -> Result<Option<Application>, StoreError> {
        let id = self.params.form_field("client_id").filter(|s| !s.is_empty());
        let secret = self.params.form_field("client_secret").filter(|s| !s.is_empty());
        let required = if self.basic_header_present() || (id.is_some() && secret.is_some()) {
            true
        } else {
            match &id {
                Some(id) => match self.store.application(id)? {
                    Some(app) => app.is_confidential(),
                    None => true,
                },
                None => true,
            }
        };
        if required {
            return self.authenticate();
        }
        // A public client names itself.
        let Some(id) = id else { return Ok(None) };
        Ok(self.store.application(&id)?.filter(|app| !app.is_confidential()))
    }
}

/// The grant types DOT maps each `grant_type` to (`GRANT_TYPE_MAPPING`).
fn allowed_types(grant: &str) -> &'static [&'static str] {
    match grant {
        "password" => &[grant_type::PASSWORD],
        "client_credentials" => &[grant_type::CLIENT_CREDENTIALS],
        "authorization_code" => &[grant_type::AUTHORIZATION_CODE, grant_type::OPENID_HYBRID],
        _ => &[
            grant_type::AUTHORIZATION_CODE,
            grant_type::DEVICE_CODE,
            grant_type::PASSWORD,
            grant_type::CLIENT_CREDENTIALS,
            grant_type::OPENID_HYBRID,
        ],
    }
}

/// oauthlib's `validate_scopes`: the requested scopes (or DOT's default
/// ones) must all be in `SCOPES`.
fn validate_scopes(settings: &OAuth2Settings, scope: Option<&str>) -> Option<String> {
    let defaults = settings.default_scopes();
    let scopes: Vec<&str> = match scope {
        Some(scope) => scope_to_list(scope),
        None => defaults,
    };
    let available = settings.available_scopes();
    scopes
        .iter()
        .all(|s| available.contains(s))
        .then(|| scopes.join(" "))
}

/// The success body (oauthlib's `BearerToken.create_token`).
fn token_body(issued: &Issued, settings: &OAuth2Settings) -> OAuthResponse {
    #[derive(Serialize)]
    struct Body<'a> {
        access_token: &'a str,
        expires_in: i64,
        token_type: &'static str,
        scope: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        refresh_token: Option<&'a str>,
    }
    OAuthResponse {
        status: 200,
        body: dumps_spaced(&Body {
            access_token: &issued.access_token,
            expires_in: settings.access_token_expire_seconds,
            token_type: "Bearer",
            scope: &issued.scope,
            refresh_token: issued.refresh_token.as_deref(),
        })
        .unwrap_or_default(),
        www_authenticate: None,
    }
}

/// `POST /o/token/`: `params` is the form body, `authorization` the raw
/// `Authorization` header (empty when absent), `has_query` whether the URL
/// had a query string (oauthlib refuses one). Blocking: run it off the
/// async workers.
pub fn token(
    store: &OAuth2Store,
    users: &AuthStore,
    settings: &OAuth2Settings,
    params: &RequestData,
    authorization: &[u8],
    has_query: bool,
) -> Result<OAuthResponse, StoreError> {
    if has_query {
        return Ok(query_refused());
    }
    let client = Client {
        store,
        params,
        authorization,
    };
    let grant = params.form_field("grant_type").unwrap_or_default();
    let scope = params.form_field("scope");
    match grant.as_str() {
        "client_credentials" => {
            let Some(app) = client.authenticate()? else {
                return Ok(invalid_client());
            };
            if !app.allows_grant_type(allowed_types(&grant)) {
                return Ok(error(400, "unauthorized_client", None));
            }
            let Some(scope) = validate_scopes(settings, scope.as_deref()) else {
                return Ok(error(400, "invalid_scope", None));
            };
            let issued = store.issue(app.id, None, &scope, false, settings)?;
            Ok(token_body(&issued, settings))
        }
        "password" => {
            for param in ["username", "password"] {
                if params.form_field(param).is_none_or(|v| v.is_empty()) {
                    return Ok(error(
                        400,
                        "invalid_request",
                        Some(&format!("Request is missing {param} parameter.")),
                    ));
                }
            }
            let Some(app) = client.validate()? else {
                return Ok(invalid_client());
            };
            let username = params.form_field("username").unwrap_or_default();
            let password = params.form_field("password").unwrap_or_default();
            let user = users
                .authenticate(&username, &password)?
                .filter(|u| u.is_active);
            let Some(user) = user else {
                return Ok(error(
                    400,
                    "invalid_grant",
                    Some("Invalid credentials given."),
                ));
            };
            if !app.allows_grant_type(allowed_types(&grant)) {
                return Ok(error(400, "unauthorized_client", None));
            }
            let Some(scope) = validate_scopes(settings, scope.as_deref()) else {
                return Ok(error(400, "invalid_scope", None));
            };
            let issued = store.issue(app.id, Some(user.id), &scope, true, settings)?;
            Ok(token_body(&issued, settings))
        }
        "authorization_code" => authorization_code(&client, settings, params),
        "refresh_token" => {
            let Some(refresh) = params.form_field("refresh_token") else {
                return Ok(error(
                    400,
                    "invalid_request",
                    Some("Missing refresh token parameter."),
                ));
            };
            let Some(app) = client.validate()? else {
                return Ok(invalid_client());
            };
            if !app.allows_grant_type(allowed_types(&grant)) {
                return Ok(error(400, "unauthorized_client", None));
            }
            let asked = scope.as_deref().filter(|s| !s.is_empty()).map(scope_to_list);
            match store.refresh(&refresh, &app, asked.as_deref(), settings)? {
                Ok(issued) => Ok(token_body(&issued, settings)),
                Err(RefreshOutcome::Invalid) => Ok(error(400, "invalid_grant", None)),
                Err(RefreshOutcome::InvalidScope) => Ok(error(400, "invalid_scope", None)),
            }
        }
        _ => Ok(error(400, "unsupported_grant_type", None)),
    }
}

/// oauthlib's `code_challenge_method_s256` and `_plain`: whether
/// `verifier` answers `challenge` (compared in constant time). `None` for a
/// method oauthlib does not know.
pub fn pkce_verified(method: &str, challenge: &str, verifier: &str) -> Option<bool> {
    let expected = match method {
        "S256" => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes())),
        "plain" => verifier.to_owned(),
        _ => return None,
    };
    Some(crypto::constant_time_eq(expected.as_bytes(), challenge.as_bytes()))
}

/// The grant's refusals, in oauthlib's order (`validate_code`, then PKCE,
/// then the redirect URI).
fn check_code(
    grant: Option<&Grant>,
    now: chrono::NaiveDateTime,
    pkce_required: bool,
    verifier: Option<&str>,
    redirect_uri: Option<&str>,
    default_redirect_uri: Result<&str, OAuthResponse>,
) -> Result<(), OAuthResponse> {
    let Some(grant) = grant.filter(|g| !g.is_expired(now)) else {
        return Err(error(400, "invalid_grant", None));
    };
    if !grant.details.code_challenge.is_empty() {
        let Some(verifier) = verifier else {
            return Err(error(400, "invalid_request", Some("Code verifier required.")));
        };
        if grant.details.code_challenge_method.is_empty() {
            return Err(error(400, "invalid_grant", Some("Challenge method not found")));
        }
        match pkce_verified(&grant.details.code_challenge_method, &grant.details.code_challenge, verifier) {
            None => {
                return Err(error(
                    500,
                    "server_error",
                    Some(&format!(
                        "code_challenge_method {} is not supported.",
                        grant.details.code_challenge_method
                    )),
                ))
            }
            Some(false) => return Err(error(400, "invalid_grant", None)),
            Some(true) => {}
        }
    } else if pkce_required {
        if verifier.is_none() {
            return Err(error(400, "invalid_request", Some("Code verifier required.")));
        }
        return Err(error(400, "invalid_grant", Some("Challenge not found")));
    }
    let uri = match redirect_uri {
        Some(uri) => uri,
        None => default_redirect_uri?,
    };
    if !grant.redirect_uri_allowed(uri) {
        return Err(error(400, "invalid_request", Some("Mismatching redirect URI.")));
    }
    Ok(())
}

/// The `authorization_code` grant (oauthlib's `AuthorizationCodeGrant`
/// with DOT's validator): `Missing code parameter.`, client
/// authentication, the application's grant type, then [`check_code`]; the
/// code is redeemed at most once.
fn authorization_code(
    client: &Client<'_>,
    settings: &OAuth2Settings,
    params: &RequestData,
) -> Result<OAuthResponse, StoreError> {
    let Some(code) = params.form_field("code") else {
        return Ok(error(400, "invalid_request", Some("Missing code parameter.")));
    };
    let Some(app) = client.validate()? else {
        return Ok(invalid_client());
    };
    if !app.allows_grant_type(allowed_types("authorization_code")) {
        return Ok(error(400, "unauthorized_client", None));
    }
    let verifier = params.form_field("code_verifier");
    let redirect_uri = params.form_field("redirect_uri");
    // DOT's `default_redirect_uri`: the only registered one.
    let registered: Vec<&str> = app.redirect_uris.split_whitespace().collect();
    let missing = || error(400, "invalid_request", Some("Missing redirect URI."));
    let default = match registered.as_slice() {
        [only] => Ok(*only),
        _ => Err(missing()),
    };
    let now = settings.now();
    let outcome = client.store.redeem_code(
        &code,
        &app,
        |grant| {
            check_code(
                grant,
                now,
                settings.pkce_required,
                verifier.as_deref(),
                redirect_uri.as_deref(),
                default.clone(),
            )
        },
        settings,
    )?;
    Ok(match outcome {
        Ok(issued) => token_body(&issued, settings),
        Err(refused) => refused,
    })
}

/// `POST /o/revoke_token/` (RFC 7009, oauthlib's `RevocationEndpoint`
/// with DOT's `revoke_token`): a missing `token` is 400 `invalid_request`,
/// a client that does not authenticate 401 `invalid_client`; otherwise 200
/// with an empty body (the web layer sends it as `text/html`, as DOT does),
/// whether or not the token existed. Only the calling client's tokens are
/// revoked: the `token_type_hint` kind first, then the other; revoking an
/// access token revokes its refresh token, and the reverse.
pub fn revoke(
    store: &OAuth2Store,
    settings: &OAuth2Settings,
    params: &RequestData,
    authorization: &[u8],
    has_query: bool,
) -> Result<OAuthResponse, StoreError> {
    if has_query {
        return Ok(query_refused());
    }
    let Some(token) = params.form_field("token").filter(|t| !t.is_empty()) else {
        return Ok(error(400, "invalid_request", Some("Missing token parameter.")));
    };
    let client = Client {
        store,
        params,
        authorization,
    };
    let Some(app) = client.validate()? else {
        return Ok(invalid_client());
    };
    if token.contains('\0') {
        return Ok(revoked());
    }
    let now = settings.now();
    let refresh_first = params.form_field("token_type_hint").as_deref() == Some("refresh_token");
    if refresh_first {
        if !store.revoke_refresh_token(&token, Some(app.id), now)? {
            store.revoke_access_token(&token, Some(app.id), now)?;
        }
    } else if !store.revoke_access_token(&token, Some(app.id), now)? {
        store.revoke_refresh_token(&token, Some(app.id), now)?;
    }
    Ok(revoked())
}

fn revoked() -> OAuthResponse {
    OAuthResponse {
        status: 200,
        body: String::new(),
        www_authenticate: None,
    }
}

/// Who may call `/o/introspect/` (DOT's `ClientProtectedScopedResourceView`):
/// a client authenticating itself (Basic, then the body), or a bearer token
/// (`bearer`, read as the resource server reads it) that is valid and holds
/// the `introspection` scope.
pub fn introspection_allowed(
    store: &OAuth2Store,
    settings: &OAuth2Settings,
    params: &RequestData,
    authorization: &[u8],
    bearer: Option<&str>,
) -> Result<bool, StoreError> {
    let client = Client {
        store,
        params,
        authorization,
    };
    if client.authenticate()?.is_some() {
        return Ok(true);
    }
    let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
        return Ok(false);
    };
    Ok(store.access_token(bearer)?.is_some_and(|found| {
        found.application.is_some()
            && found.user.as_ref().is_none_or(|u| u.is_active)
            && found.token.is_valid(&["introspection"], settings.now())
    }))
}

/// DOT's `IntrospectTokenView.get_token_response` (RFC 7662): 400 without
/// a `token`, `{"active": false}` for an unknown or expired one, else
/// `{"active": true, "scope": …, "exp": …, "client_id": …, "username": …}`
/// (Django's `JsonResponse`: `json.dumps` with spaces).
pub fn introspect(
    store: &OAuth2Store,
    settings: &OAuth2Settings,
    token: Option<&str>,
) -> Result<OAuthResponse, StoreError> {
    #[derive(Serialize)]
    struct Active<'a> {
        active: bool,
        scope: &'a str,
        exp: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        username: Option<&'a str>,
    }
    let Some(token) = token else {
        return Ok(OAuthResponse {
            status: 400,
            body: r#"{"error": "invalid_request", "error_description": "Token parameter is missing."}"#
                .to_owned(),
            www_authenticate: None,
        });
    };
    let inactive = OAuthResponse {
        status: 200,
        body: r#"{"active": false}"#.to_owned(),
        www_authenticate: None,
    };
    let Some(found) = store.access_token(token)? else {
        return Ok(inactive);
    };
    if found.token.is_expired(settings.now()) {
        return Ok(inactive);
    }
    Ok(OAuthResponse {
        status: 200,
        body: dumps_spaced(&Active {
            active: true,
            scope: &found.token.scope,
            exp: found.token.expires.and_utc().timestamp(),
            client_id: found.application.as_ref().map(|a| a.client_id.as_str()),
            username: found.user.as_ref().map(|u| u.username.as_str()),
        })
        .unwrap_or_default(),
        www_authenticate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_is_read_as_dot_reads_it() {
        let ok = format!("Basic {}", b64("my%20id:s+e%3Acret"));
        assert_eq!(
            parse_basic(ok.as_bytes()),
            Some(("my id".into(), "s e:cret".into()))
        );
        assert_eq!(parse_basic(format!("basic {}", b64("a:b")).as_bytes()), None);
        assert_eq!(parse_basic(format!("Basic {}", b64("nocolon")).as_bytes()), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        assert_eq!(parse_basic(b"Bearer abc"), None);
        assert_eq!(parse_basic(b""), None);
    }

    #[test]
    fn errors_are_oauthlibs() {
        assert_eq!(
            error(400, "invalid_grant", Some("Invalid credentials given.")).body,
            r#"{"error": "invalid_grant", "error_description": "Invalid credentials given."}"#
        );
        let e = invalid_client();
        assert_eq!(e.body, r#"{"error": "invalid_client"}"#);
        assert_eq!(e.www_authenticate, Some("Bearer error=\"invalid_client\""));
    }

    #[test]
    fn scopes_split_as_oauthlib() {
        assert_eq!(scope_to_list(" read write "), vec!["read", "write"]);
        assert_eq!(scope_to_list("read  write"), vec!["read", "", "write"]);
        let settings = OAuth2Settings::default();
        assert_eq!(validate_scopes(&settings, None).as_deref(), Some("read write"));
        assert_eq!(validate_scopes(&settings, Some("read  write")), None);
        assert_eq!(validate_scopes(&settings, Some("write")).as_deref(), Some("write"));
    }

    proptest! {
        #[test]
        fn basic_never_panics_and_round_trips(id in "[A-Za-z0-9]{0,40}", secret in "[ -~]{0,60}", junk in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = parse_basic(&junk);
            let header = format!("Basic {}", b64(&format!("{id}:{}", secret.replace('%', "%25").replace('+', "%2B"))));
            prop_assert_eq!(parse_basic(header.as_bytes()), Some((id, secret)));
        }
    }
}

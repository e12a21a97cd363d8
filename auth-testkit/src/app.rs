//! [`Reply`]: what a test looks at in a response, read whole from an in-process service.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::HeaderMap;

/// What a test looks at in a response: the status, the headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, as the app set them.
    pub headers: HeaderMap,
    /// The body (UTF-8, lossily).
    pub body: String,
}

impl Reply {
    /// The value of header `name`, if present (`<non-ascii>` for a value that is not ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("<non-ascii>"))
    }

    /// The body.
    pub fn text(&self) -> &str {
        &self.body
    }

    /// The body as JSON; panics with the status and body when it is not JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body of a {} is not JSON ({e}): {:?}",
                self.status, self.body
            )
        })
    }

    /// Status, `WWW-Authenticate` and body in one comparable value.
    pub fn summary(&self) -> (u16, Option<&str>, &str) {
        (
            self.status,
            self.header("www-authenticate"),
            self.body.as_str(),
        )
    }

    /// The whole `Set-Cookie` header this response sends for the cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        set_cookie(self, name)
    }

    /// The value this response sets for the cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_value(self, name)
    }
}

/// The `Set-Cookie` header of a response for the cookie `name`, whole.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the cookie `name` set by a response.
pub fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    let header = set_cookie(reply, name)?;
    let value = header.split(';').next()?.split_once('=')?.1.to_owned();
    Some(value)
}

/// DRF's error body `{"detail":"<text>"}`, compact, as its JSON renderer writes it.
pub fn detail(text: &str) -> String {
    serde_json::json!({ "detail": text }).to_string()
}

/// Reads a whole service response.
pub async fn read<B: MessageBody + 'static>(response: ServiceResponse<B>) -> Reply {
    read_response(response.map_into_boxed_body().into_parts().1).await
}

/// Reads a whole `HttpResponse`.
pub async fn read_response(response: actix_web::HttpResponse) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

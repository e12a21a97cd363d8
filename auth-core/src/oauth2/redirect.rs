//! Redirect URIs matched as DOT 3.4.1 matches them
//! (`models.py:check_redirect_to_uri_allowed`, `http.py:OAuth2ResponseRedirect`).

use crate::compat::urlsplit::{urlsplit, SplitUrl};

/// DOT's `redirect_to_uri_allowed(uri, allowed_uris)`: `uri` is one of
/// `allowed` compared part by part (scheme, hostname, port, path, whether
/// there is a query, and the query), where a registered `http` loopback URI
/// (`127.0.0.1`, `::1`, and `localhost` with `ALLOW_LOCALHOST_LOOPBACK`)
/// accepts any port (RFC 8252 §7.3). A URI with a fragment or with userinfo
/// never matches. Where DOT's parse raises (a bad port, an unbalanced
/// bracket) and answers 500, this refuses.
pub fn redirect_to_uri_allowed(uri: &str, allowed: &[&str], allow_localhost_loopback: bool) -> bool {
    if uri.contains('#') {
        return false;
    }
    let Ok(parsed) = urlsplit(uri) else {
        return false;
    };
    if parsed.netloc.contains('@') {
        return false;
    }
    allowed
        .iter()
        .any(|candidate| matches(uri, &parsed, candidate, allow_localhost_loopback))
}

fn matches(uri: &str, parsed: &SplitUrl, candidate: &str, allow_localhost_loopback: bool) -> bool {
    if candidate.contains('#') {
        return false;
    }
    let Ok(registered) = urlsplit(candidate) else {
        return false;
    };
    if registered.netloc.contains('@') || registered.scheme != parsed.scheme {
        return false;
    }
    let host = registered.hostname();
    if host != parsed.hostname() {
        return false;
    }
    let loopback = registered.scheme == "http"
        && matches!(host.as_deref(), Some("127.0.0.1" | "::1"))
        || (allow_localhost_loopback
            && registered.scheme == "http"
            && host.as_deref() == Some("localhost"));
    if !loopback {
        match (registered.port(), parsed.port()) {
            (Ok(a), Ok(b)) if a == b => {}
            _ => return false,
        }
    }
    registered.path == parsed.path
        && candidate.contains('?') == uri.contains('?')
        && registered.query == parsed.query
}

/// DOT's `OAuth2ResponseRedirect`: a redirect to `uri` is sent only when its
/// scheme is one of `ALLOWED_REDIRECT_URI_SCHEMES` (otherwise Django's
/// `DisallowedRedirect`, a 400).
pub fn scheme_allowed<S: AsRef<str>>(uri: &str, schemes: &[S]) -> bool {
    urlsplit(uri).is_ok_and(|u| schemes.iter().any(|s| s.as_ref() == u.scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(uri: &str, registered: &str) -> bool {
        redirect_to_uri_allowed(uri, &registered.split_whitespace().collect::<Vec<_>>(), false)
    }

    #[test]
    fn exact_parts_match() {
        let reg = "https://client.example/cb https://other.example/x?a=1";
        assert!(allowed("https://client.example/cb", reg));
        assert!(allowed("HTTPS://CLIENT.example/cb", reg), "scheme and host are case-blind");
        assert!(allowed("https://other.example/x?a=1", reg));
        assert!(!allowed("https://other.example/x?a=2", reg));
        assert!(!allowed("https://other.example/x", reg));
        assert!(!allowed("https://client.example/cb?", reg), "a query where none is registered");
        assert!(!allowed("https://client.example/cb/", reg));
        assert!(!allowed("https://client.example/cb;evil=1", reg));
        assert!(!allowed("http://client.example/cb", reg));
        assert!(!allowed("https://client.example:443/cb", reg), "a port where none is registered");
        assert!(!allowed("https://client.example/cb#", reg));
        assert!(!allowed("https://evil@client.example/cb", reg));
        assert!(!allowed("https://client.example.evil/cb", reg));
        assert!(!allowed("https://client.example:99999/cb", reg), "DOT raises here");
        assert!(allowed("https://client.example:/cb", reg), "an empty port is none");
        assert!(allowed("https://c.example:00443/cb", "https://c.example:443/cb"));
        assert!(!allowed("https://[::1/cb", reg));
        assert!(!allowed("https://client.example/cb", "https://client.example/cb#frag"));
        assert!(!allowed("https://client.example/cb", "https://u@client.example/cb"));
        assert!(!allowed("", reg));
    }

    #[test]
    fn loopback_ports_are_free_for_http_only() {
        assert!(allowed("http://127.0.0.1:51234/cb", "http://127.0.0.1/cb"));
        assert!(allowed("http://[::1]:8080/cb", "http://[::1]:1/cb"));
        assert!(!allowed("http://127.0.0.1:51234/other", "http://127.0.0.1/cb"));
        assert!(!allowed("https://127.0.0.1:51234/cb", "https://127.0.0.1/cb"));
        assert!(!allowed("http://localhost:5000/cb", "http://localhost/cb"));
        assert!(redirect_to_uri_allowed(
            "http://localhost:5000/cb",
            &["http://localhost/cb"],
            true
        ));
        assert!(allowed("myapp:/cb", "myapp:/cb"), "a private-use scheme");
    }

    #[test]
    fn schemes() {
        let schemes = ["http", "https"];
        assert!(scheme_allowed("https://a/", &schemes));
        assert!(!scheme_allowed("javascript:alert(1)", &schemes));
        assert!(!scheme_allowed("myapp:/cb", &schemes));
    }
}

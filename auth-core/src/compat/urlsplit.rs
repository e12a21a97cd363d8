//! Python's `urllib.parse.urlsplit` and `SplitResult.geturl` (CPython 3.11.4
//! and later, 3.12, 3.13), for every check that reads a URL as Django does.
//!
//! Django's CSRF checks read the scheme and the network location of `Origin`
//! and `Referer` and of the trusted origins, whether parsing raised
//! `ValueError` (a malformed referer, an unverified origin), and the
//! reassembled URL in the bad-referer reason; a redirect URI check reads the
//! same parts.
//!
//! ```
//! use auth_core::compat::urlsplit::{urlsplit, InvalidUrl};
//!
//! let url = urlsplit("HTTPS://example.com:8000/a?b#c").unwrap();
//! assert_eq!((url.scheme.as_str(), url.netloc.as_str()), ("https", "example.com:8000"));
//! assert_eq!(url.geturl(), "https://example.com:8000/a?b#c");
//! assert_eq!(urlsplit("http://[::1"), Err(InvalidUrl));
//! ```

use std::net::Ipv6Addr;

/// Python's `_WHATWG_C0_CONTROL_OR_SPACE`: stripped from the start of a URL.
fn is_c0_control_or_space(c: char) -> bool {
    c <= ' '
}

/// Python's `scheme_chars`.
fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

/// Python's `uses_netloc`: schemes that `urlunsplit` writes with `//` even
/// when the network location is empty.
const USES_NETLOC: &[&str] = &[
    "",
    "ftp",
    "http",
    "gopher",
    "nntp",
    "telnet",
    "imap",
    "wais",
    "file",
    "mms",
    "https",
    "shttp",
    "snews",
    "prospero",
    "rtsp",
    "rtsps",
    "rtspu",
    "rsync",
    "svn",
    "svn+ssh",
    "sftp",
    "nfs",
    "git",
    "git+ssh",
    "ws",
    "wss",
    "itms-services",
];

/// Python's `ValueError` from `urlsplit`: the URL cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUrl;

/// Python's `SplitResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitUrl {
    /// The scheme, lower-cased (empty when there is none).
    pub scheme: String,
    /// The network location (`user@host:port`), as written.
    pub netloc: String,
    /// The path.
    pub path: String,
    /// The query, without its `?`.
    pub query: String,
    /// The fragment, without its `#`.
    pub fragment: String,
}

/// `urlsplit(url)` with Python's defaults (`scheme=''`, `allow_fragments=True`).
pub fn urlsplit(url: &str) -> Result<SplitUrl, InvalidUrl> {
    let url: String = url
        .trim_start_matches(is_c0_control_or_space)
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':') {
        let candidate = &rest[..i];
        let starts_alpha = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
        if starts_alpha && candidate.chars().all(is_scheme_char) {
            scheme = candidate.to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return Err(InvalidUrl); // "Invalid IPv6 URL"
        }
        if open {
            let bracketed = netloc
                .split_once('[')
                .map_or("", |(_, after)| after.split(']').next().unwrap_or(""));
            check_bracketed_host(bracketed)?;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    check_netloc(netloc)?;
    Ok(SplitUrl {
        scheme,
        netloc: netloc.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        fragment: fragment.to_owned(),
    })
}

impl SplitUrl {
    /// `_hostinfo`: the host and the port text of the network location
    /// (after any `user@`; a bracketed IPv6 host without its brackets).
    fn hostinfo(&self) -> (&str, Option<&str>) {
        let info = self
            .netloc
            .rsplit_once('@')
            .map_or(self.netloc.as_str(), |(_, h)| h);
        let (host, port) = match info.split_once('[') {
            Some((_, bracketed)) => {
                let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
                (host, after.split_once(':').map_or("", |(_, p)| p))
            }
            None => info.split_once(':').unwrap_or((info, "")),
        };
        (host, (!port.is_empty()).then_some(port))
    }

    /// `SplitResult.hostname`: lower-cased (an IPv6 zone keeps its case),
    /// `None` when empty.
    pub fn hostname(&self) -> Option<String> {
        let (host, _) = self.hostinfo();
        if host.is_empty() {
            return None;
        }
        Some(match host.split_once('%') {
            Some((address, zone)) => format!("{}%{zone}", address.to_lowercase()),
            None => host.to_lowercase(),
        })
    }

    /// `SplitResult.port`: `Ok(None)` without one, `Err` where Python raises
    /// `ValueError` (not ASCII digits, or out of 0–65535).
    pub fn port(&self) -> Result<Option<u16>, InvalidUrl> {
        match self.hostinfo().1 {
            None => Ok(None),
            Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
                let digits = port.trim_start_matches('0');
                if digits.len() > 5 {
                    return Err(InvalidUrl);
                }
                u16::try_from(digits.parse::<u32>().unwrap_or(0))
                    .map(Some)
                    .map_err(|_| InvalidUrl)
            }
            Some(_) => Err(InvalidUrl),
        }
    }

    /// `SplitResult.geturl()`, i.e. `urlunsplit`: empty query and fragment are
    /// dropped with their `?` and `#`.
    pub fn geturl(&self) -> String {
        let netloc = if !self.netloc.is_empty() {
            Some(self.netloc.as_str())
        } else if !self.scheme.is_empty()
            && USES_NETLOC.contains(&self.scheme.as_str())
            && (self.path.is_empty() || self.path.starts_with('/'))
        {
            Some("")
        } else {
            None
        };
        let mut url = String::new();
        if !self.scheme.is_empty() {
            url.push_str(&self.scheme);
            url.push(':');
        }
        match netloc {
            Some(netloc) => {
                url.push_str("//");
                url.push_str(netloc);
                if !self.path.is_empty() && !self.path.starts_with('/') {
                    url.push('/');
                }
            }
            None if self.path.starts_with("//") => url.push_str("//"),
            None => {}
        }
        url.push_str(&self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        if !self.fragment.is_empty() {
            url.push('#');
            url.push_str(&self.fragment);
        }
        url
    }
}

/// Python's `_check_bracketed_host`: an IPvFuture (`v1.x`) or an IPv6
/// address (with an optional `%scope`); an IPv4 address or anything else is
/// an error.
fn check_bracketed_host(host: &str) -> Result<(), InvalidUrl> {
    if let Some(future) = host.strip_prefix('v') {
        // re.match(r"\Av[a-fA-F0-9]+\..+\Z", hostname)
        let valid = future.split_once('.').is_some_and(|(version, address)| {
            !version.is_empty()
                && version.chars().all(|c| c.is_ascii_hexdigit())
                && !address.is_empty()
                && !address.contains('\n')
        });
        return if valid { Ok(()) } else { Err(InvalidUrl) };
    }
    // ipaddress.ip_address: an IPv4 address is rejected in brackets, so only
    // an IPv6 address passes. Python's `_split_scope_id`: a `%` needs a
    // non-empty scope without another `%`.
    let address = match host.split_once('%') {
        Some((address, scope)) if !scope.is_empty() && !scope.contains('%') => address,
        Some(_) => return Err(InvalidUrl),
        None => host,
    };
    address
        .parse::<Ipv6Addr>()
        .map(|_| ())
        .map_err(|_| InvalidUrl)
}

/// Python's `_checknetloc`: a non-ASCII network location must not gain one of
/// `/?#@:` under NFKC normalisation (e.g. U+2100 `℀` becomes `a/c`).
fn check_netloc(netloc: &str) -> Result<(), InvalidUrl> {
    if netloc.is_ascii() {
        return Ok(());
    }
    let stripped: String = netloc
        .chars()
        .filter(|c| !matches!(c, '@' | ':' | '#' | '?'))
        .collect();
    let normalized = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(&stripped);
    if normalized == stripped.as_str() {
        return Ok(());
    }
    if normalized.contains(['/', '?', '#', '@', ':']) {
        return Err(InvalidUrl);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, String, String, String, String) {
        let s = urlsplit(url).unwrap_or_else(|_| panic!("{url:?} should split"));
        (s.scheme, s.netloc, s.path, s.query, s.fragment)
    }

    fn strings(parts: [&str; 5]) -> (String, String, String, String, String) {
        let [a, b, c, d, e] = parts.map(str::to_owned);
        (a, b, c, d, e)
    }

    /// Each row is Python's `tuple(urlsplit(url))` and `geturl()`.
    #[test]
    fn matches_python() {
        let cases: &[(&str, [&str; 5], &str)] = &[
            (
                "https://example.com/a/b?x=1&y=2#frag",
                ["https", "example.com", "/a/b", "x=1&y=2", "frag"],
                "https://example.com/a/b?x=1&y=2#frag",
            ),
            (
                "HTTPS://Evil.Example/a?#",
                ["https", "Evil.Example", "/a", "", ""],
                "https://Evil.Example/a",
            ),
            (
                "  \x01https://e.example/p\tq",
                ["https", "e.example", "/pq", "", ""],
                "https://e.example/pq",
            ),
            ("not a url", ["", "", "not a url", "", ""], "not a url"),
            ("https://", ["https", "", "", "", ""], "https://"),
            ("/page", ["", "", "/page", "", ""], "/page"),
            (
                "//example.com/page",
                ["", "example.com", "/page", "", ""],
                "//example.com/page",
            ),
            ("null", ["", "", "null", "", ""], "null"),
            ("", ["", "", "", "", ""], ""),
            (
                "https://user:pw@h:8/?q#f",
                ["https", "user:pw@h:8", "/", "q", "f"],
                "https://user:pw@h:8/?q#f",
            ),
            (
                "https://*.wild.example",
                ["https", "*.wild.example", "", "", ""],
                "https://*.wild.example",
            ),
            ("1http://x/", ["", "", "1http://x/", "", ""], "1http://x/"),
            (
                "a+b.c-d:rest",
                ["a+b.c-d", "", "rest", "", ""],
                "a+b.c-d:rest",
            ),
            ("ht_tp://x/", ["", "", "ht_tp://x/", "", ""], "ht_tp://x/"),
            ("mailto:a@b", ["mailto", "", "a@b", "", ""], "mailto:a@b"),
            (
                "https://h?x#y?z",
                ["https", "h", "", "x", "y?z"],
                "https://h?x#y?z",
            ),
            (
                "https://h#y?z",
                ["https", "h", "", "", "y?z"],
                "https://h#y?z",
            ),
            (
                "https://[::1]:8443/",
                ["https", "[::1]:8443", "/", "", ""],
                "https://[::1]:8443/",
            ),
            (
                "https://[fe80::1%25eth0]/",
                ["https", "[fe80::1%25eth0]", "/", "", ""],
                "https://[fe80::1%25eth0]/",
            ),
            (
                "https://[v1.x]/",
                ["https", "[v1.x]", "/", "", ""],
                "https://[v1.x]/",
            ),
            (
                "https://ex\u{e4}mple.com/",
                ["https", "ex\u{e4}mple.com", "/", "", ""],
                "https://ex\u{e4}mple.com/",
            ),
            ("file:///etc", ["file", "", "/etc", "", ""], "file:///etc"),
            ("x://", ["x", "", "", "", ""], "x:"),
        ];
        // (`geturl` of an empty network location changed across Python
        // releases, e.g. `////a` and `https:rel`; Django never shows one: such
        // a referer is malformed.)
        for (url, parts, geturl) in cases {
            assert_eq!(split(url), strings(*parts), "{url:?}");
            assert_eq!(urlsplit(url).unwrap().geturl(), *geturl, "{url:?}");
        }
    }

    /// Python raises `ValueError` for each of these.
    #[test]
    fn value_errors_match_python() {
        for url in [
            "https://[::1",
            "https://::1]/",
            "https://example.com]/",
            "https://[127.0.0.1]/",
            "https://[v1x]/",
            "https://[v.x]/",
            "https://[vg.x]/",
            "https://[v1.]/",
            "https://[]/",
            "https://[::1%]/",
            "https://[::1%a%b]/",
            "https://[1:2:3:4:5:6:7:8:9]/",
            "https://[12345::]/",
            "https://[::1.02.3.4]/",
            "https://[::1.2.3]/",
            "https://[:1::]/",
            "https://[1:::2]/",
            "https://[1:2:3:4:5:6:7:8::]/",
            "https://[ ::1]/",
            "https://[1.2.3.4%x]/",
            "https://a]b[c/",
            "https://\u{2100}.example/",
            "https://a\u{ff0f}b/",
        ] {
            assert_eq!(urlsplit(url), Err(InvalidUrl), "{url:?}");
        }
    }

    /// Python accepts each of these bracketed hosts.
    #[test]
    fn valid_bracketed_hosts_match_python() {
        for host in [
            "::1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "::",
            "1::",
            "::ffff:1.2.3.4",
            "FE80::1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "::0:0:0:0:0:0:0",
            "0:0:0:0:0:0:0::",
            "fe80::1%25eth0",
            "::%x",
            "vF.anything]",
            "v1.x",
        ] {
            let url = format!("https://[{host}]/");
            assert!(urlsplit(&url).is_ok(), "{url:?}");
        }
    }

    /// No character of U+0080..U+00FF (what a latin-1 header can carry)
    /// gains a delimiter under NFKC: checked with Python's `unicodedata`.
    #[test]
    fn latin1_netlocs_never_fail_the_nfkc_check() {
        for c in '\u{80}'..='\u{ff}' {
            let url = format!("https://a{c}b/");
            assert!(urlsplit(&url).is_ok(), "{c:?}");
        }
    }
}

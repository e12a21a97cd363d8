//! `RemoteUserAuthentication`, trusting a header only from configured proxies.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::identity::Authenticated;
use auth_core::models::User;
use auth_core::{AuthStore, StoreError};

use super::parse::latin1;
use super::AuthenticationConfig;
use super::{AuthResult, Authentication};
use crate::blocking::run_blocking;
use crate::http::app_data;

/// A proxy address or network (`10.0.0.7`, `10.0.0.0/8`, `::1`, `fd00::/8`)
/// whose `RemoteUserConfig::header` is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `ip` is this address or inside this network (IPv4-mapped IPv6
    /// addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix);
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

impl From<IpAddr> for TrustedProxy {
    fn from(ip: IpAddr) -> Self {
        let ip = ip.to_canonical();
        TrustedProxy {
            network: ip,
            prefix: if ip.is_ipv4() { 32 } else { 128 },
        }
    }
}

/// `TrustedProxy::from_str` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or network: {0:?} (write e.g. `10.0.0.7` or `10.0.0.0/8`)")]
pub struct InvalidProxy(String);

impl FromStr for TrustedProxy {
    type Err = InvalidProxy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidProxy(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().map_err(|_| invalid())?)),
            None => (s, None),
        };
        let proxy = TrustedProxy::from(addr.parse::<IpAddr>().map_err(|_| invalid())?);
        match prefix {
            None => Ok(proxy),
            Some(p) if p <= proxy.prefix => Ok(TrustedProxy { prefix: p, ..proxy }),
            Some(_) => Err(invalid()),
        }
    }
}

/// Django's `RemoteUserBackend.clean_username` hook.
pub type CleanUsername = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Configuration of [`RemoteUserAuthentication`] (DRF's class attribute
/// `header` and Django's `RemoteUserBackend` settings), registered as app
/// data for the app or a scope: `.app_data(RemoteUserConfig::default()
/// .trusted_proxies(..))`. Without it the header is never believed (no
/// trusted proxy).
#[derive(Clone)]
pub struct RemoteUserConfig {
    header: HeaderName,
    trusted_proxies: Vec<TrustedProxy>,
    create_unknown_user: bool,
    clean_username: Option<CleanUsername>,
}

/// The configuration of an app that registered none.
fn default_config() -> &'static RemoteUserConfig {
    static DEFAULT: std::sync::OnceLock<RemoteUserConfig> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(RemoteUserConfig::default)
}

impl Default for RemoteUserConfig {
    /// Header `Remote-User`, no trusted proxy (so the header is never
    /// believed), unknown users created.
    fn default() -> Self {
        RemoteUserConfig {
            header: HeaderName::from_static("remote-user"),
            trusted_proxies: Vec::new(),
            create_unknown_user: true,
            clean_username: None,
        }
    }
}

impl RemoteUserConfig {
    /// The header the proxy sets (DRF's `header`; default `Remote-User`).
    pub fn header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }

    /// The peers whose header is believed; a request from any other peer is
    /// not attempted, so a client cannot claim a username.
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = TrustedProxy>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// Create users that do not exist yet (Django's `create_unknown_user`, default `true`).
    pub fn create_unknown_user(mut self, create: bool) -> Self {
        self.create_unknown_user = create;
        self
    }

    /// Rewrite the header's value into a username (Django's `clean_username`).
    pub fn clean_username(
        mut self,
        clean: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        self.clean_username = Some(Arc::new(clean));
        self
    }

    fn trusts(&self, request: &HttpRequest) -> bool {
        request.peer_addr().is_some_and(|peer| {
            self.trusted_proxies
                .iter()
                .any(|proxy| proxy.contains(peer.ip()))
        })
    }
}

impl fmt::Debug for RemoteUserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteUserConfig")
            .field("header", &self.header)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("create_unknown_user", &self.create_unknown_user)
            .field("clean_username", &self.clean_username.is_some())
            .finish()
    }
}

/// Authentication by a username that a trusted front-end proxy puts in a
/// header (DRF's `RemoteUserAuthentication` with Django's `RemoteUserBackend`).
///
/// Not attempted when the peer is not a trusted proxy, when the header is
/// missing or empty, when the user does not exist (and may not be created),
/// or when the user is inactive. It never fails, and has no
/// `WWW-Authenticate` header, so denials are 403.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteUserAuthentication;

impl Authentication for RemoteUserAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        settings: &AuthenticationConfig,
    ) -> AuthResult {
        let config: &RemoteUserConfig = match app_data::<RemoteUserConfig>(request) {
            Some(config) => config,
            None => default_config(),
        };
        let mut values = request.headers().get_all(&config.header);
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if !config.trusts(request) {
            tracing::debug!(peer = ?request.peer_addr(), "ignoring the remote-user header from an untrusted peer");
            return Ok(None);
        }
        if values.next().is_some() {
            // Django would join the values into one name that matches
            // nobody; behind a proxy that appends the header instead of
            // replacing it, taking either value would let the client choose.
            tracing::warn!(header = %config.header, "the remote-user header was sent more than once");
            return Err(AuthError::authentication_failed_default());
        }
        // Django reads server variables and headers as latin-1.
        let remote_user = latin1(value.as_bytes());
        if remote_user.is_empty() {
            return Ok(None);
        }
        let username = match &config.clean_username {
            Some(clean) => clean(&remote_user),
            None => remote_user,
        };
        let store = settings.store()?.clone();
        // Boxed, so that views pay for the lookup's future only when there is a username.
        Box::pin(lookup(store, username, config.create_unknown_user)).await
    }
}

/// The user, created if allowed; only an active user authenticates.
async fn lookup(store: AuthStore, username: String, create: bool) -> AuthResult {
    let user = run_blocking(move || find_user(&store, &username, create)).await?;
    Ok(user.filter(|user| user.is_active).map(Authenticated::user))
}

/// `get_or_create(username=...)`, or `get_by_natural_key` when not creating.
fn find_user(store: &AuthStore, username: &str, create: bool) -> Result<Option<User>, StoreError> {
    if !create {
        return store.user_by_username(username);
    }
    match store.get_or_create_user(username) {
        Ok((user, _)) => Ok(Some(user)),
        // A name the column cannot hold (longer than 150 characters, a NUL),
        // or under MySQL's case-insensitive collations one differing only in
        // case from an existing user's: nobody.
        Err(StoreError::InvalidUsername(_) | StoreError::DuplicateUsername) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn proxies_and_networks() {
        let one: TrustedProxy = "10.0.0.7".parse().unwrap();
        assert!(one.contains(ip("10.0.0.7")));
        assert!(!one.contains(ip("10.0.0.8")));
        assert!(one.contains(ip("::ffff:10.0.0.7")), "IPv4-mapped");
        let net: TrustedProxy = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.255.1.2")));
        assert!(!net.contains(ip("11.0.0.1")));
        let all: TrustedProxy = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!(!all.contains(ip("::1")));
        let v6: TrustedProxy = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!("::1".parse::<TrustedProxy>().unwrap().contains(ip("::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "host",
            "::1/129",
            "1.2.3.4/-1",
        ] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn default_trusts_nobody() {
        let config = RemoteUserConfig::default();
        let req = actix_web::test::TestRequest::default()
            .peer_addr("127.0.0.1:1234".parse().unwrap())
            .to_http_request();
        assert!(!config.trusts(&req));
        let config = config.trusted_proxies(["127.0.0.1".parse().unwrap()]);
        assert!(config.trusts(&req));
        let no_peer = actix_web::test::TestRequest::default().to_http_request();
        assert!(!config.trusts(&no_peer));
    }
}

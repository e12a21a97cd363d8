//! Django's SMTP backend, on `lettre`'s async SMTP client with rustls.

use std::fmt;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{EmailBackend, EmailError, EmailMessage, SendFuture};

/// How the connection is protected (Django's `EMAIL_USE_TLS` /
/// `EMAIL_USE_SSL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text throughout: only for a relay on the same host or network.
    None,
    /// `STARTTLS` after connecting, required (`EMAIL_USE_TLS`): no message
    /// and no password is sent if the server does not offer it.
    StartTls,
    /// TLS from the first byte (`EMAIL_USE_SSL`, usually port 465).
    Tls,
}

/// Where and how to reach the SMTP server.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// The port: Django's default is 25.
    pub port: u16,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// `EMAIL_HOST_USER` and `EMAIL_HOST_PASSWORD`, if the server wants a
    /// login.
    pub credentials: Option<(String, String)>,
    /// The longest a whole delivery may take (Django's `EMAIL_TIMEOUT`,
    /// which Django leaves unset; here 10 seconds by default, so that a
    /// server that stops answering cannot hold tasks forever).
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|(user, _)| (user, "<hidden>")),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The default time limit of a delivery.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);

impl SmtpConfig {
    /// A server at `host:port`, plain text, no login.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            security: SmtpSecurity::None,
            credentials: None,
            timeout: DEFAULT_SMTP_TIMEOUT,
        }
    }

    /// Reads `smtp://[user[:password]@]host[:port][?tls=required]` (plain,
    /// or STARTTLS with `tls=required`; port 25, or 587 with STARTTLS) and
    /// `smtps://…` (implicit TLS, port 465). The user and password are
    /// percent-decoded; `timeout=<seconds>` sets the time limit.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let (rest, implicit_tls) = if let Some(rest) = url.strip_prefix("smtps://") {
            (rest, true)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (rest, false)
        } else {
            return Err("the scheme must be smtp:// or smtps://".into());
        };
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, Some(query)),
            None => (rest, None),
        };
        let authority = authority.trim_end_matches('/');
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        let mut security = if implicit_tls {
            SmtpSecurity::Tls
        } else {
            SmtpSecurity::None
        };
        let mut timeout = DEFAULT_SMTP_TIMEOUT;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("tls", "required")) if !implicit_tls => security = SmtpSecurity::StartTls,
                Some(("tls", "none")) if !implicit_tls => security = SmtpSecurity::None,
                Some(("timeout", seconds)) => {
                    let seconds: f64 = seconds
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                        .ok_or_else(|| format!("timeout={seconds:?} is not a number of seconds"))?;
                    timeout = Duration::from_secs_f64(seconds);
                }
                _ => return Err(format!("unknown parameter {pair:?}")),
            }
        }
        let port = port.unwrap_or(match security {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        });
        let credentials = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                Some((percent_decode(user)?, percent_decode(password)?))
            }
        };
        Ok(SmtpConfig {
            host,
            port,
            security,
            credentials,
            timeout,
        })
    }
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed [ in the host".to_owned())?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = port
        .map(|p| p.parse::<u16>().map_err(|_| format!("bad port {p:?}")))
        .transpose()?;
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "bad percent-encoding in the user or password".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the user or password is not UTF-8".to_owned())
}

/// Sends through an SMTP server, one connection per message.
#[derive(Clone)]
pub struct SmtpBackend {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: SmtpConfig,
}

impl fmt::Debug for SmtpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpBackend")
            .field("config", &self.config)
            .finish()
    }
}

impl SmtpBackend {
    /// A backend for `config`; fails only when the TLS parameters cannot be
    /// built for the host name.
    pub fn new(config: SmtpConfig) -> Result<Self, EmailError> {
        let tls_parameters = || {
            TlsParameters::new(config.host.clone())
                .map_err(|e| EmailError::Smtp(format!("TLS for {}: {e}", config.host)))
        };
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpBackend {
            transport: builder.build(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }
}

fn mailbox(address: &str) -> Result<Mailbox, EmailError> {
    address.parse().map_err(|e: lettre::address::AddressError| {
        EmailError::Address(address.to_owned(), e.to_string())
    })
}

/// `message` as lettre builds it: a text/plain part, or
/// multipart/alternative with the HTML, as Django's
/// `EmailMultiAlternatives`.
///
/// Each part is base64-encoded: lettre ends every part with a line break,
/// which in a 7bit, 8bit or quoted-printable part becomes one more line of
/// the text, while a base64 part decodes to exactly the text (its line
/// breaks as CRLF, as SMTP carries them).
pub(crate) fn to_lettre(message: &EmailMessage) -> Result<Message, EmailError> {
    let mut builder = Message::builder()
        .from(mailbox(&message.from)?)
        .subject(message.subject.as_str());
    for to in &message.to {
        builder = builder.to(mailbox(to)?);
    }
    let exact = |text: &str| {
        Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::Base64)
            .map_err(|_| EmailError::Message("a part could not be base64-encoded".to_owned()))
    };
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(exact(&message.text)?);
    let built = match &message.html {
        None => builder.singlepart(text),
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(exact(html)?),
            ),
        ),
    };
    built.map_err(|e| EmailError::Message(e.to_string()))
}

impl EmailBackend for SmtpBackend {
    fn send(&self, message: EmailMessage) -> SendFuture {
        let transport = self.transport.clone();
        let timeout = self.config.timeout;
        Box::pin(async move {
            let message = to_lettre(&message)?;
            match tokio::time::timeout(timeout, transport.send(message)).await {
                Ok(Ok(_response)) => Ok(()),
                Ok(Err(e)) => Err(EmailError::Smtp(error_chain(&e))),
                Err(_) => Err(EmailError::Timeout(timeout)),
            }
        })
    }
}

/// An error with its causes, `: `-separated.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = SmtpConfig::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.security),
            ("127.0.0.1", 2525, SmtpSecurity::None)
        );
        assert!(c.credentials.is_none());
        let c =
            SmtpConfig::from_url("smtp://me%40x.org:p%3Aw@mail.example.com?tls=required").unwrap();
        assert_eq!((c.port, c.security), (587, SmtpSecurity::StartTls));
        assert_eq!(c.credentials, Some(("me@x.org".into(), "p:w".into())));
        let c = SmtpConfig::from_url("smtps://mail.example.com/?timeout=2.5").unwrap();
        assert_eq!((c.port, c.security), (465, SmtpSecurity::Tls));
        assert_eq!(c.timeout, Duration::from_millis(2500));
        let c = SmtpConfig::from_url("smtp://[::1]:25").unwrap();
        assert_eq!(c.host, "::1");
        for bad in [
            "smtp://",
            "smtp://host:99999",
            "smtp://host?x=1",
            "smtp://host?timeout=-1",
            "smtp://u:%zz@host",
            "http://host",
        ] {
            assert!(SmtpConfig::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let c = SmtpConfig::from_url("smtp://user:hunter2@host").unwrap();
        let debug = format!("{c:?} {:?}", SmtpBackend::new(c.clone()).unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn messages_with_an_html_alternative() {
        let message = EmailMessage::new(
            "Site <webmaster@localhost>",
            ["ann@example.com"],
            "Hi",
            "text",
        )
        .with_html("<p>html</p>");
        let formatted = String::from_utf8(to_lettre(&message).unwrap().formatted()).unwrap();
        assert!(formatted.contains("multipart/alternative"), "{formatted}");
        assert!(formatted.contains("Subject: Hi"), "{formatted}");
        let bad = EmailMessage::new("webmaster@localhost", ["not an address"], "Hi", "text");
        assert!(matches!(to_lettre(&bad), Err(EmailError::Address(..))));
    }

    /// Sends `message` to `127.0.0.1:port` within `timeout`.
    fn send_to(port: u16, timeout: Duration, message: EmailMessage) -> Result<(), EmailError> {
        let mut config = SmtpConfig::new("127.0.0.1", port);
        config.timeout = timeout;
        let backend = SmtpBackend::new(config).unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(backend.send(message))
    }

    fn hello() -> EmailMessage {
        EmailMessage::new("webmaster@localhost", ["ann@example.com"], "Hi", "text")
    }

    /// A one-message SMTP server on loopback: accepts one connection,
    /// answers every command, returns what came after `DATA`.
    fn sink() -> (u16, std::thread::JoinHandle<String>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut out = stream;
            out.write_all(b"220 sink ESMTP\r\n").unwrap();
            let mut data = String::new();
            let mut in_data = false;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 {
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        out.write_all(b"250 queued\r\n").unwrap();
                    } else {
                        data.push_str(&line);
                    }
                } else {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if command.starts_with("QUIT") {
                        out.write_all(b"221 bye\r\n").unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    out.write_all(reply).unwrap();
                }
                line.clear();
            }
            data
        });
        (port, handle)
    }

    #[test]
    fn delivers_to_a_server() {
        let (port, server) = sink();
        let message = EmailMessage::new(
            "webmaster@localhost",
            ["ann@example.com"],
            "Reset",
            "the link",
        )
        .with_html("<p>the link</p>");
        send_to(port, DEFAULT_SMTP_TIMEOUT, message).unwrap();
        let data = server.join().unwrap();
        assert!(data.contains("Subject: Reset\r\n"), "{data}");
        assert!(data.contains("To: ann@example.com\r\n"), "{data}");
        // Both parts in base64: "the link" and "<p>the link</p>".
        assert!(data.contains("\r\ndGhlIGxpbms=\r\n"), "{data}");
        assert!(data.contains("\r\nPHA+dGhlIGxpbms8L3A+\r\n"), "{data}");
        assert!(data.contains("Content-Type: text/html"), "{data}");
    }

    #[test]
    fn a_server_that_is_down_is_an_error_not_a_hang() {
        // A port nothing listens on: connection refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = send_to(port, Duration::from_secs(2), hello()).unwrap_err();
        assert!(matches!(err, EmailError::Smtp(_)), "{err}");
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        // Accepts the connection and says nothing.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let err = send_to(port, Duration::from_millis(300), hello()).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            matches!(err, EmailError::Timeout(_) | EmailError::Smtp(_)),
            "{err}"
        );
        drop(listener);
    }
}

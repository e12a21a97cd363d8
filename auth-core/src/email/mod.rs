//! Outgoing email (feature `email`): Django's email backends and the
//! templates of the account emails.
//!
//! An [`EmailBackend`] delivers an [`EmailMessage`] (subject, sender,
//! recipients, a plain-text body and an optional HTML alternative). Four
//! backends, as Django's `EMAIL_BACKEND` offers them:
//!
//! - [`ConsoleBackend`], the default: the whole message is logged at `INFO`
//!   (target `auth_core::email`), so a development setup never loses a
//!   message silently;
//! - [`FileBackend`]: one file per message in a directory;
//! - [`SmtpBackend`]: SMTP through `lettre`, plain, STARTTLS or implicit TLS
//!   (rustls), with authentication and a time limit on every send;
//! - [`MemoryBackend`]: Django's `locmem` backend, an outbox in memory, for
//!   tests.
//!
//! [`Mailer`] holds the backend an application chose and sends off the
//! request's path: [`Mailer::send_later`] spawns the delivery, and a failure
//! is logged with its cause, never returned to the client. An answer
//! therefore never depends on whether an email could be sent, so an SMTP
//! outage is neither a 500 nor a way to tell which accounts exist.
//!
//! The account emails (activation, confirmation, password reset, username
//! reset) are [`EmailTemplate`]s: Django-like text with `{uid}`, `{token}`,
//! `{domain}`, `{protocol}`, `{site_name}`, `{url}`, `{user}` and
//! `{email}` placeholders, parsed when the application starts (an unknown
//! placeholder is an error then, not at send time). See [`templates`].
//!
//! ```
//! use auth_core::email::{EmailBackend, EmailMessage, MemoryBackend};
//!
//! # tokio_test_block_on(async {
//! let backend = MemoryBackend::new();
//! let message = EmailMessage::new("webmaster@localhost", ["ann@example.com"], "Hello", "Hi Ann.");
//! backend.send(message).await.unwrap();
//! assert_eq!(backend.outbox()[0].subject, "Hello");
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

mod smtp;
pub mod templates;

pub use smtp::{SmtpBackend, SmtpConfig, SmtpSecurity};
pub use templates::{EmailContext, EmailTemplate, Placeholder, Template, TemplateError};

/// Django's default `DEFAULT_FROM_EMAIL`.
pub const DEFAULT_FROM_EMAIL: &str = "webmaster@localhost";

/// The `tracing` target of every event of this module.
pub const LOG_TARGET: &str = "auth_core::email";

/// One email: what Django's `EmailMultiAlternatives` carries for the
/// account emails.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The subject, on one line.
    pub subject: String,
    /// The sender (`From`), an address or `Name <address>`.
    pub from: String,
    /// The recipients (`To`).
    pub to: Vec<String>,
    /// The plain-text body.
    pub text: String,
    /// An HTML alternative of the body.
    pub html: Option<String>,
}

impl EmailMessage {
    /// A plain-text message.
    pub fn new<T: Into<String>>(
        from: impl Into<String>,
        to: impl IntoIterator<Item = T>,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        EmailMessage {
            subject: subject.into(),
            from: from.into(),
            to: to.into_iter().map(Into::into).collect(),
            text: text.into(),
            html: None,
        }
    }

    /// The message with an HTML alternative.
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// The message as the console and file backends write it: the headers,
    /// a blank line, the text, and the HTML alternative after a separator
    /// line.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Subject: {}\nFrom: {}\nTo: {}\n\n{}\n",
            self.subject,
            self.from,
            self.to.join(", "),
            self.text
        );
        if let Some(html) = &self.html {
            out.push_str("\n--- text/html ---\n");
            out.push_str(html);
            out.push('\n');
        }
        out
    }
}

/// Without the bodies: an account email carries a reset or activation
/// token, which must not reach a log through `{:?}`.
impl fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("subject", &self.subject)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("text", &"<hidden>")
            .field("html", &self.html.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// A sender or recipient that is not an email address.
    #[error("invalid address {0:?}: {1}")]
    Address(String, String),
    /// The message could not be built (no recipient, a bad header).
    #[error("invalid message: {0}")]
    Message(String),
    /// The SMTP server refused the message or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The SMTP exchange took longer than the backend's time limit.
    #[error("SMTP: no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The file backend could not write.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What [`EmailBackend::send`] returns.
pub type SendFuture = Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send>>;

/// Delivers messages: Django's `EMAIL_BACKEND`.
pub trait EmailBackend: Send + Sync + 'static {
    /// Delivers `message`. The future owns what it needs, so that
    /// [`Mailer::send_later`] can run it after the request has been
    /// answered.
    fn send(&self, message: EmailMessage) -> SendFuture;
}

/// Django's console backend, the default: the whole message at `INFO`
/// under the target [`LOG_TARGET`]. Meant for development: the message
/// holds the links a user would receive, tokens included.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleBackend;

impl EmailBackend for ConsoleBackend {
    fn send(&self, message: EmailMessage) -> SendFuture {
        tracing::info!(target: LOG_TARGET, "email:\n{}", message.to_text());
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Django's file backend: each message in a new file of `directory`
/// (`<UTC date>-<time>-<random>.eml`), created if needed.
#[derive(Debug, Clone)]
pub struct FileBackend {
    directory: PathBuf,
}

impl FileBackend {
    /// Messages go to files in `directory`.
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        FileBackend {
            directory: directory.into(),
        }
    }

    /// The directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }
}

impl EmailBackend for FileBackend {
    fn send(&self, message: EmailMessage) -> SendFuture {
        let directory = self.directory.clone();
        Box::pin(async move {
            let mut random = [0u8; 6];
            crate::crypto::fill_random(&mut random);
            let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let name = format!(
                "{}-{suffix}.eml",
                chrono::Utc::now().format("%Y%m%d-%H%M%S")
            );
            let path = directory.join(name);
            let io = |source| EmailError::Io {
                path: path.clone(),
                source,
            };
            tokio::fs::create_dir_all(&directory)
                .await
                .map_err(|source| EmailError::Io {
                    path: directory.clone(),
                    source,
                })?;
            tokio::fs::write(&path, message.to_text()).await.map_err(io)
        })
    }
}

/// Django's `locmem` backend: messages kept in memory, in order (the
/// `mail.outbox` of Django's tests). Clones share the outbox.
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    outbox: Arc<Mutex<Vec<EmailMessage>>>,
}

impl MemoryBackend {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// The messages sent so far.
    pub fn outbox(&self) -> Vec<EmailMessage> {
        self.outbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Empties the outbox, returning what it held.
    pub fn take(&self) -> Vec<EmailMessage> {
        std::mem::take(
            &mut *self
                .outbox
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl EmailBackend for MemoryBackend {
    fn send(&self, message: EmailMessage) -> SendFuture {
        self.outbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(message);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Why an `EMAIL_URL` was refused.
#[derive(Debug, thiserror::Error)]
#[error("EMAIL_URL: {0}")]
pub struct EmailUrlError(String);

/// The application's email backend and sender, shared by every view that
/// sends. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    backend: Arc<dyn EmailBackend>,
    from: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Default for Mailer {
    /// The console backend, from [`DEFAULT_FROM_EMAIL`].
    fn default() -> Self {
        Mailer::new(ConsoleBackend)
    }
}

impl Mailer {
    /// Sends through `backend`, from [`DEFAULT_FROM_EMAIL`].
    pub fn new(backend: impl EmailBackend) -> Self {
        Mailer {
            backend: Arc::new(backend),
            from: DEFAULT_FROM_EMAIL.to_owned(),
        }
    }

    /// The backend an `EMAIL_URL` names: `smtp://[user:password@]host[:port]`
    /// (`?tls=required` for STARTTLS), `smtps://…` (implicit TLS),
    /// `file:///directory`, `console:` or `memory:`. Checked here, so a
    /// wrong URL stops the application at start-up.
    pub fn from_url(url: &str) -> Result<Self, EmailUrlError> {
        if url == "console:" || url == "console://" {
            return Ok(Mailer::new(ConsoleBackend));
        }
        if url == "memory:" || url == "memory://" {
            return Ok(Mailer::new(MemoryBackend::new()));
        }
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(EmailUrlError("file:// needs a directory".into()));
            }
            return Ok(Mailer::new(FileBackend::new(path)));
        }
        if url.starts_with("smtp://") || url.starts_with("smtps://") {
            let config = SmtpConfig::from_url(url).map_err(EmailUrlError)?;
            let backend = SmtpBackend::new(config).map_err(|e| EmailUrlError(e.to_string()))?;
            return Ok(Mailer::new(backend));
        }
        Err(EmailUrlError(format!(
            "unknown scheme in {:?} (smtp://, smtps://, file://, console: or memory:)",
            redact_url(url)
        )))
    }

    /// Sends from `from` (Django's `DEFAULT_FROM_EMAIL`).
    pub fn with_from(mut self, from: impl Into<String>) -> Self {
        self.from = from.into();
        self
    }

    /// Sends through `backend` instead.
    pub fn with_backend(mut self, backend: Arc<dyn EmailBackend>) -> Self {
        self.backend = backend;
        self
    }

    /// The sender.
    pub fn from_email(&self) -> &str {
        &self.from
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn EmailBackend> {
        &self.backend
    }

    /// Delivers `message` now, returning the backend's answer.
    pub async fn send(&self, message: EmailMessage) -> Result<(), EmailError> {
        self.backend.send(message).await
    }

    /// Delivers `message` in a task of its own, after the caller has moved
    /// on: a failure is logged (`ERROR`, with the cause and the
    /// recipients), never returned. Outside a Tokio runtime (actix-web's
    /// workers are one) nothing can run it later: that is logged too.
    pub fn send_later(&self, message: EmailMessage) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(
                target: LOG_TARGET,
                to = ?message.to,
                subject = %message.subject,
                "email not sent: no Tokio runtime to send it on"
            );
            return;
        };
        let to = message.to.clone();
        let subject = message.subject.clone();
        let future = self.backend.send(message);
        runtime.spawn(async move {
            match future.await {
                Ok(()) => tracing::debug!(target: LOG_TARGET, ?to, %subject, "email sent"),
                Err(error) => {
                    tracing::error!(target: LOG_TARGET, %error, ?to, %subject, "email not sent")
                }
            }
        });
    }
}

/// `url` without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn message() -> EmailMessage {
        EmailMessage::new(
            "from@example.com",
            ["ann@example.com"],
            "Subject",
            "the token",
        )
        .with_html("<p>the token</p>")
    }

    #[test]
    fn debug_hides_the_bodies() {
        let debug = format!("{:?}", message());
        assert!(!debug.contains("token"), "{debug}");
        assert!(debug.contains("ann@example.com"));
    }

    #[test]
    fn text_form_holds_headers_text_and_html() {
        assert_eq!(
            message().to_text(),
            "Subject: Subject\nFrom: from@example.com\nTo: ann@example.com\n\nthe token\n\n\
             --- text/html ---\n<p>the token</p>\n"
        );
    }

    #[test]
    fn file_backend_writes_one_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let backend = FileBackend::new(dir.path().join("mail"));
        block_on(async {
            backend.send(message()).await.unwrap();
            backend.send(message()).await.unwrap();
        });
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 2);
        assert_eq!(
            std::fs::read_to_string(&files[0]).unwrap(),
            message().to_text()
        );
    }

    #[test]
    fn file_backend_reports_what_it_could_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, "").unwrap();
        let err = block_on(FileBackend::new(&blocker).send(message())).unwrap_err();
        assert!(matches!(err, EmailError::Io { .. }), "{err}");
    }

    #[test]
    fn memory_backend_keeps_the_outbox() {
        let backend = MemoryBackend::new();
        let mailer = Mailer::new(backend.clone());
        block_on(async {
            mailer.send_later(message());
            tokio::task::yield_now().await;
        });
        assert_eq!(backend.take(), vec![message()]);
        assert!(backend.outbox().is_empty());
    }

    #[test]
    fn send_later_without_a_runtime_does_not_panic() {
        let backend = MemoryBackend::new();
        Mailer::new(backend.clone()).send_later(message());
        assert!(backend.outbox().is_empty());
    }

    #[test]
    fn urls() {
        assert_eq!(
            Mailer::from_url("console:").unwrap().from_email(),
            DEFAULT_FROM_EMAIL
        );
        assert!(Mailer::from_url("memory:").is_ok());
        assert!(Mailer::from_url("file:///tmp/mail").is_ok());
        assert!(Mailer::from_url("smtp://127.0.0.1:2525").is_ok());
        assert!(Mailer::from_url("smtps://user:pw@mail.example.com").is_ok());
        let err = Mailer::from_url("ftp://user:secret@host").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(Mailer::from_url("file://").is_err());
    }
}

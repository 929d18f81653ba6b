//! Outgoing mail. With `SMTP_HOST` set, messages go over real SMTP (lettre):
//! by default implicit TLS on port 465, STARTTLS required elsewhere, except
//! that a loopback relay may speak plain text (local sinks and test servers);
//! `SMTP_TLS` overrides this.
//! Without `SMTP_HOST` (development, sandbox) each message is written as an
//! `.eml` file under `DATA_DIR/outbox/` and its link is logged.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailConfig, SmtpTls};
use crate::error::AppError;

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
}

/// One plain-text message.
pub struct Mail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body: String,
    /// Logged in outbox mode so a developer can click it.
    pub link: Option<String>,
    /// Extra header fields (`List-Unsubscribe`, say), ASCII names.
    pub headers: Vec<(&'static str, String)>,
    /// A fixed `Message-ID`, so a message sent again after a crash reads as
    /// the same message; generated when `None`.
    pub message_id: Option<String>,
}

impl Mailer {
    pub fn new(cfg: &MailConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let from: Mailbox = cfg
            .from_email
            .parse()
            .map_err(|e| anyhow::anyhow!("FROM_EMAIL: {e}"))?;
        let Some(host) = cfg.smtp_host.as_deref() else {
            return Ok(Self::Outbox {
                dir: data_dir.join("outbox"),
                from,
            });
        };
        let params = TlsParameters::new(host.to_owned())?;
        let tls = match cfg.smtp_tls {
            SmtpTls::Auto if cfg.smtp_port == 465 => Tls::Wrapper(params),
            SmtpTls::Auto if is_loopback(host) => Tls::Opportunistic(params),
            SmtpTls::Auto | SmtpTls::Starttls => Tls::Required(params),
            SmtpTls::Opportunistic => Tls::Opportunistic(params),
            SmtpTls::Tls => Tls::Wrapper(params),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(cfg.smtp_port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(15)));
        if let (Some(user), Some(pass)) = (&cfg.smtp_user, &cfg.smtp_password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                pass.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            from,
        })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), AppError> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from,
        };
        let to_addr = mail
            .to
            .parse()
            .map_err(|_| AppError::bad_request("the recipient address is not valid"))?;
        let to = Mailbox::new(mail.to_name.clone(), to_addr);
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(mail.message_id.clone())
            .header(ContentType::TEXT_PLAIN);
        for (name, value) in &mail.headers {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.clone(),
            ));
        }
        let message = builder
            .body(mail.body.clone())
            .map_err(AppError::internal)?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(message).await.map_err(|e| {
                    tracing::error!(error = %e, "SMTP delivery failed");
                    AppError::Upstream("the mail server did not accept the message".to_owned())
                })?;
            }
            Self::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(AppError::internal)?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                    uuid::Uuid::new_v4().simple()
                );
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(AppError::internal)?;
                tracing::info!(
                    to = %mail.to,
                    path = %path.display(),
                    link = mail.link.as_deref().unwrap_or("-"),
                    "mail written to the outbox (no SMTP_HOST configured)"
                );
            }
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("smtp.example.com"));
        assert!(!is_loopback("10.0.0.1"));
    }

    #[tokio::test]
    async fn outbox_mode_writes_an_eml_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::Config::from_vars([("FROM_EMAIL", "bb@example.com")]).expect("cfg");
        let mailer = Mailer::new(&cfg.mail, dir.path()).expect("mailer");
        mailer
            .send(Mail {
                to: "ada@example.com".into(),
                to_name: Some("Ada".into()),
                subject: "Hello".into(),
                body: "Your link: http://x/?token=abc".into(),
                link: None,
                headers: vec![("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into())],
                message_id: Some("<fixed@bridgeboard>".into()),
            })
            .await
            .expect("sent");
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .expect("outbox")
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().expect("entry").path()).expect("read");
        assert!(
            text.contains("To: \"Ada\" <ada@example.com>")
                || text.contains("To: Ada <ada@example.com>"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{text}"
        );
        assert!(text.contains("Message-ID: <fixed@bridgeboard>"), "{text}");
    }
}

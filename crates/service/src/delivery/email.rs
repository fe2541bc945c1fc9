//! Email: the message (plain text and HTML, in the reader's language) and
//! sending it over SMTP with lettre.

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use propusk_core::Lang;

use crate::notify::{Content, Link};

#[derive(Template)]
#[template(path = "email.html")]
struct EmailHtml<'a> {
    lang: &'static str,
    portal: &'static str,
    subject: &'a str,
    paragraphs: Vec<&'a str>,
    link: Option<&'a Link>,
    link_hint: &'static str,
    footer: &'static str,
}

fn words(lang: Lang) -> (&'static str, &'static str, &'static str) {
    match lang {
        Lang::Ru => (
            "Пропуск",
            "Если кнопка не работает, откройте ссылку:",
            "Это письмо отправлено автоматически, отвечать на него не нужно.",
        ),
        Lang::En => (
            "Propusk",
            "If the button does not work, open this link:",
            "This message was sent automatically; there is no need to reply.",
        ),
    }
}

/// The plain-text and HTML bodies of a message.
pub fn render(content: &Content) -> Result<(String, String), askama::Error> {
    let (portal, link_hint, footer) = words(content.lang);
    let mut text = content.body.clone();
    if let Some(l) = &content.link {
        text.push_str(&format!("\n\n{}: {}", l.label, l.url));
    }
    text.push_str(&format!("\n\n--\n{footer}\n"));
    let html = EmailHtml {
        lang: content.lang.code(),
        portal,
        subject: &content.subject,
        paragraphs: content.body.split("\n\n").collect(),
        link: content.link.as_ref(),
        link_hint,
        footer,
    }
    .render()?;
    Ok((text, html))
}

/// Why an email was not sent. Texts hold no addresses: servers echo them
/// in their replies, and these texts are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailError {
    /// Will not work on a retry (bad address, 5xx from the server).
    Permanent(String),
    Transient(String),
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// `url`: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://host:465` (TLS); user and password in the URL.
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp-url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| format!("mail-from: {e}"))?;
        Ok(Smtp { transport, from })
    }

    pub async fn send(&self, to: &str, content: &Content) -> Result<(), EmailError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| EmailError::Permanent("recipient address is not valid".into()))?;
        let (text, html) =
            render(content).map_err(|e| EmailError::Permanent(format!("template: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&content.subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| EmailError::Permanent(format!("message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(EmailError::Permanent(format!(
                "SMTP permanent failure {}",
                e.status().map(|c| c.to_string()).unwrap_or_default()
            ))),
            Err(e) if e.is_transient() => Err(EmailError::Transient(format!(
                "SMTP transient failure {}",
                e.status().map(|c| c.to_string()).unwrap_or_default()
            ))),
            Err(e) if e.is_timeout() => Err(EmailError::Transient("SMTP timeout".into())),
            Err(_) => Err(EmailError::Transient("SMTP connection failed".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bodies_carry_the_text_and_the_link_escaped() {
        let content = Content {
            subject: "Подтвердите почту".into(),
            body: "Первый абзац <b>не тег</b>.\n\nВторой абзац.".into(),
            link: Some(Link {
                label: "Подтвердить".into(),
                url: "https://propusk.example/confirm?t=1&c=2".into(),
            }),
            lang: Lang::Ru,
        };
        let (text, html) = render(&content).unwrap();
        assert!(text.contains("Подтвердить: https://propusk.example/confirm?t=1&c=2"));
        assert!(
            !html.contains("<b>") && html.contains("не тег"),
            "body text is escaped: {html}"
        );
        assert!(!html.contains("t=1&c=2"), "the link's & is escaped: {html}");
        assert!(html.contains("https://propusk.example/confirm?t=1&"));
        assert_eq!(html.matches("<p style=\"margin:0 0 12px;\">").count(), 2);
        assert!(html.starts_with("<!doctype html>") && html.contains("lang=\"ru\""));
    }
}

//! E-mail: every message is written to the outbox first, in the same
//! transaction as the change that sends it, so none is ever lost. When `[smtp]`
//! is configured the outbox is delivered over SMTP (STARTTLS through rustls) and
//! retried with growing pauses until it goes; otherwise the outbox is the only
//! destination. Logs name a message by its id only: bodies carry links.

use secrecy::ExposeSecret;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use oneportal_store::outbox::{self, MailAttachment, OutboxRow};
use oneportal_store::{Exec, StoreError, now_ms};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::SmtpConfig;
use crate::state::AppState;

/// Messages waiting for SMTP.
pub const PENDING: &str = "Pending";
/// Delivered to the SMTP server.
pub const SENT: &str = "Sent";
/// Kept in the outbox only: no SMTP server is configured.
pub const STORED: &str = "Stored";

/// Stands in a stored body where its single-use link goes. The link itself is
/// sealed with the master key until delivery and never shown to anyone after:
/// a staff member who could read it could take the recipient's account over.
pub const LINK_WITHHELD: &str =
    "[single-use link: delivered to the recipient only, never kept readable]";

/// What the master key seals outbox links under.
const LINK_PURPOSE: &str = "oneportal/outbox-links";

/// Writes a message to the outbox (inside the caller's transaction). `body`
/// holds [`LINK_WITHHELD`] where `link` goes; `link_expires_at` is when the
/// link stops working, after which even the sealed copy is forgotten.
pub async fn enqueue(
    db: &impl Exec,
    state: &AppState,
    to: &str,
    subject: &str,
    body: &str,
    link: Option<(&str, i64)>,
    attachment: Option<&MailAttachment>,
) -> Result<i64, StoreError> {
    let delivery = if state.config.smtp.is_some() {
        PENDING
    } else {
        STORED
    };
    let sealed = link.map(|(link, expires_at)| outbox::SealedLink {
        sealed: STANDARD.encode(state.master_key.seal_for(LINK_PURPOSE, link.as_bytes())),
        expires_at,
    });
    outbox::insert_with_link(db, to, subject, body, delivery, sealed, attachment).await
}

/// The link a message carries, unsealed: for delivery, and for the demo's own
/// outbox page (demo mode only, where every person is made up).
pub fn unsealed_link(state: &AppState, message: &OutboxRow) -> Option<String> {
    let sealed = STANDARD.decode(message.sealed_link.as_deref()?).ok()?;
    let link = state.master_key.open_for(LINK_PURPOSE, &sealed).ok()?;
    String::from_utf8(link).ok()
}

/// The body as it goes to the recipient: with its link, if it still has one.
pub fn body_to_deliver(state: &AppState, message: &OutboxRow) -> String {
    match unsealed_link(state, message) {
        Some(link) => message.body.replace(LINK_WITHHELD, &link),
        None => message.body.clone(),
    }
}

/// A body with any link token cut out, for a message written before links were
/// sealed: once delivered, it keeps no usable token.
fn without_link_tokens(body: &str) -> String {
    const MARK: &str = "?token=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at + MARK.len()]);
        out.push_str("[withheld]");
        rest = rest[at + MARK.len()..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    }
    out.push_str(rest);
    out
}

/// The pause before attempt `attempts + 1`: one minute, doubling, at most an hour.
pub fn retry_pause_ms(attempts: i64) -> i64 {
    let minutes = 1_i64 << attempts.clamp(0, 6);
    minutes.min(60) * 60_000
}

/// Forgets sent and stored messages older than `outbox_retention_days`: their
/// links expired long ago, and an outbox is not an archive of people's mail.
pub async fn purge_old(state: &AppState) {
    if let Err(error) = outbox::forget_expired_links(&state.db, now_ms()).await {
        tracing::warn!(%error, "could not forget the outbox's expired links");
    }
    let days = state.config.outbox_retention_days;
    if days == 0 {
        return;
    }
    let before = now_ms() - i64::from(days) * 24 * 60 * 60 * 1000;
    match outbox::purge(&state.db, before).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, days, "removed old e-mails from the outbox"),
        Err(error) => tracing::warn!(%error, "could not remove old e-mails from the outbox"),
    }
}

/// Delivers what is due; run by the minute task and right after a message is written.
pub async fn deliver_due(state: &AppState) -> usize {
    let Some(smtp) = state.config.smtp.clone() else {
        return 0;
    };
    let due = match outbox::due(&state.db, now_ms(), 50).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "could not read the outbox");
            return 0;
        }
    };
    let mut sent = 0;
    for message in due {
        let retry_at = now_ms() + retry_pause_ms(message.attempts);
        match outbox::claim(&state.db, message.id, message.attempts, retry_at).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(%error, outbox_id = message.id, "could not claim an outbox message");
                continue;
            }
        }
        match send(&smtp, &message, body_to_deliver(state, &message)).await {
            Ok(()) => {
                sent += 1;
                let kept = without_link_tokens(&message.body);
                if let Err(error) = outbox::mark_sent(&state.db, message.id, &kept).await {
                    tracing::warn!(%error, outbox_id = message.id, "delivered, but could not record it");
                }
            }
            Err(error) => {
                tracing::warn!(%error, outbox_id = message.id, attempts = message.attempts + 1, "e-mail delivery failed; will retry");
                let _ = outbox::mark_failed(&state.db, message.id, &error).await;
            }
        }
    }
    sent
}

/// Delivers in the background, so the request that wrote the message does not wait for SMTP.
pub fn deliver_soon(state: &AppState) {
    if state.config.smtp.is_some() {
        let state = state.clone();
        tokio::spawn(async move {
            deliver_due(&state).await;
        });
    }
}

async fn send(smtp: &SmtpConfig, message: &OutboxRow, body: String) -> Result<(), String> {
    let builder = Message::builder()
        .from(smtp.from.parse().map_err(|e| format!("smtp.from: {e}"))?)
        .to(message
            .recipient
            .parse()
            .map_err(|e| format!("recipient: {e}"))?)
        .subject(message.subject.clone());
    let email = match (
        &message.attachment_name,
        &message.attachment_type,
        &message.attachment,
    ) {
        (Some(name), Some(media_type), Some(content)) => {
            let media_type =
                ContentType::parse(media_type).map_err(|e| format!("attachment type: {e}"))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(Attachment::new(name.clone()).body(content.clone(), media_type)),
            )
        }
        _ => builder.header(ContentType::TEXT_PLAIN).body(body),
    }
    .map_err(|e| format!("message: {e}"))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(20)));
    if smtp.starttls {
        let tls = TlsParameters::new(smtp.host.clone()).map_err(|e| format!("tls: {e}"))?;
        builder = builder.tls(Tls::Required(tls));
    }
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    let transport = builder.build();
    // The SMTP server's answer never contains the message body.
    transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{retry_pause_ms, without_link_tokens};

    #[test]
    fn a_delivered_old_message_keeps_no_link_token() {
        let body = "Open this:\n\nhttps://p.example/portal/activate?token=AbC123xyz\n\nOnePortal\n";
        assert_eq!(
            without_link_tokens(body),
            "Open this:\n\nhttps://p.example/portal/activate?token=[withheld]\n\nOnePortal\n"
        );
        assert_eq!(without_link_tokens("no link"), "no link");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_pause_ms(0), 60_000);
        assert_eq!(retry_pause_ms(1), 120_000);
        assert_eq!(retry_pause_ms(5), 32 * 60_000);
        assert_eq!(retry_pause_ms(6), 60 * 60_000);
        assert_eq!(retry_pause_ms(40), 60 * 60_000);
    }
}

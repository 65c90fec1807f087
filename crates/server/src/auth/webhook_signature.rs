//! Standard Webhooks signatures (standardwebhooks.com): what a receiver's
//! off-the-shelf library verifies.
//!
//! A secret is `whsec_` and the base64 of 32 random bytes; the bytes are the
//! HMAC-SHA256 key. A delivery is signed over `{webhook-id}.{webhook-timestamp}.{body}`
//! and the header holds `v1,<base64 signature>`, one per secret in force
//! (space-separated while a rotated-out secret is still honoured).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::random;

/// The prefix every webhook signing secret carries.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(random::bytes::<32>()))
}

/// The HMAC key a secret stands for; `None` when it is not a `whsec_` secret.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    B64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// One `v1,<base64>` signature of a delivery.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: a signature with each secret in force.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether any signature in `header` is one of `secret`'s over this delivery (a
/// receiver's check; OnePortal's tests use it beside a receiver library).
pub fn verify(secret: &str, header: &str, id: &str, timestamp: i64, body: &[u8]) -> bool {
    let Some(expected) = sign(secret, id, timestamp, body) else {
        return false;
    };
    header
        .split(' ')
        .any(|given| subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_standard_webhooks_test_vector_reproduces_exactly() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let (id, timestamp, body) = (
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sign(secret, id, timestamp, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(verify(
            secret,
            "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            id,
            timestamp,
            body
        ));
        assert!(!verify(
            secret,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            id,
            timestamp + 1,
            body
        ));
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_and_either_verifies() {
        let (old, new) = (new_secret(), new_secret());
        assert!(old.starts_with(SECRET_PREFIX) && old.len() == 6 + 44);
        let header = header(&[&new, &old], "evt_1", 1_700_000_000, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&old, &header, "evt_1", 1_700_000_000, b"{}"));
        assert!(verify(&new, &header, "evt_1", 1_700_000_000, b"{}"));
        assert!(!verify(
            &new_secret(),
            &header,
            "evt_1",
            1_700_000_000,
            b"{}"
        ));
        assert_eq!(sign("not-a-secret", "evt_1", 0, b""), None);
    }
}

//! API-client credentials.
//!
//! A secret is `opsk_` + 43 random base62 characters (256 bits) + a 6-character
//! CRC-32 checksum, so secret scanners can recognize it and a mistyped secret is
//! refused before any lookup. Only HMAC-SHA-256(server key, secret) is stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::random;

pub const SECRET_PREFIX: &str = "opsk_";
pub const CLIENT_ID_PREFIX: &str = "opc_";
const SECRET_RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
pub const SECRET_LEN: usize = SECRET_PREFIX.len() + SECRET_RANDOM_CHARS + CHECKSUM_CHARS;

/// A client secret in the clear: only ever in the create/rotate response.
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> String {
        self.0[self.0.len() - 4..].to_owned()
    }
}

impl std::fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainSecret(***)")
    }
}

pub fn generate_secret() -> PlainSecret {
    let body = random::alphanumeric(SECRET_RANDOM_CHARS);
    let checksum = random::base62_u32(crc32fast::hash(body.as_bytes()));
    PlainSecret(format!("{SECRET_PREFIX}{body}{checksum}"))
}

pub fn generate_client_id() -> String {
    format!("{CLIENT_ID_PREFIX}{}", random::alphanumeric(24))
}

/// True when the text has the shape and checksum of a OnePortal secret.
pub fn is_well_formed(secret: &str) -> bool {
    let Some(rest) = secret.strip_prefix(SECRET_PREFIX) else {
        return false;
    };
    if rest.len() != SECRET_RANDOM_CHARS + CHECKSUM_CHARS
        || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    let (body, checksum) = rest.split_at(SECRET_RANDOM_CHARS);
    random::base62_u32(crc32fast::hash(body.as_bytes())) == checksum
}

/// Hashes and checks secrets with the server's HMAC key.
#[derive(Clone)]
pub struct SecretHasher {
    mac: Hmac<Sha256>,
}

impl SecretHasher {
    pub fn new(key: &[u8; 32]) -> Self {
        SecretHasher {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    pub fn hash(&self, secret: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of a computed hash with a stored one.
    pub fn matches(computed: &[u8; 32], stored: &[u8]) -> bool {
        stored.len() == 32 && bool::from(computed.ct_eq(stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_well_formed_and_typos_are_caught() {
        let secret = generate_secret();
        let text = secret.expose();
        assert_eq!(text.len(), SECRET_LEN);
        assert!(is_well_formed(text));
        let mut typo = text.as_bytes().to_vec();
        typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
        assert!(!is_well_formed(std::str::from_utf8(&typo).unwrap()));
        assert!(!is_well_formed("opsk_short"));
        assert!(!is_well_formed(""));
    }

    #[test]
    fn hashes_depend_on_the_server_key() {
        let secret = generate_secret();
        let a = SecretHasher::new(&[1; 32]);
        let b = SecretHasher::new(&[2; 32]);
        let stored = a.hash(secret.expose());
        assert!(SecretHasher::matches(&a.hash(secret.expose()), &stored));
        assert!(!SecretHasher::matches(&b.hash(secret.expose()), &stored));
        assert!(!SecretHasher::matches(&a.hash("other"), &stored));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = generate_secret();
        assert!(!format!("{secret:?}").contains(&secret.expose()[5..15]));
    }
}

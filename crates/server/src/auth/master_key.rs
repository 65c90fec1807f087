//! The master key: kept outside the database, it seals the signing keys and
//! derives the HMAC key for client secrets.

use secrecy::ExposeSecret;
use std::io::Write;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Config;

pub struct MasterKey([u8; 32]);

/// The purpose signing keys are sealed under (kept as it was when they were first sealed).
const SIGNING_KEYS: &str = "oneportal/signing-key-encryption";

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("the master key must be base64 of exactly 32 bytes ({0})")]
    Malformed(String),
    #[error("cannot read or create the master key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("a sealed value could not be opened: wrong master key or damaged data")]
    CannotOpen,
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    pub fn parse(text: &str) -> Result<Self, MasterKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| MasterKeyError::Malformed(e.to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| MasterKeyError::Malformed(format!("it is {} bytes", b.len())))?;
        Ok(MasterKey(bytes))
    }

    /// `master_key`, else `master_key_file`, else `<data_dir>/master.key`,
    /// created on first start with owner-only (0600) permissions.
    pub fn load_or_create(config: &Config) -> Result<Self, MasterKeyError> {
        if let Some(text) = &config.master_key {
            return Self::parse(text.expose_secret());
        }
        let path = config
            .master_key_file
            .clone()
            .unwrap_or_else(|| config.data_dir.join("master.key"));
        let io = |source| MasterKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text),
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && config.master_key_file.is_none() =>
            {
                let key = MasterKey(super::random::bytes());
                write_private_file(&path, format!("{}\n", STANDARD.encode(key.0)).as_bytes())
                    .map_err(io)?;
                tracing::info!(path = %path.display(), "generated a new master key; back it up, and give every node the same one");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A key for one purpose, so no two uses ever share key material.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A value stored in the database so a node started with another master key refuses to run.
    pub fn check_value(&self) -> String {
        STANDARD.encode(&self.derive("oneportal/master-key-check")[..16])
    }

    fn sealing_key(&self, purpose: &str) -> LessSafeKey {
        let key = UnboundKey::new(&AES_256_GCM, &self.derive(purpose)).expect("32-byte AES key");
        LessSafeKey::new(key)
    }

    /// AES-256-GCM with a random nonce, stored in front of the ciphertext (signing keys).
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        self.seal_for(SIGNING_KEYS, plaintext)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        self.open_for(SIGNING_KEYS, sealed)
    }

    /// Like [`MasterKey::seal`] with a key of its own for `purpose`, so that what
    /// one use sealed another cannot open.
    pub fn seal_for(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = super::random::bytes();
        let mut data = plaintext.to_vec();
        self.sealing_key(purpose)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::empty(),
                &mut data,
            )
            .expect("sealing cannot fail for in-memory data");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        out
    }

    pub fn open_for(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(MasterKeyError::CannotOpen);
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| MasterKeyError::CannotOpen)?;
        let mut data = data.to_vec();
        let plain = self
            .sealing_key(purpose)
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| MasterKeyError::CannotOpen)?;
        Ok(plain.to_vec())
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key() {
        let a = MasterKey::from_bytes([7; 32]);
        let sealed = a.seal(b"private key");
        assert_eq!(a.open(&sealed).unwrap(), b"private key");
        assert!(MasterKey::from_bytes([8; 32]).open(&sealed).is_err());
        assert_ne!(a.seal(b"private key"), sealed, "nonces differ");
    }

    #[test]
    fn generated_key_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let first = MasterKey::load_or_create(&config).unwrap();
        let second = MasterKey::load_or_create(&config).unwrap();
        assert_eq!(first.check_value(), second.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        assert!(
            MasterKey::parse("c2hvcnQ=")
                .unwrap_err()
                .to_string()
                .contains("32 bytes")
        );
    }
}

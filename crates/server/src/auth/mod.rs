//! Credentials: the master key, client secrets, passwords, signing keys, tokens,
//! (The guard every API request passes is `crate::access`.)

pub mod client_secret;
pub mod digest;
pub mod key_ring;
pub mod keys;
pub mod master_key;
pub mod password;
pub mod random;
pub mod tokens;
pub mod webhook_signature;

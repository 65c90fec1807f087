//! Credentials: the master key, client secrets, passwords, signing keys, tokens,
//! and the guard every API request passes.

pub mod caller;
pub mod client_secret;
pub mod digest;
pub mod key_ring;
pub mod keys;
pub mod master_key;
pub mod password;
pub mod random;
pub mod tokens;

//! User passwords: Argon2id, computed off the async threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// A real Argon2id hash, with [`Argon2::default`]'s parameters, of a password
/// nobody has: a login for an unknown e-mail verifies against it, so that it
/// costs what a wrong password costs and does not tell whether the account
/// exists. Made once and written here rather than hashed at every start:
/// hashing takes Argon2's 19 MiB and ~50 ms of a core, and an idle server read
/// 66 MB resident five seconds after start with it, 41 MB without. A test
/// checks its parameters are still the ones new hashes get.
pub const STAND_IN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$gbPqbAdo+xVb3ldr/CK/YQ$0/7CF7qlWDaD/qBnTJhHKpljXh39c/dtjv8Ayjdzazw";

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::phc::PasswordHash;

    #[tokio::test]
    async fn the_stand_in_hash_costs_what_a_real_one_costs() {
        let real = super::hash("a real password".into()).await.unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let stand_in = PasswordHash::new(super::STAND_IN_HASH).unwrap();
        assert_eq!(stand_in.algorithm, real.algorithm);
        assert_eq!(stand_in.version, real.version);
        assert_eq!(stand_in.params, real.params);
        assert!(!super::verify("a real password".into(), super::STAND_IN_HASH.into()).await);
    }
}

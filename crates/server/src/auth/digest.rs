//! SHA-256 in lowercase hex: how link and session tokens are stored, and how
//! uploads, request bodies and responses are fingerprinted.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes` as 64 hex digits.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The first `len` bytes of the SHA-256 of `bytes`, as hex: a short tag (an
/// ETag, an asset version) where collisions only cost a refetch.
pub fn sha256_tag(bytes: impl AsRef<[u8]>, len: usize) -> String {
    hex::encode(&Sha256::digest(bytes)[..len])
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digests() {
        assert_eq!(
            super::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::sha256_tag("abc", 4), "ba7816bf");
    }
}

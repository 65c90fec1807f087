//! Token-signing keys: generation, JWKs, and signing.
//!
//! Signing uses aws-lc key pairs parsed once and kept in memory: jsonwebtoken's
//! `encode` re-parses the PKCS#8 key on every call, which would cost about as
//! much as the signature itself. Verification goes through jsonwebtoken, whose
//! claim checks (`exp`, `nbf`, `iss`, `aud`, algorithm) we want as they are.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Serialize;
use serde_json::json;

pub use oneportal_domain::staff::SigningAlg;

/// jsonwebtoken's name for an algorithm, for verifying.
pub const fn jwt_algorithm(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::ES256 => Algorithm::ES256,
        SigningAlg::EdDSA => Algorithm::EdDSA,
        SigningAlg::RS256 => Algorithm::RS256,
    }
}

enum KeyPairKind {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private key ready to sign, with its public half as a JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pair: KeyPairKind,
    /// The JWS header, already base64url-encoded: it never changes for a key.
    encoded_header: String,
}

#[derive(Debug, thiserror::Error)]
#[error("signing key {kid} could not be used: {reason}")]
pub struct KeyError {
    pub kid: String,
    pub reason: String,
}

impl SigningKey {
    /// A fresh key pair; returns the key, its PKCS#8 document (to seal and store) and its public JWK.
    pub fn generate(alg: SigningAlg) -> (SigningKey, Vec<u8>, serde_json::Value) {
        let kid = super::random::alphanumeric(16);
        let pkcs8 = match alg {
            SigningAlg::ES256 => EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .expect("P-256 key generation")
            .as_ref()
            .to_vec(),
            SigningAlg::EdDSA => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .expect("Ed25519 key generation")
                .as_ref()
                .to_vec(),
            SigningAlg::RS256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                    .expect("RSA PKCS#8")
                    .as_ref()
                    .to_vec()
            }
        };
        let key = SigningKey::from_pkcs8(kid, alg, &pkcs8).expect("a key just generated parses");
        let jwk = key.public_jwk();
        (key, pkcs8, jwk)
    }

    pub fn from_pkcs8(kid: String, alg: SigningAlg, pkcs8: &[u8]) -> Result<SigningKey, KeyError> {
        let err = |reason: String| KeyError {
            kid: kid.clone(),
            reason,
        };
        let pair = match alg {
            SigningAlg::ES256 => KeyPairKind::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(|e| err(e.to_string()))?,
            ),
            SigningAlg::EdDSA => {
                KeyPairKind::Ed(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| err(e.to_string()))?)
            }
            SigningAlg::RS256 => {
                KeyPairKind::Rsa(RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| err(e.to_string()))?)
            }
        };
        let header = json!({ "alg": alg.as_str(), "typ": "at+jwt", "kid": kid });
        let encoded_header = B64.encode(serde_json::to_vec(&header).expect("header serializes"));
        Ok(SigningKey {
            kid,
            alg,
            pair,
            encoded_header,
        })
    }

    /// The public half in JWK form (RFC 7517), as published at `/.well-known/jwks.json`.
    pub fn public_jwk(&self) -> serde_json::Value {
        let mut jwk = match &self.pair {
            KeyPairKind::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({ "kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]) })
            }
            KeyPairKind::Ed(pair) => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": B64.encode(pair.public_key().as_ref()) })
            }
            KeyPairKind::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA",
                    "n": B64.encode(public.modulus().big_endian_without_leading_zero()),
                    "e": B64.encode(public.exponent().big_endian_without_leading_zero()),
                })
            }
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg.as_str());
        jwk["use"] = json!("sig");
        jwk
    }

    /// A compact JWS of `claims` with this key's `{alg, typ: at+jwt, kid}` header.
    pub fn sign_jwt(&self, claims: &impl Serialize) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let mut jwt =
            String::with_capacity(self.encoded_header.len() + payload.len() * 4 / 3 + 400);
        jwt.push_str(&self.encoded_header);
        jwt.push('.');
        B64.encode_string(&payload, &mut jwt);
        let signature = self.sign_bytes(jwt.as_bytes());
        jwt.push('.');
        B64.encode_string(&signature, &mut jwt);
        jwt
    }

    /// The raw signature over `message` (a JWS signing input), for tools and tests
    /// that assemble their own header.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.pair {
            KeyPairKind::Ec(pair) => pair
                .sign(&SystemRandom::new(), message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            KeyPairKind::Ed(pair) => pair.sign(message).as_ref().to_vec(),
            KeyPairKind::Rsa(pair) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .expect("RSA signing");
                sig
            }
        }
    }
}

/// A public key that verifies tokens, built from a published JWK.
pub struct VerifyingKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub decoding: DecodingKey,
}

impl VerifyingKey {
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<VerifyingKey, KeyError> {
        let kid = jwk["kid"].as_str().unwrap_or_default().to_owned();
        let err = |reason: &str| KeyError {
            kid: kid.clone(),
            reason: reason.to_owned(),
        };
        let alg = jwk["alg"]
            .as_str()
            .and_then(SigningAlg::parse)
            .ok_or_else(|| err("unknown alg"))?;
        let field = |name: &str| {
            jwk[name]
                .as_str()
                .ok_or_else(|| err(&format!("missing {name}")))
        };
        let decoding = match alg {
            SigningAlg::ES256 => DecodingKey::from_ec_components(field("x")?, field("y")?),
            SigningAlg::EdDSA => DecodingKey::from_ed_components(field("x")?),
            SigningAlg::RS256 => DecodingKey::from_rsa_components(field("n")?, field("e")?),
        }
        .map_err(|e| err(&e.to_string()))?;
        Ok(VerifyingKey { kid, alg, decoding })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Validation, decode};

    #[test]
    fn tokens_signed_by_each_algorithm_verify_against_the_published_jwk() {
        for alg in SigningAlg::ALL {
            let (key, pkcs8, jwk) = SigningKey::generate(alg);
            let reloaded = SigningKey::from_pkcs8(key.kid.clone(), alg, &pkcs8).unwrap();
            let claims = json!({ "sub": "x", "exp": 4_000_000_000u64 });
            let token = reloaded.sign_jwt(&claims);
            let verifying = VerifyingKey::from_jwk(&jwk).unwrap();
            let mut validation = Validation::new(jwt_algorithm(alg));
            validation.validate_aud = false;
            let data =
                decode::<serde_json::Value>(&token, &verifying.decoding, &validation).unwrap();
            assert_eq!(data.claims["sub"], "x", "{alg:?}");
            assert_eq!(data.header.kid.as_deref(), Some(key.kid.as_str()));
        }
    }
}

//! Micro benchmarks for the credential hot paths: secret verification, and
//! access-token signing and verification per algorithm.
//! Run: `cargo bench -p oneportal --bench credentials`.

use criterion::{Criterion, criterion_group, criterion_main};
use oneportal::auth::client_secret::{SecretHasher, generate_secret};
use oneportal::auth::key_ring::KeySet;
use oneportal::auth::keys::{SigningAlg, SigningKey, VerifyingKey};
use oneportal::auth::tokens::{TokenAuthority, TokenRequest, TokenUse};
use oneportal_domain::{ApiScope, ScopeSet};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

fn secret_verification(c: &mut Criterion) {
    let hasher = SecretHasher::new(&[7; 32]);
    let secret = generate_secret();
    let stored = hasher.hash(secret.expose());
    c.bench_function(
        "client secret verification (HMAC-SHA-256 + constant-time compare)",
        |b| b.iter(|| SecretHasher::matches(&hasher.hash(black_box(secret.expose())), &stored)),
    );
}

fn key_set(alg: SigningAlg) -> KeySet {
    let (key, _, jwk) = SigningKey::generate(alg);
    let verifying = Arc::new(VerifyingKey::from_jwk(&jwk).unwrap());
    KeySet {
        verifying: HashMap::from([(key.kid.clone(), verifying)]),
        active: Arc::new(key),
        jwks: Default::default(),
    }
}

fn tokens(c: &mut Criterion) {
    let authority = TokenAuthority::new("http://127.0.0.1:8080");
    for alg in SigningAlg::ALL {
        let keys = key_set(alg);
        let request = || TokenRequest {
            subject: "opc_benchmarkclient000000",
            client_id: "opc_benchmarkclient000000",
            org_id: 1,
            scopes: [ApiScope::BasicRead, ApiScope::SupportRead]
                .into_iter()
                .collect::<ScopeSet>(),
            token_use: TokenUse::Client,
            ttl_secs: 3600,
        };
        c.bench_function(&format!("issue access token {}", alg.as_str()), |b| {
            b.iter(|| authority.issue(&keys, request()))
        });
        let (token, _) = authority.issue(&keys, request());
        c.bench_function(&format!("verify access token {}", alg.as_str()), |b| {
            b.iter(|| authority.verify(&keys, black_box(&token)).unwrap())
        });
    }
}

criterion_group!(benches, secret_verification, tokens);
criterion_main!(benches);

//! Access-token verification (JWT header, claims, signature) against a fixed key
//! set with one key per algorithm; the input is the token as a caller sends it.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use oneportal::auth::key_ring::KeySet;
use oneportal::auth::keys::{SigningAlg, SigningKey, VerifyingKey};
use oneportal::auth::tokens::TokenAuthority;

struct Fixture {
    authority: TokenAuthority,
    keys: KeySet,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let mut verifying = HashMap::new();
    let mut active = None;
    for alg in SigningAlg::ALL {
        let (key, _, mut jwk) = SigningKey::generate(alg);
        // Fixed kids, so seeds and found inputs name keys this set knows.
        let kid = format!("fuzz-{}", alg.name());
        jwk["kid"] = kid.clone().into();
        verifying.insert(kid, Arc::new(VerifyingKey::from_jwk(&jwk).unwrap()));
        active.get_or_insert(key);
    }
    Fixture {
        authority: TokenAuthority::new("http://127.0.0.1:8080"),
        keys: KeySet {
            active: Arc::new(active.unwrap()),
            verifying,
            jwks: Default::default(),
        },
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = &*FIXTURE;
    let _ = fixture.authority.verify(&fixture.keys, token);
});

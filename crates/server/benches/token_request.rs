//! Micro benchmarks for `POST /oauth2/token` before the secret is checked: the
//! form body and the client credentials, HTTP Basic (with RFC 6749 form-decoding)
//! and in the body.
//! Run: `cargo bench -p oneportal --bench token_request`.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use oneportal::oauth::client_auth::credentials;
use oneportal::oauth::form::Form;
use std::hint::black_box;

const CLIENT_ID: &str = "opc_3kT9wQm2ZbX7LpR4sV8yNc";
const SECRET: &str = "opsk_8fJ2kLm9Qx4Rt7Vw1Yz3Bc6Dn5Gh0Ps2Ua4We8Xi7Ko1Mq";

fn form_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers
}

fn token_requests(c: &mut Criterion) {
    let mut basic = form_headers();
    let encoded = STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"));
    basic.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
    );
    let body =
        b"grant_type=client_credentials&scope=customerapi%2Fbasic.read+customerapi%2Fsupport.read";
    c.bench_function("token request: form + Basic header", |b| {
        b.iter(|| {
            let form = Form::parse(black_box(&basic), black_box(body)).unwrap();
            credentials(&basic, &form).unwrap()
        })
    });

    let post = form_headers();
    let body = format!(
        "grant_type=client_credentials&scope=customerapi%2Fbasic.read&client_id={CLIENT_ID}&client_secret={SECRET}"
    );
    c.bench_function("token request: form with client_secret_post", |b| {
        b.iter(|| {
            let form = Form::parse(black_box(&post), black_box(body.as_bytes())).unwrap();
            credentials(&post, &form).unwrap()
        })
    });
}

criterion_group!(benches, token_requests);
criterion_main!(benches);

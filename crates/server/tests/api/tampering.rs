//! Every way to present a bad token to `/v2/me` answers 401 with
//! `WWW-Authenticate: Bearer error="invalid_token"`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_app};

async fn assert_refused(app: &TestApp, case: &str, token: &str) {
    let response = app.get("/v2/me", token).await;
    assert_eq!(
        response.status(),
        401,
        "{case}: {}",
        response.text().await.unwrap()
    );
    let www = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        www.starts_with("Bearer") && www.contains("error=\"invalid_token\""),
        "{case}: {www}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token", "{case}");
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, secret) = app.create_client(&dev, &["BasicRead"]).await;
    let good = app.access_token(&id, &secret).await;
    assert_eq!(app.get("/v2/me", &good).await.status(), 200);
    let header = app.header();
    let claims = app.claims_for(&id);
    assert_eq!(
        app.get("/v2/me", &app.forge(header.clone(), claims.clone()))
            .await
            .status(),
        200,
        "the forging helper itself makes valid tokens"
    );

    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let now = oneportal_store::now_ms() / 1000;
    let mut cases: Vec<(&str, String)> = vec![
        (
            "expired",
            app.forge(header.clone(), with("exp", json!(now - 120))),
        ),
        (
            "not yet valid",
            app.forge(header.clone(), with("nbf", json!(now + 3600))),
        ),
        (
            "wrong iss",
            app.forge(header.clone(), with("iss", json!("https://evil.example"))),
        ),
        (
            "wrong aud",
            app.forge(
                header.clone(),
                with("aud", json!("https://other.example/v2")),
            ),
        ),
        (
            "wrong typ",
            app.forge(
                json!({"alg": header["alg"], "typ": "JWT", "kid": header["kid"]}),
                claims.clone(),
            ),
        ),
        (
            "another organization",
            app.forge(header.clone(), with("org_id", json!("ORG-999999"))),
        ),
        ("garbage", "not.a.jwt".to_owned()),
        // RFC 7515 §4.1.11: a critical extension the server does not understand.
        (
            "crit header",
            app.forge(
                json!({"alg": header["alg"], "typ": "at+jwt", "kid": header["kid"], "crit": ["exp"]}),
                claims.clone(),
            ),
        ),
        (
            "empty crit header",
            app.forge(
                json!({"alg": header["alg"], "typ": "at+jwt", "kid": header["kid"], "crit": []}),
                claims.clone(),
            ),
        ),
        (
            "crit naming an unknown extension",
            app.forge(
                json!({"alg": header["alg"], "typ": "at+jwt", "kid": header["kid"], "crit": ["x-bind"], "x-bind": "anything"}),
                claims.clone(),
            ),
        ),
        (
            "issued an hour in the future",
            app.forge(header.clone(), with("iat", json!(now + 3600))),
        ),
        (
            "issued two minutes in the future",
            app.forge(header.clone(), with("iat", json!(now + 120))),
        ),
    ];

    // alg: none, no signature.
    let unsigned = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}).to_string()),
        B64.encode(claims.to_string())
    );
    cases.push(("alg none", unsigned));

    // HS256 keyed with the public key, the classic confusion attack.
    let jwks: Value = app.get_public_json("/.well-known/jwks.json").await;
    let public = jwks["keys"][0].to_string();
    let input = format!(
        "{}.{}",
        B64.encode(json!({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}).to_string()),
        B64.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(public.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    cases.push((
        "HS256 with the public key",
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes())),
    ));

    // A key the server does not know.
    let (stranger, _, _) =
        oneportal::auth::keys::SigningKey::generate(oneportal::auth::keys::SigningAlg::ES256);
    cases.push(("unknown kid", stranger.sign_jwt(&claims)));

    // A valid token whose payload was altered to widen its scope.
    let parts: Vec<&str> = good.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    payload["scope"] = json!("customerapi/basic.read customerapi/billing.read");
    cases.push((
        "altered payload",
        format!(
            "{}.{}.{}",
            parts[0],
            B64.encode(payload.to_string()),
            parts[2]
        ),
    ));

    for (case, token) in &cases {
        assert_refused(&app, case, token).await;
    }

    // Nodes' clocks differ a little: an iat within the leeway is accepted.
    let slightly_ahead = app.forge(header.clone(), with("iat", json!(now + 20)));
    assert_eq!(app.get("/v2/me", &slightly_ahead).await.status(), 200);
}

#[tokio::test]
async fn revoked_tokens_clients_and_suspended_owners_are_refused() {
    let app = spawn_app().await;
    let admin = app.developer().await;

    // A token revoked through RFC 7009.
    let (id, secret) = app.create_client(&admin, &["BasicRead"]).await;
    let token = app.access_token(&id, &secret).await;
    app.http
        .post(app.at("/oauth2/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_refused(&app, "revoked token", &token).await;

    // A token of a revoked client.
    let (id, secret) = app.create_client(&admin, &["BasicRead"]).await;
    let token = app.access_token(&id, &secret).await;
    let deleted = app
        .http
        .delete(app.at(&format!("/v2/api-clients/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_refused(&app, "revoked client", &token).await;

    // A token of a client whose owner was removed.
    let owner = app.developer().await;
    let (id, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let token = app.access_token(&id, &secret).await;
    let removed = app
        .http
        .delete(app.at(&format!("/v2/users/USR-{:06}", owner.id)))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_refused(&app, "suspended owner", &token).await;
    assert_refused(&app, "removed user's own token", &owner.token).await;
}

#[tokio::test]
async fn missing_and_malformed_authorization_are_401() {
    let app = spawn_app().await;
    let response = app.http.get(app.at("/v2/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let response = app
        .http
        .get(app.at("/v2/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

//! A real OAuth 2.0 client library against the server, and independent
//! verification of its tokens through discovery and the JWKS.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

async fn token_with_library(app: &TestApp, id: &str, secret: &str, auth: AuthType) -> String {
    let discovery: Value = app
        .get_public_json("/.well-known/oauth-authorization-server")
        .await;
    let client = BasicClient::new(ClientId::new(id.to_owned()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_token_uri(
            TokenUrl::new(discovery["token_endpoint"].as_str().unwrap().to_owned()).unwrap(),
        )
        .set_auth_type(auth);
    let http = crate::helpers::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new("customerapi/basic.read".into()))
        .request_async(&http)
        .await
        .expect("the oauth2 crate gets a token");
    assert_eq!(
        token.scopes().unwrap()[0].as_str(),
        "customerapi/basic.read"
    );
    assert!(token.expires_in().unwrap().as_secs() > 3000);
    token.access_token().secret().clone()
}

/// Verifies a token the way an independent resource server would: discovery → JWKS → signature and claims.
async fn verify_independently(app: &TestApp, token: &str) -> Value {
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let discovery: Value = app.get_public_json(path).await;
        assert_eq!(discovery["issuer"], app.url.as_str());
        let jwks: JwkSet = app
            .http
            .get(discovery["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let header = decode_header(token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("the token's key is published");
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&app.url]);
        validation.set_audience(&[format!("{}/v2", app.url)]);
        let claims = decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims;
        if path.contains("openid") {
            return claims;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn the_oauth2_crate_gets_tokens_with_basic_and_post_authentication_that_verify_against_the_jwks()
 {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, secret) = app.create_client(&dev, &["BasicRead", "BillingRead"]).await;
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let token = token_with_library(&app, &id, &secret, auth).await;
        let claims = verify_independently(&app, &token).await;
        assert_eq!(claims["client_id"], id.as_str());
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["scope"], "customerapi/basic.read");
        for claim in ["iat", "exp", "jti", "org_id"] {
            assert!(claims.get(claim).is_some(), "RFC 9068 claim {claim}");
        }
        let me: Value = app.get("/v2/me", &token).await.json().await.unwrap();
        assert_eq!(me["clientId"], id.as_str());
        assert_eq!(me["organization"]["name"], "Test Org");
        assert_eq!(me["scopes"], serde_json::json!(["BasicRead"]));
    }
}

#[tokio::test]
async fn eddsa_and_rs256_keys_can_be_selected() {
    for alg in [
        oneportal::auth::keys::SigningAlg::EdDSA,
        oneportal::auth::keys::SigningAlg::RS256,
    ] {
        let app = crate::helpers::spawn_app_with(|c| c.oauth.signing_alg = alg).await;
        let dev = app.developer().await;
        let (id, secret) = app.create_client(&dev, &["BasicRead"]).await;
        let token = app.access_token(&id, &secret).await;
        assert_eq!(
            decode_header(&token).unwrap().alg,
            oneportal::auth::keys::jwt_algorithm(alg)
        );
        verify_independently(&app, &token).await;
        assert_eq!(app.get("/v2/me", &token).await.status(), 200);
    }
}

//! Signing-key rotation and changes that must reach every node.

use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::decode_header;
use serde_json::Value;

use crate::helpers::{backend_is_postgres, spawn_app, start, test_config};

async fn kids(app: &crate::helpers::TestApp) -> Vec<String> {
    let jwks: Value = app.get_public_json("/.well-known/jwks.json").await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn tokens_survive_a_rotation_and_the_next_key_is_published_before_it_signs() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, secret) = app.create_client(&dev, &["BasicRead"]).await;
    let before = app.access_token(&id, &secret).await;
    let published = kids(&app).await;
    assert_eq!(
        published.len(),
        2,
        "the active key and the pre-published next key"
    );

    let state = &app.app.state;
    oneportal::auth::key_ring::rotate(
        &state.db,
        &state.master_key,
        state.config.oauth.signing_alg,
        3600,
    )
    .await
    .unwrap();
    state.publish(oneportal::cluster::Change::Keys).await;

    let after = app.access_token(&id, &secret).await;
    let new_kid = decode_header(&after).unwrap().kid.unwrap();
    assert_ne!(decode_header(&before).unwrap().kid.unwrap(), new_kid);
    assert!(
        published.contains(&new_kid),
        "the key that signs now was in the JWKS before the rotation"
    );
    assert_eq!(
        app.get("/v2/me", &before).await.status(),
        200,
        "tokens signed before the rotation still verify"
    );
    assert_eq!(app.get("/v2/me", &after).await.status(), 200);
    assert_eq!(
        kids(&app).await.len(),
        3,
        "retiring, active and a new next key"
    );
}

#[tokio::test]
async fn keys_are_sealed_at_rest_and_a_different_master_key_is_refused() {
    let (config, dir) = test_config().await;
    let app = start(config.clone(), dir.clone()).await;
    let rows = oneportal_store::keys::list_all(app.db()).await.unwrap();
    let jwk: Value = serde_json::from_str(&rows[0].public_jwk).unwrap();
    assert!(
        jwk.get("d").is_none(),
        "no private part in the published key"
    );
    assert!(rows[0].private_key.len() > 40);
    app.app.stop().await.unwrap();
    let mut other = config.clone();
    other.master_key = Some(
        base64::engine::general_purpose::STANDARD
            .encode([9u8; 32])
            .into(),
    );
    let error = oneportal::App::start(other)
        .await
        .err()
        .expect("another master key is refused");
    assert!(format!("{error:#}").contains("master key"), "{error:#}");
}

/// Two server processes on one PostgreSQL: revocation on one reaches the other within a second.
#[tokio::test]
async fn revocation_reaches_a_second_node_within_a_second() {
    if !backend_is_postgres() {
        eprintln!(
            "revocation_reaches_a_second_node_within_a_second runs with ONEPORTAL_TEST_BACKEND=postgres"
        );
        return;
    }
    let (config, dir) = test_config().await;
    let node_a = start(config.clone(), dir.clone()).await;
    let mut second = config.clone();
    second.bind = "127.0.0.1:0".parse().unwrap();
    second.public_url = Some(node_a.url.clone());
    let node_b = start(second, dir.clone()).await;

    let dev = node_a.developer().await;
    let (id, secret) = node_a.create_client(&dev, &["BasicRead"]).await;
    let token = node_a.access_token(&id, &secret).await;
    let on_b = |token: String| {
        let node_b = &node_b;
        async move {
            node_b
                .http
                .get(format!("{}/v2/me", node_b.app.address_url()))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        on_b(token.clone()).await,
        200,
        "a token from node A verifies on node B"
    );
    node_a
        .http
        .delete(node_a.at(&format!("/v2/api-clients/{id}")))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    let revoked_at = Instant::now();
    loop {
        if on_b(token.clone()).await == 401 {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "node B still accepts the revoked client's token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! Several `oneportal serve` processes on one PostgreSQL database, as behind a
//! load balancer: they share the master key and the public URL, and what one
//! node changes the others see within a second.

use std::time::{Duration, Instant};

use jsonwebtoken::decode_header;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::backend_is_postgres;
use crate::processes::{Node, PASSWORD, ServerProcess, eventually, new_case};

/// How soon a change on one node must show on the others.
const WITHIN: Duration = Duration::from_secs(1);

/// `count` nodes on one fresh PostgreSQL database, each with its own data
/// directory (nothing shared on disk), and the seeded person's (email, token).
async fn cluster(
    dirs: &[tempfile::TempDir],
    adjust: impl Fn(Node) -> Node,
) -> (Node, Vec<ServerProcess>, String, String) {
    let first = adjust(Node::on_test_backend(dirs[0].path()).await);
    let (email, token) = first.seed_person("Cluster Org");
    let mut nodes = Vec::new();
    for dir in dirs {
        nodes.push(first.another_node(dir.path()).serve().await);
    }
    (first, nodes, email, token)
}

fn temp_dirs(n: usize) -> Vec<tempfile::TempDir> {
    (0..n).map(|_| tempfile::tempdir().unwrap()).collect()
}

fn skip_on_sqlite(test: &str) -> bool {
    if backend_is_postgres() {
        return false;
    }
    eprintln!(
        "{test} runs several nodes on one database; it runs with ONEPORTAL_TEST_BACKEND=postgres"
    );
    true
}

async fn me_status(node: &ServerProcess, token: &str) -> u16 {
    node.get("/v2/me", token).await.status().as_u16()
}

fn kid(token: &str) -> String {
    decode_header(token).unwrap().kid.unwrap()
}

async fn published_kids(node: &ServerProcess) -> Vec<String> {
    let jwks: Value = node
        .http
        .get(node.at("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_client_made_on_one_node_works_on_all_and_its_revocation_reaches_them_within_a_second() {
    if skip_on_sqlite("a_client_made_on_one_node_works_on_all…") {
        return;
    }
    let dirs = temp_dirs(3);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| n).await;
    let [a, b, c] = &nodes[..] else {
        unreachable!()
    };

    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    let from_b = b.access_token(&id, &secret).await;
    let from_a = a.access_token(&id, &secret).await;
    for (node, name) in [(a, "A"), (b, "B"), (c, "C")] {
        assert_eq!(me_status(node, &from_a).await, 200, "A's token on {name}");
        assert_eq!(me_status(node, &from_b).await, 200, "B's token on {name}");
    }

    let revoked = a
        .http
        .delete(a.at(&format!("/v2/api-clients/{id}")))
        .bearer_auth(&user_token)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let at = Instant::now();
    for (node, name) in [(b, "B"), (c, "C")] {
        assert!(
            eventually(WITHIN.saturating_sub(at.elapsed()), || async {
                me_status(node, &from_a).await == 401
            })
            .await,
            "{name} still accepts the revoked client's token {:?} after the revocation",
            at.elapsed()
        );
    }
    assert!(
        eventually(WITHIN.saturating_sub(at.elapsed()), || async {
            b.request_token(&id, &secret).await.status() == 401
        })
        .await,
        "B still issues tokens to the revoked client"
    );
    eprintln!(
        "every node refused the revoked client within {:?}",
        at.elapsed()
    );
}

#[tokio::test]
async fn a_key_rotation_on_the_command_line_reaches_every_node_within_a_second() {
    if skip_on_sqlite("a_key_rotation_on_the_command_line_reaches_every_node…") {
        return;
    }
    let dirs = temp_dirs(3);
    let (node, nodes, _, user_token) = cluster(&dirs, |n| n).await;
    let [a, b, c] = &nodes[..] else {
        unreachable!()
    };
    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    let before = a.access_token(&id, &secret).await;

    let printed = node.run(&["keys", "rotate"]);
    let at = Instant::now();
    let line = printed.lines().next().unwrap();
    let (signing, next) = line
        .strip_prefix("now signing with ")
        .and_then(|rest| rest.split_once("; next key "))
        .unwrap_or_else(|| panic!("unexpected output: {printed}"));
    let next = next.split_whitespace().next().unwrap();
    assert_ne!(
        signing,
        kid(&before),
        "the rotation changed the signing key"
    );

    for (node, name) in [(a, "A"), (b, "B"), (c, "C")] {
        assert!(
            eventually(WITHIN.saturating_sub(at.elapsed()), || async {
                kid(&node.access_token(&id, &secret).await) == signing
                    && published_kids(node).await.iter().any(|k| k == next)
            })
            .await,
            "{name} does not sign with {signing} and publish {next} {:?} after the rotation",
            at.elapsed()
        );
    }
    eprintln!(
        "every node signs with the new key within {:?}",
        at.elapsed()
    );

    let after = c.access_token(&id, &secret).await;
    assert_eq!(kid(&after), signing);
    for (node, name) in [(a, "A"), (b, "B"), (c, "C")] {
        assert_eq!(
            me_status(node, &after).await,
            200,
            "the new key verifies on {name}"
        );
        assert_eq!(
            me_status(node, &before).await,
            200,
            "the old key still verifies on {name}"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_used_on_one_node_replays_on_another() {
    if skip_on_sqlite("an_idempotency_key_used_on_one_node_replays_on_another") {
        return;
    }
    let dirs = temp_dirs(2);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| n).await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let (id, secret) = a.create_client(&user_token, &["SupportReadWrite"]).await;
    let token = a.access_token(&id, &secret).await;
    let service = a.first_service(&user_token).await;

    let open = |node: &ServerProcess| {
        node.http
            .post(node.at("/v2/cases"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "order-4711")
            .json(&new_case(&service, "opened once, whichever node answers"))
            .send()
    };
    let first = open(a).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = open(b).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "B replays A's answer");

    let list = b.get("/v2/cases", &token).await;
    assert_eq!(list.headers()["x-total-count"], "1", "one case, not two");
}

#[tokio::test]
async fn a_portal_session_started_on_one_node_is_valid_on_another() {
    if skip_on_sqlite("a_portal_session_started_on_one_node_is_valid_on_another") {
        return;
    }
    let dirs = temp_dirs(2);
    let (node, nodes, email, _) = cluster(&dirs, |n| n).await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let mut browser = Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: a.url.clone(),
        origin: node.public_url.clone(),
        cookies: Default::default(),
    };
    let login = browser.try_login(&email, PASSWORD).await;
    assert_eq!(login.status(), 303, "login on A");
    browser.base = b.url.clone();
    let home = browser.page("/portal/").await;
    assert!(home.contains(&email), "B knows the session A started");
}

/// The limit is counted by each node in memory (see the README's "Running
/// several nodes"): behind N nodes a caller may make up to N times
/// `rate_limits.requests_per_minute`. This test pins that down, so that
/// changing it is a decision.
#[tokio::test]
async fn rate_limits_are_counted_per_node() {
    if skip_on_sqlite("rate_limits_are_counted_per_node") {
        return;
    }
    let dirs = temp_dirs(2);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| {
        n.with_env("ONEPORTAL_RATE_LIMITS__REQUESTS_PER_MINUTE", "6")
            .with_env("ONEPORTAL_RATE_LIMITS__BURST", "3")
    })
    .await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    let token = a.access_token(&id, &secret).await;

    for n in 0..3 {
        assert_eq!(me_status(a, &token).await, 200, "request {n} on A");
    }
    let refused = a.get("/v2/me", &token).await;
    assert_eq!(refused.status(), 429, "A's burst is spent");
    assert!(refused.headers().contains_key("retry-after"));
    let on_b = b.get("/v2/me", &token).await;
    assert_eq!(on_b.status(), 200, "B has counted nothing for this caller");
    assert_eq!(on_b.headers()["ratelimit-remaining"], "2");
}

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
        http: crate::helpers::http_client()
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

/// Sends `request` alternately to A and B (`request(0)`, `request(1)`), `PACE` apart, until both refuse
/// in a row with 429 and `Retry-After`; returns how many were let through
/// (`accepted` says which status counts as let through) and the statuses in order.
async fn spend_alternately<F, Fut>(accepted: u16, mut request: F) -> (usize, Vec<u16>)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    const PACE: Duration = Duration::from_millis(50);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut statuses = Vec::new();
    for turn in 0.. {
        assert!(
            Instant::now() < deadline,
            "the nodes never both refused: {statuses:?}"
        );
        let response = request(turn % 2).await;
        let status = response.status().as_u16();
        assert!(
            status == accepted || status == 429,
            "unexpected {status}: {statuses:?}"
        );
        if status == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=120).contains(&retry), "Retry-After {retry}");
        }
        statuses.push(status);
        if statuses.ends_with(&[429, 429]) {
            break;
        }
        tokio::time::sleep(PACE).await;
    }
    let through = statuses.iter().filter(|s| **s == accepted).count();
    (through, statuses)
}

/// How far past a limit the two nodes may go: what the other node lets through
/// before this one hears of it, up to two 200 ms sync intervals (the other's
/// sync, then this one's), with requests 50 ms apart, i.e. about 4, with room
/// for a slow sync on a busy machine. Counted per node, it would be the limit again.
const OVERSHOOT: usize = 5;

/// The per-minute limit is counted across nodes (see docs/operations.md, "Running
/// several nodes"): requests spread over A and B are refused on both once
/// the caller's minute is spent, give or take one sync interval of traffic.
#[tokio::test]
async fn a_callers_rate_limit_holds_across_nodes() {
    if skip_on_sqlite("a_callers_rate_limit_holds_across_nodes") {
        return;
    }
    const LIMIT: usize = 10;
    let dirs = temp_dirs(2);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| {
        n.with_env(
            "ONEPORTAL_RATE_LIMITS__REQUESTS_PER_MINUTE",
            &LIMIT.to_string(),
        )
        .with_env("ONEPORTAL_RATE_LIMITS__BURST", &LIMIT.to_string())
    })
    .await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    let token = a.access_token(&id, &secret).await;

    // RateLimit-Remaining speaks for the cluster once the nodes have synced.
    let remaining = |response: &reqwest::Response| -> usize {
        response.headers()["ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let first = a.get("/v2/me", &token).await;
    assert_eq!(first.status(), 200);
    assert_eq!(remaining(&first), LIMIT - 1);
    assert_eq!(b.get("/v2/me", &token).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let third = a.get("/v2/me", &token).await;
    assert_eq!(third.status(), 200);
    assert_eq!(
        remaining(&third),
        LIMIT - 3,
        "A counts B's request in what is left"
    );

    let (through, statuses) = spend_alternately(200, |i| [a, b][i].get("/v2/me", &token)).await;
    let through = through + 3;
    eprintln!(
        "limit {LIMIT}: {through} requests let through across two nodes (overshoot {}): {statuses:?}",
        through.saturating_sub(LIMIT)
    );
    assert!(
        (LIMIT..=LIMIT + OVERSHOOT).contains(&through),
        "{through} let through for a limit of {LIMIT}: {statuses:?}"
    );
    let other_token = {
        let (id, secret) = b.create_client(&user_token, &["BasicRead"]).await;
        b.access_token(&id, &secret).await
    };
    assert_eq!(
        me_status(a, &other_token).await,
        200,
        "other callers are counted apart"
    );
    for node in [a, b] {
        assert!(
            !node
                .log_tail()
                .contains("could not share rate-limit counters"),
            "a sync failed: {}",
            node.log_tail()
        );
    }
}

/// A secret guessed through several nodes meets one count: wrong secrets sent
/// alternately to A and B are refused on both at about the configured number.
#[tokio::test]
async fn failed_client_authentication_is_throttled_across_nodes() {
    if skip_on_sqlite("failed_client_authentication_is_throttled_across_nodes") {
        return;
    }
    const LIMIT: usize = 8;
    let dirs = temp_dirs(2);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| {
        n.with_env(
            "ONEPORTAL_OAUTH__FAILURES_PER_CLIENT_PER_MINUTE",
            &LIMIT.to_string(),
        )
        .with_env("ONEPORTAL_OAUTH__FAILURES_PER_ADDRESS_PER_MINUTE", "1000")
    })
    .await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    crate::helpers::with_room_in_the_minute(Duration::from_secs(15)).await;

    let (failures, statuses) =
        spend_alternately(401, |i| [a, b][i].request_token(&id, "opsk_guess")).await;
    eprintln!(
        "limit {LIMIT}: {failures} failed attempts answered across two nodes (overshoot {}): {statuses:?}",
        failures.saturating_sub(LIMIT)
    );
    // Past half the limit each failure is answered later, so fewer slip through.
    assert!(
        (LIMIT..=LIMIT + OVERSHOOT - 1).contains(&failures),
        "{failures} failures answered for a limit of {LIMIT}: {statuses:?}"
    );
    for node in [a, b] {
        assert_eq!(
            node.request_token(&id, &secret).await.status(),
            429,
            "even the right secret waits out the throttle"
        );
    }
}

/// A client that does not cache its tokens meets one issuance quota, whichever node it asks.
#[tokio::test]
async fn the_token_issuance_quota_holds_across_nodes() {
    if skip_on_sqlite("the_token_issuance_quota_holds_across_nodes") {
        return;
    }
    const LIMIT: usize = 10;
    let dirs = temp_dirs(2);
    let (_, nodes, _, user_token) = cluster(&dirs, |n| {
        n.with_env("ONEPORTAL_OAUTH__ISSUANCE_PER_MINUTE", &LIMIT.to_string())
    })
    .await;
    let [a, b] = &nodes[..] else { unreachable!() };
    let (id, secret) = a.create_client(&user_token, &["BasicRead"]).await;
    // The nodes share counts over wall-clock minutes: the burst must not straddle one.
    crate::helpers::with_room_in_the_minute(Duration::from_secs(15)).await;

    let (issued, statuses) =
        spend_alternately(200, |i| [a, b][i].request_token(&id, &secret)).await;
    eprintln!(
        "limit {LIMIT}: {issued} tokens issued across two nodes (overshoot {}): {statuses:?}",
        issued.saturating_sub(LIMIT)
    );
    assert!(
        (LIMIT..=LIMIT + OVERSHOOT).contains(&issued),
        "{issued} tokens issued for a quota of {LIMIT}: {statuses:?}"
    );
}

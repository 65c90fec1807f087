//! Webhooks (PRODUCT §7): endpoints made by developers receive their
//! organization's events, signed per Standard Webhooks, retried with the same
//! `webhook-id`, never at an internal address, never about a record the
//! endpoint's owner may not read. Receivers here are real HTTP servers on real
//! ports; one is the `standardwebhooks` library from PyPI in a Python process.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use oneportal::auth::webhook_signature;
use oneportal_domain::case::CaseStatus;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::{Exec, args};
use serde_json::{Value, json};

use crate::cases::{incident, open, provider, row};
use crate::catalog::seed;
use crate::helpers::{TestApp, perms, problem, spawn_app_with};

/// A delivery as the receiver saw it.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub id: String,
    timestamp: i64,
    signature: String,
    pub body: String,
}

/// A receiver on a real port that records every request and answers with the
/// statuses it is given, in turn (then 200).
#[derive(Clone)]
pub(crate) struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(answers: Vec<u16>) -> Receiver {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state((seen.clone(), answers));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, seen }
    }

    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most 10 s).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.seen().len() >= n {
                return self.seen();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} requests, expected {n}",
            self.seen().len()
        );
    }
}

type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<Vec<u16>>>);

async fn record(
    State((seen, answers)): State<ReceiverState>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    seen.lock().unwrap().push(Received {
        id: text("webhook-id"),
        timestamp: text("webhook-timestamp").parse().unwrap_or(0),
        signature: text("webhook-signature"),
        body,
    });
    let mut answers = answers.lock().unwrap();
    let status = if answers.is_empty() {
        200
    } else {
        answers.remove(0)
    };
    (StatusCode::from_u16(status).unwrap(), "thanks")
}

/// An app that may deliver to this machine (as an operator would allow-list a network).
async fn app() -> TestApp {
    spawn_app_with(|config| {
        config.webhooks.allow_http = true;
        config.webhooks.allowed_networks = vec!["127.0.0.0/8".into()];
    })
    .await
}

/// Adds an endpoint as `token`'s developer; answers its id and secret.
async fn add_endpoint(app: &TestApp, token: &str, url: &str, types: Value) -> (String, String) {
    let response = app
        .post_json(
            "/v2/webhook-endpoints",
            token,
            json!({ "url": url, "description": "test receiver", "eventTypes": types }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    crate::hygiene::record("webhook_secret", &secret);
    (created["endpointId"].as_str().unwrap().to_owned(), secret)
}

fn verifies(secret: &str, received: &Received) -> bool {
    webhook_signature::verify(
        secret,
        &received.signature,
        &received.id,
        received.timestamp,
        received.body.as_bytes(),
    )
}

/// Sends the endpoint a test event; answers what it got back.
async fn send_test(app: &TestApp, token: &str, endpoint: &str) -> Value {
    let response = app
        .post_json(
            &format!("/v2/webhook-endpoints/{endpoint}/test"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The endpoint's delivery log.
async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Value {
    app.get_json(
        &format!("/v2/webhook-endpoints/{endpoint}/deliveries"),
        token,
    )
    .await
}

/// The state of each delivery in a log, newest first.
fn states_of(log: &Value) -> Vec<&str> {
    log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect()
}

/// Lets the clock pass the retry delays: every pending delivery is due now.
async fn time_passes(app: &TestApp) {
    app.db()
        .execute(
            "UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE state = 'Pending'",
            args![],
        )
        .await
        .unwrap();
    app.app.state.event_wakeups.wake_workers();
}

#[tokio::test]
async fn an_endpoint_receives_each_subscribed_event_once_signed_and_verifiable() {
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let developer = app.developer().await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint, secret) = add_endpoint(
        &app,
        &developer.token,
        &receiver.url,
        json!(["case.created", "case.status_changed"]),
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let shown = app
        .get_json(
            &format!("/v2/webhook-endpoints/{endpoint}"),
            &developer.token,
        )
        .await;
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    assert_eq!(
        shown["eventTypes"],
        json!(["case.created", "case.status_changed"])
    );

    let case = open(&app, &developer.token, incident(catalog.services[0])).await;
    let case_id = case["caseId"].as_str().unwrap();
    let reply = app
        .post_json(
            &format!("/v2/cases/{case_id}/communications"),
            &developer.token,
            json!({ "message": "not subscribed to" }),
        )
        .await;
    assert_eq!(reply.status(), 201);
    let stored = row(&app, case_id).await;
    oneportal::services::cases::provider_move(
        &app.app.state,
        &stored,
        &provider(),
        CaseStatus::InProgress,
        "",
    )
    .await
    .unwrap();

    let mut received = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.seen().len(), 2, "one POST per subscribed event");
    // Deliveries may overlap, so they may arrive in either order; events carry their sequence.
    received.sort_by_key(|r| serde_json::from_str::<Value>(&r.body).unwrap()["sequence"].as_i64());
    let feed = app.get_json("/v2/events", &developer.token).await;
    for (delivery, kind) in received.iter().zip(["case.created", "case.status_changed"]) {
        assert!(verifies(&secret, delivery), "{delivery:?}");
        let body: Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(body["type"], kind);
        assert_eq!(
            body["id"],
            delivery.id.as_str(),
            "webhook-id is the event id"
        );
        assert_eq!(body["data"]["caseId"], case_id);
        let in_feed = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == body["id"])
            .expect("the same event is in the feed");
        assert_eq!(in_feed, &body, "webhooks and the feed carry the same event");
    }

    let log = deliveries(&app, &developer.token, &endpoint).await;
    let states = states_of(&log);
    assert_eq!(states, ["Delivered", "Delivered"]);
    assert_eq!(log["data"][0]["attempts"][0]["statusCode"], 200);
    assert_eq!(log["data"][0]["attempts"][0]["response"], "thanks");

    let metrics = app.http.get(app.at("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    for series in [
        "oneportal_webhook_deliveries_total{outcome=\"delivered\"}",
        "oneportal_webhook_attempt_seconds",
    ] {
        assert!(metrics.contains(series), "/metrics shows {series}");
    }
}

/// A developer's endpoint for `case.created` at a receiver that gives `answers`
/// first (then 200), and a case they may open.
struct NewCasesEndpoint {
    app: TestApp,
    developer: crate::helpers::TestUser,
    receiver: Receiver,
    endpoint: String,
    secret: String,
    open_case: Value,
}

async fn new_cases_endpoint(answers: Vec<u16>) -> NewCasesEndpoint {
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let developer = app.developer().await;
    let receiver = Receiver::start(answers).await;
    let (endpoint, secret) = add_endpoint(
        &app,
        &developer.token,
        &receiver.url,
        json!(["case.created"]),
    )
    .await;
    NewCasesEndpoint {
        open_case: incident(catalog.services[0]),
        app,
        developer,
        receiver,
        endpoint,
        secret,
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_the_same_webhook_id_until_it_answers() {
    let NewCasesEndpoint {
        app,
        developer,
        receiver,
        endpoint,
        secret,
        open_case,
    } = new_cases_endpoint(vec![500, 503]).await;
    open(&app, &developer.token, open_case.clone()).await;

    receiver.wait_for(1).await;
    // The first retry is 5 seconds away: nothing more arrives before then.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.seen().len(), 1, "the retry waits for its time");
    time_passes(&app).await;
    receiver.wait_for(2).await;
    time_passes(&app).await;
    let received = receiver.wait_for(3).await;
    time_passes(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.seen().len(),
        3,
        "delivered once it answered 200; no duplicate"
    );
    assert!(
        received.iter().all(|r| r.id == received[0].id),
        "the same webhook-id every time"
    );
    assert!(
        received.iter().all(|r| verifies(&secret, r)),
        "each attempt signed afresh"
    );

    let log = deliveries(&app, &developer.token, &endpoint).await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["state"], "Delivered");
    let codes: Vec<i64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);

    // Redelivery sends it again, with the same id.
    let redeliver = app
        .post_json(
            &format!(
                "/v2/webhook-endpoints/{endpoint}/deliveries/{}/redeliver",
                delivery["deliveryId"].as_str().unwrap()
            ),
            &developer.token,
            json!({}),
        )
        .await;
    assert_eq!(redeliver.status(), 202);
    let again = receiver.wait_for(4).await;
    assert_eq!(again[3].id, received[0].id);
}

#[tokio::test]
async fn an_endpoint_that_answers_410_gone_is_disabled_and_its_owner_told() {
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let developer = app.developer().await;
    let receiver = Receiver::start(vec![410]).await;
    let (endpoint, _) = add_endpoint(&app, &developer.token, &receiver.url, json!(["*"])).await;
    open(&app, &developer.token, incident(catalog.services[0])).await;
    receiver.wait_for(1).await;
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app
            .get_json(
                &format!("/v2/webhook-endpoints/{endpoint}"),
                &developer.token,
            )
            .await;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(shown["disabledReason"].as_str().unwrap().contains("410"));
    let mails = oneportal_store::outbox::list(app.db(), 50).await.unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.recipient == developer.email && m.subject.contains("disabled")),
        "the owner is told by e-mail"
    );
    // Enabling it again resumes deliveries.
    let enabled = app
        .http
        .patch(app.at(&format!("/v2/webhook-endpoints/{endpoint}")))
        .bearer_auth(&developer.token)
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(enabled.status(), 200);
    let enabled: Value = enabled.json().await.unwrap();
    assert_eq!(
        (&enabled["enabled"], &enabled["disabledReason"]),
        (&json!(true), &Value::Null)
    );
}

#[tokio::test]
async fn a_test_event_is_delivered_at_once_and_its_answer_shown() {
    let app = app().await;
    let developer = app.developer().await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint, secret) =
        add_endpoint(&app, &developer.token, &receiver.url, json!(["*"])).await;
    let result = send_test(&app, &developer.token, &endpoint).await;
    assert_eq!(result["delivered"], true, "{result}");
    assert_eq!(result["attempt"]["statusCode"], 200);
    let received = receiver.seen();
    assert_eq!(received.len(), 1);
    assert!(verifies(&secret, &received[0]));
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["endpointId"], endpoint.as_str());

    // After a rotation both secrets verify during the grace period.
    let rotated = app
        .post_json(
            &format!("/v2/webhook-endpoints/{endpoint}/secret"),
            &developer.token,
            json!({ "graceHours": 1 }),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let new_secret = rotated.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::hygiene::record("webhook_secret", &new_secret);
    send_test(&app, &developer.token, &endpoint).await;
    let second = &receiver.seen()[1];
    assert!(verifies(&secret, second) && verifies(&new_secret, second));
}

#[tokio::test]
async fn deliveries_never_reach_internal_addresses() {
    // No network allow-listed: the machine's own addresses are refused.
    let app = spawn_app_with(|config| config.webhooks.allow_http = true).await;
    let developer = app.developer().await;
    for url in [
        "http://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let (status, body) = problem(
            app.post_json(
                "/v2/webhook-endpoints",
                &developer.token,
                json!({ "url": url }),
            )
            .await,
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["errors"][0]["pointer"], "/url", "{url}: {body}");
    }

    // A host name is checked when the connection is made, after resolution: the
    // receiver behind it is never reached.
    let receiver = Receiver::start(vec![]).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (endpoint, _) = add_endpoint(&app, &developer.token, &by_name, json!(["*"])).await;
    let result = send_test(&app, &developer.token, &endpoint).await;
    assert_eq!(result["delivered"], false);
    let error = result["attempt"]["error"].as_str().unwrap();
    assert!(error.contains("localhost resolves to"), "{error}");
    assert!(receiver.seen().is_empty(), "never connected");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let app = app().await;
    let developer = app.developer().await;
    let target = Receiver::start(vec![]).await;
    // A receiver that answers every POST with a redirect to another receiver.
    let location = target.url.clone();
    let redirecting = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let location = location.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", location)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirecting).await.unwrap() });
    let (endpoint, _) = add_endpoint(&app, &developer.token, &url, json!(["*"])).await;
    let result = send_test(&app, &developer.token, &endpoint).await;
    assert_eq!(result["delivered"], false);
    assert_eq!(result["attempt"]["statusCode"], 307);
    assert!(
        target.seen().is_empty(),
        "the redirect's target is never reached"
    );
}

#[tokio::test]
async fn an_owner_restricted_to_some_accounts_hears_only_of_their_records() {
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let opener = app.developer().await;
    let restricted = app.developer().await;
    app.restrict(restricted.id, &[catalog.contract[0]]).await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint, _) = add_endpoint(&app, &restricted.token, &receiver.url, json!(["*"])).await;
    // A case on a service of each contract account.
    let visible = open(&app, &opener.token, incident(catalog.services[0])).await;
    let hidden = open(&app, &opener.token, incident(catalog.services[1])).await;
    receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.seen();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0]
            .body
            .contains(visible["caseId"].as_str().unwrap())
    );
    assert!(
        !received[0]
            .body
            .contains(hidden["caseId"].as_str().unwrap())
    );
    let log = deliveries(&app, &restricted.token, &endpoint).await;
    let states = states_of(&log);
    assert_eq!(states, ["Withheld", "Delivered"], "newest first");

    // Without Developer Portal (API) a person manages no endpoints.
    let viewer = app.user(perms(&[Permission::SupportView])).await;
    let (status, _) = problem(app.get("/v2/webhook-endpoints", &viewer.token).await).await;
    assert_eq!(status, 403);
}

/// The receiver a customer would write: Python's `standardwebhooks` package,
/// unmodified, verifying every delivery before it counts it.
#[tokio::test]
async fn the_standard_webhooks_library_verifies_every_delivery() {
    let python = crate::helpers::python_with_test_libraries();
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let developer = app.developer().await;
    // The endpoint first (its secret goes to the receiver), pointing at a port we reserve.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let (_, secret) = add_endpoint(
        &app,
        &developer.token,
        &format!("http://127.0.0.1:{port}/hook"),
        json!(["*"]),
    )
    .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/webhook_receiver.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .arg(port.to_string())
        .env("WEBHOOK_SECRET", &secret)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the receiver starts");
    let stdout = child.stdout.take().unwrap();
    let _receiver = KillOnDrop(child);
    let (lines_in, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_in.send(line);
        }
    });
    assert_eq!(lines.recv().await.as_deref(), Some("listening"));

    let case = open(&app, &developer.token, incident(catalog.services[0])).await;
    let verified = tokio::time::timeout(Duration::from_secs(10), lines.recv())
        .await
        .expect("the receiver verified a delivery in time")
        .unwrap();
    let verified: Value = serde_json::from_str(&verified).unwrap();
    assert_eq!(verified["type"], "case.created");
    assert_eq!(verified["data"]["caseId"], case["caseId"]);
}

/// Stops the receiver process when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn an_endpoint_follows_its_owner_and_recovers_what_it_missed_on_request() {
    let app = app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let admin = app.developer().await;
    let developer = app.developer().await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint, _) = add_endpoint(
        &app,
        &developer.token,
        &receiver.url,
        json!(["case.created"]),
    )
    .await;
    let permissions = |with_developer_portal: bool| -> Vec<&'static str> {
        Permission::ALL
            .iter()
            .filter(|p| with_developer_portal || **p != Permission::DeveloperPortal)
            .map(|p| p.label())
            .collect()
    };
    let change = |with: bool| {
        app.http
            .patch(app.at(&format!("/v2/users/USR-{:06}", developer.id)))
            .bearer_auth(&admin.token)
            .json(&json!({ "permissions": permissions(with) }))
            .send()
    };
    assert!(change(false).await.unwrap().status().is_success());
    let shown = app
        .get_json(&format!("/v2/webhook-endpoints/{endpoint}"), &admin.token)
        .await;
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(
        shown["disabledReason"]
            .as_str()
            .unwrap()
            .contains("Developer Portal")
    );

    let missed = open(&app, &admin.token, incident(catalog.services[0])).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        receiver.seen().is_empty(),
        "a suspended endpoint gets nothing"
    );

    assert!(change(true).await.unwrap().status().is_success());
    let shown = app
        .get_json(
            &format!("/v2/webhook-endpoints/{endpoint}"),
            &developer.token,
        )
        .await;
    assert_eq!(
        shown["enabled"], true,
        "reinstated with its owner's permission"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        receiver.seen().is_empty(),
        "what it missed waits to be recovered"
    );

    let recovered = app
        .post_json(
            &format!("/v2/webhook-endpoints/{endpoint}/recover"),
            &developer.token,
            json!({ "since": "2000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(recovered.status(), 202);
    assert_eq!(recovered.json::<Value>().await.unwrap()["queued"], 1);
    let received = receiver.wait_for(1).await;
    assert!(
        received[0]
            .body
            .contains(missed["caseId"].as_str().unwrap())
    );
    // Recovering again queues nothing: it was delivered.
    let again: Value = app
        .post_json(
            &format!("/v2/webhook-endpoints/{endpoint}/recover"),
            &developer.token,
            json!({ "since": "2000-01-01T00:00:00Z" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["queued"], 0);
}

/// On PostgreSQL every node delivers, and each delivery is leased by one node:
/// with two nodes working the same queue, every event arrives exactly once.
#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    if !crate::helpers::backend_is_postgres() {
        return; // one node on SQLite
    }
    let app = app().await;
    let other = app.second_node().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let developer = app.developer().await;
    let receiver = Receiver::start(vec![]).await;
    add_endpoint(
        &app,
        &developer.token,
        &receiver.url,
        json!(["case.created"]),
    )
    .await;
    let mut opened = std::collections::BTreeSet::new();
    for n in 0..30 {
        let node = if n % 2 == 0 { &app } else { &other };
        let case = open(node, &developer.token, incident(catalog.services[0])).await;
        opened.insert(case["caseId"].as_str().unwrap().to_owned());
    }
    receiver.wait_for(30).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = receiver.seen();
    let ids: std::collections::BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "no event delivered twice");
    let heard: std::collections::BTreeSet<String> = received
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["data"]["caseId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(heard, opened);
}

/// The Developer Portal's webhook pages: add an endpoint, see its secret once,
/// send a test and see the answer, see the delivery and send it again.
#[tokio::test]
async fn the_developer_portal_adds_an_endpoint_shows_its_secret_once_and_tests_it() {
    use crate::browser::{Browser, location, person};
    let app = app().await;
    let receiver = Receiver::start(vec![]).await;
    let (user_id, email) = person(&app, PermissionSet::all()).await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let csrf = browser.csrf_from("/portal/developer/webhooks/new").await;
    let added = browser
        .post_form(
            "/portal/developer/webhooks",
            &[
                ("csrf_token", &csrf),
                ("url", &receiver.url),
                ("description", "Our NOC"),
                ("eventTypes", "case.status_changed"),
                ("eventTypes", "rfo.published"),
            ],
        )
        .await;
    assert_eq!(added.status(), 303, "{}", added.text().await.unwrap());
    let reveal = location(&added);
    let shown = browser.page(&reveal).await;
    let secret = shown
        .split("value=\"")
        .find_map(|rest| rest.split('"').next().filter(|v| v.starts_with("whsec_")))
        .expect("the secret is on the page")
        .to_owned();
    crate::hygiene::record("webhook_secret", &secret);
    assert_eq!(
        browser.get(&reveal).await.status(),
        410,
        "a reload does not show the secret again"
    );
    let endpoint = reveal.split('/').nth(4).unwrap().to_owned();
    let list = browser.page("/portal/developer/webhooks").await;
    assert!(list.contains(&receiver.url) && list.contains("rfo.published"));

    let tested = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/test"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(tested.status(), 200);
    let page = tested.text().await.unwrap();
    assert!(page.contains("id=\"test-status\">200<"), "{page}");
    assert!(page.contains("webhook.test"), "the delivery is listed");
    let received = receiver.seen();
    assert_eq!(received.len(), 1);
    assert!(
        verifies(&secret, &received[0]),
        "signed with the secret shown"
    );

    let log = deliveries(&app, &app.user_token(user_id).await, &endpoint).await;
    let delivery = log["data"][0]["deliveryId"].as_str().unwrap().to_owned();
    let again = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/deliveries/{delivery}/redeliver"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(again.status(), 303);
    receiver.wait_for(2).await;

    let disabled = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/enabled"),
            &[("csrf_token", &csrf), ("enabled", "no")],
        )
        .await;
    assert_eq!(disabled.status(), 303);
    assert!(
        browser
            .page("/portal/developer/webhooks")
            .await
            .contains("is disabled")
    );
    let recovered = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/recover"),
            &[("csrf_token", &csrf), ("since", "24h")],
        )
        .await;
    assert_eq!(recovered.status(), 303);
    assert!(
        browser
            .page(&location(&recovered))
            .await
            .contains("are queued")
    );
    let unknown = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/recover"),
            &[("csrf_token", &csrf), ("since", "1y")],
        )
        .await;
    assert_eq!(unknown.status(), 422, "an unknown choice is refused");
    let deleted = browser
        .post_form(
            &format!("/portal/developer/webhooks/{endpoint}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    assert!(
        !browser
            .page("/portal/developer/webhooks")
            .await
            .contains(&receiver.url)
    );
}

#[tokio::test]
async fn an_attempt_whose_delivery_was_deleted_meanwhile_is_dropped_without_failing_the_others() {
    // Attempts are recorded many to a transaction; one whose endpoint (and so
    // delivery) was deleted while it was under way must not fail the batch.
    let app = app().await;
    let attempt = |delivery_id| oneportal_store::webhooks::NewAttempt {
        delivery_id,
        attempted_at: 1,
        status_code: Some(200),
        latency_ms: 3,
        response_excerpt: "",
        error: None,
    };
    let gone = 987_654_321;
    oneportal_store::webhooks::insert_attempt(app.db(), attempt(gone))
        .await
        .expect("an attempt on a deleted delivery is dropped, not an error");
    let logged = oneportal_store::webhooks::attempts_of(app.db(), &[gone])
        .await
        .unwrap();
    assert!(
        logged.is_empty(),
        "nothing is logged under a missing delivery"
    );
}

#[tokio::test]
async fn leasing_reads_the_pending_queue_in_order_however_many_deliveries_are_kept() {
    // A lease that sorted every pending delivery slowed as the queue grew, until
    // deliveries on PostgreSQL fell behind for good (p99 42 s at 500 events/s).
    let app = app().await;
    let developer = app.developer().await;
    add_endpoint(
        &app,
        &developer.token,
        "http://127.0.0.1:9/",
        json!(["case.created"]),
    )
    .await;
    let (endpoint,): (i64,) = app
        .db()
        .fetch_one("SELECT id FROM webhook_endpoints", args![])
        .await
        .unwrap();
    // 20,000 finished deliveries and 2,000 pending ones, due long from now so
    // that the running node leaves them alone.
    app.db()
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 22000) \
             INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, state, next_attempt_at, created_at) \
             SELECT $1, 'evt_' || i, 'case.created', CASE WHEN i <= 20000 THEN 'Delivered' ELSE 'Pending' END, \
             4000000000000 + i, 1 FROM n",
            args![endpoint],
        )
        .await
        .unwrap();
    let backend = app.db().backend();
    oneportal_store::webhooks::refresh_queue_statistics(app.db())
        .await
        .unwrap();
    let sql = oneportal_store::webhooks::due_deliveries_sql(backend, 0);
    let now = 5_000_000_000_000_i64;
    let plan: Vec<String> = match backend {
        oneportal_store::Backend::Sqlite => app
            .db()
            .fetch_all_dynamic::<(i64, i64, i64, String)>(
                format!("EXPLAIN QUERY PLAN {sql}"),
                args![now, 0_i64, 64_i64],
            )
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.3)
            .collect(),
        oneportal_store::Backend::Postgres => app
            .db()
            .fetch_all_dynamic::<(String,)>(format!("EXPLAIN {sql}"), args![now, 0_i64, 64_i64])
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.0)
            .collect(),
    };
    let plan = plan.join("\n");
    assert!(
        plan.contains("webhook_deliveries_due"),
        "leasing reads the pending deliveries' index:\n{plan}"
    );
    assert!(
        !plan.contains("Sort") && !plan.contains("TEMP B-TREE") && !plan.contains("Bitmap"),
        "leasing reads the index in order and stops at the limit, sorting nothing:\n{plan}"
    );
}

#[tokio::test]
async fn while_an_endpoint_cannot_be_reached_its_other_deliveries_wait_behind_one_probe() {
    // Unavailable twice, then well again.
    let NewCasesEndpoint {
        app,
        developer,
        receiver,
        endpoint,
        open_case,
        ..
    } = new_cases_endpoint(vec![503, 503]).await;
    open(&app, &developer.token, open_case.clone()).await;
    receiver.wait_for(1).await;
    let path = format!("/v2/webhook-endpoints/{endpoint}");
    for _ in 0..100 {
        if !app.get_json(&path, &developer.token).await["failingSince"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !app.get_json(&path, &developer.token).await["failingSince"].is_null(),
        "a 503 marks the endpoint failing"
    );

    // New events queue behind the failed delivery, which is retried in 5 s.
    for _ in 0..3 {
        open(&app, &developer.token, open_case.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.seen().len(),
        1,
        "nothing else is tried while the endpoint waits for its retry"
    );

    // The retry's time comes: one delivery probes, fails, and the rest wait behind it.
    time_passes(&app).await;
    receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.seen().len(),
        2,
        "one probe at a time while the endpoint cannot be reached"
    );

    // It answers again: everything arrives, each event once.
    time_passes(&app).await;
    let arrived = receiver.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.seen().len(), 6, "no duplicates: {arrived:?}");
    let log = deliveries(&app, &developer.token, &endpoint).await;
    assert_eq!(states_of(&log), ["Delivered"; 4]);
}

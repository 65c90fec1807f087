//! API V2 conventions that cut across resources: idempotent creation and
//! per-caller rate limits.

use std::collections::HashSet;

use oneportal_domain::PermissionSet;
use oneportal_domain::ids::IdKind;
use serde_json::{Value, json};
use sha2::Digest;

use crate::catalog::seed;
use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};

async fn support_token(app: &TestApp) -> String {
    let owner = app.user(PermissionSet::all()).await;
    let (id, secret) = app.create_client(&owner, &["SupportReadWrite"]).await;
    app.access_token(&id, &secret).await
}

fn new_case(service: i64, message: &str) -> String {
    json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
           "serviceId": IdKind::Service.format(service), "message": message})
    .to_string()
}

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.at("/v2/cases"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn case_count(app: &TestApp, token: &str) -> u64 {
    let body: Value = app
        .get("/v2/cases?limit=1", token)
        .await
        .json()
        .await
        .unwrap();
    body["pagination"]["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let token = support_token(&app).await;
    let body = new_case(catalog.services[0], "please send the utilization report");
    let first = post_with_key(&app, &token, "order-7781", &body).await;
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let retry = post_with_key(&app, &token, "order-7781", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["location"], location);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["caseId"], first["caseId"]);
    assert_eq!(
        case_count(&app, &token).await,
        1,
        "one case, however many retries"
    );

    let (status, body) = problem(
        post_with_key(
            &app,
            &token,
            "order-7781",
            &new_case(catalog.services[0], "another"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "idempotency_key_reused");

    // Keys belong to their caller: another client's identical key is its own.
    let other = support_token(&app).await;
    let theirs: Value = post_with_key(
        &app,
        &other,
        "order-7781",
        &new_case(catalog.services[0], "another"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_ne!(theirs["caseId"], first["caseId"]);

    let (status, body) =
        problem(post_with_key(&app, &token, &"k".repeat(300), &body.to_string()).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_idempotency_key");
}

#[tokio::test]
async fn concurrent_duplicates_create_one_case() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let token = support_token(&app).await;
    let body = new_case(catalog.services[0], "duplicate submit");
    let attempts = (0..8).map(|_| post_with_key(&app, &token, "double-click", &body));
    let responses = futures_util::future::join_all(attempts).await;
    let mut created = HashSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => {
                let case: Value = response.json().await.unwrap();
                created.insert(case["caseId"].as_str().unwrap().to_owned());
            }
            409 => {
                let (_, body) = problem(response).await;
                assert_eq!(body["code"], "idempotency_key_in_flight");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created.len(), 1, "every 201 names the same case");
    assert_eq!(case_count(&app, &token).await, 1);
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_is_a_conflict() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let token = support_token(&app).await;
    let body = new_case(catalog.services[0], "slow one");
    let me: Value = app.get("/v2/me", &token).await.json().await.unwrap();
    let client_id = me["clientId"].as_str().unwrap().to_owned();
    // The first request is still running on some node: its claim is in the table.
    let mut digest = sha2::Sha256::new();
    digest.update(b"POST\0/v2/cases\0");
    digest.update(body.as_bytes());
    let hash: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = oneportal_store::now_ms();
    oneportal_store::idempotency::claim(
        app.db(),
        &client_id,
        "in-flight",
        &hash,
        now,
        now - 60_000,
    )
    .await
    .unwrap();
    let (status, problem_body) =
        problem(post_with_key(&app, &token, "in-flight", &body).await).await;
    assert_eq!(status, 409);
    assert_eq!(problem_body["code"], "idempotency_key_in_flight");
    assert_eq!(case_count(&app, &token).await, 0);
}

#[tokio::test]
async fn each_caller_has_its_own_rate_limit_announced_in_headers() {
    let app = spawn_app_with(|c| {
        c.rate_limits.requests_per_minute = 60;
        c.rate_limits.burst = 3;
    })
    .await;
    let owner = app.user(PermissionSet::all()).await;
    let (id, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let token = app.access_token(&id, &secret).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/v2/me", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        remaining.push(
            response.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = app.get("/v2/me", &token).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let (_, body) = problem(refused).await;
    assert_eq!(body["code"], "rate_limited");

    let (other_id, other_secret) = app.create_client(&owner, &["BasicRead"]).await;
    let other = app.access_token(&other_id, &other_secret).await;
    assert_eq!(
        app.get("/v2/me", &other).await.status(),
        200,
        "another client is not affected"
    );
}

/// A cursor as the API encodes one, with values of the caller's choosing.
fn forged_cursor(values: Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"v": values, "i": 1}).to_string())
}

/// Crafted input that answered 500 on PostgreSQL (`operator does not exist: text >
/// bigint`, `invalid byte sequence 0x00`): a cursor whose values have the wrong
/// types for its sort, and NUL characters in text. Each is a 400 naming the
/// parameter or field, on both backends, in every list and every text input tried.
#[tokio::test]
async fn forged_cursors_and_nul_characters_are_refused_by_name() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let user = app.user(PermissionSet::all()).await;
    let created = app
        .http
        .post(app.at("/v2/cases"))
        .bearer_auth(&user.token)
        .header("content-type", "application/json")
        .body(new_case(catalog.services[0], "first"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let case = created["caseId"].as_str().unwrap().to_owned();

    let lists = [
        ("/v2/cases", "customerReference", "lastModifiedDate"),
        ("/v2/services", "serviceName", "createdDate"),
        ("/v2/sites", "name", "lastModifiedDate"),
        ("/v2/accounts", "name", "createdDate"),
        ("/v2/invoices", "invoiceNumber", "dueDate"),
    ];
    for (list, text_field, other_field) in lists {
        for (sort, values) in [
            (text_field.to_owned(), json!([5])),
            (format!("-{text_field}"), json!([{"x": 1}])),
            (other_field.to_owned(), json!(["not a date"])),
            (format!("{text_field},{other_field}"), json!(["a", [1]])),
            (other_field.to_owned(), json!([null])),
        ] {
            let path = format!(
                "{list}?sort={sort}&cursor={}",
                forged_cursor(values.clone())
            );
            let (status, body) = problem(app.get(&path, &user.token).await).await;
            assert_eq!(status, 400, "{path} ({values}): {body}");
            assert_eq!(body["errors"][0]["pointer"], "cursor", "{path}: {body}");
        }
        let path = format!("{list}?{text_field}=a%00b");
        let (status, body) = problem(app.get(&path, &user.token).await).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["pointer"], text_field, "{path}: {body}");
    }

    for (path, body, pointer) in [
        (
            "/v2/cases".to_owned(),
            new_case(catalog.services[0], "a\u{0}b"),
            "/message",
        ),
        (
            format!("/v2/cases/{case}/communications"),
            json!({"message": "hello\u{0}"}).to_string(),
            "/message",
        ),
        (
            "/v2/api-clients".to_owned(),
            json!({"apiClientName": "x\u{0}", "scopes": ["BasicRead"]}).to_string(),
            "/apiClientName",
        ),
    ] {
        let response = app
            .http
            .post(app.at(&path))
            .bearer_auth(&user.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, problem) = problem(response).await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(problem["code"], "invalid_character", "{path}: {problem}");
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{path}: {problem}"
        );
    }
}

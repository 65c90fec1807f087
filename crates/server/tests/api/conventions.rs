//! API V2 conventions that cut across resources: idempotent creation,
//! per-caller rate limits, and the limits every connection and body meets
//! (header and body timeouts, connections per address, 413 answers).

use std::collections::HashSet;
use std::time::{Duration, Instant};

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
        .post_raw_json(
            "/v2/cases",
            &user.token,
            new_case(catalog.services[0], "first"),
        )
        .await;
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
        let response = app.post_raw_json(&path, &user.token, body).await;
        let (status, problem) = problem(response).await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(problem["code"], "invalid_character", "{path}: {problem}");
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{path}: {problem}"
        );
    }
}

/// A raw TCP connection to the server from `source`, a loopback address
/// (all of 127.0.0.0/8 reaches the server, so a test can be two clients).
async fn connect_from(app: &TestApp, source: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(app.app.address).await.unwrap()
}

/// Everything the server sends until it closes the connection or `within` passes,
/// and whether it closed.
async fn read_until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    within: Duration,
) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + within;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), false),
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// `GET /healthz` on a kept-alive connection; the status line of the answer, if one came.
async fn health_on(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: oneportal.test\r\n\r\n")
        .await
        .is_err()
    {
        return String::new();
    }
    let mut buffer = [0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buffer[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn a_client_trickling_its_headers_or_idling_is_cut_off_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(|c| c.http.header_read_timeout_secs = 1).await;

    // Slow loris: a header line every 200 ms, never the blank line that ends them.
    let (mut reader, mut writer) = connect_from(&app, "127.0.0.1").await.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let _ = writer
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: oneportal.test\r\n")
            .await;
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer
                .write_all(format!("x-slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let (answer, closed) = read_until_closed(&mut reader, Duration::from_secs(6)).await;
    trickle.abort();
    assert!(closed, "the connection stayed open past the header timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed only after {:?}",
        started.elapsed()
    );
    assert!(
        !answer.contains(" 200 "),
        "no answer to half a request: {answer}"
    );

    // A kept-alive connection that sends nothing more is closed as well.
    let mut idle = connect_from(&app, "127.0.0.1").await;
    assert_eq!(health_on(&mut idle).await, "HTTP/1.1 200 OK");
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(6)).await;
    assert!(closed, "an idle keep-alive connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_client_trickling_a_body_is_answered_408_after_the_body_timeout() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(|c| c.http.body_read_timeout_secs = 1).await;
    let user = app.user(PermissionSet::all()).await;
    let cases = format!("authorization: Bearer {}\r\n", user.token);
    for (path, credentials, content_type, answer_type, code) in [
        (
            "/v2/cases",
            cases.as_str(),
            "application/json",
            "application/problem+json",
            "\"code\":\"request_timeout\"",
        ),
        (
            "/oauth2/token",
            "",
            "application/x-www-form-urlencoded",
            "application/json",
            "\"error\":\"invalid_request\"",
        ),
    ] {
        let (mut reader, mut writer) = connect_from(&app, "127.0.0.1").await.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: oneportal.test\r\n{credentials}content-type: {content_type}\r\ncontent-length: 1000\r\n\r\n"
        );
        writer.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        // One byte every 150 ms: 1000 bytes would take two and a half minutes.
        let trickle = tokio::spawn(async move {
            for _ in 0..60 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                if writer.write_all(b"a").await.is_err() {
                    break;
                }
            }
        });
        let (answer, closed) = read_until_closed(&mut reader, Duration::from_secs(6)).await;
        trickle.abort();
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{path}: no 408 within 6 s: {answer:?}"
        );
        assert!(
            answer
                .to_ascii_lowercase()
                .contains(&format!("content-type: {answer_type}")),
            "{path}: {answer}"
        );
        assert!(answer.contains(code), "{path}: {answer}");
        assert!(answer.contains("within 1 seconds"), "{path}: {answer}");
        assert!(closed, "{path}: the connection is not reused after a 408");
        assert!(started.elapsed() < Duration::from_secs(4), "{path}");
    }
}

#[tokio::test]
async fn one_address_may_hold_only_its_share_of_connections_and_another_still_gets_in() {
    let app = spawn_app_with(|c| c.http.max_connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut connection = connect_from(&app, "127.0.0.1").await;
        assert_eq!(health_on(&mut connection).await, "HTTP/1.1 200 OK");
        held.push(connection);
    }

    let mut refused = connect_from(&app, "127.0.0.1").await;
    let (answer, closed) = read_until_closed(&mut refused, Duration::from_secs(3)).await;
    assert!(closed, "the fourth connection from one address was kept");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 429"),
        "{answer}"
    );
    if !answer.is_empty() {
        assert!(answer.contains("too_many_connections"), "{answer}");
    }

    let mut other = connect_from(&app, "127.0.0.2").await;
    assert_eq!(
        health_on(&mut other).await,
        "HTTP/1.1 200 OK",
        "another address is counted apart"
    );
    for connection in &mut held {
        assert_eq!(
            health_on(connection).await,
            "HTTP/1.1 200 OK",
            "the connections within the limit still work"
        );
    }

    // A closed connection gives its place back.
    drop(held.pop());
    let back = crate::processes::eventually(Duration::from_secs(3), || async {
        let mut again = connect_from(&app, "127.0.0.1").await;
        health_on(&mut again).await == "HTTP/1.1 200 OK"
    })
    .await;
    assert!(back, "the address did not get its place back");
}

#[tokio::test]
async fn every_oversized_body_is_a_413_naming_the_limit_in_the_endpoints_own_error_format() {
    let app = spawn_app().await;
    let user = app.user(PermissionSet::all()).await;
    // Past the 1 MiB limit, and small enough for the rest to wait in the socket's buffers.
    let big = "a".repeat((1 << 20) + 65_536);

    // An API V2 route: an RFC 9457 problem.
    let response = app
        .post_raw_json(
            "/v2/cases",
            &user.token,
            format!("{{\"message\": \"{big}\"}}"),
        )
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert!(
        body["detail"].as_str().unwrap().contains("1048576 bytes"),
        "{body}"
    );

    // The token endpoint: RFC 6749's error shape, which OAuth clients read, with 413.
    let response = app
        .http
        .post(app.at("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&padding={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("1048576 bytes"),
        "{body}"
    );
}

#[tokio::test]
async fn stopping_lets_a_request_in_flight_finish_and_takes_no_new_connection() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let address = app.app.address;
    let (mut reader, mut writer) = connect_from(&app, "127.0.0.1").await.into_split();
    let body = b"grant_type=client_credentials";
    let head = format!(
        "POST /oauth2/token HTTP/1.1\r\nhost: oneportal.test\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = tokio::spawn(app.app.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "a stopping server takes no new connection"
    );
    assert!(
        !stopping.is_finished(),
        "it waits for the request in flight"
    );

    writer.write_all(&body[5..]).await.unwrap();
    let (answer, closed) = read_until_closed(&mut reader, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the request in flight was answered: {answer:?}"
    );
    assert!(closed, "and its connection closed");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("stop returns once the last connection closed")
        .unwrap()
        .unwrap();
}

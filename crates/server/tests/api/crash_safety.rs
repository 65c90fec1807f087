//! SIGKILL under a concurrent write load: every acknowledged write is there after
//! a restart, complete, and nothing half-written is (on the test backend); every
//! committed change has its event, and every event reaches the webhook endpoint.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oneportal_store::{Db, Exec};
use serde_json::{Value, json};

use crate::processes::{Node, ServerProcess, eventually, new_case};
use crate::webhooks::Receiver;

/// What the server acknowledged before it was killed.
#[derive(Default)]
struct Acknowledged {
    /// (case id, its first message)
    cases: Vec<(String, String)>,
    /// (case id, a reply's message)
    replies: Vec<(String, String)>,
}

const WRITERS: usize = 16;

/// One writer: opens a case, replies to it, again, until the server stops answering.
async fn write_until_refused(
    http: reqwest::Client,
    url: String,
    token: String,
    service: String,
    writer: usize,
    acked: Arc<Mutex<Acknowledged>>,
) {
    for n in 0.. {
        let message = format!("writer {writer} case {n}");
        let Ok(response) = http
            .post(format!("{url}/v2/cases"))
            .bearer_auth(&token)
            .json(&new_case(&service, &message))
            .send()
            .await
        else {
            return;
        };
        if response.status() != 201 {
            return;
        }
        let Ok(case) = response.json::<Value>().await else {
            return;
        };
        let case_id = case["caseId"].as_str().unwrap().to_owned();
        acked
            .lock()
            .unwrap()
            .cases
            .push((case_id.clone(), message.clone()));

        let reply = format!("writer {writer} reply to case {n}");
        let Ok(response) = http
            .post(format!("{url}/v2/cases/{case_id}/communications"))
            .bearer_auth(&token)
            .json(&json!({ "message": reply }))
            .send()
            .await
        else {
            return;
        };
        if response.status() != 201 {
            return;
        }
        acked.lock().unwrap().replies.push((case_id, reply));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_sigkill_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::on_test_backend(dir.path())
        .await
        .with_env("ONEPORTAL_WEBHOOKS__ALLOW_HTTP", "true")
        .with_env("ONEPORTAL_WEBHOOKS__ALLOWED_NETWORKS", "[\"127.0.0.0/8\"]");
    let token = node.seed_organization("Crash Test Org");
    let mut server = node.serve().await;
    let service = server.first_service(&token).await;
    let receiver = Receiver::start(vec![]).await;
    let endpoint = server
        .post_json(
            "/v2/webhook-endpoints",
            &token,
            json!({ "url": receiver.url, "eventTypes": ["case.created"] }),
        )
        .await;
    assert_eq!(endpoint.status(), 201, "{}", server.log_tail());

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(write_until_refused(
                server.http.clone(),
                server.url.clone(),
                token.clone(),
                service.clone(),
                writer,
                acked.clone(),
            ))
        })
        .collect();

    // Kill once the load is well under way, so that writes are in flight.
    let started = Instant::now();
    while acked.lock().unwrap().cases.len() < 150 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the load did not get going:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    eprintln!(
        "killed after {} cases and {} replies were acknowledged",
        acked.cases.len(),
        acked.replies.len()
    );

    let server = node.serve().await;
    for (case_id, message) in &acked.cases {
        let response = server.get(&format!("/v2/cases/{case_id}"), &token).await;
        assert_eq!(
            response.status(),
            200,
            "acknowledged case {case_id} is lost"
        );
        let case: Value = response.json().await.unwrap();
        assert_eq!(case["status"], "Acknowledged", "{case}");
        let said = messages(&server, case_id, &token).await;
        assert_eq!(
            said.first(),
            Some(message),
            "case {case_id} opens with its message"
        );
    }
    for (case_id, reply) in &acked.replies {
        let said = messages(&server, case_id, &token).await;
        assert!(
            said.contains(reply),
            "acknowledged reply on {case_id} is lost: {said:?}"
        );
    }

    // Every committed case has its event, and every event reaches the endpoint
    // (at least once; the same webhook-id when an attempt was cut off by the kill).
    let db = open_database(&node).await;
    let stored_cases = count(&db, "SELECT COUNT(*) FROM cases").await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM events WHERE event_type = 'case.created'"
        )
        .await,
        stored_cases,
        "one case.created event per committed case"
    );
    // A delivery the kill cut off is taken over once its 30-second lease runs out.
    let delivered = eventually(Duration::from_secs(90), || async {
        let heard = cases_heard(&receiver);
        acked
            .cases
            .iter()
            .all(|(case_id, _)| heard.contains(case_id))
            && heard.len() as i64 == stored_cases
    })
    .await;
    let heard = cases_heard(&receiver);
    assert!(
        delivered,
        "the endpoint heard of {} cases in {} requests; {stored_cases} were committed",
        heard.len(),
        receiver.seen().len()
    );

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_communications m WHERE m.case_id = c.id)").await,
        0,
        "a case without its first message"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_status_history h WHERE h.case_id = c.id)").await,
        0,
        "a case without its status history"
    );
    let stored = count(&db, "SELECT COUNT(*) FROM cases").await;
    assert!(
        stored >= acked.cases.len() as i64 && stored <= (acked.cases.len() + WRITERS) as i64,
        "{stored} cases stored for {} acknowledged (at most one unacknowledged per writer)",
        acked.cases.len()
    );
    if let Db::Sqlite(..) = db {
        let (check,): (String,) = db
            .fetch_one("PRAGMA integrity_check", vec![])
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
    db.close().await;
}

/// The cases the receiver was told of.
fn cases_heard(receiver: &Receiver) -> std::collections::BTreeSet<String> {
    receiver
        .seen()
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .filter_map(|e| e["data"]["caseId"].as_str().map(str::to_owned))
        .collect()
}

/// The case's conversation, oldest first.
async fn messages(server: &ServerProcess, case_id: &str, token: &str) -> Vec<String> {
    let response = server
        .get(
            &format!("/v2/cases/{case_id}/communications?limit=200"),
            token,
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let mut list: Vec<(String, String)> = body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            (
                m["communicationId"].as_str().unwrap().to_owned(),
                m["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    list.sort();
    list.into_iter().map(|(_, message)| message).collect()
}

async fn open_database(node: &Node) -> Db {
    match &node.database_url {
        Some(url) => Db::connect_postgres(url, 2).await.unwrap(),
        None => Db::open_sqlite(
            &node.data_dir.join("oneportal.db"),
            oneportal_store::SqliteDurability::Normal,
        )
        .await
        .unwrap(),
    }
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    let (n,): (i64,) = db.fetch_one(sql, vec![]).await.unwrap();
    n
}

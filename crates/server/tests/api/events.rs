//! Events (PRODUCT §7): written with the change that causes them, read through
//! `GET /v2/events` oldest first, each only by a caller who may read its record.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use oneportal::http::upload::Upload;
use oneportal::services::cases as case_service;
use oneportal::services::rfo;
use oneportal_domain::PermissionSet;
use oneportal_domain::case::{CaseStatus, RfoStatus};
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_store::events::{self, NewEvent};
use serde_json::{Value, json};

use crate::cases::{incident, provider, row, setup};
use crate::helpers::{TestApp, problem, spawn_app};
use crate::imports::{document, import, organization};
use crate::operations::staff_token;

/// Opens an incident on `service`; answers its id.
async fn open(app: &TestApp, token: &str, service: i64) -> String {
    let case = crate::cases::open(app, token, incident(service)).await;
    case["caseId"].as_str().unwrap().to_owned()
}

/// Every event the feed gives `token` from the start, following the cursor.
async fn read_all(app: &TestApp, token: &str, filter: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let page = app
            .get_json(&format!("/v2/events?after={after}&limit=3{filter}"), token)
            .await;
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        after = page["pagination"]["nextCursor"]
            .as_str()
            .unwrap()
            .to_owned();
        if !page["pagination"]["hasMore"].as_bool().unwrap() {
            return all;
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_case_tells_its_story_in_the_feed_oldest_first() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case_id = open(&app, &token, catalog.services[0]).await;
    let state = &app.app.state;
    for to in [CaseStatus::InProgress, CaseStatus::Pending] {
        let case = row(&app, &case_id).await;
        case_service::provider_move(state, &case, &provider(), to, "waiting for the customer")
            .await
            .unwrap();
    }
    let reply = app
        .post_json(
            &format!("/v2/cases/{case_id}/communications"),
            &token,
            json!({ "message": "The router is back on." }),
        )
        .await;
    assert_eq!(reply.status(), 201);
    let case = row(&app, &case_id).await;
    let upload = Upload {
        file_name: "trace.txt".into(),
        content_type: "text/plain".into(),
        content: b"traceroute".to_vec(),
    };
    case_service::attach(state, &case, &provider(), upload)
        .await
        .unwrap();
    let mut content = crate::cases::rfo_content();
    content.affected_service_ids = vec![IdKind::Service.format(catalog.services[0])];
    rfo::publish(state, &case, &provider(), RfoStatus::Final, &content)
        .await
        .unwrap();

    let all = read_all(&app, &token, "").await;
    assert_eq!(
        types(&all),
        [
            "case.created",
            "case.status_changed",
            "case.status_changed",
            "case.communication_added",
            "case.status_changed",
            "case.attachment_added",
            "rfo.published",
        ]
    );
    let sequences: Vec<i64> = all
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    let ids: BTreeSet<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "every event has its own id");
    for event in &all {
        assert!(event["id"].as_str().unwrap().starts_with("evt_"), "{event}");
        assert_eq!(
            event["organizationId"],
            IdKind::Organization.format(app.org_id)
        );
        assert_eq!(event["data"]["caseId"], case_id.as_str(), "{event}");
        let url = event["data"]["url"].as_str().unwrap();
        assert!(
            url.starts_with(&app.at(&format!("/v2/cases/{case_id}"))),
            "{url}"
        );
        assert!(event["occurredAt"].as_str().unwrap().ends_with('Z'));
    }
    let moves: Vec<(&str, &str)> = all
        .iter()
        .filter(|e| e["type"] == "case.status_changed")
        .map(|e| {
            (
                e["data"]["previousStatus"].as_str().unwrap(),
                e["data"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("Acknowledged", "InProgress"),
            ("InProgress", "Pending"),
            ("Pending", "InProgress")
        ],
        "the customer's reply to a Pending case moves it back"
    );
    assert_eq!(all[3]["data"]["communicationType"], "Customer");
    assert_eq!(all[5]["data"]["fileName"], "trace.txt");
    assert_eq!(all[6]["data"]["status"], "Final");

    // A type filter, and a cursor from the middle.
    let rfo_only = read_all(&app, &token, "&types=rfo.published,case.created").await;
    assert_eq!(types(&rfo_only), ["case.created", "rfo.published"]);
    let middle = all[2]["sequence"].as_i64().unwrap();
    let rest = app
        .get_json(&format!("/v2/events?after={middle}"), &token)
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 4);
    assert_eq!(rest["pagination"]["hasMore"], false);
    assert_eq!(
        rest["pagination"]["nextCursor"],
        all[6]["sequence"].as_i64().unwrap().to_string()
    );
}

#[tokio::test]
async fn each_caller_hears_only_of_the_kinds_of_record_its_scopes_read_and_only_its_own() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    assert_eq!(
        import(&app, &staff, &document("crm-globex", "RFS"))
            .await
            .status(),
        200
    );
    let org_id = organization(&app, "crm-globex").await.unwrap();
    // The same document again changes nothing, so it tells nothing new.
    import(&app, &staff, &document("crm-globex", "RFS")).await;
    import(&app, &staff, &document("crm-globex", "Suspended")).await;
    let owner = app.user_in(org_id, PermissionSet::all()).await;
    let service_id = app.get_json("/v2/services", &owner.token).await["data"][0]["serviceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let case_id = open(
        &app,
        &owner.token,
        IdKind::Service.parse(&service_id).unwrap(),
    )
    .await;

    let everything = read_all(&app, &owner.token, "").await;
    assert_eq!(
        types(&everything),
        ["invoice.issued", "service.status_changed", "case.created"]
    );
    assert_eq!(everything[0]["data"]["invoiceNumber"], "GX-2026-0001");
    assert_eq!(everything[0]["data"]["totalAmount"], "786.48");
    assert_eq!(
        (
            &everything[1]["data"]["previousStatus"],
            &everything[1]["data"]["status"]
        ),
        (&json!("RFS"), &json!("Suspended"))
    );
    assert_eq!(everything[2]["data"]["caseId"], case_id.as_str());

    for (scopes, heard) in [
        (&["SupportRead"][..], &["case.created"][..]),
        (&["SupportReadWrite"][..], &["case.created"][..]),
        (&["BillingRead"][..], &["invoice.issued"][..]),
        (&["BasicRead"][..], &["service.status_changed"][..]),
        (
            &["BasicRead", "BillingRead"][..],
            &["invoice.issued", "service.status_changed"][..],
        ),
    ] {
        let (id, secret) = app.create_client(&owner, scopes).await;
        let token = app.access_token(&id, &secret).await;
        assert_eq!(
            types(&read_all(&app, &token, "").await),
            heard,
            "{scopes:?}"
        );
    }
    let (id, secret) = app.create_client(&owner, &["SupportRead"]).await;
    let support_only = app.access_token(&id, &secret).await;
    let (status, body) = problem(
        app.get("/v2/events?types=invoice.issued", &support_only)
            .await,
    )
    .await;
    assert_eq!(status, 403, "{body}");

    // The organization the test app started with hears of none of it.
    let (_, stranger) = setup(&app).await;
    assert!(read_all(&app, &stranger, "").await.is_empty());
}

#[tokio::test]
async fn paging_by_cursor_returns_each_event_once_while_cases_are_being_opened() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let done = std::sync::atomic::AtomicBool::new(false);
    let writer = async {
        let mut opened = Vec::new();
        for _ in 0..8 {
            let batch = (0..5).map(|_| open(&app, &token, catalog.services[0]));
            opened.extend(futures_util::future::join_all(batch).await);
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        opened
    };
    let reader = async {
        let mut seen: Vec<String> = Vec::new();
        let mut after = "0".to_owned();
        let mut last_sequence = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || seen.len() < 40 {
            let page = app
                .get_json(&format!("/v2/events?after={after}&limit=4"), &token)
                .await;
            for event in page["data"].as_array().unwrap() {
                let sequence = event["sequence"].as_i64().unwrap();
                assert!(sequence > last_sequence, "oldest first, never twice");
                last_sequence = sequence;
                seen.push(event["data"]["caseId"].as_str().unwrap().to_owned());
            }
            after = page["pagination"]["nextCursor"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(seen.len() <= 40, "{seen:?}");
        }
        seen
    };
    let (opened, seen) = tokio::join!(writer, reader);
    let opened: BTreeSet<String> = opened.into_iter().collect();
    let heard: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(heard.len(), seen.len(), "no event twice");
    assert_eq!(heard, opened, "every case opened was heard of");
}

#[tokio::test]
async fn a_long_poll_answers_as_soon_as_an_event_commits() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let poll = async {
        let page = app.get_json("/v2/events?wait=20", &token).await;
        (page, Instant::now())
    };
    let change = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let case_id = open(&app, &token, catalog.services[0]).await;
        (case_id, Instant::now())
    };
    let started = Instant::now();
    let ((page, answered), (case_id, opened)) = tokio::join!(poll, change);
    assert!(
        answered.duration_since(started) >= Duration::from_millis(300),
        "an empty feed waits"
    );
    assert_eq!(page["data"][0]["data"]["caseId"], case_id.as_str());
    let late = answered.saturating_duration_since(opened);
    assert!(
        late < Duration::from_millis(100),
        "the poll answered {late:?} after the case was opened"
    );

    // Nothing new: the wait runs out and the cursor stays where it was.
    let cursor = page["pagination"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let empty = app
        .get_json(&format!("/v2/events?after={cursor}&wait=1"), &token)
        .await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(empty["data"], json!([]));
    assert_eq!(empty["pagination"]["nextCursor"], cursor.as_str());
}

#[tokio::test]
async fn an_event_commits_or_rolls_back_with_its_change() {
    let app = spawn_app().await;
    let new = |id: &'static str| NewEvent {
        event_id: id,
        org_id: app.org_id,
        event_type: EventType::CaseCreated,
        subject_id: 1,
        occurred_at: oneportal_store::now_ms(),
        data: "{}",
    };
    let tx = app.db().begin().await.unwrap();
    events::append(&tx, new("evt_rolled_back")).await.unwrap();
    drop(tx);
    let tx = app.db().begin().await.unwrap();
    let kept = events::append(&tx, new("evt_kept")).await.unwrap();
    tx.commit().await.unwrap();
    let stored = events::after(app.db(), app.org_id, 0, EventType::ALL, 10)
        .await
        .unwrap();
    let ids: Vec<&str> = stored.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["evt_kept"]);
    assert_eq!(kept.sequence, 1, "a rolled-back event leaves no gap");
}

#[tokio::test]
async fn a_feed_query_with_a_mistake_is_a_400_naming_the_parameter() {
    let app = spawn_app().await;
    let (_, token) = setup(&app).await;
    for (query, parameter) in [
        ("types=case.deleted", "types"),
        ("after=yesterday", "after"),
        ("limit=500", "limit"),
        ("wait=60", "wait"),
        ("offset=10", "offset"),
    ] {
        let (status, body) = problem(app.get(&format!("/v2/events?{query}"), &token).await).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["errors"][0]["pointer"], parameter, "{query}: {body}");
    }
}

/// On PostgreSQL every node answers the feed; a long poll on one node hears of
/// an event committed on another through the change feed.
#[tokio::test]
async fn a_long_poll_on_one_node_hears_of_an_event_committed_on_another() {
    if !crate::helpers::backend_is_postgres() {
        return; // one node on SQLite
    }
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let other = app.second_node().await;
    let poll = async {
        let page = other.get_json("/v2/events?wait=20", &token).await;
        (page, Instant::now())
    };
    let change = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let case_id = open(&app, &token, catalog.services[0]).await;
        (case_id, Instant::now())
    };
    let ((page, answered), (case_id, opened)) = tokio::join!(poll, change);
    assert_eq!(page["data"][0]["data"]["caseId"], case_id.as_str());
    let late = answered.saturating_duration_since(opened);
    assert!(
        late < Duration::from_secs(1),
        "the other node answered {late:?} after the case was opened"
    );
}

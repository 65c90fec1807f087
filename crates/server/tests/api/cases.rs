//! Support cases: opening with the help article's rules, the status machine from
//! the customer's side, the conversation, attachments, RFOs, the SLA clock,
//! automatic close, and paging while cases are being opened.

use std::collections::HashSet;

use oneportal::services::cases::{self as case_service, CaseActor};
use oneportal::services::rfo::{self, RfoContent, TimelineEntry};
use oneportal_domain::PermissionSet;
use oneportal_domain::case::{CaseStatus, RfoImpact, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::find_case_anywhere;
use oneportal_store::{Exec, args};
use serde_json::{Value, json};

use crate::catalog::{Catalog, seed};
use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};
use crate::invoices::pdf_text;

/// An app with a catalog and a client holding every scope.
pub(crate) async fn setup(app: &TestApp) -> (Catalog, String) {
    let catalog = seed(app, app.org_id, 2).await;
    let owner = app.user(PermissionSet::all()).await;
    let (id, secret) = app
        .create_client(&owner, &["BasicRead", "SupportReadWrite", "BillingRead"])
        .await;
    (catalog, app.access_token(&id, &secret).await)
}

pub(crate) fn incident(service: i64) -> Value {
    json!({
        "type": "Incident",
        "subject": "ServiceDown",
        "priority": "P1",
        "serviceId": IdKind::Service.format(service),
        "message": "Our Amsterdam office lost internet at 08:15.",
        "startOfIncident": "2026-11-26T08:15:00Z",
        "customerReference": "TICKET-1"
    })
}

pub(crate) async fn open(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post_json("/v2/cases", token, body).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The case as the store has it, for driving it with the provider's moves.
pub(crate) async fn row(app: &TestApp, case_id: &str) -> oneportal_store::cases::CaseRow {
    let id = IdKind::Case.parse(case_id).unwrap();
    find_case_anywhere(app.db(), id).await.unwrap().unwrap()
}

pub(crate) fn provider() -> CaseActor {
    CaseActor {
        audit: oneportal::audit::Actor::Staff { id: 1 },
        name: "NOC".into(),
        contact_email: String::new(),
    }
}

async fn provider_moves(app: &TestApp, case_id: &str, path: &[CaseStatus]) {
    for to in path {
        let case = row(app, case_id).await;
        case_service::provider_move(&app.app.state, &case, &provider(), *to, "")
            .await
            .unwrap_or_else(|e| panic!("provider move to {to:?}: {e}"));
    }
}

#[tokio::test]
async fn an_incident_opens_acknowledged_with_the_first_message() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let response = app
        .post_json("/v2/cases", &token, incident(catalog.services[0]))
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let case: Value = response.json().await.unwrap();
    let case_id = case["caseId"].as_str().unwrap();
    assert!(
        case_id.starts_with("CASE-") && case_id.len() == 12,
        "{case_id}"
    );
    assert_eq!(location, format!("/v2/cases/{case_id}"));
    assert_eq!(case["status"], "Acknowledged");
    assert_eq!(case["origin"], "Api");
    assert_eq!(case["siteId"], IdKind::Site.format(catalog.sites[0]));
    assert_eq!(case["startOfIncident"], "2026-11-26T08:15:00Z");
    assert_eq!(case["endOfIncident"], Value::Null);
    assert_eq!(case["rfo"], Value::Null);
    assert!(case["contact"]["email"].as_str().unwrap().contains('@'));

    let detail = get_json(&app, &location, &token).await;
    assert_eq!(detail["communications"][0]["type"], "Customer");
    assert_eq!(
        detail["communications"][0]["message"],
        "Our Amsterdam office lost internet at 08:15."
    );
    assert_eq!(detail["statusHistory"][0]["to"], "Acknowledged");
}

/// Cases opened at the same moment share a commit (see `services::case_writer`):
/// each is still answered exactly as stored, has its first message, and gets an
/// audit event of its own that names it.
#[tokio::test]
async fn cases_opened_at_once_are_each_whole_and_answered_as_stored() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let attempts = (0..40).map(|i| {
        let mut body = incident(catalog.services[i % 2]);
        body["customerReference"] = json!(format!("T-{i}"));
        body["message"] = json!(format!("Outage report number {i}."));
        app.post_json("/v2/cases", &token, body)
    });
    let mut opened = HashSet::new();
    for (i, response) in futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(response.status(), 201);
        let answered: Value = response.json().await.unwrap();
        let case_id = answered["caseId"].as_str().unwrap().to_owned();
        let stored = get_json(&app, &format!("/v2/cases/{case_id}"), &token).await;
        for (field, value) in answered.as_object().unwrap() {
            assert_eq!(&stored[field], value, "{case_id}: {field}");
        }
        assert_eq!(answered["customerReference"], format!("T-{i}"));
        assert_eq!(
            stored["communications"][0]["message"],
            format!("Outage report number {i}.")
        );
        assert_eq!(stored["statusHistory"].as_array().unwrap().len(), 1);
        assert!(opened.insert(case_id));
    }
    let audited: Vec<(String,)> = app
        .db()
        .fetch_all(
            "SELECT target_id FROM audit_log WHERE action = 'case.opened'",
            vec![],
        )
        .await
        .unwrap();
    let audited: HashSet<String> = audited.into_iter().map(|(id,)| id).collect();
    assert_eq!(audited, opened);
}

#[tokio::test]
async fn subjects_priorities_and_incident_times_follow_the_help_article() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let service = IdKind::Service.format(catalog.services[0]);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"type": "NonIncident", "subject": "ChangeRequest", "priority": "P1", "serviceId": service, "message": "m"}),
            "/priority",
            "P3, P4, P5",
        ),
        (
            json!({"type": "Incident", "subject": "ChangeRequest", "priority": "P2", "serviceId": service, "message": "m", "startOfIncident": "2026-11-26T08:00:00Z"}),
            "/subject",
            "RfoRequest, ServiceDegradation",
        ),
        (
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P2", "serviceId": service, "message": "m"}),
            "/startOfIncident",
            "startOfIncident",
        ),
        (
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P2", "serviceId": service, "message": "m", "startOfIncident": "yesterday"}),
            "/startOfIncident",
            "RFC 3339",
        ),
        (
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P2", "serviceId": service, "message": "m",
                   "startOfIncident": "2026-11-26T08:00:00Z", "endOfIncident": "2026-11-26T07:00:00Z"}),
            "/endOfIncident",
            "before",
        ),
        (
            json!({"type": "Incident", "subject": "RfoRequest", "priority": "P4", "serviceId": service, "message": "m", "startOfIncident": "2026-11-26T08:00:00Z"}),
            "/relatedCaseId",
            "relatedCaseId",
        ),
        (
            json!({"type": "NonIncident", "subject": "Other", "priority": "P3", "serviceId": "SVC-999999", "message": "m"}),
            "/serviceId",
            "SVC-999999",
        ),
        (
            json!({"type": "NonIncident", "subject": "Other", "priority": "P3", "serviceId": service, "message": "   "}),
            "/message",
            "message",
        ),
        (
            json!({"type": "Problem", "subject": "Other", "priority": "P3", "serviceId": service, "message": "m"}),
            "/type",
            "NonIncident",
        ),
    ];
    for (request, pointer, mention) in cases {
        let (status, body) =
            problem(app.post_json("/v2/cases", &token, request.clone()).await).await;
        assert_eq!(status, 422, "{request}: {body}");
        let errors = body["errors"].as_array().unwrap();
        let error = errors
            .iter()
            .find(|e| e["pointer"] == pointer)
            .unwrap_or_else(|| panic!("{request}: no error at {pointer}: {body}"));
        assert!(
            error["detail"].as_str().unwrap().contains(mention),
            "{pointer}: {error}"
        );
    }
    // Every valid subject and priority pair opens.
    for (case_type, subjects, priorities) in [
        (
            "Incident",
            vec![
                "RfoRequest",
                "ServiceDegradation",
                "ServiceIntermittent",
                "ServiceDown",
            ],
            vec!["P1", "P5"],
        ),
        (
            "NonIncident",
            vec![
                "ActivationSupport",
                "ChangeRequest",
                "EngineerDispatch",
                "InformationRequest",
                "Other",
                "SoftwareUpdate",
                "UtilizationReport",
            ],
            vec!["P3", "P5"],
        ),
    ] {
        let first = open(&app, &token, incident(catalog.services[0])).await;
        for subject in subjects {
            for priority in &priorities {
                let mut body = json!({"type": case_type, "subject": subject, "priority": priority, "serviceId": service, "message": "m"});
                if case_type == "Incident" {
                    body["startOfIncident"] = json!("2026-11-26T08:00:00Z");
                }
                if subject == "RfoRequest" {
                    body["relatedCaseId"] = first["caseId"].clone();
                }
                open(&app, &token, body).await;
            }
        }
    }
}

/// Each customer action from each status: allowed exactly where the status machine
/// says, otherwise 409 naming the current status.
#[tokio::test]
async fn close_reopen_and_cancel_follow_the_status_machine() {
    use CaseStatus::*;
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let paths: [(CaseStatus, &[CaseStatus], Option<&str>); 8] = [
        (Acknowledged, &[], None),
        (InProgress, &[InProgress], None),
        (Pending, &[InProgress, Pending], None),
        (Held, &[InProgress, Held], None),
        (Resolved, &[InProgress, Resolved], None),
        (Closed, &[InProgress, Resolved], Some("close")),
        (Cancelled, &[], Some("cancel")),
        (Rejected, &[Rejected], None),
    ];
    let allowed = |status: CaseStatus, action: &str| match action {
        "close" | "reopen" => status == Resolved,
        _ => matches!(status, Acknowledged | InProgress | Pending | Held),
    };
    for (status, moves, customer_step) in paths {
        for action in ["close", "reopen", "cancel"] {
            let case = open(&app, &token, incident(catalog.services[0])).await;
            let id = case["caseId"].as_str().unwrap();
            provider_moves(&app, id, moves).await;
            if let Some(step) = customer_step {
                let response = app
                    .post_json(
                        &format!("/v2/cases/{id}/{step}"),
                        &token,
                        json!({"reason": "setup"}),
                    )
                    .await;
                assert_eq!(response.status(), 200);
            }
            assert_eq!(row(&app, id).await.status(), status);
            let response = app
                .post_json(
                    &format!("/v2/cases/{id}/{action}"),
                    &token,
                    json!({"reason": "because"}),
                )
                .await;
            if allowed(status, action) {
                assert_eq!(response.status(), 200, "{action} from {status:?}");
                let body: Value = response.json().await.unwrap();
                let expected = match action {
                    "close" => "Closed",
                    "reopen" => "InProgress",
                    _ => "Cancelled",
                };
                assert_eq!(body["status"], expected);
            } else {
                let (code, body) = problem(response).await;
                assert_eq!(code, 409, "{action} from {status:?}");
                assert_eq!(body["code"], "invalid_status_transition");
                assert!(
                    body["detail"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("is {}", status.as_str())),
                    "{body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn reopen_and_cancel_need_a_reason_but_close_does_not() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();
    let (status, body) = problem(
        app.post_json(&format!("/v2/cases/{id}/cancel"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    provider_moves(&app, id, &[CaseStatus::InProgress, CaseStatus::Resolved]).await;
    let response = app
        .http
        .post(app.at(&format!("/v2/cases/{id}/close")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "close without a body");
    let detail = get_json(&app, &format!("/v2/cases/{id}"), &token).await;
    assert!(detail["closedDate"].is_string());
    let history: Vec<&str> = detail["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["Acknowledged", "InProgress", "Resolved", "Closed"]
    );
}

#[tokio::test]
async fn a_customer_reply_hands_a_pending_case_back_and_final_cases_take_no_replies() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();
    provider_moves(&app, id, &[CaseStatus::InProgress, CaseStatus::Pending]).await;
    let response = app
        .post_json(
            &format!("/v2/cases/{id}/communications"),
            &token,
            json!({"message": "The router was power-cycled."}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["type"], "Customer");
    assert!(
        reply["communicationId"]
            .as_str()
            .unwrap()
            .starts_with("COM-")
    );
    assert_eq!(row(&app, id).await.status(), CaseStatus::InProgress);

    let list = get_json(&app, &format!("/v2/cases/{id}/communications"), &token).await;
    assert_eq!(list["pagination"]["total"], 2);
    assert_eq!(list["data"][1]["message"], "The router was power-cycled.");

    app.post_json(
        &format!("/v2/cases/{id}/cancel"),
        &token,
        json!({"reason": "fixed"}),
    )
    .await;
    let (status, body) = problem(
        app.post_json(
            &format!("/v2/cases/{id}/communications"),
            &token,
            json!({"message": "hello?"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert!(body["detail"].as_str().unwrap().contains("Cancelled"));
}

async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    // Names go as browsers send them, UTF-8 in quotes, not percent-encoded as reqwest would.
    let form = reqwest::multipart::Form::new()
        .percent_encode_noop()
        .part("file", part);
    app.http
        .post(app.at(&format!("/v2/cases/{id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn attachments_upload_list_and_download_with_limits() {
    let app = spawn_app_with(|c| c.cases.attachment_max_bytes = 64 * 1024).await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();

    let content = b"%PDF-1.4 traceroute output".to_vec();
    let response = upload(
        &app,
        &token,
        id,
        "trace route.pdf",
        "application/pdf",
        content.clone(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let attachment: Value = response.json().await.unwrap();
    assert_eq!(attachment["fileName"], "trace route.pdf");
    assert_eq!(attachment["sizeBytes"], content.len());

    let download = app.get(attachment["href"].as_str().unwrap(), &token).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"trace route.pdf\""),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);

    let list = get_json(&app, &format!("/v2/cases/{id}/attachments"), &token).await;
    assert_eq!(list["pagination"]["total"], 1);

    // `curl -F file=@capture.pcap` says application/octet-stream: the extension tells.
    let response = upload(
        &app,
        &token,
        id,
        "capture.png",
        "application/octet-stream",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let typed: Value = response.json().await.unwrap();
    assert_eq!(typed["contentType"], "image/png", "{typed}");
    let (status, _) = problem(
        upload(
            &app,
            &token,
            id,
            "notes",
            "application/octet-stream",
            vec![1; 4],
        )
        .await,
    )
    .await;
    assert_eq!(status, 415, "no type and no extension is not guessed");

    let (status, body) = problem(
        upload(
            &app,
            &token,
            id,
            "setup.exe",
            "application/x-msdownload",
            vec![1; 10],
        )
        .await,
    )
    .await;
    assert_eq!(status, 415);
    assert!(body["detail"].as_str().unwrap().contains("application/pdf"));

    let (status, body) = problem(
        upload(
            &app,
            &token,
            id,
            "big.txt",
            "text/plain",
            vec![b'a'; 65 * 1024],
        )
        .await,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");

    // Two megabytes: past the general 1 MiB body limit too, still a 413 problem.
    let (status, _) = problem(
        upload(
            &app,
            &token,
            id,
            "big.txt",
            "text/plain",
            vec![b'a'; 2 << 20],
        )
        .await,
    )
    .await;
    assert_eq!(status, 413);

    let no_file = app
        .http
        .post(app.at(&format!("/v2/cases/{id}/attachments")))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().text("note", "x"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(no_file).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "missing_file");

    let missing = app
        .get(&format!("/v2/cases/{id}/attachments/ATT-999999"), &token)
        .await;
    assert_eq!(missing.status(), 404);
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const HTML: &[u8] = b"<html><script>alert(document.cookie)</script></html>";

/// For every allowed type: content of that type, and content that only claims to be.
fn typed_samples() -> Vec<(&'static str, &'static str, Vec<u8>, Vec<u8>)> {
    let docx = b"PK\x03\x04\x14\0[Content_Types].xml...word/document.xml".to_vec();
    let xlsx = b"PK\x03\x04\x14\0[Content_Types].xml...xl/workbook.xml".to_vec();
    vec![
        (
            "report.pdf",
            "application/pdf",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec(),
            HTML.to_vec(),
        ),
        ("screen.png", "image/png", PNG.to_vec(), HTML.to_vec()),
        (
            "photo.jpg",
            "image/jpeg",
            b"\xFF\xD8\xFF\xE0\0\x10JFIF".to_vec(),
            HTML.to_vec(),
        ),
        (
            "anim.gif",
            "image/gif",
            b"GIF89a\x01\0\x01\0".to_vec(),
            HTML.to_vec(),
        ),
        (
            "ping.txt",
            "text/plain",
            "64 bytes from 192.0.2.1: time=1.2 ms – ok\n".into(),
            b"MZ\x90\0\x03\0".to_vec(),
        ),
        (
            "lines.csv",
            "text/csv",
            b"service,status\nSVC-000001,RFS\n".to_vec(),
            b"\xFF\xFEs\0e\0".to_vec(),
        ),
        (
            "config.json",
            "application/json",
            br#"{"vlan": 101}"#.to_vec(),
            HTML.to_vec(),
        ),
        (
            "logs.zip",
            "application/zip",
            b"PK\x03\x04\x14\0\0\0".to_vec(),
            HTML.to_vec(),
        ),
        (
            "ticket.eml",
            "message/rfc822",
            b"From: noc@example.net\r\nSubject: outage\r\n\r\nHello".to_vec(),
            HTML.to_vec(),
        ),
        (
            "trace.pcap",
            "application/vnd.tcpdump.pcap",
            b"\xD4\xC3\xB2\xA1\x02\0\x04\0".to_vec(),
            HTML.to_vec(),
        ),
        (
            "notes.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx,
            xlsx.clone(),
        ),
        (
            "usage.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx,
            b"PK\x03\x04 just a zip".to_vec(),
        ),
    ]
}

#[tokio::test]
async fn every_allowed_type_takes_its_own_content_and_refuses_content_that_only_claims_it() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();
    let samples = typed_samples();
    let listed: Vec<&str> = samples.iter().map(|(_, t, _, _)| *t).collect();
    for allowed in oneportal::services::cases::ALLOWED_ATTACHMENT_TYPES {
        assert!(listed.contains(allowed), "{allowed} has no sample here");
    }
    for (name, media_type, genuine, impostor) in samples {
        let response = upload(&app, &token, id, name, media_type, genuine).await;
        assert_eq!(
            response.status(),
            201,
            "{media_type}: {}",
            response.text().await.unwrap()
        );
        let (status, body) =
            problem(upload(&app, &token, id, name, media_type, impostor).await).await;
        assert_eq!(status, 415, "{media_type}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("content is not a"),
            "{media_type}: {body}"
        );
    }
    // Guessed from the name, the type is checked the same way.
    let (status, _) = problem(
        upload(
            &app,
            &token,
            id,
            "screen.png",
            "application/octet-stream",
            HTML.to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 415);
    let list = get_json(&app, &format!("/v2/cases/{id}/attachments"), &token).await;
    assert_eq!(
        list["pagination"]["total"], 12,
        "only the genuine files were stored"
    );
}

#[tokio::test]
async fn attachment_names_with_bidirectional_or_control_characters_are_refused() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();
    for name in [
        "invoice\u{202E}txt.exe",
        "report\u{2067}fdp.exe",
        "a\u{200F}b.txt",
        "tab\there.txt",
    ] {
        let (status, body) =
            problem(upload(&app, &token, id, name, "text/plain", b"hello".to_vec()).await).await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(body["errors"][0]["pointer"], "file", "{body}");
        assert_eq!(body["errors"][0]["code"], "invalid_file_name", "{body}");
    }
    let response = upload(
        &app,
        &token,
        id,
        "Übersicht 2026.txt",
        "text/plain",
        b"ok".to_vec(),
    )
    .await;
    assert_eq!(response.status(), 201, "other Unicode names are fine");
    let list = get_json(&app, &format!("/v2/cases/{id}/attachments"), &token).await;
    assert_eq!(list["pagination"]["total"], 1);
}

pub(crate) fn rfo_content() -> RfoContent {
    RfoContent {
        affected_service_ids: vec!["SVC-000001".into()],
        impact: RfoImpact::Down,
        incident_start: "2026-11-26T08:15:00Z".into(),
        detected: "2026-11-26T08:17:00Z".into(),
        restored: Some("2026-11-26T10:45:00Z".into()),
        excluded_minutes: 30,
        root_cause_category: "FiberCut".into(),
        root_cause: "Construction work cut the access fibre near Damrak.".into(),
        responsible_party: "ThirdPartyCarrier".into(),
        timeline: vec![TimelineEntry {
            at: "2026-11-26T09:30:00Z".into(),
            description: "Field engineer on site".into(),
        }],
        workaround: "Traffic moved to 4G backup.".into(),
        corrective_actions: vec!["Splice the fibre".into()],
        preventive_actions: vec!["Second diverse path".into()],
        sla_breached: true,
    }
}

#[tokio::test]
async fn the_rfo_is_not_available_until_published_then_reads_as_json_and_pdf() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap().to_owned();
    for path in [
        format!("/v2/cases/{id}/rfo"),
        format!("/v2/cases/{id}/rfo/document"),
    ] {
        let (status, body) = problem(app.get(&path, &token).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "rfo_not_available");
    }

    let state = &app.app.state;
    let mut content = rfo_content();
    rfo::publish(
        state,
        &row(&app, &id).await,
        &provider(),
        RfoStatus::Preliminary,
        &content,
    )
    .await
    .unwrap();
    let preliminary = get_json(&app, &format!("/v2/cases/{id}/rfo"), &token).await;
    assert_eq!(preliminary["status"], "Preliminary");
    assert_eq!(preliminary["version"], 1);
    assert_eq!(preliminary["durationMinutes"], 150 - 30);
    assert_eq!(preliminary["rootCauseCategory"], "FiberCut");
    let summary = get_json(&app, &format!("/v2/cases/{id}"), &token).await;
    assert_eq!(summary["rfo"]["status"], "Preliminary");

    content.root_cause = "Construction work by a third party cut the access fibre.".into();
    rfo::publish(
        state,
        &row(&app, &id).await,
        &provider(),
        RfoStatus::Final,
        &content,
    )
    .await
    .unwrap();
    let final_rfo = get_json(&app, &format!("/v2/cases/{id}/rfo"), &token).await;
    assert_eq!(final_rfo["status"], "Final");
    assert_eq!(final_rfo["version"], 2);

    let back = rfo::publish(
        state,
        &row(&app, &id).await,
        &provider(),
        RfoStatus::Preliminary,
        &content,
    )
    .await;
    assert!(back.is_err(), "a Final RFO never goes back to Preliminary");

    let document = app
        .get(&format!("/v2/cases/{id}/rfo/document"), &token)
        .await;
    assert_eq!(document.status(), 200);
    assert_eq!(document.headers()["content-type"], "application/pdf");
    let text = pdf_text(&document.bytes().await.unwrap());
    for expected in [
        id.as_str(),
        "Final",
        "2026-11-26T08:15:00Z",
        "2026-11-26T10:45:00Z",
        "120 minutes",
        "FiberCut",
        "Field engineer on site",
        "Second diverse path",
    ] {
        assert!(
            text.contains(expected),
            "the RFO PDF shows {expected:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn rfos_are_only_written_for_incidents_and_validated() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let request = open(
        &app,
        &token,
        json!({"type": "NonIncident", "subject": "Other", "priority": "P3", "serviceId": IdKind::Service.format(catalog.services[0]), "message": "m"}),
    )
    .await;
    let state = &app.app.state;
    let refused = rfo::publish(
        state,
        &row(&app, request["caseId"].as_str().unwrap()).await,
        &provider(),
        RfoStatus::Final,
        &rfo_content(),
    )
    .await;
    assert!(refused.is_err());

    let case = open(&app, &token, incident(catalog.services[0])).await;
    let mut bad = rfo_content();
    bad.restored = Some("2026-11-26T07:00:00Z".into());
    bad.root_cause = " ".into();
    let error = rfo::publish(
        state,
        &row(&app, case["caseId"].as_str().unwrap()).await,
        &provider(),
        RfoStatus::Final,
        &bad,
    )
    .await
    .unwrap_err();
    let text = format!("{error:?}");
    assert!(
        text.contains("/restored") && text.contains("/rootCause"),
        "{text}"
    );
}

#[tokio::test]
async fn the_sla_clock_pauses_while_pending() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap();
    let number = IdKind::Case.parse(id).unwrap();
    provider_moves(&app, id, &[CaseStatus::InProgress, CaseStatus::Pending]).await;
    // Pretend the case was opened an hour ago and has waited for the customer for 40 minutes.
    let now = oneportal_store::now_ms();
    app.db()
        .execute(
            "UPDATE cases SET created_at = $2, pending_since = $3 WHERE id = $1",
            args![number, now - 60 * 60_000, now - 40 * 60_000],
        )
        .await
        .unwrap();
    let paused = get_json(&app, &format!("/v2/cases/{id}"), &token).await;
    assert_eq!(paused["sla"]["isPaused"], true);
    assert_eq!(paused["sla"]["pausedMinutes"], 40);
    assert_eq!(paused["sla"]["elapsedMinutes"], 20);

    provider_moves(&app, id, &[CaseStatus::InProgress]).await;
    let running = get_json(&app, &format!("/v2/cases/{id}"), &token).await;
    assert_eq!(running["sla"]["isPaused"], false);
    assert_eq!(running["sla"]["pausedMinutes"], 40, "paused time is kept");
}

#[tokio::test]
async fn resolved_cases_close_by_themselves_after_the_configured_days() {
    let app = spawn_app_with(|c| c.cases.auto_close_days = 3).await;
    let (catalog, token) = setup(&app).await;
    let old = open(&app, &token, incident(catalog.services[0])).await;
    let fresh = open(&app, &token, incident(catalog.services[0])).await;
    for case in [&old, &fresh] {
        provider_moves(
            &app,
            case["caseId"].as_str().unwrap(),
            &[CaseStatus::InProgress, CaseStatus::Resolved],
        )
        .await;
    }
    let old_id = IdKind::Case.parse(old["caseId"].as_str().unwrap()).unwrap();
    let four_days_ago = oneportal_store::now_ms() - 4 * 86_400_000;
    app.db()
        .execute(
            "UPDATE cases SET resolved_at = $2 WHERE id = $1",
            args![old_id, four_days_ago],
        )
        .await
        .unwrap();
    let closed = case_service::auto_close(&app.app.state).await.unwrap();
    assert_eq!(closed, 1);
    assert_eq!(
        row(&app, old["caseId"].as_str().unwrap()).await.status(),
        CaseStatus::Closed
    );
    assert_eq!(
        row(&app, fresh["caseId"].as_str().unwrap()).await.status(),
        CaseStatus::Resolved
    );
    let detail = get_json(
        &app,
        &format!("/v2/cases/{}", old["caseId"].as_str().unwrap()),
        &token,
    )
    .await;
    let last = detail["statusHistory"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["reason"].as_str().unwrap().contains("automatically"),
        "{last}"
    );
}

#[tokio::test]
async fn case_lists_filter_sort_and_name_unknown_parameters() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let first = open(&app, &token, incident(catalog.services[0])).await;
    let second = open(&app, &token, incident(catalog.services[1])).await;
    open(
        &app,
        &token,
        json!({"type": "NonIncident", "subject": "ChangeRequest", "priority": "P4", "serviceId": IdKind::Service.format(catalog.services[0]), "message": "m", "customerReference": "PO-77"}),
    )
    .await;
    provider_moves(
        &app,
        second["caseId"].as_str().unwrap(),
        &[CaseStatus::InProgress, CaseStatus::Pending],
    )
    .await;
    // Times are kept in milliseconds: make sure the first case is modified later.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    provider_moves(
        &app,
        first["caseId"].as_str().unwrap(),
        &[CaseStatus::InProgress],
    )
    .await;

    let ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["caseId"].as_str().unwrap().to_owned())
            .collect()
    };
    let open_cases = get_json(
        &app,
        "/v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50",
        &token,
    )
    .await;
    assert_eq!(
        ids(&open_cases),
        [
            first["caseId"].as_str().unwrap(),
            second["caseId"].as_str().unwrap()
        ]
    );

    let by_reference = get_json(&app, "/v2/cases?customerReference=PO-77", &token).await;
    assert_eq!(by_reference["pagination"]["total"], 1);
    let by_service = get_json(
        &app,
        &format!(
            "/v2/cases?serviceId={}&type=Incident",
            IdKind::Service.format(catalog.services[1])
        ),
        &token,
    )
    .await;
    assert_eq!(ids(&by_service), [second["caseId"].as_str().unwrap()]);
    let none = get_json(
        &app,
        "/v2/cases?lastModifiedDate.gt=2100-01-01T00:00:00Z",
        &token,
    )
    .await;
    assert_eq!(none["pagination"]["total"], 0);

    for (query, named) in [
        ("status=Open", "status"),
        ("lastModifiedMinutes=1440", "lastModifiedMinutes"),
        ("sort=-severity", "severity"),
        ("priority=P9", "priority"),
    ] {
        let (status, body) = problem(app.get(&format!("/v2/cases?{query}"), &token).await).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["detail"].as_str().unwrap().contains(named),
            "{query}: {body}"
        );
    }
}

/// Opens `count` cases over two services and three priorities, leaving them in
/// four different statuses (Acknowledged, InProgress, Pending, Resolved).
async fn open_cases_in_four_statuses(app: &TestApp, catalog: &Catalog, token: &str, count: usize) {
    let paths: [&[CaseStatus]; 4] = [
        &[],
        &[CaseStatus::InProgress],
        &[CaseStatus::InProgress, CaseStatus::Pending],
        &[CaseStatus::InProgress, CaseStatus::Resolved],
    ];
    for i in 0..count {
        let mut body = incident(catalog.services[i % 2]);
        body["priority"] = json!(["P1", "P2", "P3"][i % 3]);
        let case = open(app, token, body).await;
        provider_moves(app, case["caseId"].as_str().unwrap(), paths[i % 4]).await;
    }
}

fn case_ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["caseId"].as_str().unwrap().to_owned())
        .collect()
}

/// Every case of the list at `first`, page after page by its cursors; each
/// page must report `total`.
async fn walk_by_cursor(app: &TestApp, token: &str, first: &str, total: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next.take() {
        let page = get_json(app, &path, token).await;
        assert_eq!(page["pagination"]["total"], total, "{path}");
        seen.extend(case_ids(&page));
        next = page["pagination"]["nextCursor"]
            .as_str()
            .map(|c| format!("{first}&cursor={c}"));
    }
    seen
}

/// Every case of the list at `first` (4 a page), page after page by offset.
async fn walk_by_offset(app: &TestApp, token: &str, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for offset in (0..).step_by(4) {
        let page = get_json(app, &format!("{first}&offset={offset}"), token).await;
        if case_ids(&page).is_empty() {
            break;
        }
        seen.extend(case_ids(&page));
    }
    seen
}

/// A list filtered to several statuses is read one status at a time and merged
/// (`Listing::fan_out`), and the page's rows are read only once its ids are known
/// (`Listing::defer_row_reads`). Whatever the sort, by cursor or by offset, the
/// pages hold exactly the matching cases of the unfiltered list, in its order,
/// ties included.
#[tokio::test]
async fn lists_filtered_to_several_statuses_page_in_the_lists_order() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    open_cases_in_four_statuses(&app, &catalog, &token, 22).await;
    for sort in [
        "-lastModifiedDate",
        "createdDate",
        "priority",
        "-status",
        "priority,-lastModifiedDate",
        "-priority,lastModifiedDate",
    ] {
        let everything = get_json(&app, &format!("/v2/cases?limit=200&sort={sort}"), &token).await;
        for statuses in [
            "InProgress,Pending",
            "Acknowledged,Resolved,Pending",
            "Pending",
        ] {
            let expected: Vec<String> = everything["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| statuses.split(',').any(|s| c["status"] == s))
                .map(|c| c["caseId"].as_str().unwrap().to_owned())
                .collect();
            assert!(!expected.is_empty(), "{statuses}");
            let first = format!("/v2/cases?limit=4&sort={sort}&status={statuses}");
            let by_cursor = walk_by_cursor(&app, &token, &first, expected.len()).await;
            assert_eq!(by_cursor, expected, "{sort} {statuses} by cursor");
            let by_offset = walk_by_offset(&app, &token, &first).await;
            assert_eq!(by_offset, expected, "{sort} {statuses} by offset");
        }
    }
}

/// A list sorted by status first (the slow path: SQLite sorts within each
/// status's block of the index) pages, by cursor and by offset, as each
/// status's own list in turn, in the sort's status order, ties included.
#[tokio::test]
async fn lists_sorted_by_status_first_page_as_each_statuss_list_in_turn() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    open_cases_in_four_statuses(&app, &catalog, &token, 18).await;
    let mut statuses: Vec<&str> = CaseStatus::NAMES.to_vec();
    statuses.sort_unstable();
    for (sort, rest, descending) in [
        ("status,-lastModifiedDate", "-lastModifiedDate", false),
        ("-status,createdDate", "createdDate", true),
        (
            "status,priority,-lastModifiedDate",
            "priority,-lastModifiedDate",
            false,
        ),
    ] {
        let mut expected = Vec::new();
        let in_order: Vec<&&str> = if descending {
            statuses.iter().rev().collect()
        } else {
            statuses.iter().collect()
        };
        for status in in_order {
            let one = get_json(
                &app,
                &format!("/v2/cases?limit=200&status={status}&sort={rest}"),
                &token,
            )
            .await;
            expected.extend(case_ids(&one));
        }
        assert_eq!(expected.len(), 18, "{sort}");
        let first = format!("/v2/cases?limit=4&sort={sort}");
        let by_cursor = walk_by_cursor(&app, &token, &first, 18).await;
        assert_eq!(by_cursor, expected, "{sort} by cursor");
        let by_offset = walk_by_offset(&app, &token, &first).await;
        assert_eq!(by_offset, expected, "{sort} by offset");
    }
}

/// Walks every page while new cases are opened between pages: by cursor (newest
/// first, new cases land before the walk) and by offset (oldest first, new cases
/// land after it). Each case that existed at the start is seen exactly once.
#[tokio::test]
async fn paging_returns_each_case_once_while_cases_are_being_opened() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let mut existing = HashSet::new();
    for _ in 0..45 {
        let case = open(&app, &token, incident(catalog.services[0])).await;
        existing.insert(case["caseId"].as_str().unwrap().to_owned());
    }
    for (mode, first_page) in [
        ("cursor", "/v2/cases?limit=10&sort=-createdDate"),
        ("offset", "/v2/cases?limit=10&sort=createdDate"),
    ] {
        let mut seen: Vec<String> = Vec::new();
        let mut next = Some(first_page.to_owned());
        let mut offset = 0;
        while let Some(path) = next.take() {
            let page = get_json(&app, &path, &token).await;
            let data = page["data"].as_array().unwrap();
            seen.extend(
                data.iter()
                    .map(|c| c["caseId"].as_str().unwrap().to_owned()),
            );
            open(&app, &token, incident(catalog.services[1])).await;
            next = match mode {
                "cursor" => page["pagination"]["nextCursor"]
                    .as_str()
                    .map(|c| format!("/v2/cases?limit=10&sort=-createdDate&cursor={c}")),
                _ if data.is_empty() => None,
                _ => {
                    offset += 10;
                    Some(format!(
                        "/v2/cases?limit=10&sort=createdDate&offset={offset}"
                    ))
                }
            };
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{mode}: no case twice");
        for id in &existing {
            assert!(unique.contains(id), "{mode}: {id} was seen");
        }
    }
}

#[tokio::test]
async fn case_details_carry_an_etag_that_changes_with_a_reply() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let path = format!("/v2/cases/{}", case["caseId"].as_str().unwrap());
    let first = app.get(&path, &token).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let cached = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    app.post_json(
        &format!("{path}/communications"),
        &token,
        json!({"message": "any news?"}),
    )
    .await;
    let changed = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
}

/// Case lists and details are answered from memory while nothing changed; every
/// change shows at once on the node that made it, and on another node within a second.
#[tokio::test]
async fn kept_case_answers_never_hide_a_change() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = case["caseId"].as_str().unwrap().to_owned();
    let list_path = "/v2/cases?status=Acknowledged";
    let detail_path = format!("/v2/cases/{id}");

    let before = get_json(&app, list_path, &token).await;
    assert_eq!(
        get_json(&app, list_path, &token).await,
        before,
        "a repeat is the same answer"
    );
    let first = app.get(&detail_path, &token).await;
    let etag = first.headers()["etag"].clone();
    let not_modified = app
        .http
        .get(app.at(&detail_path))
        .bearer_auth(&token)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        not_modified.status(),
        304,
        "a kept detail still honours If-None-Match"
    );

    open(&app, &token, incident(catalog.services[1])).await;
    let after = get_json(&app, list_path, &token).await;
    assert_eq!(
        after["pagination"]["total"], 2,
        "a new case is listed at once"
    );
    let reply = app
        .post_json(
            &format!("{detail_path}/communications"),
            &token,
            json!({"message": "Any news?"}),
        )
        .await;
    assert_eq!(reply.status(), 201);
    let changed = app
        .http
        .get(app.at(&detail_path))
        .bearer_auth(&token)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status(),
        200,
        "a changed case is not 'not modified'"
    );
    assert_ne!(changed.headers()["etag"], etag);
    let detail: Value = changed.json().await.unwrap();
    assert!(detail.to_string().contains("Any news?"), "{detail}");

    // Another node kept the list too; a change made here reaches it within a second.
    let other = app.second_node().await;
    assert_eq!(
        get_json(&other, list_path, &token).await["pagination"]["total"],
        2
    );
    open(&app, &token, incident(catalog.services[0])).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    loop {
        let total = get_json(&other, list_path, &token).await["pagination"]["total"].clone();
        if total == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other node still lists {total} cases"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The same for the tables around a case: its conversation and its history.
#[tokio::test]
async fn an_unknown_value_in_a_case_message_or_history_names_its_table() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = IdKind::Case
        .parse(case["caseId"].as_str().unwrap())
        .unwrap();
    let db = app.db();
    db.execute(
        "UPDATE case_communications SET comm_type = 'Pigeon' WHERE case_id = $1",
        args![id],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE case_status_history SET to_status = 'Limbo' WHERE case_id = $1",
        args![id],
    )
    .await
    .unwrap();
    let errors = [
        oneportal_store::cases::communications(db, id)
            .await
            .map(|_| ()),
        oneportal_store::cases::status_history(db, id)
            .await
            .map(|_| ()),
    ];
    for (error, named) in errors.into_iter().zip([
        ["case_communications.comm_type", "'Pigeon'"],
        ["case_status_history.to_status", "'Limbo'"],
    ]) {
        let error = error.unwrap_err().to_string();
        assert!(
            named.iter().all(|n| error.contains(n)),
            "{named:?} in {error}"
        );
    }
    let status = app
        .get(
            &format!("/v2/cases/{}", case["caseId"].as_str().unwrap()),
            &token,
        )
        .await
        .status();
    assert_eq!(
        status, 500,
        "a corrupt message is not shown as some other kind"
    );
}

/// A stored value the domain does not know is an error that names the table,
/// the column and the value, never a default: a corrupt status read as `Acknowledged` would
/// show a customer a case state nobody set.
#[tokio::test]
async fn a_case_row_with_a_value_the_domain_does_not_know_is_an_error_not_a_default() {
    let app = spawn_app().await;
    let (catalog, token) = setup(&app).await;
    let case = open(&app, &token, incident(catalog.services[0])).await;
    let id = IdKind::Case
        .parse(case["caseId"].as_str().unwrap())
        .unwrap();
    for (column, value) in [("status", "Bogus"), ("priority", "P9"), ("origin", "Fax")] {
        let sql: &'static str = match column {
            "status" => "UPDATE cases SET status = $1 WHERE id = $2",
            "priority" => "UPDATE cases SET priority = $1 WHERE id = $2",
            _ => "UPDATE cases SET origin = $1 WHERE id = $2",
        };
        let before: (String,) = app
            .db()
            .fetch_one(
                match column {
                    "status" => "SELECT status FROM cases WHERE id = $1",
                    "priority" => "SELECT priority FROM cases WHERE id = $1",
                    _ => "SELECT origin FROM cases WHERE id = $1",
                },
                args![id],
            )
            .await
            .unwrap();
        app.db().execute(sql, args![value, id]).await.unwrap();
        let error = find_case_anywhere(app.db(), id)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("cases.{column}")) && error.contains(value),
            "the error names the table, the column and the value: {error}"
        );
        let status = app
            .get(
                &format!("/v2/cases/{}", case["caseId"].as_str().unwrap()),
                &token,
            )
            .await
            .status();
        assert_eq!(
            status, 500,
            "a corrupt {column} is not shown as some other value"
        );
        app.db().execute(sql, args![before.0, id]).await.unwrap();
    }
}

/// A case list counts at most 10,000 matches: up to that its total is exact
/// (`X-Total-Count`, `totalRelation: eq`); beyond, the API says "at least
/// 10,000" (`X-Total-Count-At-Least`, `totalRelation: gte`) and the portal
/// "more than 10000", instead of counting every match on each request. A
/// narrower filter under the bound is exact again, and equals what paging finds.
#[tokio::test]
async fn case_totals_are_exact_up_to_ten_thousand_and_a_lower_bound_beyond() {
    let app = spawn_app().await;
    oneportal::demo::seed_cases(app.db(), "Large", 1, 10_050)
        .await
        .unwrap();
    let org_id = oneportal_store::orgs::find_organization_by_name(app.db(), "Large")
        .await
        .unwrap()
        .unwrap()
        .id;
    let user = app.user_in(org_id, PermissionSet::all()).await;

    let everything = app.get("/v2/cases?limit=5", &user.token).await;
    assert!(everything.headers().get("x-total-count").is_none());
    assert_eq!(everything.headers()["x-total-count-at-least"], "10000");
    let body: Value = everything.json().await.unwrap();
    assert_eq!(body["pagination"]["total"], 10_000);
    assert_eq!(body["pagination"]["totalRelation"], "gte");

    let (held,): (i64,) = app
        .db()
        .fetch_one(
            "SELECT COUNT(*) FROM cases WHERE org_id = $1 AND status IN ('Held', 'Pending')",
            args![org_id],
        )
        .await
        .unwrap();
    assert!(held > 0 && held < 10_000);
    let narrow = app
        .get("/v2/cases?status=Held,Pending&limit=200", &user.token)
        .await;
    assert!(narrow.headers().get("x-total-count-at-least").is_none());
    assert_eq!(narrow.headers()["x-total-count"], held.to_string().as_str());
    let body: Value = narrow.json().await.unwrap();
    assert_eq!(body["pagination"]["total"], held);
    assert_eq!(body["pagination"]["totalRelation"], "eq");
    let mut paged = body["data"].as_array().unwrap().len() as i64;
    let mut next = body["pagination"]["nextCursor"].as_str().map(str::to_owned);
    while let Some(cursor) = next {
        let page = app
            .get_json(
                &format!("/v2/cases?status=Held,Pending&limit=200&cursor={cursor}"),
                &user.token,
            )
            .await;
        paged += page["data"].as_array().unwrap().len() as i64;
        next = page["pagination"]["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(paged, held, "the exact total is what paging finds");

    let staff = crate::operations::staff_token(&app).await;
    let queue = app.get("/ops/v1/cases?limit=5", &staff).await;
    assert_eq!(queue.headers()["x-total-count-at-least"], "10000");

    let mut browser =
        crate::browser::Browser::signed_in_at(&app, org_id, PermissionSet::all()).await;
    let page = browser.get("/portal/support").await.text().await.unwrap();
    assert!(page.contains("of more than 10000."), "{page}");
}

//! The provider's import (`POST /ops/v1/imports` and `oneportal import FILE.json`):
//! what it writes is what the customer then reads, the same document twice
//! changes nothing, and a bad document is refused whole with every problem named.

use oneportal_domain::PermissionSet;
use oneportal_domain::ids::IdKind;
use oneportal_store::provisioning::{self, Keyed};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backend_is_postgres, problem, spawn_app};
use crate::operations::staff_token;

/// A new customer with two accounts, a site, a service and an invoice.
pub(crate) fn document(org_ref: &str, service_status: &str) -> Value {
    json!({"organizations": [{
        "ref": org_ref, "name": "Globex Corporation",
        "accounts": [
            {"ref": "C-1", "type": "Contract", "name": "Globex Contracts", "country": "NL", "billingCurrency": "EUR"},
            {"ref": "D-1", "type": "Delivery", "name": "Globex Retail", "country": "NL"}
        ],
        "sites": [{"ref": "S-1", "accountRef": "D-1", "name": "Amsterdam HQ", "street": "Damrak 1",
                   "city": "Amsterdam", "postalCode": "1012 LG", "country": "NL", "latitude": 52.3759, "longitude": 4.8975}],
        "services": [{"ref": "V-1", "serviceName": "Internet Amsterdam", "serviceType": "GlobalInternet",
                      "status": service_status, "contractAccountRef": "C-1", "deliveryAccountRef": "D-1",
                      "siteRef": "S-1", "downstreamMbps": 1000, "upstreamMbps": 1000,
                      "readyForServiceDate": "2026-01-15", "technicalDetails": {"ipAddresses": ["192.0.2.10/30"]}}],
        "invoices": [{"invoiceNumber": "GX-2026-0001", "accountRef": "C-1", "type": "Invoice", "status": "Open",
                      "invoiceDate": "2026-11-01", "dueDate": "2026-12-01",
                      "billingPeriodStart": "2026-11-01", "billingPeriodEnd": "2026-11-30", "currency": "EUR",
                      "lines": [
                          {"description": "Internet Amsterdam, November", "chargeType": "Recurring", "serviceRef": "V-1",
                           "quantity": "1", "unitPrice": "450.00", "taxRate": "21"},
                          {"description": "Installation", "chargeType": "OneTime", "quantity": "2", "unitPrice": "99.99",
                           "taxRate": "21", "amount": "199.98", "taxAmount": "42.00", "totalAmount": "241.98"}
                      ]}]
    }]})
}

pub(crate) async fn import(app: &TestApp, staff: &str, document: &Value) -> reqwest::Response {
    app.http
        .post(app.at("/ops/v1/imports"))
        .bearer_auth(staff)
        .json(document)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn organization(app: &TestApp, reference: &str) -> Option<i64> {
    provisioning::find(app.db(), Keyed::Organization, reference)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_imported_customer_reads_its_catalog_and_invoices_and_importing_again_changes_nothing() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;

    let first = import(&app, &staff, &document("crm-globex", "RFS")).await;
    assert_eq!(first.status(), 200);
    let summary: Value = first.json().await.unwrap();
    for kind in ["organizations", "sites", "services", "invoices"] {
        assert_eq!(summary[kind]["created"], 1, "{kind}: {summary}");
    }
    assert_eq!(summary["accounts"]["created"], 2);

    let org_id = organization(&app, "crm-globex").await.expect("imported");
    let customer = app.user_in(org_id, PermissionSet::all()).await;
    let services: Value = app
        .get("/v2/services", &customer.token)
        .await
        .json()
        .await
        .unwrap();
    let service = &services["data"][0];
    assert_eq!(service["serviceName"], "Internet Amsterdam");
    assert_eq!(service["status"], "RFS");
    assert_eq!(
        service["technicalDetails"]["ipAddresses"][0],
        "192.0.2.10/30"
    );
    let sites: Value = app
        .get("/v2/sites", &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sites["data"][0]["address"]["city"], "Amsterdam");
    let invoices: Value = app
        .get("/v2/invoices", &customer.token)
        .await
        .json()
        .await
        .unwrap();
    let invoice = &invoices["data"][0];
    assert_eq!(invoice["invoiceNumber"], "GX-2026-0001");
    // 450.00 + 94.50 tax computed; 199.98 + 42.00 as stated.
    assert_eq!(invoice["total"], "786.48", "{invoice}");

    let again: Value = import(&app, &staff, &document("crm-globex", "RFS"))
        .await
        .json()
        .await
        .unwrap();
    for kind in ["organizations", "accounts", "sites", "services", "invoices"] {
        assert_eq!(again[kind]["created"], 0, "{kind}: {again}");
        assert_eq!(again[kind]["updated"], 0, "{kind}: {again}");
    }
    let unchanged: Value = app
        .get("/v2/services", &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        unchanged["data"][0]["lastModifiedDate"], service["lastModifiedDate"],
        "an unchanged record keeps its modification date"
    );

    let changed: Value = import(&app, &staff, &document("crm-globex", "Suspended"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["services"]["updated"], 1, "{changed}");
    assert_eq!(changed["sites"]["unchanged"], 1, "{changed}");
    let services: Value = app
        .get("/v2/services", &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(services["data"][0]["status"], "Suspended");
    assert_eq!(
        services["data"].as_array().unwrap().len(),
        1,
        "updated, not copied"
    );
}

#[tokio::test]
async fn a_bad_document_is_refused_whole_with_every_problem_pointing_at_its_field() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let mut bad = document("crm-broken", "Broken");
    let org = &mut bad["organizations"][0];
    org["services"][0]["contractAccountRef"] = json!("D-1");
    org["sites"][0]["accountRef"] = json!("nowhere");
    org["invoices"][0]["dueDate"] = json!("1 December");
    org["invoices"][0]["lines"][1]["totalAmount"] = json!("241.99");
    org["accounts"][1]["ref"] = json!("C-1");

    let (status, body) = problem(import(&app, &staff, &bad).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "import_invalid");
    let errors = body["errors"].as_array().unwrap();
    let at = |pointer: &str| {
        errors
            .iter()
            .find(|e| e["pointer"] == pointer)
            .unwrap_or_else(|| panic!("no error at {pointer}: {body}"))["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(at("/organizations/0/services/0/status").contains("'Broken' is not one of"));
    assert!(
        at("/organizations/0/services/0/status").contains("service 'V-1'"),
        "names the record"
    );
    assert!(at("/organizations/0/sites/0/accountRef").contains("no account 'nowhere'"));
    assert!(at("/organizations/0/invoices/0/dueDate").contains("2026-11-30"));
    assert!(at("/organizations/0/accounts/1/ref").contains("another account has this ref"));
    assert!(at("/organizations/0/invoices/0").contains("241.99"));
    assert!(
        organization(&app, "crm-broken").await.is_none(),
        "nothing was written"
    );

    let (status, body) = problem(import(&app, &staff, &json!({"organisations": []})).await).await;
    assert_eq!(status, 422, "an unknown field is named: {body}");
    assert!(
        body["detail"].as_str().unwrap().contains("organisations"),
        "{body}"
    );
}

#[tokio::test]
async fn case_updates_reach_the_customer_once_and_the_status_machine_still_rules() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let catalog = crate::catalog::seed(&app, app.org_id, 1).await;
    let customer = app.user(PermissionSet::all()).await;
    let service_id = IdKind::Service.format(catalog.services[0]);
    let case: Value = app
        .post_json(
            "/v2/cases",
            &customer.token,
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P2", "serviceId": service_id,
                   "message": "Down since eight", "startOfIncident": "2026-11-26T08:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let case_id = case["caseId"].as_str().unwrap().to_owned();
    let update = |status: &str| {
        json!({"organizations": [{
            "ref": "crm-test", "organizationId": IdKind::Organization.format(app.org_id), "name": "Test Org",
            "cases": [{"caseId": case_id, "status": status, "reason": "carrier ticket 881",
                       "communications": [{"ref": "crm-msg-1", "message": "A fibre cut; a crew is on site.", "sentBy": "NOC"}],
                       "rfo": {"status": "Preliminary", "affectedServiceIds": [service_id], "impact": "Down",
                               "incidentStart": "2026-11-26T08:00:00Z", "detected": "2026-11-26T08:02:00Z",
                               "rootCauseCategory": "FiberCut", "rootCause": "Excavation damage.",
                               "responsibleParty": "ThirdPartyCarrier"}}]
        }]})
    };

    let first: Value = import(&app, &staff, &update("InProgress"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["communications"]["created"], 1, "{first}");
    assert_eq!(first["statusChanges"]["updated"], 1, "{first}");
    assert_eq!(first["rfos"]["created"], 1, "{first}");
    let again: Value = import(&app, &staff, &update("InProgress"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["communications"]["unchanged"], 1, "{again}");
    assert_eq!(again["statusChanges"]["unchanged"], 1, "{again}");
    assert_eq!(again["rfos"]["unchanged"], 1, "{again}");

    let detail: Value = app
        .get(&format!("/v2/cases/{case_id}"), &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "InProgress");
    let from_noc: Vec<&Value> = detail["communications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["sentBy"] == "NOC")
        .collect();
    assert_eq!(from_noc.len(), 1, "the reply was added once: {detail}");
    let rfo: Value = app
        .get(&format!("/v2/cases/{case_id}/rfo"), &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rfo["rootCause"], "Excavation damage.");

    // InProgress → Acknowledged is not a provider's move: refused before anything is written.
    let (status, body) = problem(import(&app, &staff, &update("Acknowledged")).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["pointer"],
        "/organizations/0/cases/0/status"
    );
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("InProgress"),
        "{body}"
    );
}

#[tokio::test]
async fn only_staff_may_import() {
    let app = spawn_app().await;
    let admin = app.user(PermissionSet::all()).await;
    let response = import(&app, &admin.token, &document("crm-x", "RFS")).await;
    assert!(
        matches!(response.status().as_u16(), 401 | 403),
        "{}",
        response.status()
    );
    assert!(organization(&app, "crm-x").await.is_none());
}

#[tokio::test]
async fn the_import_command_writes_a_file_shows_progress_and_is_idempotent() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("globex.json");
    std::fs::write(&file, document("crm-cli", "RFS").to_string()).unwrap();
    let run = |extra: &[&str]| {
        let config = &app.app.state.config;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_oneportal"));
        command.arg("import").arg(&file).args(extra);
        command.arg("--data-dir").arg(&config.data_dir);
        if backend_is_postgres() {
            command
                .arg("--database-url")
                .arg(config.database_url.as_ref().unwrap().expose_secret());
            command.env(
                "ONEPORTAL_MASTER_KEY",
                config.master_key.as_ref().unwrap().expose_secret(),
            );
        }
        command.output().unwrap()
    };

    let checked = run(&["--check"]);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(String::from_utf8_lossy(&checked.stdout).contains("6 records"));
    assert!(
        organization(&app, "crm-cli").await.is_none(),
        "--check writes nothing"
    );

    let first = run(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(summary["services"]["created"], 1, "{summary}");
    let second: Value = serde_json::from_slice(&run(&[]).stdout).unwrap();
    assert_eq!(second["services"]["unchanged"], 1, "{second}");

    std::fs::write(
        &file,
        r#"{"organizations": [{"ref": "crm-cli", "name": ""}]}"#,
    )
    .unwrap();
    let refused = run(&[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("/organizations/0/name: organization 'crm-cli': name is required"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_imported_rfo_may_name_only_services_of_the_cases_organization() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let ours = crate::catalog::seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other Org")
        .await
        .unwrap();
    let theirs = crate::catalog::seed(&app, other_org, 1).await;
    let customer = app.user(PermissionSet::all()).await;
    let own = IdKind::Service.format(ours.services[0]);
    let case: Value = app
        .post_json(
            "/v2/cases",
            &customer.token,
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P2", "serviceId": own,
                   "message": "Down since eight", "startOfIncident": "2026-11-26T08:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let case_id = case["caseId"].as_str().unwrap().to_owned();
    let foreign = IdKind::Service.format(theirs.services[0]);
    let update = |affected: Value| {
        json!({"organizations": [{
            "ref": "crm-test", "organizationId": IdKind::Organization.format(app.org_id), "name": "Test Org",
            "cases": [{"caseId": case_id,
                       "rfo": {"status": "Preliminary", "affectedServiceIds": affected, "impact": "Down",
                               "incidentStart": "2026-11-26T08:00:00Z", "detected": "2026-11-26T08:02:00Z",
                               "rootCauseCategory": "FiberCut", "rootCause": "Excavation damage.",
                               "responsibleParty": "ThirdPartyCarrier"}}]
        }]})
    };

    let (status, body) = problem(import(&app, &staff, &update(json!([foreign]))).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["pointer"],
        "/organizations/0/cases/0/rfo/affectedServiceIds/0"
    );
    assert_eq!(body["errors"][0]["code"], "unknown_service");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&foreign),
        "{body}"
    );
    let unpublished = app
        .get(&format!("/v2/cases/{case_id}/rfo"), &customer.token)
        .await;
    assert_eq!(unpublished.status(), 404, "nothing was written");

    let accepted = import(&app, &staff, &update(json!([own]))).await;
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());
}

#[tokio::test]
async fn an_import_over_64_mib_is_a_413_problem_naming_the_limit() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let limit = oneportal::services::import::MAX_DOCUMENT_BYTES;
    // Just past the limit; the rest waits in the socket's buffers while the server answers.
    let mut body = b"{\"organizations\": [] ".to_vec();
    body.resize(limit + 65_536, b' ');
    let response = app.post_raw_json("/ops/v1/imports", &staff, body).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{limit} bytes")),
        "{body}"
    );
}

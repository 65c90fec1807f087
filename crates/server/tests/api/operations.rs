//! The operations API: the provider's staff work a customer's case through its
//! life (the API form of the portal's support journey), and only staff get in.

use oneportal_domain::PermissionSet;
use oneportal_domain::ids::IdKind;
use serde_json::{Value, json};

use crate::catalog::seed;
use crate::helpers::{TestApp, problem, spawn_app};

pub async fn staff_token(app: &TestApp) -> String {
    let db = app.db();
    let email = format!(
        "noc{}@provider.example",
        oneportal::auth::random::alphanumeric(6).to_lowercase()
    );
    let id = oneportal_store::users::insert_staff(
        db,
        &email,
        "Night Shift",
        oneportal_domain::staff::StaffRole::Agent,
        None,
    )
    .await
    .unwrap();
    let staff = oneportal_store::users::find_staff(db, id)
        .await
        .unwrap()
        .unwrap();
    let state = &app.app.state;
    oneportal::ops::auth::mint_staff_token(db, &state.authority, &state.keys.current(), &staff, 900)
        .await
        .unwrap()
}

pub(crate) async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.http
        .request(method.parse().unwrap(), app.at(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn rfo(status: &str) -> Value {
    json!({
        "status": status, "affectedServiceIds": ["SVC-000001"], "impact": "Down",
        "incidentStart": "2026-11-26T08:15:00Z", "detected": "2026-11-26T08:16:00Z", "restored": "2026-11-26T09:15:00Z",
        "rootCauseCategory": "Power", "rootCause": "A power failure at the PoP.", "responsibleParty": "Provider",
        "correctiveActions": ["UPS replaced"]
    })
}

#[tokio::test]
async fn staff_work_a_case_from_acknowledged_to_a_final_rfo_and_the_customer_closes_it() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let customer = app.user(PermissionSet::all()).await;
    let staff = staff_token(&app).await;
    let case: Value = app
        .post_json(
            "/v2/cases",
            &customer.token,
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P1",
                   "serviceId": IdKind::Service.format(catalog.services[0]),
                   "message": "Office offline", "startOfIncident": "2026-11-26T08:15:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = case["caseId"].as_str().unwrap();
    let status = |to: &str| json!({"status": to, "reason": "working on it"});

    let moved: Value = send(
        &app,
        "POST",
        &format!("/ops/v1/cases/{id}/status"),
        &staff,
        status("InProgress"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(moved["status"], "InProgress");
    let reply = send(
        &app,
        "POST",
        &format!("/ops/v1/cases/{id}/communications"),
        &staff,
        json!({"message": "Is the CPE powered?"}),
    )
    .await;
    assert_eq!(reply.status(), 201);
    send(
        &app,
        "POST",
        &format!("/ops/v1/cases/{id}/status"),
        &staff,
        status("Pending"),
    )
    .await;
    app.post_json(
        &format!("/v2/cases/{id}/communications"),
        &customer.token,
        json!({"message": "Yes, all lights green."}),
    )
    .await;
    let detail: Value = app
        .get(&format!("/v2/cases/{id}"), &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["status"], "InProgress",
        "the customer's reply handed it back"
    );
    let provider_message = &detail["communications"][1];
    assert_eq!(provider_message["type"], "Provider");
    assert_eq!(provider_message["sentBy"], "Night Shift (provider)");

    send(
        &app,
        "POST",
        &format!("/ops/v1/cases/{id}/status"),
        &staff,
        status("Resolved"),
    )
    .await;
    let preliminary = send(
        &app,
        "PUT",
        &format!("/ops/v1/cases/{id}/rfo"),
        &staff,
        rfo("Preliminary"),
    )
    .await;
    assert_eq!(preliminary.status(), 200);
    let final_rfo: Value = send(
        &app,
        "PUT",
        &format!("/ops/v1/cases/{id}/rfo"),
        &staff,
        rfo("Final"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(final_rfo["status"], "Final");
    assert_eq!(final_rfo["version"], 2);
    let seen: Value = app
        .get(&format!("/v2/cases/{id}/rfo"), &customer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["durationMinutes"], 60);
    let back = send(
        &app,
        "PUT",
        &format!("/ops/v1/cases/{id}/rfo"),
        &staff,
        rfo("Preliminary"),
    )
    .await;
    assert_eq!(back.status(), 409);

    let closed = app
        .post_json(&format!("/v2/cases/{id}/close"), &customer.token, json!({}))
        .await;
    assert_eq!(closed.status(), 200);
    let (code, body) = problem(
        send(
            &app,
            "POST",
            &format!("/ops/v1/cases/{id}/status"),
            &staff,
            status("InProgress"),
        )
        .await,
    )
    .await;
    assert_eq!(code, 409);
    assert!(
        body["detail"].as_str().unwrap().contains("is Closed"),
        "{body}"
    );
}

#[tokio::test]
async fn only_staff_tokens_open_the_operations_api_and_they_open_nothing_else() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let admin = app.user(PermissionSet::all()).await;
    let (client_id, secret) = app
        .create_client(&admin, &["BasicRead", "SupportReadWrite", "BillingRead"])
        .await;
    let client = app.access_token(&client_id, &secret).await;
    let staff = staff_token(&app).await;
    let case: Value = app
        .post_json(
            "/v2/cases",
            &client,
            json!({"type": "NonIncident", "subject": "Other", "priority": "P5",
                   "serviceId": IdKind::Service.format(catalog.services[0]), "message": "m"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/ops/v1/cases/{}/status", case["caseId"].as_str().unwrap());
    for customer_token in [&client, &admin.token] {
        let (status, body) = problem(
            send(
                &app,
                "POST",
                &path,
                customer_token,
                json!({"status": "InProgress"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["code"], "staff_token_required");
    }
    let anonymous = app
        .http
        .post(app.at(&path))
        .json(&json!({"status": "InProgress"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let on_customer_api = app.get("/v2/cases", &staff).await;
    assert_eq!(
        on_customer_api.status(),
        401,
        "a staff token is not a customer token"
    );
    let missing = send(
        &app,
        "POST",
        "/ops/v1/cases/CASE-9999999/status",
        &staff,
        json!({"status": "InProgress"}),
    )
    .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn staff_see_every_organization_and_one_queue_of_every_customers_cases() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Initech")
        .await
        .unwrap();
    let mut opened = Vec::new();
    for org_id in [app.org_id, other_org] {
        let catalog = seed(&app, org_id, 1).await;
        let customer = app.user_in(org_id, PermissionSet::all()).await;
        let case: Value = app
            .post_json(
                "/v2/cases",
                &customer.token,
                json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
                       "serviceId": IdKind::Service.format(catalog.services[0]), "message": "A question"}),
            )
            .await
            .json()
            .await
            .unwrap();
        opened.push(case["caseId"].as_str().unwrap().to_owned());
    }

    let organizations: Value = send(&app, "GET", "/ops/v1/organizations", &staff, Value::Null)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = organizations["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Initech", "Test Org"], "by name: {organizations}");
    assert_eq!(organizations["data"][0]["users"], 1);

    let queue = send(
        &app,
        "GET",
        "/ops/v1/cases?status=Acknowledged&sort=priority,createdDate",
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(queue.headers()["x-total-count"], "2");
    let queue: Value = queue.json().await.unwrap();
    let ids: Vec<&str> = queue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["caseId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, opened.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        queue["data"][1]["organizationId"],
        IdKind::Organization.format(other_org)
    );

    let (status, body) =
        problem(send(&app, "GET", "/ops/v1/cases?state=open", &staff, Value::Null).await).await;
    assert_eq!(status, 400, "an unknown filter is named: {body}");
    let customer = app.user(PermissionSet::all()).await;
    let refused = send(&app, "GET", "/ops/v1/cases", &customer.token, Value::Null).await;
    assert_eq!(
        refused.status(),
        403,
        "a customer's token is not a staff token"
    );
}

#[tokio::test]
async fn an_rfo_may_name_only_services_of_the_cases_organization() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other Org")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let customer = app.user(PermissionSet::all()).await;
    let staff = staff_token(&app).await;
    let own = IdKind::Service.format(ours.services[0]);
    let case: Value = app
        .post_json(
            "/v2/cases",
            &customer.token,
            json!({"type": "Incident", "subject": "ServiceDown", "priority": "P1", "serviceId": own,
                   "message": "Office offline", "startOfIncident": "2026-11-26T08:15:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = case["caseId"].as_str().unwrap();
    let foreign = IdKind::Service.format(theirs.services[0]);
    let mut body = rfo("Preliminary");
    body["affectedServiceIds"] = json!([own, foreign]);

    let (status, refused) = problem(
        send(
            &app,
            "PUT",
            &format!("/ops/v1/cases/{id}/rfo"),
            &staff,
            body.clone(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["pointer"], "/affectedServiceIds/1");
    assert_eq!(refused["errors"][0]["code"], "unknown_service");
    assert!(
        refused["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&foreign),
        "{refused}"
    );
    let unpublished = app
        .get(&format!("/v2/cases/{id}/rfo"), &customer.token)
        .await;
    assert_eq!(unpublished.status(), 404, "nothing was published");

    body["affectedServiceIds"] = json!([own]);
    let published = send(
        &app,
        "PUT",
        &format!("/ops/v1/cases/{id}/rfo"),
        &staff,
        body,
    )
    .await;
    assert_eq!(published.status(), 200);
}

//! Planned maintenance (PRODUCT §8): staff announce and run it through the
//! operations API; each affected organization reads it in API V2 with only its
//! own services, and hears of every step in its event feed.

use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use serde_json::{Value, json};

use crate::catalog::seed;
use crate::helpers::{TestApp, perms, problem, spawn_app};
use crate::operations::staff_token;

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    problem(
        app.http
            .request(method.parse().unwrap(), app.at(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// RFC 3339 for `days` from now, at whole seconds.
fn days_from_now(days: f64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds_f64(days * 86_400.0);
    at.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn svc(id: i64) -> String {
    IdKind::Service.format(id)
}

fn announcement(reference: &str, services: &[(i64, &str)], start_days: f64) -> Value {
    json!({
        "providerReference": reference,
        "title": "Core router software upgrade",
        "reason": "Upgrading the core routers in AMS1 to a release that fixes a BGP memory leak.",
        "startDate": days_from_now(start_days),
        "endDate": days_from_now(start_days + 0.25),
        "services": services.iter().map(|(id, impact)| json!({"serviceId": svc(*id), "impact": impact})).collect::<Vec<_>>(),
    })
}

fn listed(page: &Value, field: &str) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_str().unwrap().to_owned())
        .collect()
}

fn service_ids(maintenance: &Value) -> Vec<String> {
    maintenance["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceId"].as_str().unwrap().to_owned())
        .collect()
}

/// The maintenance event types in the organization's feed, oldest first.
async fn maintenance_events(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let page = app.get_json("/v2/events?limit=100", token).await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("maintenance."))
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_maintenance_reaches_each_affected_organization_with_only_its_services_through_its_life() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let bystander_org = oneportal_store::orgs::create_organization(app.db(), "Bystander")
        .await
        .unwrap();
    seed(&app, bystander_org, 1).await;
    let staff = staff_token(&app).await;
    let us = app.user(PermissionSet::all()).await;
    let them = app.user_in(other_org, PermissionSet::all()).await;
    let bystander = app.user_in(bystander_org, PermissionSet::all()).await;

    let (status, created) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &staff,
        announcement(
            "CHG-1001",
            &[
                (ours.services[0], "OUTAGE"),
                (ours.services[1], "NO-IMPACT"),
                (theirs.services[0], "DEGRADED"),
            ],
            3.0,
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["maintenanceId"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "CONFIRMED");
    assert_eq!(created["revision"], 1);
    assert_eq!(created["shortNotice"], true, "3 days ahead is short notice");
    assert_eq!(created["impact"], "OUTAGE");
    assert_eq!(service_ids(&created).len(), 3, "staff see every service");

    // Each organization sees the maintenance with its own services only.
    let mine = app.get_json(&format!("/v2/maintenances/{id}"), &us.token).await;
    assert_eq!(
        service_ids(&mine),
        vec![svc(ours.services[0]), svc(ours.services[1])]
    );
    assert_eq!(mine["impact"], "OUTAGE");
    let theirs_view = app
        .get_json(&format!("/v2/maintenances/{id}"), &them.token)
        .await;
    assert_eq!(service_ids(&theirs_view), vec![svc(theirs.services[0])]);
    assert_eq!(theirs_view["impact"], "DEGRADED", "the highest impact they see");
    let response = app
        .get(&format!("/v2/maintenances/{id}"), &bystander.token)
        .await;
    assert_eq!(response.status(), 404);
    let none = app.get_json("/v2/maintenances", &bystander.token).await;
    assert_eq!(none["data"], json!([]));

    // Rescheduled: the window moves, the revision rises, notice counts anew.
    let (status, moved) = send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"startDate": days_from_now(20.0), "endDate": days_from_now(20.25), "note": "supplier delay"}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "RE-SCHEDULED");
    assert_eq!(moved["revision"], 2);
    assert_eq!(moved["shortNotice"], false, "20 days ahead, announced now");

    // A change that changes nothing is not a revision.
    let (status, same) = send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"title": "Core router software upgrade"}),
    )
    .await;
    assert_eq!((status, same["revision"].clone()), (200, json!(2)));

    for (to, expected) in [
        ("CONFIRMED", "CONFIRMED"),
        ("IN-PROCESS", "IN-PROCESS"),
        ("COMPLETED", "COMPLETED"),
    ] {
        let (status, body) = send(
            &app,
            "POST",
            &format!("/ops/v1/maintenances/{id}/status"),
            &staff,
            json!({ "status": to }),
        )
        .await;
        assert_eq!(status, 200, "{to}: {body}");
        assert_eq!(body["status"], expected);
    }

    // Completed is final.
    let (status, refused) = send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"title": "Again"}),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("final"));

    // Every step reached both affected organizations, and nobody else.
    let steps = vec![
        ("maintenance.scheduled".to_owned(), "CONFIRMED".to_owned()),
        ("maintenance.updated".to_owned(), "RE-SCHEDULED".to_owned()),
        ("maintenance.updated".to_owned(), "CONFIRMED".to_owned()),
        ("maintenance.started".to_owned(), "IN-PROCESS".to_owned()),
        ("maintenance.completed".to_owned(), "COMPLETED".to_owned()),
    ];
    assert_eq!(maintenance_events(&app, &us.token).await, steps);
    assert_eq!(maintenance_events(&app, &them.token).await, steps);
    assert_eq!(maintenance_events(&app, &bystander.token).await, vec![]);

    // The history says who did what.
    let history = app
        .get_json(&format!("/ops/v1/maintenances/{id}/history"), &staff)
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["announced", "rescheduled", "confirmed", "started", "completed"]
    );
    assert_eq!(history[1]["note"], "supplier delay");
    assert!(history[0]["actor"].as_str().unwrap().starts_with("STF-"));
}

#[tokio::test]
async fn staff_changes_are_checked_and_every_refusal_says_why() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let service = ours.services[0];

    let bad = [
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "startDate": days_from_now(30.0),
                   "endDate": days_from_now(29.0), "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]}),
            "/endDate",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "startDate": days_from_now(30.0),
                   "endDate": days_from_now(31.0), "services": [{"serviceId": "SVC-999999", "impact": "OUTAGE"}]}),
            "/services/0/serviceId",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "startDate": days_from_now(30.0),
                   "endDate": days_from_now(31.0), "services": [{"serviceId": svc(service), "impact": "OUTAGE"},
                   {"serviceId": svc(service), "impact": "DEGRADED"}]}),
            "/services/1/serviceId",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "  ", "reason": "R", "startDate": days_from_now(30.0),
                   "endDate": days_from_now(31.0), "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]}),
            "/title",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "startDate": "next tuesday",
                   "endDate": days_from_now(31.0), "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]}),
            "/startDate",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "startDate": days_from_now(30.0),
                   "endDate": days_from_now(31.0), "services": []}),
            "/services",
        ),
        (
            json!({"providerReference": "CHG-1", "title": "T", "reason": "R", "status": "COMPLETED",
                   "startDate": days_from_now(30.0), "endDate": days_from_now(31.0),
                   "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]}),
            "/status",
        ),
    ];
    for (body, pointer) in bad {
        let (status, problem) = send(&app, "POST", "/ops/v1/maintenances", &staff, body).await;
        assert_eq!(status, 422, "{pointer}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    let (status, unknown) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &staff,
        json!({"providerReference": "CHG-1", "impact": "LOTS"}),
    )
    .await;
    assert_eq!(status, 422, "{unknown}");
    assert_eq!(unknown["errors"][0]["pointer"], "/impact");

    let (status, created) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &staff,
        announcement("CHG-2", &[(service, "OUTAGE")], 40.0),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["shortNotice"], false);
    let id = created["maintenanceId"].as_str().unwrap().to_owned();
    let (status, taken) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &staff,
        announcement("CHG-2", &[(service, "OUTAGE")], 40.0),
    )
    .await;
    assert_eq!((status, taken["code"].clone()), (409, json!("reference_taken")));

    // The lifecycle: a move it does not allow names the ones it does.
    let (status, refused) = send(
        &app,
        "POST",
        &format!("/ops/v1/maintenances/{id}/status"),
        &staff,
        json!({"status": "COMPLETED"}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        refused["detail"].as_str().unwrap().contains("IN-PROCESS, CANCELLED"),
        "{refused}"
    );
    send(
        &app,
        "POST",
        &format!("/ops/v1/maintenances/{id}/status"),
        &staff,
        json!({"status": "IN-PROCESS"}),
    )
    .await;
    let (status, refused) = send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"startDate": days_from_now(41.0)}),
    )
    .await;
    assert_eq!(status, 409, "the start of work in process stays: {refused}");
    let (status, longer) = send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"endDate": days_from_now(40.5)}),
    )
    .await;
    assert_eq!((status, longer["status"].clone()), (200, json!("IN-PROCESS")));

    // Customers cannot reach the operations API, and staff ids that are not there are 404.
    let customer = app.user(PermissionSet::all()).await;
    let (status, _) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &customer.token,
        announcement("CHG-3", &[(service, "OUTAGE")], 40.0),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(&app, "GET", "/ops/v1/maintenances/MNT-999999", &staff, json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn customers_filter_maintenances_and_need_support_view() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 2).await;
    let staff = staff_token(&app).await;
    let mut ids = Vec::new();
    for (n, service) in ours.services.iter().take(3).enumerate() {
        let (status, created) = send(
            &app,
            "POST",
            "/ops/v1/maintenances",
            &staff,
            announcement(&format!("CHG-F{n}"), &[(*service, "DEGRADED")], 20.0 + n as f64),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["maintenanceId"].as_str().unwrap().to_owned());
    }
    send(
        &app,
        "POST",
        &format!("/ops/v1/maintenances/{}/status", ids[0]),
        &staff,
        json!({"status": "CANCELLED"}),
    )
    .await;
    let reader = app.user(perms(&[Permission::SupportView])).await;

    let all = app.get_json("/v2/maintenances", &reader.token).await;
    assert_eq!(listed(&all, "maintenanceId"), [ids[2].clone(), ids[1].clone(), ids[0].clone()], "newest window first");
    let by_service = app
        .get_json(
            &format!("/v2/maintenances?serviceId={}", svc(ours.services[1])),
            &reader.token,
        )
        .await;
    assert_eq!(listed(&by_service, "maintenanceId"), [ids[1].clone()]);
    let confirmed = app
        .get_json("/v2/maintenances?status=CONFIRMED&sort=startDate", &reader.token)
        .await;
    assert_eq!(listed(&confirmed, "maintenanceId"), [ids[1].clone(), ids[2].clone()]);
    let later = app
        .get_json(
            &format!("/v2/maintenances?startDate.gte={}", days_from_now(21.5).replace('+', "%2B")),
            &reader.token,
        )
        .await;
    assert_eq!(listed(&later, "maintenanceId"), [ids[2].clone()]);
    let response = app
        .get("/v2/maintenances?status=Confirmed", &reader.token)
        .await;
    let (status, body) = problem(response).await;
    assert_eq!(status, 400, "statuses are the BCOP's tokens: {body}");

    // Without Support (View), or with a client without support.read, there is nothing to read.
    let billing = app.user(perms(&[Permission::BillingView])).await;
    assert_eq!(app.get("/v2/maintenances", &billing.token).await.status(), 403);
    let owner = app.developer().await;
    let (client, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let basic = app.access_token(&client, &secret).await;
    assert_eq!(app.get("/v2/maintenances", &basic).await.status(), 403);
    assert_eq!(
        app.get(&format!("/v2/maintenances/{}", ids[1]), &basic).await.status(),
        403
    );
}

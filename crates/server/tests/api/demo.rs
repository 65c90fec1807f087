//! `serve --demo`: the demo organization is complete enough to try every part.

use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::spawn_app;

/// Seeds the demo into `app` and answers a token of its admin.
async fn seeded_admin(app: &crate::helpers::TestApp) -> String {
    crate::hygiene::record("password", "demo-password-1");
    oneportal::demo::seed(&app.app.state, "demo-password-1")
        .await
        .unwrap();
    let admin = oneportal_store::users::find_by_email(app.db(), "admin@acme.example")
        .await
        .unwrap()
        .unwrap();
    app.user_token(admin.id).await
}

#[tokio::test]
async fn the_demo_has_cases_in_every_status_and_a_final_rfo() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let cases: Value = app
        .get("/v2/cases?limit=200", &token)
        .await
        .json()
        .await
        .unwrap();
    let statuses: HashSet<&str> = cases["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    for status in [
        "Acknowledged",
        "InProgress",
        "Pending",
        "Held",
        "Resolved",
        "Closed",
        "Cancelled",
        "Rejected",
    ] {
        assert!(
            statuses.contains(status),
            "a demo case is {status}: {statuses:?}"
        );
    }
    let with_final_rfo = cases["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rfo"]["status"] == "Final")
        .expect("an incident with a final RFO");
    let id = with_final_rfo["caseId"].as_str().unwrap();
    let rfo: Value = app
        .get(&format!("/v2/cases/{id}/rfo"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rfo["version"], 2, "preliminary first, then final");
    let pdf = app
        .get(&format!("/v2/cases/{id}/rfo/document"), &token)
        .await;
    assert_eq!(pdf.status(), 200);

    // Seeding again (a restart with --demo) adds nothing.
    crate::hygiene::record("password", "demo-password-1");
    oneportal::demo::seed(&app.app.state, "demo-password-1")
        .await
        .unwrap();
    let again: Value = app
        .get("/v2/cases?limit=1", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["pagination"]["total"], cases["pagination"]["total"]);
}

#[tokio::test]
async fn the_demo_has_maintenance_past_soon_later_and_tentative_without_mailing_it() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let page: Value = app
        .get_json("/v2/maintenances?sort=startDate", &token)
        .await;
    let seen: Vec<(&str, bool)> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["status"].as_str().unwrap(),
                m["shortNotice"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("COMPLETED", true),
            ("CONFIRMED", true),
            ("CONFIRMED", false),
            ("TENTATIVE", false)
        ]
    );
    // The demo's history is not news: nobody was mailed about it.
    crate::notifications::write_all(&app).await;
    let mailed = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    assert!(
        mailed.iter().all(|m| !m.subject.contains("MNT-")),
        "{mailed:?}"
    );
    // A second start changes nothing.
    oneportal::demo::seed(&app.app.state, "demo-password-1")
        .await
        .unwrap();
    let again: Value = app.get_json("/v2/maintenances", &token).await;
    assert_eq!(again["data"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn the_demo_has_a_service_down_with_its_proactive_case_one_degraded_and_an_unmatched_alert() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let troubled: Value = app
        .get("/v2/services?health=Down,Degraded&sort=health", &token)
        .await
        .json()
        .await
        .unwrap();
    let health: Vec<&str> = troubled["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["health"].as_str().unwrap())
        .collect();
    assert_eq!(health, ["Degraded", "Down"]);
    let proactive: Value = app
        .get("/v2/cases?origin=Monitoring&status=Acknowledged", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        proactive["data"].as_array().unwrap().len(),
        2,
        "{proactive}"
    );
    let staff = crate::operations::staff_token(&app).await;
    let unmatched = app.get_json("/ops/v1/alerts?show=unmatched", &staff).await;
    assert_eq!(unmatched[0]["serviceLabel"], "SVC-999999");
}

#[tokio::test]
async fn the_demo_has_a_deactivation_waiting_for_the_customers_confirmation() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let page: Value = app.get_json("/v2/deactivation-requests", &token).await;
    let requests = page["data"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{page}");
    let request = &requests[0];
    assert_eq!(request["status"], "PendingConfirmation");
    assert_eq!(request["terms"]["fee"]["amount"], "450.00");
    assert_eq!(request["localContact"]["name"], "Marta Ruiz");
    // The demo's history is not news: nobody was mailed about it.
    crate::notifications::write_all(&app).await;
    let mailed = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    assert!(
        mailed.iter().all(|m| !m.subject.contains("DRQ-")),
        "{mailed:?}"
    );
}

#[tokio::test]
async fn the_demo_has_an_order_in_delivery_with_a_late_milestone_and_a_delay() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let page: Value = app.get_json("/v2/orders", &token).await;
    let orders = page["data"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{page}");
    let order = &orders[0];
    assert_eq!(order["status"], "InDelivery");
    assert_eq!(order["late"], true, "the supplier order is late: {order}");
    assert_eq!(order["lines"][0]["delays"].as_array().unwrap().len(), 1);
    let services: Value = app
        .get_json("/v2/services?status=InProgress&limit=200", &token)
        .await;
    let names: Vec<&str> = services["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Internet Madrid backup"), "{names:?}");
    crate::notifications::write_all(&app).await;
    let mailed = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    assert!(
        mailed.iter().all(|m| !m.subject.contains("ORD-")),
        "{mailed:?}"
    );
}

#[tokio::test]
async fn the_demo_has_a_quote_waiting_for_an_answer_in_its_second_version() {
    let app = spawn_app().await;
    let token = seeded_admin(&app).await;
    let page: Value = app.get_json("/v2/quotes?status=Sent", &token).await;
    let quotes = page["data"].as_array().unwrap();
    assert_eq!(quotes.len(), 1, "{page}");
    let quote = &quotes[0];
    assert_eq!(
        quote["version"], 2,
        "the demo revised its quote once: {quote}"
    );
    assert_eq!(quote["lines"].as_array().unwrap().len(), 2);
    assert_eq!(quote["monthlyTotal"], "940.00");
    // Nobody is mailed about the demo's own history.
    crate::notifications::write_all(&app).await;
    let mailed = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    assert!(
        mailed.iter().all(|m| !m.subject.contains("QUO-")),
        "{mailed:?}"
    );
}

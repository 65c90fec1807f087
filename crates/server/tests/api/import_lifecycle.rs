//! Quotes and orders in the provider's import (PRODUCT §10): keyed by the
//! provider's references, carried out like the staff pages (versions, events,
//! milestones in order), idempotent, and checked whole before anything is
//! written.

use oneportal_domain::PermissionSet;
use oneportal_domain::ids::IdKind;
use oneportal_store::provisioning::{self, Keyed};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::imports::{document, import, organization};
use crate::operations::staff_token;

fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// The customer of `imports::document` with a quote and an order.
fn lifecycle(monthly: &str, milestones: Value) -> Value {
    let mut document = document("crm-lifecycle", "RFS");
    document["quotes"] = json!([{
        "ref": "Q-IMP-1", "organizationRef": "crm-lifecycle",
        "contractAccountRef": "C-1", "deliveryAccountRef": "D-1",
        "title": "A second line", "currency": "EUR", "validUntil": day(30),
        "lines": [{"siteRef": "S-1", "product": "Broadband 200 Mbit/s", "serviceType": "GlobalInternet",
                   "downstreamMbps": 200, "upstreamMbps": 20, "termMonths": 24,
                   "oneTimePrice": "99.00", "monthlyPrice": monthly, "leadTimeDays": 30}]
    }]);
    document["orders"] = json!([{
        "ref": "SO-IMP-1", "organizationRef": "crm-lifecycle",
        "contractAccountRef": "C-1", "deliveryAccountRef": "D-1", "purchaseOrder": "PO-1",
        "receivedDate": day(-10),
        "lines": [{"serviceRef": "V-NEW", "siteRef": "S-1", "serviceName": "Internet backup",
                   "serviceType": "GlobalInternet", "product": "Broadband 200 Mbit/s",
                   "milestones": milestones}]
    }]);
    document
}

async fn summary(app: &TestApp, staff: &str, document: &Value) -> Value {
    let (status, body) = problem(import(app, staff, document).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn imported_quotes_and_orders_follow_the_back_office_and_importing_again_changes_nothing() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let started = json!({
        "SiteSurvey": {"plannedDate": day(-5), "actualDate": day(-4)},
        "SupplierOrdered": {"plannedDate": day(5)},
        "ReadyForService": {"plannedDate": day(40)},
    });
    let first = summary(&app, &staff, &lifecycle("49.00", started.clone())).await;
    assert_eq!(first["quotes"]["created"], 1, "{first}");
    assert_eq!(first["orders"]["created"], 1, "{first}");

    let org_id = organization(&app, "crm-lifecycle").await.unwrap();
    let customer = app.user_in(org_id, PermissionSet::all()).await;
    let quotes = app.get_json("/v2/quotes", &customer.token).await;
    assert_eq!(quotes["data"][0]["status"], "Sent", "{quotes}");
    assert_eq!(quotes["data"][0]["version"], 1);
    let orders = app.get_json("/v2/orders", &customer.token).await;
    let order = &orders["data"][0];
    assert_eq!(order["orderReference"], "SO-IMP-1");
    let milestone = |order: &Value, name: &str| {
        order["lines"][0]["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["milestone"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(milestone(order, "OrderReceived")["actualDate"], day(-10));
    assert_eq!(milestone(order, "SiteSurvey")["actualDate"], day(-4));
    assert_eq!(milestone(order, "ReadyForService")["plannedDate"], day(40));
    // The new service carries the document's reference, so later imports name it.
    let service = provisioning::find(app.db(), Keyed::Service { org_id }, "V-NEW")
        .await
        .unwrap()
        .expect("the order's service took its reference");
    assert_eq!(
        order["lines"][0]["serviceId"],
        IdKind::Service.format(service)
    );

    // The same document again: nothing changes, no event is added.
    let events = app.get_json("/v2/events?limit=100", &customer.token).await["data"]
        .as_array()
        .unwrap()
        .len();
    let again = summary(&app, &staff, &lifecycle("49.00", started)).await;
    assert_eq!(again["quotes"]["unchanged"], 1, "{again}");
    assert_eq!(again["orders"]["unchanged"], 1, "{again}");
    let after = app.get_json("/v2/events?limit=100", &customer.token).await;
    assert_eq!(after["data"].as_array().unwrap().len(), events, "{after}");

    // The back office lowers the price and records the delivery to its end.
    let mut delivered = json!({});
    for (n, name) in [
        "SiteSurvey",
        "SupplierOrdered",
        "InstallationScheduled",
        "Installed",
        "Tested",
        "ReadyForService",
    ]
    .iter()
    .enumerate()
    {
        delivered[name] = json!({"actualDate": day(-4 + n as i64)});
    }
    let changed = summary(&app, &staff, &lifecycle("45.00", delivered)).await;
    assert_eq!(changed["quotes"]["updated"], 1, "{changed}");
    assert_eq!(changed["orders"]["updated"], 1, "{changed}");
    let quote = &app.get_json("/v2/quotes", &customer.token).await["data"][0];
    assert_eq!(
        (quote["version"].clone(), quote["monthlyTotal"].clone()),
        (json!(2), json!("45.00"))
    );
    let order = &app.get_json("/v2/orders", &customer.token).await["data"][0];
    assert_eq!(order["status"], "Delivered", "{order}");
    let service = app
        .get_json(
            &format!("/v2/services/{}", IdKind::Service.format(service)),
            &customer.token,
        )
        .await;
    assert_eq!(service["status"], "RFS");
    assert_eq!(service["readyForServiceDate"], day(1));
}

#[tokio::test]
async fn an_order_placed_in_oneportal_takes_its_service_references_from_the_import() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    summary(&app, &staff, &document("crm-lifecycle", "RFS")).await;
    let org_id = organization(&app, "crm-lifecycle").await.unwrap();
    let db = app.db();
    let id = |keyed, reference| async move {
        provisioning::find(db, keyed, reference)
            .await
            .unwrap()
            .unwrap()
    };
    let contract = id(Keyed::Account { org_id }, "C-1").await;
    let delivery = id(Keyed::Account { org_id }, "D-1").await;
    let site = id(Keyed::Site { org_id }, "S-1").await;
    let (status, placed) = problem(
        crate::operations::send(
            &app,
            "POST",
            "/ops/v1/orders",
            &staff,
            json!({
                "organizationId": IdKind::Organization.format(org_id),
                "orderReference": "Q-ACCEPTED",
                "contractAccountId": IdKind::Account.format(contract),
                "deliveryAccountId": IdKind::Account.format(delivery),
                "lines": [{"siteId": IdKind::Site.format(site), "serviceName": "From a quote",
                           "serviceType": "Ethernet", "product": "Ethernet 1 Gbit/s"}],
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let service_id = placed["lines"][0]["serviceId"].as_str().unwrap().to_owned();

    let mut document = document("crm-lifecycle", "RFS");
    let line = |service_id: Option<&str>| {
        json!({"serviceRef": "V-Q", "serviceId": service_id, "siteRef": "S-1", "serviceName": "From a quote",
               "serviceType": "Ethernet", "product": "Ethernet 1 Gbit/s",
               "milestones": {"SiteSurvey": {"actualDate": day(0)}}})
    };
    document["orders"] = json!([{
        "ref": "Q-ACCEPTED", "organizationRef": "crm-lifecycle",
        "contractAccountRef": "C-1", "deliveryAccountRef": "D-1",
        "lines": [line(None)]
    }]);
    // Without the service's id the reference names nothing: refused, naming what to add.
    let (status, refused) = problem(import(&app, &staff, &document).await).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("serviceId"), "{refused}");
    document["orders"][0]["lines"] = json!([line(Some(&service_id))]);
    let done = summary(&app, &staff, &document).await;
    assert_eq!(done["orders"]["updated"], 1, "{done}");
    let bound = provisioning::find(app.db(), Keyed::Service { org_id }, "V-Q")
        .await
        .unwrap();
    assert_eq!(bound.map(|id| IdKind::Service.format(id)), Some(service_id));
}

#[tokio::test]
async fn a_bad_quote_or_order_is_refused_with_the_whole_document() {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let mut bad = lifecycle(
        "-1",
        json!({"Installed": {"actualDate": day(0)}, "Sideways": {"plannedDate": day(1)}}),
    );
    bad["quotes"][0]["lines"][0]["siteRef"] = json!("S-404");
    bad["quotes"][0]["currency"] = json!("euro");
    let (status, refused) = problem(import(&app, &staff, &bad).await).await;
    assert_eq!(status, 422, "{refused}");
    let mut pointers: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/orders/0/lines/0/milestones/Installed",
            "/orders/0/lines/0/milestones/Sideways",
            "/quotes/0/currency",
            "/quotes/0/lines/0/monthlyPrice",
            "/quotes/0/lines/0/siteRef",
        ],
        "{refused}"
    );
    assert_eq!(
        organization(&app, "crm-lifecycle").await,
        None,
        "nothing was written"
    );
}

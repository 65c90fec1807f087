//! Orders in delivery (PRODUCT §10): staff place an order and record its
//! milestones through the operations API; the customer follows each line's
//! timeline in API V2 (`customerapi/orders.read`) and the portal, with late
//! milestones marked and delays explained; a line ready for service makes its
//! service RFS, and the last one delivers the order. Every step is an event.

use oneportal_domain::Permission;
use oneportal_domain::ids::IdKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, person};
use crate::catalog::seed;
use crate::helpers::{TestApp, perms, problem, spawn_app};
use crate::operations::staff_token;

fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    problem(crate::operations::send(app, method, path, token, body).await).await
}

/// The body of an order with a line per site, for the test organization's first
/// contract account and its delivery account.
pub(crate) fn order_body(
    app: &TestApp,
    reference: &str,
    contract: i64,
    delivery: i64,
    sites: &[i64],
) -> Value {
    json!({
        "organizationId": IdKind::Organization.format(app.org_id),
        "orderReference": reference,
        "contractAccountId": IdKind::Account.format(contract),
        "deliveryAccountId": IdKind::Account.format(delivery),
        "purchaseOrder": "PO-7781",
        "lines": sites.iter().enumerate().map(|(n, site)| json!({
            "siteId": IdKind::Site.format(*site),
            "serviceName": format!("New internet {n}"),
            "serviceType": "GlobalInternet",
            "product": "Dedicated Internet Access 500 Mbit/s, 36 months",
            "downstreamMbps": 500, "upstreamMbps": 500,
            "plannedDates": {"SiteSurvey": day(-2), "SupplierOrdered": day(5), "ReadyForService": day(40)},
        })).collect::<Vec<_>>(),
    })
}

/// The delivery account of the seeded catalog's services.
async fn delivery_account(app: &TestApp, service: i64, token: &str) -> i64 {
    let service = app
        .get_json(
            &format!("/v2/services/{}", IdKind::Service.format(service)),
            token,
        )
        .await;
    IdKind::Account
        .parse(service["deliveryAccountId"].as_str().unwrap())
        .unwrap()
}

fn line(order: &Value, n: usize) -> &Value {
    &order["lines"][n]
}

fn milestone<'a>(order: &'a Value, n: usize, name: &str) -> &'a Value {
    line(order, n)["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["milestone"] == name)
        .unwrap()
}

#[tokio::test]
async fn staff_deliver_an_order_milestone_by_milestone_and_the_customer_follows_it() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let orders_view = perms(&[Permission::SitesServicesView, Permission::OrdersView]);
    let (user_id, email) = person(&app, orders_view).await;
    let token = app.user_token(user_id).await;
    let delivery = delivery_account(&app, catalog.services[0], &token).await;

    let (status, placed) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(&app, "SO-1", catalog.contract[0], delivery, &catalog.sites),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["orderId"].as_str().unwrap().to_owned();
    assert_eq!(placed["status"], "InDelivery");
    assert_eq!(milestone(&placed, 0, "OrderReceived")["actualDate"], day(0));
    // The site survey was planned for two days ago and is not done: late.
    assert_eq!(milestone(&placed, 0, "SiteSurvey")["late"], true);
    assert_eq!(placed["late"], true);
    let service_ids: Vec<String> = placed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["serviceId"].as_str().unwrap().to_owned())
        .collect();
    let service = app
        .get_json(&format!("/v2/services/{}", service_ids[0]), &token)
        .await;
    assert_eq!(service["status"], "InProgress");
    assert_eq!(service["plannedDeliveryDate"], day(40));

    // The same reference twice is refused; a wrong account or site is named.
    let (status, _) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(&app, "SO-1", catalog.contract[0], delivery, &catalog.sites),
    )
    .await;
    assert_eq!(status, 409);
    let (status, wrong) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(&app, "SO-2", delivery, catalog.contract[0], &[999_999]),
    )
    .await;
    assert_eq!(status, 422, "{wrong}");
    let mut pointers: Vec<&str> = wrong["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/contractAccountId",
            "/deliveryAccountId",
            "/lines/0/siteId"
        ]
    );

    // Milestones in order, each once.
    let reach = |svc: &str, name: &str| json!({"serviceId": svc, "milestone": name});
    let path = format!("/ops/v1/orders/{id}/milestones");
    let (status, refused) = send(
        &app,
        "POST",
        &path,
        &staff,
        reach(&service_ids[0], "Installed"),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Site survey comes first")
    );
    let (status, surveyed) = send(
        &app,
        "POST",
        &path,
        &staff,
        reach(&service_ids[0], "SiteSurvey"),
    )
    .await;
    assert_eq!(status, 200, "{surveyed}");
    assert_eq!(milestone(&surveyed, 0, "SiteSurvey")["actualDate"], day(0));
    let (status, _) = send(
        &app,
        "POST",
        &path,
        &staff,
        reach(&service_ids[0], "SiteSurvey"),
    )
    .await;
    assert_eq!(status, 409, "reached once");

    // A delay moves the planned day with its reason; the RFS delay moves the service's planned delivery.
    let (status, delayed) = send(&app, "POST", &format!("/ops/v1/orders/{id}/delays"), &staff,
        json!({"serviceId": service_ids[0], "milestone": "ReadyForService", "plannedDate": day(55), "reason": "The landlord has not granted building access yet."})).await;
    assert_eq!(status, 200, "{delayed}");
    assert_eq!(
        milestone(&delayed, 0, "ReadyForService")["plannedDate"],
        day(55)
    );
    assert_eq!(
        line(&delayed, 0)["delays"][0]["reason"],
        "The landlord has not granted building access yet."
    );
    assert_eq!(
        line(&delayed, 0)["delays"][0]["previousPlannedDate"],
        day(40)
    );
    let service = app
        .get_json(&format!("/v2/services/{}", service_ids[0]), &token)
        .await;
    assert_eq!(service["plannedDeliveryDate"], day(55));
    let (status, _) = send(&app, "POST", &format!("/ops/v1/orders/{id}/delays"), &staff,
        json!({"serviceId": service_ids[0], "milestone": "SiteSurvey", "plannedDate": day(3), "reason": "x"})).await;
    assert_eq!(status, 409, "a reached milestone is not delayed");

    // Every line to ready for service: services RFS, then the order delivered.
    for svc in &service_ids {
        for name in [
            "SiteSurvey",
            "SupplierOrdered",
            "InstallationScheduled",
            "Installed",
            "Tested",
            "ReadyForService",
        ] {
            let (status, answer) = send(&app, "POST", &path, &staff, reach(svc, name)).await;
            assert!(
                status == 200 || (status == 409 && name == "SiteSurvey" && svc == &service_ids[0]),
                "{name}: {answer}"
            );
        }
        let service = app.get_json(&format!("/v2/services/{svc}"), &token).await;
        assert_eq!(service["status"], "RFS");
        assert_eq!(service["readyForServiceDate"], day(0));
    }
    let order = app.get_json(&format!("/v2/orders/{id}"), &token).await;
    assert_eq!(order["status"], "Delivered");
    assert_eq!(order["late"], false);
    assert_eq!(line(&order, 1)["nextMilestone"], Value::Null);
    let (status, _) = send(&app, "POST", &format!("/ops/v1/orders/{id}/delays"), &staff,
        json!({"serviceId": service_ids[0], "milestone": "Tested", "plannedDate": day(3), "reason": "x"})).await;
    assert_eq!(status, 409, "a delivered order no longer changes");

    // The feed tells each step, in order.
    let page = app
        .get_json(
            "/v2/events?limit=100&types=order.created,order.milestone_delayed,order.delivered",
            &token,
        )
        .await;
    let types: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "order.created",
            "order.milestone_delayed",
            "order.delivered"
        ]
    );
    let page = app
        .get_json("/v2/events?limit=100&types=order.milestone_reached", &token)
        .await;
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        12,
        "six milestones after the order's receipt, per line"
    );

    // The portal: Orders, the order's timeline with its delay.
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let list = browser.page("/portal/orders").await;
    assert!(list.contains("SO-1") && list.contains("PO-7781"), "{list}");
    let page = browser.page(&format!("/portal/orders/{id}")).await;
    assert!(
        page.contains("Ready for service") && page.contains("building access"),
        "{page}"
    );
}

#[tokio::test]
async fn orders_need_orders_view_and_its_scope() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let all = app.user(oneportal_domain::PermissionSet::all()).await;
    let delivery = delivery_account(&app, catalog.services[0], &all.token).await;
    let (status, placed) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(
            &app,
            "SO-9",
            catalog.contract[0],
            delivery,
            &catalog.sites[..1],
        ),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["orderId"].as_str().unwrap();

    // A person without Orders (View): no orders page, no orders in the API.
    let support = perms(&[Permission::SitesServicesView, Permission::SupportView]);
    let other = app.user(support).await;
    assert_eq!(app.get("/v2/orders", &other.token).await.status(), 403);
    let mut browser = Browser::signed_in(&app, support).await;
    assert_eq!(
        browser.get("/portal/orders").await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(
        !browser
            .page("/portal/")
            .await
            .contains("href=\"/portal/orders\"")
    );

    // OrdersRead is granted only by someone with Orders (View), and reads orders.
    let developer = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::DeveloperPortal,
            Permission::OrdersApprove,
        ]))
        .await;
    let response = app
        .post_json(
            "/v2/api-clients",
            &developer.token,
            json!({"apiClientName": "orders", "scopes": ["OrdersRead"]}),
        )
        .await;
    let (status, refused) = problem(response).await;
    assert!(status == 403 || status == 422, "{status} {refused}");
    assert!(refused.to_string().contains("Orders (View)"), "{refused}");
    let (client, secret) = app.create_client(&all, &["OrdersRead"]).await;
    let token = app.access_token(&client, &secret).await;
    let order = app.get_json(&format!("/v2/orders/{id}"), &token).await;
    assert_eq!(order["orderReference"], "SO-9");
    assert_eq!(
        app.get("/v2/services", &token).await.status(),
        403,
        "orders.read reads orders only"
    );
}

#[tokio::test]
async fn a_cancelled_order_stops_its_undelivered_services_and_says_why() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let all = app.user(oneportal_domain::PermissionSet::all()).await;
    let delivery = delivery_account(&app, catalog.services[0], &all.token).await;
    let (_, placed) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(&app, "SO-5", catalog.contract[0], delivery, &catalog.sites),
    )
    .await;
    let id = placed["orderId"].as_str().unwrap().to_owned();
    let services: Vec<String> = placed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["serviceId"].as_str().unwrap().to_owned())
        .collect();
    // The first line is delivered before the order is cancelled.
    for name in [
        "SiteSurvey",
        "SupplierOrdered",
        "InstallationScheduled",
        "Installed",
        "Tested",
        "ReadyForService",
    ] {
        let (status, _) = send(
            &app,
            "POST",
            &format!("/ops/v1/orders/{id}/milestones"),
            &staff,
            json!({"serviceId": services[0], "milestone": name}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, missing) = send(
        &app,
        "POST",
        &format!("/ops/v1/orders/{id}/cancel"),
        &staff,
        json!({"reason": " "}),
    )
    .await;
    assert_eq!(
        (status, missing["errors"][0]["pointer"].as_str()),
        (422, Some("/reason"))
    );
    let (status, cancelled) = send(
        &app,
        "POST",
        &format!("/ops/v1/orders/{id}/cancel"),
        &staff,
        json!({"reason": "The site lease fell through."}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "Cancelled");
    assert_eq!(cancelled["late"], false, "a cancelled order is never late");
    let status_of = |svc: String| {
        let app = &app;
        let token = all.token.clone();
        async move {
            app.get_json(&format!("/v2/services/{svc}"), &token).await["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        status_of(services[0].clone()).await,
        "RFS",
        "the delivered service stays"
    );
    assert_eq!(status_of(services[1].clone()).await, "Deactivated");
    let (status, _) = send(
        &app,
        "POST",
        &format!("/ops/v1/orders/{id}/cancel"),
        &staff,
        json!({"reason": "again"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = send(
        &app,
        "POST",
        &format!("/ops/v1/orders/{id}/milestones"),
        &staff,
        json!({"serviceId": services[1], "milestone": "SiteSurvey"}),
    )
    .await;
    assert_eq!(
        status, 409,
        "a cancelled order's milestones no longer change"
    );
    let page = app
        .get_json("/v2/events?types=order.cancelled", &all.token)
        .await;
    assert_eq!(
        page["data"][0]["data"]["reason"],
        "The site lease fell through."
    );
}

#[tokio::test]
async fn staff_record_delay_and_cancel_from_their_pages() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let all = app.user(oneportal_domain::PermissionSet::all()).await;
    let delivery = delivery_account(&app, catalog.services[0], &all.token).await;
    let (_, placed) = send(
        &app,
        "POST",
        "/ops/v1/orders",
        &staff,
        order_body(
            &app,
            "SO-7",
            catalog.contract[0],
            delivery,
            &catalog.sites[..1],
        ),
    )
    .await;
    let id = placed["orderId"].as_str().unwrap().to_owned();
    let service = placed["lines"][0]["serviceId"].as_str().unwrap().to_owned();

    let (mut browser, _) = Browser::staff(&app, "Agent").await;
    let queue = browser.page("/staff/orders").await;
    assert!(
        queue.contains("SO-7") && queue.contains("Late"),
        "the survey is late: {queue}"
    );
    let page = browser.page(&format!("/staff/orders/{id}")).await;
    assert!(page.contains("Record Site survey"), "{page}");
    let token = crate::browser::hidden_csrf(&page);
    let path = |action: &str| format!("/staff/orders/{id}/{action}");
    let today = day(0);
    let reached = browser
        .post_form(
            &path("milestones"),
            &[
                ("csrf_token", &token),
                ("serviceId", &service),
                ("milestone", "SiteSurvey"),
                ("date", &today),
            ],
        )
        .await;
    assert_eq!(reached.status(), StatusCode::SEE_OTHER);
    // A delay without its reason is refused on the page, with what to fix.
    let refused = browser
        .post_form(
            &path("delays"),
            &[
                ("csrf_token", &token),
                ("serviceId", &service),
                ("milestone", "Installed"),
                ("plannedDate", &day(30)),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("customer reads it"));
    let delayed = browser
        .post_form(
            &path("delays"),
            &[
                ("csrf_token", &token),
                ("serviceId", &service),
                ("milestone", "Installed"),
                ("plannedDate", &day(30)),
                ("reason", "Crane permit pending."),
            ],
        )
        .await;
    assert_eq!(delayed.status(), StatusCode::SEE_OTHER);
    let order = app.get_json(&format!("/v2/orders/{id}"), &all.token).await;
    assert_eq!(milestone(&order, 0, "SiteSurvey")["actualDate"], today);
    assert_eq!(
        line(&order, 0)["delays"][0]["reason"],
        "Crane permit pending."
    );
    let cancelled = browser
        .post_form(
            &path("cancel"),
            &[
                ("csrf_token", &token),
                ("reason", "Customer moved the site."),
            ],
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&format!("/v2/orders/{id}"), &all.token).await["status"],
        "Cancelled"
    );
    assert!(
        !browser.page("/staff/orders").await.contains("SO-7"),
        "the queue holds orders in delivery only"
    );
    // A customer's session opens no staff page.
    let mut customer = Browser::signed_in(&app, oneportal_domain::PermissionSet::all()).await;
    let response = customer.get(&format!("/staff/orders/{id}")).await;
    assert!(
        response.status().is_redirection()
            || response.status() == StatusCode::FORBIDDEN
            || response.status() == StatusCode::UNAUTHORIZED,
        "{}",
        response.status()
    );
}

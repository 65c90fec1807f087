//! Quotes (PRODUCT §10): staff write a quote through the operations API, send
//! it and revise it (a new version); the customer reads it in API V2 and the
//! portal; a person holding `Orders (Approve)` accepts the exact version they
//! read, with their password, which places the order, or declines it. A
//! changed quote cannot be accepted in its old version, an expired one not at
//! all, and two acceptances at once place one order.

use oneportal_domain::Permission;
use oneportal_domain::ids::IdKind;
use oneportal_store::Exec;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, hidden_csrf, location, person};
use crate::catalog::{Catalog, seed};
use crate::helpers::{TestApp, perms, problem, spawn_app};
use crate::operations::staff_token;

fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    problem(crate::operations::send(app, method, path, token, body).await).await
}

fn approver() -> oneportal_domain::PermissionSet {
    perms(&[
        Permission::SitesServicesView,
        Permission::OrdersView,
        Permission::OrdersApprove,
    ])
}

/// What a version says: a line per site, valid through `valid_until`.
fn content(sites: &[i64], monthly: &str, valid_until: &str) -> Value {
    json!({
        "title": "Two new branch offices",
        "currency": "EUR",
        "validUntil": valid_until,
        "note": "Prices exclude VAT.",
        "lines": sites.iter().map(|site| json!({
            "siteId": IdKind::Site.format(*site),
            "product": "Dedicated Internet Access 500 Mbit/s",
            "serviceType": "GlobalInternet",
            "downstreamMbps": 500, "upstreamMbps": 500,
            "termMonths": 36,
            "oneTimePrice": "1500.00",
            "monthlyPrice": monthly,
            "leadTimeDays": 45,
        })).collect::<Vec<_>>(),
    })
}

/// The delivery account the seeded catalog's services share.
async fn delivery_account(app: &TestApp) -> i64 {
    let (id,): (i64,) = app
        .db()
        .fetch_one(
            "SELECT id FROM accounts WHERE org_id = $1 AND account_type = 'Delivery'",
            oneportal_store::args![app.org_id],
        )
        .await
        .unwrap();
    id
}

/// Writes a quote for the test organization's first contract account and sends it.
async fn sent_quote(app: &TestApp, staff: &str, catalog: &Catalog, reference: &str) -> Value {
    let delivery = delivery_account(app).await;
    let (status, quote) = send(
        app,
        "POST",
        "/ops/v1/quotes",
        staff,
        json!({
            "organizationId": IdKind::Organization.format(app.org_id),
            "quoteReference": reference,
            "contractAccountId": IdKind::Account.format(catalog.contract[0]),
            "deliveryAccountId": IdKind::Account.format(delivery),
            "content": content(&catalog.sites[..1], "850.00", &day(20)),
            "send": true,
        }),
    )
    .await;
    assert_eq!(status, 201, "{quote}");
    assert_eq!(quote["status"], "Sent");
    quote
}

/// Accepts in the portal as `browser`, having read `version`, with `password`.
async fn accept_in_portal(
    browser: &mut Browser,
    id: &str,
    version: &str,
    password: &str,
) -> reqwest::Response {
    let page = browser.page(&format!("/portal/orders/quotes/{id}")).await;
    let token = hidden_csrf(&page);
    browser
        .post_form(
            &format!("/portal/orders/quotes/{id}/accept"),
            &[
                ("csrf_token", &token),
                ("version", version),
                ("understood", "yes"),
                ("password", password),
                ("purchase_order", "PO-9912"),
            ],
        )
        .await
}

#[tokio::test]
async fn a_quote_is_accepted_in_the_version_read_and_places_its_order() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let (user_id, email) = person(&app, approver()).await;
    let token = app.user_token(user_id).await;
    let delivery = delivery_account(&app).await;

    // A draft is the provider's alone.
    let (status, draft) = send(
        &app,
        "POST",
        "/ops/v1/quotes",
        &staff,
        json!({
            "organizationId": IdKind::Organization.format(app.org_id),
            "quoteReference": "Q-1",
            "contractAccountId": IdKind::Account.format(catalog.contract[0]),
            "deliveryAccountId": IdKind::Account.format(delivery),
            "content": content(&catalog.sites, "850.00", &day(20)),
        }),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["status"], "Draft");
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["monthlyTotal"], "1700.00");
    assert_eq!(draft["oneTimeTotal"], "3000.00");
    let id = draft["quoteId"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/v2/quotes/{id}"), &token).await.status(),
        404
    );
    assert_eq!(app.get_json("/v2/quotes", &token).await["data"], json!([]));

    // Editing a draft keeps version 1; sending shows it.
    let (status, edited) = send(
        &app,
        "PUT",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        content(&catalog.sites, "800.00", &day(20)),
    )
    .await;
    assert_eq!(
        (status, edited["version"].clone()),
        (200, json!(1)),
        "{edited}"
    );
    let (status, sent) = send(
        &app,
        "POST",
        &format!("/ops/v1/quotes/{id}/send"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, sent["status"].clone()),
        (200, json!("Sent")),
        "{sent}"
    );
    let seen = app.get_json(&format!("/v2/quotes/{id}"), &token).await;
    assert_eq!(seen["monthlyTotal"], "1600.00");
    assert_eq!(
        seen["lines"][0]["siteAddress"],
        "Damrak 1, 1012 Amsterdam, NL"
    );

    // The person reads version 1; the provider revises it meanwhile: version 2.
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let (status, revised) = send(
        &app,
        "PUT",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        content(&catalog.sites, "780.00", &day(20)),
    )
    .await;
    assert_eq!(
        (status, revised["version"].clone()),
        (200, json!(2)),
        "{revised}"
    );
    assert_eq!(revised["status"], "Sent");

    // Accepting version 1 is refused, naming the new version; nothing is ordered.
    let stale = accept_in_portal(&mut browser, &id, "1", crate::browser::PASSWORD).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("version 2 replaces version 1")
    );
    // A wrong password accepts nothing either.
    let wrong = accept_in_portal(&mut browser, &id, "2", "not my password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_json("/v2/orders", &token).await["data"], json!([]));

    // The API refuses to accept, and says where to.
    let (status, refused) = send(
        &app,
        "POST",
        &format!("/v2/quotes/{id}/accept"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, refused["code"].clone()),
        (403, json!("portal_only")),
        "{refused}"
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("/portal/orders/quotes/{id}"))
    );

    // Version 2 with the right password: accepted, and the order is placed.
    let accepted = accept_in_portal(&mut browser, &id, "2", crate::browser::PASSWORD).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&accepted), format!("/portal/orders/quotes/{id}"));
    let quote = app.get_json(&format!("/v2/quotes/{id}"), &token).await;
    assert_eq!(quote["status"], "Accepted");
    assert_eq!(quote["answer"]["by"], email);
    assert_eq!(quote["answer"]["version"], 2);
    let order_id = quote["orderId"].as_str().unwrap().to_owned();
    let order = app
        .get_json(&format!("/v2/orders/{order_id}"), &token)
        .await;
    assert_eq!(order["orderReference"], "Q-1");
    assert_eq!(order["purchaseOrder"], "PO-9912");
    assert_eq!(order["status"], "InDelivery");
    assert_eq!(
        order["lines"].as_array().unwrap().len(),
        catalog.sites.len()
    );
    let ready = order["lines"][0]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["milestone"] == "ReadyForService")
        .unwrap();
    assert_eq!(ready["plannedDate"], day(45));
    let service = app
        .get_json(
            &format!(
                "/v2/services/{}",
                order["lines"][0]["serviceId"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert_eq!(service["status"], "InProgress");

    // Answered is final: a second answer and a revision are refused.
    let again = accept_in_portal(&mut browser, &id, "2", crate::browser::PASSWORD).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let (status, _) = send(
        &app,
        "PUT",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        content(&catalog.sites, "1.00", &day(20)),
    )
    .await;
    assert_eq!(status, 409);

    // The audit log keeps who accepted which version from where.
    let (details,): (String,) = app
        .db()
        .fetch_one(
            "SELECT details FROM audit_log WHERE action = 'quote.accepted'",
            vec![],
        )
        .await
        .unwrap();
    let details: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["version"], 2);
    assert_eq!(details["ip"], "127.0.0.1");
    assert_eq!(details["orderId"], order_id);

    // The PDF says what was accepted, by whom.
    let pdf = browser
        .get(&format!("/portal/orders/quotes/{id}/quote.pdf"))
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let text = crate::invoices::pdf_text(&pdf.bytes().await.unwrap());
    for expected in [
        "Quote Q-1 (version 2)",
        "1560.00 EUR",
        &email,
        "Version answered",
        &order_id,
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    // Every step is an event of the feed, oldest first.
    let feed = app.get_json("/v2/events?limit=100", &token).await;
    let types: Vec<String> = feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let t = e["type"].as_str().unwrap();
            (t.starts_with("quote.") || t == "order.created")
                .then(|| format!("{t}:{}", e["data"]["version"].as_i64().unwrap_or_default()))
        })
        .collect();
    assert_eq!(
        types,
        [
            "quote.sent:1",
            "quote.sent:2",
            "order.created:0",
            "quote.accepted:2"
        ]
    );
}

#[tokio::test]
async fn two_people_accepting_at_once_place_one_order() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let quote = sent_quote(&app, &staff, &catalog, "Q-RACE").await;
    let id = quote["quoteId"].as_str().unwrap().to_owned();
    let mut browsers = Vec::new();
    for _ in 0..2 {
        let (_, email) = person(&app, approver()).await;
        let mut browser = Browser::new(&app);
        browser.login(&email).await;
        browsers.push(browser);
    }
    let [mut first, mut second]: [Browser; 2] = browsers.try_into().ok().unwrap();
    let (a, b) = tokio::join!(
        accept_in_portal(&mut first, &id, "1", crate::browser::PASSWORD),
        accept_in_portal(&mut second, &id, "1", crate::browser::PASSWORD),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409]);
    let (orders,): (i64,) = app
        .db()
        .fetch_one("SELECT COUNT(*) FROM orders", vec![])
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

#[tokio::test]
async fn an_expired_quote_cannot_be_accepted_until_the_provider_reissues_it() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let (user_id, email) = person(&app, approver()).await;
    let token = app.user_token(user_id).await;
    let quote = sent_quote(&app, &staff, &catalog, "Q-OLD").await;
    let id = quote["quoteId"].as_str().unwrap().to_owned();
    let number = IdKind::Quote.parse(&id).unwrap();

    // Its last valid day was yesterday: accepting is refused even before the sweep.
    app.db()
        .execute(
            "UPDATE quote_versions SET valid_until = $2 WHERE quote_id = $1",
            oneportal_store::args![number, day(-1)],
        )
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let refused = accept_in_portal(&mut browser, &id, "1", crate::browser::PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("expired"));

    // The sweep marks it expired, once.
    let state = &app.app.state;
    assert_eq!(
        oneportal::services::quotes::expire_due(state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        oneportal::services::quotes::expire_due(state)
            .await
            .unwrap(),
        0
    );
    let expired = app.get_json(&format!("/v2/quotes/{id}"), &token).await;
    assert_eq!(expired["status"], "Expired");

    // Sending it again is refused; revising it with a new validity re-issues it.
    let (status, _) = send(
        &app,
        "POST",
        &format!("/ops/v1/quotes/{id}/send"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, past) = send(
        &app,
        "PUT",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        content(&catalog.sites[..1], "850.00", &day(-1)),
    )
    .await;
    assert_eq!(
        (status, past["errors"][0]["pointer"].clone()),
        (422, json!("/validUntil")),
        "{past}"
    );
    let (status, reissued) = send(
        &app,
        "PUT",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        content(&catalog.sites[..1], "850.00", &day(10)),
    )
    .await;
    assert_eq!(status, 200, "{reissued}");
    assert_eq!(
        (reissued["status"].clone(), reissued["version"].clone()),
        (json!("Sent"), json!(2))
    );
    let accepted = accept_in_portal(&mut browser, &id, "2", crate::browser::PASSWORD).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);

    let feed = app.get_json("/v2/events?types=quote.expired", &token).await;
    assert_eq!(feed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_declined_quote_tells_the_provider_why_and_only_approvers_answer() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    // Orders (View) reads the quote but has no form, and a post is refused.
    let mut viewer = Browser::signed_in(
        &app,
        perms(&[Permission::SitesServicesView, Permission::OrdersView]),
    )
    .await;
    let quote = sent_quote(&app, &staff, &catalog, "Q-NO").await;
    let id = quote["quoteId"].as_str().unwrap().to_owned();
    let page = viewer.page(&format!("/portal/orders/quotes/{id}")).await;
    assert!(page.contains("Q-NO"));
    assert!(!page.contains("accept-form"));
    assert!(
        page.contains("needs the &#39;Orders (Approve)&#39; permission")
            || page.contains("needs the 'Orders (Approve)' permission")
    );
    let token = hidden_csrf(&page);
    let refused = viewer
        .post_form(
            &format!("/portal/orders/quotes/{id}/decline"),
            &[("csrf_token", &token), ("version", "1"), ("reason", "no")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Orders (Approve) alone opens Orders on the quotes, and answers.
    let mut approver = Browser::signed_in(&app, perms(&[Permission::OrdersApprove])).await;
    let orders = approver.get("/portal/orders").await;
    assert_eq!(location(&orders), "/portal/orders/quotes");
    let page = approver.page(&format!("/portal/orders/quotes/{id}")).await;
    let token = hidden_csrf(&page);
    let empty = approver
        .post_form(
            &format!("/portal/orders/quotes/{id}/decline"),
            &[("csrf_token", &token), ("version", "1"), ("reason", " ")],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let declined = approver
        .post_form(
            &format!("/portal/orders/quotes/{id}/decline"),
            &[
                ("csrf_token", &token),
                ("version", "1"),
                ("reason", "We found a cheaper offer."),
            ],
        )
        .await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    let (status, quote) = send(
        &app,
        "GET",
        &format!("/ops/v1/quotes/{id}"),
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(quote["status"], "Declined");
    assert_eq!(quote["reason"], "We found a cheaper offer.");
    // Nothing was ordered, and a declined quote cannot be withdrawn.
    let (orders,): (i64,) = app
        .db()
        .fetch_one("SELECT COUNT(*) FROM orders", vec![])
        .await
        .unwrap();
    assert_eq!(orders, 0);
    let (status, _) = send(
        &app,
        "POST",
        &format!("/ops/v1/quotes/{id}/withdraw"),
        &staff,
        json!({"reason": "late"}),
    )
    .await;
    assert_eq!(status, 409);

    // The viewer, who follows orders, is mailed about the quote sent and declined.
    crate::notifications::write_all(&app).await;
    let outbox = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    let subjects: Vec<&str> = outbox
        .iter()
        .filter(|m| m.subject.contains(&id))
        .map(|m| m.subject.as_str())
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.ends_with("waiting for your answer")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.ends_with("declined")),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn staff_write_send_revise_and_withdraw_quotes_on_their_pages() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let delivery = delivery_account(&app).await;
    let (mut browser, _) = Browser::staff(&app, "Agent").await;
    let form = browser.page("/staff/quotes/new").await;
    let token = hidden_csrf(&form);
    let site = IdKind::Site.format(catalog.sites[0]);
    let contract = IdKind::Account.format(catalog.contract[0]);
    let delivery = IdKind::Account.format(delivery);
    let org = IdKind::Organization.format(app.org_id);
    let valid = day(14);
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("organization_id", org.as_str()),
        ("reference", "Q-STAFF"),
        ("contract_account_id", contract.as_str()),
        ("delivery_account_id", delivery.as_str()),
        ("title", "A new office"),
        ("currency", "eur"),
        ("valid_until", valid.as_str()),
        ("line0_site", site.as_str()),
        ("line0_product", "Broadband 200 Mbit/s"),
        ("line0_type", "GlobalInternet"),
        ("line0_down", "200"),
        ("line0_up", "20"),
        ("line0_term", "24"),
        ("line0_one_time", "99.5"),
        ("line0_monthly", "-1"),
    ];
    // A negative price is named, and the form keeps what was typed.
    let refused = browser.post_form("/staff/quotes", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("not negative"), "{page}");
    assert!(page.contains("Broadband 200 Mbit/s"));
    fields.retain(|(name, _)| *name != "line0_monthly");
    fields.push(("line0_monthly", "49.90"));
    fields.push(("send", "yes"));
    let created = browser.post_form("/staff/quotes", &fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = location(&created);
    let page = browser.page(&path).await;
    assert!(page.contains("Sent"), "{page}");
    assert!(page.contains("49.90 EUR"));
    assert!(browser.page("/staff/quotes").await.contains("Q-STAFF"));

    let id = path.rsplit('/').next().unwrap().to_owned();
    let token = hidden_csrf(&page);
    let withdrawn = browser
        .post_form(
            &format!("/staff/quotes/{id}/withdraw"),
            &[
                ("csrf_token", &token),
                ("reason", "Priced on the wrong site."),
            ],
        )
        .await;
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    assert!(browser.page(&path).await.contains("Withdrawn"));
    let pdf = browser.get(&format!("{path}/quote.pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_portal_pages_through_answered_quotes_and_shows_every_waiting_one() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    for n in 0..27 {
        let quote = sent_quote(&app, &staff, &catalog, &format!("Q-OLD-{n:02}")).await;
        let id = quote["quoteId"].as_str().unwrap();
        let (status, _) = send(
            &app,
            "POST",
            &format!("/ops/v1/quotes/{id}/withdraw"),
            &staff,
            json!({"reason": "superseded"}),
        )
        .await;
        assert_eq!(status, 200);
    }
    sent_quote(&app, &staff, &catalog, "Q-WAITING").await;
    let mut browser = Browser::signed_in(&app, approver()).await;
    let first = browser.page("/portal/orders/quotes").await;
    assert!(first.contains("Q-WAITING"));
    assert!(first.contains("Showing 1–25 of 27."), "{first}");
    assert_eq!(first.matches("Q-OLD-").count(), 25);
    assert!(
        first.contains(r#"href="/portal/orders/quotes?offset=25" rel="next""#),
        "{first}"
    );
    let second = browser.page("/portal/orders/quotes?offset=25").await;
    assert!(second.contains("Q-WAITING"), "what waits is on every page");
    assert!(second.contains("Showing 26–27 of 27."), "{second}");
    assert_eq!(second.matches("Q-OLD-").count(), 2);
    // The orders and deactivation requests pages answer the same way.
    for path in [
        "/portal/orders?offset=25",
        "/portal/deactivation-requests?offset=25",
    ] {
        let mut everyone = Browser::signed_in(&app, oneportal_domain::PermissionSet::all()).await;
        assert_eq!(everyone.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

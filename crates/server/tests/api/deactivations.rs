//! Deactivation requests (PRODUCT §10, the help article "How to request a
//! service deactivation"): asked through the API or the portal, worked by the
//! provider through the operations API and the staff pages, confirmed only by a
//! person in the portal with their password, withdrawn until then; the billing
//! end date owed five business days after the confirmation; every step an event.

use oneportal_domain::Permission;
use oneportal_domain::ids::IdKind;
use oneportal_store::Exec;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, hidden_csrf, location, person};
use crate::catalog::seed;
use crate::helpers::{TestApp, perms, problem, spawn_app};
use crate::operations::staff_token;

fn support_edit() -> oneportal_domain::PermissionSet {
    perms(&[
        Permission::SitesServicesView,
        Permission::SupportView,
        Permission::SupportEdit,
    ])
}

fn svc(id: i64) -> String {
    IdKind::Service.format(id)
}

fn days_from_today(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

fn request_body() -> Value {
    json!({
        "requestedEndDate": days_from_today(60),
        "reason": "We are moving out of the Amsterdam office.",
        "localContact": {"name": "Ana Facilities", "email": "ana@pear.example", "phone": "+31 20 555 0100"},
    })
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    problem(crate::operations::send(app, method, path, token, body).await).await
}

/// Asks for the service's deactivation through the API; answers the request.
async fn ask(app: &TestApp, token: &str, service: i64) -> Value {
    let (status, body) = send(
        app,
        "POST",
        &format!("/v2/services/{}/deactivation-requests", svc(service)),
        token,
        request_body(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn step(app: &TestApp, staff: &str, id: &str, body: Value) -> (u16, Value) {
    send(
        app,
        "POST",
        &format!("/ops/v1/deactivation-requests/{id}/status"),
        staff,
        body,
    )
    .await
}

async fn step_ok(app: &TestApp, staff: &str, id: &str, body: Value) -> Value {
    let (status, answer) = step(app, staff, id, body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn terms(fee: &str) -> Value {
    json!({"status": "PendingConfirmation", "earliestEndDate": days_from_today(45),
           "fee": {"amount": fee, "currency": "EUR"}, "note": "Early termination fee under clause 9."})
}

async fn service_status(app: &TestApp, token: &str, service: i64) -> String {
    app.get_json(&format!("/v2/services/{}", svc(service)), token)
        .await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The `deactivation_request.*` and `service.status_changed` events of the feed, oldest first.
async fn lifecycle_events(app: &TestApp, token: &str) -> Vec<String> {
    let page = app.get_json("/v2/events?limit=100", token).await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let t = e["type"].as_str().unwrap();
            match t {
                "service.status_changed" => {
                    Some(format!("{t}:{}", e["data"]["status"].as_str().unwrap()))
                }
                t if t.starts_with("deactivation_request.") => Some(t.to_owned()),
                _ => None,
            }
        })
        .collect()
}

/// Confirms in the portal as `browser`, with `password` and the terms version shown.
async fn confirm_in_portal(
    browser: &mut Browser,
    id: &str,
    password: &str,
    version: &str,
) -> reqwest::Response {
    let page = browser
        .page(&format!("/portal/deactivation-requests/{id}"))
        .await;
    let token = hidden_csrf(&page);
    browser
        .post_form(
            &format!("/portal/deactivation-requests/{id}/confirm"),
            &[
                ("csrf_token", &token),
                ("terms_version", version),
                ("understood", "yes"),
                ("password", password),
            ],
        )
        .await
}

#[tokio::test]
async fn the_help_articles_path_from_request_to_deactivated_service() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let service = catalog.services[0];
    let staff = staff_token(&app).await;
    let (user_id, email) = person(&app, support_edit()).await;
    let token = app.user_token(user_id).await;
    let colleague = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::SupportView,
        ]))
        .await;
    let billing = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::BillingView,
        ]))
        .await;

    // Asked through the API: Submitted, with the Local Point of Contact.
    let asked = ask(&app, &token, service).await;
    let id = asked["deactivationRequestId"].as_str().unwrap().to_owned();
    assert_eq!(asked["status"], "Submitted");
    assert_eq!(asked["requestedBy"], email);
    assert_eq!(asked["localContact"]["name"], "Ana Facilities");
    assert_eq!(asked["terms"], Value::Null);

    // One request at a time per service.
    let (status, refused) = send(
        &app,
        "POST",
        &format!("/v2/services/{}/deactivation-requests", svc(service)),
        &token,
        request_body(),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "deactivation_already_requested");
    assert!(refused["detail"].as_str().unwrap().contains(&id));

    // The customer cannot skip the provider's review.
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let early = confirm_in_portal(&mut browser, &id, crate::browser::PASSWORD, "0").await;
    assert_eq!(early.status(), StatusCode::CONFLICT);

    // The provider reviews, then states the terms.
    assert_eq!(
        step_ok(
            &app,
            &staff,
            &id,
            json!({"status": "InReview", "note": "Account manager will call."})
        )
        .await["status"],
        "InReview"
    );
    let stated = step_ok(&app, &staff, &id, terms("450.00")).await;
    assert_eq!(stated["status"], "PendingConfirmation");
    assert_eq!(stated["terms"]["version"], 1);
    assert_eq!(stated["terms"]["fee"]["amount"], "450.00");

    // The API refuses to confirm, and says where to.
    let (status, portal_only) = send(
        &app,
        "POST",
        &format!("/v2/deactivation-requests/{id}/confirm"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, 403, "{portal_only}");
    assert_eq!(portal_only["code"], "portal_only");
    assert!(
        portal_only["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("/portal/deactivation-requests/{id}"))
    );

    // A wrong password confirms nothing.
    let wrong = confirm_in_portal(&mut browser, &id, "not my password", "1").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("not your password"));
    let still = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    assert_eq!(still["status"], "PendingConfirmation");

    // The right password confirms exactly version 1.
    let confirmed = confirm_in_portal(&mut browser, &id, crate::browser::PASSWORD, "1").await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&confirmed),
        format!("/portal/deactivation-requests/{id}")
    );
    let detail = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    assert_eq!(detail["status"], "Confirmed");
    assert_eq!(detail["confirmation"]["confirmedBy"], email);
    assert_eq!(detail["confirmation"]["termsVersion"], 1);
    let due = oneportal_domain::deactivation::billing_end_date_due(
        time::OffsetDateTime::now_utc().date(),
    );
    assert_eq!(detail["billingEndDateDue"], due.to_string());
    assert_eq!(detail["billingEndDateOverdue"], false);

    // The confirmation document says what was confirmed, by whom, when; none before.
    let pdf = app
        .get(&format!("/v2/deactivation-requests/{id}/document"), &token)
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = crate::invoices::pdf_text(&pdf.bytes().await.unwrap());
    for expected in [
        id.as_str(),
        "Terms confirmed (version 1)",
        "450.00 EUR",
        email.as_str(),
        "Ana Facilities",
        &due.to_string(),
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let portal_pdf = browser
        .get(&format!(
            "/portal/deactivation-requests/{id}/confirmation.pdf"
        ))
        .await;
    assert_eq!(portal_pdf.status(), StatusCode::OK);

    // Confirmed is irreversible: no withdrawal.
    let (status, refused) = send(
        &app,
        "POST",
        &format!("/v2/deactivation-requests/{id}/withdraw"),
        &token,
        json!({"reason": "changed our mind"}),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("Confirmed"));

    // The billing end date makes the service PendingDeactivation; completing it, Deactivated.
    let billing_end = days_from_today(45);
    let scheduled = step_ok(
        &app,
        &staff,
        &id,
        json!({"status": "Scheduled", "billingEndDate": billing_end}),
    )
    .await;
    assert_eq!(scheduled["billingEndDate"], billing_end);
    assert_eq!(
        service_status(&app, &token, service).await,
        "PendingDeactivation"
    );
    step_ok(
        &app,
        &staff,
        &id,
        json!({"status": "Completed", "note": "Circuit ceased with the supplier."}),
    )
    .await;
    assert_eq!(service_status(&app, &token, service).await, "Deactivated");

    // Every step is in the history, the feed, and the audit log with the terms confirmed.
    let detail = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    let steps: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "Submitted",
            "InReview",
            "PendingConfirmation",
            "Confirmed",
            "Scheduled",
            "Completed"
        ]
    );
    assert_eq!(
        lifecycle_events(&app, &token).await,
        [
            "deactivation_request.submitted",
            "deactivation_request.in_review",
            "deactivation_request.pending_confirmation",
            "deactivation_request.confirmed",
            "service.status_changed:PendingDeactivation",
            "deactivation_request.scheduled",
            "service.status_changed:Deactivated",
            "deactivation_request.completed",
        ]
    );
    let (details,): (String,) = app
        .db()
        .fetch_one(
            "SELECT details FROM audit_log WHERE action = 'deactivation_request.confirmed'",
            vec![],
        )
        .await
        .unwrap();
    let details: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["step"]["termsVersion"], 1);
    assert_eq!(details["step"]["fee"], "450.00 EUR");

    // E-mails: the colleague hears of every step (the terms with a call to confirm),
    // the requester of none they took themselves, a billing-only user of nothing.
    crate::notifications::write_all(&app).await;
    let outbox = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    let subjects = |to: &str| -> Vec<String> {
        let mut found: Vec<String> = outbox
            .iter()
            .filter(|m| m.recipient == to && m.subject.contains(&id))
            .map(|m| m.subject.clone())
            .collect();
        found.sort();
        found
    };
    let to_colleague = subjects(&colleague.email);
    assert_eq!(to_colleague.len(), 6, "{to_colleague:?}");
    assert!(
        to_colleague
            .iter()
            .any(|s| s.ends_with("your confirmation is needed"))
    );
    let to_requester = subjects(&email);
    assert!(
        !to_requester
            .iter()
            .any(|s| s.ends_with("requested") || s.ends_with(": confirmed")),
        "{to_requester:?}"
    );
    assert!(
        to_requester
            .iter()
            .any(|s| s.ends_with("your confirmation is needed"))
    );
    assert!(subjects(&billing.email).is_empty());

    // A deactivated service cannot be asked to end again.
    let (status, refused) = send(
        &app,
        "POST",
        &format!("/v2/services/{}/deactivation-requests", svc(service)),
        &token,
        request_body(),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "service_not_deactivatable");
}

#[tokio::test]
async fn withdrawal_is_allowed_at_each_step_before_confirmation_and_revised_terms_need_a_new_confirmation()
 {
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let (user_id, email) = person(&app, support_edit()).await;
    let token = app.user_token(user_id).await;

    // Withdrawn from Submitted, InReview and PendingConfirmation, each on its own service.
    let steps_before: [&[Value]; 3] = [
        &[],
        &[json!({"status": "InReview"})],
        &[json!({"status": "InReview"}), terms("0.00")],
    ];
    for before in steps_before {
        let service = seed(&app, app.org_id, 1).await.services[0];
        let id = ask(&app, &token, service).await["deactivationRequestId"]
            .as_str()
            .unwrap()
            .to_owned();
        for body in before {
            step_ok(&app, &staff, &id, body.clone()).await;
        }
        let (status, withdrawn) = send(
            &app,
            "POST",
            &format!("/v2/deactivation-requests/{id}/withdraw"),
            &token,
            json!({"reason": "We extended the lease."}),
        )
        .await;
        assert_eq!(status, 200, "{withdrawn}");
        assert_eq!(withdrawn["status"], "Withdrawn");
        assert_eq!(withdrawn["closingReason"], "We extended the lease.");
        assert_eq!(service_status(&app, &token, service).await, "RFS");
        // A withdrawn request has no confirmation document; it is final, and the
        // service may be asked about again.
        let (status, none) = problem(
            app.get(&format!("/v2/deactivation-requests/{id}/document"), &token)
                .await,
        )
        .await;
        assert_eq!(
            (status, none["code"].as_str()),
            (404, Some("not_confirmed"))
        );
        let (status, _) = step(&app, &staff, &id, terms("1.00")).await;
        assert_eq!(status, 409);
        ask(&app, &token, service).await;
    }

    // Terms revised after the customer read them: version 1 can no longer be confirmed.
    let service = seed(&app, app.org_id, 1).await.services[0];
    let id = ask(&app, &token, service).await["deactivationRequestId"]
        .as_str()
        .unwrap()
        .to_owned();
    step_ok(&app, &staff, &id, terms("450.00")).await;
    step_ok(
        &app,
        &staff,
        &id,
        json!({"status": "InReview", "note": "Fee waived after the call."}),
    )
    .await;
    let revised = step_ok(&app, &staff, &id, terms("0.00")).await;
    assert_eq!(revised["terms"]["version"], 2);
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let stale = confirm_in_portal(&mut browser, &id, crate::browser::PASSWORD, "1").await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(stale.text().await.unwrap().contains("version 2"));
    let fresh = confirm_in_portal(&mut browser, &id, crate::browser::PASSWORD, "2").await;
    assert_eq!(fresh.status(), StatusCode::SEE_OTHER);
    let detail = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    assert_eq!(detail["confirmation"]["termsVersion"], 2);
    assert_eq!(detail["terms"]["fee"]["amount"], "0.00");
}

#[tokio::test]
async fn bad_requests_are_refused_with_what_to_fix_and_others_requests_stay_hidden() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let staff = staff_token(&app).await;
    let user = app.user(support_edit()).await;
    let path = |service: i64| format!("/v2/services/{}/deactivation-requests", svc(service));

    // Every mistake named by its field.
    let (status, invalid) = send(
        &app,
        "POST",
        &path(catalog.services[0]),
        &user.token,
        json!({"requestedEndDate": "2020-01-01", "reason": " ", "localContact": {"name": "", "email": "not-an-address", "phone": ""}}),
    )
    .await;
    assert_eq!(status, 422, "{invalid}");
    let mut pointers: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/localContact/email",
            "/localContact/name",
            "/localContact/phone",
            "/reason",
            "/requestedEndDate"
        ]
    );
    let (status, _) = send(&app, "POST", &path(catalog.services[0]), &user.token,
        json!({"requestedEndDate": "31/12/2027", "reason": "x", "localContact": {"name": "A", "email": "a@b.example", "phone": "1"}})).await;
    assert_eq!(status, 422);

    // Another organization's service is not there; its request neither.
    let (status, _) = send(
        &app,
        "POST",
        &path(theirs.services[0]),
        &user.token,
        request_body(),
    )
    .await;
    assert_eq!(status, 404);
    let them = app.user_in(other_org, support_edit()).await;
    let theirs_id = ask(&app, &them.token, theirs.services[0]).await["deactivationRequestId"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .get(
            &format!("/v2/deactivation-requests/{theirs_id}"),
            &user.token,
        )
        .await;
    assert_eq!(response.status(), 404);
    let (status, _) = send(
        &app,
        "POST",
        &format!("/v2/deactivation-requests/{theirs_id}/withdraw"),
        &user.token,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);

    // A service in delivery cannot be deactivated; the provider steps need their fields.
    let ours = ask(&app, &user.token, catalog.services[0]).await["deactivationRequestId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, missing) = step(
        &app,
        &staff,
        &ours,
        json!({"status": "PendingConfirmation"}),
    )
    .await;
    assert_eq!(
        (status, missing["errors"][0]["pointer"].as_str()),
        (422, Some("/earliestEndDate"))
    );
    let (status, bad_fee) = step(&app, &staff, &ours, json!({"status": "PendingConfirmation", "earliestEndDate": days_from_today(30), "fee": {"amount": "-5", "currency": "euro"}})).await;
    assert_eq!(status, 422, "{bad_fee}");
    assert_eq!(bad_fee["errors"].as_array().unwrap().len(), 2);
    let (status, customer_step) = step(&app, &staff, &ours, json!({"status": "Confirmed"})).await;
    assert_eq!(status, 422, "{customer_step}");
    let (status, skipped) = step(
        &app,
        &staff,
        &ours,
        json!({"status": "Scheduled", "billingEndDate": days_from_today(30)}),
    )
    .await;
    assert_eq!(status, 409, "{skipped}");
    assert!(skipped["detail"].as_str().unwrap().contains("InReview"));

    // The list shows the organization's own requests only, filtered by status.
    let page = app
        .get_json("/v2/deactivation-requests?status=Submitted", &user.token)
        .await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["deactivationRequestId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ours.as_str()]);
    let response = app
        .get("/v2/deactivation-requests?status=Gone", &user.token)
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_late_billing_end_date_is_flagged_after_five_business_days() {
    let app = spawn_app().await;
    let service = seed(&app, app.org_id, 1).await.services[0];
    let staff = staff_token(&app).await;
    let (user_id, email) = person(&app, support_edit()).await;
    let token = app.user_token(user_id).await;
    let id = ask(&app, &token, service).await["deactivationRequestId"]
        .as_str()
        .unwrap()
        .to_owned();
    step_ok(&app, &staff, &id, terms("0.00")).await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let confirmed = confirm_in_portal(&mut browser, &id, crate::browser::PASSWORD, "1").await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);

    // As if confirmed on Friday 2026-11-27: due Friday 2026-12-04, late since.
    let number = IdKind::DeactivationRequest.parse(&id).unwrap();
    app.db()
        .execute(
            "UPDATE deactivation_requests SET billing_end_date_due = '2026-12-04' WHERE id = $1",
            oneportal_store::args![number],
        )
        .await
        .unwrap();
    let detail = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    assert_eq!(detail["billingEndDateOverdue"], true);
    let (mut staff_browser, _) = Browser::staff(&app, "Agent").await;
    let queue = staff_browser.page("/staff/deactivations").await;
    assert!(queue.contains("1 overdue"), "{queue}");
    assert!(queue.contains(&id));

    // Setting it clears the flag.
    step_ok(
        &app,
        &staff,
        &id,
        json!({"status": "Scheduled", "billingEndDate": days_from_today(40)}),
    )
    .await;
    let detail = app
        .get_json(&format!("/v2/deactivation-requests/{id}"), &token)
        .await;
    assert_eq!(detail["billingEndDateOverdue"], false);
}

#[tokio::test]
async fn the_portal_asks_checks_the_local_contact_and_staff_move_the_request_from_their_pages() {
    let app = spawn_app().await;
    let service = seed(&app, app.org_id, 1).await.services[0];
    let (_, email) = person(&app, support_edit()).await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;

    let page = browser
        .page(&format!("/portal/services/{}", svc(service)))
        .await;
    assert!(page.contains("Request deactivation"), "{page}");
    let form = browser
        .page(&format!("/portal/services/{}/deactivate", svc(service)))
        .await;
    let token = hidden_csrf(&form);
    let path = format!("/portal/services/{}/deactivate", svc(service));
    let end = days_from_today(30);
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("requestedEndDate", end.as_str()),
        ("reason", "Office closes."),
        ("contactName", "Bo Site"),
        ("contactEmail", "nope"),
        ("contactPhone", "+31 6 1234 5678"),
    ];
    let refused = browser.post_form(&path, &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("contactEmail-error"),
        "the e-mail field says what is wrong"
    );
    assert!(text.contains("Bo Site"), "what was typed is kept");
    fields[4] = ("contactEmail", "bo@pear.example");
    let sent = browser.post_form(&path, &fields).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let target = location(&sent);
    let id = target.rsplit('/').next().unwrap().to_owned();
    // The service keeps its Local Point of Contact for next time.
    let page = browser
        .page(&format!("/portal/services/{}", svc(service)))
        .await;
    assert!(
        page.contains("bo@pear.example") && page.contains(&id),
        "{page}"
    );
    let list = browser.page("/portal/deactivation-requests").await;
    assert!(list.contains(&id));

    // A viewer without Support (Edit) sees the request but no forms.
    let mut viewer = Browser::signed_in(
        &app,
        perms(&[Permission::SitesServicesView, Permission::SupportView]),
    )
    .await;
    let seen = viewer.page(&target).await;
    assert!(seen.contains(&id) && !seen.contains("withdraw-form"));
    let denied = viewer
        .get(&format!("/portal/services/{}/deactivate", svc(service)))
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    // Staff state the terms from their page; the customer sees them.
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let page = staff.page(&format!("/staff/deactivations/{id}")).await;
    assert!(page.contains("step-PendingConfirmation"), "{page}");
    let token = hidden_csrf(&page);
    let earliest = days_from_today(30);
    let stated = staff
        .post_form(
            &format!("/staff/deactivations/{id}/status"),
            &[
                ("csrf_token", &token),
                ("status", "PendingConfirmation"),
                ("earliestEndDate", &earliest),
                ("feeAmount", "120.50"),
                ("feeCurrency", "EUR"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(stated.status(), StatusCode::SEE_OTHER);
    let page = browser.page(&target).await;
    assert!(
        page.contains("120.50 EUR") && page.contains("confirm-form"),
        "{page}"
    );

    // The customer withdraws from the portal.
    let token = hidden_csrf(&page);
    let withdrawn = browser
        .post_form(
            &format!("{target}/withdraw"),
            &[("csrf_token", &token), ("reason", "")],
        )
        .await;
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    assert!(browser.page(&target).await.contains(">Withdrawn<"));
}

//! The provider's staff pages under `/staff` through HTTP, as a browser uses
//! them: their own login with lockout, sessions that never cross with the
//! customers', CSRF on every form, the case queue and its filters, working a
//! case to a final RFO that the customer reads through the API, the import
//! page, the audit log's filters and the outbox.

use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::orgs;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::browser::{Browser, PASSWORD, location, person, staff_member};
use crate::catalog::seed;
use crate::helpers::{TestApp, perms, spawn_app};
use crate::portal_support::open_through_form;

fn support_edit() -> PermissionSet {
    perms(&[
        Permission::SitesServicesView,
        Permission::SupportView,
        Permission::SupportEdit,
    ])
}

/// A customer with Support (Edit) logged in to the portal, and their user id.
async fn customer(app: &TestApp) -> (Browser, i64) {
    let (id, email) = person(app, support_edit()).await;
    let mut browser = Browser::new(app);
    browser.login(&email).await;
    (browser, id)
}

async fn case_status(app: &TestApp, token: &str, case: &str) -> String {
    let body: serde_json::Value = app
        .get(&format!("/v2/cases/{case}"), token)
        .await
        .json()
        .await
        .unwrap();
    body["status"].as_str().unwrap().to_owned()
}

async fn post_status(staff: &mut Browser, case: &str, status: &str) -> reqwest::Response {
    let token = staff.csrf_from(&format!("/staff/cases/{case}")).await;
    staff
        .post_form(
            &format!("/staff/cases/{case}/status"),
            &[("csrf_token", &token), ("status", status), ("reason", "")],
        )
        .await
}

/// Replies on the case page `page` (a customer's or a staff member's) with that page's CSRF token.
async fn post_reply(browser: &mut Browser, page: &str, message: &str) -> reqwest::Response {
    let token = browser.csrf_from(page).await;
    browser
        .post_form(
            &format!("{page}/reply"),
            &[("csrf_token", &token), ("message", message)],
        )
        .await
}

/// Publishes the RFO form's `fields` on the staff case page `page`.
async fn post_rfo(
    staff: &mut Browser,
    page: &str,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    staff.post_form(&format!("{page}/rfo"), &borrowed).await
}

#[tokio::test]
async fn portal_staff_log_in_at_their_own_page_and_are_locked_out_after_five_failures() {
    let app = spawn_app().await;
    let mut anonymous = Browser::new(&app);
    let response = anonymous.get("/staff/cases?status=Pending").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/staff/login?next=%2Fstaff%2Fcases%3Fstatus%3DPending"
    );

    let email = staff_member(&app, "Agent").await;
    let mut browser = Browser::new(&app);
    for _ in 0..4 {
        let response = browser.try_staff_login(&email, "wrong password!").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("not correct"));
    }
    let response = browser.try_staff_login(&email, "wrong password!").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.text().await.unwrap().contains("paused until"));
    // Locked: even the right password is refused, and the staff pages stay closed.
    let response = browser.try_staff_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        browser.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );

    // Another staff member logs in, sees the staff navigation, and logs out.
    let (mut other, other_email) = Browser::staff(&app, "Admin").await;
    let queue = other.page("/staff/cases").await;
    assert!(queue.contains(&other_email));
    assert!(queue.contains("href=\"/staff/audit\""));
    assert!(queue.contains("action=\"/staff/logout\""));
    let token = other.csrf_from("/staff/cases").await;
    let response = other
        .post_form("/staff/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(location(&response), "/staff/login?signed_out=1");
    assert_eq!(
        other.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );

    let (events, _) = oneportal_store::audit::search(
        app.db(),
        &oneportal_store::audit::AuditFilter {
            action_prefix: Some("staff.login_".into()),
            ..Default::default()
        },
        0,
        50,
    )
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"staff.login_locked"));
    assert!(actions.contains(&"staff.login_failed"));
    assert!(actions.contains(&"staff.login_succeeded"));
}

#[tokio::test]
async fn portal_staff_and_customer_sessions_never_open_each_others_pages() {
    let app = spawn_app().await;
    let mut customer = Browser::signed_in(&app, PermissionSet::all()).await;
    let response = customer.get("/staff/cases").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/staff/login"));
    // A customer's email and password do not log in as staff.
    let (_, customer_email) = person(&app, PermissionSet::all()).await;
    let response = customer.try_staff_login(&customer_email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (mut staff, _) = Browser::staff(&app, "Admin").await;
    let response = staff.get("/portal/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/portal/login"));
    // A staff email and password do not log in to the portal.
    let email = staff_member(&app, "Agent").await;
    let response = Browser::new(&app).try_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Each cookie's value under the other's name opens nothing.
    let staff_value = staff.cookies["op_staff"].clone();
    let customer_value = customer.cookies["op_session"].clone();
    let mut swapped = Browser::new(&app);
    swapped.cookies.insert("op_session".into(), staff_value);
    swapped.cookies.insert("op_staff".into(), customer_value);
    assert_eq!(
        swapped.get("/portal/").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        swapped.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn portal_staff_forms_refuse_requests_without_this_sessions_token_or_origin() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (mut customer, _) = customer(&app).await;
    let case = open_through_form(&mut customer, catalog.services[0]).await;
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let path = format!("/staff/cases/{case}/status");

    let missing = staff.post_form(&path, &[("status", "InProgress")]).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    // The customer's token is not the staff session's.
    let customer_token = customer.csrf_from("/portal/support").await;
    let foreign = staff
        .post_form(
            &path,
            &[("csrf_token", &customer_token), ("status", "InProgress")],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    // The right token from another site.
    let token = staff.csrf_from(&format!("/staff/cases/{case}")).await;
    staff.origin = "https://evil.example".into();
    let cross_site = staff
        .post_form(&path, &[("csrf_token", &token), ("status", "InProgress")])
        .await;
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(cross_site.text().await.unwrap().contains("another site"));
    // A customer's session cannot post to a staff form at all.
    let response = customer
        .post_form(
            &path,
            &[("csrf_token", &customer_token), ("status", "InProgress")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = staff.page(&format!("/staff/cases/{case}")).await;
    assert!(after.contains("id=\"case-status\">Acknowledged<"));
}

#[tokio::test]
async fn portal_staff_queue_spans_customers_and_filters_by_organization_status_type_and_priority() {
    let app = spawn_app().await;
    let other_org = orgs::create_organization(app.db(), "Globex").await.unwrap();
    let ours = seed(&app, app.org_id, 1).await;
    let theirs = seed(&app, other_org, 1).await;
    let (mut acme, _) = customer(&app).await;
    let acme_case = open_through_form(&mut acme, ours.services[0]).await;
    let mut globex = Browser::signed_in_at(&app, other_org, support_edit()).await;
    let globex_case = open_through_form(&mut globex, theirs.services[0]).await;
    let (mut staff, _) = Browser::staff(&app, "Agent").await;

    let all = staff.page("/staff/cases").await;
    assert!(all.contains(&acme_case) && all.contains(&globex_case));
    assert!(all.contains("Globex") && all.contains("Test Org"));

    let org = IdKind::Organization.format(other_org);
    let only_globex = staff
        .page(&format!("/staff/cases?organization={org}"))
        .await;
    assert!(only_globex.contains(&globex_case));
    assert!(!only_globex.contains(&acme_case));

    assert_eq!(
        post_status(&mut staff, &acme_case, "InProgress")
            .await
            .status(),
        303
    );
    let in_progress = staff.page("/staff/cases?status=InProgress").await;
    assert!(in_progress.contains(&acme_case) && !in_progress.contains(&globex_case));
    let p1 = staff.page("/staff/cases?type=Incident&priority=P1").await;
    assert!(p1.contains(&acme_case) && p1.contains(&globex_case));
    let none = staff.page("/staff/cases?type=NonIncident").await;
    assert!(none.contains("No cases match"));

    // Filters typed by hand: a clear page, never a 500.
    for bad in [
        "/staff/cases?organization=acme",
        "/staff/cases?status=Open",
        "/staff/cases?offset=-3",
    ] {
        let response = staff.get(bad).await;
        assert!(
            response.status().is_client_error(),
            "{bad}: {}",
            response.status()
        );
        assert!(response.text().await.unwrap().contains("<h1"), "{bad}");
    }
}

#[tokio::test]
async fn portal_staff_work_a_case_to_a_final_rfo_that_the_customer_reads() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (mut customer, customer_id) = customer(&app).await;
    let api = app.user_token(customer_id).await;
    let case = open_through_form(&mut customer, catalog.services[0]).await;
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let page = format!("/staff/cases/{case}");

    // The customer's file opens for staff too.
    let token = customer
        .csrf_from(&format!("/portal/support/cases/{case}"))
        .await;
    let uploaded = customer
        .post_file(
            &format!("/portal/support/cases/{case}/attachments"),
            &token,
            "traceroute.txt",
            "text/plain",
            b"1  10.0.0.1  1.2 ms".to_vec(),
        )
        .await;
    assert_eq!(uploaded.status(), 303);

    // Only the provider's moves are offered; others are refused with the reason.
    let shown = staff.page(&page).await;
    let marker = "href=\"";
    let at = shown
        .find(&format!("{marker}/staff/cases/{case}/attachments/"))
        .expect("a link to the file")
        + marker.len();
    let href = &shown[at..at + shown[at..].find('"').unwrap()];
    let file = staff.get(href).await;
    assert_eq!(file.status(), 200, "{href}");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"1  10.0.0.1  1.2 ms");
    assert!(shown.contains("Our office lost internet at 08:15."));
    assert!(shown.contains("<option value=\"InProgress\">"));
    assert!(shown.contains("<option value=\"Rejected\">"));
    assert!(!shown.contains("<option value=\"Pending\">"));
    let refused = post_status(&mut staff, &case, "Closed").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("the provider cannot move it to Closed")
    );
    let unreadable = post_status(&mut staff, &case, "Sideways").await;
    assert_eq!(unreadable.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unreadable
            .text()
            .await
            .unwrap()
            .contains("Choose the status")
    );

    assert_eq!(
        post_status(&mut staff, &case, "InProgress").await.status(),
        303
    );
    assert_eq!(
        post_status(&mut staff, &case, "Pending").await.status(),
        303
    );
    assert_eq!(case_status(&app, &api, &case).await, "Pending");

    // The customer's reply hands it back to the provider.
    let response = post_reply(
        &mut customer,
        &format!("/portal/support/cases/{case}"),
        "Router restarted, still down.",
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(case_status(&app, &api, &case).await, "InProgress");

    // A public reply; an empty one is refused beside the form.
    let empty = post_reply(&mut staff, &page, "  ").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("id=\"message-error\""));
    let response = post_reply(&mut staff, &page, "The carrier is splicing the fibre.").await;
    assert_eq!(response.status(), 303);
    let thread: serde_json::Value = app
        .get(&format!("/v2/cases/{case}/communications"), &api)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        thread
            .to_string()
            .contains("The carrier is splicing the fibre.")
    );
    assert!(thread.to_string().contains("(provider)"));

    assert_eq!(
        post_status(&mut staff, &case, "Resolved").await.status(),
        303
    );

    // A bad RFO is refused with every problem named, and what was typed stays.
    let service = IdKind::Service.format(catalog.services[0]);
    let rfo = |status: &'static str, restored: &'static str, token: String| {
        vec![
            ("csrf_token", token),
            ("status", status.to_owned()),
            ("impact", "Down".to_owned()),
            ("affectedServiceIds", service.clone()),
            ("incidentStart", "2026-11-26T08:15".to_owned()),
            ("detected", "2026-11-26T08:17:00Z".to_owned()),
            ("restored", restored.to_owned()),
            ("excludedMinutes", "0".to_owned()),
            ("rootCauseCategory", "FiberCut".to_owned()),
            ("rootCause", "A digger cut the carrier's fibre.".to_owned()),
            ("responsibleParty", "ThirdPartyCarrier".to_owned()),
            ("timeline", "2026-11-26T08:40Z | Carrier on site".to_owned()),
            ("correctiveActions", "Fibre spliced".to_owned()),
            (
                "preventiveActions",
                "Second path via another duct".to_owned(),
            ),
        ]
    };
    let token = staff.csrf_from(&page).await;
    let bad = post_rfo(
        &mut staff,
        &page,
        &rfo("Preliminary", "before the start", token.clone()),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text().await.unwrap();
    assert!(text.contains("id=\"rfo-errors\""));
    assert!(
        text.contains("Restored: &#39;before the start&#39;")
            || text.contains("Restored: &#x27;before the start&#x27;"),
        "the field is named: {text}"
    );
    assert!(
        text.contains("A digger cut the carrier&#39;s fibre.")
            || text.contains("A digger cut the carrier&#x27;s fibre.")
    );

    for status in ["Preliminary", "Final"] {
        let fields = rfo(status, "2026-11-26T09:40", token.clone());
        let response = post_rfo(&mut staff, &page, &fields).await;
        assert_eq!(response.status(), 303, "{status}");
    }
    let published: serde_json::Value = app
        .get(&format!("/v2/cases/{case}/rfo"), &api)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["status"], "Final");
    assert_eq!(published["version"], 2);
    assert_eq!(published["durationMinutes"], 85);
    assert_eq!(published["restored"], "2026-11-26T09:40:00Z");
    // Final never goes back.
    let fields = rfo("Preliminary", "2026-11-26T09:40", token.clone());
    let back = post_rfo(&mut staff, &page, &fields).await;
    assert_eq!(back.status(), StatusCode::CONFLICT);
    assert!(back.text().await.unwrap().contains("already Final"));

    // Staff's PDF link is the customer's document.
    let shown = staff.page(&page).await;
    assert!(shown.contains("id=\"rfo-status\">Final<"));
    let pdf = staff.get(&format!("{page}/rfo.pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let customer_pdf = app
        .get(&format!("/v2/cases/{case}/rfo/document"), &api)
        .await;
    assert_eq!(customer_pdf.status(), 200);

    // Staff's changes are the provider's in the audit log.
    let audit = staff.page("/staff/audit?action=case.rfo_published").await;
    assert!(audit.contains("case.rfo_published"));
    assert!(audit.contains(&format!("case {case}")));
}

#[tokio::test]
async fn portal_staff_import_a_file_and_see_the_organization_or_every_problem() {
    let app = spawn_app().await;
    let (mut staff, _) = Browser::staff(&app, "Admin").await;
    let token = staff.csrf_from("/staff/import").await;

    let mut wrong = crate::imports::document("crm-globex", "Live");
    wrong["organizations"][0]["sites"][0]["accountRef"] = serde_json::json!("nowhere");
    let response = staff
        .post_file(
            "/staff/import",
            &token,
            "globex.json",
            "application/json",
            serde_json::to_vec(&wrong).unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"import-errors\""));
    assert!(page.contains("/organizations/0/services/0/status"));
    assert!(page.contains("/organizations/0/sites/0/accountRef"));
    assert!(page.contains("Nothing was written."));

    for (bytes, says) in [
        (b"{\"organizations\": [".to_vec(), "line 1"),
        (Vec::new(), "Choose an import file"),
        (b"[1, 2]".to_vec(), "array"),
    ] {
        let response = staff
            .post_file(
                "/staff/import",
                &token,
                "bad.json",
                "application/json",
                bytes,
            )
            .await;
        assert!(response.status().is_client_error(), "{says}");
        let text = response.text().await.unwrap();
        assert!(text.contains(says), "{says}: {text}");
    }

    let good = serde_json::to_vec(&crate::imports::document("crm-globex", "RFS")).unwrap();
    let response = staff
        .post_file(
            "/staff/import",
            &token,
            "globex.json",
            "application/json",
            good.clone(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"import-summary\""));
    assert!(page.contains("<th scope=\"row\" data-label=\"Records\">Organizations</th><td data-label=\"Created\">1</td>"));

    let list = staff.page("/staff/organizations").await;
    assert!(list.contains("Globex Corporation") && list.contains("crm-globex"));
    let org = oneportal_store::provisioning::find(
        app.db(),
        oneportal_store::provisioning::Keyed::Organization,
        "crm-globex",
    )
    .await
    .unwrap()
    .unwrap();
    let detail = staff
        .page(&format!(
            "/staff/organizations/{}",
            IdKind::Organization.format(org)
        ))
        .await;
    for text in [
        "Globex Contracts",
        "Globex Retail",
        "Amsterdam HQ",
        "Internet Amsterdam",
        "1000/1000 Mbps",
    ] {
        assert!(detail.contains(text), "{text}");
    }
    assert_eq!(
        staff.get("/staff/organizations/ORG-999999").await.status(),
        404
    );
    assert_eq!(staff.get("/staff/organizations/globex").await.status(), 404);
}

#[tokio::test]
async fn portal_staff_audit_log_filters_by_actor_action_organization_and_dates() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (mut customer, customer_id) = customer(&app).await;
    let case = open_through_form(&mut customer, catalog.services[0]).await;
    let (mut staff, email) = Browser::staff(&app, "Agent").await;
    let staff_id = oneportal_store::users::find_staff_by_email(app.db(), &email)
        .await
        .unwrap()
        .unwrap()
        .id;
    let staff_ref = IdKind::Staff.format(staff_id);
    assert_eq!(
        post_status(&mut staff, &case, "InProgress").await.status(),
        303
    );

    let mine = staff.page(&format!("/staff/audit?actor={staff_ref}")).await;
    assert!(mine.contains("case.status_changed"));
    assert!(mine.contains("staff.login_succeeded"));
    assert!(!mine.contains("case.opened"));

    let moves = staff.page("/staff/audit?action=case.status").await;
    assert!(moves.contains("case.status_changed") && !moves.contains("staff.login_succeeded"));

    let org = IdKind::Organization.format(app.org_id);
    let ours = staff
        .page(&format!("/staff/audit?organization={org}"))
        .await;
    assert!(ours.contains("case.opened") && !ours.contains("staff.login_succeeded"));
    let user = IdKind::User.format(customer_id);
    assert!(ours.contains(&user));

    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().unwrap();
    let in_range = staff
        .page(&format!(
            "/staff/audit?from={today}&to={today}&action=case."
        ))
        .await;
    assert!(in_range.contains("case.status_changed"));
    let later = staff.page(&format!("/staff/audit?from={tomorrow}")).await;
    assert!(later.contains("No events match"));

    // The same filter as JSON lines, and the export is itself audited.
    assert!(moves.contains("/staff/audit/export?action=case.status"));
    let export = staff.get("/staff/audit/export?action=case.status").await;
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    let text = export.text().await.unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["action"] == "case.status_changed"));
    assert_eq!(lines[0]["details"]["to"], "InProgress");
    assert_eq!(lines[0]["actorId"], staff_ref.as_str());
    assert!(
        staff
            .page("/staff/audit?action=audit.exported")
            .await
            .contains("audit.exported")
    );
    assert_eq!(
        staff.get("/staff/audit/export?from=soon").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let bad = staff
        .get("/staff/audit?from=yesterday&organization=acme&to=2026-13-40")
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text().await.unwrap();
    assert!(
        text.contains("&#39;yesterday&#39; is not a date")
            || text.contains("&#x27;yesterday&#x27; is not a date"),
        "{text}"
    );
    assert!(text.contains("not an organization id"));
}

#[tokio::test]
async fn portal_staff_read_every_email_in_the_outbox_with_its_delivery_state() {
    let app = spawn_app().await;
    oneportal_store::outbox::insert(
        app.db(),
        "someone@acme.example",
        "Activate your OnePortal account",
        "Open the link to set your password.",
        "Stored",
    )
    .await
    .unwrap();
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let page = staff.page("/staff/outbox").await;
    assert!(page.contains("someone@acme.example"));
    assert!(page.contains("Activate your OnePortal account"));
    assert!(page.contains(">Stored<"));
    // The customers' demo outbox is not the staff's page, and vice-versa.
    let mut customer = Browser::signed_in(&app, PermissionSet::all()).await;
    assert_eq!(
        customer.get("/staff/outbox").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn portal_staff_sessions_end_when_idle_and_when_the_staff_member_is_deactivated() {
    use oneportal_store::Exec;
    let app = spawn_app().await;
    let (mut idle, _) = Browser::staff(&app, "Agent").await;
    assert_eq!(idle.get("/staff/cases").await.status(), 200);
    // The customers' idle timeout: 30 minutes without a request.
    let half_an_hour_ago = oneportal_store::now_ms() - 31 * 60 * 1000;
    app.db()
        .execute(
            "UPDATE staff_sessions SET last_seen_at = $1",
            vec![half_an_hour_ago.into()],
        )
        .await
        .unwrap();
    assert_eq!(
        idle.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );

    let (mut active, email) = Browser::staff(&app, "Agent").await;
    assert_eq!(active.get("/staff/cases").await.status(), 200);
    app.db()
        .execute(
            "UPDATE staff SET status = 'Removed' WHERE email = $1",
            vec![email.clone().into()],
        )
        .await
        .unwrap();
    assert_eq!(
        active.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );
    let response = Browser::new(&app).try_staff_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn portal_staff_passwords_come_from_the_command_line_and_pages_carry_the_portals_headers() {
    let app = spawn_app().await;
    let run = |args: &[&str], password: Option<&str>| {
        let config = &app.app.state.config;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_oneportal"));
        command.args(args).arg("--data-dir").arg(&config.data_dir);
        if crate::helpers::backend_is_postgres() {
            command
                .arg("--database-url")
                .arg(config.database_url.as_ref().unwrap().expose_secret());
            command.env(
                "ONEPORTAL_MASTER_KEY",
                config.master_key.as_ref().unwrap().expose_secret(),
            );
        }
        command.env_remove("ONEPORTAL_STAFF_PASSWORD");
        if let Some(password) = password {
            command.env("ONEPORTAL_STAFF_PASSWORD", password);
        }
        command.output().unwrap()
    };
    let email = "noc@provider.example";
    let created = run(
        &[
            "staff", "create", "--email", email, "--name", "NOC", "--role", "Agent",
        ],
        Some(PASSWORD),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let mut browser = Browser::new(&app);
    assert_eq!(browser.try_staff_login(email, PASSWORD).await.status(), 303);
    assert_eq!(browser.get("/staff/cases").await.status(), 200);

    let short = run(
        &[
            "staff",
            "set-password",
            "--email",
            email,
            "--password",
            "short",
        ],
        None,
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 characters"));
    let changed = run(
        &[
            "staff",
            "set-password",
            "--email",
            email,
            "--password",
            "a new staff password",
        ],
        None,
    );
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    // The old password's session ends with it.
    assert_eq!(
        browser.get("/staff/cases").await.status(),
        StatusCode::SEE_OTHER
    );
    let mut again = Browser::new(&app);
    assert_eq!(again.try_staff_login(email, PASSWORD).await.status(), 401);
    assert_eq!(
        again
            .try_staff_login(email, "a new staff password")
            .await
            .status(),
        303
    );

    let page = again.get("/staff/cases").await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

//! The portal's Support and Billing sections through HTTP, as a browser uses
//! them: the permission matrix, tenant isolation, the new-case form with its
//! errors, replies, uploads, close / cancel, CSRF, the RFO page, invoices with
//! their downloads, and the SVG charts.

use oneportal::services::cases::{self as case_service, CaseActor};
use oneportal::services::rfo::{self, RfoContent, TimelineEntry};
use oneportal_domain::case::{CaseStatus, RfoImpact, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::cases::find_case_anywhere;
use oneportal_store::orgs::{NewAccount, create_account};
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};

use crate::browser::{Browser, location};
use crate::catalog::seed;
use crate::helpers::{TestApp, perms, spawn_app, spawn_app_with};
use crate::invoices::{insert, new_invoice};
use oneportal_domain::catalog::AccountType;

fn support_edit() -> PermissionSet {
    perms(&[
        Permission::SitesServicesView,
        Permission::SupportView,
        Permission::SupportEdit,
    ])
}

fn provider() -> CaseActor {
    CaseActor {
        audit: oneportal::audit::Actor::Staff { id: 1 },
        name: "NOC".into(),
        contact_email: String::new(),
    }
}

/// Opens an incident through the portal's form and returns the case id.
pub(crate) async fn open_through_form(browser: &mut Browser, service: i64) -> String {
    let token = browser.csrf_from("/portal/support/new?type=Incident").await;
    let service_id = IdKind::Service.format(service);
    let response = browser
        .post_form(
            "/portal/support/cases",
            &[
                ("csrf_token", &token),
                ("type", "Incident"),
                ("subject", "ServiceDown"),
                ("priority", "P1"),
                ("serviceId", &service_id),
                ("startOfIncident", "2026-11-26T08:15"),
                ("message", "Our office lost internet at 08:15."),
                ("customerReference", "TICKET-77"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    target
        .strip_prefix("/portal/support/cases/")
        .expect("sent to the case page")
        .to_owned()
}

/// The same checks as the unit tests of `portal::charts`, on an answer's SVG.
fn svgs(page: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("svg closes") + start + 6;
        found.push(&rest[start..end]);
        rest = &rest[end..];
    }
    found
}

fn assert_well_formed(svg: &str) {
    assert!(!svg.contains("style="), "no inline style (CSP)");
    assert!(svg.contains("<title"), "a title for screen readers");
    assert!(svg.contains("role=\"img\""));
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("tag closes") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "stray < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[tokio::test]
async fn portal_support_sections_follow_the_permissions() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let case = open_through_form(
        &mut Browser::signed_in(&app, support_edit()).await,
        catalog.services[0],
    )
    .await;

    // Without Support or Billing: no link, and 403 by URL.
    let mut viewer = Browser::signed_in(&app, perms(&[Permission::SitesServicesView])).await;
    let home = viewer.page("/portal/").await;
    assert!(!home.contains("href=\"/portal/support\""));
    assert!(!home.contains("href=\"/portal/billing\""));
    for path in [
        "/portal/support".to_owned(),
        "/portal/support/new".to_owned(),
        format!("/portal/support/cases/{case}"),
        format!("/portal/support/cases/{case}/rfo"),
        "/portal/billing".to_owned(),
        "/portal/billing/invoices/INV-0000001".to_owned(),
        "/portal/billing/invoices/INV-0000001/pdf".to_owned(),
    ] {
        assert_eq!(viewer.get(&path).await.status(), 403, "{path}");
    }

    // Support (View) reads but cannot post, and is offered no form.
    let mut reader = Browser::signed_in(&app, perms(&[Permission::SupportView])).await;
    let home = reader.page("/portal/").await;
    assert!(home.contains("href=\"/portal/support\""));
    assert!(!home.contains("href=\"/portal/billing\""));
    let page = reader.page(&format!("/portal/support/cases/{case}")).await;
    assert!(page.contains("Our office lost internet"));
    assert!(!page.contains("/reply\""), "no reply form");
    assert!(!page.contains("New case"));
    let token = reader.csrf_from("/portal/support").await;
    for action in ["reply", "cancel", "close"] {
        let response = reader
            .post_form(
                &format!("/portal/support/cases/{case}/{action}"),
                &[("csrf_token", &token), ("message", "hi"), ("reason", "x")],
            )
            .await;
        assert_eq!(response.status(), 403, "{action}");
    }
    let response = reader
        .post_file(
            &format!("/portal/support/cases/{case}/attachments"),
            &token,
            "a.txt",
            "text/plain",
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(reader.get("/portal/support/new").await.status(), 403);
    let row = find_case_anywhere(app.db(), IdKind::Case.parse(&case).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status(), CaseStatus::Acknowledged, "nothing changed");
}

#[tokio::test]
async fn portal_support_another_organizations_case_and_invoice_are_not_found() {
    let app = spawn_app().await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let mut stranger = Browser::signed_in_at(&app, other_org, PermissionSet::all()).await;
    let case = open_through_form(&mut stranger, theirs.services[0]).await;
    let account = theirs.contract[0];
    let invoice = IdKind::Invoice.format(
        insert(
            app.db(),
            &new_invoice(
                other_org,
                account,
                "INV-THEIRS",
                OffsetDateTime::now_utc().date(),
            ),
        )
        .await,
    );
    assert_eq!(
        stranger
            .get(&format!("/portal/billing/invoices/{invoice}"))
            .await
            .status(),
        200
    );

    let mut me = Browser::signed_in(&app, PermissionSet::all()).await;
    for path in [
        format!("/portal/support/cases/{case}"),
        format!("/portal/support/cases/{case}/rfo"),
        format!("/portal/support/cases/{case}/rfo.pdf"),
        format!("/portal/support/cases/{case}/attachments/ATT-000001"),
        format!("/portal/billing/invoices/{invoice}"),
        format!("/portal/billing/invoices/{invoice}/pdf"),
        format!("/portal/billing/invoices/{invoice}/lines.csv"),
        "/portal/support/cases/not-a-case".to_owned(),
        "/portal/billing/invoices/%3Cscript%3E".to_owned(),
    ] {
        let response = me.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    let token = me.csrf_from("/portal/support").await;
    let response = me
        .post_form(
            &format!("/portal/support/cases/{case}/reply"),
            &[("csrf_token", &token), ("message", "mine now?")],
        )
        .await;
    assert_eq!(response.status(), 404);
    let list = me.page("/portal/support").await;
    assert!(!list.contains(&case));
    let list = me.page("/portal/billing").await;
    assert!(!list.contains("INV-THEIRS"));
}

async fn open_seed(app: &TestApp) -> (Vec<i64>, Browser) {
    let catalog = seed(app, app.org_id, 1).await;
    (
        catalog.services,
        Browser::signed_in(app, support_edit()).await,
    )
}

#[tokio::test]
async fn portal_support_the_new_case_form_offers_the_types_choices_and_shows_errors_by_field() {
    let app = spawn_app().await;
    let (services, mut browser) = open_seed(&app).await;

    let first = browser.page("/portal/support/new").await;
    assert!(first.contains("Type of case"));
    assert!(!first.contains("name=\"subject\""), "the type comes first");
    let incident = browser.page("/portal/support/new?type=Incident").await;
    assert!(incident.contains("value=\"ServiceDown\""));
    assert!(!incident.contains("value=\"ChangeRequest\""));
    assert!(incident.contains("value=\"P1\""));
    assert!(incident.contains("name=\"startOfIncident\""));
    let request = browser.page("/portal/support/new?type=NonIncident").await;
    assert!(request.contains("value=\"ChangeRequest\""));
    assert!(!request.contains("value=\"ServiceDown\""));
    assert!(!request.contains("value=\"P1\""), "requests take P3–P5");
    assert!(!request.contains("name=\"startOfIncident\""));

    let token = browser.csrf_from("/portal/support/new?type=Incident").await;
    let service = IdKind::Service.format(services[0]);
    // No start, a subject of the other type, no message: each error beside its field.
    let response = browser
        .post_form(
            "/portal/support/cases",
            &[
                ("csrf_token", &token),
                ("type", "Incident"),
                ("subject", "ChangeRequest"),
                ("priority", "P1"),
                ("serviceId", &service),
                ("startOfIncident", ""),
                ("message", "  "),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"start-error\""), "{page}");
    assert!(page.contains("id=\"subject-error\""));
    assert!(page.contains("id=\"message-error\""));
    assert!(page.contains("ncidents need startOfIncident"));
    // Unparseable values and an unknown service are refused, never a 500.
    for (field, value) in [
        ("startOfIncident", "yesterday"),
        ("priority", "P9"),
        ("serviceId", "SVC-999999"),
        ("type", "Nonsense"),
    ] {
        let mut fields = vec![
            ("csrf_token", token.as_str()),
            ("type", "Incident"),
            ("subject", "ServiceDown"),
            ("priority", "P2"),
            ("serviceId", service.as_str()),
            ("startOfIncident", "2026-11-26T08:15"),
            ("message", "Down."),
        ];
        fields.retain(|(n, _)| *n != field);
        fields.push((field, value));
        let response = browser.post_form("/portal/support/cases", &fields).await;
        assert_eq!(response.status(), 422, "{field}={value}");
    }
    let case = open_through_form(&mut browser, services[0]).await;
    let page = browser.page(&format!("/portal/support/cases/{case}")).await;
    assert!(page.contains("Our office lost internet at 08:15."));
    assert!(page.contains("TICKET-77"));
    assert!(page.contains("Acknowledged"));
    let list = browser.page("/portal/support?q=ticket-77").await;
    assert!(list.contains(&case), "the reference search finds it");
    let list = browser.page("/portal/support?status=Closed").await;
    assert!(!list.contains(&format!("{case}<")));
    let bad = browser.get("/portal/support?status=Nope&offset=x").await;
    assert_eq!(bad.status(), 422, "a clear refusal, not a 500");
}

#[tokio::test]
async fn portal_support_uploads_meet_the_apis_name_and_content_rules() {
    let app = spawn_app().await;
    let (services, mut browser) = open_seed(&app).await;
    let case = open_through_form(&mut browser, services[0]).await;
    let path = format!("/portal/support/cases/{case}");
    let token = browser.csrf_from(&path).await;

    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "invoice\u{202E}txt.exe",
            "text/plain",
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"file-error\""));
    assert!(page.contains("U+202E"), "the character is named");

    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "screenshot.png",
            "image/png",
            b"<html><script>alert(1)</script></html>".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 415);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"file-error\""));
    assert!(page.contains("content is not a PNG image"));

    let page = browser.page(&path).await;
    assert!(!page.contains("/attachments/ATT-"), "nothing was stored");
}

#[tokio::test]
async fn portal_support_replying_uploading_cancelling_and_closing_a_case() {
    let app = spawn_app_with(|c| c.cases.attachment_max_bytes = 64 * 1024).await;
    let (services, mut browser) = open_seed(&app).await;
    let case = open_through_form(&mut browser, services[0]).await;
    let path = format!("/portal/support/cases/{case}");
    let token = browser.csrf_from(&path).await;

    let response = browser
        .post_form(
            &format!("{path}/reply"),
            &[
                ("csrf_token", &token),
                ("message", "It is back since 09:00."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = browser
        .post_form(
            &format!("{path}/reply"),
            &[("csrf_token", &token), ("message", "   ")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"message-error\"")
    );

    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "trace.txt",
            "text/plain",
            b"ping 10.0.0.1: timeout".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "run.exe",
            "application/x-msdownload",
            b"MZ".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 415);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"file-error\""));
    assert!(page.contains("cannot be attached"));
    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "empty.txt",
            "text/plain",
            vec![],
        )
        .await;
    assert_eq!(response.status(), 422);
    let limit = app.app.state.config.cases.attachment_max_bytes as usize;
    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            &token,
            "big.txt",
            "text/plain",
            vec![b'a'; limit + 1],
        )
        .await;
    assert_eq!(response.status(), 413);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("ttachments may be at most")
    );

    let page = browser.page(&path).await;
    assert!(page.contains("It is back since 09:00."));
    let marker = format!("{path}/attachments/");
    let start = page.find(&marker).expect("a download link");
    let link = &page[start..start + page[start..].find('"').unwrap()];
    let download = browser.get(link).await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("trace.txt")
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"ping 10.0.0.1: timeout"
    );
    // An Acknowledged case may be cancelled (with a reason), not closed.
    assert!(page.contains(&format!("{path}/cancel")));
    assert!(!page.contains(&format!("{path}/close\"")));
    let response = browser
        .post_form(&format!("{path}/close"), &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"action-error\"")
    );
    let response = browser
        .post_form(
            &format!("{path}/cancel"),
            &[("csrf_token", &token), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), 422);

    // Resolved by the provider: close and reopen are offered, cancel is not.
    let id = IdKind::Case.parse(&case).unwrap();
    for to in [CaseStatus::InProgress, CaseStatus::Resolved] {
        let row = find_case_anywhere(app.db(), id).await.unwrap().unwrap();
        case_service::provider_move(&app.app.state, &row, &provider(), to, "fixed")
            .await
            .unwrap();
    }
    let page = browser.page(&path).await;
    assert!(page.contains(&format!("{path}/close\"")));
    assert!(page.contains(&format!("{path}/reopen\"")));
    assert!(!page.contains(&format!("{path}/cancel\"")));
    let response = browser
        .post_form(
            &format!("{path}/close"),
            &[("csrf_token", &token), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let page = browser.page(&path).await;
    assert!(page.contains("Closed"));
    assert!(
        !page.contains(&format!("{path}/reply\"")),
        "final: no reply form"
    );
    let row = find_case_anywhere(app.db(), id).await.unwrap().unwrap();
    assert_eq!(row.status(), CaseStatus::Closed);
}

#[tokio::test]
async fn portal_support_forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let (services, mut browser) = open_seed(&app).await;
    let case = open_through_form(&mut browser, services[0]).await;
    let path = format!("/portal/support/cases/{case}");
    for (action, fields) in [
        ("reply", vec![("message", "sneaky")]),
        ("cancel", vec![("reason", "sneaky")]),
        (
            "reply",
            vec![("csrf_token", "wrong"), ("message", "sneaky")],
        ),
    ] {
        let response = browser
            .post_form(&format!("{path}/{action}"), &fields)
            .await;
        assert_eq!(response.status(), 403, "{action}");
    }
    let response = browser
        .post_file(
            &format!("{path}/attachments"),
            "wrong",
            "a.txt",
            "text/plain",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = browser
        .post_form("/portal/support/cases", &[("type", "Incident")])
        .await;
    assert_eq!(response.status(), 403);
    let page = browser.page(&path).await;
    assert!(!page.contains("sneaky"));
    assert!(!page.contains("a.txt"));
}

/// A PDF without its random file identifier.
fn without_id(pdf: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pdf);
    match text.find("/ID[") {
        Some(start) => {
            let end = text[start..].find(']').unwrap() + start;
            format!("{}{}", &text[..start], &text[end..]).into_bytes()
        }
        None => pdf.to_vec(),
    }
}

fn rfo_content(service: &str) -> RfoContent {
    RfoContent {
        affected_service_ids: vec![service.into()],
        impact: RfoImpact::Down,
        incident_start: "2026-11-26T08:15:00Z".into(),
        detected: "2026-11-26T08:17:00Z".into(),
        restored: Some("2026-11-26T10:45:00Z".into()),
        excluded_minutes: 0,
        root_cause_category: "FiberCut".into(),
        root_cause: "Construction work cut the access fibre.".into(),
        responsible_party: "ThirdPartyCarrier".into(),
        timeline: vec![TimelineEntry {
            at: "2026-11-26T09:30:00Z".into(),
            description: "Field engineer on site".into(),
        }],
        workaround: String::new(),
        corrective_actions: vec!["Splice the fibre".into()],
        preventive_actions: vec![],
        sla_breached: true,
    }
}

#[tokio::test]
async fn portal_support_the_rfo_page_and_the_charts() {
    let app = spawn_app().await;
    let (services, mut browser) = open_seed(&app).await;
    let case = open_through_form(&mut browser, services[0]).await;
    let path = format!("/portal/support/cases/{case}/rfo");
    let page = browser.page(&path).await;
    assert!(page.contains("Not yet available"));
    assert_eq!(browser.get(&format!("{path}.pdf")).await.status(), 404);

    let row = find_case_anywhere(app.db(), IdKind::Case.parse(&case).unwrap())
        .await
        .unwrap()
        .unwrap();
    let service = IdKind::Service.format(services[0]);
    rfo::publish(
        &app.app.state,
        &row,
        &provider(),
        RfoStatus::Final,
        &rfo_content(&service),
    )
    .await
    .unwrap();
    let page = browser.page(&path).await;
    assert!(page.contains("Construction work cut the access fibre."));
    assert!(page.contains(&format!("{path}.pdf")));
    let charts = svgs(&page);
    assert_eq!(charts.len(), 1, "the incident timeline");
    assert_well_formed(charts[0]);
    assert_eq!(
        charts[0].matches("<circle").count(),
        4,
        "start, detected, engineer, restored"
    );
    let pdf = browser.get(&format!("{path}.pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let portal_pdf = pdf.bytes().await.unwrap();
    assert!(portal_pdf.starts_with(b"%PDF"));
    let owner = app.user(PermissionSet::all()).await;
    let api_pdf = app
        .get(&format!("/v2/cases/{case}/rfo/document"), &owner.token)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        without_id(&portal_pdf),
        without_id(&api_pdf),
        "the same document as the API"
    );

    let case_page = browser.page(&format!("/portal/support/cases/{case}")).await;
    let charts = svgs(&case_page);
    assert_eq!(charts.len(), 1, "the case shows its incident timeline");
    assert_well_formed(charts[0]);

    let list = browser.page("/portal/support").await;
    let charts = svgs(&list);
    assert_eq!(charts.len(), 2, "open cases by status and by priority");
    for svg in &charts {
        assert_well_formed(svg);
    }
    assert!(charts[0].contains(">Acknowledged</text>"));
    assert!(charts[1].contains(">P1</text>"));
    assert!(charts[0].contains("1 open cases"));

    // One case in progress and one resolved (no longer open) beside the first.
    for path in [
        &[CaseStatus::InProgress][..],
        &[CaseStatus::InProgress, CaseStatus::Resolved][..],
    ] {
        let opened = open_through_form(&mut browser, services[0]).await;
        for to in path {
            let row = find_case_anywhere(app.db(), IdKind::Case.parse(&opened).unwrap())
                .await
                .unwrap()
                .unwrap();
            case_service::provider_move(&app.app.state, &row, &provider(), *to, "")
                .await
                .unwrap();
        }
    }
    let list = browser.page("/portal/support").await;
    let charts = svgs(&list);
    assert!(
        charts[0].contains("2 open cases: Acknowledged 1, InProgress 1, Pending 0, Held 0"),
        "{}",
        charts[0]
    );
    assert!(
        charts[1].contains("2 open cases: P1 2, P2 0, P3 0, P4 0, P5 0"),
        "{}",
        charts[1]
    );
}

#[tokio::test]
async fn portal_support_billing_lists_filters_shows_lines_charts_and_downloads() {
    let app = spawn_app().await;
    let account = create_account(
        app.db(),
        NewAccount {
            org_id: app.org_id,
            account_type: AccountType::Contract,
            name: "Main",
            country: "NL",
            billing_currency: "EUR",
        },
    )
    .await
    .unwrap();
    let today = OffsetDateTime::now_utc().date();
    let mut ids = Vec::new();
    for month in 0..14 {
        let date = today - Duration::days(30 * month);
        ids.push(
            insert(
                app.db(),
                &new_invoice(app.org_id, account, &format!("INV-T-{month:02}"), date),
            )
            .await,
        );
    }
    let mut browser = Browser::signed_in(&app, perms(&[Permission::BillingView])).await;
    let page = browser.page("/portal/billing").await;
    assert!(page.contains("INV-T-00") && page.contains("INV-T-13"));
    let charts = svgs(&page);
    assert_eq!(charts.len(), 1);
    assert_well_formed(charts[0]);
    assert_eq!(charts[0].matches("<rect class=\"chart-bar\"").count(), 12);
    assert!(charts[0].contains("Total (EUR)"), "a labelled y axis");
    assert!(page.contains("544.50 EUR"), "the table of months");

    let cutoff = (today - Duration::days(45)).to_string();
    let filtered = browser
        .page(&format!("/portal/billing?from={cutoff}&status=Open"))
        .await;
    assert!(filtered.contains("INV-T-01") && !filtered.contains("INV-T-05"));
    let none = browser.page("/portal/billing?status=Paid").await;
    assert!(none.contains("No invoices match"));
    assert_eq!(
        browser.get("/portal/billing?status=Bogus").await.status(),
        422
    );
    assert_eq!(
        browser
            .get("/portal/billing?from=garbage&to=%00")
            .await
            .status(),
        200
    );

    let id = IdKind::Invoice.format(ids[0]);
    let page = browser
        .page(&format!("/portal/billing/invoices/{id}"))
        .await;
    assert!(page.contains("Global Internet 500/500 Mbps"));
    assert!(page.contains("544.50 EUR"));
    let owner = app.user(PermissionSet::all()).await;
    for (portal, api, kind) in [
        (
            format!("/portal/billing/invoices/{id}/pdf"),
            format!("/v2/invoices/{id}/document"),
            "application/pdf",
        ),
        (
            format!("/portal/billing/invoices/{id}/lines.csv"),
            format!("/v2/invoices/{id}/lines.csv"),
            "text/csv; charset=utf-8",
        ),
    ] {
        let response = browser.get(&portal).await;
        assert_eq!(response.status(), 200, "{portal}");
        assert_eq!(response.headers()["content-type"], kind);
        let disposition = response.headers()["content-disposition"].clone();
        let mine = response.bytes().await.unwrap();
        let theirs = app.get(&api, &owner.token).await;
        assert_eq!(theirs.headers()["content-disposition"], disposition);
        if kind == "application/pdf" {
            assert!(mine.starts_with(b"%PDF"));
            assert_eq!(
                without_id(&mine),
                without_id(&theirs.bytes().await.unwrap()),
                "the same PDF as the API"
            );
        } else {
            assert_eq!(
                mine,
                theirs.bytes().await.unwrap(),
                "the same CSV as the API"
            );
        }
    }
}

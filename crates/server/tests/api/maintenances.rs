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
    problem(crate::operations::send(app, method, path, token, body).await).await
}

/// Staff announce `body`; answers the new maintenance's id and the maintenance.
async fn announce(app: &TestApp, staff: &str, body: Value) -> (String, Value) {
    let (status, created) = send(app, "POST", "/ops/v1/maintenances", staff, body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["maintenanceId"].as_str().unwrap().to_owned();
    (id, created)
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
async fn a_maintenance_reaches_each_affected_organization_with_only_its_services_through_its_life()
{
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

    let (id, created) = announce(
        &app,
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
    assert_eq!(created["status"], "CONFIRMED");
    assert_eq!(created["revision"], 1);
    assert_eq!(created["shortNotice"], true, "3 days ahead is short notice");
    assert_eq!(created["impact"], "OUTAGE");
    assert_eq!(service_ids(&created).len(), 3, "staff see every service");

    // Each organization sees the maintenance with its own services only.
    let mine = app
        .get_json(&format!("/v2/maintenances/{id}"), &us.token)
        .await;
    assert_eq!(
        service_ids(&mine),
        vec![svc(ours.services[0]), svc(ours.services[1])]
    );
    assert_eq!(mine["impact"], "OUTAGE");
    let theirs_view = app
        .get_json(&format!("/v2/maintenances/{id}"), &them.token)
        .await;
    assert_eq!(service_ids(&theirs_view), vec![svc(theirs.services[0])]);
    assert_eq!(
        theirs_view["impact"], "DEGRADED",
        "the highest impact they see"
    );
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
        [
            "announced",
            "rescheduled",
            "confirmed",
            "started",
            "completed"
        ]
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

    // A valid announcement with one field changed (or dropped, for null).
    let with = |field: &str, value: Value| {
        let mut body = json!({"providerReference": "CHG-1", "title": "T", "reason": "R",
            "startDate": days_from_now(30.0), "endDate": days_from_now(31.0),
            "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]});
        body[field] = value;
        body
    };
    let bad = [
        (with("endDate", json!(days_from_now(29.0))), "/endDate"),
        (
            with(
                "services",
                json!([{"serviceId": "SVC-999999", "impact": "OUTAGE"}]),
            ),
            "/services/0/serviceId",
        ),
        (
            with(
                "services",
                json!([{"serviceId": svc(service), "impact": "OUTAGE"},
                       {"serviceId": svc(service), "impact": "DEGRADED"}]),
            ),
            "/services/1/serviceId",
        ),
        (with("title", json!("  ")), "/title"),
        (with("startDate", json!("next tuesday")), "/startDate"),
        (with("services", json!([])), "/services"),
        (
            with("providerReference", json!("CHG-1; core")),
            "/providerReference",
        ),
        (with("status", json!("COMPLETED")), "/status"),
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
    assert_eq!(
        (status, taken["code"].clone()),
        (409, json!("reference_taken"))
    );

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
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("IN-PROCESS, CANCELLED"),
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
    assert_eq!(
        (status, longer["status"].clone()),
        (200, json!("IN-PROCESS"))
    );

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
    let (status, _) = send(
        &app,
        "GET",
        "/ops/v1/maintenances/MNT-999999",
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn customers_filter_maintenances_and_need_support_view() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 2).await;
    let staff = staff_token(&app).await;
    let mut ids = Vec::new();
    for (n, service) in ours.services.iter().take(3).enumerate() {
        ids.push(
            announce(
                &app,
                &staff,
                announcement(
                    &format!("CHG-F{n}"),
                    &[(*service, "DEGRADED")],
                    20.0 + n as f64,
                ),
            )
            .await
            .0,
        );
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
    assert_eq!(
        listed(&all, "maintenanceId"),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()],
        "newest window first"
    );
    let by_service = app
        .get_json(
            &format!("/v2/maintenances?serviceId={}", svc(ours.services[1])),
            &reader.token,
        )
        .await;
    assert_eq!(listed(&by_service, "maintenanceId"), [ids[1].clone()]);
    let confirmed = app
        .get_json(
            "/v2/maintenances?status=CONFIRMED&sort=startDate",
            &reader.token,
        )
        .await;
    assert_eq!(
        listed(&confirmed, "maintenanceId"),
        [ids[1].clone(), ids[2].clone()]
    );
    let later = app
        .get_json(
            &format!(
                "/v2/maintenances?startDate.gte={}",
                days_from_now(21.5).replace('+', "%2B")
            ),
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
    assert_eq!(
        app.get("/v2/maintenances", &billing.token).await.status(),
        403
    );
    let owner = app.developer().await;
    let (client, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let basic = app.access_token(&client, &secret).await;
    assert_eq!(app.get("/v2/maintenances", &basic).await.status(), 403);
    assert_eq!(
        app.get(&format!("/v2/maintenances/{}", ids[1]), &basic)
            .await
            .status(),
        403
    );
}

/// The feed as the `icalendar` library from PyPI reads it (tests/api/ics_reader.py).
fn read_calendar(ics: &str) -> Value {
    read_with(ics, &[])
}

/// `ics_reader.py` with `args` over `ics` (with `mime`, an e-mail as sent).
fn read_with(ics: &str, args: &[&str]) -> Value {
    use std::io::Write;
    let mut reader = std::process::Command::new(crate::helpers::python_with_test_libraries())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/ics_reader.py"
        ))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    reader
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let output = reader.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "icalendar could not read the feed: {}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn calendar_of(app: &TestApp, token: &str) -> (String, String) {
    let response = app.get("/v2/maintenances.ics", token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.text().await.unwrap(), etag)
}

#[tokio::test]
async fn the_calendar_feed_reads_back_in_an_independent_parser_with_every_bcop_property() {
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let staff = staff_token(&app).await;
    let us = app.user(perms(&[Permission::SupportView])).await;
    let them = app.user_in(other_org, PermissionSet::all()).await;
    let nobody = app
        .user_in(
            oneportal_store::orgs::create_organization(app.db(), "Bystander")
                .await
                .unwrap(),
            PermissionSet::all(),
        )
        .await;

    let reason = "Splicing the Zürich–Basel fibre; part 2, after the first attempt failed.\nExpect two short drops, each under a minute, while traffic moves to the protect path.";
    let mut body = announcement(
        "CHG-2026/77 core:AMS",
        &[
            (ours.services[0], "OUTAGE"),
            (ours.services[1], "REDUCED-REDUNDANCY"),
            (theirs.services[0], "DEGRADED"),
        ],
        30.0,
    );
    body["reason"] = json!(reason);
    let (id, created) = announce(&app, &staff, body).await;

    let (ics, etag) = calendar_of(&app, &us.token).await;
    // RFC 5545: CRLF line ends, no line longer than 75 octets, long ones folded.
    assert!(
        ics.ends_with("\r\n") && !ics.replace("\r\n", "").contains('\n'),
        "{ics}"
    );
    assert!(
        ics.split("\r\n").all(|line| line.len() <= 75),
        "a line is over 75 octets: {ics}"
    );
    assert!(
        ics.contains("\r\n "),
        "the long description is folded: {ics}"
    );

    let read = read_calendar(&ics);
    assert_eq!(read["method"], "PUBLISH");
    let events = read["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{read}");
    let event = &events[0];
    let org = IdKind::Organization.format(app.org_id);
    assert_eq!(event["uid"], format!("{id}.{org}@127.0.0.1"));
    assert_eq!(event["provider"], "127.0.0.1");
    assert_eq!(event["account"], org);
    assert_eq!(event["maintenanceId"], "CHG-2026/77 core:AMS");
    assert!(
        event["description"].as_str().unwrap().starts_with(reason),
        "{event}"
    );
    assert_eq!(event["sequence"], 1);
    assert_eq!(event["status"], "CONFIRMED");
    assert_eq!(event["maintenanceStatus"], "CONFIRMED");
    assert_eq!(event["impact"], "OUTAGE");
    assert_eq!(
        event["objects"],
        json!([
            {"id": svc(ours.services[0]), "impact": "OUTAGE"},
            {"id": svc(ours.services[1]), "impact": "REDUCED-REDUNDANCY"},
        ]),
        "only our services, each with its impact"
    );
    assert_eq!(
        event["start"].as_str().unwrap().replace("+00:00", "Z"),
        created["startDate"].as_str().unwrap()
    );

    // Unchanged, the feed answers 304 to its ETag.
    let unchanged = app
        .http
        .get(app.at("/v2/maintenances.ics"))
        .bearer_auth(&us.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    // Rescheduled: the same UID with the next SEQUENCE, so calendars update the event.
    send(
        &app,
        "PATCH",
        &format!("/ops/v1/maintenances/{id}"),
        &staff,
        json!({"startDate": days_from_now(31.0), "endDate": days_from_now(31.25)}),
    )
    .await;
    let (ics, new_etag) = calendar_of(&app, &us.token).await;
    assert_ne!(new_etag, etag);
    let event = &read_calendar(&ics)["events"][0];
    assert_eq!(event["uid"], format!("{id}.{org}@127.0.0.1"));
    assert_eq!(event["sequence"], 2);
    assert_eq!(event["maintenanceStatus"], "RE-SCHEDULED");

    // Each organization's calendar holds its own services; a bystander's holds nothing.
    let (ics, _) = calendar_of(&app, &them.token).await;
    let theirs_event = &read_calendar(&ics)["events"][0];
    assert_eq!(
        theirs_event["objects"],
        json!([{"id": svc(theirs.services[0]), "impact": "DEGRADED"}])
    );
    assert_eq!(
        theirs_event["account"],
        IdKind::Organization.format(other_org)
    );
    let (ics, _) = calendar_of(&app, &nobody.token).await;
    assert_eq!(read_calendar(&ics)["events"], json!([]));

    // Cancelled, the event stays with STATUS:CANCELLED so calendars remove it.
    send(
        &app,
        "POST",
        &format!("/ops/v1/maintenances/{id}/status"),
        &staff,
        json!({"status": "CANCELLED"}),
    )
    .await;
    let (ics, _) = calendar_of(&app, &us.token).await;
    let event = &read_calendar(&ics)["events"][0];
    assert_eq!(
        (event["status"].clone(), event["sequence"].clone()),
        (json!("CANCELLED"), json!(3))
    );

    let response = app.get("/v2/maintenances.ics?token=x", &us.token).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn the_portal_shows_maintenance_in_progress_upcoming_and_past_on_the_support_home_and_service_pages()
 {
    use crate::browser::Browser;
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let announce = async |reference: &str, service: i64, days: f64| -> String {
        announce(
            &app,
            &staff,
            announcement(reference, &[(service, "OUTAGE")], days),
        )
        .await
        .0
    };
    let running = announce("CHG-RUNNING", ours.services[0], 10.0).await;
    let soon = announce("CHG-SOON", ours.services[0], 3.0).await;
    let later = announce("CHG-LATER", ours.services[1], 30.0).await;
    let done = announce("CHG-DONE", ours.services[1], 20.0).await;
    for (id, moves) in [
        (&running, &["IN-PROCESS"][..]),
        (&done, &["IN-PROCESS", "COMPLETED"][..]),
    ] {
        for status in moves {
            let (code, _) = send(
                &app,
                "POST",
                &format!("/ops/v1/maintenances/{id}/status"),
                &staff,
                json!({ "status": status }),
            )
            .await;
            assert_eq!(code, 200);
        }
    }

    let mut browser = Browser::signed_in(
        &app,
        perms(&[Permission::SupportView, Permission::SitesServicesView]),
    )
    .await;
    let page = browser.page("/portal/support/maintenance").await;
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} is not on the page"))
    };
    assert!(at("In progress") < at("CHG-RUNNING"));
    assert!(at("CHG-RUNNING") < at("Upcoming"));
    assert!(
        at("Upcoming") < at("CHG-SOON") && at("CHG-SOON") < at("CHG-LATER"),
        "soonest first"
    );
    assert!(at("CHG-LATER") < at("Past 90 days") && at("Past 90 days") < at("CHG-DONE"));
    assert!(page.contains("Short notice"), "3 days ahead is flagged");

    let detail = browser
        .page(&format!("/portal/support/maintenance/{soon}"))
        .await;
    assert!(
        detail.contains("Core router software upgrade") && detail.contains(&svc(ours.services[0]))
    );
    assert!(detail.contains("Short notice"));

    // Home: in progress, and what starts within a week; not what starts in a month.
    let home = browser.page("/portal/").await;
    assert!(home.contains("Maintenance this week"));
    assert!(home.contains(&soon) && home.contains(&running), "{home}");
    assert!(!home.contains(&later) && !home.contains(&done));

    // A service page lists what is coming for that service only.
    let service_page = browser
        .page(&format!("/portal/services/{}", svc(ours.services[1])))
        .await;
    assert!(service_page.contains("Planned maintenance"));
    assert!(
        service_page.contains(&later)
            && !service_page.contains(&soon)
            && !service_page.contains(&done)
    );

    // Without Support (View) there is no maintenance anywhere.
    let mut outsider = Browser::signed_in(&app, perms(&[Permission::SitesServicesView])).await;
    let response = outsider.get("/portal/support/maintenance").await;
    assert_eq!(response.status(), 403);
    assert!(
        !outsider
            .page("/portal/")
            .await
            .contains("Maintenance this week")
    );
    assert!(
        !outsider
            .page(&format!("/portal/services/{}", svc(ours.services[1])))
            .await
            .contains("Planned maintenance")
    );
}

#[tokio::test]
async fn maintenance_notices_are_mailed_to_who_may_see_them_with_their_own_calendar_entry() {
    use oneportal_domain::notification::Topic;
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 1).await;
    let staff = staff_token(&app).await;
    let support = perms(&[Permission::SupportView]);
    let reader = app.user(support).await; // on by default
    let elsewhere = app.user(support).await; // sees only the other contract account
    app.restrict(elsewhere.id, &[ours.contract[1]]).await;
    let billing = app.user(perms(&[Permission::BillingView])).await; // no Support (View)
    let quiet = app.user(support).await;
    crate::notifications::choose(&app, &quiet, &[Topic::MyCases]).await;
    let them = app.user_in(other_org, support).await;

    let (id, _) = announce(
        &app,
        &staff,
        announcement(
            "CHG-MAIL-1",
            &[
                (ours.services[0], "OUTAGE"),
                (theirs.services[0], "DEGRADED"),
            ],
            5.0,
        ),
    )
    .await;
    crate::notifications::write_all(&app).await;

    let outbox = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    let to = |user: &crate::helpers::TestUser| {
        outbox
            .iter()
            .filter(|m| m.recipient == user.email)
            .collect::<Vec<_>>()
    };
    for nobody in [&elsewhere, &billing, &quiet] {
        assert!(to(nobody).is_empty(), "{} was mailed", nobody.email);
    }
    let [mine] = to(&reader)[..] else {
        panic!("one e-mail to the reader: {outbox:?}")
    };
    assert_eq!(
        mine.subject,
        format!("[{id}] Planned maintenance: Core router software upgrade")
    );
    assert!(mine.body.contains("Short notice"), "{}", mine.body);
    assert!(
        mine.body
            .contains(&format!("/portal/support/maintenance/{id}"))
    );
    assert_eq!(
        mine.attachment_name.as_deref(),
        Some(format!("{id}.ics").as_str())
    );
    assert_eq!(
        mine.attachment_type.as_deref(),
        Some("text/calendar; method=PUBLISH; charset=utf-8")
    );
    let entry = read_calendar(mine.attachment.as_deref().unwrap());
    assert_eq!(entry["method"], "PUBLISH");
    assert_eq!(
        entry["events"][0]["objects"],
        json!([{"id": svc(ours.services[0]), "impact": "OUTAGE"}])
    );
    let [theirs_mail] = to(&them)[..] else {
        panic!("one e-mail to the other organization")
    };
    let entry = read_calendar(theirs_mail.attachment.as_deref().unwrap());
    assert_eq!(
        entry["events"][0]["objects"],
        json!([{"id": svc(theirs.services[0]), "impact": "DEGRADED"}]),
        "each organization's entry holds its own services"
    );

    // A cancellation is a second notice whose entry cancels the first in the calendar.
    send(
        &app,
        "POST",
        &format!("/ops/v1/maintenances/{id}/status"),
        &staff,
        json!({"status": "CANCELLED"}),
    )
    .await;
    crate::notifications::write_all(&app).await;
    let outbox = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    let cancelled = outbox
        .iter()
        .find(|m| m.recipient == reader.email && m.subject.contains("cancelled"))
        .expect("the cancellation is mailed");
    let entry = read_calendar(cancelled.attachment.as_deref().unwrap());
    assert_eq!(entry["events"][0]["status"], "CANCELLED");
    assert_eq!(entry["events"][0]["sequence"], 2);
}

#[tokio::test]
async fn over_smtp_the_notice_carries_its_calendar_entry_as_an_attachment() {
    let (port, received) = crate::portal_users::smtp_listener().await;
    let app = crate::helpers::spawn_app_with(|c| {
        c.smtp = Some(oneportal::config::SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "Provider NOC <noc@provider.example>".into(),
            starttls: false,
        })
    })
    .await;
    let ours = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let reader = app.user(perms(&[Permission::SupportView])).await;
    let (status, _) = send(
        &app,
        "POST",
        "/ops/v1/maintenances",
        &staff,
        announcement("CHG-SMTP-1", &[(ours.services[0], "DEGRADED")], 40.0),
    )
    .await;
    assert_eq!(status, 201);
    crate::notifications::write_all(&app).await;
    oneportal::services::mail::deliver_due(&app.app.state).await;
    let data = tokio::time::timeout(std::time::Duration::from_secs(20), received)
        .await
        .expect("the SMTP server got the notice in time")
        .unwrap();
    assert!(data.contains(&format!("To: {}", reader.email)), "{data}");
    let entry = read_with(&data, &["mime"]);
    let event = &entry["events"][0];
    assert_eq!(event["maintenanceId"], "CHG-SMTP-1");
    assert_eq!(
        event["objects"],
        json!([{"id": svc(ours.services[0]), "impact": "DEGRADED"}])
    );
    assert_eq!(entry["method"], "PUBLISH");
}

#[tokio::test]
async fn a_secret_calendar_address_serves_the_feed_without_a_token_until_it_is_replaced_or_its_owner_loses_access()
 {
    use crate::browser::{Browser, hidden_csrf, person};
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let staff = staff_token(&app).await;
    let (id, _) = announce(
        &app,
        &staff,
        announcement("CHG-CAL-1", &[(ours.services[0], "OUTAGE")], 30.0),
    )
    .await;
    let (user_id, email) = person(&app, perms(&[Permission::SupportView])).await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;

    let address = async |browser: &mut Browser| -> Option<String> {
        let page = browser.page("/portal/account").await;
        let start = page.find("/portal/calendar/maintenance.ics?key=")?;
        let url = &page[start..];
        Some(url[..url.find('<').unwrap()].replace("&amp;", "&"))
    };
    let act = async |browser: &mut Browser, action: &str| {
        let token = hidden_csrf(&browser.page("/portal/account").await);
        let answer = browser
            .post_form(
                "/portal/account/calendar",
                &[("csrf_token", &token), ("action", action)],
            )
            .await;
        assert_eq!(answer.status(), 303, "{action}");
    };
    assert!(
        address(&mut browser).await.is_none(),
        "no address until one is made"
    );
    act(&mut browser, "create").await;
    let first = address(&mut browser).await.expect("the address is shown");
    let key = first.split("key=").nth(1).unwrap().to_owned();
    crate::hygiene::record("calendar_key", &key);
    assert!(key.starts_with("cal_") && key.len() == 36, "{key}");

    // A calendar app with nothing but the address.
    let anonymous = crate::helpers::http_client().build().unwrap();
    let fetch = async |path: &str| {
        let response = anonymous.get(app.at(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    let (status, ics) = fetch(&first).await;
    assert_eq!(status, 200, "{ics}");
    let event = &read_calendar(&ics)["events"][0];
    assert_eq!(
        event["uid"].as_str().unwrap().split('.').next(),
        Some(id.as_str())
    );

    // A new address replaces the old one.
    act(&mut browser, "create").await;
    let second = address(&mut browser).await.unwrap();
    assert_ne!(second, first);
    assert_eq!(fetch(&first).await.0, 404);
    assert_eq!(fetch(&second).await.0, 200);
    assert!(
        browser
            .page("/portal/account")
            .await
            .contains("last read by a calendar")
    );

    // Losing Support (View) stops it; getting it back restores it.
    app.set_permissions(user_id, perms(&[Permission::BillingView]))
        .await;
    assert_eq!(fetch(&second).await.0, 404);
    app.set_permissions(user_id, perms(&[Permission::SupportView]))
        .await;
    assert_eq!(fetch(&second).await.0, 200);

    // Turned off, it is gone; a made-up or malformed key is the same 404.
    act(&mut browser, "remove").await;
    assert_eq!(fetch(&second).await.0, 404);
    assert!(address(&mut browser).await.is_none());
    for made_up in [
        "/portal/calendar/maintenance.ics?key=cal_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/portal/calendar/maintenance.ics?key=x",
        "/portal/calendar/maintenance.ics",
    ] {
        assert_eq!(fetch(made_up).await.0, 404, "{made_up}");
    }

    // Without Support (View) there is no calendar section, and the form is refused.
    let mut outsider = Browser::signed_in(&app, perms(&[Permission::BillingView])).await;
    let page = outsider.page("/portal/account").await;
    assert!(!page.contains("Maintenance calendar"));
    let token = hidden_csrf(&page);
    let refused = outsider
        .post_form(
            "/portal/account/calendar",
            &[("csrf_token", &token), ("action", "create")],
        )
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn staff_announce_reschedule_and_run_a_maintenance_from_the_staff_pages() {
    use crate::browser::{Browser, hidden_csrf, location};
    let app = spawn_app().await;
    let ours = seed(&app, app.org_id, 1).await;
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let page = staff.page("/staff/maintenance").await;
    assert!(page.contains("Announce a maintenance"));
    let token = hidden_csrf(&page);
    let start = days_from_now(20.0)[..16].to_owned();
    let end = days_from_now(20.2)[..16].to_owned();
    let services = format!(
        "{} OUTAGE\n{} no-impact",
        svc(ours.services[0]),
        svc(ours.services[1])
    );
    let form = |services: &str| {
        vec![
            ("csrf_token".to_owned(), token.clone()),
            ("reference".to_owned(), "CHG-WEB-1".to_owned()),
            ("title".to_owned(), "Router upgrade".to_owned()),
            ("reason".to_owned(), "New software.".to_owned()),
            ("status".to_owned(), "CONFIRMED".to_owned()),
            ("start".to_owned(), start.clone()),
            ("end".to_owned(), end.clone()),
            ("services".to_owned(), services.to_owned()),
        ]
    };
    let post = async |browser: &mut Browser, path: &str, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser.post_form(path, &fields).await
    };

    // A mistake comes back with its line named and the form as it was.
    let refused = post(&mut staff, "/staff/maintenance", form("SVC-000001 DOWN")).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("Line 1") && body.contains("CHG-WEB-1"),
        "{body}"
    );

    let announced = post(&mut staff, "/staff/maintenance", form(&services)).await;
    assert_eq!(announced.status(), 303);
    let detail_path = location(&announced);
    let detail = staff.page(&detail_path).await;
    assert!(detail.contains(&svc(ours.services[1])) && detail.contains("NO-IMPACT"));
    assert!(detail.contains("announced"));

    let token = hidden_csrf(&detail);
    let moved = post(
        &mut staff,
        &format!("{detail_path}/window"),
        vec![
            ("csrf_token".into(), token.clone()),
            ("start".into(), days_from_now(22.0)[..16].to_owned()),
            ("end".into(), days_from_now(22.2)[..16].to_owned()),
            ("note".into(), "crew moved".into()),
        ],
    )
    .await;
    assert_eq!(moved.status(), 303);
    let detail = staff.page(&detail_path).await;
    assert!(detail.contains("RE-SCHEDULED") && detail.contains("crew moved"));
    for status in ["IN-PROCESS", "COMPLETED"] {
        let token = hidden_csrf(&staff.page(&detail_path).await);
        let changed = post(
            &mut staff,
            &format!("{detail_path}/status"),
            vec![
                ("csrf_token".into(), token),
                ("status".into(), status.into()),
            ],
        )
        .await;
        assert_eq!(changed.status(), 303, "{status}");
    }
    let detail = staff.page(&detail_path).await;
    assert!(detail.contains("is final"), "{detail}");

    // What staff did, customers see.
    let customer = app.user(perms(&[Permission::SupportView])).await;
    let list = app.get_json("/v2/maintenances", &customer.token).await;
    assert_eq!(list["data"][0]["status"], "COMPLETED");
    assert_eq!(list["data"][0]["providerReference"], "CHG-WEB-1");

    // Customers never reach the staff pages.
    let mut browser = Browser::signed_in(&app, PermissionSet::all()).await;
    let response = browser.get("/staff/maintenance").await;
    assert!(response.status().is_redirection(), "{}", response.status());
}

#[tokio::test]
async fn the_back_office_states_maintenance_in_the_import_and_each_import_moves_it_on() {
    use crate::imports::{document, import};
    let app = spawn_app().await;
    let staff = staff_token(&app).await;
    let mut doc = document("crm-mnt", "RFS");
    // One window for every state of the maintenance, so only the status changes between imports.
    let (start, end) = (days_from_now(30.0), days_from_now(30.1));
    let maintenance = |status: &str| {
        json!({"ref": "NOC-77", "title": "Splice", "reason": "Fibre splice.", "status": status,
               "startDate": start, "endDate": end,
               "services": [{"organizationRef": "crm-mnt", "serviceRef": "V-1", "impact": "OUTAGE"}]})
    };

    doc["maintenances"] = json!([maintenance("CONFIRMED")]);
    let response = import(&app, &staff, &doc).await;
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["maintenances"]["created"], 1, "{summary}");

    let org = crate::imports::organization(&app, "crm-mnt").await.unwrap();
    let reader = app.user_in(org, PermissionSet::all()).await;
    let listed = app.get_json("/v2/maintenances", &reader.token).await;
    assert_eq!(listed["data"][0]["providerReference"], "NOC-77");
    assert_eq!(listed["data"][0]["services"][0]["impact"], "OUTAGE");

    // The same document again changes nothing; a later state moves it on.
    let again: Value = import(&app, &staff, &doc).await.json().await.unwrap();
    assert_eq!(again["maintenances"]["unchanged"], 1, "{again}");
    doc["maintenances"] = json!([maintenance("COMPLETED")]);
    let done: Value = import(&app, &staff, &doc).await.json().await.unwrap();
    assert_eq!(done["maintenances"]["updated"], 1, "{done}");
    let id = listed["data"][0]["maintenanceId"].as_str().unwrap();
    let history = app
        .get_json(&format!("/ops/v1/maintenances/{id}/history"), &staff)
        .await;
    let steps: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["action"].as_str().unwrap(), h["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("announced", "import"),
            ("started", "import"),
            ("completed", "import")
        ]
    );

    // A state the lifecycle cannot reach, an unknown service and a bad impact are named, and nothing is written.
    let mut bad = document("crm-mnt", "RFS");
    bad["maintenances"] = json!([
        maintenance("CONFIRMED"),
        {"ref": "NOC-78", "title": "T", "reason": "R", "startDate": days_from_now(3.0), "endDate": days_from_now(3.1),
         "services": [{"organizationRef": "crm-mnt", "serviceRef": "V-404", "impact": "OUTAGE"},
                      {"organizationRef": "crm-mnt", "serviceRef": "V-1", "impact": "DOWN"}]}
    ]);
    let (status, problem) = problem(import(&app, &staff, &bad).await).await;
    assert_eq!(status, 422, "{problem}");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/maintenances/0/status",
            "/maintenances/1/services/0/serviceRef",
            "/maintenances/1/services/1/impact"
        ],
        "{problem}"
    );
    let none = app
        .get_json("/v2/maintenances?providerReference=NOC-78", &reader.token)
        .await;
    assert_eq!(none["data"], json!([]));
}

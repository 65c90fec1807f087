//! Notification e-mails (PRODUCT §7): who gets which event, as a matrix of
//! permissions × account access × preferences, and what the e-mail says.

use std::collections::{BTreeMap, BTreeSet};

use oneportal::services::cases as case_service;
use oneportal::services::{notifications, rfo};
use oneportal_domain::case::{CaseStatus, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_domain::notification::Topic;
use oneportal_domain::{Permission, PermissionSet, UserStatus};
use oneportal_store::events::{self, EventRow};
use oneportal_store::{Exec, notifications as sent, outbox};
use serde_json::json;
use time::macros::date;

use crate::browser::{Browser, hidden_csrf, person_in};
use crate::cases::{incident, provider, row};
use crate::catalog::seed;
use crate::helpers::{TestApp, TestUser, perms, spawn_app};

/// Writes every due notification, as the background loop does (which may be
/// writing some at the same moment: done is when no organization is behind).
pub(crate) async fn write_all(app: &TestApp) {
    loop {
        notifications::write_due(&app.app.state).await.unwrap();
        if sent::behind(app.db()).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Who was mailed about each event of the organization, by event type (in order).
async fn recipients(app: &TestApp, org_id: i64) -> Vec<(EventRow, BTreeSet<i64>)> {
    let all = events::after(
        app.db(),
        org_id,
        0,
        oneportal_domain::event::EventType::ALL,
        1000,
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for event in all {
        let users = sent::sent_for(app.db(), event.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(user, _)| user)
            .collect();
        out.push((event, users));
    }
    out
}

/// The person replies to the case through API V2.
async fn reply_as(app: &TestApp, person: &TestUser, case_id: &str) {
    let reply = app
        .post_json(
            &format!("/v2/cases/{case_id}/communications"),
            &person.token,
            json!({ "message": "The door code is 4711.\nAsk for Anna." }),
        )
        .await;
    assert_eq!(reply.status(), 201);
}

pub(crate) async fn choose(app: &TestApp, user: &TestUser, on: &[Topic]) {
    let entry = app
        .app
        .state
        .directory
        .user(app.db(), user.id)
        .await
        .unwrap()
        .unwrap();
    notifications::save_preferences(&app.app.state, &entry, on)
        .await
        .unwrap();
}

#[tokio::test]
async fn each_event_is_mailed_once_to_exactly_the_people_who_asked_and_may_see_it() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (south, north) = (catalog.contract[0], catalog.contract[1]);
    let support = perms(&[Permission::SupportView, Permission::SupportEdit]);
    let billing = perms(&[Permission::BillingView]);

    // The people, and what each should get.
    let opener = app.user(support).await; // defaults: my cases, RFOs, invoices
    let contact = app.user(perms(&[Permission::SupportView])).await; // named as the contact
    let watcher = app.user(support).await; // every case
    choose(&app, &watcher, &[Topic::AllCases]).await;
    let bystander = app.user(support).await; // defaults, not their case
    let north_watcher = app.user(support).await; // every case, but only North
    choose(
        &app,
        &north_watcher,
        &[Topic::AllCases, Topic::InvoiceIssued],
    )
    .await;
    app.restrict(north_watcher.id, &[north]).await;
    let accountant = app.user(billing).await; // invoices by default; no support
    choose(&app, &accountant, &[Topic::AllCases, Topic::InvoiceIssued]).await;
    let quiet = app.user(PermissionSet::all()).await; // everything off
    choose(&app, &quiet, &[]).await;
    let gone = app.user(PermissionSet::all()).await; // deactivated
    choose(&app, &gone, &[Topic::AllCases]).await;
    oneportal_store::users::set_status(app.db(), gone.id, UserStatus::Inactive)
        .await
        .unwrap();
    app.app
        .state
        .publish(oneportal::cluster::Change::User { user_id: gone.id })
        .await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Initech")
        .await
        .unwrap();
    let stranger = app.user_in(other_org, PermissionSet::all()).await;
    choose(&app, &stranger, &[Topic::AllCases, Topic::InvoiceIssued]).await;

    // What happens, on a South service.
    let mut body = incident(catalog.services[0]);
    body["contact"] = json!({ "name": "On call", "email": contact.email });
    let case = crate::cases::open(&app, &opener.token, body).await;
    let case_id = case["caseId"].as_str().unwrap().to_owned();
    let state = &app.app.state;
    case_service::provider_reply(
        state,
        &row(&app, &case_id).await,
        &provider(),
        "We see the line down and sent an engineer.",
        None,
    )
    .await
    .unwrap();
    for to in [CaseStatus::InProgress, CaseStatus::Pending] {
        case_service::provider_move(
            state,
            &row(&app, &case_id).await,
            &provider(),
            to,
            "waiting for access to the site",
        )
        .await
        .unwrap();
    }
    reply_as(&app, &opener, &case_id).await;
    let mut content = crate::cases::rfo_content();
    content.affected_service_ids = vec![IdKind::Service.format(catalog.services[0])];
    rfo::publish(
        state,
        &row(&app, &case_id).await,
        &provider(),
        RfoStatus::Final,
        &content,
    )
    .await
    .unwrap();
    oneportal::services::invoices::issue(
        state,
        &crate::invoices::new_invoice(app.org_id, south, "SOUTH-1", date!(2026 - 11 - 01)),
    )
    .await
    .unwrap();
    write_all(&app).await;

    let names: BTreeMap<i64, &str> = [
        (opener.id, "opener"),
        (contact.id, "contact"),
        (watcher.id, "watcher"),
        (bystander.id, "bystander"),
        (north_watcher.id, "north_watcher"),
        (accountant.id, "accountant"),
        (quiet.id, "quiet"),
        (gone.id, "gone"),
        (stranger.id, "stranger"),
    ]
    .into();
    let got: Vec<(&str, Vec<&str>)> = recipients(&app, app.org_id)
        .await
        .iter()
        .map(|(event, users)| {
            (
                event.event_type.name(),
                users
                    .iter()
                    .map(|u| names[u])
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // The opener opened it: not mailed about their own case's creation.
            ("case.created", vec!["contact", "watcher"]),
            (
                "case.communication_added",
                vec!["opener", "contact", "watcher"]
            ),
            ("case.status_changed", vec!["opener", "contact", "watcher"]),
            ("case.status_changed", vec!["opener", "contact", "watcher"]),
            // Their own reply, and the move it caused, are not mailed to the opener.
            ("case.communication_added", vec!["contact", "watcher"]),
            ("case.status_changed", vec!["contact", "watcher"]),
            // RFOs are on by default for everyone who may see the case; the
            // watcher chose only "every case", which turned them off.
            ("rfo.published", vec!["opener", "contact", "bystander"]),
            // Invoices too, for whoever has Billing (View) and sees the account.
            ("invoice.issued", vec!["accountant"]),
        ]
        .map(|(t, people)| (
            t,
            people
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        ))
        .to_vec(),
        "who was mailed about each event"
    );
    let stranger_events = recipients(&app, other_org).await;
    assert!(
        stranger_events.is_empty(),
        "nothing happened in the other organization"
    );

    // Writing again, as a second node or a restart would, mails nobody twice.
    app.db()
        .execute("DELETE FROM notification_cursors", vec![])
        .await
        .unwrap();
    let before = outbox::list(app.db(), 1000).await.unwrap().len();
    write_all(&app).await;
    assert_eq!(outbox::list(app.db(), 1000).await.unwrap().len(), before);
}

#[tokio::test]
async fn the_email_says_what_happened_and_links_to_the_page() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let support = perms(&[Permission::SupportView, Permission::SupportEdit]);
    let opener = app.user(support).await;
    let colleague = app.user(support).await;
    choose(&app, &colleague, &[Topic::AllCases]).await;
    let case = crate::cases::open(&app, &opener.token, incident(catalog.services[0])).await;
    let case_id = case["caseId"].as_str().unwrap().to_owned();
    reply_as(&app, &opener, &case_id).await;
    write_all(&app).await;

    let all = recipients(&app, app.org_id).await;
    let (reply_event, to) = all
        .iter()
        .find(|(e, _)| e.event_type.name() == "case.communication_added")
        .unwrap();
    assert_eq!(to, &BTreeSet::from([colleague.id]));
    let outbox_id = sent::sent_for(app.db(), reply_event.id).await.unwrap()[0].1;
    let mail = outbox::find(app.db(), outbox_id).await.unwrap().unwrap();
    assert_eq!(mail.recipient, colleague.email);
    assert_eq!(
        mail.subject,
        format!("[{case_id}] New reply from {}", opener.email)
    );
    for expected in [
        format!("{} wrote on case {case_id} (ServiceDown):", opener.email),
        "> The door code is 4711.\n> Ask for Anna.".to_owned(),
        app.at(&format!("/portal/support/cases/{case_id}")),
        "\"Every case I can see\" is on".to_owned(),
        app.at("/portal/account"),
    ] {
        assert!(
            mail.body.contains(&expected),
            "{expected:?} in:\n{}",
            mail.body
        );
    }
}

#[tokio::test]
async fn my_account_shows_the_choices_and_saves_them() {
    let app = spawn_app().await;
    let (user_id, email) = person_in(&app, app.org_id, perms(&[Permission::SupportView])).await;
    let mut portal = Browser::new(&app);
    let anonymous = portal.get("/portal/account").await;
    assert_eq!(anonymous.status(), 303, "My account needs a session");
    portal.login(&email).await;
    let page = portal.page("/portal/account").await;
    assert!(page.contains(&email), "{page}");
    for topic in Topic::ALL {
        assert!(page.contains(topic.label()), "{}", topic.label());
    }
    // Without Billing (View), invoices are explained rather than silently dropped.
    assert!(
        page.contains("Needs the Billing (View) permission"),
        "{page}"
    );
    let checked = |page: &str, key: &str| {
        page.contains(&format!(
            r#"value="{key}" aria-describedby="hint-{key}" checked"#
        ))
    };
    assert!(checked(&page, "cases.mine") && !checked(&page, "cases.all"));

    let token = hidden_csrf(&page);
    let saved = portal
        .post_form(
            "/portal/account/notifications",
            &[
                ("csrf_token", &token),
                ("topics", "cases.all"),
                ("topics", "rfo.published"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let page = portal.page("/portal/account?saved=notifications").await;
    assert!(page.contains("Your notification settings are saved."));
    assert!(checked(&page, "cases.all") && !checked(&page, "cases.mine"));
    let stored = sent::preferences(app.db(), user_id).await.unwrap();
    assert_eq!(
        stored,
        [
            ("cases.all".to_owned(), true),
            ("cases.mine".to_owned(), false),
            ("deactivation".to_owned(), false),
            ("invoice.issued".to_owned(), false),
            ("maintenance".to_owned(), false),
            ("orders".to_owned(), false),
            ("quotes".to_owned(), false),
            ("rfo.published".to_owned(), true),
        ]
    );
    // A form without its CSRF token changes nothing.
    let forged = portal
        .post_form("/portal/account/notifications", &[("topics", "cases.mine")])
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(sent::preferences(app.db(), user_id).await.unwrap(), stored);
}

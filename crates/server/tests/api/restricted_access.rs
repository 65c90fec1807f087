//! Restricted users, resource by resource. Users restricted to one contract
//! account, to one delivery account, and to both see exactly the records the
//! intersection of their restrictions allows (PRODUCT §1), through every API V2
//! read operation (taken from the router's own OpenAPI document) and every
//! customer portal page that shows a record (taken from the portal's route
//! table in its source). A route added later is covered by default, or fails
//! here until its parameters are classified.
//!
//! What each user may see is worked out here from the rule, independently of
//! the store's SQL: a service when both its accounts are allowed; a case, its
//! files and RFO with their service; an account, a site or an invoice when its
//! own account is allowed and, where the other type of account is restricted
//! too, when it is tied to a visible service (used by one, hosts one, bills
//! only visible ones); a maintenance when one of
//! the services it affects is visible, listing only those; a deactivation
//! request with its service. Besides the status of every call, no answer may carry
//! the id of a record the user may not see, anywhere in its body.

use std::collections::{BTreeMap, BTreeSet};

use oneportal_domain::PermissionSet;
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::ChargeType;
use oneportal_store::cases::{NewAttachment, add_attachment, insert_case, publish_rfo};
use oneportal_store::catalog::{insert_service, insert_site};
use oneportal_store::orgs::{NewAccount, create_account};
use serde_json::Value;
use time::macros::date;

use crate::browser::{Browser, person};
use crate::helpers::{TestApp, bare_incident, bare_service, bare_site, spawn_app};
use crate::invoices::{insert, line, new_invoice, with_lines};
use oneportal_domain::catalog::AccountType;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Account,
    Site,
    Service,
    Case,
    Attachment,
    Invoice,
    Maintenance,
    DeactivationRequest,
    Order,
    Quote,
}

/// A record: its kind, database id, and the text that names it in answers.
#[derive(Clone, Debug)]
struct Record {
    kind: Kind,
    id: i64,
    names: Vec<String>,
}

/// The seeded organization and, for each record, what decides its visibility.
struct World {
    records: Vec<Record>,
    /// Account id → is it a contract account.
    contract: BTreeMap<i64, bool>,
    /// Service id → (contract account, delivery account, site).
    services: BTreeMap<i64, (i64, i64, i64)>,
    /// Site id → owning account.
    site_owner: BTreeMap<i64, i64>,
    /// Case id → service; attachment id → case.
    case_service: BTreeMap<i64, i64>,
    attachment_case: BTreeMap<i64, i64>,
    /// Invoice id → (billed account, the service of each line, None for none).
    invoices: BTreeMap<i64, (i64, Vec<Option<i64>>)>,
    /// Maintenance id → the services it affects.
    maintenances: BTreeMap<i64, Vec<i64>>,
    /// Deactivation request id → its service.
    deactivation_service: BTreeMap<i64, i64>,
    /// Order id → the service of its one line.
    order_service: BTreeMap<i64, i64>,
    /// Quote id → a service on the same two accounts.
    quote_service: BTreeMap<i64, i64>,
}

/// A user's restrictions: `None` = every account of that type.
struct Restriction {
    contract: Option<BTreeSet<i64>>,
    delivery: Option<BTreeSet<i64>>,
}

impl World {
    fn allowed(&self, r: &Restriction, account: i64) -> bool {
        let own = if self.contract[&account] {
            &r.contract
        } else {
            &r.delivery
        };
        own.as_ref().is_none_or(|ids| ids.contains(&account))
    }

    /// The other type of account than `account`'s is unrestricted.
    fn untied(&self, r: &Restriction, account: i64) -> bool {
        if self.contract[&account] {
            r.delivery.is_none()
        } else {
            r.contract.is_none()
        }
    }

    fn service_visible(&self, r: &Restriction, service: i64) -> bool {
        let (c, d, _) = self.services[&service];
        self.allowed(r, c) && self.allowed(r, d)
    }

    fn visible(&self, r: &Restriction, record: &Record) -> bool {
        let tied = |account: i64, tie: &dyn Fn() -> bool| {
            self.allowed(r, account) && (self.untied(r, account) || tie())
        };
        match record.kind {
            Kind::Service => self.service_visible(r, record.id),
            Kind::Case => self.service_visible(r, self.case_service[&record.id]),
            Kind::Attachment => {
                self.service_visible(r, self.case_service[&self.attachment_case[&record.id]])
            }
            Kind::Account => tied(record.id, &|| {
                self.services.iter().any(|(s, (c, d, _))| {
                    (*c == record.id || *d == record.id) && self.service_visible(r, *s)
                })
            }),
            Kind::Site => tied(self.site_owner[&record.id], &|| {
                self.services
                    .iter()
                    .any(|(s, (_, _, site))| *site == record.id && self.service_visible(r, *s))
            }),
            Kind::DeactivationRequest => {
                self.service_visible(r, self.deactivation_service[&record.id])
            }
            Kind::Order => self.service_visible(r, self.order_service[&record.id]),
            Kind::Quote => self.service_visible(r, self.quote_service[&record.id]),
            Kind::Maintenance => self.maintenances[&record.id]
                .iter()
                .any(|s| self.service_visible(r, *s)),
            Kind::Invoice => {
                let (account, lines) = &self.invoices[&record.id];
                tied(*account, &|| {
                    !lines.is_empty()
                        && lines
                            .iter()
                            .all(|l| l.is_some_and(|s| self.service_visible(r, s)))
                })
            }
        }
    }
}

fn named(kind: Kind, id: i64, names: &[String]) -> Record {
    Record {
        kind,
        id,
        names: names.to_vec(),
    }
}

async fn seed(app: &TestApp) -> (World, [i64; 4]) {
    let db = app.db();
    let org_id = app.org_id;
    let account = |account_type, name| NewAccount {
        org_id,
        account_type,
        name,
        country: "NL",
        billing_currency: "EUR",
    };
    let a = create_account(db, account(AccountType::Contract, "Alpha Contract"))
        .await
        .unwrap();
    let b = create_account(db, account(AccountType::Contract, "Beta Contract"))
        .await
        .unwrap();
    let d = create_account(db, account(AccountType::Delivery, "Delta Delivery"))
        .await
        .unwrap();
    let e = create_account(db, account(AccountType::Delivery, "Echo Delivery"))
        .await
        .unwrap();
    let mut world = World {
        records: Vec::new(),
        contract: [(a, true), (b, true), (d, false), (e, false)].into(),
        services: BTreeMap::new(),
        site_owner: BTreeMap::new(),
        case_service: BTreeMap::new(),
        attachment_case: BTreeMap::new(),
        invoices: BTreeMap::new(),
        maintenances: BTreeMap::new(),
        deactivation_service: BTreeMap::new(),
        order_service: BTreeMap::new(),
        quote_service: BTreeMap::new(),
    };
    for id in [a, b, d, e] {
        world
            .records
            .push(named(Kind::Account, id, &[IdKind::Account.format(id)]));
    }
    // Sites without a service: one of a contract account, one of a delivery account.
    for owner in [a, d] {
        let site = insert_site(db, bare_site(org_id, owner)).await.unwrap();
        world.site_owner.insert(site, owner);
        world
            .records
            .push(named(Kind::Site, site, &[IdKind::Site.format(site)]));
    }
    let mut by_pair = BTreeMap::new();
    for (contract, delivery) in [(a, d), (a, e), (b, d), (b, e)] {
        let site = insert_site(db, bare_site(org_id, contract)).await.unwrap();
        world.site_owner.insert(site, contract);
        world
            .records
            .push(named(Kind::Site, site, &[IdKind::Site.format(site)]));
        let service = insert_service(db, bare_service(org_id, contract, delivery, site))
            .await
            .unwrap();
        by_pair.insert((contract, delivery), service);
        world.services.insert(service, (contract, delivery, site));
        world.records.push(named(
            Kind::Service,
            service,
            &[IdKind::Service.format(service)],
        ));
        let case = insert_case(
            db,
            &bare_incident(org_id, service, site, contract, delivery),
        )
        .await
        .unwrap()
        .id;
        world.case_service.insert(case, service);
        world
            .records
            .push(named(Kind::Case, case, &[IdKind::Case.format(case)]));
        let attachment = add_attachment(
            db,
            NewAttachment {
                case_id: case,
                communication_id: None,
                file_name: "trace.txt",
                content_type: "text/plain",
                sha256: "",
                content: b"trace".to_vec(),
                uploaded_by: "matrix",
                at: 1,
            },
        )
        .await
        .unwrap();
        world.attachment_case.insert(attachment, case);
        world.records.push(named(
            Kind::Attachment,
            attachment,
            &[IdKind::Attachment.format(attachment)],
        ));
        publish_rfo(db, case, "Final", &crate::access_matrix::rfo_body(), 1)
            .await
            .unwrap();
        let request =
            crate::access_matrix::deactivation_of(app, org_id, service, contract, delivery).await;
        world.deactivation_service.insert(request, service);
        let order = crate::access_matrix::order_of(app, org_id, service, contract, delivery).await;
        world.order_service.insert(order, service);
        world
            .records
            .push(named(Kind::Order, order, &[IdKind::Order.format(order)]));
        let site = world.services[&service].2;
        let quote = crate::access_matrix::quote_of(app, org_id, site, contract, delivery).await;
        world.quote_service.insert(quote, service);
        world
            .records
            .push(named(Kind::Quote, quote, &[IdKind::Quote.format(quote)]));
        world.records.push(named(
            Kind::DeactivationRequest,
            request,
            &[IdKind::DeactivationRequest.format(request)],
        ));
    }
    let service_line = |service: Option<i64>| {
        let mut l = line("Link", ChargeType::Recurring, "100.00");
        l.service_id = service;
        l
    };
    let invoices: [(&str, i64, Vec<Option<i64>>); 5] = [
        (
            "RX-MIXED-A",
            a,
            vec![Some(by_pair[&(a, d)]), Some(by_pair[&(a, e)])],
        ),
        ("RX-DELTA-A", a, vec![Some(by_pair[&(a, d)])]),
        ("RX-ACCOUNT-A", a, vec![None]),
        (
            "RX-MIXED-B",
            b,
            vec![Some(by_pair[&(b, d)]), Some(by_pair[&(b, e)])],
        ),
        ("RX-DELTA-B", b, vec![Some(by_pair[&(b, d)])]),
    ];
    for (number, account, lines) in invoices {
        let invoice = insert(
            db,
            &with_lines(
                new_invoice(org_id, account, number, date!(2026 - 01 - 01)),
                lines.iter().map(|s| service_line(*s)).collect(),
            ),
        )
        .await;
        world.invoices.insert(invoice, (account, lines));
        world.records.push(named(
            Kind::Invoice,
            invoice,
            &[IdKind::Invoice.format(invoice), number.to_owned()],
        ));
    }
    // A maintenance of each service, and one of two services no single restriction sees both of.
    let mut affected: Vec<Vec<i64>> = by_pair.values().map(|s| vec![*s]).collect();
    affected.push(vec![by_pair[&(a, d)], by_pair[&(b, e)]]);
    for (n, services) in affected.into_iter().enumerate() {
        let reference = format!("RX-MNT-{n}");
        let tx = db.begin().await.unwrap();
        let id = oneportal_store::maintenances::insert(
            &tx,
            &oneportal_store::maintenances::NewMaintenance {
                reference: &reference,
                text: oneportal_store::maintenances::MaintenanceText {
                    title: "Fibre splice",
                    reason: "Splicing",
                },
                status: oneportal_domain::maintenance::MaintenanceStatus::Confirmed,
                starts_at: 1_900_000_000_000,
                ends_at: 1_900_000_600_000,
                at: 1,
            },
        )
        .await
        .unwrap();
        let rows: Vec<(i64, i64, oneportal_domain::maintenance::Impact)> = services
            .iter()
            .map(|s| (*s, org_id, oneportal_domain::maintenance::Impact::Outage))
            .collect();
        oneportal_store::maintenances::set_services(&tx, id, &rows)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        world.maintenances.insert(id, services);
        world.records.push(named(
            Kind::Maintenance,
            id,
            &[IdKind::Maintenance.format(id), reference],
        ));
    }
    (world, [a, b, d, e])
}

/// The kind of record a path parameter names, or `None` for one that names no record.
fn kind_of(param: &str) -> Result<Option<Kind>, String> {
    Ok(Some(match param {
        "accountId" | "account_id" => Kind::Account,
        "siteId" | "site_id" => Kind::Site,
        "serviceId" | "service_id" => Kind::Service,
        "caseId" | "case_id" => Kind::Case,
        "attachmentId" | "attachment_id" => Kind::Attachment,
        "invoiceId" | "invoice_id" => Kind::Invoice,
        "maintenanceId" | "maintenance_id" => Kind::Maintenance,
        "deactivationRequestId" | "request_id" => Kind::DeactivationRequest,
        "orderId" | "order_id" => Kind::Order,
        "quoteId" | "quote_id" => Kind::Quote,
        // Parameters of pages that show no customer record.
        "client_id" | "reveal" | "user_id" | "id" | "file" | "*rest" | "action" | "endpoint_id"
        | "delivery_id" => return Ok(None),
        other => return Err(other.to_owned()),
    }))
}

/// `{name}` parameters of a route, in order.
fn params(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// A route with its record parameters filled for `record` (and the case an attachment is in).
fn fill(path: &str, world: &World, record: &Record) -> String {
    let mut out = path.to_owned();
    for param in params(path) {
        let id = match kind_of(param).unwrap() {
            Some(Kind::Case) if record.kind == Kind::Attachment => {
                IdKind::Case.format(world.attachment_case[&record.id])
            }
            Some(_) => record.names[0].clone(),
            None => unreachable!("routes with other parameters are not filled"),
        };
        out = out.replace(&format!("{{{param}}}"), &id);
    }
    out
}

/// The customer portal's GET-able route paths, read from its route table.
fn portal_routes() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/portal");
    let mut paths = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for (i, _) in source.match_indices(".route(") {
            let rest = source[i + 7..].trim_start();
            if let Some(route) = rest.strip_prefix('"').and_then(|r| r.split('"').next())
                && route.starts_with("/portal/")
            {
                paths.insert(route.to_owned());
            }
        }
    }
    assert!(
        paths.len() > 20,
        "the portal's routes were found: {paths:?}"
    );
    paths.into_iter().collect()
}

/// Checks one answer: its status, and that it names no record the user may not see.
fn check(
    answer: (u16, String),
    expected: u16,
    hidden: &[&Record],
    what: &str,
    failures: &mut Vec<String>,
) {
    let (status, body) = answer;
    if status != expected {
        failures.push(format!("{what}: answered {status}, expected {expected}"));
    }
    for record in hidden {
        for name in &record.names {
            // A 404 may repeat the id the request named; any other hidden id is a leak.
            if body.contains(name.as_str()) && !what.contains(name.as_str()) {
                failures.push(format!("{what}: shows {name}, which the user may not see"));
            }
        }
    }
}

#[tokio::test]
async fn restricted_users_see_exactly_the_intersection_of_their_restrictions_everywhere() {
    let app = spawn_app().await;
    let (world, [a, _b, d, _e]) = seed(&app).await;
    let restrictions = [
        (
            "one contract account",
            vec![a],
            Restriction {
                contract: Some([a].into()),
                delivery: None,
            },
        ),
        (
            "one delivery account",
            vec![d],
            Restriction {
                contract: None,
                delivery: Some([d].into()),
            },
        ),
        (
            "a contract and a delivery account",
            vec![a, d],
            Restriction {
                contract: Some([a].into()),
                delivery: Some([d].into()),
            },
        ),
    ];

    let document: Value = app.get_public_json("/v2/openapi.json").await;
    let mut api_paths: Vec<String> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let scoped = [
            "/v2/accounts",
            "/v2/sites",
            "/v2/services",
            "/v2/cases",
            "/v2/invoices",
            "/v2/maintenances",
            "/v2/deactivation-requests",
            "/v2/orders",
            "/v2/quotes",
        ]
        .iter()
        .any(|p| path.starts_with(p));
        if item.get("get").is_some() && scoped {
            api_paths.push(path.clone());
        }
    }
    let portal_paths = portal_routes();
    for path in api_paths.iter().chain(&portal_paths) {
        for param in params(path) {
            if let Err(unknown) = kind_of(param) {
                panic!("{path}: classify the parameter {{{unknown}}} in kind_of");
            }
        }
    }

    // One event about every case, invoice and service, for the event feed's check.
    let tx = app.db().begin().await.unwrap();
    for (n, record) in world.records.iter().enumerate() {
        let (event_type, field) = match record.kind {
            Kind::Case => (EventType::CaseCreated, "caseId"),
            Kind::Invoice => (EventType::InvoiceIssued, "invoiceId"),
            Kind::Service => (EventType::ServiceStatusChanged, "serviceId"),
            Kind::Maintenance => (EventType::MaintenanceScheduled, "maintenanceId"),
            Kind::DeactivationRequest => {
                (EventType::DeactivationSubmitted, "deactivationRequestId")
            }
            Kind::Order => (EventType::OrderCreated, "orderId"),
            Kind::Quote => (EventType::QuoteSent, "quoteId"),
            _ => continue,
        };
        let data = serde_json::json!({ field: record.names[0] }).to_string();
        oneportal_store::events::append(
            &tx,
            oneportal_store::events::NewEvent {
                event_id: &format!("evt_matrix{n}"),
                org_id: app.org_id,
                event_type,
                subject_id: record.id,
                occurred_at: oneportal_store::now_ms(),
                data: &data,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut failures = Vec::new();
    let mut checked = 0;
    for (label, accounts, restriction) in &restrictions {
        let (user_id, email) = person(&app, PermissionSet::all()).await;
        oneportal_store::users::set_account_access(app.db(), user_id, accounts)
            .await
            .unwrap();
        app.app
            .state
            .publish(oneportal::cluster::Change::User { user_id })
            .await;
        let token = app.user_token(user_id).await;
        let mut browser = Browser::new(&app);
        browser.login(&email).await;

        let hidden: Vec<&Record> = world
            .records
            .iter()
            .filter(|r| !world.visible(restriction, r))
            .collect();
        let shown = |kind: Kind| -> BTreeSet<String> {
            world
                .records
                .iter()
                .filter(|r| r.kind == kind && world.visible(restriction, r))
                .map(|r| r.names[0].clone())
                .collect()
        };

        // The event feed: events about exactly the records the user may read.
        let mut in_feed = BTreeSet::new();
        let mut after = String::from("0");
        loop {
            let page = app
                .get_json(&format!("/v2/events?limit=10&after={after}"), &token)
                .await;
            for event in page["data"].as_array().unwrap() {
                let data = &event["data"];
                let name = [
                    "caseId",
                    "invoiceId",
                    "serviceId",
                    "maintenanceId",
                    "deactivationRequestId",
                    "orderId",
                    "quoteId",
                ]
                .iter()
                .find_map(|f| data[f].as_str())
                .unwrap();
                in_feed.insert(name.to_owned());
            }
            after = page["pagination"]["nextCursor"]
                .as_str()
                .unwrap()
                .to_owned();
            if !page["pagination"]["hasMore"].as_bool().unwrap() {
                break;
            }
        }
        let readable: BTreeSet<String> = [
            Kind::Case,
            Kind::Invoice,
            Kind::Service,
            Kind::Maintenance,
            Kind::DeactivationRequest,
            Kind::Order,
            Kind::Quote,
        ]
        .into_iter()
        .flat_map(shown)
        .collect();
        if in_feed != readable {
            failures.push(format!(
                "{label}: GET /v2/events told of {in_feed:?}, expected {readable:?}"
            ));
        }
        checked += 1;

        for path in &api_paths {
            let record_param = params(path).last().map(|p| kind_of(p).unwrap().unwrap());
            match record_param {
                None => {
                    // A list: exactly the visible records of its kind, and nothing hidden.
                    // The calendar feed takes no parameters and holds every maintenance at once.
                    let calendar = path.ends_with(".ics");
                    let query = if calendar { "" } else { "?limit=200" };
                    let response = app.get(&format!("{path}{query}"), &token).await;
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap();
                    let kind = match path.as_str() {
                        "/v2/accounts" => Kind::Account,
                        "/v2/sites" => Kind::Site,
                        "/v2/services" => Kind::Service,
                        "/v2/cases" => Kind::Case,
                        "/v2/invoices" => Kind::Invoice,
                        "/v2/maintenances" | "/v2/maintenances.ics" => Kind::Maintenance,
                        "/v2/deactivation-requests" => Kind::DeactivationRequest,
                        "/v2/orders" => Kind::Order,
                        "/v2/quotes" => Kind::Quote,
                        other => panic!("{other}: say which kind of record this list holds"),
                    };
                    let field = match kind {
                        Kind::Account => "accountId",
                        Kind::Site => "siteId",
                        Kind::Service => "serviceId",
                        Kind::Case => "caseId",
                        Kind::Maintenance => "maintenanceId",
                        Kind::DeactivationRequest => "deactivationRequestId",
                        Kind::Order => "orderId",
                        Kind::Quote => "quoteId",
                        _ => "invoiceId",
                    };
                    let listed: BTreeSet<String> = if calendar {
                        body.lines()
                            .filter_map(|l| l.strip_prefix("UID:"))
                            .filter_map(|uid| uid.split('.').next())
                            .map(str::to_owned)
                            .collect()
                    } else {
                        serde_json::from_str::<Value>(&body)
                            .ok()
                            .and_then(|v| v["data"].as_array().cloned())
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|r| r[field].as_str().map(str::to_owned))
                            .collect()
                    };
                    if listed != shown(kind) {
                        failures.push(format!(
                            "{label}: GET {path} listed {listed:?}, expected {:?}",
                            shown(kind)
                        ));
                    }
                    check(
                        (status, body),
                        200,
                        &hidden,
                        &format!("{label}: GET {path}"),
                        &mut failures,
                    );
                    checked += 1;
                }
                Some(kind) => {
                    for record in world.records.iter().filter(|r| r.kind == kind) {
                        let target = fill(path, &world, record);
                        let response = app.get(&target, &token).await;
                        let status = response.status().as_u16();
                        let body = response.text().await.unwrap();
                        let expected = if world.visible(restriction, record) {
                            200
                        } else {
                            404
                        };
                        check(
                            (status, body),
                            expected,
                            &hidden,
                            &format!("{label}: GET {target}"),
                            &mut failures,
                        );
                        checked += 1;
                    }
                }
            }
        }

        for path in &portal_paths {
            let kinds: Vec<Option<Kind>> =
                params(path).iter().map(|p| kind_of(p).unwrap()).collect();
            if kinds.iter().any(Option::is_none) {
                continue;
            }
            let targets: Vec<(String, u16)> = match kinds.last() {
                None => vec![(path.clone(), 200)],
                Some(kind) => world
                    .records
                    .iter()
                    .filter(|r| Some(r.kind) == *kind)
                    .map(|r| {
                        let expected = if world.visible(restriction, r) {
                            200
                        } else {
                            404
                        };
                        (fill(path, &world, r), expected)
                    })
                    .collect(),
            };
            for (target, expected) in targets {
                let response = browser.get(&target).await;
                let status = response.status().as_u16();
                // Pages that only take a form post, or send elsewhere, show nothing to check.
                if status == 405 || (kinds.is_empty() && (300..400).contains(&status)) {
                    continue;
                }
                // A page without a record in its path may answer as it likes (a form's
                // 400 without its token, a demo-only page's 404) but must not fail or leak.
                let expected = if kinds.is_empty() && status < 500 {
                    status
                } else {
                    expected
                };
                let body = response.text().await.unwrap();
                check(
                    (status, body),
                    expected,
                    &hidden,
                    &format!("{label}: portal {target}"),
                    &mut failures,
                );
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 150, "the matrix ran {checked} checks");
}

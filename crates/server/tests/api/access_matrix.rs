//! The access matrix, generated from the router's own OpenAPI document: every
//! operation × {own organization, another organization} × every client scope set
//! × {restricted owner, unrestricted owner}, plus user tokens. An operation the
//! router serves without an entry here fails the test, so no endpoint escapes it.

use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::cases::{NewAttachment, add_attachment, insert_case, publish_rfo};
use oneportal_store::catalog::{insert_service, insert_site};
use oneportal_store::orgs::{NewAccount, create_account};
use oneportal_store::webhooks;
use serde_json::Value;
use time::macros::date;

use crate::helpers::{TestApp, bare_incident, bare_service, bare_site, perms, spawn_app};
use crate::invoices;
use oneportal_domain::catalog::AccountType;

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Any valid token.
    AnyToken,
    /// A token whose scopes allow this; the record must be visible to the caller.
    Scope(&'static str),
    /// A token with any of these scopes (what each caller then sees is tested with the operation).
    AnyScope(&'static [&'static str]),
    /// People only (user token); client-credentials tokens get 403.
    UserOnly,
    /// No token needed.
    Public,
    /// The provider's staff only (operations API); customers' tokens get 403.
    StaffOnly,
    /// The provider's monitoring only: no access token is an integration token (401).
    IntegrationOnly,
    /// A person's act in the portal: with the scope and a visible record, still a
    /// 403 that says where to do it; otherwise what `Scope` answers.
    PortalOnly(&'static str),
}

fn rule_for(method: &str, path: &str) -> Option<Rule> {
    Some(match (method, path) {
        ("get", "/v2/me") => Rule::AnyToken,
        ("get", p)
            if p.starts_with("/v2/accounts")
                || p.starts_with("/v2/sites")
                || p.starts_with("/v2/services")
                || p == "/v2/metrics" =>
        {
            Rule::Scope("BasicRead")
        }
        ("get", p)
            if p.starts_with("/v2/cases")
                || p.starts_with("/v2/maintenances")
                || p.starts_with("/v2/deactivation-requests") =>
        {
            Rule::Scope("SupportRead")
        }
        ("post", p) if p.ends_with("/confirm") => Rule::PortalOnly("SupportReadWrite"),
        ("post", p)
            if p.starts_with("/v2/deactivation-requests")
                || p == "/v2/services/{serviceId}/deactivation-requests" =>
        {
            Rule::Scope("SupportReadWrite")
        }
        ("get", p) if p.starts_with("/v2/orders") || p.starts_with("/v2/quotes") => {
            Rule::Scope("OrdersRead")
        }
        ("post", "/v2/quotes/{quoteId}/accept") => Rule::PortalOnly("OrdersRead"),
        ("get", "/v2/events") => {
            Rule::AnyScope(&["BasicRead", "SupportRead", "BillingRead", "OrdersRead"])
        }
        ("post", p) if p.starts_with("/v2/cases") => Rule::Scope("SupportReadWrite"),
        ("get", p) if p.starts_with("/v2/invoices") => Rule::Scope("BillingRead"),
        (_, p)
            if p.starts_with("/v2/api-clients")
                || p.starts_with("/v2/users")
                || p.starts_with("/v2/webhook-endpoints") =>
        {
            Rule::UserOnly
        }
        ("get", "/v2/openapi.json" | "/ops/v1/openapi.json") => Rule::Public,
        (
            "post",
            "/ops/v1/alerts/alertmanager" | "/ops/v1/alerts/events" | "/ops/v1/metrics/write",
        ) => Rule::IntegrationOnly,
        (_, p) if p.starts_with("/ops/v1/") => Rule::StaffOnly,
        _ => return None,
    })
}

struct Org {
    contract: [i64; 2],
    site: [i64; 2],
    service: [i64; 2],
    case: [i64; 2],
    attachment: [i64; 2],
    invoice: [i64; 2],
    webhook: [i64; 2],
    delivery: [i64; 2],
    maintenance: [i64; 2],
    deactivation: [i64; 2],
    order: [i64; 2],
    quote: [i64; 2],
}

/// Whether a client's scopes satisfy the one an operation needs (read-write covers read).
fn satisfies(scopes: &[&str], needed: &str) -> bool {
    scopes.contains(&needed) || (needed == "SupportRead" && scopes.contains(&"SupportReadWrite"))
}

async fn seed(app: &TestApp, org_id: i64) -> Org {
    let db = app.db();
    let account = |account_type, name| NewAccount {
        org_id,
        account_type,
        name,
        country: "NL",
        billing_currency: "EUR",
    };
    let a = create_account(db, account(AccountType::Contract, "A"))
        .await
        .unwrap();
    let b = create_account(db, account(AccountType::Contract, "B"))
        .await
        .unwrap();
    let d = create_account(db, account(AccountType::Delivery, "D"))
        .await
        .unwrap();
    let mut site = [0; 2];
    let mut service = [0; 2];
    let mut case = [0; 2];
    let mut attachment = [0; 2];
    let mut invoice = [0; 2];
    let mut webhook = [0; 2];
    let mut delivery = [0; 2];
    let mut maintenance = [0; 2];
    let mut deactivation = [0; 2];
    let mut order = [0; 2];
    let mut quote = [0; 2];
    for (i, contract) in [a, b].into_iter().enumerate() {
        site[i] = insert_site(db, bare_site(org_id, contract)).await.unwrap();
        service[i] = insert_service(db, bare_service(org_id, contract, d, site[i]))
            .await
            .unwrap();
        case[i] = insert_case(db, &bare_incident(org_id, service[i], site[i], contract, d))
            .await
            .unwrap()
            .id;
        attachment[i] = add_attachment(
            db,
            NewAttachment {
                case_id: case[i],
                communication_id: None,
                file_name: "a.txt",
                content_type: "text/plain",
                sha256: "",
                content: b"a".to_vec(),
                uploaded_by: "matrix",
                at: 1,
            },
        )
        .await
        .unwrap();
        publish_rfo(db, case[i], "Final", &rfo_body(), 1)
            .await
            .unwrap();
        let number = format!("INV-{i}");
        invoice[i] = invoices::insert(
            db,
            &invoices::new_invoice(org_id, contract, &number, date!(2026 - 01 - 01)),
        )
        .await;
        let endpoint = webhooks::insert_endpoint(
            db,
            webhooks::NewEndpoint {
                org_id,
                owner_user_id: 1,
                url: "https://hooks.example.com/matrix",
                description: "",
                event_types: "*",
                secret_sealed: vec![0],
                last_sequence: i64::MAX,
                at: 1,
            },
        )
        .await
        .unwrap();
        webhook[i] = endpoint;
        delivery[i] = webhooks::insert_delivery(
            db,
            webhooks::NewDelivery {
                endpoint_id: endpoint,
                event_row_id: None,
                message_id: "evt_matrix",
                event_type: "webhook.test",
                body: Some("{}"),
                leased_until: None,
                at: i64::MAX,
                due_at: i64::MAX,
            },
        )
        .await
        .unwrap();
        maintenance[i] = maintenance_of(app, org_id, service[i]).await;
        deactivation[i] = deactivation_of(app, org_id, service[i], contract, d).await;
        order[i] = order_of(app, org_id, service[i], contract, d).await;
        quote[i] = quote_of(app, org_id, site[i], contract, d).await;
    }
    Org {
        contract: [a, b],
        site,
        service,
        case,
        attachment,
        invoice,
        webhook,
        delivery,
        maintenance,
        deactivation,
        order,
        quote,
    }
}

/// A sent quote with one line at `site`, on the `contract` account.
pub async fn quote_of(app: &TestApp, org_id: i64, site: i64, contract: i64, delivery: i64) -> i64 {
    use oneportal_domain::catalog::ServiceType;
    use oneportal_domain::invoice::Money;
    use oneportal_domain::quote::QuoteStatus;
    use oneportal_store::quotes::{self, NewLine, NewQuote, VersionTerms};
    let tx = app.db().begin().await.unwrap();
    let id = quotes::insert(
        &tx,
        &NewQuote {
            org_id,
            reference: &format!("MATRIX-QUOTE-{site}"),
            contract_account_id: contract,
            delivery_account_id: delivery,
            at: 1,
        },
        &VersionTerms {
            title: "Matrix",
            currency: "EUR",
            valid_until: "2099-12-31",
            note: "",
            created_by: "matrix",
        },
        &[NewLine {
            site_id: site,
            product: "Matrix",
            service_type: ServiceType::GlobalInternet,
            downstream_mbps: 1,
            upstream_mbps: 1,
            term_months: 12,
            one_time_price: Money::ZERO,
            monthly_price: Money::ZERO,
            lead_time_days: None,
        }],
    )
    .await
    .unwrap();
    assert!(
        quotes::send(&tx, id, 1, QuoteStatus::Draft, 1)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    id
}

/// An order in delivery whose one line delivers `service`.
pub async fn order_of(
    app: &TestApp,
    org_id: i64,
    service: i64,
    contract: i64,
    delivery: i64,
) -> i64 {
    use oneportal_store::orders::{self, NewOrder};
    let tx = app.db().begin().await.unwrap();
    let id = orders::insert(
        &tx,
        &NewOrder {
            org_id,
            reference: &format!("MATRIX-ORDER-{service}"),
            contract_account_id: contract,
            delivery_account_id: delivery,
            purchase_order: "",
            at: 1,
        },
    )
    .await
    .unwrap();
    orders::add_line(&tx, id, service, "matrix", 0, &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A deactivation request for `service`, confirmed (so its document exists).
pub async fn deactivation_of(
    app: &TestApp,
    org_id: i64,
    service: i64,
    contract: i64,
    delivery: i64,
) -> i64 {
    use oneportal_domain::deactivation::DeactivationStatus::*;
    use oneportal_store::deactivations::{self, Change, LocalContact, NewDeactivation};
    let tx = app.db().begin().await.unwrap();
    let id = deactivations::insert(
        &tx,
        &NewDeactivation {
            org_id,
            service_id: service,
            contract_account_id: contract,
            delivery_account_id: delivery,
            requested_end_date: "2030-01-01",
            reason: "matrix",
            contact: &LocalContact::default(),
            requested_by: "matrix",
            at: 1,
        },
    )
    .await
    .unwrap();
    let terms = deactivations::Terms {
        fee: None,
        earliest_end_date: "2030-01-01",
        note: "",
    };
    for (from, to, version, change) in [
        (Submitted, PendingConfirmation, 0, Change::Terms(terms)),
        (
            PendingConfirmation,
            Confirmed,
            1,
            Change::Confirmation {
                by: "matrix",
                from: None,
                billing_end_date_due: "2030-01-08",
            },
        ),
    ] {
        let moved = deactivations::apply(&tx, id, (from, to), version, &change, "matrix", "", 1)
            .await
            .unwrap();
        assert!(moved);
    }
    tx.commit().await.unwrap();
    id
}

/// A maintenance that affects `service` alone.
async fn maintenance_of(app: &TestApp, org_id: i64, service: i64) -> i64 {
    use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
    use oneportal_store::maintenances::{self, MaintenanceText, NewMaintenance};
    let tx = app.db().begin().await.unwrap();
    let id = maintenances::insert(
        &tx,
        &NewMaintenance {
            reference: &format!("MATRIX-{service}"),
            text: MaintenanceText {
                title: "Matrix",
                reason: "Matrix",
            },
            status: MaintenanceStatus::Confirmed,
            starts_at: 1_900_000_000_000,
            ends_at: 1_900_000_600_000,
            at: 1,
        },
    )
    .await
    .unwrap();
    maintenances::set_services(&tx, id, &[(service, org_id, Impact::Outage)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

pub fn rfo_body() -> String {
    serde_json::json!({
        "affectedServiceIds": [], "impact": "Down", "incidentStart": "2026-01-01T00:00:00Z",
        "detected": "2026-01-01T00:01:00Z", "rootCauseCategory": "Power", "rootCause": "x", "responsibleParty": "Provider"
    })
    .to_string()
}

/// Fills `{param}`s with records of `org`, from its `slot`-th contract account.
fn fill(path: &str, org: &Org, slot: usize, client_id: &str, user_id: i64) -> String {
    path.replace("{accountId}", &format!("ACC-{:06}", org.contract[slot]))
        .replace("{siteId}", &format!("SITE-{:06}", org.site[slot]))
        .replace("{serviceId}", &format!("SVC-{:06}", org.service[slot]))
        .replace("{caseId}", &format!("CASE-{:07}", org.case[slot]))
        .replace(
            "{attachmentId}",
            &format!("ATT-{:06}", org.attachment[slot]),
        )
        .replace("{invoiceId}", &IdKind::Invoice.format(org.invoice[slot]))
        .replace(
            "{endpointId}",
            &IdKind::WebhookEndpoint.format(org.webhook[slot]),
        )
        .replace(
            "{deliveryId}",
            &IdKind::WebhookDelivery.format(org.delivery[slot]),
        )
        .replace(
            "{maintenanceId}",
            &IdKind::Maintenance.format(org.maintenance[slot]),
        )
        .replace(
            "{deactivationRequestId}",
            &IdKind::DeactivationRequest.format(org.deactivation[slot]),
        )
        .replace("{orderId}", &IdKind::Order.format(org.order[slot]))
        .replace("{quoteId}", &IdKind::Quote.format(org.quote[slot]))
        .replace("{clientId}", client_id)
        .replace("{userId}", &format!("USR-{user_id:06}"))
}

/// A body the operation would accept, so that what decides the answer is access, not validation.
fn valid_body(method: &str, path: &str) -> &'static str {
    match (method, path) {
        ("post", "/v2/cases") => {
            r#"{"type": "NonIncident", "subject": "Other", "priority": "P3", "serviceId": "{serviceId}", "message": "matrix"}"#
        }
        ("post", p) if p.ends_with("/communications") => r#"{"message": "matrix"}"#,
        ("post", p)
            if p.ends_with("/cancel") || p.ends_with("/reopen") || p.ends_with("/close") =>
        {
            r#"{"reason": "matrix"}"#
        }
        ("post", "/v2/api-clients") => r#"{"apiClientName": "matrix", "scopes": ["BasicRead"]}"#,
        ("post", p) if p.ends_with("/transfer") => r#"{"newOwnerUserId": "USR-000001"}"#,
        ("post", p) if p.ends_with("/recover") => r#"{"since": "2026-01-01T00:00:00Z"}"#,
        ("post", p) if p.ends_with("/deactivation-requests") => {
            r#"{"requestedEndDate": "2030-01-01", "reason": "matrix", "localContact": {"name": "M", "email": "m@example.com", "phone": "1"}}"#
        }
        ("post", "/v2/webhook-endpoints") => r#"{"url": "https://hooks.example.com/matrix"}"#,
        ("patch", p) if p.starts_with("/v2/users/") => {
            r#"{"permissions": ["Sites & Services (View)"]}"#
        }
        _ => "{}",
    }
}

/// Calls an operation; a creating body refers to `service` where it needs one.
async fn call(app: &TestApp, method: &str, path: &str, service: i64, token: Option<&str>) -> u16 {
    let mut request = app
        .http
        .request(method.to_uppercase().parse().unwrap(), app.at(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if matches!(method, "post" | "patch" | "put") {
        request = request
            .header("content-type", "application/json")
            .body(valid_body(method, path).replace("{serviceId}", &format!("SVC-{service:06}")));
    }
    request.send().await.unwrap().status().as_u16()
}

const SCOPE_SETS: [&[&str]; 7] = [
    &["BasicRead"],
    &["SupportRead"],
    &["SupportReadWrite"],
    &["BillingRead"],
    &["OrdersRead"],
    &["SupportRead", "BillingRead"],
    &["BasicRead", "SupportReadWrite", "BillingRead", "OrdersRead"],
];

#[tokio::test]
async fn every_operation_enforces_scope_tenant_and_account_restrictions() {
    let app = spawn_app().await;
    let own = seed(&app, app.org_id).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let other = seed(&app, other_org).await;
    let stranger = app.user_in(other_org, PermissionSet::all()).await;
    let (stranger_client, _) = app.create_client(&stranger, &["BasicRead"]).await;

    let unrestricted = app.user(PermissionSet::all()).await;
    let restricted = app.user(PermissionSet::all()).await;
    app.restrict(restricted.id, &[own.contract[0]]).await;

    let mut operations: Vec<(String, String)> = Vec::new();
    for document in ["/v2/openapi.json", "/ops/v1/openapi.json"] {
        let document: Value = app.get_public_json(document).await;
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations.push((method.clone(), path.clone()));
            }
        }
    }
    operations.push(("get".into(), "/v2/openapi.json".into()));
    operations.push(("get".into(), "/ops/v1/openapi.json".into()));
    let missing: Vec<_> = operations
        .iter()
        .filter(|(m, p)| rule_for(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an access rule (add them to rule_for): {missing:?}"
    );

    // One client per owner and scope set, reused for every operation.
    let mut clients = Vec::new();
    for owner in [&unrestricted, &restricted] {
        for scopes in SCOPE_SETS {
            let (id, secret) = app.create_client(owner, scopes).await;
            let token = app.access_token(&id, &secret).await;
            clients.push((owner, std::ptr::eq(owner, &restricted), scopes, id, token));
        }
    }

    let mut checked = 0;
    for (method, path) in &operations {
        let rule = rule_for(method, path).unwrap();
        let has_param = path.contains('{');
        // Mutations on the caller's own records are tested elsewhere; here they are
        // only tried with tokens and ids that must be refused before any effect.
        let mutates = method != "get";

        // No token at all.
        let anonymous = call(
            &app,
            method,
            &fill(path, &own, 0, "opc_none", unrestricted.id),
            own.service[0],
            None,
        )
        .await;
        match rule {
            Rule::Public => assert_eq!(anonymous, 200, "{method} {path} anonymous"),
            _ => assert_eq!(anonymous, 401, "{method} {path} anonymous"),
        }

        for (owner, is_restricted, scopes, id, token) in &clients {
            let (is_restricted, scopes) = (*is_restricted, *scopes);
            {
                for (org_name, org, slot) in [
                    ("own", &own, 0),
                    ("own, outside the restriction", &own, 1),
                    ("other", &other, 0),
                ] {
                    if !has_param && org_name != "own" {
                        continue;
                    }
                    let target = fill(
                        path,
                        org,
                        slot,
                        if org_name == "other" {
                            &stranger_client
                        } else {
                            id
                        },
                        if org_name == "other" {
                            stranger.id
                        } else {
                            owner.id
                        },
                    );
                    let status = call(&app, method, &target, own.service[0], Some(token)).await;
                    let expected = match rule {
                        Rule::Public | Rule::AnyToken => 200,
                        Rule::UserOnly | Rule::StaffOnly => 403,
                        Rule::IntegrationOnly => 401,
                        Rule::Scope(needed) if !satisfies(scopes, needed) => 403,
                        Rule::AnyScope(any) if !any.iter().any(|n| satisfies(scopes, n)) => 403,
                        Rule::AnyScope(_) => 200,
                        Rule::PortalOnly(needed) if !satisfies(scopes, needed) => 403,
                        Rule::PortalOnly(_) if org_name == "other" => 404,
                        Rule::PortalOnly(_) if is_restricted && slot == 1 => 404,
                        Rule::PortalOnly(_) => 403,
                        Rule::Scope(_) if org_name == "other" => 404,
                        Rule::Scope(_) if has_param && is_restricted && slot == 1 => 404,
                        Rule::Scope(_) => 200,
                    };
                    // A permitted change may still be refused by the record's state (409) or
                    // the body (415, 422): access is what is checked here, not business rules.
                    let matches = if mutates && expected == 200 {
                        ![401, 403, 404].contains(&status) && status < 500
                    } else {
                        status == expected
                    };
                    assert!(
                        matches,
                        "{method} {target} answered {status}, expected {expected}, by a client with {scopes:?} (restricted owner: {is_restricted}, {org_name})"
                    );
                    checked += 1;
                }
            }
        }

        // People's endpoints with a user token on another organization's records: 404.
        if matches!(rule, Rule::UserOnly) && has_param {
            let target = fill(path, &other, 0, &stranger_client, stranger.id);
            let status = call(
                &app,
                method,
                &target,
                own.service[0],
                Some(&unrestricted.token),
            )
            .await;
            assert_eq!(
                status, 404,
                "{method} {target} by a user of another organization"
            );
            checked += 1;
        }
        // A user token reads what the user's permissions and account access allow.
        if let Rule::Scope(_) = rule
            && !mutates
        {
            let viewer = app
                .user(perms(&[
                    Permission::SitesServicesView,
                    Permission::SupportView,
                    Permission::BillingView,
                    Permission::OrdersView,
                ]))
                .await;
            let status = call(
                &app,
                method,
                &fill(path, &own, 0, "", 0),
                own.service[0],
                Some(&viewer.token),
            )
            .await;
            assert_eq!(
                status, 200,
                "{method} {path}: a user with the matching View permission reads it"
            );
            let status = call(
                &app,
                method,
                &fill(path, &own, 1, "", 0),
                own.service[0],
                Some(&restricted.token),
            )
            .await;
            assert_eq!(
                status,
                if has_param { 404 } else { 200 },
                "{method} {path} by a restricted user outside the restriction"
            );
            checked += 2;
        }
    }
    assert!(checked > 200, "the matrix ran {checked} checks");
}

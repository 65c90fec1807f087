//! What one request may cost. For every list of the API and the operations API
//! (taken from the OpenAPI documents: every operation that answers a page) and
//! every portal list, the worst requests validation accepts (every value of
//! every filter, the widest date ranges, the largest page, the deepest offset,
//! each sort, the most values a text filter takes) answer within a fixed budget
//! on 1,000,000 cases, and one step beyond any limit is refused naming the limit
//! (a 400 problem in the APIs, the filter form's 422 page in the portal).
//!
//! The budget is not a speed target (benchmarks measure speed): it is far above
//! what a bounded request costs here and far below what the unbounded ones
//! cost before (a status repeated 2,000 times took 18 s on PostgreSQL). The
//! test seeds a million cases, so `scripts/test` runs it on its own, after the
//! suite, on each backend: `cargo test -p oneportal --test api cost_bounds -- --ignored`.

use std::time::{Duration, Instant};

use oneportal_domain::query::{
    FieldKind, ListSpec, MAX_FILTER_VALUES, MAX_LIMIT, MAX_OFFSET, MAX_PARAMETERS,
};
use oneportal_domain::{Permission, PermissionSet};
use serde_json::Value;

use crate::browser::{Browser, person_in};
use crate::helpers::{perms, spawn_app};

const CASES_SEEDED: i64 = 1_000_000;
const BUDGET: Duration = Duration::from_secs(5);
const NO_FIELDS: ListSpec = ListSpec {
    fields: &[],
    default_sort: &[],
};

/// The fields behind a list operation; a list the test does not know fails it.
fn spec_for(path: &str) -> &'static ListSpec {
    use oneportal_store::{cases, catalog, deactivations, invoices, maintenances, orders, quotes};
    match path {
        "/v2/accounts" => &catalog::ACCOUNTS,
        "/v2/sites" | "/v2/accounts/{accountId}/sites" => &catalog::SITES,
        "/v2/services" | "/v2/accounts/{accountId}/services" => &catalog::SERVICES,
        "/v2/cases" | "/ops/v1/cases" => &cases::CASES,
        "/v2/cases/{caseId}/communications" | "/v2/cases/{caseId}/attachments" => {
            &oneportal::api::cases::IN_MEMORY
        }
        "/v2/invoices" => &invoices::INVOICES,
        "/v2/invoices/{invoiceId}/lines" => &invoices::INVOICE_LINES,
        "/v2/maintenances" | "/ops/v1/maintenances" => &maintenances::MAINTENANCES,
        "/v2/deactivation-requests" | "/ops/v1/deactivation-requests" => {
            &deactivations::DEACTIVATIONS
        }
        "/v2/orders" | "/ops/v1/orders" => &orders::ORDERS,
        "/v2/quotes" | "/ops/v1/quotes" => &quotes::QUOTES,
        "/v2/api-clients" => &oneportal::api::api_clients::API_CLIENTS,
        "/ops/v1/organizations" | "/ops/v1/outbox" => &NO_FIELDS,
        other => panic!("{other} answers a page: say which fields it lists in spec_for"),
    }
}

/// `name=value` pairs that filter as widely as the spec allows: every value of
/// every choice, and date ranges that take in everything.
fn widest_filters(spec: &ListSpec) -> Vec<String> {
    let mut pairs = Vec::new();
    for field in spec.fields.iter().filter(|f| f.filterable) {
        match field.kind {
            FieldKind::Enum(values) => pairs.push(format!("{}={}", field.name, values.join(","))),
            FieldKind::Date => {
                pairs.push(format!("{}.gte=2000-01-01T00:00:00Z", field.name));
                pairs.push(format!("{}.lte=2100-01-01T00:00:00Z", field.name));
            }
            FieldKind::Day => {
                pairs.push(format!("{}.gte=2000-01-01", field.name));
                pairs.push(format!("{}.lte=2100-01-01", field.name));
            }
            FieldKind::Text | FieldKind::Number => {}
        }
    }
    pairs
}

/// The worst requests the spec accepts, as query strings.
fn worst_queries(spec: &ListSpec, path: &str) -> Vec<String> {
    let deepest = if path == "/ops/v1/outbox" {
        format!("limit={MAX_LIMIT}")
    } else {
        format!("limit={MAX_LIMIT}&offset={MAX_OFFSET}")
    };
    let widest = widest_filters(spec);
    let mut queries = vec![
        deepest.clone(),
        [&widest[..], std::slice::from_ref(&deepest)]
            .concat()
            .join("&"),
    ];
    for field in spec.fields.iter().filter(|f| f.sortable) {
        for direction in ["", "-"] {
            let mut pairs = widest.clone();
            pairs.push(deepest.clone());
            pairs.push(format!("sort={direction}{}", field.name));
            queries.push(pairs.join("&"));
        }
    }
    for field in spec.fields.iter().filter(|f| f.filterable) {
        if let FieldKind::Text = field.kind {
            let values: Vec<String> = (0..MAX_FILTER_VALUES).map(|i| format!("GEN-{i}")).collect();
            queries.push(format!("{}={}&{deepest}", field.name, values.join(",")));
        }
    }
    queries
}

struct Timed {
    what: String,
    took: Duration,
}

#[tokio::test]
#[ignore = "seeds a million cases; scripts/test runs it on its own"]
async fn cost_bounds_the_worst_accepted_list_requests_answer_within_a_fixed_budget() {
    let app = spawn_app().await;
    let started = Instant::now();
    oneportal::demo::seed_cases(app.db(), "Cost", 1, CASES_SEEDED)
        .await
        .unwrap();
    let org_id = oneportal_store::orgs::find_organization_by_name(app.db(), "Cost")
        .await
        .unwrap()
        .unwrap()
        .id;
    eprintln!(
        "seeded {CASES_SEEDED} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let user = app.user_in(org_id, PermissionSet::all()).await;
    let staff = crate::operations::staff_token(&app).await;
    let first_id = |page: Value, field: &str| page["data"][0][field].as_str().unwrap().to_owned();
    let account = first_id(
        app.get_json("/v2/accounts?limit=1", &user.token).await,
        "accountId",
    );
    let case = first_id(
        app.get_json("/v2/cases?limit=1", &user.token).await,
        "caseId",
    );
    let invoice = first_id(
        app.get_json("/v2/invoices?limit=1", &user.token).await,
        "invoiceId",
    );

    let mut lists: Vec<String> = Vec::new();
    for document in ["/v2/openapi.json", "/ops/v1/openapi.json"] {
        let document: Value = app.get_public_json(document).await;
        for (path, item) in document["paths"].as_object().unwrap() {
            let answers_a_page = item
                .get("get")
                .is_some_and(|get| get["responses"]["200"].to_string().contains("Page"));
            if answers_a_page {
                lists.push(path.clone());
            }
        }
    }
    assert!(lists.len() >= 12, "the lists were found: {lists:?}");

    let mut timings: Vec<Timed> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for path in &lists {
        let spec = spec_for(path);
        let token = if path.starts_with("/ops/") {
            &staff
        } else {
            &user.token
        };
        let filled = path
            .replace("{accountId}", &account)
            .replace("{caseId}", &case)
            .replace("{invoiceId}", &invoice);
        for query in worst_queries(spec, path) {
            let target = format!("{filled}?{query}");
            let at = Instant::now();
            let response = app.get(&target, token).await;
            let took = at.elapsed();
            let status = response.status().as_u16();
            if status != 200 {
                let body = response.text().await.unwrap_or_default();
                failures.push(format!("{target}: {status} {body}"));
            }
            timings.push(Timed { what: target, took });
        }
    }

    // The portal's lists take the same parameters through the same rules.
    let (_, email) = person_in(
        &app,
        org_id,
        perms(&[
            Permission::SitesServicesView,
            Permission::SupportView,
            Permission::BillingView,
        ]),
    )
    .await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let (mut staff_browser, _) = Browser::staff(&app, "Agent").await;
    let statuses = oneportal_store::cases::CASE_STATUSES.join(",");
    let priorities = oneportal_store::cases::CASE_PRIORITIES.join(",");
    let portal_lists = [
        format!(
            "/portal/support?status={statuses}&type=Incident,NonIncident&priority={priorities}&offset={MAX_OFFSET}"
        ),
        format!("/portal/support?status={statuses}&q=GEN-99"),
        format!("/portal/services?offset={MAX_OFFSET}"),
        format!("/portal/sites?offset={MAX_OFFSET}"),
        format!("/portal/billing?offset={MAX_OFFSET}"),
    ];
    for target in &portal_lists {
        let at = Instant::now();
        let status = browser.get(target).await.status().as_u16();
        let took = at.elapsed();
        if status != 200 {
            failures.push(format!("{target}: {status}"));
        }
        timings.push(Timed {
            what: target.clone(),
            took,
        });
    }
    let target =
        format!("/staff/cases?status={statuses}&priority={priorities}&offset={MAX_OFFSET}");
    let at = Instant::now();
    let status = staff_browser.get(&target).await.status().as_u16();
    timings.push(Timed {
        what: target.clone(),
        took: at.elapsed(),
    });
    if status != 200 {
        failures.push(format!("{target}: {status}"));
    }

    timings.sort_by_key(|t| std::cmp::Reverse(t.took));
    eprintln!(
        "{} worst accepted requests on {CASES_SEEDED} cases; the slowest:",
        timings.len()
    );
    for timed in timings.iter().take(15) {
        eprintln!(
            "  {:>8.1} ms  {}",
            timed.took.as_secs_f64() * 1000.0,
            timed.what
        );
    }
    for timed in timings.iter().filter(|t| t.took > BUDGET) {
        failures.push(format!(
            "{} took {:?}, over the budget of {BUDGET:?}",
            timed.what, timed.took
        ));
    }

    // One step beyond each limit: a 400 that names the limit.
    let too_many: Vec<&str> = vec!["Pending"; MAX_FILTER_VALUES + 1];
    let flood: Vec<String> = (0..=MAX_PARAMETERS).map(|i| format!("p{i}=x")).collect();
    for (query, limit, in_portal) in [
        (
            format!("offset={}", MAX_OFFSET + 1),
            MAX_OFFSET.to_string(),
            true,
        ),
        (
            format!("limit={}", MAX_LIMIT + 1),
            MAX_LIMIT.to_string(),
            false,
        ),
        (
            format!("status={}", too_many.join(",")),
            MAX_FILTER_VALUES.to_string(),
            true,
        ),
        (flood.join("&"), MAX_PARAMETERS.to_string(), false),
    ] {
        for (target, token) in [
            (format!("/v2/cases?{query}"), &user.token),
            (format!("/ops/v1/cases?{query}"), &staff),
        ] {
            let response = app.get(&target, token).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            if status != 400 || !body.contains(&limit) {
                failures.push(format!(
                    "{target}: {status}, expected a 400 naming {limit}: {body}"
                ));
            }
        }
        // The portal sets its own page size and reads only its form's fields.
        if !in_portal {
            continue;
        }
        // The portal's filters are a form sent by GET: its refusals are the form's 422.
        let response = browser.get(&format!("/portal/support?{query}")).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        if status != 422 || !body.contains(&limit) {
            failures.push(format!(
                "/portal/support?{query}: {status}, expected a 422 naming {limit}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! Accounts, sites and services: scope, tenant isolation, account restrictions,
//! list conventions and cheap polling.

use std::collections::HashSet;

use oneportal_domain::Permission;
use oneportal_store::catalog::{NewService, NewSite, insert_service, insert_site};
use oneportal_store::orgs::{NewAccount, create_account};
use serde_json::Value;

use crate::helpers::{TestApp, perms, problem, spawn_app};
use oneportal_domain::catalog::{AccountType, ServiceStatus, ServiceType};

pub(crate) struct Catalog {
    pub contract: Vec<i64>,
    pub services: Vec<i64>,
    pub sites: Vec<i64>,
}

/// Two contract accounts, one delivery account, and `per_account` sites and services in each.
pub(crate) async fn seed(app: &TestApp, org_id: i64, per_account: usize) -> Catalog {
    let db = app.db();
    let account = |account_type, name| NewAccount {
        org_id,
        account_type,
        name,
        country: "NL",
        billing_currency: "EUR",
    };
    let a = create_account(db, account(AccountType::Contract, "South"))
        .await
        .unwrap();
    let b = create_account(db, account(AccountType::Contract, "North"))
        .await
        .unwrap();
    let delivery = create_account(db, account(AccountType::Delivery, "PEAR Corp"))
        .await
        .unwrap();
    let (mut services, mut sites) = (Vec::new(), Vec::new());
    for (n, contract) in [a, b]
        .into_iter()
        .flat_map(|c| (0..per_account).map(move |i| (i, c)))
    {
        let at = 1_767_225_600_000 + n as i64 * 60_000;
        let site = insert_site(
            db,
            NewSite {
                org_id,
                account_id: contract,
                name: &format!("Site {n}"),
                street: "Damrak 1",
                city: "Amsterdam",
                postal_code: "1012",
                country: "NL",
                latitude: 52.37,
                longitude: 4.89,
                at,
            },
        )
        .await
        .unwrap();
        let status = if n % 2 == 0 {
            ServiceStatus::RFS
        } else {
            ServiceStatus::InProgress
        };
        let service = insert_service(
            db,
            NewService {
                org_id,
                service_name: &format!("Internet {n}"),
                service_type: ServiceType::GlobalInternet,
                status,
                contract_account_id: contract,
                delivery_account_id: delivery,
                site_id: site,
                downstream_mbps: 100,
                upstream_mbps: 100,
                planned_delivery_date: None,
                ready_for_service_date: None,
                technical_note: "",
                technical_details: "{\"ipAddresses\": []}",
                customer_reference: "PO-1",
                at,
            },
        )
        .await
        .unwrap();
        sites.push(site);
        services.push(service);
    }
    Catalog {
        contract: vec![a, b],
        services,
        sites,
    }
}

async fn client_token(app: &TestApp, scopes: &[&str]) -> String {
    let owner = app.developer().await;
    let (id, secret) = app.create_client(&owner, scopes).await;
    app.access_token(&id, &secret).await
}

fn ids(body: &Value, field: &str) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn basic_read_is_required_on_every_endpoint() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let paths = [
        "/v2/accounts".to_owned(),
        format!("/v2/accounts/ACC-{:06}", catalog.contract[0]),
        format!("/v2/accounts/ACC-{:06}/sites", catalog.contract[0]),
        format!("/v2/accounts/ACC-{:06}/services", catalog.contract[0]),
        "/v2/sites".to_owned(),
        format!("/v2/sites/SITE-{:06}", catalog.sites[0]),
        "/v2/services".to_owned(),
        format!("/v2/services/SVC-{:06}", catalog.services[0]),
    ];
    let billing_only = client_token(&app, &["BillingRead"]).await;
    let basic = client_token(&app, &["BasicRead"]).await;
    for path in &paths {
        let response = app.get(path, &billing_only).await;
        assert_eq!(response.status(), 403, "{path}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("customerapi/basic.read")
        );
        assert_eq!(app.get(path, &basic).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn another_organizations_records_are_not_there() {
    let app = spawn_app().await;
    let mine = seed(&app, app.org_id, 2).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org, 2).await;
    let token = client_token(&app, &["BasicRead"]).await;
    for path in [
        format!("/v2/accounts/ACC-{:06}", theirs.contract[0]),
        format!("/v2/accounts/ACC-{:06}/sites", theirs.contract[0]),
        format!("/v2/accounts/ACC-{:06}/services", theirs.contract[0]),
        format!("/v2/sites/SITE-{:06}", theirs.sites[0]),
        format!("/v2/services/SVC-{:06}", theirs.services[0]),
        "/v2/services/SVC-garbage".to_owned(),
    ] {
        let (status, body) = problem(app.get(&path, &token).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let services: Value = app
        .get("/v2/services?limit=200", &token)
        .await
        .json()
        .await
        .unwrap();
    let listed: HashSet<String> = ids(&services, "serviceId").into_iter().collect();
    let expected: HashSet<String> = mine
        .services
        .iter()
        .map(|id| format!("SVC-{id:06}"))
        .collect();
    assert_eq!(listed, expected);
    let accounts: Value = app.get("/v2/accounts", &token).await.json().await.unwrap();
    assert_eq!(accounts["pagination"]["total"], 3);
}

#[tokio::test]
async fn a_client_sees_only_what_its_owners_account_access_allows() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 3).await;
    let owner = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::DeveloperPortal,
        ]))
        .await;
    oneportal_store::users::set_account_access(app.db(), owner.id, &[catalog.contract[0]])
        .await
        .unwrap();
    app.app
        .state
        .publish(oneportal::cluster::Change::User { user_id: owner.id })
        .await;
    let (id, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let token = app.access_token(&id, &secret).await;
    for token in [&token, &owner.token] {
        let services: Value = app.get("/v2/services", token).await.json().await.unwrap();
        assert_eq!(services["pagination"]["total"], 3);
        assert!(
            services["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["contractAccountId"] == format!("ACC-{:06}", catalog.contract[0]))
        );
        let hidden = format!("/v2/services/SVC-{:06}", catalog.services[5]);
        assert_eq!(app.get(&hidden, token).await.status(), 404);
        assert_eq!(
            app.get(
                &format!("/v2/accounts/ACC-{:06}", catalog.contract[1]),
                token
            )
            .await
            .status(),
            404
        );
        let sites: Value = app.get("/v2/sites", token).await.json().await.unwrap();
        assert_eq!(sites["pagination"]["total"], 3);
    }
    let everyone: Value = app
        .get("/v2/services", &app.developer().await.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(everyone["pagination"]["total"], 6);
}

#[tokio::test]
async fn walking_every_page_by_cursor_or_offset_returns_each_record_once() {
    let app = spawn_app().await;
    seed(&app, app.org_id, 12).await;
    let token = client_token(&app, &["BasicRead"]).await;
    let before: Value = app
        .get("/v2/services?limit=200", &token)
        .await
        .json()
        .await
        .unwrap();
    let existing: HashSet<String> = ids(&before, "serviceId").into_iter().collect();
    let mut seen = Vec::new();
    let mut path = "/v2/services?limit=5&sort=-lastModifiedDate".to_owned();
    let mut pages = 0;
    loop {
        let response = app.get(&path, &token).await;
        if pages == 0 {
            assert_eq!(response.headers()["x-total-count"], "24");
        }
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let body: Value = response.json().await.unwrap();
        seen.extend(ids(&body, "serviceId"));
        pages += 1;
        if pages == 2 {
            // Records added meanwhile do not shift the walk: no record is seen twice or skipped.
            let catalog = seed(&app, app.org_id, 1).await;
            assert_eq!(catalog.services.len(), 2);
        }
        match body["pagination"]["nextCursor"].as_str() {
            Some(cursor) => {
                assert!(link.unwrap().contains(&format!("cursor={cursor}")));
                path = format!("/v2/services?limit=5&sort=-lastModifiedDate&cursor={cursor}");
            }
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no record twice");
    let seen_set: HashSet<String> = seen.iter().cloned().collect();
    assert!(
        existing.is_subset(&seen_set),
        "every record that existed when the walk began is seen"
    );

    let mut by_offset = Vec::new();
    for offset in (0..30).step_by(7) {
        let body: Value = app
            .get(
                &format!("/v2/services?limit=7&offset={offset}&sort=serviceName"),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
        by_offset.extend(ids(&body, "serviceId"));
    }
    let unique: HashSet<&String> = by_offset.iter().collect();
    assert_eq!((unique.len(), by_offset.len()), (26, 26));
}

#[tokio::test]
async fn filters_and_sorting_follow_the_conventions() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 4).await;
    let token = client_token(&app, &["BasicRead"]).await;
    let rfs: Value = app
        .get("/v2/services?status=RFS", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rfs["pagination"]["total"], 4);
    let either: Value = app
        .get("/v2/services?status=RFS,InProgress", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(either["pagination"]["total"], 8);
    let recent: Value = app
        .get(
            "/v2/services?lastModifiedDate.gte=2026-01-01T00:02:00Z",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        recent["pagination"]["total"], 4,
        "minutes 2 and 3 of each account"
    );
    let site = format!("SITE-{:06}", catalog.sites[0]);
    let at_site: Value = app
        .get(&format!("/v2/services?siteId={site}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&at_site, "siteId"), vec![site]);
    let sorted: Value = app
        .get("/v2/services?sort=serviceName", &token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<String> = ids(&sorted, "serviceName");
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(names, expected);

    for (query, parameter) in [
        ("stauts=RFS", "stauts"),
        ("status=Live", "status"),
        ("sort=-colour", "sort"),
        ("limit=500", "limit"),
        ("createdDate.gte=yesterday", "createdDate.gte"),
    ] {
        let (status, body) = problem(app.get(&format!("/v2/services?{query}"), &token).await).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["errors"][0]["pointer"], parameter, "{query}");
    }
}

#[tokio::test]
async fn details_carry_an_etag_for_cheap_polling() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let token = client_token(&app, &["BasicRead"]).await;
    let path = format!("/v2/services/SVC-{:06}", catalog.services[0]);
    let first = app.get(&path, &token).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(
        body["technicalDetails"]["ipAddresses"],
        serde_json::json!([])
    );
    let again = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let stale = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", "\"old\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}

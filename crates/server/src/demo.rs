//! `serve --demo`: a demo organization with users per permission set, and a
//! welcome that shows how to log in and a curl sequence that works when pasted.

mod cases;
mod deactivations;
mod invoices;
mod maintenance;
pub mod metrics;
mod monitoring;
mod orders;
mod quotes;

use oneportal_domain::staff::StaffRole;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::orgs::{self, NewAccount};
use oneportal_store::users;

use crate::audit::Actor;
use crate::services::users::{NewUserInput, create};
use crate::state::AppState;
use oneportal_domain::catalog::{AccountType, ServiceStatus, ServiceType};

pub const ORGANIZATION: &str = "ACME Corporation";

/// The demo's provider staff member, who logs in at `/staff/login` with the demo password.
pub const STAFF_EMAIL: &str = "staff@provider.example";

/// The demo users: email, name, permissions.
pub fn demo_users() -> Vec<(&'static str, &'static str, &'static str, PermissionSet)> {
    use Permission::*;
    let set = |p: &[Permission]| p.iter().copied().collect::<PermissionSet>();
    vec![
        ("admin@acme.example", "Ada", "Admin", PermissionSet::all()),
        (
            "developer@acme.example",
            "Dev",
            "Eloper",
            set(&[SitesServicesView, DeveloperPortal]),
        ),
        (
            "viewer@acme.example",
            "Vic",
            "Viewer",
            set(&[SitesServicesView]),
        ),
        (
            "support@acme.example",
            "Sam",
            "Support",
            set(&[SitesServicesView, SupportEdit, DeveloperPortal]),
        ),
        (
            "billing@acme.example",
            "Bill",
            "Ing",
            set(&[SitesServicesView, BillingView, DeveloperPortal]),
        ),
    ]
}

/// Creates the demo organization on first run; on later runs sets the demo password again.
pub async fn seed(state: &AppState, password: &str) -> anyhow::Result<()> {
    let db = &state.db;
    let mut created = None;
    let org_id = match orgs::find_organization_by_name(db, ORGANIZATION).await? {
        Some(org) => org.id,
        None => {
            let org_id = orgs::create_organization(db, ORGANIZATION).await?;
            let first_service = seed_catalog(db, org_id).await?;
            created = Some(first_service);
            cases::seed(state, org_id, first_service).await?;
            invoices::seed(db, org_id).await?;
            // The demo's history is not news: e-mails start with what people do next.
            oneportal_store::notifications::skip_past_events(db, org_id).await?;
            org_id
        }
    };
    let hash = crate::auth::password::hash(password.to_owned()).await?;
    match users::find_staff_by_email(db, STAFF_EMAIL).await? {
        Some(staff) => oneportal_store::staff::set_password_hash(db, staff.id, &hash).await?,
        None => {
            users::insert_staff(
                db,
                STAFF_EMAIL,
                "Pat Provider",
                StaffRole::Admin,
                Some(&hash),
            )
            .await?;
        }
    }
    if let Some(first_service) = created {
        let staff = users::find_staff_by_email(db, STAFF_EMAIL)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo staff member is missing"))?;
        maintenance::seed(state, org_id, &staff).await?;
        deactivations::seed(state, org_id, &staff).await?;
        orders::seed(state, org_id, &staff).await?;
        quotes::seed(state, org_id, &staff).await?;
        monitoring::seed(state, &staff, first_service).await?;
        // The Madrid outage the demo's RFO request tells of: six days ago.
        let madrid_outage_at = oneportal_store::now_ms() - 6 * 86_400_000;
        if crate::services::metrics::source::MeasurementSource::of(state).stores() {
            metrics::spawn(state.clone(), staff, first_service, madrid_outage_at);
        }
        oneportal_store::notifications::skip_past_events(db, org_id).await?;
    }
    for (email, first, last, permissions) in demo_users() {
        match users::find_by_email(db, email).await? {
            Some(user) => users::set_password_hash(db, user.id, &hash).await?,
            None => {
                let input = NewUserInput {
                    org_id,
                    email,
                    first_name: first,
                    last_name: last,
                    permissions,
                    password: Some(password.to_owned()),
                };
                create(db, &Actor::System, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding {email}: {e}"))?;
            }
        }
    }
    Ok(())
}

/// `oneportal seed`: `count` generated cases spread evenly over `organizations`
/// organizations (one keeps the name; several are "<name> 1" to "<name> N"),
/// each with the demo catalog, in batches with progress.
pub async fn seed_cases(
    db: &oneportal_store::Db,
    organization: &str,
    organizations: u32,
    count: i64,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let organizations = i64::from(organizations.max(1));
    let mut done = 0;
    for k in 1..=organizations {
        let name = if organizations == 1 {
            organization.to_owned()
        } else {
            format!("{organization} {k}")
        };
        let org_id = seeded_organization(db, &name).await?;
        // The first organizations take the remainder, one case each.
        let share = count / organizations + i64::from(k <= count % organizations);
        const BATCH: i64 = 50_000;
        // A year back, so that generated cases end about now.
        let start_at = oneportal_store::now_ms() - share * 30_000;
        let mut made = 0;
        while made < share {
            let n = BATCH.min(share - made);
            let tx = db.begin().await?;
            oneportal_store::cases::generate_cases(&tx, org_id, made, n, start_at).await?;
            tx.commit().await?;
            made += n;
            done += n;
            eprint!(
                "\r{done} / {count} cases ({:.0}/s)",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!();
    // Fresh statistics, so the query planner knows the table's new shape; on
    // PostgreSQL also a vacuum, which marks the new pages all-visible so that an
    // index-only scan reads no table pages (autovacuum would get there later: a
    // benchmark right after seeding measured offsets at 1,365/s for want of it).
    let refresh = match db.backend() {
        oneportal_store::Backend::Sqlite => "ANALYZE",
        oneportal_store::Backend::Postgres => "VACUUM ANALYZE",
    };
    oneportal_store::Exec::execute(db, refresh, vec![]).await?;
    println!(
        "{count} cases generated in {organizations} organization(s) named '{organization}…' in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The organization named `name` (created when missing), with the demo catalog
/// if it has no services yet.
async fn seeded_organization(db: &oneportal_store::Db, name: &str) -> anyhow::Result<i64> {
    let org_id = match orgs::find_organization_by_name(db, name).await? {
        Some(org) => org.id,
        None => orgs::create_organization(db, name).await?,
    };
    let scope = oneportal_store::catalog::AccessScope::whole_organization(org_id);
    let everything = oneportal_domain::query::ListQuery {
        filters: vec![],
        sort: oneportal_store::catalog::SERVICES.default_sort.to_vec(),
        start: oneportal_domain::query::Start::Offset(0),
        limit: 1,
    };
    if oneportal_store::catalog::list_services(db, &scope, None, &everything)
        .await?
        .total
        == 0
    {
        seed_catalog(db, org_id).await?;
        // A year of invoices too, for the invoice benchmarks; their numbers start
        // at INV-0000001, so only into a database that has none yet.
        let (invoices,): (i64,) =
            oneportal_store::Exec::fetch_one(db, "SELECT COUNT(*) FROM invoices", vec![]).await?;
        if invoices == 0 {
            invoices::seed(db, org_id).await?;
        }
    }
    Ok(org_id)
}

/// Cities where the demo organization has sites: (city, country, street, postal code, latitude, longitude).
const CITIES: [(&str, &str, &str, &str, f64, f64); 12] = [
    (
        "Madrid",
        "ES",
        "Calle de Alcalá 45",
        "28014",
        40.4189,
        -3.6919,
    ),
    (
        "Barcelona",
        "ES",
        "Carrer de Balmes 150",
        "08008",
        41.3947,
        2.1522,
    ),
    (
        "Sevilla",
        "ES",
        "Avenida de la Constitución 20",
        "41004",
        37.3862,
        -5.9926,
    ),
    (
        "Warsaw",
        "PL",
        "ul. Marszałkowska 104",
        "00-017",
        52.2318,
        21.0060,
    ),
    (
        "Kraków",
        "PL",
        "ul. Floriańska 12",
        "31-019",
        50.0636,
        19.9405,
    ),
    (
        "Stockholm",
        "SE",
        "Drottninggatan 53",
        "111 21",
        59.3326,
        18.0649,
    ),
    (
        "Göteborg",
        "SE",
        "Kungsportsavenyen 10",
        "411 36",
        57.7015,
        11.9746,
    ),
    ("Amsterdam", "NL", "Damrak 70", "1012 LM", 52.3755, 4.8960),
    (
        "Rotterdam",
        "NL",
        "Coolsingel 40",
        "3011 AD",
        51.9225,
        4.4792,
    ),
    (
        "Berlin",
        "DE",
        "Friedrichstraße 68",
        "10117",
        52.5096,
        13.3897,
    ),
    ("Paris", "FR", "Rue de Rivoli 99", "75001", 48.8606, 2.3376),
    (
        "Lisbon",
        "PT",
        "Avenida da Liberdade 110",
        "1269-046",
        38.7204,
        -9.1456,
    ),
];

/// The help article's accounts, dozens of sites in several countries, and services `SVC-000001`….
/// Returns the id of the first service.
async fn seed_catalog(db: &oneportal_store::Db, org_id: i64) -> anyhow::Result<i64> {
    use oneportal_store::catalog::{NewService, NewSite, insert_service, insert_site};
    let mut contract = Vec::new();
    for (name, country, currency) in [
        ("ACME South", "ES", "EUR"),
        ("ACME East", "PL", "PLN"),
        ("ACME North", "SE", "SEK"),
    ] {
        contract.push(
            orgs::create_account(
                db,
                NewAccount {
                    org_id,
                    account_type: AccountType::Contract,
                    name,
                    country,
                    billing_currency: currency,
                },
            )
            .await?,
        );
    }
    let pear = orgs::create_account(
        db,
        NewAccount {
            org_id,
            account_type: AccountType::Delivery,
            name: "PEAR Corp",
            country: "NL",
            billing_currency: "EUR",
        },
    )
    .await?;
    let acme_delivery = orgs::create_account(
        db,
        NewAccount {
            org_id,
            account_type: AccountType::Delivery,
            name: "ACME Group",
            country: "ES",
            billing_currency: "EUR",
        },
    )
    .await?;
    let now = oneportal_store::now_ms();
    let types = [
        (ServiceType::GlobalInternet, 500, 500),
        (ServiceType::SdWan, 200, 100),
        (ServiceType::ManagedRouter, 0, 0),
        (ServiceType::GlobalInternet, 1000, 1000),
    ];
    let statuses = [
        ServiceStatus::RFS,
        ServiceStatus::RFS,
        ServiceStatus::RFS,
        ServiceStatus::InProgress,
        ServiceStatus::RFS,
        ServiceStatus::Suspended,
        ServiceStatus::RFS,
        ServiceStatus::PendingDeactivation,
    ];
    let mut first_service = None;
    for i in 0..36usize {
        let (city, country, street, postal, lat, lon) = CITIES[i % CITIES.len()];
        let account = contract[match country {
            "ES" | "PT" | "FR" => 0,
            "PL" | "DE" => 1,
            _ => 2,
        }];
        let at = now - (36 - i as i64) * 86_400_000;
        let site_name = format!(
            "{city} {}",
            ["HQ", "Branch", "Data Centre"][i / CITIES.len()]
        );
        let site = insert_site(
            db,
            NewSite {
                org_id,
                account_id: account,
                name: &site_name,
                street,
                city,
                postal_code: postal,
                country,
                latitude: lat,
                longitude: lon,
                at,
            },
        )
        .await?;
        let (service_type, down, up) = types[i % types.len()];
        let status = statuses[i % statuses.len()];
        let details = serde_json::json!({
            "ipAddresses": [format!("198.51.100.{}/30", 4 * i + 1)],
            "hardware": [{"vendor": "Cisco", "model": if service_type == ServiceType::SdWan { "Catalyst 8300" } else { "ISR 1100" }, "serialNumber": format!("FGL2{:05}", 31000 + i)}],
            "dnsRecords": [format!("cpe-{}.acme.example", i + 1)],
        });
        let delivery = if i % 3 == 0 { pear } else { acme_delivery };
        let service = insert_service(
            db,
            NewService {
                org_id,
                service_name: &format!("{service_type} {site_name}"),
                service_type,
                status,
                contract_account_id: account,
                delivery_account_id: delivery,
                site_id: site,
                downstream_mbps: down,
                upstream_mbps: up,
                planned_delivery_date: Some("2026-03-01"),
                ready_for_service_date: (status != ServiceStatus::InProgress)
                    .then_some("2026-03-15"),
                technical_note: "Primary access with 4G backup",
                technical_details: &details.to_string(),
                customer_reference: &format!("PO-{}", 4500 + i),
                at,
            },
        )
        .await?;
        first_service.get_or_insert(service);
    }
    first_service.ok_or_else(|| anyhow::anyhow!("the demo catalog has services"))
}

pub fn print_welcome(state: &AppState, password: &str) {
    let url = &state.public_url;
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "oneportal".into());
    let storage = if state.config.database_url.is_some() {
        "--database-url \"$ONEPORTAL_DATABASE_URL\"".to_owned()
    } else {
        format!("--data-dir {}", state.config.data_dir.display())
    };
    // The token's issuer must be this server's URL.
    let data = format!("{storage} --public-url {url}");
    let users: String = demo_users()
        .iter()
        .map(|(email, _, _, p)| {
            let labels: Vec<_> = p.iter().map(|p| p.label()).collect();
            let what = if *p == PermissionSet::all() {
                "every permission".to_owned()
            } else {
                labels.join(", ")
            };
            format!("    {email:<26} {what}\n")
        })
        .collect();
    println!(
        r#"
OnePortal demo is running at {url}

  Organization: {ORGANIZATION}
  Demo users (password: {password}):
{users}
  The portal: open {url}/ in a browser and log in as any of them (the e-mails
  OnePortal sends, such as activation links, are in the outbox linked from the page header).

  Provider staff (same password): {STAFF_EMAIL} at {url}/staff/login
  (the case queue, RFOs, organizations, import, audit log and outbox).

  Try the API (paste into another terminal):

    TOKEN=$({exe} users token --email developer@acme.example {data})
    curl -s -X POST {url}/v2/api-clients -H "Authorization: Bearer $TOKEN" \
         -H 'Content-Type: application/json' -d '{{"apiClientName": "ScopeName1", "scopes": ["BasicRead"]}}' | tee client.json
    ID=$(sed -E 's/.*"clientId":"([^"]+)".*/\1/' client.json); SECRET=$(sed -E 's/.*"clientSecret":"([^"]+)".*/\1/' client.json)
    ACCESS=$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials -d scope=customerapi/basic.read {url}/oauth2/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
    curl -s {url}/v2/me -H "Authorization: Bearer $ACCESS"

  Support cases and invoices: a token of support@acme.example reads /v2/cases (every status,
  RFOs at /v2/cases/{{caseId}}/rfo/document); billing@acme.example reads /v2/invoices (PDF and CSV).

  Discovery: {url}/.well-known/oauth-authorization-server   API reference: {url}/v2/openapi.json
"#
    );
}

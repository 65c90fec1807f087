//! The demo's order in delivery: two new services for the organization, one
//! surveyed with its supplier ordered late, the other waiting for its survey;
//! a delay on the first with its reason. Orders has something to show.

use oneportal_domain::catalog::ServiceType;
use oneportal_domain::order::Milestone;
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::users::StaffRow;

use crate::services::cases::CaseActor;
use crate::services::orders::{self, LinePlan, OrderPlan};
use crate::state::AppState;

fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

pub async fn seed(state: &AppState, org_id: i64, staff: &StaffRow) -> anyhow::Result<()> {
    let failed = |e| anyhow::anyhow!("demo order: {e:?}");
    let services =
        catalog::all_services(&state.db, &AccessScope::whole_organization(org_id)).await?;
    let Some(first) = services.first() else {
        return Ok(());
    };
    let planned = |survey: i64, supplier: i64, ready: i64| {
        vec![
            (Milestone::SiteSurvey, day(survey)),
            (Milestone::SupplierOrdered, day(supplier)),
            (Milestone::InstallationScheduled, day(ready - 14)),
            (Milestone::Installed, day(ready - 7)),
            (Milestone::Tested, day(ready - 2)),
            (Milestone::ReadyForService, day(ready)),
        ]
    };
    let plan = OrderPlan {
        org_id,
        reference: "SO-2026-0187".into(),
        contract_account_id: first.contract_account_id,
        delivery_account_id: first.delivery_account_id,
        purchase_order: "PO-ACME-4471".into(),
        lines: vec![
            LinePlan {
                site_id: first.site_id,
                service_name: "Internet Madrid backup".into(),
                service_type: ServiceType::GlobalInternet,
                product: "Broadband 200 Mbit/s, 24 months".into(),
                downstream_mbps: 200,
                upstream_mbps: 20,
                planned: planned(-12, -3, 30),
            },
            LinePlan {
                site_id: first.site_id,
                service_name: "4G failover Madrid".into(),
                service_type: ServiceType::Wireless4G,
                product: "4G failover, 24 months".into(),
                downstream_mbps: 50,
                upstream_mbps: 10,
                planned: planned(5, 9, 24),
            },
        ],
        received_on: Some(day(-20)),
    };
    let provider = CaseActor::staff(staff);
    let order = orders::place(state, &provider, &plan)
        .await
        .map_err(failed)?;
    let madrid_backup = catalog::all_services(&state.db, &AccessScope::whole_organization(org_id))
        .await?
        .into_iter()
        .find(|s| s.service_name == "Internet Madrid backup")
        .ok_or_else(|| anyhow::anyhow!("the demo order's service is missing"))?;
    let service_id = oneportal_domain::ids::IdKind::Service.format(madrid_backup.id);
    orders::reach(
        state,
        &provider,
        &order,
        &service_id,
        Milestone::SiteSurvey,
        Some(&day(-11)),
    )
    .await
    .map_err(failed)?;
    orders::delay(
        state,
        &provider,
        &order,
        &service_id,
        Milestone::ReadyForService,
        &day(38),
        "The local loop supplier moved its installation date; we are asking for an earlier slot.",
    )
    .await
    .map_err(failed)?;
    Ok(())
}

//! The demo's quote waiting for an answer: two new connections, sent and then
//! revised (version 2 lowers a price), valid for three more weeks. Orders →
//! Quotes has something to accept, which places an order.

use oneportal_domain::catalog::ServiceType;
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::users::StaffRow;

use crate::services::cases::CaseActor;
use crate::services::quotes::{self, Content, LineDraft, QuotePlan};
use crate::state::AppState;

pub async fn seed(state: &AppState, org_id: i64, staff: &StaffRow) -> anyhow::Result<()> {
    let failed = |e| anyhow::anyhow!("demo quote: {e:?}");
    let scope = AccessScope::whole_organization(org_id);
    let services = catalog::all_services(&state.db, &scope).await?;
    let Some(first) = services.first() else {
        return Ok(());
    };
    let mut sites: Vec<i64> = services.iter().map(|s| s.site_id).collect();
    sites.dedup();
    let second_site = sites.get(1).copied().unwrap_or(first.site_id);
    let valid_until =
        (time::OffsetDateTime::now_utc().date() + time::Duration::days(21)).to_string();
    let content = |monthly: &str| Content {
        title: "Dedicated internet for the Madrid and second offices".into(),
        currency: "EUR".into(),
        valid_until: valid_until.clone(),
        note: "Installation within the lead times below after acceptance. Prices exclude VAT."
            .into(),
        lines: vec![
            LineDraft {
                site_id: first.site_id,
                product: "Dedicated Internet Access 500 Mbit/s".into(),
                service_type: ServiceType::GlobalInternet,
                downstream_mbps: 500,
                upstream_mbps: 500,
                term_months: 36,
                one_time_price: "1500.00".into(),
                monthly_price: monthly.into(),
                lead_time_days: Some(45),
            },
            LineDraft {
                site_id: second_site,
                product: "Managed router, dual WAN".into(),
                service_type: ServiceType::ManagedRouter,
                downstream_mbps: 0,
                upstream_mbps: 0,
                term_months: 36,
                one_time_price: "350.00".into(),
                monthly_price: "95.00".into(),
                lead_time_days: Some(30),
            },
        ],
    };
    let plan = QuotePlan {
        org_id,
        reference: "Q-2026-0311".into(),
        contract_account_id: first.contract_account_id,
        delivery_account_id: first.delivery_account_id,
        content: content("890.00"),
    };
    let provider = CaseActor::staff(staff);
    let quote = quotes::create(state, &provider, &plan, true)
        .await
        .map_err(failed)?;
    quotes::revise(state, &provider, &quote, &content("845.00"))
        .await
        .map_err(failed)?;
    Ok(())
}

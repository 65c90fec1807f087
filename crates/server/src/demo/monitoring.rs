//! The demo's monitoring: an integration token, and alerts sent through the
//! same intake and processor as a real Alertmanager's. The Paris CPE is down
//! (a proactive incident case), the Lisbon latency degraded, and one alert names
//! a service OnePortal does not know (the staff page's Unmatched tab).

use std::collections::BTreeMap;

use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::{AlertAction, AlertKind};
use oneportal_store::monitoring as store;
use oneportal_store::now_ms;
use oneportal_store::users::StaffRow;

use crate::services::monitoring::intake::{self, Source};
use crate::services::monitoring::{Observation, processor, tokens};
use crate::state::AppState;

fn firing(key: &str, service: &str, kind: AlertKind, severity: &str, summary: &str) -> Observation {
    let labels = BTreeMap::from([
        ("alertname".to_owned(), key.to_owned()),
        ("service_id".to_owned(), service.to_owned()),
        ("severity".to_owned(), severity.to_owned()),
    ]);
    Observation {
        key: format!("alertmanager:demo-{key}"),
        action: AlertAction::Trigger,
        service: Some(service.to_owned()),
        kind,
        severity: severity.to_owned(),
        summary: summary.to_owned(),
        details: String::new(),
        labels,
        at: now_ms() - 40 * 60_000,
    }
}

/// `first_service` is `SVC-000001` of the demo organization's catalog.
pub async fn seed(state: &AppState, staff: &StaffRow, first_service: i64) -> anyhow::Result<()> {
    let issued = tokens::issue(state, staff, "Demo Alertmanager")
        .await
        .map_err(|e| anyhow::anyhow!("demo integration token: {e}"))?;
    let token = store::find_live_token(&state.db, &crate::auth::digest::sha256_hex(&issued.token))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo integration token is missing"))?;
    let service = |n: i64| IdKind::Service.format(first_service + n - 1);
    let alerts = [
        firing(
            "CpeUnreachable",
            &service(5),
            AlertKind::Down,
            "critical",
            "No response from the Paris CPE",
        ),
        firing(
            "HighLatency",
            &service(6),
            AlertKind::Degraded,
            "warning",
            "Round-trip latency to Lisbon above 80 ms",
        ),
        firing(
            "InterfaceErrors",
            "SVC-999999",
            AlertKind::Degraded,
            "warning",
            "Input errors on a port of a decommissioned circuit",
        ),
    ];
    intake::accept(state, &token, Source::Alertmanager, &alerts)
        .await
        .map_err(|e| anyhow::anyhow!("demo alerts: {e}"))?;
    processor::process_waiting(state).await?;
    Ok(())
}

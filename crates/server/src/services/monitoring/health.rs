//! A service's health, kept on its row: recomputed in the transaction of every
//! change that can move it (an alert's state, a maintenance starting or
//! ending), so lists filter by it and a change is an event exactly once.

use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::ServiceHealth;
use oneportal_store::monitoring;
use oneportal_store::{StoreError, Tx, now_ms};

use crate::http::time::rfc3339;
use crate::models::event::ServiceHealthChanged;
use crate::services::events;
use crate::state::AppState;

/// Why the health may have moved, for the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cause {
    pub case_id: Option<i64>,
}

/// Recomputes the service's health; when it changed, stores it and emits
/// `service.health_changed`. Answers the service's organization if it changed.
pub async fn refresh(
    state: &AppState,
    tx: &Tx,
    service_id: i64,
    cause: Cause,
) -> Result<Option<i64>, StoreError> {
    let Some((org_id, stored)) = monitoring::health_of(tx, service_id).await? else {
        return Ok(None);
    };
    let maintenance = monitoring::maintenance_in_process(tx, service_id).await?;
    let open = monitoring::open_alert_kinds(tx, service_id).await?;
    let health = ServiceHealth::derive(maintenance.is_some(), open);
    if health == stored {
        return Ok(None);
    }
    let at = now_ms();
    monitoring::set_health(tx, service_id, health, at).await?;
    let service = IdKind::Service.format(service_id);
    let data = ServiceHealthChanged {
        service_id: service.clone(),
        previous_health: stored,
        health,
        case_id: cause.case_id.map(|id| IdKind::Case.format(id)),
        maintenance_id: maintenance
            .filter(|_| health == ServiceHealth::Maintenance)
            .map(|id| IdKind::Maintenance.format(id)),
        last_modified_date: rfc3339(at),
        url: events::url(state, &format!("services/{service}")),
    };
    events::emit(tx, org_id, service_id, &data).await?;
    metrics::counter!("oneportal_service_health_changes_total", "health" => health.as_str())
        .increment(1);
    Ok(Some(org_id))
}

//! A planned maintenance as API V2, the operations API and the portal show it.

use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{Impact, MaintenanceStatus, is_short_notice};
use oneportal_store::maintenances::{AffectedServiceRow, HistoryRow, MaintenanceRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// A service the maintenance affects, and how.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffectedService {
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub service_name: String,
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    pub impact: Impact,
}

impl From<&AffectedServiceRow> for AffectedService {
    fn from(row: &AffectedServiceRow) -> Self {
        AffectedService {
            service_id: IdKind::Service.format(row.service_id),
            service_name: row.service_name.clone(),
            site_id: IdKind::Site.format(row.site_id),
            organization_id: IdKind::Organization.format(row.org_id),
            impact: row.impact,
        }
    }
}

/// Planned work by the provider on services you use, in the terms of the NANOG
/// BCOP for maintenance notifications. Only the affected services you may see
/// are listed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Maintenance {
    /// This API's id, for `/v2/maintenances/{maintenanceId}`.
    #[schema(example = "MNT-000001")]
    pub maintenance_id: String,
    /// The provider's own reference (its change ticket), to quote to it.
    #[schema(example = "CHG-2026-1204")]
    pub provider_reference: String,
    pub title: String,
    /// What is done and why.
    pub reason: String,
    pub status: MaintenanceStatus,
    /// The window's start, RFC 3339 in UTC.
    pub start_date: String,
    /// The window's end.
    pub end_date: String,
    /// When the current window was announced.
    pub notice_given_date: String,
    /// The window was announced less than 14 days before it starts.
    pub short_notice: bool,
    /// The highest impact among the listed services.
    pub impact: Impact,
    pub services: Vec<AffectedService>,
    /// Raised on every change (the calendar feed's `SEQUENCE`).
    pub revision: i64,
    pub created_date: String,
    pub last_modified_date: String,
}

impl Maintenance {
    /// The maintenance with the affected services the reader may see (at least
    /// one: a reader who sees none does not see the maintenance).
    pub fn new(row: &MaintenanceRow, services: &[AffectedServiceRow]) -> Maintenance {
        let services: Vec<AffectedService> = services
            .iter()
            .filter(|s| s.maintenance_id == row.id)
            .map(AffectedService::from)
            .collect();
        Maintenance {
            maintenance_id: IdKind::Maintenance.format(row.id),
            provider_reference: row.reference.clone(),
            title: row.title.clone(),
            reason: row.reason.clone(),
            status: row.status,
            start_date: rfc3339(row.starts_at),
            end_date: rfc3339(row.ends_at),
            notice_given_date: rfc3339(row.notice_given_at),
            short_notice: is_short_notice(row.notice_given_at, row.starts_at),
            impact: services
                .iter()
                .map(|s| s.impact)
                .max()
                .unwrap_or(Impact::NoImpact),
            services,
            revision: row.revision,
            created_date: rfc3339(row.created_at),
            last_modified_date: rfc3339(row.updated_at),
        }
    }
}

/// One step in a maintenance's life, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceHistoryEntry {
    pub at: String,
    /// `announced`, `updated`, `rescheduled`, `confirmed`, `started`, `completed` or `cancelled`.
    pub action: String,
    pub status: MaintenanceStatus,
    pub start_date: String,
    pub end_date: String,
    pub revision: i64,
    /// The staff member (`STF-000001`).
    pub actor: String,
    pub note: String,
}

impl From<HistoryRow> for MaintenanceHistoryEntry {
    fn from(row: HistoryRow) -> Self {
        MaintenanceHistoryEntry {
            at: rfc3339(row.at),
            action: row.action,
            status: row.status,
            start_date: rfc3339(row.starts_at),
            end_date: rfc3339(row.ends_at),
            revision: row.revision,
            actor: row.actor,
            note: row.note,
        }
    }
}

/// `2026-12-20 01:00` of `2026-12-20T01:00:00Z`.
pub fn minute(text: &str) -> String {
    text.get(..16).unwrap_or(text).replace('T', " ")
}

/// A window in one line (`2026-12-20 01:00 – 05:00 UTC`), the end's date left
/// out when it is the start's; both are RFC 3339 in UTC.
pub fn window(start: &str, end: &str) -> String {
    let (start, end) = (minute(start), minute(end));
    match (start.split_once(' '), end.split_once(' ')) {
        (Some((start_day, _)), Some((end_day, end_time))) if start_day == end_day => {
            format!("{start} – {end_time} UTC")
        }
        _ => format!("{start} – {end} UTC"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_window_within_one_day_names_the_day_once() {
        assert_eq!(
            super::window("2026-12-20T01:00:00Z", "2026-12-20T05:30:00Z"),
            "2026-12-20 01:00 – 05:30 UTC"
        );
        assert_eq!(
            super::window("2026-12-20T22:00:00Z", "2026-12-21T02:00:00Z"),
            "2026-12-20 22:00 – 2026-12-21 02:00 UTC"
        );
    }
}

//! What staff read of the provider's monitoring: alerts as OnePortal keeps
//! them, and integration tokens (never their secret).

use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::{AlertKind, AlertState};
use oneportal_store::monitoring::{AlertRow, IntegrationTokenRow};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// An alert as OnePortal keeps it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    #[schema(example = "alertmanager:3f1c0a9b2d4e5f60")]
    pub alert_key: String,
    /// `alertmanager` or `events`.
    pub source: String,
    pub state: AlertState,
    pub kind: AlertKind,
    pub severity: String,
    pub summary: String,
    /// The service as the alert named it.
    pub service_label: String,
    /// The service it matched; `null`: unmatched, no case was opened.
    pub service_id: Option<String>,
    pub organization_id: Option<String>,
    /// The proactive case it last opened.
    pub case_id: Option<String>,
    /// The maintenance in progress it fired during (no case was opened).
    pub maintenance_id: Option<String>,
    #[schema(value_type = Object)]
    pub labels: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
    /// When the current (or last) firing began.
    pub fired_at: String,
    pub resolved_at: Option<String>,
    /// Notifications received about it.
    pub notifications: i64,
}

impl From<AlertRow> for AlertRecord {
    fn from(row: AlertRow) -> Self {
        AlertRecord {
            alert_key: row.alert_key,
            source: row.source,
            state: row.state,
            kind: row.kind,
            severity: row.severity,
            summary: row.summary,
            service_label: row.service_label,
            service_id: row.service_id.map(|id| IdKind::Service.format(id)),
            organization_id: row.org_id.map(|id| IdKind::Organization.format(id)),
            case_id: row.case_id.map(|id| IdKind::Case.format(id)),
            maintenance_id: row.maintenance_id.map(|id| IdKind::Maintenance.format(id)),
            labels: serde_json::from_str(&row.labels).unwrap_or_else(|_| json!({})),
            first_seen: rfc3339(row.first_seen_at),
            last_seen: rfc3339(row.last_seen_at),
            fired_at: rfc3339(row.fired_at),
            resolved_at: row.resolved_at.map(rfc3339),
            notifications: row.notifications,
        }
    }
}

/// An integration token as staff see it (never its secret, but once).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationToken {
    pub id: i64,
    pub name: String,
    /// The token's first characters.
    #[schema(example = "opi_Ab3d…")]
    pub hint: String,
    pub created_date: String,
    pub last_used: Option<String>,
    pub revoked_date: Option<String>,
}

impl From<IntegrationTokenRow> for IntegrationToken {
    fn from(row: IntegrationTokenRow) -> Self {
        IntegrationToken {
            id: row.id,
            name: row.name,
            hint: row.hint,
            created_date: rfc3339(row.created_at),
            last_used: row.last_used_at.map(rfc3339),
            revoked_date: row.revoked_at.map(rfc3339),
        }
    }
}

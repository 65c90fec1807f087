//! Notifications from the provider's monitoring, in the two shapes monitoring
//! tools send: Alertmanager's webhook (version 4) and the PagerDuty Events API
//! v2. Each is checked whole (a 400 names every field to fix), turned into
//! [`Observation`]s and written to the inbox; only then is it acknowledged.
//! Acting on it (cases, messages, health) is the processor's job.

use std::collections::BTreeMap;

use oneportal_domain::monitoring::{AlertAction, AlertKind};
use oneportal_store::monitoring::{self, IntegrationTokenRow};
use oneportal_store::now_ms;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::Observation;
use crate::auth::random;
use crate::config::MonitoringConfig;
use crate::http::time::parse_time;
use crate::http::{ApiError, FieldError};
use crate::state::AppState;

/// The largest notification accepted; Alertmanager groups rarely reach a tenth of it.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Alerts one Alertmanager notification may carry.
pub const MAX_ALERTS: usize = 1_000;
const SUMMARY_MAX: usize = 1_024;
const DETAILS_MAX: usize = 10_000;
const KEY_MAX: usize = 255;

/// Where a notification came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Alertmanager,
    Events,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Alertmanager => "alertmanager",
            Source::Events => "events",
        }
    }
}

/// Prometheus Alertmanager's webhook notification, version 4 (the fields
/// OnePortal reads; others are accepted and ignored).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerNotification {
    /// Must be `4`.
    #[schema(example = "4")]
    pub version: String,
    /// `firing` or `resolved`: the group's status (each alert has its own).
    #[schema(example = "firing")]
    pub status: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_key: String,
    #[serde(default)]
    pub truncated_alerts: u64,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<AlertmanagerAlert>,
}

/// One alert of an Alertmanager notification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerAlert {
    /// `firing` or `resolved`.
    pub status: String,
    /// Must include the configured service label (`service_id` by default).
    #[schema(example = json!({"alertname": "LinkDown", "service_id": "SVC-000001", "severity": "critical"}))]
    pub labels: BTreeMap<String, String>,
    /// `summary` (or `description`) becomes the case's first line.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339.
    #[schema(example = "2026-12-06T08:12:00Z")]
    pub starts_at: String,
    /// RFC 3339; Alertmanager's zero time while the alert fires.
    #[serde(default)]
    pub ends_at: String,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    /// Alertmanager's identity of the alert: the alert key.
    #[serde(default)]
    pub fingerprint: String,
}

/// An event in the shape of the PagerDuty Events API v2.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PagerDutyEvent {
    /// The integration token, for senders that cannot set an `Authorization`
    /// header (PagerDuty's own field for it).
    #[serde(default)]
    pub routing_key: Option<String>,
    /// `trigger`, `acknowledge` or `resolve`.
    #[schema(example = "trigger")]
    pub event_action: String,
    /// The alert key. A trigger without one gets one (in the answer); an
    /// acknowledge or resolve needs it.
    #[serde(default)]
    pub dedup_key: Option<String>,
    /// Required for `trigger`.
    #[serde(default)]
    pub payload: Option<PagerDutyPayload>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PagerDutyPayload {
    #[schema(example = "Link down on the Madrid HQ access circuit")]
    pub summary: String,
    #[schema(example = "mad-pe-01")]
    pub source: String,
    /// `critical`, `error`, `warning` or `info`.
    #[schema(example = "critical")]
    pub severity: String,
    /// RFC 3339.
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// What kind of problem: `down`, `degraded` or `intermittent` set the case subject.
    #[serde(default)]
    pub class: Option<String>,
    /// Carries the service label (`service_id` by default) unless `component` names the service.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_details: Option<Value>,
}

const PAGERDUTY_SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

/// A body's checks fail as one 400 listing every field.
fn invalid(errors: Vec<FieldError>) -> ApiError {
    let detail = match errors.as_slice() {
        [only] => format!("{}: {}", only.pointer, only.detail),
        _ => format!(
            "{} fields of the notification need attention; see errors",
            errors.len()
        ),
    };
    ApiError::BadRequest {
        code: "invalid_notification",
        detail,
        errors,
    }
}

/// JSON errors are 400s here too: monitoring tools retry a 4xx never and a 5xx forever.
fn parsed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::http::json::parse(body).map_err(|error| match error {
        ApiError::Unprocessable { errors, .. } => invalid(errors),
        other => other,
    })
}

fn clipped(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// What the alert says is wrong: the kind label, else the severity.
fn kind_of(label: Option<&str>, severity: &str) -> AlertKind {
    label
        .and_then(AlertKind::from_label)
        .unwrap_or_else(|| AlertKind::from_severity(severity))
}

/// The alerts of an Alertmanager notification.
pub fn from_alertmanager(
    config: &MonitoringConfig,
    body: &[u8],
) -> Result<Vec<Observation>, ApiError> {
    let notification: AlertmanagerNotification = parsed(body)?;
    let mut errors = Vec::new();
    if notification.version != "4" {
        errors.push(FieldError::new(
            "/version",
            "unsupported_version",
            format!(
                "version is '{}'; OnePortal reads Alertmanager's webhook version 4",
                notification.version
            ),
        ));
    }
    if notification.alerts.len() > MAX_ALERTS {
        errors.push(FieldError::new(
            "/alerts",
            "too_many",
            format!(
                "{} alerts in one notification; send at most {MAX_ALERTS} (lower max_alerts in webhook_config)",
                notification.alerts.len()
            ),
        ));
    }
    let mut observations = Vec::with_capacity(notification.alerts.len());
    for (i, alert) in notification.alerts.iter().enumerate() {
        let at = |field: &str| format!("/alerts/{i}/{field}");
        let action = match alert.status.as_str() {
            "firing" => Some(AlertAction::Trigger),
            "resolved" => Some(AlertAction::Resolve),
            other => {
                errors.push(FieldError::new(
                    at("status"),
                    "invalid_status",
                    format!("status is '{other}'; it must be firing or resolved"),
                ));
                None
            }
        };
        let starts_at = parse_time(&at("startsAt"), &alert.starts_at).map_err(|e| errors.push(e));
        // Alertmanager writes its zero time (0001-01-01) while an alert fires.
        let ends_at = match alert.ends_at.trim() {
            "" => Ok(None),
            text => parse_time(&at("endsAt"), text)
                .map(|ms| Some(ms).filter(|ms| *ms > 0))
                .map_err(|e| errors.push(e)),
        };
        // Without the label the alert is still accepted, and recorded as unmatched:
        // staff see what monitoring sends without it and fix the rule.
        let service = alert.labels.get(&config.service_label).cloned();
        let fingerprint = if alert.fingerprint.trim().is_empty() {
            // Older senders leave it out; the labels identify the alert the same way.
            crate::auth::digest::sha256_hex(
                serde_json::to_string(&alert.labels).unwrap_or_default(),
            )[..16]
                .to_owned()
        } else {
            clipped(&alert.fingerprint, KEY_MAX)
        };
        let (Some(action), Ok(starts_at), Ok(ends_at)) = (action, starts_at, ends_at) else {
            continue;
        };
        let severity = alert.labels.get("severity").cloned().unwrap_or_default();
        let summary = alert
            .annotations
            .get("summary")
            .or_else(|| alert.annotations.get("description"))
            .or_else(|| alert.labels.get("alertname"))
            .map_or_else(|| "an alert without a summary".to_owned(), Clone::clone);
        observations.push(Observation {
            key: format!("{}:{fingerprint}", Source::Alertmanager.as_str()),
            action,
            service,
            kind: kind_of(
                alert.labels.get(&config.kind_label).map(String::as_str),
                &severity,
            ),
            severity: clipped(&severity, 50),
            summary: clipped(&summary, SUMMARY_MAX),
            details: clipped(
                alert
                    .annotations
                    .get("description")
                    .filter(|d| **d != summary)
                    .map_or("", String::as_str),
                DETAILS_MAX,
            ),
            labels: alert.labels.clone(),
            at: match action {
                AlertAction::Resolve => ends_at.unwrap_or(starts_at),
                _ => starts_at,
            },
        });
    }
    if errors.is_empty() {
        Ok(observations)
    } else {
        Err(invalid(errors))
    }
}

/// A PagerDuty-shaped event: its routing key (if it carries the token) and the alert.
pub fn from_event(
    config: &MonitoringConfig,
    body: &[u8],
) -> Result<(Option<String>, Observation), ApiError> {
    let event: PagerDutyEvent = parsed(body)?;
    let mut errors = Vec::new();
    let action = match event.event_action.as_str() {
        "trigger" => Some(AlertAction::Trigger),
        "acknowledge" => Some(AlertAction::Acknowledge),
        "resolve" => Some(AlertAction::Resolve),
        other => {
            errors.push(FieldError::new(
                "/event_action",
                "invalid_action",
                format!("event_action is '{other}'; it must be trigger, acknowledge or resolve"),
            ));
            None
        }
    };
    let dedup_key = event.dedup_key.as_deref().map(str::trim).unwrap_or("");
    if dedup_key.chars().count() > KEY_MAX {
        errors.push(FieldError::new(
            "/dedup_key",
            "too_long",
            format!("dedup_key is longer than {KEY_MAX} characters"),
        ));
    }
    if dedup_key.is_empty() && matches!(action, Some(a) if a != AlertAction::Trigger) {
        errors.push(FieldError::new(
            "/dedup_key",
            "required",
            "an acknowledge or resolve names the alert it is about: send the dedup_key of its trigger",
        ));
    }
    let payload = event.payload.as_ref();
    let mut at = now_ms();
    if action == Some(AlertAction::Trigger) {
        match payload {
            None => errors.push(FieldError::new(
                "/payload",
                "required",
                "a trigger carries a payload with summary, source and severity",
            )),
            Some(payload) => {
                for (field, value) in [("summary", &payload.summary), ("source", &payload.source)] {
                    if value.trim().is_empty() {
                        errors.push(FieldError::new(
                            format!("/payload/{field}"),
                            "required",
                            format!("payload.{field} is empty; say what monitoring saw"),
                        ));
                    }
                }
                if !PAGERDUTY_SEVERITIES.contains(&payload.severity.as_str()) {
                    errors.push(FieldError::new(
                        "/payload/severity",
                        "invalid_severity",
                        format!(
                            "payload.severity is '{}'; it must be one of {}",
                            payload.severity,
                            PAGERDUTY_SEVERITIES.join(", ")
                        ),
                    ));
                }
                if let Some(details) = &payload.custom_details
                    && !details.is_object()
                {
                    errors.push(FieldError::new(
                        "/payload/custom_details",
                        "invalid_type",
                        "payload.custom_details must be a JSON object",
                    ));
                }
            }
        }
    }
    if let Some(timestamp) = payload.and_then(|p| p.timestamp.as_deref()) {
        match parse_time("/payload/timestamp", timestamp) {
            Ok(ms) => at = ms,
            Err(error) => errors.push(error),
        }
    }
    let Some(action) = action.filter(|_| errors.is_empty()) else {
        return Err(invalid(errors));
    };
    let key = if dedup_key.is_empty() {
        random::alphanumeric(32)
    } else {
        dedup_key.to_owned()
    };
    let details = payload
        .and_then(|p| p.custom_details.as_ref())
        .and_then(Value::as_object);
    let detail = |name: &str| {
        details
            .and_then(|d| d.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let service = detail(&config.service_label).or_else(|| {
        payload
            .and_then(|p| p.component.clone())
            .filter(|c| oneportal_domain::ids::IdKind::Service.parse(c).is_some())
    });
    let severity = payload.map_or("", |p| p.severity.as_str());
    let kind = kind_of(
        detail(&config.kind_label)
            .as_deref()
            .or(payload.and_then(|p| p.class.as_deref())),
        severity,
    );
    let labels: BTreeMap<String, String> = details
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), clipped(v, 500))))
        .take(64)
        .collect();
    let summary = payload.map_or("", |p| p.summary.as_str());
    let source = payload.map_or("", |p| p.source.as_str());
    Ok((
        event.routing_key,
        Observation {
            key: format!("{}:{key}", Source::Events.as_str()),
            action,
            service,
            kind,
            severity: clipped(severity, 50),
            summary: clipped(summary, SUMMARY_MAX),
            details: if source.is_empty() {
                String::new()
            } else {
                format!("Source: {}", clipped(source, 255))
            },
            labels,
            at,
        },
    ))
}

/// Writes the notification to the inbox and wakes the processor; once this
/// returns, the notification survives a crash.
pub async fn accept(
    state: &AppState,
    token: &IntegrationTokenRow,
    source: Source,
    observations: &[Observation],
) -> Result<i64, ApiError> {
    let alerts = serde_json::to_string(observations).expect("observations serialize");
    // In a transaction: on SQLite it queues for the write lock in turn, where a
    // bare statement would meet the lock and back off by up to 100 ms at a time.
    let tx = state.db.begin().await?;
    let id = monitoring::enqueue(&tx, source.as_str(), token.id, &alerts, now_ms()).await?;
    tx.commit().await?;
    metrics::counter!("oneportal_alert_notifications_total", "source" => source.as_str())
        .increment(1);
    state.alert_inbox.notify_one();
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MonitoringConfig {
        MonitoringConfig::default()
    }

    #[test]
    fn an_alertmanager_notification_becomes_one_observation_per_alert() {
        let body = serde_json::json!({
            "version": "4", "status": "firing", "receiver": "oneportal",
            "alerts": [
                {"status": "firing", "labels": {"alertname": "LinkDown", "service_id": "SVC-000001", "severity": "critical"},
                 "annotations": {"summary": "Link down"}, "startsAt": "2026-12-06T08:12:00Z",
                 "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "abc123"},
                {"status": "resolved", "labels": {"alertname": "Latency", "service_id": "SVC-000002", "kind": "degraded"},
                 "startsAt": "2026-12-06T08:00:00Z", "endsAt": "2026-12-06T09:00:00Z", "fingerprint": "def456"}
            ]
        });
        let seen = from_alertmanager(&config(), body.to_string().as_bytes()).unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].key, "alertmanager:abc123");
        assert_eq!(seen[0].action, AlertAction::Trigger);
        assert_eq!(seen[0].kind, AlertKind::Down);
        assert_eq!(seen[0].service.as_deref(), Some("SVC-000001"));
        assert_eq!(seen[1].action, AlertAction::Resolve);
        assert_eq!(seen[1].kind, AlertKind::Degraded);
        assert_eq!(seen[1].summary, "Latency");
    }

    #[test]
    fn a_bad_notification_names_each_field() {
        let body = serde_json::json!({
            "version": "3", "status": "firing",
            "alerts": [{"status": "burning", "labels": {}, "startsAt": "yesterday"}]
        });
        let Err(ApiError::BadRequest { errors, .. }) =
            from_alertmanager(&config(), body.to_string().as_bytes())
        else {
            panic!("a bad notification is a 400");
        };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/version", "/alerts/0/status", "/alerts/0/startsAt"]
        );
        let Err(ApiError::BadRequest { errors, .. }) =
            from_alertmanager(&config(), br#"{"version": "4", "status": "firing"}"#)
        else {
            panic!("a missing field is a 400");
        };
        assert_eq!(errors[0].pointer, "/alerts");
    }

    #[test]
    fn pagerduty_events_need_what_their_action_needs() {
        let trigger = serde_json::json!({
            "routing_key": "opi_x", "event_action": "trigger", "dedup_key": "k1",
            "payload": {"summary": "Loss 5%", "source": "probe-7", "severity": "warning",
                        "class": "intermittent", "custom_details": {"service_id": "SVC-000009"}}
        });
        let (routing, seen) = from_event(&config(), trigger.to_string().as_bytes()).unwrap();
        assert_eq!(routing.as_deref(), Some("opi_x"));
        assert_eq!(seen.key, "events:k1");
        assert_eq!(seen.kind, AlertKind::Intermittent);
        assert_eq!(seen.service.as_deref(), Some("SVC-000009"));

        let resolve = br#"{"event_action": "resolve"}"#;
        let Err(ApiError::BadRequest { errors, .. }) = from_event(&config(), resolve) else {
            panic!("a resolve without a key is a 400");
        };
        assert_eq!(errors[0].pointer, "/dedup_key");
        let bad = br#"{"event_action": "trigger", "payload": {"summary": "", "source": "x", "severity": "fatal"}}"#;
        let Err(ApiError::BadRequest { errors, .. }) = from_event(&config(), bad) else {
            panic!("a bad trigger is a 400");
        };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/payload/summary", "/payload/severity"]);
    }
}

//! The audit log for staff: every organization's events and the provider's own,
//! newest first, filtered by actor, action, organization and date range.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_store::audit::{self, AuditFilter};
use serde::Deserialize;

use super::StaffSession;
use super::frame::layout;
use crate::portal::developer::day_time;
use crate::portal::layout::Layout;
use crate::portal::{PortalError, render};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// The most events one export holds; narrow the filter (a date range) for more.
const EXPORT_MAX: i64 = 100_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    offset: String,
}

pub struct EventLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub organization: String,
    pub target: String,
    pub details: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "portal/staff/audit.html")]
struct AuditPage {
    layout: Layout,
    filter: AuditQuery,
    errors: Vec<String>,
    events: Vec<EventLine>,
    total: i64,
    from: i64,
    to: i64,
    previous: String,
    next: String,
    export: String,
}

/// A `YYYY-MM-DD` day as Unix ms at its start (UTC).
fn day_start(text: &str) -> Option<i64> {
    let day = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(day.midnight().assume_utc().unix_timestamp() * 1000)
}

/// The filter the query asks for, or what is wrong with it, field by field.
fn parse_filter(q: &AuditQuery) -> Result<(AuditFilter, i64), Vec<String>> {
    let mut errors = Vec::new();
    let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let org_id = match q.organization.trim() {
        "" => None,
        value => {
            let parsed = IdKind::Organization.parse(value);
            if parsed.is_none() {
                errors.push(format!(
                    "Organization: '{value}' is not an organization id like ORG-000001."
                ));
            }
            parsed
        }
    };
    let mut day = |label: &str, value: &str| match value.trim() {
        "" => None,
        value => {
            let parsed = day_start(value);
            if parsed.is_none() {
                errors.push(format!("{label}: '{value}' is not a date like 2026-11-27."));
            }
            parsed
        }
    };
    let from = day("From", &q.from);
    let until = day("To", &q.to).map(|start| start + DAY_MS);
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        errors.push("To: the end date is before the start date.".to_owned());
    }
    let offset = match q.offset.trim() {
        "" => 0,
        value => value
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .unwrap_or_else(|| {
                errors.push(format!("Offset: '{value}' is not a page position."));
                0
            }),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        AuditFilter {
            actor: text(&q.actor),
            action_prefix: text(&q.action),
            org_id,
            from,
            until,
        },
        offset,
    ))
}

fn link(q: &AuditQuery, offset: i64) -> String {
    let mut pairs: Vec<(&str, &str)> = [
        ("actor", q.actor.as_str()),
        ("action", q.action.as_str()),
        ("organization", q.organization.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    let offset = offset.to_string();
    if offset != "0" {
        pairs.push(("offset", &offset));
    }
    format!(
        "/staff/audit?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PortalError> {
    let filter = query.map(|Query(q)| q).unwrap_or_default();
    let mut page = AuditPage {
        layout: layout(&session, "Audit log", "audit"),
        errors: Vec::new(),
        events: Vec::new(),
        total: 0,
        from: 0,
        to: 0,
        previous: String::new(),
        next: String::new(),
        export: String::new(),
        filter,
    };
    let (audit_filter, offset) = match parse_filter(&page.filter) {
        Ok(parsed) => parsed,
        Err(errors) => {
            page.errors = errors;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (rows, total) = audit::search(&state.db, &audit_filter, offset, PAGE_SIZE).await?;
    page.total = total;
    page.from = if rows.is_empty() { 0 } else { offset + 1 };
    page.to = offset + rows.len() as i64;
    if offset > 0 {
        page.previous = link(&page.filter, (offset - PAGE_SIZE).max(0));
    }
    if page.to < total {
        page.next = link(&page.filter, offset + PAGE_SIZE);
    }
    page.export = link(&page.filter, 0).replacen("/staff/audit?", "/staff/audit/export?", 1);
    page.events = rows
        .into_iter()
        .map(|r| EventLine {
            at: day_time(r.at),
            actor: format!("{} {}", r.actor_type, r.actor_id),
            action: r.action,
            organization: r
                .org_id
                .map(|id| IdKind::Organization.format(id))
                .unwrap_or_default(),
            target: match (r.target_type, r.target_id) {
                (Some(kind), Some(id)) => format!("{kind} {id}"),
                _ => String::new(),
            },
            details: if r.details == "{}" {
                String::new()
            } else {
                r.details
            },
            ip: r.ip.unwrap_or_default(),
        })
        .collect();
    render::page(&page)
}

/// The filtered log as JSON lines (one event a line, newest first), for other tools.
pub async fn export(
    State(state): State<AppState>,
    session: StaffSession,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PortalError> {
    let filter = query.map(|Query(q)| q).unwrap_or_default();
    let (audit_filter, _) = parse_filter(&filter)
        .map_err(|errors| crate::http::ApiError::bad_request("invalid_query", errors.join(" ")))?;
    let mut body = String::new();
    let mut offset = 0;
    while offset < EXPORT_MAX {
        let (rows, _) = audit::search(&state.db, &audit_filter, offset, 1000).await?;
        let fetched = rows.len() as i64;
        for r in rows {
            let details: serde_json::Value =
                serde_json::from_str(&r.details).unwrap_or(serde_json::Value::String(r.details));
            let line = serde_json::json!({
                "id": r.id,
                "at": crate::http::time::rfc3339(r.at),
                "organizationId": r.org_id.map(|id| IdKind::Organization.format(id)),
                "actorType": r.actor_type,
                "actorId": r.actor_id,
                "action": r.action,
                "targetType": r.target_type,
                "targetId": r.target_id,
                "details": details,
                "ip": r.ip,
                "requestId": r.request_id,
            });
            body.push_str(&line.to_string());
            body.push('\n');
        }
        if fetched < 1000 {
            break;
        }
        offset += fetched;
    }
    crate::audit::record(
        &state.db,
        crate::audit::Event::new(
            crate::audit::Actor::Staff {
                id: session.staff.id,
            },
            "audit.exported",
        )
        .details(
            serde_json::json!({ "actor": filter.actor, "action": filter.action,
            "organization": filter.organization, "from": filter.from, "to": filter.to }),
        ),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_and_bad_filters_are_named() {
        assert_eq!(day_start("1970-01-02"), Some(DAY_MS));
        let q = AuditQuery {
            organization: "acme".into(),
            from: "yesterday".into(),
            ..AuditQuery::default()
        };
        let errors = parse_filter(&q).unwrap_err();
        assert!(errors[0].starts_with("Organization"));
        assert!(errors[1].starts_with("From"));
    }
}

//! Planned maintenance as iCalendar (RFC 5545) with the NANOG BCOP's
//! `X-MAINTNOTE-*` properties, which circuit-maintenance tooling parses: the
//! calendar feed and, later, the e-mails' attachments. One `VEVENT` per
//! maintenance and customer; `icalendar` escapes text and folds long lines.

use icalendar::{Calendar, Component, Property};
use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{Impact, MaintenanceStatus, is_short_notice};
use oneportal_store::maintenances::{AffectedServiceRow, MaintenanceRow};

/// Whose calendar it is, and who publishes it.
pub struct CalendarFor<'a> {
    /// `X-MAINTNOTE-PROVIDER` and the domain of every `UID`: the portal's host.
    pub provider: &'a str,
    /// The customer (`X-MAINTNOTE-ACCOUNT`): its organization id.
    pub organization_id: i64,
    /// The provider's address, as `ORGANIZER`, when it has one.
    pub organizer: Option<&'a str>,
}

/// UTC as iCalendar writes it: `20261220T010000Z`.
fn utc(ms: i64) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// RFC 5545's `STATUS` of an event for the BCOP status.
fn event_status(status: MaintenanceStatus) -> &'static str {
    match status {
        MaintenanceStatus::Tentative => "TENTATIVE",
        MaintenanceStatus::Cancelled => "CANCELLED",
        _ => "CONFIRMED",
    }
}

/// The `METHOD:PUBLISH` calendar of these maintenances, each with the services
/// of `services` that belong to it (the ones the reader may see).
pub fn calendar(
    who: &CalendarFor<'_>,
    maintenances: &[MaintenanceRow],
    services: &[AffectedServiceRow],
) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//OnePortal//Planned maintenance//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", "Planned maintenance"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    let account = IdKind::Organization.format(who.organization_id);
    for row in maintenances {
        let mine: Vec<&AffectedServiceRow> = services
            .iter()
            .filter(|s| s.maintenance_id == row.id)
            .collect();
        calendar.push(event(who, &account, row, &mine));
    }
    calendar.to_string()
}

fn event(
    who: &CalendarFor<'_>,
    account: &str,
    row: &MaintenanceRow,
    services: &[&AffectedServiceRow],
) -> icalendar::Event {
    let id = IdKind::Maintenance.format(row.id);
    let impact = services
        .iter()
        .map(|s| s.impact)
        .max()
        .unwrap_or(Impact::NoImpact);
    let mut description = row.reason.clone();
    if is_short_notice(row.notice_given_at, row.starts_at) {
        description.push_str("\n\nShort notice: announced less than 14 days ahead.");
    }
    description.push_str("\n\nAffected services:");
    for service in services {
        description.push_str(&format!(
            "\n- {} {} ({})",
            IdKind::Service.format(service.service_id),
            service.service_name,
            service.impact
        ));
    }
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{id}.{account}@{}", who.provider))
        .add_property("DTSTAMP", utc(row.updated_at))
        .add_property("DTSTART", utc(row.starts_at))
        .add_property("DTEND", utc(row.ends_at))
        .add_property("LAST-MODIFIED", utc(row.updated_at))
        .add_property("CREATED", utc(row.created_at))
        .sequence(u32::try_from(row.revision).unwrap_or(u32::MAX))
        .summary(&format!("Maintenance {}: {}", row.reference, row.title))
        .description(&description)
        .add_property("STATUS", event_status(row.status))
        // Planned work does not make anyone busy.
        .add_property("TRANSP", "TRANSPARENT")
        .add_property("X-MAINTNOTE-PROVIDER", who.provider)
        .add_property("X-MAINTNOTE-ACCOUNT", account)
        .add_property("X-MAINTNOTE-MAINTENANCE-ID", &row.reference)
        .add_property("X-MAINTNOTE-IMPACT", impact.as_str())
        .add_property("X-MAINTNOTE-STATUS", row.status.as_str());
    if let Some(organizer) = who.organizer {
        event.add_property("ORGANIZER", format!("mailto:{organizer}"));
    }
    for service in services {
        // The BCOP's impact is one per event; each object's own rides along as a parameter.
        event.append_multi_property(
            Property::new(
                "X-MAINTNOTE-OBJECT-ID",
                IdKind::Service.format(service.service_id),
            )
            .add_parameter("X-MAINTNOTE-IMPACT", service.impact.as_str())
            .done(),
        );
    }
    event.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MaintenanceRow {
        MaintenanceRow {
            id: 7,
            reference: "CHG-7; core, AMS".into(),
            title: "Router upgrade".into(),
            reason: "A reason long enough that its DESCRIPTION line is folded because it runs well past seventy-five octets.".into(),
            status: MaintenanceStatus::Rescheduled,
            starts_at: 1_797_728_400_000,
            ends_at: 1_797_742_800_000,
            notice_given_at: 1_797_000_000_000,
            revision: 3,
            created_at: 1_796_000_000_000,
            updated_at: 1_797_000_000_000,
        }
    }

    #[test]
    fn lines_are_folded_text_is_escaped_and_the_bcop_properties_are_there() {
        let services = [AffectedServiceRow {
            maintenance_id: 7,
            service_id: 12,
            org_id: 1,
            service_name: "Internet".into(),
            site_id: 3,
            impact: Impact::Outage,
        }];
        let who = CalendarFor {
            provider: "portal.example.net",
            organization_id: 1,
            organizer: None,
        };
        let text = calendar(&who, &[row()], &services);
        assert!(text.lines().all(|l| l.len() <= 76), "{text}");
        assert!(text.contains("\r\n "), "a long line is folded: {text}");
        assert!(
            text.contains("X-MAINTNOTE-MAINTENANCE-ID:CHG-7\\; core\\, AMS"),
            "{text}"
        );
        assert!(
            text.contains("X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-IMPACT=OUTAGE:SVC-000012"),
            "{text}"
        );
        assert!(
            text.contains("UID:MNT-000007.ORG-000001@portal.example.net"),
            "{text}"
        );
        assert!(text.contains("DTSTART:20261220T010000Z"), "{text}");
        assert!(text.contains("SEQUENCE:3"), "{text}");
        assert!(text.contains("X-MAINTNOTE-STATUS:RE-SCHEDULED"), "{text}");
        assert!(text.contains("METHOD:PUBLISH"), "{text}");
    }
}

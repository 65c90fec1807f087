//! Proactive incidents and service health (PRODUCT §8): what the provider's
//! monitoring says about a service, and what OnePortal does about it.
//!
//! An *alert* is one alert key (Alertmanager's fingerprint, PagerDuty's
//! `dedup_key`) with its current state. Each notification about it is an
//! [`AlertAction`]; [`on_trigger`] and [`on_resolve`] decide, from what is
//! already known, whether that opens a case, says something on one, or only
//! updates the record. A service's [`ServiceHealth`] follows from its open
//! alerts and any maintenance in progress ([`ServiceHealth::derive`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::case::{CasePriority, CaseSubject};
use crate::user::text_enum;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AlertState {
    /// Monitoring sees the problem.
    Firing,
    /// Someone at the provider took it (PagerDuty `acknowledge`); still a problem.
    Acknowledged,
    /// Monitoring reports recovery.
    Resolved,
}
text_enum!(AlertState {
    Firing,
    Acknowledged,
    Resolved
});

impl AlertState {
    /// Whether the alert still counts against its service's health.
    pub const fn is_open(self) -> bool {
        matches!(self, AlertState::Firing | AlertState::Acknowledged)
    }
}

/// What an alert says is wrong with a service; it decides the case's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AlertKind {
    /// The service does not work (`ServiceDown`).
    Down,
    /// It works, worse than it should (`ServiceDegradation`).
    Degraded,
    /// It comes and goes (`ServiceIntermittent`).
    Intermittent,
}
text_enum!(AlertKind {
    Down,
    Degraded,
    Intermittent
});

impl AlertKind {
    /// The subject of the case an alert of this kind opens.
    pub const fn subject(self) -> CaseSubject {
        match self {
            AlertKind::Down => CaseSubject::ServiceDown,
            AlertKind::Degraded => CaseSubject::ServiceDegradation,
            AlertKind::Intermittent => CaseSubject::ServiceIntermittent,
        }
    }

    /// The kind an alert's label (or PagerDuty `class`) names, in the words
    /// monitoring rules commonly use; `None` for anything else.
    pub fn from_label(value: &str) -> Option<AlertKind> {
        match value.trim().to_ascii_lowercase().as_str() {
            "down" | "outage" | "unreachable" | "servicedown" => Some(AlertKind::Down),
            "degraded" | "degradation" | "slow" | "servicedegradation" => Some(AlertKind::Degraded),
            "intermittent" | "flapping" | "flap" | "serviceintermittent" => {
                Some(AlertKind::Intermittent)
            }
            _ => None,
        }
    }

    /// When the alert names no kind: a critical alert means down, anything
    /// else a degradation.
    pub fn from_severity(severity: &str) -> AlertKind {
        if severity.eq_ignore_ascii_case("critical") {
            AlertKind::Down
        } else {
            AlertKind::Degraded
        }
    }
}

/// One notification's verb (PagerDuty's `event_action`; Alertmanager's
/// `firing` is a trigger and `resolved` a resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertAction {
    Trigger,
    Acknowledge,
    Resolve,
}

/// How a service is doing now, as customers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum ServiceHealth {
    /// No open alert and no maintenance in progress.
    Operational,
    /// An open alert says it works worse than it should, or intermittently.
    Degraded,
    /// An open alert says it does not work.
    Down,
    /// Planned maintenance on it is in progress; alerts meanwhile are expected.
    Maintenance,
}
text_enum!(ServiceHealth {
    Operational,
    Degraded,
    Down,
    Maintenance
});

impl ServiceHealth {
    /// Maintenance in progress explains whatever the alerts say; otherwise the
    /// worst open alert decides.
    pub fn derive(in_maintenance: bool, open: impl IntoIterator<Item = AlertKind>) -> Self {
        if in_maintenance {
            return ServiceHealth::Maintenance;
        }
        open.into_iter()
            .map(|kind| match kind {
                AlertKind::Down => ServiceHealth::Down,
                AlertKind::Degraded | AlertKind::Intermittent => ServiceHealth::Degraded,
            })
            .max()
            .unwrap_or(ServiceHealth::Operational)
    }
}

/// The priority of a proactive case: the operator's map from severity, else P3.
pub fn priority_for(severity: &str, map: &[(String, CasePriority)]) -> CasePriority {
    map.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(severity.trim()))
        .map_or(CasePriority::P3, |(_, priority)| *priority)
}

/// What is known of an alert key when a notification about it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub state: AlertState,
    /// The case this key last opened, if any: when it was opened and whether it is still open.
    pub case: Option<LinkedCase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedCase {
    pub opened_at: i64,
    pub open: bool,
}

/// Where a firing alert lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The alert names no service OnePortal knows: recorded and shown to staff.
    Unmatched,
    /// The service is in a maintenance in progress that lists it: recorded against it.
    InMaintenance,
    /// Already firing: a repeat, which only moves `last seen`.
    Repeat,
    /// Firing again while its case is still open: the case already tells the customer.
    ToOpenCase,
    /// Firing again within the flap window of the case it opened: no new case.
    Flapping,
    /// Open a proactive incident case.
    OpenCase,
}

/// Decides what a `trigger` does. `flap_window_ms` is how long after a case was
/// opened the same key may not open another.
pub fn on_trigger(
    known: Option<Known>,
    matched: bool,
    in_maintenance: bool,
    now: i64,
    flap_window_ms: i64,
) -> Trigger {
    if !matched {
        return Trigger::Unmatched;
    }
    if in_maintenance {
        return Trigger::InMaintenance;
    }
    let Some(known) = known else {
        return Trigger::OpenCase;
    };
    if known.state.is_open() && known.case.is_some_and(|case| case.open) {
        return Trigger::Repeat;
    }
    match known.case {
        Some(case) if case.open => Trigger::ToOpenCase,
        Some(case) if now - case.opened_at < flap_window_ms => Trigger::Flapping,
        // Firing without a case (it fired in maintenance, or unmatched before the
        // service existed) opens one now, as does a recurrence after the window.
        _ => Trigger::OpenCase,
    }
}

/// What a `resolve` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// Nothing was open: a repeat, or a resolve for an alert never seen.
    Nothing,
    /// The alert closes; its case (still open) gets the recovery message.
    RecoveryOnCase,
    /// The alert closes; there is no open case to tell.
    Recorded,
}

pub fn on_resolve(known: Option<Known>) -> Resolve {
    match known {
        Some(known) if known.state.is_open() => {
            if known.case.is_some_and(|case| case.open) {
                Resolve::RecoveryOnCase
            } else {
                Resolve::Recorded
            }
        }
        _ => Resolve::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: i64 = 30 * 60_000;

    fn known(state: AlertState, case: Option<(i64, bool)>) -> Option<Known> {
        Some(Known {
            state,
            case: case.map(|(opened_at, open)| LinkedCase { opened_at, open }),
        })
    }

    #[test]
    fn a_first_alert_opens_a_case_unless_unmatched_or_in_maintenance() {
        assert_eq!(on_trigger(None, true, false, 0, WINDOW), Trigger::OpenCase);
        assert_eq!(
            on_trigger(None, false, false, 0, WINDOW),
            Trigger::Unmatched
        );
        assert_eq!(on_trigger(None, false, true, 0, WINDOW), Trigger::Unmatched);
        assert_eq!(
            on_trigger(None, true, true, 0, WINDOW),
            Trigger::InMaintenance
        );
    }

    #[test]
    fn repeats_and_refires_on_an_open_case_open_nothing() {
        use AlertState::*;
        for state in [Firing, Acknowledged] {
            assert_eq!(
                on_trigger(known(state, Some((0, true))), true, false, 10, WINDOW),
                Trigger::Repeat
            );
        }
        // Recovered, then firing again while the customer's case is still open.
        assert_eq!(
            on_trigger(
                known(Resolved, Some((0, true))),
                true,
                false,
                WINDOW * 10,
                WINDOW
            ),
            Trigger::ToOpenCase
        );
    }

    #[test]
    fn a_closed_case_blocks_a_new_one_only_within_the_flap_window() {
        let closed = |opened_at| known(AlertState::Resolved, Some((opened_at, false)));
        assert_eq!(
            on_trigger(closed(0), true, false, WINDOW - 1, WINDOW),
            Trigger::Flapping
        );
        assert_eq!(
            on_trigger(closed(0), true, false, WINDOW, WINDOW),
            Trigger::OpenCase
        );
        // Firing without any case yet (it fired during maintenance) opens one.
        assert_eq!(
            on_trigger(known(AlertState::Firing, None), true, false, 5, WINDOW),
            Trigger::OpenCase
        );
    }

    #[test]
    fn a_resolve_tells_an_open_case_once() {
        use AlertState::*;
        assert_eq!(on_resolve(None), Resolve::Nothing);
        assert_eq!(
            on_resolve(known(Resolved, Some((0, true)))),
            Resolve::Nothing
        );
        for state in [Firing, Acknowledged] {
            assert_eq!(
                on_resolve(known(state, Some((0, true)))),
                Resolve::RecoveryOnCase
            );
            assert_eq!(
                on_resolve(known(state, Some((0, false)))),
                Resolve::Recorded
            );
            assert_eq!(on_resolve(known(state, None)), Resolve::Recorded);
        }
    }

    #[test]
    fn health_is_maintenance_then_the_worst_open_alert() {
        use AlertKind::*;
        assert_eq!(ServiceHealth::derive(false, []), ServiceHealth::Operational);
        assert_eq!(
            ServiceHealth::derive(false, [Intermittent]),
            ServiceHealth::Degraded
        );
        assert_eq!(
            ServiceHealth::derive(false, [Degraded, Down]),
            ServiceHealth::Down
        );
        assert_eq!(
            ServiceHealth::derive(true, [Down]),
            ServiceHealth::Maintenance
        );
    }

    #[test]
    fn kinds_come_from_labels_or_severity_and_name_a_subject() {
        assert_eq!(AlertKind::from_label(" Outage "), Some(AlertKind::Down));
        assert_eq!(
            AlertKind::from_label("flapping"),
            Some(AlertKind::Intermittent)
        );
        assert_eq!(AlertKind::from_label("cpu"), None);
        assert_eq!(AlertKind::from_severity("CRITICAL"), AlertKind::Down);
        assert_eq!(AlertKind::from_severity("warning"), AlertKind::Degraded);
        assert_eq!(AlertKind::Down.subject(), CaseSubject::ServiceDown);
        let map = vec![("critical".to_owned(), CasePriority::P1)];
        assert_eq!(priority_for("Critical", &map), CasePriority::P1);
        assert_eq!(priority_for("unknown", &map), CasePriority::P3);
    }
}

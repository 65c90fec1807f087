//! Support cases: types, the subjects and priorities each type allows, and the
//! status machine (who may move a case from where to where).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::user::text_enum;

/// An incident (service affected) or a general request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CaseType {
    Incident,
    /// Shown as "General Request" in the portal.
    NonIncident,
}
text_enum!(CaseType {
    Incident,
    NonIncident
});

/// What a case is about; each subject belongs to one case type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CaseSubject {
    RfoRequest,
    ServiceDegradation,
    ServiceIntermittent,
    ServiceDown,
    ActivationSupport,
    ChangeRequest,
    EngineerDispatch,
    InformationRequest,
    Other,
    SoftwareUpdate,
    UtilizationReport,
}
text_enum!(CaseSubject {
    RfoRequest,
    ServiceDegradation,
    ServiceIntermittent,
    ServiceDown,
    ActivationSupport,
    ChangeRequest,
    EngineerDispatch,
    InformationRequest,
    Other,
    SoftwareUpdate,
    UtilizationReport
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum CasePriority {
    P1,
    P2,
    P3,
    P4,
    P5,
}
text_enum!(CasePriority { P1, P2, P3, P4, P5 });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CaseStatus {
    Acknowledged,
    InProgress,
    /// Waiting for the customer; the SLA clock is paused.
    Pending,
    /// Waiting for a third party.
    Held,
    Resolved,
    Closed,
    Cancelled,
    Rejected,
}
text_enum!(CaseStatus {
    Acknowledged,
    InProgress,
    Pending,
    Held,
    Resolved,
    Closed,
    Cancelled,
    Rejected
});

/// How a case reached the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CaseOrigin {
    Portal,
    Api,
    Email,
    Phone,
    /// Opened by the provider's network monitoring.
    Monitoring,
}
text_enum!(CaseOrigin {
    Portal,
    Api,
    Email,
    Phone,
    Monitoring
});

/// Who wrote a message on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CommunicationType {
    Customer,
    Provider,
    System,
}
text_enum!(CommunicationType {
    Customer,
    Provider,
    System
});

impl CaseType {
    pub const ALL: [CaseType; 2] = [CaseType::Incident, CaseType::NonIncident];

    pub const fn subjects(self) -> &'static [CaseSubject] {
        use CaseSubject::*;
        match self {
            CaseType::Incident => &[
                RfoRequest,
                ServiceDegradation,
                ServiceIntermittent,
                ServiceDown,
            ],
            CaseType::NonIncident => &[
                ActivationSupport,
                ChangeRequest,
                EngineerDispatch,
                InformationRequest,
                Other,
                SoftwareUpdate,
                UtilizationReport,
            ],
        }
    }

    pub const fn priorities(self) -> &'static [CasePriority] {
        use CasePriority::*;
        match self {
            CaseType::Incident => &[P1, P2, P3, P4, P5],
            CaseType::NonIncident => &[P3, P4, P5],
        }
    }

    /// Checks that the subject and priority belong to this type; the error names the
    /// field and lists what this type allows.
    pub fn check(
        self,
        subject: CaseSubject,
        priority: CasePriority,
    ) -> Result<(), (&'static str, ValidationError)> {
        if !self.subjects().contains(&subject) {
            return Err((
                "subject",
                ValidationError::new(
                    "subject_not_allowed_for_type",
                    format!(
                        "{} is not a subject of {} cases; use one of {}",
                        subject.as_str(),
                        self.as_str(),
                        names(self.subjects().iter().map(|s| s.as_str()))
                    ),
                ),
            ));
        }
        if !self.priorities().contains(&priority) {
            return Err((
                "priority",
                ValidationError::new(
                    "priority_not_allowed_for_type",
                    format!(
                        "{} cases take priority {}, not {}",
                        self.as_str(),
                        names(self.priorities().iter().map(|p| p.as_str())),
                        priority.as_str()
                    ),
                ),
            ));
        }
        Ok(())
    }
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// The customer (portal user or API client), through close, reopen, cancel.
    Customer,
    /// The provider's staff or back office.
    Provider,
    /// OnePortal itself: a customer reply to a Pending case, the automatic close.
    System,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::Acknowledged,
        CaseStatus::InProgress,
        CaseStatus::Pending,
        CaseStatus::Held,
        CaseStatus::Resolved,
        CaseStatus::Closed,
        CaseStatus::Cancelled,
        CaseStatus::Rejected,
    ];

    /// Closed, Cancelled and Rejected are final.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Closed | CaseStatus::Cancelled | CaseStatus::Rejected
        )
    }

    /// Whether the case still waits for the provider or the customer.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Acknowledged
                | CaseStatus::InProgress
                | CaseStatus::Pending
                | CaseStatus::Held
        )
    }

    /// The status machine of PRODUCT §4.
    pub fn may_move(self, to: CaseStatus, by: Mover) -> bool {
        use CaseStatus::*;
        match by {
            Mover::Provider => matches!(
                (self, to),
                (Acknowledged, InProgress)
                    | (InProgress, Pending | Held | Resolved)
                    | (Pending | Held, InProgress)
                    | (Acknowledged, Rejected)
            ),
            Mover::Customer => matches!(
                (self, to),
                (Resolved, Closed | InProgress)
                    | (Acknowledged | InProgress | Pending | Held, Cancelled)
            ),
            // Acknowledged → Resolved: a proactive case nobody touched whose alert
            // recovered, where the operator enabled it (`monitoring.resolve_untouched_on_recovery`).
            Mover::System => matches!(
                (self, to),
                (Pending, InProgress) | (Resolved, Closed) | (Acknowledged, Resolved)
            ),
        }
    }
}

/// What the customer may do to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerAction {
    Close,
    Reopen,
    Cancel,
}

impl CustomerAction {
    pub const fn target(self) -> CaseStatus {
        match self {
            CustomerAction::Close => CaseStatus::Closed,
            CustomerAction::Reopen => CaseStatus::InProgress,
            CustomerAction::Cancel => CaseStatus::Cancelled,
        }
    }

    pub const fn verb(self) -> &'static str {
        match self {
            CustomerAction::Close => "closed",
            CustomerAction::Reopen => "reopened",
            CustomerAction::Cancel => "cancelled",
        }
    }

    /// Which statuses allow this action, for the message of a 409.
    pub const fn allowed_from(self) -> &'static str {
        match self {
            CustomerAction::Close | CustomerAction::Reopen => "Resolved",
            CustomerAction::Cancel => "Acknowledged, InProgress, Pending or Held",
        }
    }
}

/// How much of an incident was user-visible impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RfoImpact {
    Down,
    Degraded,
    Intermittent,
}
text_enum!(RfoImpact {
    Down,
    Degraded,
    Intermittent
});

/// A reason for outage is published first as Preliminary, then Final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RfoStatus {
    Preliminary,
    Final,
}
text_enum!(RfoStatus { Preliminary, Final });

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    /// Every pair of statuses for every mover, against the table in PRODUCT §4.
    #[test]
    fn status_machine_allows_exactly_the_specified_moves() {
        let allowed: &[(CaseStatus, CaseStatus, Mover)] = &[
            (Acknowledged, InProgress, Mover::Provider),
            (InProgress, Pending, Mover::Provider),
            (InProgress, Held, Mover::Provider),
            (Pending, InProgress, Mover::Provider),
            (Held, InProgress, Mover::Provider),
            (InProgress, Resolved, Mover::Provider),
            (Acknowledged, Rejected, Mover::Provider),
            (Resolved, Closed, Mover::Customer),
            (Resolved, InProgress, Mover::Customer),
            (Acknowledged, Cancelled, Mover::Customer),
            (InProgress, Cancelled, Mover::Customer),
            (Pending, Cancelled, Mover::Customer),
            (Held, Cancelled, Mover::Customer),
            (Pending, InProgress, Mover::System),
            (Resolved, Closed, Mover::System),
            (Acknowledged, Resolved, Mover::System),
        ];
        for from in CaseStatus::ALL {
            for to in CaseStatus::ALL {
                for by in [Mover::Customer, Mover::Provider, Mover::System] {
                    assert_eq!(
                        from.may_move(to, by),
                        allowed.contains(&(from, to, by)),
                        "{from:?} -> {to:?} by {by:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for from in CaseStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in CaseStatus::ALL {
                for by in [Mover::Customer, Mover::Provider, Mover::System] {
                    assert!(!from.may_move(to, by), "{from:?} -> {to:?}");
                }
            }
        }
    }

    #[test]
    fn subjects_and_priorities_follow_the_help_article() {
        assert!(
            CaseType::Incident
                .check(CaseSubject::ServiceDown, CasePriority::P1)
                .is_ok()
        );
        assert!(
            CaseType::NonIncident
                .check(CaseSubject::ChangeRequest, CasePriority::P3)
                .is_ok()
        );
        let (field, error) = CaseType::NonIncident
            .check(CaseSubject::ChangeRequest, CasePriority::P1)
            .unwrap_err();
        assert_eq!(field, "priority");
        assert!(error.message.contains("P3, P4, P5"), "{}", error.message);
        let (field, error) = CaseType::Incident
            .check(CaseSubject::Other, CasePriority::P2)
            .unwrap_err();
        assert_eq!(field, "subject");
        assert!(error.message.contains("RfoRequest"), "{}", error.message);
        let every_subject: usize = CaseType::ALL.iter().map(|t| t.subjects().len()).sum();
        assert_eq!(
            every_subject, 11,
            "each subject belongs to exactly one type"
        );
    }
}

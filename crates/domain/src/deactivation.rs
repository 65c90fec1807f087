//! Deactivation requests (PRODUCT §10), as the provider's help article "How to
//! request a service deactivation" describes them: the customer asks, the
//! provider reviews and states the terms, the customer confirms (a legally
//! binding, irreversible act) or withdraws, and the provider sets the billing
//! end date within five business days of the confirmation.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Weekday};
use utoipa::ToSchema;

use crate::case::Mover;
use crate::catalog::ServiceStatus;
use crate::event::EventType;
use crate::user::text_enum;

/// Where a deactivation request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum DeactivationStatus {
    /// The customer asked; the provider has not looked at it yet.
    Submitted,
    /// The provider is reviewing it and may ask questions through the linked case.
    InReview,
    /// The provider stated the terms (fees, earliest end date); the customer confirms or withdraws.
    PendingConfirmation,
    /// The customer confirmed the terms: binding and irreversible. The provider
    /// sets the billing end date within five business days.
    Confirmed,
    /// The billing end date is set; the service is `PendingDeactivation` until then.
    Scheduled,
    /// The service is deactivated.
    Completed,
    /// The customer withdrew the request before confirming it.
    Withdrawn,
    /// The provider could not take the request (a duplicate, a service already ending).
    Declined,
}
text_enum!(DeactivationStatus {
    Submitted,
    InReview,
    PendingConfirmation,
    Confirmed,
    Scheduled,
    Completed,
    Withdrawn,
    Declined
});

/// Why a move is refused; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl DeactivationStatus {
    pub const ALL: [DeactivationStatus; 8] = [
        DeactivationStatus::Submitted,
        DeactivationStatus::InReview,
        DeactivationStatus::PendingConfirmation,
        DeactivationStatus::Confirmed,
        DeactivationStatus::Scheduled,
        DeactivationStatus::Completed,
        DeactivationStatus::Withdrawn,
        DeactivationStatus::Declined,
    ];

    /// Completed, withdrawn and declined requests are history.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DeactivationStatus::Completed
                | DeactivationStatus::Withdrawn
                | DeactivationStatus::Declined
        )
    }

    /// Whether the customer may still withdraw: until they confirm.
    pub const fn may_withdraw(self) -> bool {
        matches!(
            self,
            DeactivationStatus::Submitted
                | DeactivationStatus::InReview
                | DeactivationStatus::PendingConfirmation
        )
    }

    /// The status machine: who may make which move.
    ///
    /// - The provider reviews (`Submitted → InReview`), states the terms
    ///   (`Submitted | InReview → PendingConfirmation`), takes them back to
    ///   revise them (`PendingConfirmation → InReview`), declines before terms
    ///   are confirmed, sets the billing end date (`Confirmed → Scheduled`) and
    ///   records the deactivation (`Scheduled → Completed`).
    /// - The customer confirms the terms or withdraws before confirming.
    /// - OnePortal itself moves nothing: every step is a person's act.
    pub fn may_move(self, to: DeactivationStatus, by: Mover) -> bool {
        use DeactivationStatus::*;
        match by {
            Mover::Provider => matches!(
                (self, to),
                (Submitted, InReview)
                    | (Submitted | InReview, PendingConfirmation)
                    | (PendingConfirmation, InReview)
                    | (Submitted | InReview | PendingConfirmation, Declined)
                    | (Confirmed, Scheduled)
                    | (Scheduled, Completed)
            ),
            Mover::Customer => matches!(
                (self, to),
                (PendingConfirmation, Confirmed)
                    | (Submitted | InReview | PendingConfirmation, Withdrawn)
            ),
            Mover::System => false,
        }
    }

    /// The event that tells of a request reaching this status.
    pub const fn event(self) -> EventType {
        match self {
            DeactivationStatus::Submitted => EventType::DeactivationSubmitted,
            DeactivationStatus::InReview => EventType::DeactivationInReview,
            DeactivationStatus::PendingConfirmation => EventType::DeactivationPendingConfirmation,
            DeactivationStatus::Confirmed => EventType::DeactivationConfirmed,
            DeactivationStatus::Scheduled => EventType::DeactivationScheduled,
            DeactivationStatus::Completed => EventType::DeactivationCompleted,
            DeactivationStatus::Withdrawn => EventType::DeactivationWithdrawn,
            DeactivationStatus::Declined => EventType::DeactivationDeclined,
        }
    }

    /// The statuses `by` may move a request in this status to.
    pub fn moves_for(self, by: Mover) -> Vec<DeactivationStatus> {
        DeactivationStatus::ALL
            .into_iter()
            .filter(|to| self.may_move(*to, by))
            .collect()
    }

    /// `may_move` with a message that names the allowed moves.
    pub fn check_move(self, to: DeactivationStatus, by: Mover) -> Result<(), Refused> {
        if self.may_move(to, by) {
            return Ok(());
        }
        let who = match by {
            Mover::Customer => "you",
            Mover::Provider => "the provider",
            Mover::System => "OnePortal",
        };
        let allowed = self.moves_for(by);
        Err(Refused(if allowed.is_empty() {
            format!("the request is {self}; {who} cannot move it to {to} or anywhere else")
        } else {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            format!(
                "the request is {self}; {who} may move it to {}, not to {to}",
                names.join(" or ")
            )
        }))
    }
}

/// Whether a service in this status may be asked to end: a delivered one.
pub const fn may_deactivate(status: ServiceStatus) -> bool {
    matches!(status, ServiceStatus::RFS | ServiceStatus::Suspended)
}

/// How many business days the provider has to set the billing end date after
/// the customer confirms (the help article's promise).
pub const BILLING_END_DATE_BUSINESS_DAYS: u32 = 5;

/// The day `days` business days (Monday to Friday) after `from`; a confirmation
/// on a Saturday counts from the next Monday like one on Friday evening would.
/// Public holidays differ by country and are not counted.
pub fn add_business_days(from: Date, days: u32) -> Date {
    let mut day = from;
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    day
}

/// The day by which the billing end date is owed for a request confirmed on `confirmed_on`.
pub fn billing_end_date_due(confirmed_on: Date) -> Date {
    add_business_days(confirmed_on, BILLING_END_DATE_BUSINESS_DAYS)
}

/// Whether a confirmed request still without a billing end date is late on `today`.
pub fn is_overdue(due: Date, today: Date) -> bool {
    today > due
}

/// The most characters of a request's reason and of the provider's notes.
pub const MAX_TEXT_CHARS: usize = 2000;

#[cfg(test)]
mod tests {
    use super::DeactivationStatus::*;
    use super::*;
    use time::macros::date;

    const MOVERS: [Mover; 3] = [Mover::Customer, Mover::Provider, Mover::System];

    /// Every move the help article describes, and nothing else.
    #[test]
    fn every_allowed_and_every_forbidden_move_for_each_actor() {
        let allowed = [
            (Submitted, InReview, Mover::Provider),
            (Submitted, PendingConfirmation, Mover::Provider),
            (InReview, PendingConfirmation, Mover::Provider),
            (PendingConfirmation, InReview, Mover::Provider),
            (Submitted, Declined, Mover::Provider),
            (InReview, Declined, Mover::Provider),
            (PendingConfirmation, Declined, Mover::Provider),
            (Confirmed, Scheduled, Mover::Provider),
            (Scheduled, Completed, Mover::Provider),
            (PendingConfirmation, Confirmed, Mover::Customer),
            (Submitted, Withdrawn, Mover::Customer),
            (InReview, Withdrawn, Mover::Customer),
            (PendingConfirmation, Withdrawn, Mover::Customer),
        ];
        for from in DeactivationStatus::ALL {
            for to in DeactivationStatus::ALL {
                for by in MOVERS {
                    assert_eq!(
                        from.may_move(to, by),
                        allowed.contains(&(from, to, by)),
                        "{from:?} -> {to:?} by {by:?}"
                    );
                    assert_eq!(from.check_move(to, by).is_ok(), from.may_move(to, by));
                }
            }
        }
    }

    #[test]
    fn a_confirmed_request_cannot_be_withdrawn_and_final_ones_never_move() {
        for status in [Confirmed, Scheduled, Completed, Withdrawn, Declined] {
            assert!(!status.may_withdraw(), "{status}");
        }
        for from in DeactivationStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in DeactivationStatus::ALL {
                for by in MOVERS {
                    assert!(!from.may_move(to, by), "{from:?} -> {to:?}");
                }
            }
        }
        let refused = Confirmed
            .check_move(Withdrawn, Mover::Customer)
            .unwrap_err();
        assert!(refused.0.contains("Confirmed"), "{}", refused.0);
        let refused = Submitted
            .check_move(Confirmed, Mover::Customer)
            .unwrap_err();
        assert!(refused.0.contains("Withdrawn"), "{}", refused.0);
    }

    #[test]
    fn five_business_days_skip_weekends() {
        // Monday → the next Monday.
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 07)),
            date!(2026 - 12 - 14)
        );
        // Wednesday → the next Wednesday.
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 09)),
            date!(2026 - 12 - 16)
        );
        // Friday → the next Friday.
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 11)),
            date!(2026 - 12 - 18)
        );
        // Saturday and Sunday → the next Friday, as if confirmed on Friday evening.
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 12)),
            date!(2026 - 12 - 18)
        );
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 13)),
            date!(2026 - 12 - 18)
        );
        // Across a month and a year.
        assert_eq!(
            billing_end_date_due(date!(2026 - 12 - 28)),
            date!(2027 - 01 - 04)
        );
        assert!(!is_overdue(date!(2026 - 12 - 14), date!(2026 - 12 - 14)));
        assert!(is_overdue(date!(2026 - 12 - 14), date!(2026 - 12 - 15)));
    }
}

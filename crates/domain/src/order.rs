//! Orders in delivery (PRODUCT §10): an order has lines, one per service to
//! deliver, and each line passes the same milestones, from the order's receipt
//! to ready for service. The provider records each milestone as it is reached
//! and moves a milestone's planned date with a reason when it slips; a line
//! that reaches ready for service makes its service `RFS`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::case::Mover;
use crate::user::text_enum;

/// A step of a line's delivery, in the order they happen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum Milestone {
    OrderReceived,
    SiteSurvey,
    SupplierOrdered,
    InstallationScheduled,
    Installed,
    Tested,
    ReadyForService,
}
text_enum!(Milestone {
    OrderReceived,
    SiteSurvey,
    SupplierOrdered,
    InstallationScheduled,
    Installed,
    Tested,
    ReadyForService
});

impl Milestone {
    pub const ALL: [Milestone; 7] = [
        Milestone::OrderReceived,
        Milestone::SiteSurvey,
        Milestone::SupplierOrdered,
        Milestone::InstallationScheduled,
        Milestone::Installed,
        Milestone::Tested,
        Milestone::ReadyForService,
    ];

    /// How people read it.
    pub const fn label(self) -> &'static str {
        match self {
            Milestone::OrderReceived => "Order received",
            Milestone::SiteSurvey => "Site survey",
            Milestone::SupplierOrdered => "Supplier ordered",
            Milestone::InstallationScheduled => "Installation scheduled",
            Milestone::Installed => "Installed",
            Milestone::Tested => "Tested",
            Milestone::ReadyForService => "Ready for service",
        }
    }

    pub const fn position(self) -> usize {
        self as usize
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum OrderStatus {
    /// At least one line is not ready for service yet.
    InDelivery,
    /// Every line is ready for service.
    Delivered,
    /// The provider cancelled the order (with the customer's agreement).
    Cancelled,
}
text_enum!(OrderStatus {
    InDelivery,
    Delivered,
    Cancelled
});

/// Why a change is refused; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl OrderStatus {
    pub const ALL: [OrderStatus; 3] = [
        OrderStatus::InDelivery,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// Who may move an order where: the provider cancels an order in delivery;
    /// OnePortal marks it delivered when its last line is ready for service.
    /// The customer moves nothing: an order is the provider's work.
    pub fn may_move(self, to: OrderStatus, by: Mover) -> bool {
        use OrderStatus::*;
        match by {
            Mover::Provider => matches!((self, to), (InDelivery, Cancelled)),
            Mover::System => matches!((self, to), (InDelivery, Delivered)),
            Mover::Customer => false,
        }
    }
}

/// A line's milestones as far as they go: which are reached.
pub trait Reached {
    fn is_reached(&self, milestone: Milestone) -> bool;
}

impl<F: Fn(Milestone) -> bool> Reached for F {
    fn is_reached(&self, milestone: Milestone) -> bool {
        self(milestone)
    }
}

/// Whether `by` may record `milestone` as reached on a line of an order in
/// `status` whose milestones stand as `reached` says: only the provider, only
/// on an order in delivery, each once, and in order (every earlier milestone
/// reached first).
pub fn check_reach(
    status: OrderStatus,
    reached: &impl Reached,
    milestone: Milestone,
    by: Mover,
) -> Result<(), Refused> {
    if by != Mover::Provider {
        return Err(Refused(
            "milestones are the provider's to record".to_owned(),
        ));
    }
    if status != OrderStatus::InDelivery {
        return Err(Refused(format!(
            "the order is {status}: its milestones no longer change"
        )));
    }
    if reached.is_reached(milestone) {
        return Err(Refused(format!(
            "{} was already reached",
            milestone.label()
        )));
    }
    if let Some(missing) = Milestone::ALL[..milestone.position()]
        .iter()
        .find(|m| !reached.is_reached(**m))
    {
        return Err(Refused(format!(
            "{} comes first: milestones are reached in order",
            missing.label()
        )));
    }
    Ok(())
}

/// Whether `by` may move the planned date of `milestone` (a delay): the provider,
/// on an order in delivery, for a milestone not reached yet.
pub fn check_delay(
    status: OrderStatus,
    reached: &impl Reached,
    milestone: Milestone,
    by: Mover,
) -> Result<(), Refused> {
    if by != Mover::Provider {
        return Err(Refused(
            "planned dates are the provider's to move".to_owned(),
        ));
    }
    if status != OrderStatus::InDelivery {
        return Err(Refused(format!(
            "the order is {status}: its milestones no longer change"
        )));
    }
    if reached.is_reached(milestone) {
        return Err(Refused(format!(
            "{} was already reached; only what is still to come can be delayed",
            milestone.label()
        )));
    }
    Ok(())
}

/// A milestone not reached whose planned day has passed is late.
pub fn is_late(planned: Option<time::Date>, reached: bool, today: time::Date) -> bool {
    !reached && planned.is_some_and(|day| day < today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const MOVERS: [Mover; 3] = [Mover::Customer, Mover::Provider, Mover::System];

    #[test]
    fn every_order_move_for_each_actor() {
        use OrderStatus::*;
        let allowed = [
            (InDelivery, Cancelled, Mover::Provider),
            (InDelivery, Delivered, Mover::System),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                for by in MOVERS {
                    assert_eq!(
                        from.may_move(to, by),
                        allowed.contains(&(from, to, by)),
                        "{from:?} -> {to:?} by {by:?}"
                    );
                }
            }
        }
    }

    /// Every milestone, for every state of a line that reached the first `n`, by each actor.
    #[test]
    fn milestones_are_reached_in_order_once_by_the_provider_only() {
        for n in 0..=Milestone::ALL.len() {
            let reached = |m: Milestone| m.position() < n;
            for milestone in Milestone::ALL {
                for by in MOVERS {
                    for status in OrderStatus::ALL {
                        let expected = by == Mover::Provider
                            && status == OrderStatus::InDelivery
                            && milestone.position() == n;
                        assert_eq!(
                            check_reach(status, &reached, milestone, by).is_ok(),
                            expected,
                            "{milestone:?} after {n} reached, by {by:?}, order {status:?}"
                        );
                        let delay = by == Mover::Provider
                            && status == OrderStatus::InDelivery
                            && milestone.position() >= n;
                        assert_eq!(
                            check_delay(status, &reached, milestone, by).is_ok(),
                            delay,
                            "delay {milestone:?} after {n} reached, by {by:?}, order {status:?}"
                        );
                    }
                }
            }
        }
        let refused = check_reach(
            OrderStatus::InDelivery,
            &|m: Milestone| m == Milestone::OrderReceived,
            Milestone::Installed,
            Mover::Provider,
        )
        .unwrap_err();
        assert!(
            refused.0.contains("Site survey comes first"),
            "{}",
            refused.0
        );
    }

    #[test]
    fn a_milestone_is_late_when_its_planned_day_passed_unreached() {
        let today = date!(2026 - 12 - 07);
        assert!(is_late(Some(date!(2026 - 12 - 06)), false, today));
        assert!(!is_late(Some(date!(2026 - 12 - 07)), false, today));
        assert!(!is_late(Some(date!(2026 - 12 - 06)), true, today));
        assert!(!is_late(None, false, today));
    }
}

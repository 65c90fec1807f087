//! Planned maintenance (PRODUCT §8) in the words of the NANOG BCOP for
//! maintenance notifications, which circuit-maintenance tooling parses: a
//! window, a status (`TENTATIVE` … `COMPLETED`) and, per affected service, an
//! impact (`NO-IMPACT` … `OUTAGE`). The values are the BCOP's own tokens in the
//! API too, so a notice reads the same in JSON and in iCalendar.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::user::text_enum;

/// Where a maintenance stands (BCOP `X-MAINTNOTE-STATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum MaintenanceStatus {
    /// Announced, the window not yet confirmed.
    #[serde(rename = "TENTATIVE")]
    Tentative,
    /// The window is confirmed.
    #[serde(rename = "CONFIRMED")]
    Confirmed,
    /// It will not take place.
    #[serde(rename = "CANCELLED")]
    Cancelled,
    /// The work has started.
    #[serde(rename = "IN-PROCESS")]
    InProcess,
    /// The work is done.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// The window moved after it was confirmed.
    #[serde(rename = "RE-SCHEDULED")]
    Rescheduled,
}
text_enum!(MaintenanceStatus {
    Tentative = "TENTATIVE",
    Confirmed = "CONFIRMED",
    Cancelled = "CANCELLED",
    InProcess = "IN-PROCESS",
    Completed = "COMPLETED",
    Rescheduled = "RE-SCHEDULED"
});

/// Why a change to a maintenance is refused; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl MaintenanceStatus {
    /// Cancelled and completed maintenance is history: nothing changes it.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            MaintenanceStatus::Cancelled | MaintenanceStatus::Completed
        )
    }

    /// Statuses an announcement may start in.
    pub const fn may_announce(self) -> bool {
        matches!(
            self,
            MaintenanceStatus::Tentative | MaintenanceStatus::Confirmed
        )
    }

    /// The moves staff make: confirm, start, complete, cancel. Moving to the
    /// current status changes nothing and is allowed; `RE-SCHEDULED` is reached
    /// by moving the window (see [`MaintenanceStatus::after_window_change`]).
    pub fn check_move(self, to: MaintenanceStatus) -> Result<(), Refused> {
        use MaintenanceStatus::*;
        if self == to {
            return Ok(());
        }
        let allowed: &[MaintenanceStatus] = match self {
            Tentative | Rescheduled => &[Confirmed, InProcess, Cancelled],
            Confirmed => &[InProcess, Cancelled],
            InProcess => &[Completed],
            Cancelled | Completed => &[],
        };
        if allowed.contains(&to) {
            return Ok(());
        }
        let reason = if allowed.is_empty() {
            format!("a {self} maintenance is final and cannot move to {to}")
        } else {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            format!(
                "a {self} maintenance can move to {}, not to {to}{}",
                names.join(", "),
                if to == Rescheduled {
                    " (move its window to reschedule it)"
                } else {
                    ""
                }
            )
        };
        Err(Refused(reason))
    }

    /// The moves that take a maintenance from this status to `to`: none when it
    /// is there already (or `to` is `RE-SCHEDULED`, which a moved window makes),
    /// one, or two for `COMPLETED` (through `IN-PROCESS`); `None` when the
    /// lifecycle has no way there. For a back office that states where a
    /// maintenance stands rather than each step.
    pub fn path_to(self, to: MaintenanceStatus) -> Option<Vec<MaintenanceStatus>> {
        use MaintenanceStatus::*;
        if self == to || (to == Rescheduled && !self.is_final() && self != InProcess) {
            return Some(Vec::new());
        }
        if self.check_move(to).is_ok() {
            return Some(vec![to]);
        }
        if to == Completed && self.check_move(InProcess).is_ok() {
            return Some(vec![InProcess, Completed]);
        }
        None
    }

    /// The status after the window moves: a confirmed window that moves is
    /// `RE-SCHEDULED`; a tentative one stays tentative; work in process may only
    /// run longer (its end moves, its start does not).
    pub fn after_window_change(
        self,
        start_moved: bool,
        end_moved: bool,
    ) -> Result<MaintenanceStatus, Refused> {
        use MaintenanceStatus::*;
        if !start_moved && !end_moved {
            return Ok(self);
        }
        match self {
            Tentative => Ok(Tentative),
            Confirmed | Rescheduled => Ok(Rescheduled),
            InProcess if !start_moved => Ok(InProcess),
            InProcess => Err(Refused(
                "the work has started: its start cannot move, only its end".into(),
            )),
            Cancelled | Completed => Err(Refused(format!(
                "a {self} maintenance is final and cannot be changed"
            ))),
        }
    }
}

/// How an affected service is touched during the window (BCOP `X-MAINTNOTE-IMPACT`),
/// from least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum Impact {
    /// No effect on the service is expected.
    #[serde(rename = "NO-IMPACT")]
    NoImpact,
    /// The service runs without its redundancy.
    #[serde(rename = "REDUCED-REDUNDANCY")]
    ReducedRedundancy,
    /// The service runs with reduced performance.
    #[serde(rename = "DEGRADED")]
    Degraded,
    /// The service is down.
    #[serde(rename = "OUTAGE")]
    Outage,
}
text_enum!(Impact {
    NoImpact = "NO-IMPACT",
    ReducedRedundancy = "REDUCED-REDUNDANCY",
    Degraded = "DEGRADED",
    Outage = "OUTAGE"
});

/// Notice of less than 14 days is short notice (the BCOP's and most providers'
/// contracts' threshold), flagged on every view.
pub const SHORT_NOTICE_MS: i64 = 14 * 86_400_000;

/// The longest window one maintenance may have: 31 days.
pub const MAX_WINDOW_MS: i64 = 31 * 86_400_000;

/// Whether a window starting at `starts_at` was announced at `notice_given_at`
/// with less than the notice customers are owed (both Unix ms).
pub const fn is_short_notice(notice_given_at: i64, starts_at: i64) -> bool {
    starts_at - notice_given_at < SHORT_NOTICE_MS
}

/// Checks a window (Unix ms): it ends after it starts and lasts at most 31 days.
pub fn check_window(starts_at: i64, ends_at: i64) -> Result<(), Refused> {
    if ends_at <= starts_at {
        return Err(Refused("the window's end is not after its start".into()));
    }
    if ends_at - starts_at > MAX_WINDOW_MS {
        return Err(Refused(
            "the window is longer than 31 days: announce separate maintenances".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MaintenanceStatus::*;
    use super::*;

    #[test]
    fn names_are_the_bcop_tokens_in_text_and_json() {
        for &name in MaintenanceStatus::NAMES {
            let status = MaintenanceStatus::parse(name).unwrap();
            assert_eq!(status.as_str(), name);
            assert_eq!(serde_json::to_value(status).unwrap(), name);
        }
        for &name in Impact::NAMES {
            let impact = Impact::parse(name).unwrap();
            assert_eq!(serde_json::to_value(impact).unwrap(), name);
        }
        assert_eq!(InProcess.as_str(), "IN-PROCESS");
        assert_eq!(MaintenanceStatus::parse("InProcess"), None);
        assert!(Impact::Outage > Impact::Degraded && Impact::ReducedRedundancy > Impact::NoImpact);
    }

    #[test]
    fn staff_moves_follow_the_lifecycle_and_final_is_final() {
        let all = [
            Tentative,
            Confirmed,
            Cancelled,
            InProcess,
            Completed,
            Rescheduled,
        ];
        let allowed = [
            (Tentative, Confirmed),
            (Tentative, InProcess),
            (Tentative, Cancelled),
            (Rescheduled, Confirmed),
            (Rescheduled, InProcess),
            (Rescheduled, Cancelled),
            (Confirmed, InProcess),
            (Confirmed, Cancelled),
            (InProcess, Completed),
        ];
        for from in all {
            for to in all {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(
                    from.check_move(to).is_ok(),
                    expected,
                    "{from} → {to} should be {}",
                    if expected { "allowed" } else { "refused" }
                );
            }
        }
        let refused = Confirmed.check_move(Rescheduled).unwrap_err();
        assert!(refused.0.contains("move its window"), "{refused:?}");
        assert!(
            Completed
                .check_move(InProcess)
                .unwrap_err()
                .0
                .contains("final")
        );
    }

    #[test]
    fn a_stated_status_is_reached_through_the_lifecycle_or_not_at_all() {
        assert_eq!(Confirmed.path_to(Confirmed), Some(vec![]));
        assert_eq!(Confirmed.path_to(Rescheduled), Some(vec![]));
        assert_eq!(Tentative.path_to(InProcess), Some(vec![InProcess]));
        assert_eq!(
            Confirmed.path_to(Completed),
            Some(vec![InProcess, Completed])
        );
        assert_eq!(InProcess.path_to(Completed), Some(vec![Completed]));
        assert_eq!(Completed.path_to(Cancelled), None);
        assert_eq!(InProcess.path_to(Confirmed), None);
        assert_eq!(InProcess.path_to(Rescheduled), None);
    }

    #[test]
    fn moving_the_window_reschedules_a_confirmed_maintenance_only() {
        assert_eq!(Confirmed.after_window_change(true, true), Ok(Rescheduled));
        assert_eq!(
            Rescheduled.after_window_change(false, true),
            Ok(Rescheduled)
        );
        assert_eq!(Tentative.after_window_change(true, false), Ok(Tentative));
        assert_eq!(Confirmed.after_window_change(false, false), Ok(Confirmed));
        assert_eq!(InProcess.after_window_change(false, true), Ok(InProcess));
        assert!(InProcess.after_window_change(true, false).is_err());
        assert!(Cancelled.after_window_change(false, true).is_err());
    }

    #[test]
    fn short_notice_is_less_than_fourteen_days_and_windows_are_bounded() {
        let day = 86_400_000;
        assert!(is_short_notice(0, 13 * day));
        assert!(!is_short_notice(0, 14 * day));
        assert!(check_window(0, day).is_ok());
        assert!(check_window(day, day).is_err());
        assert!(check_window(day, 0).is_err());
        assert!(check_window(0, 32 * day).is_err());
    }
}

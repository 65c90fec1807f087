//! Quotes (PRODUCT §10): the provider offers services to an organization, line
//! by line, valid until a day; a person of the customer holding
//! `Orders (Approve)` accepts the exact version they read, which places the
//! order, or declines it with a reason. Every change the provider makes to a
//! quote the customer has seen is a new version, so what was accepted is always
//! what was shown.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::case::Mover;
use crate::order::Refused;
use crate::user::text_enum;

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum QuoteStatus {
    /// Prepared by the provider, not shown to the customer yet.
    Draft,
    /// Shown to the customer, waiting for their answer.
    Sent,
    /// Accepted by the customer: its order is placed.
    Accepted,
    /// Declined by the customer, with a reason.
    Declined,
    /// Not answered before its validity ended.
    Expired,
    /// Taken back by the provider.
    Withdrawn,
}
text_enum!(QuoteStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    Expired,
    Withdrawn
});

impl QuoteStatus {
    pub const ALL: [QuoteStatus; 6] = [
        QuoteStatus::Draft,
        QuoteStatus::Sent,
        QuoteStatus::Accepted,
        QuoteStatus::Declined,
        QuoteStatus::Expired,
        QuoteStatus::Withdrawn,
    ];

    /// Who may move a quote where:
    /// - the provider sends a draft, re-issues an expired quote (as a new
    ///   version, valid again) and withdraws a quote not answered yet;
    /// - the customer accepts or declines a sent quote;
    /// - OnePortal expires a sent quote whose validity ended.
    pub fn may_move(self, to: QuoteStatus, by: Mover) -> bool {
        use QuoteStatus::*;
        match by {
            Mover::Provider => matches!(
                (self, to),
                (Draft, Sent) | (Expired, Sent) | (Draft | Sent | Expired, Withdrawn)
            ),
            Mover::Customer => matches!((self, to), (Sent, Accepted) | (Sent, Declined)),
            Mover::System => matches!((self, to), (Sent, Expired)),
        }
    }

    /// Whether the provider may still change the quote's content: until the
    /// customer answered or the provider withdrew it.
    pub const fn may_revise(self) -> bool {
        matches!(
            self,
            QuoteStatus::Draft | QuoteStatus::Sent | QuoteStatus::Expired
        )
    }

    /// Whether the customer sees the quote: every status but a draft.
    pub const fn is_shown(self) -> bool {
        !matches!(self, QuoteStatus::Draft)
    }

    /// Waiting for the customer's answer.
    pub const fn awaits_customer(self) -> bool {
        matches!(self, QuoteStatus::Sent)
    }
}

/// A quote is valid through its `valid_until` day (UTC) and expired after it.
pub fn is_expired(valid_until: Date, today: Date) -> bool {
    today > valid_until
}

/// Whether the customer may answer (accept or decline) the quote whose current
/// version is `current`, having read version `read`, on `today`. A quote
/// revised since it was read must be read again; an expired one cannot be
/// answered (the provider re-issues it).
pub fn check_answer(
    status: QuoteStatus,
    current: i64,
    read: i64,
    valid_until: Date,
    today: Date,
) -> Result<(), Refused> {
    if !matches!(status, QuoteStatus::Sent | QuoteStatus::Expired) {
        return Err(Refused(format!(
            "the quote is {status}: only a sent quote can be accepted or declined"
        )));
    }
    if status == QuoteStatus::Expired || is_expired(valid_until, today) {
        return Err(Refused(format!(
            "the quote expired after {valid_until}: ask the provider to re-issue it"
        )));
    }
    if read != current {
        return Err(Refused(format!(
            "the quote changed since you read it: version {current} replaces version {read}; read it again before answering"
        )));
    }
    Ok(())
}

/// The longest contract term a line may have, in months (ten years).
pub const MAX_TERM_MONTHS: i64 = 120;
/// The longest lead time a line may promise, in days (two years).
pub const MAX_LEAD_TIME_DAYS: i64 = 730;
/// The most lines one quote may have.
pub const MAX_LINES: usize = 200;

/// Whether the text is an ISO 4217 currency code's shape (`EUR`, `USD`).
pub fn is_currency_code(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const MOVERS: [Mover; 3] = [Mover::Customer, Mover::Provider, Mover::System];

    #[test]
    fn every_quote_move_for_each_actor() {
        use QuoteStatus::*;
        let allowed = [
            (Draft, Sent, Mover::Provider),
            (Expired, Sent, Mover::Provider),
            (Draft, Withdrawn, Mover::Provider),
            (Sent, Withdrawn, Mover::Provider),
            (Expired, Withdrawn, Mover::Provider),
            (Sent, Accepted, Mover::Customer),
            (Sent, Declined, Mover::Customer),
            (Sent, Expired, Mover::System),
        ];
        for from in QuoteStatus::ALL {
            for to in QuoteStatus::ALL {
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

    #[test]
    fn answered_and_withdrawn_quotes_are_final() {
        for status in [
            QuoteStatus::Accepted,
            QuoteStatus::Declined,
            QuoteStatus::Withdrawn,
        ] {
            assert!(!status.may_revise());
            for to in QuoteStatus::ALL {
                for by in MOVERS {
                    assert!(!status.may_move(to, by), "{status:?} -> {to:?}");
                }
            }
        }
        assert!(!QuoteStatus::Draft.is_shown());
        assert!(QuoteStatus::Expired.is_shown());
    }

    #[test]
    fn a_quote_is_answered_in_the_version_read_while_valid() {
        let until = date!(2026 - 12 - 31);
        let today = date!(2026 - 12 - 07);
        assert_eq!(check_answer(QuoteStatus::Sent, 2, 2, until, today), Ok(()));
        // The last valid day still counts; the day after does not.
        assert_eq!(check_answer(QuoteStatus::Sent, 1, 1, until, until), Ok(()));
        let expired = check_answer(QuoteStatus::Sent, 1, 1, until, date!(2027 - 01 - 01));
        assert!(expired.unwrap_err().0.contains("expired after 2026-12-31"));
        let stale = check_answer(QuoteStatus::Sent, 3, 2, until, today).unwrap_err();
        assert!(
            stale.0.contains("version 3 replaces version 2"),
            "{}",
            stale.0
        );
        assert!(
            check_answer(QuoteStatus::Expired, 1, 1, until, today)
                .unwrap_err()
                .0
                .contains("re-issue")
        );
        for status in [
            QuoteStatus::Draft,
            QuoteStatus::Accepted,
            QuoteStatus::Declined,
            QuoteStatus::Withdrawn,
        ] {
            assert!(
                check_answer(status, 1, 1, until, today).is_err(),
                "{status:?}"
            );
        }
    }

    #[test]
    fn currency_codes_are_three_capital_letters() {
        assert!(is_currency_code("EUR"));
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert!(!is_currency_code(bad), "{bad}");
        }
    }
}

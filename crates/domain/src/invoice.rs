//! Invoices and credit notes: their types, statuses and charge types, and the
//! money rules. Amounts are exact decimals with the currency's two decimals
//! (never floats); a line's total is its amount plus its tax; an invoice's
//! totals are the sums of its lines; "overdue" is derived, never stored.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize, Serializer};
use time::Date;
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::user::text_enum;

/// An invoice, or a credit note that gives money back (its amounts are negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum InvoiceType {
    Invoice,
    CreditNote,
}

/// Where an invoice stands with payment. A `Void` invoice was cancelled and is not owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum InvoiceStatus {
    Open,
    PartiallyPaid,
    Paid,
    Void,
}

/// What an invoice line charges for: `Recurring` (a service's periodic fee),
/// `OneTime` (such as installation), `Usage` (metered, such as 4G backup data,
/// usually for the month before), `Credit` (money given back, such as an SLA credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ChargeType {
    Recurring,
    OneTime,
    Usage,
    Credit,
}

text_enum!(InvoiceType {
    Invoice,
    CreditNote
});
text_enum!(InvoiceStatus {
    Open,
    PartiallyPaid,
    Paid,
    Void
});
text_enum!(ChargeType {
    Recurring,
    OneTime,
    Usage,
    Credit
});

impl InvoiceStatus {
    /// Money is still expected on it.
    pub const fn awaits_payment(self) -> bool {
        matches!(self, InvoiceStatus::Open | InvoiceStatus::PartiallyPaid)
    }
}

/// Overdue on `today` (UTC): still awaiting payment after its due date.
pub fn is_overdue(status: InvoiceStatus, due_date: Date, today: Date) -> bool {
    status.awaits_payment() && due_date < today
}

/// An amount of money in an invoice's currency, exact, shown with two decimals
/// (`"1234.50"`). Every billing currency the provider invoices in has two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds to cents, halves away from zero (commercial rounding).
    pub fn round(value: Decimal) -> Money {
        Money(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// Parses `"1234.5"` or `"-12.30"`. More than two decimals is refused rather
    /// than rounded, so an import never changes an amount silently.
    pub fn parse(text: &str) -> Result<Money, ValidationError> {
        let value = Decimal::from_str(text.trim()).map_err(|_| {
            ValidationError::new(
                "invalid_amount",
                format!("'{text}' is not an amount; write a decimal number such as 1234.50"),
            )
        })?;
        if value.normalize().scale() > 2 {
            return Err(ValidationError::new(
                "invalid_amount",
                format!("'{text}' has more than two decimals; amounts are in cents"),
            ));
        }
        Ok(Money(value))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0;
        value.rescale(2);
        if value.is_zero() {
            // No "-0.00".
            value.set_sign_positive(true);
        }
        write!(f, "{value}")
    }
}

/// Money travels as a decimal string, never as a float.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Decodes the stored text, so a database row holds the typed amount.
impl TryFrom<String> for Money {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Money::parse(&text)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// A quantity as stored and shown: a plain decimal without trailing zeros (`"1"`, `"250.5"`).
pub fn quantity_text(quantity: Decimal) -> String {
    quantity.normalize().to_string()
}

/// A tax rate in percent, with at least two decimals (`"21.00"`, `"8.875"`).
pub fn rate_text(percent: Decimal) -> String {
    let mut rate = percent.normalize();
    if rate.scale() < 2 {
        rate.rescale(2);
    }
    rate.to_string()
}

/// A line's money: the net amount, the tax on it, and their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    pub amount: Money,
    pub tax_amount: Money,
    pub total_amount: Money,
}

impl LineAmounts {
    /// Prices a line: quantity × unit price rounded to cents, then the tax on that
    /// rounded amount, so that the printed figures add up exactly.
    pub fn price(quantity: Decimal, unit_price: Money, tax_rate_percent: Decimal) -> LineAmounts {
        let amount = Money::round(quantity * unit_price.amount());
        let tax_amount = Money::round(amount.amount() * tax_rate_percent / Decimal::ONE_HUNDRED);
        LineAmounts {
            amount,
            tax_amount,
            total_amount: amount + tax_amount,
        }
    }
}

/// An invoice's totals: the sums of its lines' amounts and taxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceTotals {
    pub subtotal: Money,
    pub tax_total: Money,
    pub total: Money,
}

impl InvoiceTotals {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a LineAmounts>) -> InvoiceTotals {
        let (subtotal, tax_total) = lines
            .into_iter()
            .fold((Money::ZERO, Money::ZERO), |(net, tax), line| {
                (net + line.amount, tax + line.tax_amount)
            });
        InvoiceTotals {
            subtotal,
            tax_total,
            total: subtotal + tax_total,
        }
    }

    /// Checks totals stated by a billing system against its lines, naming every
    /// figure that does not add up (for imports, which must not store an invoice
    /// whose PDF would contradict its CSV).
    pub fn check(&self, lines: &[LineAmounts]) -> Result<(), Vec<ValidationError>> {
        let mut errors = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.amount + line.tax_amount != line.total_amount {
                errors.push(ValidationError::new(
                    "line_total_mismatch",
                    format!(
                        "line {}: amount {} plus tax {} is not its total {}",
                        i + 1,
                        line.amount,
                        line.tax_amount,
                        line.total_amount
                    ),
                ));
            }
        }
        let sums = InvoiceTotals::of(lines);
        for (name, stated, summed) in [
            ("subtotal", self.subtotal, sums.subtotal),
            ("taxTotal", self.tax_total, sums.tax_total),
        ] {
            if stated != summed {
                errors.push(ValidationError::new(
                    "total_mismatch",
                    format!("{name} is {stated} but the lines add up to {summed}"),
                ));
            }
        }
        if self.subtotal + self.tax_total != self.total {
            errors.push(ValidationError::new(
                "total_mismatch",
                format!(
                    "total is {} but subtotal {} plus taxTotal {} is {}",
                    self.total,
                    self.subtotal,
                    self.tax_total,
                    self.subtotal + self.tax_total
                ),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn money_shows_two_decimals_and_refuses_fractions_of_cents() {
        assert_eq!(money("1234.5").to_string(), "1234.50");
        assert_eq!(money("-12").to_string(), "-12.00");
        assert_eq!(money("0.10").to_string(), "0.10");
        assert_eq!((money("1.00") - money("1")).to_string(), "0.00");
        assert_eq!((-Money::ZERO).to_string(), "0.00");
        assert_eq!(
            money("2.500").to_string(),
            "2.50",
            "trailing zeros are not cents"
        );
        for bad in ["1.005", "abc", "", "1,50", "NaN"] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_value(money("7.1")).unwrap(),
            serde_json::json!("7.10")
        );
    }

    #[test]
    fn a_line_is_priced_in_cents_and_adds_up() {
        let line = LineAmounts::price(Decimal::new(3, 0), money("33.33"), Decimal::new(21, 0));
        assert_eq!(line.amount, money("99.99"));
        assert_eq!(line.tax_amount, money("21.00"), "20.9979 rounds to 21.00");
        assert_eq!(line.total_amount, money("120.99"));
        let usage = LineAmounts::price(Decimal::new(125, 1), money("0.05"), Decimal::new(25, 0));
        assert_eq!(
            (usage.amount, usage.tax_amount),
            (money("0.63"), money("0.16")),
            "0.625 rounds half away from zero"
        );
    }

    #[test]
    fn totals_are_the_sums_of_the_lines_and_mismatches_are_named() {
        let lines = [
            LineAmounts::price(Decimal::ONE, money("450.00"), Decimal::new(21, 0)),
            LineAmounts::price(Decimal::ONE, money("-50.00"), Decimal::new(21, 0)),
        ];
        let totals = InvoiceTotals::of(&lines);
        assert_eq!(totals.subtotal, money("400.00"));
        assert_eq!(totals.tax_total, money("84.00"));
        assert_eq!(totals.total, money("484.00"));
        assert!(totals.check(&lines).is_ok());
        let wrong = InvoiceTotals {
            total: money("480.00"),
            ..totals
        };
        let errors = wrong.check(&lines).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("total is 480.00"));
        let mut bad_line = lines;
        bad_line[1].total_amount = money("0.00");
        assert_eq!(
            totals.check(&bad_line).unwrap_err()[0].code,
            "line_total_mismatch"
        );
    }

    #[test]
    fn overdue_means_awaiting_payment_after_the_due_date() {
        let due = date!(2026 - 03 - 31);
        assert!(is_overdue(InvoiceStatus::Open, due, date!(2026 - 04 - 01)));
        assert!(is_overdue(
            InvoiceStatus::PartiallyPaid,
            due,
            date!(2026 - 05 - 01)
        ));
        assert!(
            !is_overdue(InvoiceStatus::Open, due, due),
            "due today is not late"
        );
        assert!(!is_overdue(InvoiceStatus::Paid, due, date!(2026 - 05 - 01)));
        assert!(!is_overdue(InvoiceStatus::Void, due, date!(2026 - 05 - 01)));
    }

    #[test]
    fn rates_and_quantities_print_plainly_and_names_decode() {
        assert_eq!(rate_text(Decimal::new(21, 0)), "21.00");
        assert_eq!(rate_text(Decimal::new(8875, 3)), "8.875");
        assert_eq!(quantity_text(Decimal::new(2500, 3)), "2.5");
        assert_eq!(
            InvoiceStatus::try_from("PartiallyPaid".to_owned()),
            Ok(InvoiceStatus::PartiallyPaid)
        );
        assert!(ChargeType::try_from("Monthly".to_owned()).is_err());
        assert_eq!(InvoiceType::NAMES, ["Invoice", "CreditNote"]);
    }
}

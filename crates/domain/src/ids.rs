//! Readable, prefixed identifiers (`USR-000001`, `ORG-000001`) over numeric keys.

/// The kinds of record that carry a prefixed, sequential id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Organization,
    Account,
    User,
    Staff,
    Site,
    Service,
    Case,
    Invoice,
    Communication,
    Attachment,
    WebhookEndpoint,
    WebhookDelivery,
    Maintenance,
    DeactivationRequest,
    Order,
    Quote,
}

impl IdKind {
    pub const fn prefix(self) -> &'static str {
        match self {
            IdKind::Organization => "ORG",
            IdKind::Account => "ACC",
            IdKind::User => "USR",
            IdKind::Staff => "STF",
            IdKind::Site => "SITE",
            IdKind::Service => "SVC",
            IdKind::Case => "CASE",
            IdKind::Invoice => "INV",
            IdKind::Communication => "COM",
            IdKind::Attachment => "ATT",
            IdKind::WebhookEndpoint => "WHE",
            IdKind::WebhookDelivery => "WHD",
            IdKind::Maintenance => "MNT",
            IdKind::DeactivationRequest => "DRQ",
            IdKind::Order => "ORD",
            IdKind::Quote => "QUO",
        }
    }

    /// Cases and invoices are numbered with seven digits, as the provider prints them.
    const fn digits(self) -> usize {
        match self {
            IdKind::Case | IdKind::Invoice => 7,
            _ => 6,
        }
    }

    /// `USR-000042` for 42; numbers past the padding simply grow longer.
    pub fn format(self, number: i64) -> String {
        format!(
            "{}-{:0width$}",
            self.prefix(),
            number,
            width = self.digits()
        )
    }

    /// The number inside `USR-000042`, or `None` when the text is not this kind's id.
    pub fn parse(self, text: &str) -> Option<i64> {
        let digits = text.strip_prefix(self.prefix())?.strip_prefix('-')?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        assert_eq!(IdKind::User.format(42), "USR-000042");
        assert_eq!(IdKind::User.parse("USR-000042"), Some(42));
        assert_eq!(IdKind::Account.format(1_234_567), "ACC-1234567");
        assert_eq!(IdKind::Case.format(12), "CASE-0000012");
        assert_eq!(IdKind::Invoice.format(3), "INV-0000003");
    }

    #[test]
    fn rejects_other_kinds_and_garbage() {
        for bad in [
            "ACC-000001",
            "USR-",
            "USR-00a1",
            "USR000001",
            "USR-000000",
            "USR--1",
            "",
        ] {
            assert_eq!(IdKind::User.parse(bad), None, "{bad}");
        }
    }
}

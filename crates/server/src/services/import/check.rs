//! What the import's checks share: the findings so far, each pointing at a
//! field and naming its record, and the kinds of reference a record may name.

use oneportal_domain::invoice::Money;
use rust_decimal::Decimal;
use time::Date;

use crate::http::FieldError;

/// Past this many errors a document is plainly wrong; stop listing.
const MAX_ERRORS: usize = 100;

/// The kinds of record an organization's references name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RefKind {
    Account,
    Site,
    Service,
}

/// Errors so far, each pointing at a field and naming its record.
pub(super) struct Findings(pub(super) Vec<FieldError>);

impl Findings {
    pub(super) fn add(
        &mut self,
        pointer: &str,
        record: &str,
        code: &str,
        detail: impl std::fmt::Display,
    ) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(FieldError::new(
                pointer,
                code,
                format!("{record}: {detail}"),
            ));
        }
    }

    pub(super) fn full(&self) -> bool {
        self.0.len() >= MAX_ERRORS
    }

    pub(super) fn text(&mut self, pointer: &str, record: &str, value: &str, max: usize) {
        let length = value.trim().chars().count();
        if length == 0 {
            self.add(
                pointer,
                record,
                "required",
                format!("{} is required", field(pointer)),
            );
        } else if length > max {
            self.add(
                pointer,
                record,
                "too_long",
                format!("{} is longer than {max} characters", field(pointer)),
            );
        }
    }

    pub(super) fn reference(&mut self, pointer: &str, record: &str, value: &str) {
        if value.trim() != value || value.chars().any(char::is_control) {
            self.add(
                pointer,
                record,
                "invalid_reference",
                "a reference has no surrounding spaces or control characters",
            );
        }
        self.text(pointer, record, value, 100);
    }

    pub(super) fn one_of(&mut self, pointer: &str, record: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.add(
                pointer,
                record,
                "unknown_value",
                format!("'{value}' is not one of: {}", allowed.join(", ")),
            );
        }
    }

    pub(super) fn code(
        &mut self,
        pointer: &str,
        record: &str,
        value: &str,
        length: usize,
        what: &str,
    ) {
        if value.len() != length || !value.bytes().all(|b| b.is_ascii_uppercase()) {
            self.add(
                pointer,
                record,
                "invalid_code",
                format!("'{value}' is not {what} ({length} capital letters)"),
            );
        }
    }

    pub(super) fn date(&mut self, pointer: &str, record: &str, value: &str) -> Option<Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let parsed = Date::parse(value.trim(), format).ok();
        if parsed.is_none() {
            self.add(
                pointer,
                record,
                "invalid_date",
                format!("'{value}' is not a date; write it like 2026-11-30"),
            );
        }
        parsed
    }

    pub(super) fn money(&mut self, pointer: &str, record: &str, value: &str) -> Option<Money> {
        Money::parse(value)
            .map_err(|e| self.add(pointer, record, e.code, e.message))
            .ok()
    }

    pub(super) fn decimal(&mut self, pointer: &str, record: &str, value: &str) -> Option<Decimal> {
        let parsed = value.trim().parse::<Decimal>().ok();
        if parsed.is_none() {
            self.add(
                pointer,
                record,
                "invalid_number",
                format!("'{value}' is not a decimal number such as 1 or 21.5"),
            );
        }
        parsed
    }
}

/// The last segment of a JSON Pointer: the field's name in the document.
fn field(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

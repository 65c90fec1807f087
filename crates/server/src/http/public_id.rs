//! Public ids in paths (`CASE-0000001`, `INV-0000001`): one that does not parse is
//! answered like one the caller may not see.

use oneportal_domain::ids::IdKind;

use super::ApiError;

/// The one answer for a record the caller may not see, whatever the reason.
pub fn not_found(what: &str) -> ApiError {
    ApiError::not_found(format!("no {what} with this id in your organization"))
}

/// Another organization's id, or a malformed one, is simply not there.
pub fn id_of(kind: IdKind, text: &str, what: &str) -> Result<i64, ApiError> {
    kind.parse(text).ok_or_else(|| not_found(what))
}

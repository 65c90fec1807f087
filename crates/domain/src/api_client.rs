use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::user::text_enum;

/// The name a developer gives an API client: 1–100 characters once trimmed,
/// unique in the organization ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClientName(String);

impl ApiClientName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<ApiClientName, ValidationError> {
        let name = text.trim();
        if name.is_empty() {
            return Err(ValidationError::new(
                "required",
                "apiClientName must not be empty",
            ));
        }
        let chars = name.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "too_long",
                format!(
                    "apiClientName is {chars} characters long; the limit is {}",
                    Self::MAX_CHARS
                ),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "invalid_characters",
                "apiClientName must not contain control characters such as line breaks or tabs",
            ));
        }
        Ok(ApiClientName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness is checked on: case folded.
    pub fn unique_key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Whether an API client can obtain tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ApiClientStatus {
    Active,
    /// The owner was removed, deactivated or lost `Developer Portal (API)`.
    Suspended,
    /// Revoked for good; its tokens stop working.
    Revoked,
}

text_enum!(ApiClientStatus {
    Active,
    Suspended,
    Revoked
});

/// Why a client is suspended; shown in `invalid_client` descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum SuspensionReason {
    OwnerRemoved,
    OwnerInactive,
    OwnerLostPermission,
}

text_enum!(SuspensionReason {
    OwnerRemoved,
    OwnerInactive,
    OwnerLostPermission
});

impl SuspensionReason {
    pub const fn explanation(self) -> &'static str {
        match self {
            SuspensionReason::OwnerRemoved => {
                "the API client is suspended because its owner was removed; an organization admin can transfer it to another developer"
            }
            SuspensionReason::OwnerInactive => {
                "the API client is suspended because its owner's account is not active; an organization admin can transfer it to another developer"
            }
            SuspensionReason::OwnerLostPermission => {
                "the API client is suspended because its owner no longer holds the 'Developer Portal (API)' permission; an organization admin can transfer it or restore the permission"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            ApiClientName::parse("  Billing sync ").unwrap().as_str(),
            "Billing sync"
        );
        assert_eq!(
            ApiClientName::parse(&"é".repeat(100))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            100
        );
        assert_eq!(
            ApiClientName::parse(&"x".repeat(101)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(ApiClientName::parse("   ").unwrap_err().code, "required");
        assert_eq!(
            ApiClientName::parse("a\nb").unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn uniqueness_ignores_case() {
        assert_eq!(
            ApiClientName::parse("Prod").unwrap().unique_key(),
            ApiClientName::parse("PROD").unwrap().unique_key()
        );
    }
}

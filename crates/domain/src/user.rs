use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;

/// A person, or a group mailbox such as a distribution list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum UserType {
    Personal,
    Group,
}

/// `Inactive` until the activation link is used; `Removed` keeps the record without access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum UserStatus {
    Inactive,
    Active,
    Removed,
}

/// Whether the user belongs to the customer itself or to one of its delivery accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum UserKind {
    MyOrganization,
    DeliveryAccount,
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident),* }) => {
        $crate::user::text_enum!($ty { $($variant = stringify!($variant)),* });
    };
    // Names that are not the variant's (`IN-PROCESS`), as a standard spells them.
    ($ty:ident { $($variant:ident = $name:expr),* }) => {
        impl $ty {
            /// Every value's name, for filters that list what is allowed.
            pub const NAMES: &'static [&'static str] = &[$($name),*];
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }
            pub fn parse(text: &str) -> Option<Self> {
                $(if text == $name { return Some($ty::$variant); })*
                None
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Decodes the stored name, so a database row holds the typed value.
        impl TryFrom<String> for $ty {
            type Error = $crate::error::ValidationError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text).ok_or_else(|| {
                    $crate::error::ValidationError::new(
                        "unknown_value",
                        format!("'{text}' is not one of: {}", Self::NAMES.join(", ")),
                    )
                })
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(UserType { Personal, Group });
text_enum!(UserStatus {
    Inactive,
    Active,
    Removed
});
text_enum!(UserKind {
    MyOrganization,
    DeliveryAccount
});

/// An email address, trimmed and lower-cased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, ValidationError> {
        let text = text.trim().to_lowercase();
        let invalid = || {
            ValidationError::new(
                "invalid_email",
                format!("'{text}' is not an email address like name@example.com"),
            )
        };
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Email(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@ACME.example ").unwrap().as_str(),
            "ada@acme.example"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@acme.example",
            "ada@acme",
            "a b@acme.example",
            "a@b@c.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_text_round_trips() {
        for s in [
            UserStatus::Inactive,
            UserStatus::Active,
            UserStatus::Removed,
        ] {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
    }
}

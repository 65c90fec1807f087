//! The provider's staff and the token-signing keys: the values their rows hold.

use serde::{Deserialize, Serialize};

use crate::user::text_enum;

/// What a staff member may do: work cases, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffRole {
    Agent,
    Admin,
}
text_enum!(StaffRole { Agent, Admin });

/// Whether a staff member may still sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffStatus {
    Active,
    Removed,
}
text_enum!(StaffStatus { Active, Removed });

/// A token-signing key's place in rotation: published before it signs, signing,
/// then published until the last token it signed has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningKeyState {
    Next,
    Active,
    Retiring,
}
text_enum!(SigningKeyState {
    Next,
    Active,
    Retiring
});

/// The algorithms OnePortal signs access tokens with (JOSE names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    ES256,
    EdDSA,
    RS256,
}
text_enum!(SigningAlg {
    ES256,
    EdDSA,
    RS256
});

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::RS256];
}

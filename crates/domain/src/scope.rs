use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::permission::{Permission, PermissionSet};

/// What an API client may do, fixed when the client is created.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum ApiScope {
    /// Read-only access to core resources: accounts, sites, services, `/v2/me`.
    BasicRead,
    /// Read access to support cases, communications, attachments and RFOs.
    SupportRead,
    /// `SupportRead` plus creating, replying to, attaching to, closing, reopening and cancelling cases.
    SupportReadWrite,
    /// Read access to invoices, their lines and documents.
    BillingRead,
    /// Read access to orders in delivery: their lines and milestones.
    OrdersRead,
}

impl ApiScope {
    pub const ALL: [ApiScope; 5] = [
        ApiScope::BasicRead,
        ApiScope::SupportRead,
        ApiScope::SupportReadWrite,
        ApiScope::BillingRead,
        ApiScope::OrdersRead,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            ApiScope::BasicRead => "BasicRead",
            ApiScope::SupportRead => "SupportRead",
            ApiScope::SupportReadWrite => "SupportReadWrite",
            ApiScope::BillingRead => "BillingRead",
            ApiScope::OrdersRead => "OrdersRead",
        }
    }

    /// The OAuth 2.0 scope string used at the token endpoint and in tokens.
    pub const fn oauth_name(self) -> &'static str {
        match self {
            ApiScope::BasicRead => "customerapi/basic.read",
            ApiScope::SupportRead => "customerapi/support.read",
            ApiScope::SupportReadWrite => "customerapi/support.read-write",
            ApiScope::BillingRead => "customerapi/billing.read",
            ApiScope::OrdersRead => "customerapi/orders.read",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            ApiScope::BasicRead => "Read-only access to core resources (accounts, sites, services)",
            ApiScope::SupportRead => "Read access to support/case data",
            ApiScope::SupportReadWrite => "Read and write access to support/case data",
            ApiScope::BillingRead => "Read access to billing and invoice data",
            ApiScope::OrdersRead => "Read access to orders in delivery and their milestones",
        }
    }

    pub fn parse(name: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn from_oauth_name(name: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|s| s.oauth_name() == name)
    }

    /// The permissions of which the creating user must hold at least one.
    pub const fn creator_needs_any_of(self) -> &'static [Permission] {
        match self {
            ApiScope::BasicRead => &[Permission::SitesServicesView],
            ApiScope::SupportRead => &[Permission::SupportView, Permission::SupportEdit],
            ApiScope::SupportReadWrite => &[Permission::SupportEdit],
            ApiScope::BillingRead => &[Permission::BillingView],
            ApiScope::OrdersRead => &[Permission::OrdersView],
        }
    }

    /// The permissions behind this scope in words: `'Support (View)' or 'Support (Edit)'`.
    pub fn creator_needs_text(self) -> String {
        self.creator_needs_any_of()
            .iter()
            .map(|p| format!("'{}'", p.label()))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// Whether a user holding `permissions` may grant this scope to a client.
    pub fn may_be_granted_by(self, permissions: PermissionSet) -> bool {
        self.creator_needs_any_of()
            .iter()
            .any(|p| permissions.contains(*p))
    }

    /// The scope a user's permissions amount to, for user tokens.
    pub fn granted_by_permissions(permissions: PermissionSet) -> ScopeSet {
        ApiScope::ALL
            .into_iter()
            .filter(|s| s.may_be_granted_by(permissions))
            .collect()
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of scopes; `SupportReadWrite` satisfies every `SupportRead` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn contains(self, scope: ApiScope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: ApiScope) {
        self.0 |= scope.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether a caller holding this set passes a check that requires `needed`.
    pub fn allows(self, needed: ApiScope) -> bool {
        self.contains(needed)
            || (needed == ApiScope::SupportRead && self.contains(ApiScope::SupportReadWrite))
    }

    pub fn iter(self) -> impl Iterator<Item = ApiScope> {
        ApiScope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Space-separated OAuth scope strings, as in a token response and the `scope` claim.
    pub fn to_oauth_string(self) -> String {
        self.iter()
            .map(ApiScope::oauth_name)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Parses a space-separated OAuth `scope` value. On failure returns the first
    /// token that is not a known scope.
    pub fn parse_oauth_string(text: &str) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::default();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            let scope = ApiScope::from_oauth_name(token).ok_or_else(|| token.to_owned())?;
            set.insert(scope);
        }
        Ok(set)
    }

    /// Comma-separated names (`BasicRead,SupportRead`), the stored form.
    pub fn to_names(self) -> String {
        self.iter()
            .map(ApiScope::name)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_names(text: &str) -> ScopeSet {
        text.split(',').filter_map(ApiScope::parse).collect()
    }

    pub fn to_vec(self) -> Vec<ApiScope> {
        self.iter().collect()
    }
}

impl FromIterator<ApiScope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = ApiScope>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_satisfies_read_but_not_the_reverse() {
        let rw: ScopeSet = [ApiScope::SupportReadWrite].into_iter().collect();
        assert!(rw.allows(ApiScope::SupportRead));
        assert!(rw.allows(ApiScope::SupportReadWrite));
        let r: ScopeSet = [ApiScope::SupportRead].into_iter().collect();
        assert!(!r.allows(ApiScope::SupportReadWrite));
        assert!(!r.allows(ApiScope::BasicRead));
    }

    #[test]
    fn oauth_strings_round_trip_and_name_the_unknown_one() {
        let set = ScopeSet::parse_oauth_string("customerapi/basic.read  customerapi/billing.read")
            .unwrap();
        assert_eq!(
            set.to_oauth_string(),
            "customerapi/basic.read customerapi/billing.read"
        );
        assert_eq!(
            ScopeSet::parse_oauth_string("customerapi/basic.read customerapi/admin"),
            Err("customerapi/admin".to_owned())
        );
        assert!(ScopeSet::parse_oauth_string("").unwrap().is_empty());
    }

    #[test]
    fn creator_permissions_follow_the_product_table() {
        let only = |p: &[Permission]| p.iter().copied().collect::<PermissionSet>();
        assert!(ApiScope::SupportRead.may_be_granted_by(only(&[Permission::SupportEdit])));
        assert!(ApiScope::SupportRead.may_be_granted_by(only(&[Permission::SupportView])));
        assert!(!ApiScope::SupportReadWrite.may_be_granted_by(only(&[Permission::SupportView])));
        assert!(!ApiScope::BillingRead.may_be_granted_by(only(&[Permission::SitesServicesView])));
        assert!(ApiScope::OrdersRead.may_be_granted_by(only(&[Permission::OrdersView])));
        assert!(!ApiScope::OrdersRead.may_be_granted_by(only(&[Permission::OrdersApprove])));
    }
}

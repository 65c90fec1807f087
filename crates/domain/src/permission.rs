use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user permission, as the portal names them. `SitesServicesView` is
/// everyone's default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Permission {
    #[serde(rename = "Sites & Services (View)")]
    SitesServicesView,
    #[serde(rename = "Support (View)")]
    SupportView,
    #[serde(rename = "Support (Edit)")]
    SupportEdit,
    #[serde(rename = "Orders (View)")]
    OrdersView,
    #[serde(rename = "Orders (Approve)")]
    OrdersApprove,
    #[serde(rename = "Billing (View)")]
    BillingView,
    #[serde(rename = "Developer Portal (API)")]
    DeveloperPortal,
    #[serde(rename = "User Management")]
    UserManagement,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::SitesServicesView,
        Permission::SupportView,
        Permission::SupportEdit,
        Permission::OrdersView,
        Permission::OrdersApprove,
        Permission::BillingView,
        Permission::DeveloperPortal,
        Permission::UserManagement,
    ];

    /// The name people see in the portal and in error messages.
    pub const fn label(self) -> &'static str {
        match self {
            Permission::SitesServicesView => "Sites & Services (View)",
            Permission::SupportView => "Support (View)",
            Permission::SupportEdit => "Support (Edit)",
            Permission::OrdersView => "Orders (View)",
            Permission::OrdersApprove => "Orders (Approve)",
            Permission::BillingView => "Billing (View)",
            Permission::DeveloperPortal => "Developer Portal (API)",
            Permission::UserManagement => "User Management",
        }
    }

    /// The compact code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            Permission::SitesServicesView => "sites_services_view",
            Permission::SupportView => "support_view",
            Permission::SupportEdit => "support_edit",
            Permission::OrdersView => "orders_view",
            Permission::OrdersApprove => "orders_approve",
            Permission::BillingView => "billing_view",
            Permission::DeveloperPortal => "developer_portal",
            Permission::UserManagement => "user_management",
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Accepts the label (`Support (Edit)`) or the stored code (`support_edit`).
    pub fn parse(text: &str) -> Option<Permission> {
        let text = text.trim();
        Permission::ALL
            .into_iter()
            .find(|p| p.label().eq_ignore_ascii_case(text) || p.code() == text)
    }
}

/// A user's set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn insert(&mut self, permission: Permission) {
        self.0 |= permission.bit();
    }

    pub fn remove(&mut self, permission: Permission) {
        self.0 &= !permission.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Comma-separated codes, the form kept in the database.
    pub fn to_codes(self) -> String {
        self.iter()
            .map(Permission::code)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored form; unknown codes are ignored so that a newer
    /// node's permission never locks an older node out of a row.
    pub fn from_codes(text: &str) -> Self {
        text.split(',').filter_map(Permission::parse).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::default();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_round_trip() {
        let set: PermissionSet = [Permission::SupportEdit, Permission::DeveloperPortal]
            .into_iter()
            .collect();
        assert_eq!(set.to_codes(), "support_edit,developer_portal");
        assert_eq!(PermissionSet::from_codes(&set.to_codes()), set);
        assert_eq!(PermissionSet::from_codes(""), PermissionSet::default());
    }

    #[test]
    fn parses_labels_case_insensitively() {
        assert_eq!(
            Permission::parse("support (edit)"),
            Some(Permission::SupportEdit)
        );
        assert_eq!(
            Permission::parse("User Management"),
            Some(Permission::UserManagement)
        );
        assert_eq!(Permission::parse("Admin"), None);
    }
}

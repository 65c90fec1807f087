//! The frame around every page: who is logged in, and the sections their
//! permissions open. A section without its permission is neither shown nor served.

use oneportal_domain::{Permission, PermissionSet};

use super::session::Session;
use crate::state::AppState;

/// One part of the portal and the permission that opens it.
pub struct Section {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    /// Any one of these opens it.
    pub needs: &'static [Permission],
    pub summary: &'static str,
}

/// The sections the portal has so far, in navigation order.
pub const SECTIONS: [Section; 6] = [
    Section {
        key: "catalog",
        label: "Sites & Services",
        href: "/portal/services",
        needs: &[Permission::SitesServicesView],
        summary: "Your services with their technical details, and the sites they are delivered to",
    },
    Section {
        key: "support",
        label: "Support",
        href: "/portal/support",
        needs: &[Permission::SupportView],
        summary: "Your cases with their conversation and files, new cases, reasons for outage, and planned maintenance",
    },
    Section {
        key: "orders",
        label: "Orders",
        href: "/portal/orders",
        needs: &[Permission::OrdersView, Permission::OrdersApprove],
        summary: "Quotes to accept, and orders in delivery: each service's milestones from order to ready for service, late ones marked",
    },
    Section {
        key: "billing",
        label: "Billing",
        href: "/portal/billing",
        needs: &[Permission::BillingView],
        summary: "Invoices and credit notes with their lines, as PDF and CSV",
    },
    Section {
        key: "developer",
        label: "Developer Portal",
        href: "/portal/developer/clients",
        needs: &[Permission::DeveloperPortal],
        summary: "API clients, the interactive API reference and a getting-started guide",
    },
    Section {
        key: "users",
        label: "User Management",
        href: "/portal/users",
        needs: &[Permission::UserManagement],
        summary: "The users of your organization and its delivery accounts: add, change permissions, remove",
    },
];

pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

pub fn sections_for(permissions: PermissionSet) -> Vec<&'static Section> {
    SECTIONS
        .iter()
        .filter(|s| s.needs.iter().any(|p| permissions.contains(*p)))
        .collect()
}

/// What the base template needs.
pub struct Layout {
    pub title: String,
    pub asset_version: &'static str,
    pub current: &'static str,
    /// Empty on pages without a logged-in person.
    pub user_email: String,
    pub org_name: String,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    /// `serve --demo`: the header links to the demo outbox.
    pub demo: bool,
    /// Where the brand links and the log-out form posts: the portal's, or the staff pages'.
    pub home_href: &'static str,
    pub logout_href: &'static str,
    /// The person may read support records (cases, maintenance, deactivation
    /// requests): pages outside Support link to them only then.
    pub reads_support: bool,
}

impl Layout {
    /// A page for someone not logged in (login, errors).
    pub fn public(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            asset_version: super::assets::VERSION.as_str(),
            current: "",
            user_email: String::new(),
            org_name: String::new(),
            nav: Vec::new(),
            csrf_token: String::new(),
            demo: false,
            home_href: "/portal/",
            logout_href: "/portal/logout",
            reads_support: false,
        }
    }

    pub async fn for_session(
        state: &AppState,
        session: &Session,
        title: impl Into<String>,
        current: &'static str,
    ) -> Layout {
        let org_name = state
            .directory
            .organization(&state.db, session.user.org_id)
            .await
            .ok()
            .flatten()
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let mut nav = vec![NavItem {
            key: "home",
            label: "Home",
            href: "/portal/",
        }];
        nav.extend(
            sections_for(session.user.permissions)
                .into_iter()
                .map(|s| NavItem {
                    key: s.key,
                    label: s.label,
                    href: s.href,
                }),
        );
        Layout {
            title: title.into(),
            asset_version: super::assets::VERSION.as_str(),
            current,
            user_email: session.user.email.clone(),
            org_name,
            nav,
            csrf_token: session.csrf_token.clone(),
            demo: state.config.demo,
            home_href: "/portal/",
            logout_href: "/portal/logout",
            reads_support: session.user.permissions.contains(Permission::SupportView),
        }
    }

    pub fn is_current(&self, key: &str) -> bool {
        self.current == key
    }
}

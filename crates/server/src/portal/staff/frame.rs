//! The frame of every staff page.

use super::StaffSession;
use crate::portal::layout::{Layout, NavItem};

/// The staff pages in navigation order: key, label, address.
const NAV: [(&str, &str, &str); 10] = [
    ("cases", "Case queue", "/staff/cases"),
    ("quotes", "Quotes", "/staff/quotes"),
    ("orders", "Orders", "/staff/orders"),
    ("deactivations", "Deactivations", "/staff/deactivations"),
    ("maintenance", "Maintenance", "/staff/maintenance"),
    ("monitoring", "Monitoring", "/staff/monitoring"),
    ("orgs", "Organizations", "/staff/organizations"),
    ("import", "Import", "/staff/import"),
    ("audit", "Audit log", "/staff/audit"),
    ("outbox", "Outbox", "/staff/outbox"),
];

/// The frame of a staff page: the staff navigation, and log out to the staff login.
pub fn layout(session: &StaffSession, title: impl Into<String>, current: &'static str) -> Layout {
    let mut layout = Layout::public(title);
    layout.current = current;
    layout.user_email = session.staff.email.clone();
    layout.org_name = format!("Provider staff ({})", session.staff.role);
    layout.nav = NAV
        .iter()
        .map(|(key, label, href)| NavItem { key, label, href })
        .collect();
    layout.csrf_token = session.csrf_token.clone();
    layout.home_href = "/staff/";
    layout.logout_href = "/staff/logout";
    layout
}

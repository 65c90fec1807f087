//! The product's rules for changing things, shared by the API, the portal and
//! the CLI so that every path runs the same permission checks and audit.

pub mod api_clients;
pub mod users;

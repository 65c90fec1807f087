//! OnePortal's domain: the product's words as types.
//!
//! Everything here is pure (no I/O, no async): values are parsed once at the
//! edge and trusted afterwards ("parse, don't validate").

pub mod api_client;
pub mod case;
pub mod catalog;
pub mod deactivation;
pub mod error;
pub mod event;
pub mod ids;
pub mod invoice;
pub mod maintenance;
pub mod metrics;
pub mod monitoring;
pub mod notification;
pub mod order;
pub mod permission;
pub mod query;
pub mod quote;
pub mod scope;
pub mod staff;
pub mod user;

pub use api_client::{ApiClientName, ApiClientStatus, SuspensionReason};
pub use error::ValidationError;
pub use permission::{Permission, PermissionSet};
pub use scope::{ApiScope, ScopeSet};
pub use user::{Email, UserKind, UserStatus, UserType};

//! Accounts, sites and services: the values their rows hold.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::user::text_enum;

/// Where services are signed (`Contract`), or the end customer they are delivered for (`Delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum AccountType {
    Contract,
    Delivery,
}
text_enum!(AccountType { Contract, Delivery });

/// Whether an account is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AccountStatus {
    Active,
    Inactive,
}
text_enum!(AccountStatus { Active, Inactive });

/// Whether a site is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum SiteStatus {
    Active,
    Inactive,
}
text_enum!(SiteStatus { Active, Inactive });

/// The product a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ServiceType {
    GlobalInternet,
    SdWan,
    ManagedRouter,
    Ethernet,
    Wireless4G,
}
text_enum!(ServiceType {
    GlobalInternet,
    SdWan,
    ManagedRouter,
    Ethernet,
    Wireless4G
});

/// Where a service is in its life: in delivery, ready for service (in use),
/// suspended, about to be deactivated, or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum ServiceStatus {
    InProgress,
    /// Ready for service: delivered and in use.
    RFS,
    Suspended,
    PendingDeactivation,
    Deactivated,
}
text_enum!(ServiceStatus {
    InProgress,
    RFS,
    Suspended,
    PendingDeactivation,
    Deactivated
});

//! Columns that hold a domain value by its name (`'InProgress'`, `'P2'`,
//! `'125.50'`). A row field of such a type is declared
//! `#[sqlx(try_from = "Stored<CaseStatus>")]`: the text is decoded, then parsed
//! into the domain type, and a value the domain does not know fails the read
//! with the parser's own message (which names the value). sqlx's `try_from`
//! on `String` alone would drop that message, and a default would hide the
//! corruption.

use std::fmt::Display;

use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::{Database, Type};

/// A domain value read from its text column.
pub struct Stored<T>(pub T);

impl<DB: Database, T> Type<DB> for Stored<T>
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database, T> Decode<'r, DB> for Stored<T>
where
    String: Decode<'r, DB>,
    T: TryFrom<String>,
    T::Error: Display,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, DB>>::decode(value)?;
        T::try_from(text)
            .map(Stored)
            .map_err(|error| error.to_string().into())
    }
}

/// `From<Stored<T>> for T` for each domain type a row holds (one impl per type,
/// since a blanket impl over every `T` is not allowed for a foreign trait).
macro_rules! stored_as_text {
    ($($ty:ty),* $(,)?) => {
        $(impl From<Stored<$ty>> for $ty {
            fn from(stored: Stored<$ty>) -> $ty {
                stored.0
            }
        })*
    };
}

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, RfoStatus,
};
use oneportal_domain::catalog::{
    AccountStatus, AccountType, ServiceStatus, ServiceType, SiteStatus,
};
use oneportal_domain::deactivation::DeactivationStatus;
use oneportal_domain::event::EventType;
use oneportal_domain::invoice::{ChargeType, InvoiceStatus, InvoiceType, Money};
use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
use oneportal_domain::metrics::{Measurement, SeriesKind};
use oneportal_domain::monitoring::{AlertKind, AlertState, ServiceHealth};
use oneportal_domain::order::{Milestone, OrderStatus};
use oneportal_domain::quote::QuoteStatus;
use oneportal_domain::staff::{SigningKeyState, StaffRole, StaffStatus};
use oneportal_domain::{ApiClientStatus, UserKind, UserStatus, UserType};

stored_as_text!(
    Measurement,
    SeriesKind,
    AlertKind,
    AlertState,
    ServiceHealth,
    Impact,
    MaintenanceStatus,
    DeactivationStatus,
    Milestone,
    OrderStatus,
    QuoteStatus,
    AccountStatus,
    AccountType,
    ServiceStatus,
    ServiceType,
    SiteStatus,
    CaseOrigin,
    EventType,
    CasePriority,
    CaseStatus,
    CaseSubject,
    CaseType,
    CommunicationType,
    RfoStatus,
    ChargeType,
    InvoiceStatus,
    InvoiceType,
    Money,
    SigningKeyState,
    StaffRole,
    StaffStatus,
    ApiClientStatus,
    UserKind,
    UserStatus,
    UserType,
);

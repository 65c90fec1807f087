//! Events as API V2 answers them (the feed) and as webhooks deliver them: the
//! envelope, and one data schema per event type.
//!
//! Data is small (identifiers, what changed, the resource's `lastModifiedDate`
//! and a link to it), never the resource itself: a reader who wants more follows
//! `url` with a token that may read it.

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, RfoStatus,
};
use oneportal_domain::catalog::ServiceStatus;
use oneportal_domain::deactivation::DeactivationStatus;
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{InvoiceType, Money};
use oneportal_domain::maintenance::MaintenanceStatus;
use oneportal_domain::monitoring::ServiceHealth;
use oneportal_domain::order::{Milestone, OrderStatus};
use oneportal_domain::quote::QuoteStatus;
use oneportal_store::events::EventRow;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// Something that happened to a record the caller may read.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique; also the `webhook-id` of every delivery of this event.
    #[schema(example = "evt_4Fq7hWkz2RrT0bLmN8xYcA")]
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: String,
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    /// Increases with every event of the organization, in the order they were committed.
    pub sequence: i64,
    /// The event's data; its shape is the type's (see `EventData`).
    // Served as stored, without parsing it into a tree and writing it out again.
    #[schema(value_type = EventData)]
    pub data: Box<RawValue>,
}

impl Event {
    pub fn from_row(row: EventRow) -> Event {
        Event {
            id: row.event_id,
            event_type: row.event_type,
            occurred_at: rfc3339(row.occurred_at),
            organization_id: IdKind::Organization.format(row.org_id),
            sequence: row.sequence,
            data: RawValue::from_string(row.data).unwrap_or_else(|_| null()),
        }
    }
}

/// JSON `null`, for data that is not JSON (never written so).
fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

/// The data of event types, declared with the types it belongs to.
pub trait EventPayload: Serialize {
    /// The types whose data has this shape.
    const TYPES: &'static [EventType];

    /// This event's type: the one type, or the one the data names.
    fn event_type(&self) -> EventType {
        Self::TYPES[0]
    }
}

macro_rules! event_data {
    ($($ty:ident => [$($event:ident),+] $(by $field:ident)?),* $(,)?) => {
        $(impl EventPayload for $ty {
            const TYPES: &'static [EventType] = &[$(EventType::$event),+];
            $(fn event_type(&self) -> EventType {
                self.$field
            })?
        })*

        /// The data of each event type (the event's `type` says which).
        #[derive(Serialize, ToSchema)]
        #[serde(untagged)]
        pub enum EventData {
            $($ty($ty),)*
        }
    };
}

event_data! {
    CaseCreated => [CaseCreated],
    CaseStatusChanged => [CaseStatusChanged],
    CaseCommunicationAdded => [CaseCommunicationAdded],
    CaseAttachmentAdded => [CaseAttachmentAdded],
    RfoPublished => [RfoPublished],
    InvoiceIssued => [InvoiceIssued],
    ServiceStatusChanged => [ServiceStatusChanged],
    ServiceHealthChanged => [ServiceHealthChanged],
    MaintenanceNotice => [MaintenanceScheduled, MaintenanceUpdated, MaintenanceCancelled,
        MaintenanceStarted, MaintenanceCompleted] by event_type,
    DeactivationNotice => [DeactivationSubmitted, DeactivationInReview,
        DeactivationPendingConfirmation, DeactivationConfirmed, DeactivationScheduled,
        DeactivationCompleted, DeactivationWithdrawn, DeactivationDeclined] by event_type,
    OrderNotice => [OrderCreated, OrderMilestoneReached, OrderMilestoneDelayed, OrderDelivered,
        OrderCancelled] by event_type,
    QuoteNotice => [QuoteSent, QuoteAccepted, QuoteDeclined, QuoteExpired, QuoteWithdrawn]
        by event_type,
}

/// `case.created`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseCreated {
    #[schema(example = "CASE-0000001")]
    pub case_id: String,
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    pub status: CaseStatus,
    pub origin: CaseOrigin,
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub last_modified_date: String,
    /// The case in API V2.
    pub url: String,
}

/// `case.status_changed`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseStatusChanged {
    pub case_id: String,
    pub previous_status: CaseStatus,
    pub status: CaseStatus,
    /// The reason given with the change, if any.
    pub reason: Option<String>,
    /// Who moved it: a user's e-mail, an API client's id, the provider, or
    /// `OnePortal` (automatic closing); for a move a reply caused, the replier.
    pub changed_by: String,
    pub last_modified_date: String,
    pub url: String,
}

/// `case.communication_added`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseCommunicationAdded {
    pub case_id: String,
    #[schema(example = "COM-000001")]
    pub communication_id: String,
    pub communication_type: CommunicationType,
    pub sent_by: String,
    pub last_modified_date: String,
    /// The case's communications in API V2.
    pub url: String,
}

/// `case.attachment_added`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseAttachmentAdded {
    pub case_id: String,
    #[schema(example = "ATT-000001")]
    pub attachment_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub last_modified_date: String,
    /// The file's download in API V2.
    pub url: String,
}

/// `rfo.published`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfoPublished {
    pub case_id: String,
    pub status: RfoStatus,
    /// Increases with every revision.
    pub version: i64,
    pub last_modified_date: String,
    /// The RFO in API V2.
    pub url: String,
}

/// `invoice.issued`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceIssued {
    #[schema(example = "INV-0000001")]
    pub invoice_id: String,
    pub invoice_number: String,
    #[serde(rename = "type")]
    pub invoice_type: InvoiceType,
    #[schema(example = "ACC-000001")]
    pub account_id: String,
    pub currency: String,
    #[schema(value_type = String, example = "1250.00")]
    pub total_amount: Money,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub last_modified_date: String,
    pub url: String,
}

/// `service.status_changed`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatusChanged {
    pub service_id: String,
    pub previous_status: ServiceStatus,
    pub status: ServiceStatus,
    pub last_modified_date: String,
    pub url: String,
}

/// `service.health_changed`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealthChanged {
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub previous_health: ServiceHealth,
    pub health: ServiceHealth,
    /// The proactive incident case monitoring opened or updated, if one goes with the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "CASE-0000001")]
    pub case_id: Option<String>,
    /// The maintenance in progress, when the health is `Maintenance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "MNT-000001")]
    pub maintenance_id: Option<String>,
    pub last_modified_date: String,
    /// The service in API V2.
    pub url: String,
}

/// `maintenance.scheduled`, `.updated`, `.cancelled`, `.started` and `.completed`:
/// the maintenance as it stands after the change. Which services it affects is
/// not here (a restricted reader of the organization may not see them all):
/// follow `url`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceNotice {
    #[serde(skip)]
    pub event_type: EventType,
    #[schema(example = "MNT-000001")]
    pub maintenance_id: String,
    pub provider_reference: String,
    pub title: String,
    pub status: MaintenanceStatus,
    /// RFC 3339, UTC.
    pub start_date: String,
    pub end_date: String,
    /// Announced less than 14 days before the window starts.
    pub short_notice: bool,
    /// Raised on every change (the calendar feed's `SEQUENCE`).
    pub revision: i64,
    pub last_modified_date: String,
    /// The maintenance in API V2.
    pub url: String,
}

/// `deactivation_request.*`: the request as it stands after the step (its
/// `status` is the one the type names).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationNotice {
    #[serde(skip)]
    pub event_type: EventType,
    #[schema(example = "DRQ-000001")]
    pub deactivation_request_id: String,
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    /// `null` for `submitted`.
    pub previous_status: Option<DeactivationStatus>,
    pub status: DeactivationStatus,
    /// `YYYY-MM-DD`.
    pub requested_end_date: String,
    /// The version of the terms stated (0 before any).
    pub terms_version: i64,
    /// `YYYY-MM-DD`, once the provider set it (`scheduled` and after).
    pub billing_end_date: Option<String>,
    /// A person's e-mail, an API client's id, or the provider.
    pub changed_by: String,
    pub last_modified_date: String,
    /// The request in API V2.
    pub url: String,
}

/// `order.*`: what happened to the order; `serviceId`, `milestone` and the
/// days are set for a line's milestone reached or delayed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderNotice {
    #[serde(skip)]
    pub event_type: EventType,
    #[schema(example = "ORD-000001")]
    pub order_id: String,
    pub order_reference: String,
    pub purchase_order: String,
    pub status: OrderStatus,
    /// The line's service, for a milestone reached or delayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<Milestone>,
    /// `YYYY-MM-DD`: the day reached, or the new planned day of a delay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Why a milestone was delayed, or the order cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub last_modified_date: String,
    /// The order in API V2.
    pub url: String,
}

/// `quote.*`: the quote as it stands after the change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteNotice {
    #[serde(skip)]
    pub event_type: EventType,
    #[schema(example = "QUO-000001")]
    pub quote_id: String,
    pub quote_reference: String,
    pub title: String,
    pub status: QuoteStatus,
    /// The version sent, or the version answered.
    pub version: i64,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    pub valid_until: String,
    /// The order accepting it placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ORD-000001")]
    pub order_id: Option<String>,
    /// Why it was declined or withdrawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who answered (a person's e-mail) or the provider.
    pub changed_by: String,
    pub last_modified_date: String,
    /// The quote in API V2.
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event type has exactly one data shape, which names it.
    #[test]
    fn each_event_type_is_declared_with_one_data_shape() {
        let declared: Vec<EventType> = [
            CaseCreated::TYPES,
            CaseStatusChanged::TYPES,
            CaseCommunicationAdded::TYPES,
            CaseAttachmentAdded::TYPES,
            RfoPublished::TYPES,
            InvoiceIssued::TYPES,
            ServiceStatusChanged::TYPES,
            ServiceHealthChanged::TYPES,
            MaintenanceNotice::TYPES,
            DeactivationNotice::TYPES,
            OrderNotice::TYPES,
            QuoteNotice::TYPES,
        ]
        .concat();
        for t in EventType::ALL {
            assert_eq!(
                declared.iter().filter(|d| *d == t).count(),
                1,
                "{t} needs exactly one data shape in event_data!"
            );
        }
        assert_eq!(declared.len(), EventType::ALL.len());
    }
}

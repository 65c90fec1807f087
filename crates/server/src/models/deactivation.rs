//! A deactivation request as API V2, the operations API and the portal show it.

use oneportal_domain::deactivation::{DeactivationStatus, is_overdue};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::parse_day;
use oneportal_store::deactivations::{DeactivationRow, DeactivationStepRow, LocalContact};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// The person on site the provider contacts about the service (to collect its
/// equipment, for one).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalPointOfContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl From<&LocalContact> for LocalPointOfContact {
    fn from(contact: &LocalContact) -> Self {
        LocalPointOfContact {
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
        }
    }
}

/// A fee and its currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fee {
    /// Decimal text with two decimals.
    #[schema(example = "450.00")]
    pub amount: String,
    #[schema(example = "EUR")]
    pub currency: String,
}

/// What the provider states the deactivation costs and when it can happen;
/// the customer confirms exactly this version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationTerms {
    /// Raised each time the provider states terms; a confirmation names the version it agrees to.
    pub version: i64,
    /// The deactivation fee under the contract; `null` when there is none.
    pub fee: Option<Fee>,
    /// `YYYY-MM-DD`: the earliest day the service can end.
    pub earliest_end_date: String,
    /// What else the provider says about the terms.
    pub note: String,
}

/// Who confirmed the terms, and when.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationConfirmation {
    /// The person's e-mail.
    pub confirmed_by: String,
    pub confirmed_date: String,
    /// The version of the terms confirmed.
    pub terms_version: i64,
}

/// One step of a request's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationStep {
    pub date: String,
    /// The status after the step.
    pub status: DeactivationStatus,
    /// A person's e-mail, an API client's id, or the provider.
    pub by: String,
    pub note: String,
}

impl From<&DeactivationStepRow> for DeactivationStep {
    fn from(row: &DeactivationStepRow) -> Self {
        DeactivationStep {
            date: rfc3339(row.at),
            status: row.status,
            by: row.actor.clone(),
            note: row.note.clone(),
        }
    }
}

/// A request to deactivate a service: `Submitted` → `InReview` →
/// `PendingConfirmation` (the provider's terms) → `Confirmed` (by a person in the
/// portal, binding) → `Scheduled` (the billing end date is set; the service is
/// `PendingDeactivation`) → `Completed` (the service is `Deactivated`). The
/// customer may withdraw until confirming; the provider may decline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationRequest {
    #[schema(example = "DRQ-000001")]
    pub deactivation_request_id: String,
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub service_name: String,
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    pub status: DeactivationStatus,
    /// `YYYY-MM-DD`: the day the customer wants the service to end.
    pub requested_end_date: String,
    pub reason: String,
    /// The service's Local Point of Contact as the request gave it.
    pub local_contact: LocalPointOfContact,
    /// A person's e-mail or an API client's id.
    pub requested_by: String,
    /// The case the provider asks its questions in, if it opened one.
    #[schema(example = "CASE-0000001")]
    pub case_id: Option<String>,
    /// The provider's terms, once stated.
    pub terms: Option<DeactivationTerms>,
    pub confirmation: Option<DeactivationConfirmation>,
    /// `YYYY-MM-DD`: the provider sets the billing end date by this day, five
    /// business days after the confirmation.
    pub billing_end_date_due: Option<String>,
    /// `YYYY-MM-DD`: the last day billed.
    pub billing_end_date: Option<String>,
    /// Confirmed, the due day has passed and no billing end date is set yet.
    pub billing_end_date_overdue: bool,
    /// Why it was withdrawn or declined.
    pub closing_reason: Option<String>,
    pub created_date: String,
    pub last_modified_date: String,
}

impl DeactivationRequest {
    pub fn new(row: &DeactivationRow, today: time::Date) -> DeactivationRequest {
        let terms = (row.terms_version > 0).then(|| DeactivationTerms {
            version: row.terms_version,
            fee: row
                .fee_amount
                .clone()
                .zip(row.fee_currency.clone())
                .map(|(amount, currency)| Fee { amount, currency }),
            earliest_end_date: row.earliest_end_date.clone().unwrap_or_default(),
            note: row.terms_note.clone(),
        });
        let confirmation = row
            .confirmed_at
            .zip(row.confirmed_by.clone())
            .map(|(at, by)| DeactivationConfirmation {
                confirmed_by: by,
                confirmed_date: rfc3339(at),
                terms_version: row.terms_version,
            });
        DeactivationRequest {
            deactivation_request_id: IdKind::DeactivationRequest.format(row.id),
            service_id: IdKind::Service.format(row.service_id),
            service_name: row.service_name.clone(),
            site_id: IdKind::Site.format(row.site_id),
            status: row.status,
            requested_end_date: row.requested_end_date.clone(),
            reason: row.reason.clone(),
            local_contact: LocalPointOfContact {
                name: row.contact_name.clone(),
                email: row.contact_email.clone(),
                phone: row.contact_phone.clone(),
            },
            requested_by: row.requested_by.clone(),
            case_id: row.case_id.map(|id| IdKind::Case.format(id)),
            terms,
            confirmation,
            billing_end_date_overdue: billing_end_date_overdue(row, today),
            billing_end_date_due: row.billing_end_date_due.clone(),
            billing_end_date: row.billing_end_date.clone(),
            closing_reason: Some(row.closing_reason.clone()).filter(|r| !r.is_empty()),
            created_date: rfc3339(row.created_at),
            last_modified_date: rfc3339(row.updated_at),
        }
    }
}

/// Whether the provider owes the billing end date of a confirmed request and is late.
pub fn billing_end_date_overdue(row: &DeactivationRow, today: time::Date) -> bool {
    row.status == DeactivationStatus::Confirmed
        && row
            .billing_end_date_due
            .as_deref()
            .and_then(parse_day)
            .is_some_and(|due| is_overdue(due, today))
}

/// A request with its history, as `GET /v2/deactivation-requests/{id}` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationRequestDetail {
    #[serde(flatten)]
    pub request: DeactivationRequest,
    /// Every step, oldest first.
    pub history: Vec<DeactivationStep>,
}

//! The import document: what the provider's back office states about its
//! customers, keyed by the provider's own references (`ref`), so the same
//! document can be imported again and again.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::services::rfo::RfoContent;
use oneportal_domain::case::RfoStatus;

/// Everything one import writes, organization by organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportDocument {
    pub organizations: Vec<OrganizationRecord>,
    /// Planned maintenance, which may touch services of several organizations.
    #[serde(default)]
    pub maintenances: Vec<MaintenanceRecord>,
    /// Quotes, written after the organizations whose accounts and sites they name.
    #[serde(default)]
    pub quotes: Vec<QuoteRecord>,
    /// Orders in delivery and their milestones, written after the quotes.
    #[serde(default)]
    pub orders: Vec<OrderRecord>,
}

/// A quote as the back office states it, keyed by its reference: a new one is
/// written (and sent, unless `Draft`); a known one not answered yet is revised
/// when its content differs (a quote the customer saw gets a new version, sent
/// at once), sent, or withdrawn. The customer's answer is final: an accepted or
/// declined quote changes no more.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteRecord {
    #[serde(rename = "ref")]
    #[schema(example = "Q-2026-0042")]
    pub reference: String,
    pub organization_ref: String,
    pub contract_account_ref: String,
    pub delivery_account_ref: String,
    pub title: String,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    pub valid_until: String,
    #[serde(default)]
    pub note: String,
    /// `Draft`, `Sent` (default) or `Withdrawn`.
    #[serde(default = "sent")]
    pub status: String,
    /// Why it is withdrawn; the customer reads it.
    #[serde(default)]
    pub reason: String,
    pub lines: Vec<QuoteLineRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteLineRecord {
    pub site_ref: String,
    pub product: String,
    /// `GlobalInternet`, `SdWan`, `ManagedRouter`, `Ethernet` or `Wireless4G`.
    pub service_type: String,
    #[serde(default)]
    pub downstream_mbps: i64,
    #[serde(default)]
    pub upstream_mbps: i64,
    pub term_months: i64,
    /// Decimal strings, before tax.
    pub one_time_price: String,
    pub monthly_price: String,
    pub lead_time_days: Option<i64>,
}

/// An order as the back office states it, keyed by its reference: a new one is
/// placed (each line's service created under its `serviceRef`); on a known one,
/// milestones with an `actualDate` not recorded yet are reached in order,
/// planned days that differ are moved (a delay, with `delayReason`), and
/// `Cancelled` cancels it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRecord {
    #[serde(rename = "ref")]
    #[schema(example = "SO-2026-0042")]
    pub reference: String,
    pub organization_ref: String,
    pub contract_account_ref: String,
    pub delivery_account_ref: String,
    #[serde(default)]
    pub purchase_order: String,
    /// `YYYY-MM-DD`; today when left out.
    pub received_date: Option<String>,
    /// `InDelivery` (default) or `Cancelled`; `Delivered` follows from the last line
    /// ready for service.
    #[serde(default = "in_delivery")]
    pub status: String,
    /// Why it is cancelled, or why planned days moved; the customer reads it.
    #[serde(default)]
    pub reason: String,
    pub lines: Vec<OrderLineRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineRecord {
    /// The provider's reference of the service the line delivers (created with the order).
    pub service_ref: String,
    /// For an order placed in OnePortal (by accepting a quote): the line's
    /// service (`SVC-000001`), which then takes `serviceRef`.
    pub service_id: Option<String>,
    pub site_ref: String,
    pub service_name: String,
    /// `GlobalInternet`, `SdWan`, `ManagedRouter`, `Ethernet` or `Wireless4G`.
    pub service_type: String,
    pub product: String,
    #[serde(default)]
    pub downstream_mbps: i64,
    #[serde(default)]
    pub upstream_mbps: i64,
    /// By milestone name (`SiteSurvey`, …, `ReadyForService`): its planned and actual day.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub milestones: std::collections::BTreeMap<String, MilestoneRecord>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MilestoneRecord {
    /// `YYYY-MM-DD`.
    pub planned_date: Option<String>,
    /// `YYYY-MM-DD`, once reached.
    pub actual_date: Option<String>,
}

fn sent() -> String {
    "Sent".into()
}

fn in_delivery() -> String {
    "InDelivery".into()
}

/// A planned maintenance as the back office states it now, keyed by its
/// provider reference: new ones are announced, known ones changed (window,
/// text, services) and moved to `status`, each step telling the customers as
/// the staff pages would.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceRecord {
    /// The provider reference: letters, digits, spaces and `-_./:#`.
    #[serde(rename = "ref")]
    #[schema(example = "CHG-2026-1204")]
    pub reference: String,
    pub title: String,
    pub reason: String,
    /// A BCOP status: `TENTATIVE`, `CONFIRMED` (default), `IN-PROCESS`, `COMPLETED`
    /// or `CANCELLED`; `RE-SCHEDULED` follows from a moved window.
    #[serde(default = "confirmed")]
    pub status: String,
    /// RFC 3339.
    pub start_date: String,
    pub end_date: String,
    pub services: Vec<MaintenanceServiceRecord>,
}

/// A service a maintenance affects, by its organization's and its own reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceServiceRecord {
    pub organization_ref: String,
    pub service_ref: String,
    /// `NO-IMPACT`, `REDUCED-REDUNDANCY`, `DEGRADED` or `OUTAGE`.
    pub impact: String,
}

fn confirmed() -> String {
    "CONFIRMED".into()
}

/// A customer organization and what belongs to it. References (`ref`, `accountRef`, …)
/// are the provider's own keys: unique per organization (organizations: globally),
/// 1–100 characters. A reference that is not in this document must already exist.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationRecord {
    #[serde(rename = "ref")]
    #[schema(example = "crm-4711")]
    pub reference: String,
    /// An organization made in OnePortal itself (`ORG-000001`, e.g. by `users create`)
    /// to take under this reference; not needed once it has one.
    pub organization_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub accounts: Vec<AccountRecord>,
    #[serde(default)]
    pub sites: Vec<SiteRecord>,
    #[serde(default)]
    pub services: Vec<ServiceRecord>,
    #[serde(default)]
    pub invoices: Vec<InvoiceRecord>,
    /// Updates to cases the customer opened: status changes, public replies, RFOs.
    #[serde(default)]
    pub cases: Vec<CaseUpdateRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `Contract` or `Delivery`.
    #[serde(rename = "type")]
    pub account_type: String,
    pub name: String,
    /// `Active` (default) or `Inactive`.
    #[serde(default = "active")]
    pub status: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// ISO 4217; `EUR` when left out.
    #[serde(default = "euro")]
    pub billing_currency: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SiteRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub account_ref: String,
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// `Active` (default) or `Inactive`.
    #[serde(default = "active")]
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub service_name: String,
    /// `GlobalInternet`, `SdWan`, `ManagedRouter`, `Ethernet` or `Wireless4G`.
    pub service_type: String,
    /// `InProgress`, `RFS`, `Suspended`, `PendingDeactivation` or `Deactivated`.
    pub status: String,
    pub contract_account_ref: String,
    pub delivery_account_ref: String,
    pub site_ref: String,
    #[serde(default)]
    pub downstream_mbps: i64,
    #[serde(default)]
    pub upstream_mbps: i64,
    /// `YYYY-MM-DD`.
    pub planned_delivery_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub ready_for_service_date: Option<String>,
    #[serde(default)]
    pub technical_note: String,
    /// `{ipAddresses, hardware, dnsRecords}`, shown to the customer as given.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub technical_details: serde_json::Value,
    #[serde(default)]
    pub customer_reference: String,
}

/// An invoice or credit note; its number is its key. Totals and line amounts may
/// be left out (then OnePortal computes them); when given they must add up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvoiceRecord {
    pub invoice_number: String,
    pub account_ref: String,
    /// `Invoice` or `CreditNote`.
    #[serde(rename = "type")]
    pub invoice_type: String,
    /// `Open`, `Paid`, `PartiallyPaid` or `Void`.
    pub status: String,
    /// `YYYY-MM-DD`, like every date of an invoice.
    pub invoice_date: String,
    pub due_date: String,
    pub billing_period_start: String,
    pub billing_period_end: String,
    /// ISO 4217.
    pub currency: String,
    pub subtotal: Option<String>,
    pub tax_total: Option<String>,
    pub total: Option<String>,
    /// `0.00` when left out.
    pub amount_paid: Option<String>,
    pub lines: Vec<InvoiceLineRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvoiceLineRecord {
    pub description: String,
    /// `Recurring`, `OneTime`, `Usage` or `Credit`.
    pub charge_type: String,
    pub service_ref: Option<String>,
    pub site_address: Option<String>,
    pub order_reference: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// A decimal string, e.g. `"1"` or `"250.5"`.
    pub quantity: String,
    pub unit_price: String,
    /// Percent, e.g. `"21"`.
    pub tax_rate: String,
    pub amount: Option<String>,
    pub tax_amount: Option<String>,
    pub total_amount: Option<String>,
}

/// The provider's side of a case the customer opened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseUpdateRecord {
    #[schema(example = "CASE-0000001")]
    pub case_id: String,
    /// The status the case should have, reached by one move the status machine allows
    /// the provider; the current status changes nothing.
    pub status: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// Public replies, each added once (keyed by its `ref`).
    #[serde(default)]
    pub communications: Vec<CommunicationRecord>,
    pub rfo: Option<RfoRecord>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommunicationRecord {
    #[serde(rename = "ref")]
    pub reference: String,
    pub message: String,
    /// Who the customer sees as the sender; `Support` when left out.
    pub sent_by: Option<String>,
}

/// An RFO as in `PUT /ops/v1/cases/{caseId}/rfo`; `affectedServiceIds` may also
/// hold service references.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfoRecord {
    pub status: RfoStatus,
    #[serde(flatten)]
    pub content: RfoContent,
}

fn active() -> String {
    oneportal_domain::catalog::SiteStatus::Active
        .as_str()
        .into()
}

fn euro() -> String {
    "EUR".into()
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

//! An invoice and its lines as API V2 answers them, and as the PDF and CSV
//! documents show them: one model for every way out.

use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{ChargeType, InvoiceStatus, InvoiceType, Money, is_overdue};
use oneportal_domain::query::parse_day;
use oneportal_store::invoices::{InvoiceLineRow, InvoiceRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// The dates an invoice charges for, inclusive, as `YYYY-MM-DD`.
#[derive(Serialize, ToSchema)]
pub struct BillingPeriod {
    #[schema(example = "2026-01-01")]
    pub start: String,
    #[schema(example = "2026-01-31")]
    pub end: String,
}

/// An invoice or credit note issued by the provider to one of your accounts.
///
/// Money fields are decimal strings with the currency's two decimals
/// (`"1234.50"`), never numbers, so no amount is ever rounded by a JSON parser.
/// A credit note's amounts are negative.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// This API's id for the invoice, for `/v2/invoices/{invoiceId}`.
    #[schema(example = "INV-0000001")]
    pub invoice_id: String,
    /// The number the provider printed on the invoice, to quote to its finance
    /// team. It is the provider's own numbering and may differ from `invoiceId`;
    /// the demo numbers invoices so that the two are equal.
    #[schema(example = "INV-0000001")]
    pub invoice_number: String,
    /// The billed account.
    #[schema(example = "ACC-000001")]
    pub account_id: String,
    #[serde(rename = "type")]
    pub invoice_type: InvoiceType,
    pub status: InvoiceStatus,
    /// True when the invoice is `Open` or `PartiallyPaid` and its due date has passed (UTC).
    pub is_overdue: bool,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-01-01")]
    pub invoice_date: String,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-01-31")]
    pub due_date: String,
    pub billing_period: BillingPeriod,
    /// ISO 4217.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Sum of the lines' `amount`, before tax.
    #[schema(value_type = String, example = "1000.00")]
    pub subtotal: Money,
    /// Sum of the lines' `taxAmount`.
    #[schema(value_type = String, example = "210.00")]
    pub tax_total: Money,
    /// `subtotal` + `taxTotal`.
    #[schema(value_type = String, example = "1210.00")]
    pub total: Money,
    /// What has been paid (or, for a credit note, set off) so far.
    #[schema(value_type = String, example = "0.00")]
    pub amount_paid: Money,
    /// `total` − `amountPaid`: what is still owed.
    #[schema(value_type = String, example = "1210.00")]
    pub amount_due: Money,
    /// RFC 3339; when OnePortal first received the invoice.
    pub created_date: String,
    /// RFC 3339; changes with the status or a payment (poll with `lastModifiedDate.gte`).
    pub last_modified_date: String,
}

impl From<InvoiceRow> for Invoice {
    fn from(i: InvoiceRow) -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        Invoice {
            invoice_id: IdKind::Invoice.format(i.id),
            invoice_number: i.invoice_number.clone(),
            account_id: IdKind::Account.format(i.account_id),
            invoice_type: i.invoice_type,
            status: i.status,
            is_overdue: parse_day(&i.due_date).is_some_and(|due| is_overdue(i.status, due, today)),
            amount_due: i.amount_due(),
            invoice_date: i.invoice_date,
            due_date: i.due_date,
            billing_period: BillingPeriod {
                start: i.billing_period_start,
                end: i.billing_period_end,
            },
            currency: i.currency,
            subtotal: i.subtotal,
            tax_total: i.tax_total,
            total: i.total,
            amount_paid: i.amount_paid,
            created_date: rfc3339(i.created_at),
            last_modified_date: rfc3339(i.updated_at),
        }
    }
}

/// One charge on an invoice, in the invoice's currency.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    #[schema(example = "Global Internet 500/500 Mbps, monthly fee")]
    pub description: String,
    pub charge_type: ChargeType,
    /// The service charged for (the service id doubles as the order id).
    #[schema(example = "SVC-000001")]
    pub service_id: Option<String>,
    #[schema(example = "Calle de Alcalá 45, 28014 Madrid, ES")]
    pub site_address: Option<String>,
    /// Your purchase order or order reference for the charge.
    #[schema(example = "PO-4500")]
    pub order_reference: Option<String>,
    /// `YYYY-MM-DD`; null for one-time charges.
    pub period_start: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub period_end: Option<String>,
    /// A decimal string (`"1"`, `"12.5"`).
    #[schema(example = "1")]
    pub quantity: String,
    #[schema(value_type = String, example = "450.00")]
    pub unit_price: Money,
    /// `quantity` × `unitPrice`, before tax.
    #[schema(value_type = String, example = "450.00")]
    pub amount: Money,
    /// Percent.
    #[schema(example = "21.00")]
    pub tax_rate: String,
    #[schema(value_type = String, example = "94.50")]
    pub tax_amount: Money,
    /// `amount` + `taxAmount`.
    #[schema(value_type = String, example = "544.50")]
    pub total_amount: Money,
}

impl From<InvoiceLineRow> for InvoiceLine {
    fn from(l: InvoiceLineRow) -> Self {
        InvoiceLine {
            description: l.description,
            charge_type: l.charge_type,
            service_id: l.service_id.map(|id| IdKind::Service.format(id)),
            site_address: l.site_address,
            order_reference: l.order_reference,
            period_start: l.period_start,
            period_end: l.period_end,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
            tax_rate: l.tax_rate,
            tax_amount: l.tax_amount,
            total_amount: l.total_amount,
        }
    }
}

//! Invoices and credit notes [BillingRead]: the list, one invoice, its lines,
//! and its two downloads (PDF summary, CSV of the lines), seen through the
//! caller's access scope: an invoice is visible when its account is.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{ChargeType, InvoiceStatus, InvoiceType, Money, is_overdue};
use oneportal_domain::query::parse_day;
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::invoices::{self, INVOICE_LINES, INVOICES, InvoiceLineRow, InvoiceRow};
use serde::Serialize;
use utoipa::ToSchema;

use super::cases::file_response;
use super::catalog::{id_of, not_found};
use super::pagination::{Page, detail_response, page_response, parse_list_query};
use super::rfc3339;
use crate::auth::caller::{Access, BillingRead};
use crate::documents;
use crate::http::ApiError;
use crate::http::problem::Problem;
use crate::state::AppState;

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

pub(crate) async fn visible_invoice(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<InvoiceRow, ApiError> {
    let id = id_of(IdKind::Invoice, id, "invoice")?;
    invoices::find_invoice(&state.db, scope, id)
        .await?
        .ok_or_else(|| not_found("invoice"))
}

/// The invoice and all its lines, for the downloads.
async fn invoice_with_lines(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<(InvoiceRow, Vec<InvoiceLine>), ApiError> {
    let row = visible_invoice(state, scope, id).await?;
    let lines = invoices::invoice_lines(&state.db, &row).await?;
    Ok((row, lines.into_iter().map(InvoiceLine::from).collect()))
}

/// List invoices.
#[utoipa::path(get, path = "/v2/invoices", tag = "Invoices", security(("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "Invoices and credit notes of the accounts you may see, newest first.\n\n\
        Filters: `status` (`Open`, `PartiallyPaid`, `Paid`, `Void`; `status=Open,PartiallyPaid` lists what is unpaid), \
        `type` (`Invoice`, `CreditNote`), `accountId` (`ACC-000001`), `invoiceNumber`, `currency` (ISO 4217), \
        `invoiceDate` and `dueDate` ranges with calendar dates (`invoiceDate.gte=2026-01-01&invoiceDate.lt=2026-04-01`), \
        `createdDate` and `lastModifiedDate` ranges with RFC 3339 timestamps (`lastModifiedDate.gte=2026-01-01T00:00:00Z` to poll for changes). \
        Suffixes: `.gte .gt .lte .lt`.\n\n\
        Sort: `invoiceDate` (default `-invoiceDate`), `dueDate`, `invoiceNumber`, `type`, `status`, `currency`, `createdDate`, `lastModifiedDate`; \
        `-` for descending. Amounts are not sortable.\n\n\
        Paging: `offset` and `limit` (default 50, max 200), or `cursor` with `pagination.nextCursor` for deep paging.",
    responses((status = 200, body = Page<Invoice>), (status = 400, description = "Unknown parameter, filter value or sort key; `errors[].pointer` names it", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/billing.read", body = Problem)))]
pub async fn list_invoices(
    State(state): State<AppState>,
    access: Access<BillingRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&INVOICES, raw.as_deref())?;
    let page = invoices::list_invoices(&state.db, &access.scope, &query).await?;
    Ok(page_response::<_, Invoice>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get an invoice.
#[utoipa::path(get, path = "/v2/invoices/{invoiceId}", tag = "Invoices", security(("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "One invoice or credit note with its totals. Send the `ETag` back in `If-None-Match` to poll cheaply: 304 until the invoice changes (a payment, or the day it becomes overdue).",
    params(("invoiceId" = String, Path, description = "INV-0000001")),
    responses((status = 200, body = Invoice, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/billing.read", body = Problem),
        (status = 404, description = "No such invoice among the accounts you may see", body = Problem)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    access: Access<BillingRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let invoice = visible_invoice(&state, &access.scope, &id).await?;
    Ok(detail_response(&headers, &Invoice::from(invoice)))
}

/// List an invoice's lines.
#[utoipa::path(get, path = "/v2/invoices/{invoiceId}/lines", tag = "Invoices", security(("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "The invoice's charges in printed order. Filters: `chargeType` (`Recurring`, `OneTime`, `Usage`, `Credit`), `serviceId` (`SVC-000001`). \
        Paging as for `GET /v2/invoices`; the order is fixed. For every line at once use `GET /v2/invoices/{invoiceId}/lines.csv`.",
    params(("invoiceId" = String, Path, description = "INV-0000001")),
    responses((status = 200, body = Page<InvoiceLine>), (status = 400, description = "Unknown parameter or filter value", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/billing.read", body = Problem),
        (status = 404, description = "No such invoice among the accounts you may see", body = Problem)))]
pub async fn list_invoice_lines(
    State(state): State<AppState>,
    access: Access<BillingRead>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let invoice = visible_invoice(&state, &access.scope, &id).await?;
    let query = parse_list_query(&INVOICE_LINES, raw.as_deref())?;
    let page = invoices::list_invoice_lines(&state.db, &invoice, &query).await?;
    Ok(page_response::<_, InvoiceLine>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Download an invoice's PDF summary.
#[utoipa::path(get, path = "/v2/invoices/{invoiceId}/document", tag = "Invoices", security(("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "The invoice as a PDF summary (an overview of the costs): number, account, dates, billing period, each line's amount, tax and total, and the amount due. \
        Sent as an attachment named after the invoice number (`INV-0000001.pdf`).",
    params(("invoiceId" = String, Path, description = "INV-0000001")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = inline(documents::BinaryFile), headers(("Content-Disposition" = String))),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/billing.read", body = Problem),
        (status = 404, description = "No such invoice among the accounts you may see", body = Problem)))]
pub async fn get_invoice_document(
    State(state): State<AppState>,
    access: Access<BillingRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    invoice_pdf(&state, &access.scope, &id).await
}

/// A visible invoice's PDF summary as a download (also the portal's link).
pub(crate) async fn invoice_pdf(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<Response, ApiError> {
    let (row, lines) = invoice_with_lines(state, scope, id).await?;
    // The invoice is visible, so its account is too.
    let account = catalog::find_account(&state.db, scope, row.account_id)
        .await?
        .ok_or_else(|| not_found("invoice"))?;
    let invoice = Invoice::from(row);
    let file_name = format!("{}.pdf", invoice.invoice_number);
    let pdf =
        documents::render_pdf(move || documents::invoice::render(&invoice, &account.name, &lines))
            .await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

/// Download an invoice's lines as CSV.
#[utoipa::path(get, path = "/v2/invoices/{invoiceId}/lines.csv", tag = "Invoices", security(("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "Every line of the invoice (the itemized bill) as RFC 4180 CSV in UTF-8: a header row, then one row per line with the fields of `InvoiceLine` \
        after `invoiceNumber` and `currency`. Amounts are decimal strings. Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-` or `@`) is prefixed with `'`. \
        Sent as an attachment named `INV-0000001-lines.csv`.",
    params(("invoiceId" = String, Path, description = "INV-0000001")),
    responses((status = 200, description = "The CSV", content_type = "text/csv; charset=utf-8", body = String, headers(("Content-Disposition" = String))),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/billing.read", body = Problem),
        (status = 404, description = "No such invoice among the accounts you may see", body = Problem)))]
pub async fn get_invoice_lines_csv(
    State(state): State<AppState>,
    access: Access<BillingRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    invoice_csv(&state, &access.scope, &id).await
}

/// A visible invoice's lines as a CSV download (also the portal's link).
pub(crate) async fn invoice_csv(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<Response, ApiError> {
    let (row, lines) = invoice_with_lines(state, scope, id).await?;
    let invoice = Invoice::from(row);
    let file_name = format!("{}-lines.csv", invoice.invoice_number);
    let csv = documents::invoice_csv::render(&invoice, &lines)
        .map_err(|e| ApiError::Internal(format!("writing the invoice CSV: {e}")))?;
    Ok(file_response("text/csv; charset=utf-8", &file_name, csv))
}

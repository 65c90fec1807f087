//! Invoices and credit notes [BillingRead]: the list, one invoice, its lines,
//! and its two downloads (PDF summary, CSV of the lines), seen through the
//! caller's access scope: an invoice is visible when its account is.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_store::invoices::{self, INVOICE_LINES, INVOICES};

use crate::access::{Access, BillingRead};
use crate::documents::{self, downloads};
use crate::http::ApiError;
use crate::http::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::models::invoice::{Invoice, InvoiceLine};
use crate::services::invoices::visible as visible_invoice;
use crate::state::AppState;

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
    downloads::invoice_pdf(&state, &access.scope, &id).await
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
    downloads::invoice_csv(&state, &access.scope, &id).await
}

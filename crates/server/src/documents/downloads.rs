//! The downloads the API and the portal both hand out: each finds the record
//! through the caller's access scope, renders it and answers it as a file.

use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::{self, CaseRow};
use oneportal_store::catalog::{self, AccessScope};

use crate::http::ApiError;
use crate::http::download::file_response;
use crate::http::public_id::not_found;
use crate::models::invoice::Invoice;
use crate::services::cases as case_service;
use crate::services::{invoices as invoice_service, rfo};
use crate::state::AppState;

/// An attachment of a visible case as a download (the API's and the portal's).
pub async fn attachment_download(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
    attachment_id: &str,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state.db, scope, id).await?;
    let missing = || ApiError::not_found(format!("{id} has no attachment '{attachment_id}'"));
    let number = IdKind::Attachment
        .parse(attachment_id)
        .ok_or_else(missing)?;
    let (row, content) = cases::attachment_content(&state.db, case.id, number)
        .await?
        .ok_or_else(missing)?;
    Ok(file_response(&row.content_type, &row.file_name, content))
}

/// The published RFO of a case as its PDF download (the API's and the portal's).
pub async fn rfo_pdf(state: &AppState, case: &CaseRow) -> Result<Response, ApiError> {
    let rfo = rfo::published(state, case).await?;
    let case_id = IdKind::Case.format(case.id);
    let file_name = format!("RFO-{case_id}-v{}.pdf", rfo.version);
    let case = case.clone();
    let pdf = super::render_pdf(move || super::rfo::render(&case, &rfo)).await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

/// A deactivation request's confirmation as a PDF (the API's, the portal's and
/// the staff pages'); a request not confirmed yet has none.
pub async fn deactivation_pdf(
    state: &AppState,
    row: &oneportal_store::deactivations::DeactivationRow,
) -> Result<Response, ApiError> {
    let id = IdKind::DeactivationRequest.format(row.id);
    if row.confirmed_at.is_none() {
        return Err(ApiError::NotFound {
            code: "not_confirmed",
            detail: format!(
                "{id} is {}: its confirmation document exists once the terms are confirmed",
                row.status
            ),
        });
    }
    let detail = crate::services::deactivations::detail(&state.db, row).await?;
    let file_name = format!("{id}-confirmation.pdf");
    let pdf = super::render_pdf(move || {
        super::deactivation::render(&detail, crate::models::maintenance::minute)
    })
    .await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

/// A visible invoice's PDF summary as a download (the API's and the portal's).
pub async fn invoice_pdf(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<Response, ApiError> {
    let (row, lines) = invoice_service::with_lines(state, scope, id).await?;
    // The invoice is visible, so its account is too.
    let account = catalog::find_account(&state.db, scope, row.account_id)
        .await?
        .ok_or_else(|| not_found("invoice"))?;
    let invoice = Invoice::from(row);
    let file_name = format!("{}.pdf", invoice.invoice_number);
    let pdf =
        super::render_pdf(move || super::invoice::render(&invoice, &account.name, &lines)).await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

/// A visible invoice's lines as a CSV download (the API's and the portal's).
pub async fn invoice_csv(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<Response, ApiError> {
    let (row, lines) = invoice_service::with_lines(state, scope, id).await?;
    let invoice = Invoice::from(row);
    let file_name = format!("{}-lines.csv", invoice.invoice_number);
    let csv = super::invoice_csv::render(&invoice, &lines)
        .map_err(|e| ApiError::Internal(format!("writing the invoice CSV: {e}")))?;
    Ok(file_response("text/csv; charset=utf-8", &file_name, csv))
}

/// A quote's current version as a PDF (the API's, the portal's and the staff pages').
pub async fn quote_pdf(
    state: &AppState,
    row: &oneportal_store::quotes::QuoteRow,
) -> Result<Response, ApiError> {
    let quote = crate::services::quotes::view(&state.db, row).await?;
    let organization = oneportal_store::orgs::find_organization(&state.db, row.org_id)
        .await?
        .map(|org| org.name)
        .unwrap_or_default();
    let file_name = format!("{}-v{}.pdf", quote.quote_id, quote.version);
    let pdf = super::render_pdf(move || {
        super::quote::render(&quote, &organization, crate::models::maintenance::minute)
    })
    .await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

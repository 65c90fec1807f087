//! Reading invoices through the caller's access scope.

use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::AccessScope;
use oneportal_store::invoices::{self, InvoiceRow};

use crate::http::ApiError;
use crate::http::public_id::{id_of, not_found};
use crate::models::invoice::InvoiceLine;
use crate::state::AppState;

/// The invoice with this public id, if the caller may see it.
pub async fn visible(
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
pub async fn with_lines(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<(InvoiceRow, Vec<InvoiceLine>), ApiError> {
    let row = visible(state, scope, id).await?;
    let lines = invoices::invoice_lines(&state.db, &row).await?;
    Ok((row, lines.into_iter().map(InvoiceLine::from).collect()))
}

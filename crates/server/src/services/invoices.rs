//! Reading invoices through the caller's access scope.

use oneportal_domain::ids::IdKind;
use oneportal_store::StoreError;
use oneportal_store::catalog::AccessScope;
use oneportal_store::invoices::{self, InvoiceRow, NewInvoice};
use oneportal_store::provisioning::Upserted;

use super::events;
use crate::cluster::Change;
use crate::http::ApiError;
use crate::http::public_id::{id_of, not_found};
use crate::http::time::rfc3339;
use crate::models::event::InvoiceIssued;
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

/// Writes an invoice from the back office (import); a new one is issued, which
/// is an `invoice.issued` event in the same transaction. Changes to an invoice
/// already issued (a payment, a correction) emit nothing yet.
pub async fn issue(state: &AppState, invoice: &NewInvoice) -> Result<Upserted, StoreError> {
    let tx = state.db.begin().await?;
    let outcome = invoices::upsert_invoice_in(&tx, invoice).await?;
    if let Upserted::Created(id) = outcome {
        let invoice_id = IdKind::Invoice.format(id);
        let data = InvoiceIssued {
            url: events::url(state, &format!("invoices/{invoice_id}")),
            invoice_id,
            invoice_number: invoice.invoice_number.clone(),
            invoice_type: invoice.invoice_type,
            account_id: IdKind::Account.format(invoice.account_id),
            currency: invoice.currency.clone(),
            total_amount: invoice.totals.total,
            due_date: invoice.due_date.to_string(),
            last_modified_date: rfc3339(invoice.at),
        };
        events::emit(&tx, invoice.org_id, id, &data).await?;
    }
    tx.commit().await?;
    if matches!(outcome, Upserted::Created(_)) {
        state
            .publish(Change::Events {
                orgs: vec![invoice.org_id],
            })
            .await;
    }
    Ok(outcome)
}

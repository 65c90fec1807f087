//! The import over HTTP: the same document and the same checks as
//! `oneportal import FILE.json`, for back-office systems that push changes.

use axum::Json;
use axum::extract::State;

use super::auth::Staff;
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::services::import::{self, ImportDocument, Summary};
use crate::state::AppState;

/// Import organizations, accounts, sites, services, invoices, case updates and RFOs.
#[utoipa::path(post, path = "/ops/v1/imports", tag = "Imports", security(("staffToken" = [])),
    request_body = ImportDocument,
    description = "Upserts everything in the document, keyed by the provider's own references (`ref`; invoices by `invoiceNumber`; cases by `caseId`). The whole document is checked first: if anything is wrong the answer is 422 listing every problem, each with a JSON Pointer into the document and the record named in words, and nothing is written. Importing the same document again changes nothing (every count comes back `unchanged`), so a failed or interrupted import is simply sent again. At most 64 MiB; use `oneportal import FILE.json` for larger files.",
    responses((status = 200, description = "What the import created, updated and left unchanged", body = Summary),
        (status = 413, description = "Larger than 64 MiB", body = crate::http::problem::Problem),
        (status = 409, description = "A case moved while the import ran; send it again", body = crate::http::problem::Problem)))]
pub async fn import(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(document): ApiJson<ImportDocument>,
) -> Result<Json<Summary>, ApiError> {
    let checked = import::check(&state, document).await?;
    let summary = import::apply(&state, checked, &staff.case_actor(), &|_| {}).await?;
    Ok(Json(summary))
}

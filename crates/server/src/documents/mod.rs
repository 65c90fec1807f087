//! Documents customers download: RFOs, invoices and confirmed deactivations as
//! PDF, invoice lines as CSV.

pub mod deactivation;
pub mod downloads;
pub mod invoice;
pub mod invoice_csv;
pub mod pdf;
pub mod quote;
pub mod rfo;

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::http::ApiError;

/// Lays out a PDF on the blocking pool, at most one per core at a time: more at
/// once would not finish sooner, only hold more half-built documents in memory
/// (64 invoice PDFs at once peaked near 600 MB before this limit).
pub async fn render_pdf(
    work: impl FnOnce() -> Vec<u8> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _slot = SLOTS
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the PDF renderer is closed".into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("rendering a PDF: {e}")))
}

// OpenAPI's `type: string, format: binary`, for `body = inline(BinaryFile)` beside
// a download's content type (a plain `Vec<u8>` would read as an array of integers).
/// The file's bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BinaryFile(pub Vec<u8>);

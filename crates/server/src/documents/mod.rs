//! Documents customers download: RFOs and invoices as PDF, invoice lines as CSV.

pub mod invoice;
pub mod invoice_csv;
pub mod pdf;
pub mod rfo;

// OpenAPI's `type: string, format: binary`, for `body = inline(BinaryFile)` beside
// a download's content type (a plain `Vec<u8>` would read as an array of integers).
/// The file's bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BinaryFile(pub Vec<u8>);

//! Documents customers download: RFOs and invoices as PDF, invoice lines as CSV.

pub mod invoice;
pub mod invoice_csv;
pub mod pdf;
pub mod rfo;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

// OpenAPI's `type: string, format: binary`, for `body = inline(BinaryFile)` beside
// a download's content type (a plain `Vec<u8>` would read as an array of integers).
/// The file's bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BinaryFile(pub Vec<u8>);

/// A download: the body with its type, saved under `file_name` rather than shown inline.
pub fn attachment(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// `stem.extension`, with anything but ASCII letters, digits, `-`, `_` and `.` in
/// the stem replaced by `_`: a provider's invoice number may hold a `/` or a quote,
/// which must not escape the `Content-Disposition` header or name a folder.
pub fn file_name(stem: &str, extension: &str) -> String {
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    if stem.is_empty() {
        format!("document.{extension}")
    } else {
        format!("{stem}.{extension}")
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_are_safe_in_a_header_and_on_disk() {
        assert_eq!(file_name("INV-0000001", "pdf"), "INV-0000001.pdf");
        assert_eq!(file_name("2026/01 \"A\"", "csv"), "2026_01__A_.csv");
        assert_eq!(file_name("../etc", "pdf"), "_etc.pdf");
        assert_eq!(file_name("", "pdf"), "document.pdf");
    }
}

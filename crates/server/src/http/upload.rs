//! A file uploaded as the `file` part of a `multipart/form-data` body (the API's
//! attachment upload and the portal's upload form read it the same way).

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::{ApiError, FieldError};

/// An uploaded file, checked by `services::cases::attach` against the size limit, the type allow-list,
/// its content's leading bytes and its name's characters.
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// The answer to a file past the attachment size limit.
pub fn too_large(max: u64) -> ApiError {
    ApiError::PayloadTooLarge {
        detail: format!(
            "attachments may be at most {} bytes ({} MiB); compress the file or split it",
            max,
            max / (1024 * 1024)
        ),
    }
}

/// Reads the `file` part of an upload (also the portal's upload form).
pub async fn read_file_part(multipart: &mut Multipart, max: u64) -> Result<Upload, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(max)
        } else {
            ApiError::bad_request(
                "invalid_multipart",
                format!("the multipart body could not be read: {}", e.body_text()),
            )
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "attachment".to_owned());
        let declared = field
            .content_type()
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
            .filter(|t| t != "application/octet-stream" && !t.is_empty());
        // Tools that do not know a file's type (curl -F without ;type=) say
        // application/octet-stream or nothing; then the file name's extension tells.
        let content_type = declared.unwrap_or_else(|| {
            mime_guess::from_path(&file_name)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned()
        });
        let mut content = Vec::new();
        // Read chunk by chunk so an oversized file is refused as soon as it passes the limit.
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if (content.len() + chunk.len()) as u64 > max {
                return Err(too_large(max));
            }
            content.extend_from_slice(&chunk);
        }
        return Ok(Upload {
            // Control and bidirectional characters stay, for `attach` to refuse by name.
            file_name: file_name.chars().take(255).collect(),
            content_type,
            content,
        });
    }
    Err(ApiError::BadRequest {
        code: "missing_file",
        detail: "the multipart body has no part named 'file'".into(),
        errors: vec![FieldError::new(
            "file",
            "required",
            "add the file as a part named 'file'",
        )],
    })
}

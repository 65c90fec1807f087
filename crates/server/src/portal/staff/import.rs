//! Importing a back-office file from a page: the same document, the same checks
//! (everything checked before anything is written) and the same writes as
//! `POST /ops/v1/imports`, with the summary or every problem shown.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::StaffSession;
use super::frame::layout;
use crate::http::ApiError;
use crate::portal::csrf;
use crate::portal::layout::Layout;
use crate::portal::{PortalError, render};
use crate::services::import::{self, ImportDocument, Summary};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/staff/import.html")]
struct ImportPage {
    layout: Layout,
    file_name: String,
    checked_only: bool,
    /// (kind, created, updated, unchanged) after a successful import or check.
    summary: Vec<(&'static str, u64, u64, u64)>,
    records: u64,
    error: String,
    problems: Vec<String>,
}

impl ImportPage {
    fn new(session: &StaffSession) -> ImportPage {
        ImportPage {
            layout: layout(session, "Import", "import"),
            file_name: String::new(),
            checked_only: false,
            summary: Vec::new(),
            records: 0,
            error: String::new(),
            problems: Vec::new(),
        }
    }
}

fn summary_rows(s: &Summary) -> Vec<(&'static str, u64, u64, u64)> {
    [
        ("Organizations", s.organizations),
        ("Accounts", s.accounts),
        ("Sites", s.sites),
        ("Services", s.services),
        ("Invoices", s.invoices),
        ("Case messages", s.communications),
        ("Case status changes", s.status_changes),
        ("RFOs", s.rfos),
    ]
    .into_iter()
    .map(|(kind, c)| (kind, c.created, c.updated, c.unchanged))
    .collect()
}

pub async fn form(session: StaffSession) -> Result<Response, PortalError> {
    render::page(&ImportPage::new(&session))
}

/// The uploaded file, its name and whether only a check was asked for.
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    check_only: bool,
}

async fn read_upload(multipart: &mut Multipart) -> Result<Upload, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad_request(
                "too_large",
                "the file is larger than 64 MiB; import it with `oneportal import FILE.json`",
            )
        } else {
            ApiError::bad_request(
                "invalid_multipart",
                format!("the upload could not be read: {}", e.body_text()),
            )
        }
    };
    let mut upload = Upload {
        file_name: String::new(),
        bytes: Vec::new(),
        check_only: false,
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("check") => upload.check_only = true,
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: StaffSession,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PortalError> {
    // The form sends the token first, so it is checked before the file is read.
    let mut multipart = multipart.map_err(|_| PortalError::BadForm)?;
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
        _ => None,
    };
    csrf::verify(&state, &headers, &session, token.as_deref())?;
    let mut page = ImportPage::new(&session);
    let result = async {
        let upload = read_upload(&mut multipart).await?;
        page.file_name = upload.file_name.clone();
        page.checked_only = upload.check_only;
        if upload.bytes.is_empty() {
            return Err(ApiError::bad_request(
                "file_required",
                "choose an import file (JSON, as `oneportal import` takes)",
            ));
        }
        let document: ImportDocument = crate::http::json::parse(&upload.bytes)?;
        let checked = import::check(&state, document).await?;
        if upload.check_only {
            page.records = checked.records();
            return Ok(None);
        }
        let summary = import::apply(&state, checked, &session.case_actor(), &|_| {}).await?;
        Ok(Some(summary))
    }
    .await;
    match result {
        Ok(summary) => {
            page.summary = summary.as_ref().map(summary_rows).unwrap_or_default();
            render::page(&page)
        }
        Err(error) => {
            let status = match &error {
                ApiError::BadRequest { .. } | ApiError::Unprocessable { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                ApiError::Conflict { .. } => StatusCode::CONFLICT,
                _ => return Err(error.into()),
            };
            let (detail, problems) = match &error {
                ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => (
                    error.to_string(),
                    errors
                        .iter()
                        .map(|e| {
                            if e.pointer.is_empty() {
                                e.detail.clone()
                            } else {
                                format!("{}: {}", e.pointer, e.detail)
                            }
                        })
                        .collect(),
                ),
                other => (other.to_string(), Vec::new()),
            };
            page.error = crate::portal::error::capitalize(&detail);
            page.problems = problems;
            render::page_with_status(status, &page)
        }
    }
}

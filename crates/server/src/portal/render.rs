//! Turning an askama template into an HTML answer.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::PortalError;

pub fn page<T: Template>(template: &T) -> Result<Response, PortalError> {
    page_with_status(StatusCode::OK, template)
}

pub fn page_with_status<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<Response, PortalError> {
    let body = template.render()?;
    Ok((status, Html(body)).into_response())
}

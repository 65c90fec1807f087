//! A portal error as the page its reader sees (or, for a missing login, the
//! redirect to the login), kept apart from the error type so that the type does
//! not depend on the page frame.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::error::{PortalError, safe_next, safe_next_under};
use super::layout::Layout;

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    details: Vec<String>,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        if let PortalError::LoginRequired { next } = &self {
            let target = format!(
                "/portal/login?next={}",
                percent_encoding::utf8_percent_encode(
                    safe_next(next),
                    percent_encoding::NON_ALPHANUMERIC
                )
            );
            return Redirect::to(&target).into_response();
        }
        if let PortalError::StaffLoginRequired { next } = &self {
            let target = format!(
                "/staff/login?next={}",
                percent_encoding::utf8_percent_encode(
                    safe_next_under("/staff/", next),
                    percent_encoding::NON_ALPHANUMERIC
                )
            );
            return Redirect::to(&target).into_response();
        }
        let (status, heading, message, details) = self.describe();
        let page = ErrorPage {
            layout: Layout::public(heading.clone()),
            heading,
            message,
            details,
        };
        match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, "The portal could not show this page.").into_response(),
        }
    }
}

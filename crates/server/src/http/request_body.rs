//! Request bodies: a deadline for the whole body (`http.body_read_timeout_secs`),
//! so a client trickling a body cannot hold a connection and a task for long, and
//! one shape for refused bodies: every 413 and every body timeout (408) is an
//! RFC 9457 problem document naming the limit, whatever part of the stack refused it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::{Instant, Sleep};

use super::ApiError;

/// The body limit of every route that does not set its own.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// The largest body a route accepts, for the 413 that names it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A route's body limit: axum's, and the figure its 413 names.
pub fn limit(max: usize) -> (DefaultBodyLimit, axum::Extension<BodyLimit>) {
    (DefaultBodyLimit::max(max), axum::Extension(BodyLimit(max)))
}

/// The text of a 413.
pub fn too_large_detail(max: usize) -> String {
    format!("the request body is larger than the {max} bytes this endpoint accepts")
}

/// Whether this request's body missed its deadline; in the request's extensions.
#[derive(Debug, Clone)]
pub struct BodyDeadline {
    expired: Arc<AtomicBool>,
    pub after: Duration,
}

impl BodyDeadline {
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    /// The text of a 408.
    pub fn detail(&self) -> String {
        format!(
            "the request body did not arrive within {} seconds; send it in one go",
            self.after.as_secs()
        )
    }
}

/// Puts the body under its deadline, and answers a refused body as a problem document.
/// The state is how long a body may take (`[http] body_read_timeout`).
pub async fn middleware(State(after): State<Duration>, request: Request, next: Next) -> Response {
    // A request without a body (most of them) needs no deadline and no timer.
    if request.body().is_end_stream() {
        return refused_as_problem(next.run(request).await, None);
    }
    let deadline = BodyDeadline {
        expired: Arc::new(AtomicBool::new(false)),
        after,
    };
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(deadline.clone());
    let body = Body::new(DeadlineBody {
        inner: body,
        until: Instant::now() + after,
        sleep: None,
        expired: deadline.expired.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    refused_as_problem(response, Some(&deadline))
}

/// A 408 for a body that missed its deadline, whatever the handler made of the
/// broken body; a problem document for a bare 413.
fn refused_as_problem(response: Response, deadline: Option<&BodyDeadline>) -> Response {
    if let Some(deadline) = deadline.filter(|d| d.expired())
        && response.status() != StatusCode::REQUEST_TIMEOUT
    {
        return ApiError::RequestTimeout {
            detail: deadline.detail(),
        }
        .into_response();
    }
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && is_plain_text(&response) {
        return ApiError::PayloadTooLarge {
            detail: too_large_detail(DEFAULT_MAX_BYTES),
        }
        .into_response();
    }
    response
}

/// axum's extractors refuse in plain text; a handler's own 413 (a problem, the
/// portal's page beside the upload field) is already what its reader expects.
fn is_plain_text(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"))
}

/// Sent with a 408: the rest of the body may still be on its way, so the connection cannot be reused.
pub fn close_connection(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// A body that fails once its deadline has passed. The timer starts only when the
/// body is not all there already, so a request whose body arrived with its headers costs no timer.
struct DeadlineBody {
    inner: Body,
    until: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let until = self.until;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

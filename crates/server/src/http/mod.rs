//! Cross-cutting HTTP pieces: request ids, problem details, security headers, JSON bodies.

pub mod idempotency;
pub mod json;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod response_cache;
pub mod security_headers;

pub use problem::{ApiError, FieldError};

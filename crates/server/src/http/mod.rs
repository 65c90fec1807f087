//! Cross-cutting HTTP pieces: the accept loop and its limits, request ids, problem
//! details, security headers, JSON bodies and their limits.

pub mod connection_limits;
pub mod idempotency;
pub mod json;
pub mod problem;
pub mod rate_limit;
pub mod request_body;
pub mod request_id;
pub mod response_cache;
pub mod security_headers;
pub mod server;
pub mod source;
pub mod time;

pub use problem::{ApiError, FieldError};

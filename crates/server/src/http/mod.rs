//! Cross-cutting HTTP pieces: the accept loop and its limits, request ids, problem
//! details, security headers, JSON bodies and their limits.

pub mod connection_limits;
pub mod download;
pub mod idempotency;
pub mod json;
pub mod openapi;
pub mod outbound;
pub mod pagination;
pub mod problem;
pub mod prometheus_api;
pub mod public_id;
pub mod rate_limit;
pub mod request_body;
pub mod request_id;
pub mod response_cache;
pub mod security_headers;
pub mod server;
pub mod source;
pub mod time;
pub mod token_limits;
pub mod upload;

pub use problem::{ApiError, FieldError};

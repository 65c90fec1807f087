//! Network performance (PRODUCT §9): the provider's measurements of each
//! service, pushed with Prometheus remote-write, rolled up, and read back as
//! charts.
//!
//! - [`remote_write`]: the wire format, decoded with its limits;
//! - [`intake`]: pushed series mapped to services' measurements and stored;
//! - [`rollup`]: five-minute and hourly points, and retention, in the background;
//! - [`source`]: where measurements are read from, this database or [`prometheus`];
//! - [`query`]: a service's chart over a window;
//! - [`exposition`]: the latest values, for the customer's Prometheus to scrape.

pub mod exposition;
pub mod intake;
pub mod prometheus;
pub mod query;
pub mod remote_write;
pub mod rollup;
pub mod source;

//! Response models that more than one way out shares (API V2, portal pages,
//! documents), kept apart from the handlers so that documents and pages take
//! models, not handlers.

pub mod case;
pub mod catalog;
pub mod deactivation;
pub mod event;
pub mod invoice;
pub mod maintenance;
pub mod maintenance_calendar;
pub mod metrics;
pub mod monitoring;
pub mod order;
pub mod quote;
pub mod webhook;

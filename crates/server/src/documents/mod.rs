//! Documents customers download: RFOs and invoices as PDF, invoice lines as CSV.

pub mod pdf;
pub mod rfo;

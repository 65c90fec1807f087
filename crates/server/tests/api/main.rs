//! OnePortal's integration tests: a real server on a real port, a real database.
//! `ONEPORTAL_TEST_BACKEND=postgres` runs them against PostgreSQL
//! (`ONEPORTAL_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/postgres).

mod access_matrix;
mod api_clients;
mod browser;
mod cases;
mod catalog;
mod conventions;
mod cost_bounds;
mod crash_safety;
mod database_faults;
mod deactivations;
mod demo;
mod events;
mod helpers;
mod hygiene;
mod import_lifecycle;
mod imports;
mod invoices;
mod keys;
mod maintenances;
mod metrics;
mod monitoring;
mod notifications;
mod oauth_library;
mod openapi;
mod operations;
mod orders;
mod portal;
mod portal_staff;
mod portal_support;
mod portal_users;
mod processes;
mod quotes;
mod restricted_access;
mod several_nodes;
mod tampering;
mod token_endpoint;
mod webhooks;

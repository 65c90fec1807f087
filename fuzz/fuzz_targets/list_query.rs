//! The list query parser (filters, date ranges, sort, offset/limit, cursor) with
//! every list endpoint's rules. Input: one byte picks the endpoint, the rest is
//! the raw query string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oneportal::api::pagination::parse_list_query;
use oneportal_domain::query::{Cursor, ListSpec, Start};
use oneportal_store::{cases, catalog, invoices};

const SPECS: [&ListSpec; 8] = [
    &catalog::ACCOUNTS,
    &catalog::SITES,
    &catalog::SERVICES,
    &cases::CASES,
    &invoices::INVOICES,
    &invoices::INVOICE_LINES,
    &oneportal::api::api_clients::API_CLIENTS,
    &oneportal::api::cases::IN_MEMORY,
];

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let spec = SPECS[usize::from(*pick) % SPECS.len()];
    if let Ok(query) = parse_list_query(spec, Some(raw))
        && let Start::After(cursor) = &query.start
    {
        // The next page's link encodes a cursor again.
        let _ = cursor.encode();
    }
    let _ = Cursor::decode(raw);
});

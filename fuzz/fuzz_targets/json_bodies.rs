//! The JSON bodies of the creating endpoints, through the handlers' own parser
//! (`http::json::parse`) and the checks the services run before the database:
//! `POST /v2/api-clients`, `POST /v2/cases`, `POST /v2/cases/{id}/communications`.
//! Input: one byte picks the body, the rest is the body.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use oneportal::api::api_clients::CreateApiClient;
use oneportal::api::cases::{NewCaseBody, ReplyBody, case_request};
use oneportal::directory::UserEntry;
use oneportal::http::json;
use oneportal::services::{api_clients, cases};
use oneportal_domain::{PermissionSet, UserStatus};

/// A developer with every permission, so the scope checks run to the end.
static CREATOR: LazyLock<UserEntry> = LazyLock::new(|| UserEntry {
    id: 1,
    org_id: 1,
    email: "developer@example.test".into(),
    status: UserStatus::Active,
    permissions: PermissionSet::all(),
    contract_accounts: Vec::new(),
    delivery_accounts: Vec::new(),
});

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Ok(client) = json::parse::<CreateApiClient>(body) {
                let _ = api_clients::check_new_client(
                    &CREATOR,
                    &client.api_client_name,
                    &client.scopes,
                );
            }
        }
        1 => {
            if let Ok(request) = json::parse::<NewCaseBody>(body).and_then(case_request) {
                let mut errors = Vec::new();
                let _ = cases::check_fields(&request, "developer@example.test", &mut errors);
            }
        }
        _ => {
            if let Ok(reply) = json::parse::<ReplyBody>(body) {
                let _ = cases::check_message("/message", &reply.message);
            }
        }
    }
});

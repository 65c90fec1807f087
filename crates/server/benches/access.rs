//! Micro benchmark for the access rule every API V2 request passes: the
//! `Access<Scope>` extractor (bearer token, verified-token cache, the caller's
//! current status, the scope check, the organization and account restrictions),
//! on a real `AppState` over a temporary SQLite database, with warm caches as in
//! steady traffic.
//! Run: `cargo bench -p oneportal --bench access`.

use axum::extract::FromRequestParts;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use oneportal::access::{Access, BasicRead, BillingRead, SupportRead};
use oneportal::auth::tokens::{TokenRequest, TokenUse};
use oneportal::config::Config;
use oneportal::state::AppState;
use oneportal_domain::catalog::AccountType;
use oneportal_domain::{ApiScope, PermissionSet, ScopeSet};
use oneportal_store::orgs::{self, NewAccount};
use oneportal_store::users::{self, NewUser};
use std::hint::black_box;

struct Fixture {
    state: AppState,
    user_token: String,
    restricted_token: String,
    client_token: String,
    _dir: tempfile::TempDir,
}

async fn user(state: &AppState, org_id: i64, email: &str, permissions: PermissionSet) -> i64 {
    users::insert(
        &state.db,
        NewUser {
            org_id,
            email,
            first_name: "Bench",
            last_name: "User",
            phone: "",
            country: "",
            user_type: "Personal",
            kind: "MyOrganization",
            status: "Active",
            permissions: &permissions.to_codes(),
            password_hash: None,
        },
    )
    .await
    .unwrap()
}

async fn token_of(state: &AppState, user_id: i64) -> String {
    let entry = state
        .directory
        .user(&state.db, user_id)
        .await
        .unwrap()
        .unwrap();
    oneportal::services::users::mint_user_token(
        &state.db,
        &state.authority,
        &state.keys.current(),
        &entry,
        3600,
        &oneportal::audit::Actor::Cli,
    )
    .await
    .unwrap()
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let state = oneportal::offline_state(config).await.unwrap();
    let org_id = orgs::create_organization(&state.db, "Bench Org")
        .await
        .unwrap();
    let everything = PermissionSet::all();
    let admin = user(&state, org_id, "admin@bench.example", everything).await;
    let user_token = token_of(&state, admin).await;

    // A user who sees two contract accounts and one delivery account.
    let mut accounts = Vec::new();
    for (kind, name) in [
        (AccountType::Contract, "C1"),
        (AccountType::Contract, "C2"),
        (AccountType::Delivery, "D1"),
    ] {
        let account = NewAccount {
            org_id,
            account_type: kind,
            name,
            country: "NL",
            billing_currency: "EUR",
        };
        accounts.push(orgs::create_account(&state.db, account).await.unwrap());
    }
    let restricted = user(&state, org_id, "restricted@bench.example", everything).await;
    users::set_account_access(&state.db, restricted, &accounts)
        .await
        .unwrap();
    let restricted_token = token_of(&state, restricted).await;

    // An API client of the admin's, with a client-credentials token.
    let entry = state
        .directory
        .user(&state.db, admin)
        .await
        .unwrap()
        .unwrap();
    let scopes = vec!["BasicRead".to_owned(), "SupportRead".to_owned()];
    let (client, _secret) =
        oneportal::services::api_clients::create(&state, &entry, "bench", &scopes, None)
            .await
            .unwrap();
    let (client_token, _) = state.authority.issue(
        &state.keys.current(),
        TokenRequest {
            subject: &client.row.client_id,
            client_id: &client.row.client_id,
            org_id,
            scopes: [ApiScope::BasicRead, ApiScope::SupportRead]
                .into_iter()
                .collect::<ScopeSet>(),
            token_use: TokenUse::Client,
            ttl_secs: 3600,
        },
    );
    Fixture {
        state,
        user_token,
        restricted_token,
        client_token,
        _dir: dir,
    }
}

fn parts(token: &str) -> axum::http::request::Parts {
    Request::get("/v2/cases")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn access(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fx = runtime.block_on(fixture());
    let state = &fx.state;
    let cases = [
        ("user token, whole organization", &fx.user_token),
        ("user token, restricted to 3 accounts", &fx.restricted_token),
        ("client token (owner's access)", &fx.client_token),
    ];
    for (name, token) in cases {
        // Warm the caches once, and prove the rule answers yes.
        let mut warm = parts(token);
        runtime
            .block_on(Access::<SupportRead>::from_request_parts(&mut warm, state))
            .unwrap_or_else(|_| panic!("{name} may read cases"));
        c.bench_function(&format!("access rule: {name}, support.read granted"), |b| {
            b.iter_batched_ref(
                || parts(token),
                |p| {
                    runtime
                        .block_on(Access::<SupportRead>::from_request_parts(
                            black_box(p),
                            state,
                        ))
                        .is_ok()
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    let mut warm = parts(&fx.client_token);
    assert!(
        runtime
            .block_on(Access::<BasicRead>::from_request_parts(&mut warm, state))
            .is_ok()
    );
    c.bench_function("access rule: client token, billing.read refused", |b| {
        b.iter_batched_ref(
            || parts(&fx.client_token),
            |p| {
                runtime
                    .block_on(Access::<BillingRead>::from_request_parts(
                        black_box(p),
                        state,
                    ))
                    .is_err()
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, access);
criterion_main!(benches);

//! `serve --demo`: a demo organization with users per permission set, and a
//! welcome that shows how to log in and a curl sequence that works when pasted.

use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::orgs::{self, NewAccount};
use oneportal_store::users;

use crate::audit::Actor;
use crate::services::users::{NewUserInput, create};
use crate::state::AppState;

pub const ORGANIZATION: &str = "ACME Corporation";

/// The demo users: email, name, permissions.
pub fn demo_users() -> Vec<(&'static str, &'static str, &'static str, PermissionSet)> {
    use Permission::*;
    let set = |p: &[Permission]| p.iter().copied().collect::<PermissionSet>();
    vec![
        ("admin@acme.example", "Ada", "Admin", PermissionSet::all()),
        (
            "developer@acme.example",
            "Dev",
            "Eloper",
            set(&[SitesServicesView, DeveloperPortal]),
        ),
        (
            "viewer@acme.example",
            "Vic",
            "Viewer",
            set(&[SitesServicesView]),
        ),
        (
            "support@acme.example",
            "Sam",
            "Support",
            set(&[SitesServicesView, SupportEdit, DeveloperPortal]),
        ),
        (
            "billing@acme.example",
            "Bill",
            "Ing",
            set(&[SitesServicesView, BillingView, DeveloperPortal]),
        ),
    ]
}

/// Creates the demo organization on first run; on later runs sets the demo password again.
pub async fn seed(state: &AppState, password: &str) -> anyhow::Result<()> {
    let db = &state.db;
    let org_id = match orgs::find_organization_by_name(db, ORGANIZATION).await? {
        Some(org) => org.id,
        None => {
            let org_id = orgs::create_organization(db, ORGANIZATION).await?;
            for (account_type, name, country, currency) in [
                ("Contract", "ACME South", "ES", "EUR"),
                ("Contract", "ACME East", "PL", "EUR"),
                ("Contract", "ACME North", "SE", "SEK"),
                ("Delivery", "PEAR Corp", "NL", "EUR"),
            ] {
                orgs::create_account(
                    db,
                    NewAccount {
                        org_id,
                        account_type,
                        name,
                        country,
                        billing_currency: currency,
                    },
                )
                .await?;
            }
            org_id
        }
    };
    let hash = crate::auth::password::hash(password.to_owned()).await?;
    for (email, first, last, permissions) in demo_users() {
        match users::find_by_email(db, email).await? {
            Some(user) => users::set_password_hash(db, user.id, &hash).await?,
            None => {
                let input = NewUserInput {
                    org_id,
                    email,
                    first_name: first,
                    last_name: last,
                    permissions,
                    password: Some(password.to_owned()),
                };
                create(db, &Actor::System, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding {email}: {e}"))?;
            }
        }
    }
    Ok(())
}

pub fn print_welcome(state: &AppState, password: &str) {
    let url = &state.public_url;
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "oneportal".into());
    let storage = if state.config.database_url.is_some() {
        "--database-url \"$ONEPORTAL_DATABASE_URL\"".to_owned()
    } else {
        format!("--data-dir {}", state.config.data_dir.display())
    };
    // The token's issuer must be this server's URL.
    let data = format!("{storage} --public-url {url}");
    let users: String = demo_users()
        .iter()
        .map(|(email, _, _, p)| {
            let labels: Vec<_> = p.iter().map(|p| p.label()).collect();
            let what = if *p == PermissionSet::all() {
                "every permission".to_owned()
            } else {
                labels.join(", ")
            };
            format!("    {email:<26} {what}\n")
        })
        .collect();
    println!(
        r#"
OnePortal demo is running at {url}

  Organization: {ORGANIZATION}
  Demo users (password: {password}):
{users}
  Try the API (paste into another terminal):

    TOKEN=$({exe} users token --email developer@acme.example {data})
    curl -s -X POST {url}/v2/api-clients -H "Authorization: Bearer $TOKEN" \
         -H 'Content-Type: application/json' -d '{{"apiClientName": "ScopeName1", "scopes": ["BasicRead"]}}' | tee client.json
    ID=$(sed -E 's/.*"clientId":"([^"]+)".*/\1/' client.json); SECRET=$(sed -E 's/.*"clientSecret":"([^"]+)".*/\1/' client.json)
    ACCESS=$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials -d scope=customerapi/basic.read {url}/oauth2/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
    curl -s {url}/v2/me -H "Authorization: Bearer $ACCESS"

  Discovery: {url}/.well-known/oauth-authorization-server   API reference: {url}/v2/openapi.json
"#
    );
}

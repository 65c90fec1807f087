//! Records the provider keys with its own references (`external_ref`): the
//! import and the operations API write organizations, accounts, sites and
//! services through here, so writing the same record twice changes nothing.

use crate::stored::Stored;
use crate::{Arg, Exec, StoreError, args};
use oneportal_domain::catalog::{AccountType, ServiceStatus};

/// What an upsert did, with the record's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Upserted {
    pub fn id(self) -> i64 {
        match self {
            Upserted::Created(id) | Upserted::Updated(id) | Upserted::Unchanged(id) => id,
        }
    }
}

/// The tables keyed by the provider's references; organizations are keyed
/// globally, the others within their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    Organization,
    Account { org_id: i64 },
    Site { org_id: i64 },
    Service { org_id: i64 },
}

impl Keyed {
    fn table(self) -> &'static str {
        match self {
            Keyed::Organization => "organizations",
            Keyed::Account { .. } => "accounts",
            Keyed::Site { .. } => "sites",
            Keyed::Service { .. } => "services",
        }
    }

    fn org_id(self) -> Option<i64> {
        match self {
            Keyed::Organization => None,
            Keyed::Account { org_id } | Keyed::Site { org_id } | Keyed::Service { org_id } => {
                Some(org_id)
            }
        }
    }

    /// Organizations have no `updated_at`: nothing lists them by change.
    fn tracks_updates(self) -> bool {
        self != Keyed::Organization
    }

    /// `org_id = $1 AND external_ref = $2`, or `external_ref = $1`; the key's arguments.
    fn key_clause(self, reference: &str) -> (String, Vec<Arg>) {
        match self.org_id() {
            Some(org_id) => (
                "org_id = $1 AND external_ref = $2".to_owned(),
                args![org_id, reference],
            ),
            None => ("external_ref = $1".to_owned(), args![reference]),
        }
    }
}

/// The id of the record with this reference, if there is one.
pub async fn find(
    db: &impl Exec,
    keyed: Keyed,
    reference: &str,
) -> Result<Option<i64>, StoreError> {
    let (key, args) = keyed.key_clause(reference);
    let sql = format!("SELECT id FROM {} WHERE {key}", keyed.table());
    let rows: Vec<(i64,)> = db.fetch_all_dynamic(sql, args).await?;
    Ok(rows.first().map(|(id,)| *id))
}

/// Gives an organization made in OnePortal the provider's reference; false when
/// it has another reference already (or does not exist).
pub async fn adopt_organization(
    db: &impl Exec,
    org_id: i64,
    reference: &str,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "UPDATE organizations SET external_ref = $1 WHERE id = $2 AND (external_ref IS NULL OR external_ref = $1)",
            args![reference, org_id],
        )
        .await?;
    Ok(changed == 1)
}

/// An organization's reference, if it has one.
pub async fn organization_ref(
    db: &impl Exec,
    org_id: i64,
) -> Result<Option<Option<String>>, StoreError> {
    let found: Option<(Option<String>,)> = db
        .fetch_optional(
            "SELECT external_ref FROM organizations WHERE id = $1",
            args![org_id],
        )
        .await?;
    Ok(found.map(|(r,)| r))
}

/// `Contract` or `Delivery`, for an account id.
pub async fn account_type(
    db: &impl Exec,
    account_id: i64,
) -> Result<Option<AccountType>, StoreError> {
    let found: Option<(Stored<AccountType>,)> = db
        .fetch_optional(
            "SELECT account_type FROM accounts WHERE id = $1",
            args![account_id],
        )
        .await?;
    Ok(found.map(|(t,)| t.0))
}

/// Inserts the record, or sets `columns` on the one with the same reference
/// when any of them differs (then `updated_at` moves to `at`); a record that
/// already holds these values is left alone, `updated_at` included.
/// Column names come from the caller's code, never from input.
pub async fn upsert(
    db: &impl Exec,
    keyed: Keyed,
    reference: &str,
    columns: &[(&'static str, Arg)],
    at: i64,
) -> Result<Upserted, StoreError> {
    let table = keyed.table();
    let (key, key_args) = keyed.key_clause(reference);
    let first_value = key_args.len() + 1;
    let placeholders = |from: usize| (from..from + columns.len()).map(|n| format!("${n}"));
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<Arg> = columns.iter().map(|(_, value)| value.clone()).collect();
    let at_placeholder = format!("${}", first_value + columns.len());

    let mut insert_columns = vec!["org_id", "external_ref"];
    let mut insert_values: Vec<String> = vec!["$1".into(), "$2".into()];
    if keyed.org_id().is_none() {
        insert_columns.remove(0);
        insert_values = vec!["$1".into()];
    }
    insert_columns.extend(names.iter().copied());
    insert_values.extend(placeholders(first_value));
    insert_columns.push("created_at");
    insert_values.push(at_placeholder.clone());
    if keyed.tracks_updates() {
        insert_columns.push("updated_at");
        insert_values.push(at_placeholder.clone());
    }
    let conflict = if keyed.org_id().is_some() {
        "org_id, external_ref"
    } else {
        "external_ref"
    };
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({conflict}) DO NOTHING RETURNING id",
        insert_columns.join(", "),
        insert_values.join(", ")
    );
    let mut args = key_args.clone();
    args.extend(values.iter().cloned());
    args.push(Arg::from(at));
    let created: Vec<(i64,)> = db.fetch_all_dynamic(insert, args).await?;
    if let Some((id,)) = created.first() {
        return Ok(Upserted::Created(*id));
    }

    let mut sets: Vec<String> = names
        .iter()
        .zip(placeholders(first_value))
        .map(|(name, p)| format!("{name} = {p}"))
        .collect();
    if keyed.tracks_updates() {
        sets.push(format!("updated_at = {at_placeholder}"));
    }
    let differs: Vec<String> = names
        .iter()
        .zip(placeholders(first_value))
        .map(|(name, p)| format!("{name} IS DISTINCT FROM {p}"))
        .collect();
    let update = format!(
        "UPDATE {table} SET {} WHERE {key} AND ({}) RETURNING id",
        sets.join(", "),
        differs.join(" OR ")
    );
    let mut args = key_args;
    args.extend(values);
    if keyed.tracks_updates() {
        args.push(Arg::from(at));
    }
    let updated: Vec<(i64,)> = db.fetch_all_dynamic(update, args).await?;
    if let Some((id,)) = updated.first() {
        return Ok(Upserted::Updated(*id));
    }
    find(db, keyed, reference)
        .await?
        .map(Upserted::Unchanged)
        .ok_or(StoreError::NotFound)
}

/// The id and status of the organization's service with this reference, if any.
pub async fn service_status(
    db: &impl Exec,
    org_id: i64,
    reference: &str,
) -> Result<Option<(i64, ServiceStatus)>, StoreError> {
    let found: Option<(i64, Stored<ServiceStatus>)> = db
        .fetch_optional(
            "SELECT id, status FROM services WHERE org_id = $1 AND external_ref = $2",
            args![org_id, reference],
        )
        .await?;
    Ok(found.map(|(id, status)| (id, status.0)))
}

/// Gives a service OnePortal created (an order's line) the provider's
/// reference, unless it has one already; `false` when it had.
pub async fn set_service_ref(
    db: &impl Exec,
    org_id: i64,
    service_id: i64,
    reference: &str,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "UPDATE services SET external_ref = $3 \
             WHERE id = $1 AND org_id = $2 AND external_ref IS NULL",
            args![service_id, org_id, reference],
        )
        .await?;
    Ok(changed == 1)
}

//! Writes a checked import plan. Every write is an upsert keyed by the
//! provider's reference, so a run that stops half-way (a crash, a lost
//! connection) is finished by running the same import again.

use std::collections::HashMap;

use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::MaintenanceStatus;
use oneportal_store::provisioning::{self, Keyed, Upserted};
use oneportal_store::{Arg, Exec, Tx, cases, maintenances, now_ms};

use super::check::RefKind;
use super::prepare::{Linked, MaintenancePlan, OrganizationPlan, Plan};
use super::summary::Summary;
use crate::cluster::Change;
use crate::http::ApiError;
use crate::services::cases::{self as case_service, CaseActor};
use crate::services::events;
use crate::services::maintenance::{self, Author, Plan as MaintenanceText, PlanChange};
use crate::services::rfo;
use crate::state::AppState;
use oneportal_domain::catalog::ServiceStatus;

/// Catalog writes share a transaction, committed every this many records:
/// far fewer commits than one per record, and short enough not to hold the
/// SQLite write lock for long.
const BATCH: usize = 500;

/// Catalog writes grouped into transactions of [`BATCH`] records.
struct Batch<'a> {
    state: &'a AppState,
    tx: Option<Tx>,
    written: usize,
    /// Whether a committed transaction may have held events, so readers are woken.
    /// Organizations whose events this transaction wrote.
    emitted: Vec<i64>,
}

impl Batch<'_> {
    async fn tx(&mut self) -> Result<&Tx, ApiError> {
        if self.tx.is_none() {
            self.tx = Some(self.state.db.begin().await?);
        }
        Ok(self.tx.as_ref().expect("just opened"))
    }

    async fn wrote(&mut self) -> Result<(), ApiError> {
        self.written += 1;
        if self.written.is_multiple_of(BATCH) {
            self.commit().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), ApiError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
            let orgs = std::mem::take(&mut self.emitted);
            if !orgs.is_empty() {
                self.state.publish(Change::Events { orgs }).await;
            }
        }
        Ok(())
    }
}

pub(super) async fn apply(
    state: &AppState,
    plan: Plan,
    actor: &CaseActor,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, ApiError> {
    let mut summary = Summary::default();
    for organization in plan.organizations {
        apply_organization(state, organization, actor, progress, &mut summary).await?;
    }
    let author = Author::import(actor.audit.clone());
    for maintenance in plan.maintenances {
        let outcome = apply_maintenance(state, &author, maintenance).await?;
        summary.maintenances.count(outcome);
        progress(1);
    }
    for quote in plan.quotes {
        summary
            .quotes
            .count(super::lifecycle::apply_quote(state, actor, quote).await?);
        progress(1);
    }
    for order in plan.orders {
        summary
            .orders
            .count(super::lifecycle::apply_order(state, actor, order).await?);
        progress(1);
    }
    Ok(summary)
}

/// Announces a new maintenance, or changes a known one and moves it to the
/// stated status, through the same service (events, e-mails, history, audit)
/// as the staff pages.
async fn apply_maintenance(
    state: &AppState,
    author: &Author,
    plan: MaintenancePlan,
) -> Result<Upserted, ApiError> {
    let mut services = Vec::with_capacity(plan.services.len());
    for (org_ref, service_ref, impact) in &plan.services {
        let service = match provisioning::find(&state.db, Keyed::Organization, org_ref).await? {
            Some(org_id) => {
                provisioning::find(&state.db, Keyed::Service { org_id }, service_ref).await?
            }
            None => None,
        };
        let service = service.ok_or_else(|| {
            ApiError::Internal(format!(
                "service '{service_ref}' of '{org_ref}' vanished during the import"
            ))
        })?;
        services.push((service, *impact));
    }
    let text = MaintenanceText {
        title: plan.title.clone(),
        reason: plan.reason.clone(),
        starts_at: plan.starts_at,
        ends_at: plan.ends_at,
        services: services.clone(),
    };
    let Some(stored) = maintenances::find_by_reference(&state.db, &plan.reference).await? else {
        let first = if plan.status == MaintenanceStatus::Tentative {
            MaintenanceStatus::Tentative
        } else {
            MaintenanceStatus::Confirmed
        };
        let id = maintenance::announce(state, author, &plan.reference, first, &text).await?;
        for to in first.path_to(plan.status).unwrap_or_default() {
            maintenance::move_to(state, author, id, to, "").await?;
        }
        return Ok(Upserted::Created(id));
    };
    let before = maintenance::any(state, stored.id).await?;
    if !before.status.is_final() {
        let change = PlanChange {
            title: Some(text.title),
            reason: Some(text.reason),
            starts_at: Some(text.starts_at),
            ends_at: Some(text.ends_at),
            services: Some(services),
            note: String::new(),
        };
        maintenance::change(state, author, stored.id, &change).await?;
    }
    let now = maintenance::any(state, stored.id).await?;
    for to in now.status.path_to(plan.status).unwrap_or_default() {
        maintenance::move_to(state, author, stored.id, to, "").await?;
    }
    let after = maintenance::any(state, stored.id).await?;
    Ok(if after.revision == before.revision {
        Upserted::Unchanged(stored.id)
    } else {
        Upserted::Updated(stored.id)
    })
}

async fn apply_organization(
    state: &AppState,
    plan: OrganizationPlan,
    actor: &CaseActor,
    progress: &(dyn Fn(u64) + Sync),
    summary: &mut Summary,
) -> Result<(), ApiError> {
    let at = now_ms();
    let mut batch = Batch {
        state,
        tx: None,
        written: 0,
        emitted: Vec::new(),
    };
    if let Some(id) = plan.adopt
        && !provisioning::adopt_organization(batch.tx().await?, id, &plan.reference).await?
    {
        return Err(ApiError::conflict(
            "reference_taken",
            format!(
                "{} took another reference while importing",
                IdKind::Organization.format(id)
            ),
        ));
    }
    let org = provisioning::upsert(
        batch.tx().await?,
        Keyed::Organization,
        &plan.reference,
        &[("name", Arg::from(plan.name.as_str()))],
        at,
    )
    .await?;
    summary.organizations.count(org);
    let org_id = org.id();
    let mut ids: HashMap<(RefKind, String), i64> = plan.stored;
    progress(1);

    for account in plan.accounts {
        let written = provisioning::upsert(
            batch.tx().await?,
            Keyed::Account { org_id },
            &account.reference,
            &account.record,
            at,
        )
        .await?;
        summary.accounts.count(written);
        ids.insert((RefKind::Account, account.reference), written.id());
        batch.wrote().await?;
        progress(1);
    }
    for (keyed, kind, records) in [
        (Keyed::Site { org_id }, RefKind::Site, plan.sites),
        (Keyed::Service { org_id }, RefKind::Service, plan.services),
    ] {
        for record in records {
            let before = match kind {
                RefKind::Service => {
                    provisioning::service_status(batch.tx().await?, org_id, &record.reference)
                        .await?
                }
                _ => None,
            };
            let written = upsert_linked(batch.tx().await?, keyed, &record, &ids, at).await?;
            if let Some((id, previous)) = before {
                service_moved(state, batch.tx().await?, org_id, id, previous, &record, at).await?;
                batch.emitted.push(org_id);
            }
            match kind {
                RefKind::Site => summary.sites.count(written),
                _ => summary.services.count(written),
            }
            ids.insert((kind, record.reference), written.id());
            batch.wrote().await?;
            progress(1);
        }
    }
    batch.commit().await?;
    if matches!(org, Upserted::Updated(_)) {
        state.publish(Change::Organization { org_id }).await;
    }

    for mut invoice in plan.invoices {
        invoice.invoice.org_id = org_id;
        invoice.invoice.account_id = id_of(&ids, RefKind::Account, &invoice.account_ref)?;
        for (line, reference) in invoice
            .invoice
            .lines
            .iter_mut()
            .zip(&invoice.line_service_refs)
        {
            line.service_id = match reference {
                Some(reference) => Some(id_of(&ids, RefKind::Service, reference)?),
                None => None,
            };
        }
        summary
            .invoices
            .count(crate::services::invoices::issue(state, &invoice.invoice).await?);
        progress(1);
    }

    for update in plan.cases {
        let case = &update.case;
        for (reference, message, sent_by) in &update.communications {
            let sender = CaseActor {
                name: sent_by.clone(),
                ..actor.clone()
            };
            summary.communications.count(
                case_service::provider_reply(state, case, &sender, message, Some(reference))
                    .await?,
            );
        }
        if let Some((to, reason)) = &update.status {
            let current = cases::find_case_anywhere(&state.db, case.id)
                .await?
                .ok_or_else(|| ApiError::not_found(IdKind::Case.format(case.id)))?;
            if current.status() == *to {
                summary.status_changes.unchanged += 1;
            } else {
                case_service::provider_move(state, &current, actor, *to, reason).await?;
                summary.status_changes.updated += 1;
            }
        }
        if let Some((status, mut content)) = update.rfo {
            for (position, reference) in &update.rfo_service_refs {
                content.affected_service_ids[*position] =
                    IdKind::Service.format(id_of(&ids, RefKind::Service, reference)?);
            }
            let before = cases::find_rfo(&state.db, case.id)
                .await?
                .map(|r| r.version);
            let version = rfo::publish(state, case, actor, status, &content).await?;
            summary.rfos.count(match before {
                None => Upserted::Created(case.id),
                Some(v) if v == version => Upserted::Unchanged(case.id),
                Some(_) => Upserted::Updated(case.id),
            });
        }
        progress(1);
    }
    Ok(())
}

/// Emits `service.status_changed` when the import moved a service to another status.
async fn service_moved(
    state: &AppState,
    tx: &Tx,
    org_id: i64,
    service_id: i64,
    previous: ServiceStatus,
    record: &Linked,
    at: i64,
) -> Result<(), ApiError> {
    let status = record
        .columns
        .iter()
        .find_map(|(column, value)| match (column, value) {
            (&"status", Arg::Text(Some(text))) => ServiceStatus::parse(text),
            _ => None,
        });
    let Some(status) = status.filter(|s| *s != previous) else {
        return Ok(());
    };
    events::service_status_changed(state, tx, org_id, service_id, (previous, status), at).await?;
    Ok(())
}

async fn upsert_linked(
    db: &impl Exec,
    keyed: Keyed,
    record: &Linked,
    ids: &HashMap<(RefKind, String), i64>,
    at: i64,
) -> Result<Upserted, ApiError> {
    let mut columns = record.columns.clone();
    for (column, kind, reference) in &record.links {
        columns.push((column, Arg::from(id_of(ids, *kind, reference)?)));
    }
    Ok(provisioning::upsert(db, keyed, &record.reference, &columns, at).await?)
}

/// The id behind a reference the check already resolved.
fn id_of(
    ids: &HashMap<(RefKind, String), i64>,
    kind: RefKind,
    reference: &str,
) -> Result<i64, ApiError> {
    ids.get(&(kind, reference.to_owned()))
        .copied()
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "the checked reference '{reference}' vanished while importing"
            ))
        })
}

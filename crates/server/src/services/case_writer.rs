//! Group commit for new cases.
//!
//! Opening a case writes four rows (the case, its first message, its status
//! history, the audit event). Committing each case on its own makes the commit
//! the cost: on SQLite one hand-off of the write lock and one WAL append per
//! case, on PostgreSQL one WAL flush and one change notification per case.
//! Here concurrent openings queue; a writer takes whatever has queued (up to
//! [`MAX_BATCH`]) and writes it as one transaction, then answers each opener.
//!
//! - An opener is answered only after its transaction committed, so an
//!   acknowledged case survives a crash like any other write.
//! - A batch that fails for a reason other than an unreachable database is
//!   retried one case at a time, so one bad case cannot fail its neighbours.
//! - A lone opener pays nothing extra: the writer commits as soon as the queue
//!   is empty rather than waiting for company.

use std::sync::Arc;

use oneportal_store::cases::{self, CaseRow, NewCase};
use oneportal_store::{Backend, StoreError, Tx};
use serde_json::json;
use tokio::sync::{Mutex, mpsc};

use super::events;
use crate::audit::{self, Event};
use crate::cluster::Change;
use crate::http::time::rfc3339;
use crate::models::event::CaseCreated;
use crate::state::AppState;
use crate::state::case_queue::{CaseQueue, Job};
use oneportal_domain::ids::IdKind;

/// At most this many cases share one transaction.
const MAX_BATCH: usize = 128;
/// Openers waiting beyond this many are held back by the queue itself.
const QUEUE_DEPTH: usize = 4096;

/// Starts the writers on the current runtime: one on SQLite (it has one
/// writer anyway), a few on PostgreSQL so that one batch's commit flush
/// overlaps the next batch's inserts. Returns the queue they drain.
pub fn start(state: &AppState) -> CaseQueue {
    let (queue, jobs) = CaseQueue::new(QUEUE_DEPTH);
    let jobs = Arc::new(Mutex::new(jobs));
    let writers = match state.db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => (state.config.pg_max_connections / 4).clamp(1, 4),
    };
    for _ in 0..writers {
        tokio::spawn(write_batches(state.clone(), jobs.clone()));
    }
    queue
}

async fn write_batches(state: AppState, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut jobs = jobs.lock().await;
            if jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return; // every sender is gone: the server is stopping
            }
        }
        write(&state, batch).await;
    }
}

/// Writes a batch in one transaction; on failure, one case at a time.
async fn write(state: &AppState, mut batch: Vec<Job>) {
    // Openers that gave up (their request was cancelled) are not written.
    batch.retain(|job| !job.answer.is_closed());
    if batch.is_empty() {
        return;
    }
    match write_together(state, &batch).await {
        Ok(rows) => {
            let mut orgs: Vec<i64> = rows.iter().map(|row| row.org_id).collect();
            orgs.sort_unstable();
            orgs.dedup();
            state.publish(Change::Cases { orgs }).await;
            for (job, row) in batch.into_iter().zip(rows) {
                let _ = job.answer.send(Ok(row));
            }
        }
        Err(StoreError::Unavailable(cause)) => {
            for job in batch {
                let _ = job.answer.send(Err(StoreError::Unavailable(cause.clone())));
            }
        }
        Err(error) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                let _ = job.answer.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(%error, cases = batch.len(), "a batch of new cases failed; writing them one by one");
            for job in batch {
                let single = std::slice::from_ref(&job);
                let result = write_together(state, single).await;
                if let Ok(rows) = &result {
                    let orgs = rows.iter().map(|row| row.org_id).collect();
                    state.publish(Change::Cases { orgs }).await;
                }
                let _ = job.answer.send(result.map(|mut rows| rows.remove(0)));
            }
        }
    }
}

async fn write_together(state: &AppState, batch: &[Job]) -> Result<Vec<CaseRow>, StoreError> {
    let tx = state.db.begin().await?;
    let mut rows = Vec::with_capacity(batch.len());
    for job in batch {
        let row = cases::insert_case(&tx, &job.case).await?;
        let event = job
            .event
            .clone()
            .target("case", IdKind::Case.format(row.id));
        audit::record(&tx, event).await?;
        rows.push(row);
    }
    // Each event takes its organization's next sequence, which locks that
    // organization's counter until the commit: taken in organization order, two
    // batches cannot each wait for a counter the other holds.
    let mut created: Vec<&CaseRow> = rows.iter().collect();
    created.sort_by_key(|row| row.org_id);
    for row in created {
        emit_created(state, &tx, row).await?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// Emits `case.created` for a case just written in `tx`.
pub async fn emit_created(state: &AppState, tx: &Tx, row: &CaseRow) -> Result<(), StoreError> {
    let data = CaseCreated {
        case_id: IdKind::Case.format(row.id),
        case_type: row.case_type,
        subject: row.subject,
        priority: row.priority,
        status: row.status,
        origin: row.origin,
        service_id: IdKind::Service.format(row.service_id),
        last_modified_date: rfc3339(row.updated_at),
        url: events::url(state, &events::case_path(row.id)),
    };
    events::emit(tx, row.org_id, row.id, &data).await
}

/// The audit event of an opened case (its target is added by the writer).
pub fn opened_event(actor: &crate::audit::Actor, case: &NewCase, service_ref: String) -> Event {
    Event::new(actor.clone(), "case.opened")
        .org(Some(case.org_id))
        .details(json!({
            "type": case.case_type.as_str(),
            "subject": case.subject.as_str(),
            "priority": case.priority.as_str(),
            "serviceId": service_ref,
        }))
}

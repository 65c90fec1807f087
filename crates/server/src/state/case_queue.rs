//! New cases waiting to be written by the group-commit writer
//! (`services::case_writer`). The queue is part of the state so that every
//! request reaches the same writers; the writers themselves live with the
//! services, since writing a case is a service's job.

use oneportal_store::StoreError;
use oneportal_store::cases::{CaseRow, NewCase};
use tokio::sync::{mpsc, oneshot};

use crate::audit::Event;

/// A case to open and the audit event that goes with it (its target is filled in
/// once the case has an id).
pub struct Job {
    pub case: NewCase,
    pub event: Event,
    pub answer: oneshot::Sender<Result<CaseRow, StoreError>>,
}

/// The sending end of the queue; cloning it is cheap.
#[derive(Clone)]
pub struct CaseQueue {
    sender: mpsc::Sender<Job>,
}

impl CaseQueue {
    /// A queue holding at most `depth` waiting cases, and the end the writers read.
    pub fn new(depth: usize) -> (CaseQueue, mpsc::Receiver<Job>) {
        let (sender, jobs) = mpsc::channel(depth);
        (CaseQueue { sender }, jobs)
    }

    /// Opens the case; answers once it is committed.
    pub async fn open(&self, case: NewCase, event: Event) -> Result<CaseRow, StoreError> {
        let (answer, answered) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the server is shutting down".into());
        self.sender
            .send(Job {
                case,
                event,
                answer,
            })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

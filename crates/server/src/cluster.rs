//! Changes every node must see within a second: a revoked or suspended client,
//! a changed user, a revoked token, new signing keys.
//!
//! A change is applied on this node at once and, on PostgreSQL, sent with
//! `NOTIFY`; every node `LISTEN`s and applies it too. When the listening
//! connection drops, the node forgets its caches, since it may have missed changes.

use std::time::Duration;

use oneportal_store::{Db, Exec, args};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;

use crate::state::AppState;

const CHANNEL: &str = "oneportal_changes";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Client {
        client_id: String,
    },
    User {
        user_id: i64,
    },
    Organization {
        org_id: i64,
    },
    TokenRevoked {
        jti: String,
        exp: i64,
    },
    Keys,
    /// Cases of these organizations changed: case totals and kept case answers
    /// are out of date, and their events are there to read.
    Cases {
        #[serde(default)]
        orgs: Vec<i64>,
    },
    /// Events of these organizations were committed (other than a case's): their
    /// feed's waiters wake. Empty: any organization.
    Events {
        #[serde(default)]
        orgs: Vec<i64>,
    },
}

/// Tells every node listening on PostgreSQL about a change; also for commands
/// that change the database without serving (`keys rotate`). Nothing on SQLite.
pub async fn notify_nodes(db: &Db, change: &Change) -> Result<(), oneportal_store::StoreError> {
    if let Db::Pg(_) = db {
        let payload = serde_json::to_string(change).expect("change serializes");
        db.execute("SELECT pg_notify($1, $2)", args![CHANNEL, payload])
            .await?;
    }
    Ok(())
}

impl AppState {
    /// Applies a change here and tells the other nodes.
    pub async fn publish(&self, change: Change) {
        self.apply(&change).await;
        if let Err(error) = notify_nodes(&self.db, &change).await {
            tracing::warn!(%error, "could not notify other nodes; they will catch up when their caches expire or reconnect");
        }
    }

    pub async fn apply(&self, change: &Change) {
        match change {
            Change::Client { client_id } => self.directory.forget_client(client_id),
            Change::User { user_id } => self.directory.forget_user(*user_id),
            Change::Organization { org_id } => self.directory.forget_organization(*org_id),
            Change::TokenRevoked { jti, exp } => {
                self.revoked_tokens.insert(jti.clone(), *exp);
            }
            Change::Cases { orgs } => {
                self.case_counts.invalidate();
                self.case_reads.invalidate();
                self.event_wakeups.wake(orgs);
            }
            Change::Events { orgs } => self.event_wakeups.wake(orgs),
            Change::Keys => {
                if let Err(error) = self.keys.reload().await {
                    tracing::error!(%error, "reloading signing keys failed");
                }
            }
        }
    }

    /// Runs for the life of the server on PostgreSQL.
    pub fn spawn_change_listener(&self) {
        let Db::Pg(pool) = &self.db else { return };
        let pool = pool.clone();
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            // Changes made while we were not listening are unknown: start clean.
                            state.forget_cached_state().await;
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(note)) => {
                                        match serde_json::from_str::<Change>(note.payload()) {
                                            Ok(change) => state.apply(&change).await,
                                            Err(error) => {
                                                tracing::warn!(%error, "ignoring an unreadable change notification")
                                            }
                                        }
                                    }
                                    Ok(None) | Err(_) => {
                                        tracing::warn!(
                                            "lost the change feed from PostgreSQL; reconnecting"
                                        );
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot listen for changes yet"),
                }
                state.forget_cached_state().await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    async fn forget_cached_state(&self) {
        self.directory.forget_all();
        self.case_counts.invalidate();
        self.case_reads.invalidate();
        if let Err(error) = self.load_revoked_tokens().await {
            tracing::warn!(%error, "could not reload revoked tokens");
        }
        let _ = self.keys.reload().await;
    }

    pub async fn load_revoked_tokens(&self) -> Result<(), oneportal_store::StoreError> {
        let now = oneportal_store::now_ms();
        for row in oneportal_store::revocations::list_unexpired(&self.db, now).await? {
            self.revoked_tokens.insert(row.jti, row.expires_at / 1000);
        }
        Ok(())
    }
}

//! The signing keys in memory, and their life cycle in the database.
//!
//! Life cycle: a key is created `Next` (published in the JWKS, not signing),
//! becomes `Active` at the following rotation, then `Retiring` (still published)
//! until the last token it signed has expired, then it is deleted. So a verifier
//! that cached the JWKS knows a key before any token carries it.

use oneportal_domain::staff::SigningKeyState;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use oneportal_store::keys::{self, SigningKeyRow};
use oneportal_store::{Db, Exec, StoreError, now_ms};

use super::keys::{SigningAlg, SigningKey, VerifyingKey};
use super::master_key::MasterKey;

/// One consistent view of the keys: the one that signs and all that verify.
pub struct KeySet {
    pub active: Arc<SigningKey>,
    pub verifying: HashMap<String, Arc<VerifyingKey>>,
    /// `{"keys": [...]}`, serialized once per reload.
    pub jwks: axum::body::Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] super::keys::KeyError),
    #[error(
        "signing key {0} cannot be decrypted: this node's master key differs from the one that sealed it; give every node the same master key"
    )]
    WrongMasterKey(String),
    #[error("no active signing key in the database")]
    NoActiveKey,
}

pub struct KeyRing {
    current: ArcSwap<KeySet>,
    db: Db,
    master: Arc<MasterKey>,
    last_unknown_kid_reload: std::sync::Mutex<Option<Instant>>,
}

impl KeyRing {
    /// Creates the first keys if there are none, then loads them.
    pub async fn initialize(
        db: Db,
        master: Arc<MasterKey>,
        alg: SigningAlg,
    ) -> Result<KeyRing, KeyRingError> {
        ensure_keys(&db, &master, alg).await?;
        let set = load(&db, &master).await?;
        Ok(KeyRing {
            current: ArcSwap::from_pointee(set),
            db,
            master,
            last_unknown_kid_reload: std::sync::Mutex::new(None),
        })
    }

    pub fn current(&self) -> arc_swap::Guard<Arc<KeySet>> {
        self.current.load()
    }

    pub async fn reload(&self) -> Result<(), KeyRingError> {
        let set = load(&self.db, &self.master).await?;
        self.current.store(Arc::new(set));
        Ok(())
    }

    /// A token names a key this node does not know: reload, at most once a second,
    /// so forged `kid`s cannot turn into a database flood.
    pub async fn reload_for_unknown_kid(&self) -> bool {
        {
            let mut last = self.last_unknown_kid_reload.lock().expect("lock poisoned");
            if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
                return false;
            }
            *last = Some(Instant::now());
        }
        self.reload().await.is_ok()
    }
}

fn state_of(rows: &[SigningKeyRow], state: SigningKeyState) -> Option<SigningKeyRow> {
    rows.iter().find(|r| r.state == state).cloned()
}

fn new_row(master: &MasterKey, alg: SigningAlg, state: SigningKeyState, now: i64) -> SigningKeyRow {
    let (key, pkcs8, jwk) = SigningKey::generate(alg);
    SigningKeyRow {
        kid: key.kid.clone(),
        alg: alg.as_str().to_owned(),
        state,
        private_key: master.seal(&pkcs8),
        public_jwk: jwk.to_string(),
        created_at: now,
        activated_at: (state == SigningKeyState::Active).then_some(now),
        retire_at: None,
    }
}

/// Makes sure there is an `Active` key and a `Next` key of the configured algorithm.
pub async fn ensure_keys(db: &Db, master: &MasterKey, alg: SigningAlg) -> Result<(), KeyRingError> {
    let tx = db.begin().await?;
    keys::lock_for_change(&tx).await?;
    let now = now_ms();
    let rows = keys::list_published(&tx, now).await?;
    if state_of(&rows, SigningKeyState::Active).is_none() {
        keys::insert(&tx, &new_row(master, alg, SigningKeyState::Active, now)).await?;
    }
    match state_of(&rows, SigningKeyState::Next) {
        Some(next) if next.alg == alg.as_str() => {}
        Some(_) => {
            keys::delete_next(&tx).await?;
            keys::insert(&tx, &new_row(master, alg, SigningKeyState::Next, now)).await?;
        }
        None => keys::insert(&tx, &new_row(master, alg, SigningKeyState::Next, now)).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// What a rotation did, for the operator and the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotation {
    pub now_signing: String,
    pub next: String,
    pub retired_until_ms: i64,
}

/// The pre-published `Next` key starts signing; the old one stays published
/// until every token it signed has expired; a new `Next` is published.
pub async fn rotate(
    db: &Db,
    master: &MasterKey,
    alg: SigningAlg,
    max_token_lifetime_secs: u32,
) -> Result<Rotation, KeyRingError> {
    ensure_keys(db, master, alg).await?;
    let tx = db.begin().await?;
    keys::lock_for_change(&tx).await?;
    let now = now_ms();
    let retire_at = now + (i64::from(max_token_lifetime_secs) + 120) * 1000;
    keys::promote_next(&tx, now, retire_at).await?;
    let next = new_row(master, alg, SigningKeyState::Next, now);
    keys::insert(&tx, &next).await?;
    keys::delete_retired(&tx, now).await?;
    let rows = keys::list_published(&tx, now).await?;
    tx.commit().await?;
    let active = state_of(&rows, SigningKeyState::Active).ok_or(KeyRingError::NoActiveKey)?;
    Ok(Rotation {
        now_signing: active.kid,
        next: next.kid,
        retired_until_ms: retire_at,
    })
}

/// Whether the active key is older than the rotation period.
pub async fn rotation_due(db: &Db, period_days: u32) -> Result<bool, StoreError> {
    if period_days == 0 {
        return Ok(false);
    }
    let now = now_ms();
    let rows = keys::list_published(db, now).await?;
    Ok(state_of(&rows, SigningKeyState::Active)
        .and_then(|a| a.activated_at)
        .is_some_and(|at| now - at > i64::from(period_days) * 86_400_000))
}

async fn load(db: &impl Exec, master: &MasterKey) -> Result<KeySet, KeyRingError> {
    let rows = keys::list_published(db, now_ms()).await?;
    let mut verifying = HashMap::new();
    let mut jwks = Vec::new();
    let mut active = None;
    for row in &rows {
        let jwk: serde_json::Value =
            serde_json::from_str(&row.public_jwk).map_err(|e| super::keys::KeyError {
                kid: row.kid.clone(),
                reason: e.to_string(),
            })?;
        verifying.insert(row.kid.clone(), Arc::new(VerifyingKey::from_jwk(&jwk)?));
        jwks.push(jwk);
        if row.state == SigningKeyState::Active {
            let alg = SigningAlg::parse(&row.alg).ok_or_else(|| super::keys::KeyError {
                kid: row.kid.clone(),
                reason: format!("unknown algorithm {}", row.alg),
            })?;
            let pkcs8 = master
                .open(&row.private_key)
                .map_err(|_| KeyRingError::WrongMasterKey(row.kid.clone()))?;
            active = Some(Arc::new(SigningKey::from_pkcs8(
                row.kid.clone(),
                alg,
                &pkcs8,
            )?));
        }
    }
    let body = serde_json::to_vec(&serde_json::json!({ "keys": jwks })).expect("JWKS serializes");
    Ok(KeySet {
        active: active.ok_or(KeyRingError::NoActiveKey)?,
        verifying,
        jwks: body.into(),
    })
}

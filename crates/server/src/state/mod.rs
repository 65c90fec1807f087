//! Everything a request handler can reach, built once at start.

pub mod case_queue;
pub mod event_wakeups;
pub mod metric_intake;
pub mod metric_series;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use dashmap::DashMap;
use metrics_exporter_prometheus::PrometheusHandle;
use oneportal_store::Db;

use crate::auth::client_secret::SecretHasher;
use crate::auth::key_ring::KeyRing;
use crate::auth::master_key::MasterKey;
use crate::auth::tokens::{AccessClaims, TokenAuthority};
use crate::config::Config;
use crate::directory::Directory;
use crate::http::token_limits::{FailureLog, FailureThrottle, IssuanceQuota};
use crate::shared_counters::SharedCounters;

#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub config: Config,
    pub public_url: String,
    pub db: Db,
    pub master_key: Arc<MasterKey>,
    pub keys: KeyRing,
    pub authority: TokenAuthority,
    pub secret_hasher: SecretHasher,
    pub directory: Directory,
    /// Tokens already verified, by their text, so a reused token costs a lookup, not a signature check.
    pub verified_tokens: quick_cache::sync::Cache<String, Arc<AccessClaims>>,
    /// `jti` → expiry (Unix seconds) of tokens revoked early.
    pub revoked_tokens: DashMap<String, i64>,
    pub throttle: FailureThrottle,
    pub failure_log: FailureLog,
    pub issuance_quota: Option<IssuanceQuota>,
    /// Counts the limits share across nodes; `Some` on PostgreSQL only.
    pub shared_counters: Option<Arc<SharedCounters>>,
    /// Totals of case lists, forgotten on every case change on this node.
    pub case_counts: oneportal_store::counts::CountCache,
    /// Finished case lists and details, kept until a case changes.
    pub case_reads: crate::http::response_cache::ResponseCache,
    /// New cases for the writers that commit them in shared transactions; started on first use.
    pub case_queue: std::sync::OnceLock<case_queue::CaseQueue>,
    /// API V2 requests per caller; `None` when switched off.
    pub rate_limits: Option<crate::http::rate_limit::CallerLimits>,
    /// Waiters for new events: the feed's long polls by organization, and the workers.
    pub event_wakeups: event_wakeups::EventWakeups,
    /// Client id → when it last obtained a token; written to the database in batches.
    pub last_used: DashMap<String, i64>,
    /// Wakes this node's alert processor when a notification was written to the inbox.
    pub alert_inbox: tokio::sync::Notify,
    /// Pushed series the metrics intake has seen.
    pub metric_series: metric_series::KnownSeries,
    /// What this node's intake took and refused, for the staff page.
    pub metric_intake: metric_intake::IntakeTally,
    /// The provider's Prometheus, when measurements are read there (`metrics.source = "prometheus"`).
    pub prometheus_api: Option<crate::http::prometheus_api::QueryApi>,
    pub metrics: Option<PrometheusHandle>,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: Config,
        bound: SocketAddr,
        db: Db,
        master_key: Arc<MasterKey>,
        keys: KeyRing,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        let public_url = config.public_url(bound);
        // Several nodes may share a PostgreSQL database; SQLite has one node.
        let shared_counters = match db.backend() {
            oneportal_store::Backend::Postgres => Some(Arc::new(SharedCounters::new())),
            oneportal_store::Backend::Sqlite => None,
        };
        let issuance_quota =
            IssuanceQuota::new(config.oauth.issuance_per_minute, shared_counters.clone());
        let throttle = FailureThrottle::new(
            config.oauth.failures_per_client_per_minute,
            config.oauth.failures_per_address_per_minute,
            shared_counters.clone(),
        );
        let rate_limits = crate::http::rate_limit::CallerLimits::new(
            &config.rate_limits,
            shared_counters.clone(),
        );
        // The settings were checked when the configuration was loaded.
        let prometheus_api =
            (config.metrics.source == crate::config::MetricsSourceKind::Prometheus).then(|| {
                crate::http::prometheus_api::QueryApi::new(&config.metrics.prometheus)
                    .expect("[metrics.prometheus] was validated with the configuration")
            });
        AppState(Arc::new(AppInner {
            prometheus_api,
            rate_limits,
            case_counts: oneportal_store::counts::CountCache::new(std::time::Duration::from_secs(
                1,
            )),
            case_queue: std::sync::OnceLock::new(),
            case_reads: crate::http::response_cache::ResponseCache::new(
                64 << 20,
                std::time::Duration::from_secs(1),
            ),
            authority: TokenAuthority::new(&public_url),
            secret_hasher: SecretHasher::new(&master_key.derive("oneportal/client-secret-hmac")),
            public_url,
            config,
            db,
            master_key,
            keys,
            directory: Directory::default(),
            verified_tokens: quick_cache::sync::Cache::new(50_000),
            revoked_tokens: DashMap::new(),
            throttle,
            failure_log: FailureLog::default(),
            issuance_quota,
            shared_counters,
            last_used: DashMap::new(),
            event_wakeups: event_wakeups::EventWakeups::default(),
            alert_inbox: tokio::sync::Notify::new(),
            metric_series: metric_series::KnownSeries::default(),
            metric_intake: metric_intake::IntakeTally::default(),
            metrics,
        }))
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/token", self.public_url)
    }
}

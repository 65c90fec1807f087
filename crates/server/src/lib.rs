//! OnePortal: the customer portal, OAuth 2.0 authorization server and API V2.
//!
//! [`App::start`] builds everything from a [`config::Config`] and serves on a
//! bound listener, so tests run the real server on port 0.
//!
//! # Layers
//!
//! The modules, lowest first. A module uses only modules on lines above its own,
//! never one on its own line or below, and no files use each other in a circle;
//! `tests/architecture.rs` reads every crate path in `src/` and holds this order.
//!
//! 1. `config`: what the operator sets, read from the file and the environment.
//! 2. `telemetry`, `shared_counters`: logs and metrics; counters shared by nodes.
//! 3. `auth`: keys, tokens, passwords and client secrets; no HTTP, no database handles.
//! 4. `http`: the transport: errors as problems, JSON, limits, paging, uploads and downloads, the server loop.
//! 5. `directory`, `models`: cached users and clients; the response models the API and the portal share.
//! 6. `audit`: who did what, written in the same transaction as the change.
//! 7. `state`: everything a request can reach, built once at start.
//! 8. `cluster`, `access`: changes every node must see; who is calling and what they may do.
//! 9. `services`: the rules for changing things, shared by the API, the portal and imports.
//! 10. `documents`: PDFs, CSVs and the downloads built from the services' records.
//! 11. `oauth`, `ops`, `portal`, `health`: the authorization server, the staff API, the web portal, health checks.
//! 12. `api`: API V2 (above the portal because it also accepts a portal session).
//! 13. `demo`, `tasks`: demo data; background jobs.
//! 14. `crate`: this file, which assembles the server.
//! 15. `cli`: the command line.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod health;
pub mod http;
pub mod models;
pub mod oauth;
pub mod ops;
pub mod portal;
pub mod services;
pub mod shared_counters;
pub mod state;
mod tasks;
pub mod telemetry;

use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use oneportal_store::{Db, settings};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::key_ring::KeyRing;
use crate::auth::master_key::MasterKey;
use crate::config::Config;
use crate::state::AppState;

/// Opens the configured database and applies migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = match &config.database_url {
        Some(url) => Db::connect_postgres(url.expose_secret(), config.pg_max_connections)
            .await
            .context(
                "cannot connect to PostgreSQL (check database_url and that the server is running)",
            )?,
        None => {
            prepare_data_dir(&config.data_dir)?;
            Db::open_sqlite(&config.sqlite_path(), config.sqlite_durability)
                .await
                .with_context(|| format!("cannot open {}", config.sqlite_path().display()))?
        }
    };
    let applied = db.migrate().await.context("database migration failed")?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    Ok(db)
}

/// Creates the data directory readable by this user only (0700). One that exists is
/// the operator's choice (a mount point, a backup group) and is left as it is, with a
/// warning when others may read it; the files OnePortal writes in it are 0600 anyway.
pub fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    dir = %dir.display(),
                    mode = format!("{mode:o}"),
                    "the data directory is open to other users; the database and key files in it are 0600, but consider chmod 700"
                );
            }
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Loads the master key and refuses one that differs from the key the database was set up with.
pub async fn open_master_key(config: &Config, db: &Db) -> anyhow::Result<Arc<MasterKey>> {
    if config.master_key.is_none() && config.master_key_file.is_none() && !config.data_dir.exists()
    {
        // The generated key goes into the data directory, which PostgreSQL setups may not have yet.
        prepare_data_dir(&config.data_dir)?;
    }
    let master = MasterKey::load_or_create(config)?;
    let stored = settings::get_or_insert(db, "master_key_check", &master.check_value()).await?;
    if stored != master.check_value() {
        anyhow::bail!(
            "this master key is not the one the database was set up with; give every node the same master key (master_key or master_key_file)"
        );
    }
    Ok(Arc::new(master))
}

/// A running server.
pub struct App {
    pub address: SocketAddr,
    pub state: AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

/// The database, the master key and the signing keys, opened as the server and
/// every command that needs them open them.
async fn open_storage(config: &Config) -> anyhow::Result<(Db, Arc<MasterKey>, KeyRing)> {
    let db = open_database(config).await?;
    let master = open_master_key(config, &db).await?;
    let keys = KeyRing::initialize(db.clone(), master.clone(), config.oauth.signing_alg).await?;
    Ok((db, master, keys))
}

/// Everything the services need, for a command that works on the database
/// without serving (the import).
pub async fn offline_state(config: Config) -> anyhow::Result<AppState> {
    let (db, master, keys) = open_storage(&config).await?;
    let bound = config.bind;
    Ok(AppState::new(config, bound, db, master, keys, None))
}

impl App {
    /// Binds `config.bind` (port 0 picks a free port), prepares storage and keys, and serves.
    pub async fn start(config: Config) -> anyhow::Result<App> {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = listener.local_addr()?;
        let (db, master, keys) = open_storage(&config).await?;
        let state = AppState::new(
            config,
            address,
            db,
            master,
            keys,
            telemetry::metrics_handle(),
        );
        state.load_revoked_tokens().await?;
        state.spawn_change_listener();
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        tasks::spawn(state.clone(), shutdown.subscribe());
        services::webhooks::delivery::spawn(state.clone(), shutdown.subscribe());
        services::notifications::spawn(state.clone(), shutdown.subscribe());
        services::monitoring::processor::spawn(state.clone(), shutdown.subscribe());
        if let Some(counters) = &state.shared_counters {
            shared_counters::spawn_sync(counters.clone(), state.db.clone(), shutdown.subscribe());
        }

        let app = router(state.clone());
        let limits = state.config.http.clone();
        let server = tokio::spawn(async move {
            http::server::serve(listener, app, &limits, shutdown_rx).await;
        });
        Ok(App {
            address,
            state,
            shutdown,
            server,
        })
    }

    pub fn url(&self) -> String {
        self.state.public_url.clone()
    }

    /// The address this node listens on, which differs from `url()` behind a load balancer.
    pub fn address_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops accepting connections, finishes in-flight requests, flushes pending writes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(30), self.server).await;
        tasks::flush(&self.state).await;
        self.state.db.close().await;
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        self.stop().await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router(&state))
        .merge(ops::router())
        .merge(oauth::routes().layer(axum::middleware::from_fn(oauth_refused_bodies)))
        .merge(health::routes())
        .merge(portal::router(&state))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(http::request_body::DEFAULT_MAX_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.config.http.body_read_timeout(),
            http::request_body::middleware,
        ))
        .layer(axum::middleware::from_fn(
            http::security_headers::middleware,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            http::ApiError::Internal("a request handler panicked".into()).into_response_owned()
        }))
        .layer(axum::middleware::from_fn(http::request_id::middleware))
        .with_state(state)
}

/// The OAuth endpoints answer a refused body in RFC 6749's shape (`invalid_request`),
/// as their clients read every error there, with the status that says why: 413 for a
/// body over the limit, 408 for one that did not arrive in time.
async fn oauth_refused_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let deadline = request
        .extensions()
        .get::<http::request_body::BodyDeadline>()
        .cloned();
    let response = next.run(request).await;
    let (status, detail) = match deadline {
        Some(deadline) if deadline.expired() => (StatusCode::REQUEST_TIMEOUT, deadline.detail()),
        _ if response.status() == StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            http::request_body::too_large_detail(http::request_body::DEFAULT_MAX_BYTES),
        ),
        _ => return response,
    };
    let mut refused = oauth::error::OAuthError::invalid_request(detail).into_response();
    *refused.status_mut() = status;
    if status == StatusCode::REQUEST_TIMEOUT {
        http::request_body::close_connection(&mut refused);
    }
    refused
}

async fn not_found(uri: axum::http::Uri) -> http::ApiError {
    http::ApiError::not_found(format!(
        "no endpoint at {}; see /v2/openapi.json",
        uri.path()
    ))
}

impl http::ApiError {
    fn into_response_owned(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}

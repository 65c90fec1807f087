//! The accept loop: axum's router on hyper's HTTP/1.1 connections, with the limits
//! `axum::serve` does not offer. A client must send a request's headers within
//! `http.header_read_timeout_secs` (which also closes idle keep-alive connections),
//! and one source address may hold at most `http.max_connections_per_address`
//! connections; the body's deadline is [`super::request_body`]'s.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use super::connection_limits::ConnectionLimits;
use crate::config::HttpConfig;

/// Serves `router` on `listener` until `shutdown` turns true, then lets open
/// requests finish (idle connections close at once) and returns when every connection has.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let per_address = ConnectionLimits::new(limits.max_connections_per_address);
    let header_timeout = limits.header_read_timeout();
    // Every connection task holds a receiver; the sender sees them all gone when they end.
    let (all_closed, connection_open) = watch::channel(());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = stopping(&mut shutdown) => break,
        };
        let Some(permit) = per_address.try_acquire(remote.ip()) else {
            refuse(stream, remote, limits.max_connections_per_address);
            continue;
        };
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        let connection_open = connection_open.clone();
        tokio::spawn(async move {
            let _counted = permit;
            let _open = connection_open;
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stopping(&mut shutdown) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                // Timeouts and clients that went away: nothing the operator can act on.
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
        });
    }
    // Refuse new connections at once rather than leave them waiting in the backlog.
    drop(listener);
    drop(connection_open);
    all_closed.closed().await;
}

/// Resolves once shutdown has begun (the watch's guard is not held across awaits).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Too many connections from one address: a short 429 if the socket takes it at once, then close.
fn refuse(stream: TcpStream, remote: SocketAddr, limit: u32) {
    metrics::counter!("oneportal_connections_refused_total").increment(1);
    static LAST_WARNING: AtomicU64 = AtomicU64::new(0);
    let now = oneportal_store::now_ms() as u64;
    let last = LAST_WARNING.load(Ordering::Relaxed);
    // One line a minute at most: a flood of refusals must not become a flood of logs.
    if now.saturating_sub(last) >= 60_000
        && LAST_WARNING
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::warn!(%remote, limit, "refused connections: an address holds http.max_connections_per_address connections already");
    }
    let body = format!(
        "{{\"type\":\"/problems/too_many_connections\",\"title\":\"Too many connections\",\"status\":429,\"code\":\"too_many_connections\",\"detail\":\"this address holds {limit} open connections already, the most one address may; reuse or close them\"}}"
    );
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    // Never waits: a fresh socket's send buffer takes this whole, and if not, the close says enough.
    let _ = stream.try_write(answer.as_bytes());
}

/// A failed accept: a client that gave up is nothing; running out of file
/// descriptors is, and retrying at once would spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept connections; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

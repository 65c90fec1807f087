//! Finished answers to hot reads (case lists and details), kept while nothing
//! they show has changed: a write on this node forgets them at once (the
//! generation moves), other nodes' writes arrive by the change feed, and a
//! write by another process on the same SQLite file shows within the time to live.
//!
//! Integrations poll the same lists over and over; answering a repeat from
//! memory instead of the database and the serializer is what lets one node
//! serve tens of thousands of them a second.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// Larger answers are served but not kept: they would crowd out many small ones.
const MAX_KEPT_BYTES: usize = 1 << 20;

#[derive(Clone)]
struct Kept {
    generation: u64,
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct ByLength;

impl quick_cache::Weighter<String, Arc<Kept>> for ByLength {
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        (key.len() + kept.body.len() + 256) as u64
    }
}

pub struct ResponseCache {
    kept: quick_cache::sync::Cache<String, Arc<Kept>, ByLength>,
    generation: AtomicU64,
    time_to_live: Duration,
}

impl ResponseCache {
    /// Holds up to `capacity_bytes` of answers, each for at most `time_to_live`.
    pub fn new(capacity_bytes: u64, time_to_live: Duration) -> Self {
        ResponseCache {
            kept: quick_cache::sync::Cache::with_weighter(
                (capacity_bytes / 8192).max(16) as usize,
                capacity_bytes,
                ByLength,
            ),
            generation: AtomicU64::new(0),
            time_to_live,
        }
    }

    /// Forgets every kept answer (call after any write to what they show).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::Release);
        // None of them can be served again: free them now, not when the capacity
        // pushes them out, so memory holds what is current rather than filling to
        // the bound with stale details (the soak's memory crept up by this). An
        // answer computed across the change may still land; its generation is old,
        // so it is never served and goes with the next write or lookup.
        self.kept.clear();
    }

    /// The kept answer for `key`, or `compute`'s (kept when it is a 200). One caller
    /// computes a missing key while the others with the same key wait for it.
    /// `If-None-Match` on the request is honoured against a kept `ETag`.
    pub async fn answer(
        &self,
        key: String,
        request_headers: &HeaderMap,
        compute: impl Future<Output = Result<Response, ApiError>>,
    ) -> Result<Response, ApiError> {
        let generation = self.generation.load(Ordering::Acquire);
        let fresh =
            |kept: &Kept| kept.generation == generation && kept.at.elapsed() < self.time_to_live;
        let guard = match self.kept.get_value_or_guard_async(&key).await {
            Ok(kept) if fresh(&kept) => return Ok(replay(&kept, request_headers)),
            Ok(_) => {
                self.kept.remove(&key);
                None
            }
            Err(guard) => Some(guard),
        };
        let response = compute.await?;
        if response.status() != StatusCode::OK {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| ApiError::Internal(format!("reading a response to keep: {e}")))?;
        let kept = Arc::new(Kept {
            generation,
            at: Instant::now(),
            headers: parts.headers,
            body,
        });
        let answer = replay(&kept, request_headers);
        if kept.body.len() <= MAX_KEPT_BYTES {
            match guard {
                Some(guard) => {
                    let _ = guard.insert(kept);
                }
                None => self.kept.insert(key, kept),
            }
        }
        Ok(answer)
    }
}

fn replay(kept: &Kept, request_headers: &HeaderMap) -> Response {
    if let Some(etag) = kept.headers.get(header::ETAG)
        && matches_etag(request_headers, etag)
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    let mut response = Response::new(Body::from(kept.body.clone()));
    *response.headers_mut() = kept.headers.clone();
    response
}

/// Whether `If-None-Match` names this entity tag (or `*`); weak tags compare as strong.
pub fn matches_etag(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(tag) = etag.to_str() else {
        return false;
    };
    request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == tag
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ask(cache: &ResponseCache, key: &str, body: &'static str) -> Bytes {
        let response = cache
            .answer(key.into(), &HeaderMap::new(), async {
                Ok(Response::new(Body::from(body)))
            })
            .await
            .unwrap();
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_write_frees_what_was_kept_and_the_next_answer_is_new() {
        let cache = ResponseCache::new(1 << 20, Duration::from_secs(60));
        for i in 0..100 {
            ask(&cache, &format!("/v2/cases/{i}"), "old").await;
        }
        assert_eq!(cache.kept.len(), 100);
        assert_eq!(ask(&cache, "/v2/cases/1", "new").await, "old");

        cache.invalidate();
        assert_eq!(cache.kept.len(), 0, "nothing stale stays in memory");
        assert_eq!(cache.kept.weight(), 0);
        assert_eq!(ask(&cache, "/v2/cases/1", "new").await, "new");
    }
}

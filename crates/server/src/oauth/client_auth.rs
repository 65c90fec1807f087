//! Client authentication for the token, introspection and revocation endpoints:
//! `client_secret_basic` (with RFC 6749 §2.3.1 form-decoding) or `client_secret_post`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oneportal_domain::ApiClientStatus;
use oneportal_store::now_ms;

use super::error::OAuthError;
use super::form::Form;
use crate::auth::client_secret::{self, SecretHasher};
use crate::directory::ClientEntry;
use crate::http::token_limits::source_of;
use crate::state::AppState;

pub struct ClientCredentials {
    pub client_id: String,
    secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Reads the credentials from `Authorization: Basic` or the body; both at once is an error.
pub fn credentials(headers: &HeaderMap, form: &Form) -> Result<ClientCredentials, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(parse_basic(value.to_str().unwrap_or(""))?),
        None => None,
    };
    let in_body = form.get("client_secret");
    match (basic, in_body) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method: HTTP Basic or client_secret in the body, not both",
        )),
        (Some(creds), None) => {
            if form
                .get("client_id")
                .is_some_and(|id| id != creds.client_id)
            {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            Ok(creds)
        }
        (None, Some(secret)) => {
            let client_id = form.get("client_id").ok_or_else(|| {
                OAuthError::invalid_request("client_secret was sent without client_id")
            })?;
            Ok(ClientCredentials {
                client_id: client_id.to_owned(),
                secret: secret.to_owned(),
            })
        }
        (None, None) => Err(OAuthError::invalid_client(
            "client authentication is required: send HTTP Basic credentials (client_secret_basic) or client_id and client_secret in the body (client_secret_post)",
        )),
    }
}

fn parse_basic(value: &str) -> Result<ClientCredentials, OAuthError> {
    let malformed = || {
        OAuthError::invalid_client("the Authorization header is not valid HTTP Basic credentials")
    };
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "the token endpoint accepts 'Authorization: Basic', not '{scheme}'"
        )));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(ClientCredentials {
        client_id: form_decode(id).ok_or_else(malformed)?,
        secret: form_decode(secret).ok_or_else(malformed)?,
    })
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> Option<String> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Checks the credentials and the client's status. Unknown ids and wrong secrets
/// take the same path and the same time, and both count toward throttling, per
/// (client, source) so that a guesser slows itself, not the client's real caller
/// (the rule is in `http::token_limits`).
pub async fn authenticate(
    state: &AppState,
    creds: &ClientCredentials,
    address: IpAddr,
) -> Result<Arc<ClientEntry>, OAuthError> {
    let source = source_of(address);
    let address = address.to_string();
    if let Err(retry_after) = state.throttle.check(&creds.client_id, &source) {
        return Err(OAuthError::slow_down(
            "too many failed authentication attempts from your address; wait before trying again",
            retry_after,
        ));
    }
    // A mistyped OnePortal secret fails its checksum: refused before any lookup, at
    // the same cost for every client id, and the caller is told to copy it again.
    // (Secrets of another shape, such as clients carried over from an older
    // system, are looked up as they are.)
    if creds.secret.starts_with(client_secret::SECRET_PREFIX)
        && !client_secret::is_well_formed(&creds.secret)
    {
        count_failure(
            state,
            &creds.client_id,
            &address,
            &source,
            "malformed_secret",
        )
        .await;
        return Err(OAuthError::invalid_client(
            "the client secret is mistyped: a OnePortal secret starts with opsk_ and is 54 characters long, the last six a checksum that does not match; copy it again",
        ));
    }
    let computed = state.secret_hasher.hash(&creds.secret);
    let entry = state.directory.client(&state.db, &creds.client_id).await?;
    let matched = match &entry {
        Some(entry) => entry.secret_matches(&computed, now_ms()),
        None => {
            // Same work as a wrong secret for a real client.
            let _ = SecretHasher::matches(&computed, &[0u8; 32]);
            false
        }
    };
    let entry = match (entry, matched) {
        (Some(entry), true) => entry,
        (entry, _) => {
            // Only a caller holding a secret a transfer retired learns why it fails.
            let retired = entry
                .as_ref()
                .is_some_and(|e| e.secret_retired_by_transfer(&computed));
            let reason = match &entry {
                Some(_) if retired => "secret_retired_by_transfer",
                Some(_) => "wrong_secret",
                None => "unknown_client",
            };
            count_failure(state, &creds.client_id, &address, &source, reason).await;
            if retired {
                return Err(OAuthError::invalid_client(
                    "this secret stopped working when the API client was transferred to a new owner; the new owner must create a new secret (Developer Portal, or POST /v2/api-clients/{id}/secrets) and use that",
                ));
            }
            return Err(OAuthError::invalid_client(
                "client authentication failed: unknown client or wrong secret",
            ));
        }
    };
    match entry.status {
        ApiClientStatus::Active => Ok(entry),
        ApiClientStatus::Revoked => {
            state
                .failure_log
                .count(&creds.client_id, &address, "client_revoked");
            Err(OAuthError::invalid_client(
                "the API client was revoked; create a new one in the Developer Portal",
            ))
        }
        ApiClientStatus::Suspended => {
            state
                .failure_log
                .count(&creds.client_id, &address, "client_suspended");
            let why = entry
                .suspension
                .map(|r| r.explanation())
                .unwrap_or("the API client is suspended");
            Err(OAuthError::invalid_client(why))
        }
    }
}

/// Logs and counts a failed authentication, and holds the answer back as long
/// as the throttle says (a guesser slows itself).
async fn count_failure(
    state: &AppState,
    client_id: &str,
    address: &str,
    source: &str,
    reason: &'static str,
) {
    state.failure_log.count(client_id, address, reason);
    metrics::counter!("oneportal_client_auth_failures_total").increment(1);
    let delay = state.throttle.record_failure(client_id, source);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aid+one:s%25e+c%2Bret"));
        let creds = parse_basic(&header).unwrap();
        assert_eq!(creds.client_id, "my:id one");
        assert_eq!(creds.secret, "s%e c+ret");
    }

    #[test]
    fn the_first_colon_separates_id_and_secret() {
        let creds = parse_basic(&format!("basic {}", STANDARD.encode("id:se:cret"))).unwrap();
        assert_eq!(
            (creds.client_id.as_str(), creds.secret.as_str()),
            ("id", "se:cret")
        );
    }

    #[test]
    fn malformed_headers_are_invalid_client() {
        for header in [
            "Basic",
            "Basic !!!",
            "Bearer abc",
            &format!("Basic {}", STANDARD.encode("no-colon")),
        ] {
            assert_eq!(
                parse_basic(header).unwrap_err().code(),
                "invalid_client",
                "{header}"
            );
        }
    }
}

//! Discovery (RFC 8414, and the OpenID path some libraries only know) and the JWKS.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ApiScope;
use serde_json::{Value, json};

use crate::auth::keys::SigningAlg;
use crate::state::AppState;

pub async fn jwks(State(state): State<AppState>) -> Response {
    let body = state.keys.current().jwks.clone();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    // Short enough that a verifier sees a pre-published key well before it signs.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn metadata(state: &AppState) -> Value {
    let base = &state.public_url;
    let algs: Vec<_> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": base,
        "token_endpoint": format!("{base}/oauth2/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ApiScope::ALL.iter().map(|s| s.oauth_name()).collect::<Vec<_>>(),
        "access_token_signing_alg_values_supported": algs,
        "service_documentation": format!("{base}/v2/openapi.json"),
    })
}

pub async fn authorization_server(State(state): State<AppState>) -> Json<Value> {
    Json(metadata(&state))
}

/// The same document plus the fields OpenID Connect discovery requires, for
/// client libraries that only look there. No ID tokens are issued.
pub async fn openid_configuration(State(state): State<AppState>) -> Json<Value> {
    let mut doc = metadata(&state);
    doc["subject_types_supported"] = json!(["public"]);
    doc["id_token_signing_alg_values_supported"] = json!([state.config.oauth.signing_alg.as_str()]);
    Json(doc)
}

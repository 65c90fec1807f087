//! Access tokens (RFC 9068 JWTs): the claims, issuing, and verifying.

use jsonwebtoken::{Validation, decode, decode_header};
use oneportal_domain::ScopeSet;
use oneportal_domain::ids::IdKind;
use serde::{Deserialize, Serialize};

use super::key_ring::KeySet;

/// Whose token it is: a machine (client credentials), a customer's person (user
/// token), or the provider's staff (operations API only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    Client,
    User,
    Staff,
}

/// The claims of every access token OnePortal issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The client id (client tokens) or the user id (user tokens).
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated OAuth scopes.
    pub scope: String,
    /// The organization, `ORG-000001`.
    pub org_id: String,
    pub token_use: TokenUse,
    /// Client tokens: the client's transfer count when the token was issued. A
    /// transfer raises the client's, which ends every token issued before it.
    /// Absent (0) in user and staff tokens and in tokens issued before transfers counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_generation: Option<i64>,
}

/// The client id user tokens carry: the portal acts as their client (RFC 9068 needs one).
pub const PORTAL_CLIENT_ID: &str = "oneportal-portal";

/// The client id staff tokens carry.
pub const OPERATIONS_CLIENT_ID: &str = "oneportal-operations";

/// Who the token is for and for how long.
pub struct TokenRequest<'a> {
    pub subject: &'a str,
    pub client_id: &'a str,
    pub org_id: i64,
    pub scopes: ScopeSet,
    pub token_use: TokenUse,
    pub ttl_secs: u32,
}

/// The fixed parts of every token: issuer and audience.
#[derive(Debug, Clone)]
pub struct TokenAuthority {
    pub issuer: String,
    pub audience: String,
}

impl TokenAuthority {
    pub fn new(public_url: &str) -> Self {
        TokenAuthority {
            issuer: public_url.to_owned(),
            audience: format!("{public_url}/v2"),
        }
    }

    pub fn issue(&self, keys: &KeySet, request: TokenRequest<'_>) -> (String, AccessClaims) {
        self.issue_with_generation(keys, request, None)
    }

    /// A client token stamped with the client's transfer count (see
    /// [`AccessClaims::client_generation`]).
    pub fn issue_for_client(
        &self,
        keys: &KeySet,
        request: TokenRequest<'_>,
        client_generation: i64,
    ) -> (String, AccessClaims) {
        self.issue_with_generation(keys, request, Some(client_generation))
    }

    fn issue_with_generation(
        &self,
        keys: &KeySet,
        request: TokenRequest<'_>,
        client_generation: Option<i64>,
    ) -> (String, AccessClaims) {
        let now = time_now();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: request.subject.to_owned(),
            aud: self.audience.clone(),
            exp: now + i64::from(request.ttl_secs),
            iat: now,
            nbf: now,
            jti: super::random::alphanumeric(22),
            client_id: request.client_id.to_owned(),
            scope: request.scopes.to_oauth_string(),
            org_id: IdKind::Organization.format(request.org_id),
            token_use: request.token_use,
            client_generation,
        };
        (keys.active.sign_jwt(&claims), claims)
    }

    /// Checks signature, header and registered claims. The caller still checks
    /// revocation and the client's or user's current status.
    pub fn verify(&self, keys: &KeySet, token: &str) -> Result<AccessClaims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        // RFC 7515 §4.1.11: extensions marked critical must be understood; we understand none.
        if header.crit.is_some() {
            return Err(TokenError::CriticalHeader);
        }
        if header
            .typ
            .as_deref()
            .map(|t| t.eq_ignore_ascii_case("at+jwt"))
            != Some(true)
        {
            return Err(TokenError::WrongType);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = keys.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
        // The key decides the algorithm; a header that claims another (HS256, none) is refused.
        if header.alg != super::keys::jwt_algorithm(key.alg) {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        let mut validation = Validation::new(super::keys::jwt_algorithm(key.alg));
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let claims = decode::<AccessClaims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                jsonwebtoken::errors::ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                jsonwebtoken::errors::ErrorKind::InvalidAudience => TokenError::WrongAudience,
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed,
            })?;
        // A token issued in the future was not issued by this server's clock (nor a
        // node's within the leeway): forged or minted on a host whose clock is wrong.
        if claims.iat > time_now() + IAT_LEEWAY_SECS {
            return Err(TokenError::IssuedInTheFuture);
        }
        Ok(claims)
    }
}

/// How far in the future a token's `iat` may lie (clock differences between nodes).
pub const IAT_LEEWAY_SECS: i64 = 60;

/// Why a token was refused; the text goes to the caller in `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is not a well-formed JWT access token")]
    Malformed,
    #[error("the access token is not of type at+jwt")]
    WrongType,
    #[error("the access token was signed by a key this server does not know")]
    UnknownKey,
    #[error("the access token's algorithm is not allowed for its key")]
    AlgorithmNotAllowed,
    #[error("the access token's signature is invalid")]
    BadSignature,
    #[error("the access token has expired; request a new one")]
    Expired,
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token claims to be issued in the future")]
    IssuedInTheFuture,
    #[error(
        "the access token carries a critical header extension (crit) this server does not understand"
    )]
    CriticalHeader,
    #[error("the access token was issued by another server")]
    WrongIssuer,
    #[error("the access token is meant for another audience")]
    WrongAudience,
    #[error("the access token was revoked")]
    Revoked,
    #[error("the API client was revoked")]
    ClientRevoked,
    #[error(
        "the access token was issued before the API client was transferred to a new owner; request a new token with the new owner's secret"
    )]
    ClientTransferred,
    #[error("{0}")]
    ClientSuspended(&'static str),
    #[error("the user behind this token no longer has access")]
    UserInactive,
}

pub fn time_now() -> i64 {
    oneportal_store::now_ms() / 1000
}

//! Client authentication at the token endpoint (RFC 6749 section 2.3,
//! OpenID Connect Core 9): `client_secret_basic`, `client_secret_post`, and
//! `none` for public clients.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::{ErrorCode, OAuthError};
use crate::clients::{AuthMethod, ClientCache, ClientSecrets, PlainSecret};
use crate::domain::ClientId;
use crate::storage::StorageError;
use crate::storage::models::client::Client;

/// What the request presented to identify the client.
#[derive(Debug)]
pub struct PresentedClient {
    pub client_id: String,
    pub secret: Option<PlainSecret>,
    pub method: AuthMethod,
}

/// A failed client authentication; `basic` says whether the answer must be
/// a 401 with `WWW-Authenticate` (RFC 6749 section 5.2).
#[derive(Debug)]
pub struct ClientAuthError {
    pub error: OAuthError,
    pub basic: bool,
}

impl ClientAuthError {
    fn invalid_client(basic: bool, description: &str) -> ClientAuthError {
        ClientAuthError {
            error: OAuthError::new(ErrorCode::InvalidClient, description),
            basic,
        }
    }
}

/// Reads the client's credentials from the `Authorization` header or the form.
pub fn presented(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<PresentedClient, ClientAuthError> {
    if let Some(header) = authorization {
        if form_secret.is_some() {
            let error = OAuthError::new(
                ErrorCode::InvalidRequest,
                "use one client authentication method, not two",
            );
            return Err(ClientAuthError { error, basic: true });
        }
        return basic_credentials(header, form_client_id);
    }

    let client_id = form_client_id.filter(|id| !id.is_empty()).ok_or_else(|| {
        ClientAuthError::invalid_client(false, "client authentication is required")
    })?;
    Ok(PresentedClient {
        client_id: client_id.to_owned(),
        secret: form_secret.map(PlainSecret::from_presented),
        method: if form_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        },
    })
}

fn basic_credentials(
    header: &str,
    form_client_id: Option<&str>,
) -> Result<PresentedClient, ClientAuthError> {
    let malformed = || ClientAuthError::invalid_client(true, "malformed Basic credentials");
    let encoded = header.strip_prefix("Basic ").ok_or_else(malformed)?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    // Both parts are form-urlencoded first (RFC 6749 section 2.3.1).
    let id = form_urldecode(id).ok_or_else(malformed)?;
    let secret = form_urldecode(secret).ok_or_else(malformed)?;
    if form_client_id.is_some_and(|form_id| form_id != id) {
        return Err(ClientAuthError::invalid_client(
            true,
            "client_id differs from the Basic credentials",
        ));
    }
    Ok(PresentedClient {
        client_id: id,
        secret: Some(PlainSecret::from_presented(&secret)),
        method: AuthMethod::ClientSecretBasic,
    })
}

fn form_urldecode(value: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={value}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Loads the client and checks what it presented against its registration.
pub async fn authenticate(
    clients: &ClientCache,
    hasher: &ClientSecrets,
    presented: PresentedClient,
) -> Result<Client, ClientAuthError> {
    let basic = presented.method == AuthMethod::ClientSecretBasic;
    // Not a query the database may refuse (PostgreSQL rejects NUL in text).
    if ClientId::parse(&presented.client_id).is_err() {
        return Err(ClientAuthError::invalid_client(basic, "unknown client"));
    }
    let client = match clients.get(&presented.client_id).await {
        Ok(client) => Client::clone(&client),
        Err(StorageError::NotFound) => {
            return Err(ClientAuthError::invalid_client(basic, "unknown client"));
        }
        Err(_) => {
            let error = OAuthError::new(ErrorCode::ServerError, "the client could not be loaded");
            return Err(ClientAuthError { error, basic });
        }
    };

    let registered = AuthMethod::parse(&client.token_endpoint_auth_method).ok();
    if registered != Some(presented.method) {
        return Err(ClientAuthError::invalid_client(
            basic,
            "this client is registered for another authentication method",
        ));
    }
    let secret_ok = match (&presented.secret, &client.secret_hash) {
        (None, None) => true,
        (Some(secret), Some(stored)) => hasher.verify(secret, stored),
        _ => false,
    };
    if !secret_ok {
        return Err(ClientAuthError::invalid_client(
            basic,
            "client authentication failed",
        ));
    }
    Ok(client)
}

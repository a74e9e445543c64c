//! Registered clients (relying parties): registration rules, secrets, and
//! the RFC 7591 shape they are read and written in.

pub mod cache;
pub mod metadata;
pub mod secret;

pub use cache::ClientCache;
pub use metadata::{AuthMethod, ClientMetadata, RegisteredClient};
pub use secret::{ClientSecrets, PlainSecret};

use crate::clock::SharedClock;
use crate::domain::{ClientId, InvalidValue};
use crate::oidc::tokens::IdTokenAlg;
use crate::storage::models::client::Client;
use crate::storage::{Db, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("a client with id `{0}` already exists")]
    IdTaken(String),
    #[error("no client has id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for ClientError {
    fn from(error: StorageError) -> Self {
        ClientError::Storage(error)
    }
}

#[derive(Clone, Debug)]
pub struct Clients {
    db: Db,
    hasher: ClientSecrets,
    clock: SharedClock,
}

impl Clients {
    pub fn new(db: Db, hasher: ClientSecrets, clock: SharedClock) -> Clients {
        Clients { db, hasher, clock }
    }

    /// Validates and stores a client. The response carries the generated
    /// secret of a confidential client: the only time it is ever shown.
    pub async fn register(
        &self,
        metadata: &ClientMetadata,
    ) -> Result<RegisteredClient, ClientError> {
        let valid = metadata.validate()?;
        let id = match &metadata.client_id {
            Some(raw) => ClientId::parse(raw)?,
            None => ClientId::generate(),
        };
        let secret = (valid.auth_method != AuthMethod::None).then(PlainSecret::generate);
        let hash = secret.as_ref().map(|s| self.hasher.hash(s));
        let mut client = client_row(&id, &valid, hash, self.clock.now());
        if let (IdTokenAlg::Hs256, Some(secret)) = (valid.id_token_alg, &secret) {
            client.sealed_secret = Some(self.hasher.seal(id.as_str(), secret));
        }

        let row = client.clone();
        match self.db.run(move |conn| Client::insert(conn, &row)).await {
            Err(StorageError::Conflict) => {
                return Err(ClientError::IdTaken(id.as_str().to_owned()));
            }
            other => other?,
        }
        tracing::info!(target: "audit", client_id = %client.id, "client registered");
        let shown = secret.map(|s| s.expose().to_owned());
        Ok(RegisteredClient::from_stored(&client, shown))
    }

    pub async fn list(&self) -> Result<Vec<RegisteredClient>, ClientError> {
        let clients = self.db.run(Client::list).await?;
        Ok(clients
            .iter()
            .map(|c| RegisteredClient::from_stored(c, None))
            .collect())
    }

    pub async fn find(&self, id: &str) -> Result<RegisteredClient, ClientError> {
        let wanted = id.to_owned();
        match self.db.run(move |conn| Client::find(conn, &wanted)).await {
            Ok(client) => Ok(RegisteredClient::from_stored(&client, None)),
            Err(StorageError::NotFound) => Err(ClientError::NotFound(id.to_owned())),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn delete(&self, id: &str) -> Result<(), ClientError> {
        let wanted = id.to_owned();
        match self.db.run(move |conn| Client::delete(conn, &wanted)).await {
            Err(StorageError::NotFound) => return Err(ClientError::NotFound(id.to_owned())),
            other => other?,
        }
        tracing::info!(target: "audit", client_id = %id, "client deleted");
        Ok(())
    }
}

fn client_row(
    id: &ClientId,
    valid: &metadata::ValidRegistration,
    secret_hash: Option<String>,
    now: i64,
) -> Client {
    let json = |items: Vec<&str>| serde_json::Value::from(items).to_string();
    let has_code = valid
        .grant_types
        .contains(&crate::domain::GrantType::AuthorizationCode);
    Client {
        id: id.as_str().to_owned(),
        name: valid.name.clone().unwrap_or_else(|| id.as_str().to_owned()),
        client_type: if secret_hash.is_some() {
            "confidential"
        } else {
            "public"
        }
        .to_owned(),
        secret_hash,
        token_endpoint_auth_method: valid.auth_method.as_str().to_owned(),
        redirect_uris: json(valid.redirect_uris.iter().map(|u| u.as_str()).collect()),
        post_logout_redirect_uris: json(
            valid
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str())
                .collect(),
        ),
        grant_types: json(valid.grant_types.iter().map(|g| g.as_str()).collect()),
        response_types: json(if has_code { vec!["code"] } else { vec![] }),
        allowed_scopes: valid.scopes.to_string(),
        id_token_signed_response_alg: valid.id_token_alg.as_str().to_owned(),
        first_party: valid.first_party,
        require_pkce: valid.require_pkce,
        created_at: now,
        updated_at: now,
        sealed_secret: None,
        access_token_lifetime_secs: valid.lifetimes.access_token,
        id_token_lifetime_secs: valid.lifetimes.id_token,
        refresh_token_lifetime_secs: valid.lifetimes.refresh_token,
        backchannel_logout_uri: valid.logout.backchannel_uri.clone(),
        backchannel_logout_session_required: valid.logout.backchannel_session_required,
        frontchannel_logout_uri: valid.logout.frontchannel_uri.clone(),
        frontchannel_logout_session_required: valid.logout.frontchannel_session_required,
    }
}

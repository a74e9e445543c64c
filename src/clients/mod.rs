//! Registered clients (relying parties): registration rules, secrets, and
//! the RFC 7591 shape they are read and written in. The CLI, the admin
//! console and the admin API all change clients through [`Clients`], which
//! writes each change to the audit log.

pub mod cache;
pub mod fields;
pub mod metadata;
pub mod secret;

pub use cache::ClientCache;

pub use fields::FieldError;
pub use metadata::{AuthMethod, ClientMetadata, RegisteredClient};
pub use secret::{ClientSecrets, PlainSecret};
use std::sync::Arc;

use crate::audit::{self, Action, Actor};
use crate::clock::SharedClock;
use crate::domain::{ClientId, InvalidValue};
use crate::oidc::tokens::IdTokenAlg;
use crate::storage::models::client::Client;
use crate::storage::{Db, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
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
    actor: Actor,
    /// The server's cache of authenticated clients, told of every change
    /// made here; `None` outside the server (the CLI).
    cache: Option<Arc<ClientCache>>,
}

impl Clients {
    /// Client operations, recorded in the audit log as done by `system`
    /// until [`Clients::acting_as`] names someone.
    pub fn new(db: Db, hasher: ClientSecrets, clock: SharedClock) -> Clients {
        Clients {
            db,
            hasher,
            clock,
            actor: Actor::system(),
            cache: None,
        }
    }

    pub fn acting_as(mut self, actor: Actor) -> Clients {
        self.actor = actor;
        self
    }

    /// Keeps `cache` in step with the changes made through these clients, so
    /// a deleted client or a replaced secret stops working on this instance
    /// at once.
    pub fn updating(mut self, cache: Arc<ClientCache>) -> Clients {
        self.cache = Some(cache);
        self
    }

    fn forget(&self, id: &str) {
        if let Some(cache) = &self.cache {
            cache.forget(id);
        }
    }

    /// Validates and stores a client. The response carries the generated
    /// secret of a confidential client: the only time it is ever shown.
    pub async fn register(
        &self,
        metadata: &ClientMetadata,
    ) -> Result<RegisteredClient, ClientError> {
        let valid = validate(metadata)?;
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
        let detail = serde_json::json!({ "name": client.name, "type": client.client_type });
        self.audit(Action::ClientCreated, &client.id, detail).await;
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
        self.forget(id);
        self.audit(Action::ClientDeleted, id, serde_json::json!({}))
            .await;
        Ok(())
    }

    /// Clients whose id or name contains `query`, ignoring case.
    pub async fn search(&self, query: &str) -> Result<Vec<RegisteredClient>, ClientError> {
        let wanted = query.trim().to_lowercase();
        let mut clients = self.list().await?;
        clients.retain(|c| {
            c.client_id.to_lowercase().contains(&wanted)
                || c.client_name.to_lowercase().contains(&wanted)
        });
        Ok(clients)
    }

    /// Replaces a client's registration, keeping its id, creation time and
    /// secret. A client that becomes confidential, or starts signing ID
    /// tokens with HS256 without a sealed secret, gets a new secret, shown
    /// in the answer once; one that becomes public loses its secret.
    pub async fn update(
        &self,
        id: &str,
        metadata: &ClientMetadata,
    ) -> Result<RegisteredClient, ClientError> {
        let valid = validate(metadata)?;
        let stored = self.load(id).await?;

        let client_id = ClientId::parse(id)?;
        let (client, secret) = self.updated_row(&client_id, &stored, &valid);
        let row = client.clone();
        self.db.run(move |conn| Client::update(conn, &row)).await?;
        self.forget(id);
        let detail = serde_json::json!({ "name": client.name, "new_secret": secret.is_some() });
        self.audit(Action::ClientUpdated, id, detail).await;
        let shown = secret.map(|s| s.expose().to_owned());
        Ok(RegisteredClient::from_stored(&client, shown))
    }

    /// Gives a confidential client a new secret, returned once; the old
    /// one stops working at once.
    pub async fn regenerate_secret(&self, id: &str) -> Result<RegisteredClient, ClientError> {
        let mut client = self.load(id).await?;
        if client.secret_hash.is_none() {
            return Err(ClientError::Invalid(InvalidValue::new(
                "a public client has no secret",
            )));
        }

        let secret = PlainSecret::generate();
        self.set_secret(&mut client, &secret);
        client.updated_at = self.clock.now();
        let row = client.clone();
        self.db.run(move |conn| Client::update(conn, &row)).await?;
        self.forget(id);
        self.audit(Action::ClientSecretRegenerated, id, serde_json::json!({}))
            .await;
        Ok(RegisteredClient::from_stored(
            &client,
            Some(secret.expose().to_owned()),
        ))
    }

    async fn load(&self, id: &str) -> Result<Client, ClientError> {
        let wanted = id.to_owned();
        match self.db.run(move |conn| Client::find(conn, &wanted)).await {
            Ok(client) => Ok(client),
            Err(StorageError::NotFound) => Err(ClientError::NotFound(id.to_owned())),
            Err(other) => Err(other.into()),
        }
    }

    fn updated_row(
        &self,
        id: &ClientId,
        stored: &Client,
        valid: &metadata::ValidRegistration,
    ) -> (Client, Option<PlainSecret>) {
        let mut client = client_row(id, valid, stored.secret_hash.clone(), self.clock.now());
        client.created_at = stored.created_at;
        client.sealed_secret = stored.sealed_secret.clone();
        if valid.auth_method == AuthMethod::None {
            client.client_type = "public".to_owned();
            client.secret_hash = None;
            client.sealed_secret = None;
            return (client, None);
        }

        let wants_sealed = valid.id_token_alg == IdTokenAlg::Hs256;
        if !wants_sealed {
            client.sealed_secret = None;
        }
        let needs_secret =
            client.secret_hash.is_none() || (wants_sealed && client.sealed_secret.is_none());
        if !needs_secret {
            return (client, None);
        }
        let secret = PlainSecret::generate();
        self.set_secret(&mut client, &secret);
        (client, Some(secret))
    }

    fn set_secret(&self, client: &mut Client, secret: &PlainSecret) {
        client.client_type = "confidential".to_owned();
        client.secret_hash = Some(self.hasher.hash(secret));
        client.sealed_secret = (client.id_token_signed_response_alg == IdTokenAlg::Hs256.as_str())
            .then(|| self.hasher.seal(&client.id, secret));
    }

    async fn audit(&self, action: Action, client_id: &str, detail: serde_json::Value) {
        let now = self.clock.now();
        audit::record(&self.db, now, &self.actor, action, Some(client_id), detail).await;
    }
}

/// Field checks first, so each problem names its field; then the rules
/// that tie fields together.
fn validate(metadata: &ClientMetadata) -> Result<metadata::ValidRegistration, ClientError> {
    let problems = fields::check(metadata);
    if !problems.is_empty() {
        return Err(ClientError::Fields(problems));
    }
    Ok(metadata.validate()?)
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
        access_token_signed_response_alg: valid.access_token_alg.map(|a| a.as_str().to_owned()),
    }
}

//! The `clients` table: registered relying parties.

use diesel::prelude::*;

use crate::storage::schema::clients;
use crate::storage::{DbConnection, StorageError};

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// `confidential` or `public`.
    pub client_type: String,
    /// Keyed SHA-256 of the secret (see `clients::secret`); `None` for public
    /// clients.
    pub secret_hash: Option<String>,
    pub token_endpoint_auth_method: String,
    /// JSON arrays of strings.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_types: String,
    pub response_types: String,
    /// Space-separated.
    pub allowed_scopes: String,
    pub id_token_signed_response_alg: String,
    pub first_party: bool,
    pub require_pkce: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The secret sealed (see `keys::Sealer`), only for HS256 ID tokens.
    pub sealed_secret: Option<String>,
    /// Lifetimes for this client's tokens; `None` takes the configured default.
    pub access_token_lifetime_secs: Option<i64>,
    pub id_token_lifetime_secs: Option<i64>,
    pub refresh_token_lifetime_secs: Option<i64>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// `None` takes `tokens.access_token_signing_alg`.
    pub access_token_signed_response_alg: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("client_type", &self.client_type)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn insert(conn: &mut DbConnection, client: &Client) -> Result<(), StorageError> {
        diesel::insert_into(clients::table)
            .values(client)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> Result<Client, StorageError> {
        Ok(clients::table
            .find(id)
            .select(Client::as_select())
            .get_result(conn)?)
    }

    pub fn list(conn: &mut DbConnection) -> Result<Vec<Client>, StorageError> {
        Ok(clients::table
            .order(clients::id.asc())
            .select(Client::as_select())
            .load(conn)?)
    }

    /// Writes every column of `client` but its id.
    pub fn update(conn: &mut DbConnection, client: &Client) -> Result<(), StorageError> {
        let updated = diesel::update(clients::table.find(&client.id))
            .set(client)
            .execute(conn)?;
        super::found(updated)
    }

    pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), StorageError> {
        match diesel::delete(clients::table.find(id)).execute(conn)? {
            0 => Err(StorageError::NotFound),
            _ => Ok(()),
        }
    }
}

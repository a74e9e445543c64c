//! Authorization requests waiting for the person: stored by the hash of a
//! random id that travels in the sign-in and consent URLs and forms.

use super::authorize::AuthorizationRequest;
use crate::secret::{random_token, token_hash};
use crate::storage::models::authorization_request::PendingRequestRow;
use crate::storage::{Db, StorageError};

/// How long a person has to sign in and consent.
pub const LIFETIME_SECS: i64 = 30 * 60;

pub async fn store(
    db: &Db,
    request: &AuthorizationRequest,
    now: i64,
) -> Result<String, StorageError> {
    let id = random_token(24);
    let row = PendingRequestRow {
        id_hash: token_hash(&id),
        client_id: request.client_id.clone(),
        request: serde_json::to_string(request)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?,
        created_at: now,
        expires_at: now + LIFETIME_SECS,
    };
    db.run(move |conn| PendingRequestRow::insert(conn, &row))
        .await?;
    Ok(id)
}

/// The live request with this id; `None` when unknown, expired or answered.
pub async fn load(
    db: &Db,
    id: &str,
    now: i64,
) -> Result<Option<AuthorizationRequest>, StorageError> {
    let id_hash = token_hash(id);
    match db
        .run(move |conn| PendingRequestRow::find_live(conn, &id_hash, now))
        .await
    {
        Ok(row) => serde_json::from_str(&row.request)
            .map(Some)
            .map_err(|e| StorageError::Corrupt(e.to_string())),
        Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Stores `request` in place of the pending one with this id.
pub async fn save(db: &Db, id: &str, request: &AuthorizationRequest) -> Result<(), StorageError> {
    let id_hash = token_hash(id);
    let json = serde_json::to_string(request).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    db.run(move |conn| PendingRequestRow::replace_request(conn, &id_hash, &json))
        .await
}

/// Marks the request answered; `false` if it already was.
pub async fn take(db: &Db, id: &str) -> Result<bool, StorageError> {
    let id_hash = token_hash(id);
    match db
        .run(move |conn| PendingRequestRow::take(conn, &id_hash))
        .await
    {
        Ok(()) => Ok(true),
        Err(StorageError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

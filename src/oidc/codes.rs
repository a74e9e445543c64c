//! Issuing authorization codes: 256 random bits, stored only as a hash,
//! bound to the client, redirect URI, PKCE challenge and session.

use super::authorize::AuthorizationRequest;
use crate::secret::{random_token, token_hash};
use crate::storage::models::authorization_code::AuthorizationCodeRow;
use crate::storage::models::session::Session;
use crate::storage::{Db, StorageError};

pub async fn issue(
    db: &Db,
    request: &AuthorizationRequest,
    session: &Session,
    sid: &str,
    now: i64,
    lifetime_secs: i64,
) -> Result<String, StorageError> {
    let code = random_token(32);
    let row = AuthorizationCodeRow {
        code_hash: token_hash(&code),
        client_id: request.client_id.clone(),
        user_id: session.user_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        sid: sid.to_owned(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        created_at: now,
        expires_at: now + lifetime_secs,
        redeemed_at: None,
        access_token_jti: None,
        access_token_expires_at: None,
        refresh_family_id: None,
        idp: session.idp.clone(),
    };
    db.run(move |conn| AuthorizationCodeRow::insert(conn, &row))
        .await?;
    Ok(code)
}

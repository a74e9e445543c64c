//! Authorization codes made ahead of the exchange run: stored as the server
//! stores the codes it issues (a hash, bound to the client, redirect URI,
//! PKCE challenge and session), in one transaction, so that the run
//! measures only the exchange.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use diesel::Connection;

use porteiro::oidc::pkce;
use porteiro::secret::{random_token, token_hash};
use porteiro::storage::StorageError;
use porteiro::storage::models::authorization_code::AuthorizationCodeRow;

use crate::fixture::{CLIENT_ID, Fixture, Parties, REDIRECT_URI};

/// What the relying party asked for when the codes were issued.
pub const CODE_SCOPES: &str = "openid profile email";

/// The code verifier every prepared code's challenge answers; 43 characters,
/// the shortest RFC 7636 allows.
pub const CODE_VERIFIER: &str = "bench-code-verifier-0123456789abcdefghijklmn";

/// Longer than the server's default code lifetime, so codes prepared for a
/// long run do not expire during it; the server checks expiry the same way
/// whatever the lifetime was.
const CODE_LIFETIME_SECS: i64 = 600;

/// Stores `count` fresh codes of the person's session and returns them.
pub async fn prepare(
    fixture: &Fixture,
    parties: &Parties,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let codes: Vec<String> = (0..count).map(|_| random_token(32)).collect();
    let rows: Vec<AuthorizationCodeRow> = codes
        .iter()
        .map(|code| row(fixture, parties, code))
        .collect();

    fixture
        .db
        .run(move |conn| {
            conn.transaction::<_, StorageError, _>(|conn| {
                rows.iter()
                    .try_for_each(|row| AuthorizationCodeRow::insert(conn, row))
            })
        })
        .await
        .context("cannot store the authorization codes")?;
    Ok(codes)
}

fn row(fixture: &Fixture, parties: &Parties, code: &str) -> AuthorizationCodeRow {
    let now = fixture.clock.now();
    AuthorizationCodeRow {
        code_hash: token_hash(code),
        client_id: CLIENT_ID.to_owned(),
        user_id: parties.user.id.clone(),
        redirect_uri: REDIRECT_URI.to_owned(),
        scope: CODE_SCOPES.to_owned(),
        nonce: Some(random_token(16)),
        code_challenge: Some(pkce::s256_challenge(CODE_VERIFIER)),
        sid: parties.sid.clone(),
        auth_time: parties.session.auth_time,
        amr: parties.session.amr.clone(),
        created_at: now,
        expires_at: now + CODE_LIFETIME_SECS,
        redeemed_at: None,
        access_token_jti: None,
        access_token_expires_at: None,
        refresh_family_id: None,
        idp: None,
    }
}

/// The token request body that redeems `code`, as a relying party sends it.
pub fn exchange_body(code: &str) -> String {
    serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", CODE_VERIFIER),
    ])
    .unwrap_or_default()
}

/// Writes one exchange body per line, for the `once.lua` wrk script.
pub fn write_bodies(codes: &[String], path: &Path) -> anyhow::Result<()> {
    let mut text = String::with_capacity(codes.len() * 160);
    for code in codes {
        let _ = writeln!(text, "{}", exchange_body(code));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

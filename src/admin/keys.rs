//! Signing keys on an admin's request: their states and dates, rotation,
//! retirement. The rules are in `crate::keys`; this adds the audit entry
//! and reloads this instance's key set at once, so the change shows in the
//! JWKS without waiting for the reloader.

use serde::Serialize;
use serde_json::json;

use super::{AdminContext, AdminError};
use crate::audit::{self, Action};
use crate::keys::{KeyState, SigningAlg};
use crate::startup::AppState;
use crate::storage::models::signing_key::SigningKeyRow;

/// A signing key as admins see it; never the private part.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// `next`, `active`, `retired` or `expired` (out of the JWKS).
    pub state: &'static str,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    pub unpublish_at: Option<i64>,
}

/// Every key, oldest first.
pub async fn list(state: &AppState) -> Result<Vec<KeyView>, AdminError> {
    let now = state.clock.now();
    let rows = state.db.run(SigningKeyRow::all).await?;
    Ok(rows.iter().map(|row| view(row, now)).collect())
}

/// Adds a key for `alg` (every algorithm when `None`) that signs after the
/// configured delay; returns the new keys' ids.
pub async fn rotate(
    ctx: &AdminContext<'_>,
    alg: Option<SigningAlg>,
) -> Result<Vec<String>, AdminError> {
    let state = ctx.state;
    let algs = alg.map_or_else(|| SigningAlg::ALL.to_vec(), |alg| vec![alg]);
    let (now, delay) = (state.clock.now(), state.settings.keys.rotation_delay_secs);
    let lifetime = state.settings.max_signed_token_lifetime_secs();

    let mut created = Vec::new();
    for alg in algs {
        let sealer = state.keys.sealer().clone();
        let kid = state
            .db
            .run(move |conn| crate::keys::rotate(conn, &sealer, alg, now, delay, lifetime))
            .await?;
        let detail = json!({ "alg": alg.as_str(), "delay_secs": delay });
        audit::record(
            &state.db,
            now,
            &ctx.actor,
            Action::KeyRotated,
            Some(&kid),
            detail,
        )
        .await;
        created.push(kid);
    }
    state.keys.refresh().await?;
    Ok(created)
}

/// Stops `kid` signing now; see [`crate::keys::retire`].
pub async fn retire(ctx: &AdminContext<'_>, kid: &str) -> Result<KeyView, AdminError> {
    let state = ctx.state;
    let (now, lifetime) = (
        state.clock.now(),
        state.settings.max_signed_token_lifetime_secs(),
    );

    let wanted = kid.to_owned();
    let row = state
        .db
        .run(move |conn| crate::keys::retire(conn, &wanted, now, lifetime))
        .await?;
    let detail = json!({ "alg": row.alg });
    audit::record(
        &state.db,
        now,
        &ctx.actor,
        Action::KeyRetired,
        Some(kid),
        detail,
    )
    .await;
    state.keys.refresh().await?;

    let retired = SigningKeyRow {
        retires_at: Some(now),
        unpublish_at: Some(now + lifetime),
        ..row
    };
    Ok(view(&retired, now))
}

fn view(row: &SigningKeyRow, now: i64) -> KeyView {
    KeyView {
        kid: row.kid.clone(),
        alg: row.alg.clone(),
        state: KeyState::of(row, now).as_str(),
        created_at: row.created_at,
        activates_at: row.activates_at,
        retires_at: row.retires_at,
        unpublish_at: row.unpublish_at,
    }
}

//! Creating keys: the first set on an empty database, and rotation.
//!
//! Rotation never leaves a gap: the new key is published at once and signs
//! only after a delay (so caches of the JWKS pick it up first), and the old
//! key stops signing at that moment but stays published until every token it
//! signed has expired.

use diesel::Connection;

use super::{KeyError, Sealer, SigningAlg};
use crate::storage::DbConnection;
use crate::storage::models::signing_key::SigningKeyRow;

/// Creates a key for each algorithm that has none. Run under the startup
/// lock, so instances starting together create one set between them.
pub fn ensure_initial_keys(
    conn: &mut DbConnection,
    sealer: &Sealer,
    now: i64,
) -> Result<Vec<String>, KeyError> {
    let mut created = Vec::new();
    for alg in SigningAlg::ALL {
        if SigningKeyRow::count_for_alg(conn, alg.as_str())? > 0 {
            continue;
        }
        let row = new_key(alg, sealer, now, now)?;
        SigningKeyRow::insert(conn, &row)?;
        created.push(row.kid);
    }
    Ok(created)
}

/// Adds a key for `alg` that signs from `now + delay_secs`, and schedules the
/// current keys of `alg` to retire then and leave the JWKS
/// `max_token_lifetime_secs` later. Returns the new key's id.
pub fn rotate(
    conn: &mut DbConnection,
    sealer: &Sealer,
    alg: SigningAlg,
    now: i64,
    delay_secs: i64,
    max_token_lifetime_secs: i64,
) -> Result<String, KeyError> {
    let activates_at = now + delay_secs;
    let row = new_key(alg, sealer, now, activates_at)?;

    conn.transaction(|conn| {
        SigningKeyRow::retire_alg(
            conn,
            alg.as_str(),
            activates_at,
            activates_at + max_token_lifetime_secs,
        )?;
        SigningKeyRow::insert(conn, &row)
    })?;
    Ok(row.kid)
}

/// Stops `kid` signing now, say after a suspected leak; it stays in the
/// JWKS `max_token_lifetime_secs` longer for the tokens it signed. Another
/// key of its algorithm must be there to take over (one that is not itself
/// retiring), or tokens of that algorithm could not be signed at all; if
/// that key is still waiting out its rotation delay, it starts signing now.
/// It has been published since its rotation, so only caches of the JWKS
/// older than that miss it: the price of retiring early.
pub fn retire(
    conn: &mut DbConnection,
    kid: &str,
    now: i64,
    max_token_lifetime_secs: i64,
) -> Result<SigningKeyRow, KeyError> {
    conn.transaction(|conn| {
        let Some(row) = SigningKeyRow::find(conn, kid)? else {
            return Err(KeyError::NotFound(kid.to_owned()));
        };
        if row.retires_at.is_some_and(|at| at <= now) {
            return Err(KeyError::AlreadyRetired(kid.to_owned()));
        }
        let all = SigningKeyRow::all(conn)?;
        let successor = all.iter().find(|other| {
            other.kid != row.kid && other.alg == row.alg && other.retires_at.is_none()
        });
        let Some(successor) = successor else {
            return Err(KeyError::LastKey {
                kid: kid.to_owned(),
                alg: row.alg.clone(),
            });
        };

        if successor.activates_at > now {
            SigningKeyRow::set_activation(conn, &successor.kid, now)?;
        }
        SigningKeyRow::set_retirement(conn, kid, now, now + max_token_lifetime_secs)?;
        Ok(row)
    })
}

fn new_key(
    alg: SigningAlg,
    sealer: &Sealer,
    now: i64,
    activates_at: i64,
) -> Result<SigningKeyRow, KeyError> {
    let kid = crate::secret::random_token(12);
    let (private_der, public_jwk) = alg.generate(&kid).map_err(|e| KeyError::Unusable {
        kid: kid.clone(),
        reason: e.to_string(),
    })?;

    Ok(SigningKeyRow {
        sealed_private_key: sealer.seal(&kid, &private_der),
        sealing_key_id: sealer.key_id().to_owned(),
        public_jwk: public_jwk.to_string(),
        alg: alg.as_str().to_owned(),
        kid,
        created_at: now,
        activates_at,
        retires_at: None,
        unpublish_at: None,
    })
}

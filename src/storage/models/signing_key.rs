//! The `signing_keys` table: public JWKs and sealed private keys.

use diesel::prelude::*;

use crate::storage::schema::signing_keys;
use crate::storage::{DbConnection, StorageError};

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub sealed_private_key: String,
    pub sealing_key_id: String,
    pub created_at: i64,
    /// The key signs from this time on; before it, it is only published.
    pub activates_at: i64,
    /// The key stops signing at this time.
    pub retires_at: Option<i64>,
    /// The key leaves the JWKS at this time, once its tokens have expired.
    pub unpublish_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("activates_at", &self.activates_at)
            .field("retires_at", &self.retires_at)
            .field("unpublish_at", &self.unpublish_at)
            .finish_non_exhaustive()
    }
}

impl SigningKeyRow {
    pub fn insert(conn: &mut DbConnection, row: &SigningKeyRow) -> Result<(), StorageError> {
        diesel::insert_into(signing_keys::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    /// Keys still in the JWKS at `now`, oldest first.
    pub fn published(
        conn: &mut DbConnection,
        now: i64,
    ) -> Result<Vec<SigningKeyRow>, StorageError> {
        Ok(signing_keys::table
            .filter(
                signing_keys::unpublish_at
                    .is_null()
                    .or(signing_keys::unpublish_at.gt(now)),
            )
            .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
            .select(SigningKeyRow::as_select())
            .load(conn)?)
    }

    pub fn all(conn: &mut DbConnection) -> Result<Vec<SigningKeyRow>, StorageError> {
        Ok(signing_keys::table
            .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
            .select(SigningKeyRow::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConnection, kid: &str) -> Result<Option<SigningKeyRow>, StorageError> {
        Ok(signing_keys::table
            .find(kid)
            .select(SigningKeyRow::as_select())
            .get_result(conn)
            .optional()?)
    }

    /// Makes one key stop signing at `retires_at` and leave the JWKS at
    /// `unpublish_at`.
    pub fn set_retirement(
        conn: &mut DbConnection,
        kid: &str,
        retires_at: i64,
        unpublish_at: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(signing_keys::table.find(kid))
            .set((
                signing_keys::retires_at.eq(retires_at),
                signing_keys::unpublish_at.eq(unpublish_at),
            ))
            .execute(conn)?;
        super::found(updated)
    }

    pub fn set_activation(
        conn: &mut DbConnection,
        kid: &str,
        activates_at: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(signing_keys::table.find(kid))
            .set(signing_keys::activates_at.eq(activates_at))
            .execute(conn)?;
        super::found(updated)
    }

    pub fn count_for_alg(conn: &mut DbConnection, alg: &str) -> Result<i64, StorageError> {
        Ok(signing_keys::table
            .filter(signing_keys::alg.eq(alg))
            .count()
            .get_result(conn)?)
    }

    /// Schedules every not-yet-retired key of `alg` to stop signing at
    /// `retires_at` and leave the JWKS at `unpublish_at`.
    pub fn retire_alg(
        conn: &mut DbConnection,
        alg: &str,
        retires_at: i64,
        unpublish_at: i64,
    ) -> Result<usize, StorageError> {
        Ok(diesel::update(
            signing_keys::table
                .filter(signing_keys::alg.eq(alg))
                .filter(signing_keys::retires_at.is_null()),
        )
        .set((
            signing_keys::retires_at.eq(retires_at),
            signing_keys::unpublish_at.eq(unpublish_at),
        ))
        .execute(conn)?)
    }
}

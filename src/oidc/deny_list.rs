//! The access-token deny-list, cached in memory so checking a token costs no
//! database round trip.
//!
//! The database table is the truth every instance shares. Each instance
//! keeps the unexpired `jti`s in memory: its own revocations go in at once,
//! and every `refresh_interval` it reads the rows revoked since its last read.
//! A revocation on one instance is therefore honoured by every other within
//! one refresh interval plus a query (one second by default; see
//! `tokens.deny_list_refresh_ms`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tracing::Instrument;

use crate::clock::SharedClock;
use crate::storage::models::revoked_access_token::RevokedAccessToken;
use crate::storage::{Db, StorageError};

/// Rows are re-read this many seconds back: `revoked_at` has whole seconds,
/// a row may commit after a read in the same second, and the instance that
/// wrote it may have a clock a little behind ours.
const OVERLAP_SECS: i64 = 30;

#[derive(Debug)]
pub struct DenyList {
    /// jti to the time its token expires.
    entries: RwLock<HashMap<String, i64>>,
    /// `revoked_at` from which the next refresh reads.
    read_from: RwLock<i64>,
    db: Db,
    clock: SharedClock,
}

impl DenyList {
    /// Loads every unexpired entry.
    pub async fn load(db: Db, clock: SharedClock) -> Result<Arc<DenyList>, StorageError> {
        let list = Arc::new(DenyList {
            entries: RwLock::default(),
            read_from: RwLock::new(0),
            db,
            clock,
        });
        list.refresh().await?;
        Ok(list)
    }

    /// Whether `jti` is revoked (and its token not yet expired).
    pub fn contains(&self, jti: &str) -> bool {
        let now = self.clock.now();
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(jti).is_some_and(|expires_at| *expires_at > now)
    }

    /// Revokes `jti` until `expires_at`, here at once and for every instance
    /// through the database.
    pub async fn revoke(&self, jti: &str, expires_at: i64) -> Result<(), StorageError> {
        let (owned, now) = (jti.to_owned(), self.clock.now());
        self.db
            .run(move |conn| RevokedAccessToken::insert(conn, &owned, expires_at, now))
            .await?;
        self.note_revoked(jti, expires_at);
        Ok(())
    }

    /// Records here a revocation already written to the database.
    pub fn note_revoked(&self, jti: &str, expires_at: i64) {
        self.remember([(jti.to_owned(), expires_at)]);
    }

    /// Reads the entries revoked since the last read, and forgets expired ones.
    pub async fn refresh(&self) -> Result<(), StorageError> {
        let now = self.clock.now();
        let since = *self.read_from.read().unwrap_or_else(|p| p.into_inner()) - OVERLAP_SECS;
        let rows = self
            .db
            .run(move |conn| RevokedAccessToken::revoked_since(conn, since, now))
            .await?;

        self.remember(rows);
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, expires_at| *expires_at > now);
        *self.read_from.write().unwrap_or_else(|p| p.into_inner()) = now;
        Ok(())
    }

    fn remember(&self, rows: impl IntoIterator<Item = (String, i64)>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.extend(rows);
    }

    /// Keeps this instance in step with the others.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) {
        let list = Arc::clone(self);
        let task = async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(error) = list.refresh().await {
                    tracing::warn!(error = %error, "cannot refresh the deny-list; serving the last one");
                }
            }
        };
        tokio::spawn(task.instrument(tracing::info_span!("deny_list_refresher")));
    }
}

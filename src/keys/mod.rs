//! Signing keys: creation, sealing at rest, rotation, the in-memory key set
//! every request signs with, and the JWKS built from it.
//!
//! The database is the source of truth, so every instance signs with the same
//! keys; each instance keeps the parsed keys and the serialized JWKS in
//! memory and reloads them when the stored key set or the time says so.

mod algorithm;
mod keyset;
mod rotation;
mod seal;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tracing::Instrument;

pub use algorithm::{SigningAlg, UnsupportedAlg};
pub use keyset::{KeySet, KeyState, LoadedKey, VerifyError};
pub use rotation::{ensure_initial_keys, retire, rotate};
pub use seal::{SealError, Sealer};

use crate::clock::SharedClock;
use crate::storage::models::signing_key::SigningKeyRow;
use crate::storage::{Db, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("signing key {kid} cannot be used: {reason}")]
    Unusable { kid: String, reason: String },
    #[error("no key signs {0} at this time")]
    NoActiveKey(SigningAlg),
    #[error("signing failed")]
    Sign(#[source] josekit::JoseError),
    #[error("no signing key has id `{0}`")]
    NotFound(String),
    #[error("signing key {0} is already retired")]
    AlreadyRetired(String),
    #[error("signing key {kid} has no {alg} key to take over; rotate first")]
    LastKey { kid: String, alg: String },
}

impl From<diesel::result::Error> for KeyError {
    fn from(error: diesel::result::Error) -> Self {
        KeyError::Storage(error.into())
    }
}

/// Documents derived from the key set, shared with the discovery handler.
pub trait PublishedDocuments: Send + Sync {
    /// The discovery document for a key set that signs with `algs`.
    fn discovery(&self, algs: &[SigningAlg]) -> serde_json::Value;
}

/// The current key set of this instance, swapped whole on change.
pub struct KeyStore {
    current: ArcSwap<KeySet>,
    db: Db,
    sealer: Sealer,
    clock: SharedClock,
    documents: Arc<dyn PublishedDocuments>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("keys", &self.current.load().len())
            .finish()
    }
}

impl KeyStore {
    pub async fn load(
        db: Db,
        sealer: Sealer,
        clock: SharedClock,
        documents: Arc<dyn PublishedDocuments>,
    ) -> Result<Arc<KeyStore>, KeyError> {
        let now = clock.now();
        let rows = db
            .run(move |conn| SigningKeyRow::published(conn, now))
            .await?;
        let set = KeySet::build(rows, &sealer, now, documents.as_ref())?;
        Ok(Arc::new(KeyStore {
            current: ArcSwap::from_pointee(set),
            db,
            sealer,
            clock,
            documents,
        }))
    }

    /// Seals the private keys of new keys, as rotation makes them.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The key set as of now.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    /// Signs `payload` with the active key of `alg`, putting `typ` and `kid`
    /// in the header.
    pub fn sign(&self, alg: SigningAlg, typ: &str, payload: &[u8]) -> Result<String, KeyError> {
        self.current
            .load()
            .sign(alg, typ, payload, self.clock.now())
    }

    /// Reloads from the database when the stored keys changed or a key moved
    /// to another state since the last build.
    pub async fn refresh(&self) -> Result<bool, KeyError> {
        let now = self.clock.now();
        let rows = self
            .db
            .run(move |conn| SigningKeyRow::published(conn, now))
            .await?;
        let current = self.current.load();
        if current.fingerprint() == keyset::fingerprint(&rows) && !current.changes_by(now) {
            return Ok(false);
        }

        let set = KeySet::build(rows, &self.sealer, now, self.documents.as_ref())?;
        tracing::info!(keys = set.len(), "signing key set reloaded");
        self.current.store(Arc::new(set));
        Ok(true)
    }

    /// Keeps this instance's key set in step with the database.
    pub fn spawn_reloader(self: &Arc<Self>, interval: Duration) {
        let store = Arc::clone(self);
        let task = async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(error) = store.refresh().await {
                    tracing::warn!(error = %error, "cannot reload signing keys; serving the last set");
                }
            }
        };
        tokio::spawn(task.instrument(tracing::info_span!("key_reloader")));
    }
}

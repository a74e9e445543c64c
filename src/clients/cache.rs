//! Registered clients kept in memory for client authentication, so a token,
//! revocation or introspection request does not wait on a database read.
//!
//! An entry is trusted for `tokens.client_cache_ms`: a client changed or
//! deleted on another instance is seen here within that time, and at once on
//! the instance that made the change, which calls [`ClientCache::forget`].
//! Unknown ids are never cached, so a client registered anywhere works at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::storage::models::client::Client;
use crate::storage::{Db, StorageError};

/// Entries kept at most; past it the cache starts over, so a flood of
/// distinct client ids cannot grow memory without bound.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct ClientCache {
    db: Db,
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    client: Arc<Client>,
    /// A monotonic instant, not the protocol clock: freshness of a cache is
    /// no expiry rule a test needs to move.
    loaded: Instant,
}

impl ClientCache {
    /// `ttl` zero turns the cache off: every lookup reads the database.
    pub fn new(db: Db, ttl: Duration) -> ClientCache {
        ClientCache {
            db,
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The client with this id, from memory when loaded less than the TTL
    /// ago, else from the database.
    pub async fn get(&self, id: &str) -> Result<Arc<Client>, StorageError> {
        if let Some(client) = self.fresh(id) {
            return Ok(client);
        }

        let wanted = id.to_owned();
        let client = Arc::new(self.db.run(move |conn| Client::find(conn, &wanted)).await?);

        self.remember(id, client.clone());
        Ok(client)
    }

    /// Drops the entry for `id`; called by whatever changes or deletes it.
    pub fn forget(&self, id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(id);
        }
    }

    fn fresh(&self, id: &str) -> Option<Arc<Client>> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(id)?;
        (entry.loaded.elapsed() < self.ttl).then(|| entry.client.clone())
    }

    fn remember(&self, id: &str, client: Arc<Client>) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let entry = Entry {
            client,
            loaded: Instant::now(),
        };
        entries.insert(id.to_owned(), entry);
    }
}

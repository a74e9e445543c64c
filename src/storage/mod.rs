//! Everything that knows which database is running.
//!
//! One connection type, [`DbConnection`], covers SQLite and PostgreSQL; the
//! rest of the server calls [`Db::run`] with diesel code that compiles for
//! both, and that code runs on the blocking thread pool, never on the
//! async executor.

pub mod migrate;
pub mod models;
pub mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::config::{DatabaseSettings, DatabaseTarget};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the database is unreachable")]
    Unavailable(#[source] r2d2::PoolError),
    #[error("a database query failed")]
    Query(#[source] diesel::result::Error),
    #[error("a record with the same unique value already exists")]
    Conflict,
    #[error("the record was not found")]
    NotFound,
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("migrating the database failed: {0}")]
    Migration(String),
    #[error("a database task stopped before finishing")]
    Interrupted,
}

impl From<diesel::result::Error> for StorageError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StorageError::Conflict,
            Error::NotFound => StorageError::NotFound,
            other => StorageError::Query(other),
        }
    }
}

/// Opens connections for one [`DatabaseTarget`], so the URL scheme, not a
/// guess by the connection type, decides the backend.
#[derive(Debug)]
pub struct ConnectionManager {
    target: DatabaseTarget,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.target {
            DatabaseTarget::Postgres(url) => {
                PgConnection::establish(url).map(DbConnection::Postgres)
            }
            DatabaseTarget::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; the busy timeout makes
                // writers queue instead of failing under contention.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
        .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The connection pool, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    target: DatabaseTarget,
    /// Held by this process's SQLite writers one at a time (see
    /// [`Db::write`]); PostgreSQL needs none.
    sqlite_writer: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend_name())
            .finish()
    }
}

impl Db {
    /// Builds the pool and checks that one connection can be opened.
    pub fn connect(target: DatabaseTarget, settings: &DatabaseSettings) -> anyhow::Result<Db> {
        use anyhow::Context;

        if let DatabaseTarget::Sqlite(path) = &target {
            create_parent_dir(path)?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(settings.max_connections)
            .min_idle(Some(
                settings.min_idle_connections.min(settings.max_connections),
            ))
            .connection_timeout(Duration::from_secs(settings.connect_timeout_secs.max(1)))
            // A test query on every checkout costs a round trip per query (a
            // parse of `SELECT 1` on SQLite, a network trip on PostgreSQL). A
            // connection that broke is dropped when it is returned instead
            // (`has_broken`), so after an outage one query fails, then the pool
            // reconnects; `/readyz` pings on its own.
            .test_on_check_out(false)
            .build(ConnectionManager {
                target: target.clone(),
            })
            .with_context(|| format!("cannot connect to the {} database", backend(&target)))?;
        Ok(Db {
            pool,
            target,
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn target(&self) -> &DatabaseTarget {
        &self.target
    }

    pub fn backend_name(&self) -> &'static str {
        backend(&self.target)
    }

    /// Runs `job` with a pooled connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StorageError::Unavailable)?;
            job(&mut conn)
        })
        .await
        .map_err(|_| StorageError::Interrupted)?
    }

    /// Runs `job` in one transaction with a pooled connection on the blocking
    /// thread pool, for work that writes.
    ///
    /// SQLite has one writer at a time. Writers that collide wait in its busy
    /// handler, which sleeps in steps that grow to 100 ms, so under load a
    /// write could take a hundred times longer than it needs. The writers of
    /// this process therefore queue on a mutex instead; the busy handler only
    /// still arbitrates between processes on one file.
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let writer = self.sqlite_writer.clone();
        let sqlite = matches!(self.target, DatabaseTarget::Sqlite(_));
        tokio::task::spawn_blocking(move || {
            // The turn before the connection: writers waiting in line hold
            // no pooled connection that readers need meanwhile. A poisoned
            // lock guards nothing, the `()` inside cannot be torn.
            let _turn = sqlite.then(|| writer.lock().unwrap_or_else(|p| p.into_inner()));
            let mut conn = pool.get().map_err(StorageError::Unavailable)?;
            in_transaction(&mut conn, job)
        })
        .await
        .map_err(|_| StorageError::Interrupted)?
    }

    /// Whether the database answers within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get_timeout(timeout)
                .map_err(StorageError::Unavailable)?;
            conn.ping().map_err(StorageError::Query)
        })
        .await
        .map_err(|_| StorageError::Interrupted)?
    }

    /// A connection for synchronous code outside the server (CLI, startup).
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, StorageError> {
        self.pool.get().map_err(StorageError::Unavailable)
    }
}

/// Runs `job` between BEGIN and COMMIT, rolling back when it fails.
fn in_transaction<T, E, F>(conn: &mut DbConnection, job: F) -> Result<T, E>
where
    E: From<StorageError>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    /// The job's own error, kept apart from the database's so it comes back
    /// as it was.
    enum Failure<E> {
        Job(E),
        Database(diesel::result::Error),
    }
    impl<E> From<diesel::result::Error> for Failure<E> {
        fn from(error: diesel::result::Error) -> Self {
            Failure::Database(error)
        }
    }

    let outcome = conn.transaction::<T, Failure<E>, _>(|conn| job(conn).map_err(Failure::Job));
    match outcome {
        Ok(value) => Ok(value),
        Err(Failure::Job(error)) => Err(error),
        Err(Failure::Database(error)) => Err(StorageError::from(error).into()),
    }
}

fn backend(target: &DatabaseTarget) -> &'static str {
    match target {
        DatabaseTarget::Sqlite(_) => "SQLite",
        DatabaseTarget::Postgres(_) => "PostgreSQL",
    }
}

fn create_parent_dir(path: &Path) -> anyhow::Result<()> {
    use anyhow::Context;

    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database directory {}", dir.display())),
        _ => Ok(()),
    }
}

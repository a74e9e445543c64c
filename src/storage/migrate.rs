//! Embedded migrations, one folder per backend with the same names, and the
//! startup lock that lets several instances start on one empty database.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, StorageError};
use crate::config::DatabaseTarget;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// PostgreSQL advisory lock id held while one instance migrates and seeds the
/// database; any constant works as long as every instance uses the same one.
const STARTUP_LOCK_ID: i64 = 0x706f_7274_6569_726f;

/// Applies the pending migrations; returns how many ran.
pub fn run_pending(conn: &mut DbConnection) -> Result<usize, StorageError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS),
    };
    applied
        .map(|versions| versions.len())
        .map_err(|e| StorageError::Migration(e.to_string()))
}

/// Runs `job` while no other instance is inside its own `with_startup_lock`.
///
/// Two instances started together on an empty database would otherwise both
/// create tables, signing keys and the first admin. PostgreSQL gets a session
/// advisory lock; SQLite, which lives on one machine, a lock file beside the
/// database.
pub fn with_startup_lock<T, E: From<StorageError>>(
    conn: &mut DbConnection,
    target: &DatabaseTarget,
    job: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    match target {
        DatabaseTarget::Postgres(_) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK_ID})"))
                .execute(conn)
                .map_err(StorageError::from)?;
            let outcome = job(conn);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK_ID})"))
                .execute(conn)
                .map_err(StorageError::from)?;
            outcome
        }
        DatabaseTarget::Sqlite(path) => {
            let lock_path = path.with_extension("startup-lock");
            let lock_failed = |e: std::io::Error| {
                StorageError::Migration(format!("{}: {e}", lock_path.display()))
            };
            let lock_file = std::fs::File::create(&lock_path).map_err(lock_failed)?;
            lock_file.lock().map_err(lock_failed)?;
            // The lock is released when `lock_file` drops, after the job.
            job(conn)
        }
    }
}

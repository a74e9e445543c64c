//! What the first start of a database does: migrations, the first signing
//! keys and the first admin, all under the startup lock so instances that
//! start together on an empty database do it once between them.

use secrecy::SecretString;

use crate::audit::{self, Action, Actor};
use crate::keys::{self, KeyError, Sealer};
use crate::storage::{Db, StorageError, migrate};
use crate::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot prepare the database")]
    Storage(#[from] StorageError),
    #[error("cannot create the first signing keys")]
    Keys(#[from] KeyError),
    #[error("cannot create the first admin")]
    Users(#[from] UserError),
}

/// What seeding created on this start.
pub struct Seeded {
    pub migrations_applied: usize,
    pub keys_created: Vec<String>,
    pub first_admin_password: Option<SecretString>,
}

/// Whether seeding may create the first admin: only the server's own start
/// does, so an operator who creates users from the CLI first gets none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstAdmin {
    Create,
    Skip,
}

pub async fn prepare_database(
    db: &Db,
    sealer: &Sealer,
    now: i64,
    first_admin: FirstAdmin,
) -> anyhow::Result<Seeded> {
    let target = db.target().clone();
    let sealer = sealer.clone();
    let seeded = db
        .run(move |conn| {
            migrate::with_startup_lock(conn, &target, |conn| {
                let migrations_applied = migrate::run_pending(conn)?;
                let keys_created = keys::ensure_initial_keys(conn, &sealer, now)?;
                let first_admin_password = match first_admin {
                    FirstAdmin::Create => crate::users::create_first_admin(conn, now)?,
                    FirstAdmin::Skip => None,
                };
                Ok::<_, BootstrapError>(Seeded {
                    migrations_applied,
                    keys_created,
                    first_admin_password,
                })
            })
        })
        .await?;

    if seeded.migrations_applied > 0 {
        tracing::info!(
            count = seeded.migrations_applied,
            "applied database migrations"
        );
    }
    for kid in &seeded.keys_created {
        tracing::info!(target: "audit", kid = %kid, "created signing key");
    }
    if seeded.first_admin_password.is_some() {
        tracing::info!(target: "audit", "created the first admin user");
        let (actor, action) = (Actor::system(), Action::UserCreated);
        let detail = serde_json::json!({ "roles": ["admin"], "first_admin": true });
        audit::record(db, now, &actor, action, Some("admin"), detail).await;
    }
    Ok(seeded)
}

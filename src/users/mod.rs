//! People who sign in: creating them, their passwords, roles and status.
//! Queries live in `storage::models::user`; this module holds the rules.

pub mod password;

use secrecy::SecretString;

pub use password::{PasswordError, PasswordHasher};

use crate::clock::SharedClock;
use crate::domain::{InvalidValue, Role, Username};
use crate::storage::models::user::User;
use crate::storage::{Db, DbConnection, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("a user named `{0}` already exists (usernames ignore case)")]
    UsernameTaken(String),
    #[error("no user is named `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for UserError {
    fn from(error: StorageError) -> Self {
        UserError::Storage(error)
    }
}

/// What it takes to create a user.
pub struct NewUser {
    pub username: Username,
    pub password: Option<SecretString>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<Role>,
}

/// User operations shared by the CLI, and later the console and admin API.
#[derive(Clone, Debug)]
pub struct Users {
    db: Db,
    hasher: PasswordHasher,
    clock: SharedClock,
}

impl Users {
    pub fn new(db: Db, hasher: PasswordHasher, clock: SharedClock) -> Users {
        Users { db, hasher, clock }
    }

    pub async fn create(&self, new: NewUser) -> Result<User, UserError> {
        let password_hash = match new.password {
            Some(password) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let user = user_row(
            &new.username,
            password_hash,
            new.name,
            new.email,
            &new.roles,
            self.clock.now(),
        );

        let row = user.clone();
        let inserted = self.db.run(move |conn| User::insert(conn, &row)).await;
        match inserted {
            Err(StorageError::Conflict) => return Err(UserError::UsernameTaken(user.username)),
            other => other?,
        }
        tracing::info!(target: "audit", user_id = %user.id, "user created");
        Ok(user)
    }

    pub async fn list(&self) -> Result<Vec<User>, UserError> {
        Ok(self.db.run(User::list).await?)
    }

    pub async fn find(&self, username: &str) -> Result<User, UserError> {
        let key = Username::parse(username)?.key();
        let found = self
            .db
            .run(move |conn| User::find_by_username_key(conn, &key))
            .await;
        match found {
            Err(StorageError::NotFound) => Err(UserError::NotFound(username.to_owned())),
            other => Ok(other?),
        }
    }

    pub async fn set_password(
        &self,
        username: &str,
        password: SecretString,
    ) -> Result<(), UserError> {
        let user = self.find(username).await?;
        let hash = self.hasher.hash(password).await?;

        let now = self.clock.now();
        let id = user.id.clone();
        self.db
            .run(move |conn| User::set_password_hash(conn, &id, &hash, now))
            .await?;
        tracing::info!(target: "audit", user_id = %user.id, "password set");
        Ok(())
    }

    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), UserError> {
        let user = self.find(username).await?;

        let now = self.clock.now();
        let id = user.id.clone();
        self.db
            .run(move |conn| User::set_disabled(conn, &id, disabled, now))
            .await?;
        tracing::info!(target: "audit", user_id = %user.id, disabled, "user status changed");
        Ok(())
    }

    /// Adds or removes one role; returns the roles after the change.
    pub async fn change_role(
        &self,
        username: &str,
        role: Role,
        add: bool,
    ) -> Result<Vec<String>, UserError> {
        let user = self.find(username).await?;
        let mut roles = user.role_names()?;
        roles.retain(|r| r != role.as_str());
        if add {
            roles.push(role.as_str().to_owned());
            roles.sort();
        }

        let now = self.clock.now();
        let (id, stored) = (user.id.clone(), roles.clone());
        self.db
            .run(move |conn| User::set_roles(conn, &id, &stored, now))
            .await?;
        tracing::info!(target: "audit", user_id = %user.id, roles = ?roles, "roles changed");
        Ok(roles)
    }
}

fn user_row(
    username: &Username,
    password_hash: Option<String>,
    name: Option<String>,
    email: Option<String>,
    roles: &[Role],
    now: i64,
) -> User {
    let mut role_names: Vec<&str> = roles.iter().map(Role::as_str).collect();
    role_names.sort_unstable();
    role_names.dedup();
    User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.as_str().to_owned(),
        username_key: username.key(),
        name,
        email,
        email_verified: false,
        password_hash,
        roles: serde_json::Value::from(role_names).to_string(),
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

/// Creates `admin` with the `admin` role when there are no users at all, and
/// returns its generated password so the caller can show it once.
///
/// Runs under the startup lock on the blocking pool, where hashing in place
/// is fine.
pub fn create_first_admin(
    conn: &mut DbConnection,
    now: i64,
) -> Result<Option<SecretString>, UserError> {
    if User::count(conn)? > 0 {
        return Ok(None);
    }

    let password = SecretString::from(crate::secret::random_token(18));
    let hash = password::hash_now(&password)?;
    let username = Username::parse("admin")?;
    let admin = Role::parse(Role::ADMIN)?;
    User::insert(
        conn,
        &user_row(&username, Some(hash), None, None, &[admin], now),
    )?;
    Ok(Some(password))
}

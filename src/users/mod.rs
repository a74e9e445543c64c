//! People who sign in: creating them, their passwords, roles and status.
//! Queries live in `storage::models::user`; this module holds the rules.
//! The CLI, the admin console and the admin API change users through
//! [`Users`], which writes each change to the audit log.

pub mod password;

use secrecy::SecretString;

pub use password::{PasswordError, PasswordHasher};

use crate::audit::{self, Action, Actor};
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

/// Users shown per page by [`Users::search`] callers that do not choose.
pub const PAGE_SIZE: i64 = 50;

/// One page of a user search.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    /// How many users match, on every page together.
    pub total: i64,
}

/// User operations shared by the CLI, the console and the admin API.
#[derive(Clone, Debug)]
pub struct Users {
    db: Db,
    hasher: PasswordHasher,
    clock: SharedClock,
    actor: Actor,
}

impl Users {
    /// User operations, recorded in the audit log as done by `system`
    /// until [`Users::acting_as`] names someone.
    pub fn new(db: Db, hasher: PasswordHasher, clock: SharedClock) -> Users {
        Users {
            db,
            hasher,
            clock,
            actor: Actor::system(),
        }
    }

    pub fn acting_as(mut self, actor: Actor) -> Users {
        self.actor = actor;
        self
    }

    pub async fn create(&self, new: NewUser) -> Result<User, UserError> {
        let password_hash = match new.password {
            Some(password) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let user = user_row(
            &new.username,
            password_hash,
            clean_profile(new.name)?,
            clean_email(new.email)?,
            &new.roles,
            self.clock.now(),
        );

        let row = user.clone();
        let inserted = self.db.run(move |conn| User::insert(conn, &row)).await;
        match inserted {
            Err(StorageError::Conflict) => return Err(UserError::UsernameTaken(user.username)),
            other => other?,
        }
        let detail = serde_json::json!({ "roles": user.role_names()? });
        self.audit(Action::UserCreated, &user, detail).await;
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
        self.audit(Action::UserPasswordSet, &user, serde_json::json!({}))
            .await;
        Ok(())
    }

    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), UserError> {
        let user = self.find(username).await?;

        let now = self.clock.now();
        let id = user.id.clone();
        self.db
            .run(move |conn| User::set_disabled(conn, &id, disabled, now))
            .await?;
        let action = match disabled {
            true => Action::UserDisabled,
            false => Action::UserEnabled,
        };
        self.audit(action, &user, serde_json::json!({})).await;
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

        self.store_roles(&user, roles).await
    }

    /// Replaces every role; returns the roles after the change.
    pub async fn set_roles(
        &self,
        username: &str,
        roles: &[Role],
    ) -> Result<Vec<String>, UserError> {
        let user = self.find(username).await?;
        let mut names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
        names.sort();
        names.dedup();
        self.store_roles(&user, names).await
    }

    async fn store_roles(&self, user: &User, roles: Vec<String>) -> Result<Vec<String>, UserError> {
        let now = self.clock.now();
        let (id, stored) = (user.id.clone(), roles.clone());
        self.db
            .run(move |conn| User::set_roles(conn, &id, &stored, now))
            .await?;
        let detail = serde_json::json!({ "roles": roles });
        self.audit(Action::UserRolesChanged, user, detail).await;
        Ok(roles)
    }

    /// The user with this id (not username), as the console and API name
    /// users in their paths.
    pub async fn find_by_id(&self, id: &str) -> Result<User, UserError> {
        let wanted = id.to_owned();
        match self.db.run(move |conn| User::find(conn, &wanted)).await {
            Err(StorageError::NotFound) => Err(UserError::NotFound(id.to_owned())),
            other => Ok(other?),
        }
    }

    /// Users whose username, name or e-mail contains `query`; page 1 first.
    pub async fn search(
        &self,
        query: &str,
        page: i64,
        per_page: i64,
    ) -> Result<UserPage, UserError> {
        let (query, offset) = (query.trim().to_owned(), (page.max(1) - 1) * per_page);
        let (users, total) = self
            .db
            .run(move |conn| User::search(conn, &query, offset, per_page))
            .await?;
        Ok(UserPage { users, total })
    }

    /// Changes the display name and e-mail; empty values clear them.
    pub async fn update_profile(
        &self,
        username: &str,
        name: Option<String>,
        email: Option<String>,
    ) -> Result<User, UserError> {
        let user = self.find(username).await?;
        let (name, email) = (clean_profile(name)?, clean_email(email)?);

        let (id, now) = (user.id.clone(), self.clock.now());
        let (n, e) = (name.clone(), email.clone());
        self.db
            .run(move |conn| User::set_profile(conn, &id, n.as_deref(), e.as_deref(), now))
            .await?;
        let detail = serde_json::json!({ "name": name.is_some(), "email": email.is_some() });
        self.audit(Action::UserUpdated, &user, detail).await;
        self.find_by_id(&user.id).await
    }

    /// Forces a password reset: the password is removed, so the user cannot
    /// sign in with one until an admin sets a new one. Ending their sessions
    /// is the caller's part (see `admin::sessions`).
    pub async fn force_password_reset(&self, username: &str) -> Result<User, UserError> {
        let user = self.find(username).await?;

        let (id, now) = (user.id.clone(), self.clock.now());
        self.db
            .run(move |conn| User::clear_password(conn, &id, now))
            .await?;
        self.audit(Action::UserPasswordReset, &user, serde_json::json!({}))
            .await;
        Ok(user)
    }

    async fn audit(&self, action: Action, user: &User, detail: serde_json::Value) {
        let now = self.clock.now();
        let target = Some(user.username.as_str());
        audit::record(&self.db, now, &self.actor, action, target, detail).await;
    }
}

/// The fewest and most characters a password set by an admin may have.
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=1024;

/// Whether an admin may give someone this password.
pub fn acceptable_password(password: &str) -> Result<(), InvalidValue> {
    match PASSWORD_CHARS.contains(&password.chars().count()) {
        true => Ok(()),
        false => Err(InvalidValue::new(
            "a password has at least 8 and at most 1024 characters",
        )),
    }
}

/// The longest display name, in characters.
const MAX_NAME_CHARS: usize = 200;

fn clean_profile(name: Option<String>) -> Result<Option<String>, InvalidValue> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    match &name {
        Some(n) if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) => Err(
            InvalidValue::new("a name has at most 200 characters and no control characters"),
        ),
        _ => Ok(name),
    }
}

/// A plausible address: something, `@`, a domain with a dot. Whether it
/// delivers is not Porteiro's to know.
fn clean_email(email: Option<String>) -> Result<Option<String>, InvalidValue> {
    let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
    let Some(address) = &email else {
        return Ok(None);
    };
    let plausible = address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    match plausible {
        true => Ok(email),
        false => Err(InvalidValue::new(format!(
            "`{address}` is not an e-mail address"
        ))),
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

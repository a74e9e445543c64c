//! The `users` table.

use diesel::prelude::*;

use super::found;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends, so e-mail and name searches ignore case.
    #[sql_name = "lower"]
    fn lower_of(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}
use crate::storage::schema::users;
use crate::storage::{DbConnection, StorageError};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Queryable, Selectable, Insertable, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub username_key: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    /// An argon2id PHC string; `None` for users who only sign in upstream.
    pub password_hash: Option<String>,
    /// JSON array of role names.
    pub roles: String,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("roles", &self.roles)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl User {
    /// Role names, read from their JSON column.
    pub fn role_names(&self) -> Result<Vec<String>, StorageError> {
        serde_json::from_str(&self.roles)
            .map_err(|_| StorageError::Corrupt(format!("roles of user {}", self.id)))
    }

    pub fn insert(conn: &mut DbConnection, user: &User) -> Result<(), StorageError> {
        diesel::insert_into(users::table)
            .values(user)
            .execute(conn)?;
        Ok(())
    }

    pub fn count(conn: &mut DbConnection) -> Result<i64, StorageError> {
        Ok(users::table.count().get_result(conn)?)
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> Result<User, StorageError> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .get_result(conn)?)
    }

    pub fn find_by_username_key(conn: &mut DbConnection, key: &str) -> Result<User, StorageError> {
        Ok(users::table
            .filter(users::username_key.eq(key))
            .select(User::as_select())
            .get_result(conn)?)
    }

    /// Users whose address is `email`, ignoring case; addresses are not
    /// unique, so there may be several.
    pub fn with_email(conn: &mut DbConnection, email: &str) -> Result<Vec<User>, StorageError> {
        Ok(users::table
            .filter(lower(users::email.assume_not_null()).eq(email.to_lowercase()))
            .select(User::as_select())
            .load(conn)?)
    }

    pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, StorageError> {
        Ok(users::table
            .order(users::username_key.asc())
            .select(User::as_select())
            .load(conn)?)
    }

    /// One page of the users whose username, name or e-mail contains
    /// `query` (ignoring case), by username; and how many match in all.
    pub fn search(
        conn: &mut DbConnection,
        query: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<User>, i64), StorageError> {
        let pattern = format!(
            "%{}%",
            super::audit_event::escape_like(&query.to_lowercase())
        );
        let matching = || {
            users::table
                .filter(
                    users::username_key
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower_of(users::name).like(pattern.clone()).escape('\\'))
                        .or(lower_of(users::email).like(pattern.clone()).escape('\\')),
                )
                .into_boxed()
        };
        let total = matching().count().get_result(conn)?;
        let page = matching()
            .order(users::username_key.asc())
            .offset(offset)
            .limit(limit)
            .select(User::as_select())
            .load(conn)?;
        Ok((page, total))
    }

    pub fn set_profile(
        conn: &mut DbConnection,
        id: &str,
        name: Option<&str>,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(users::table.find(id))
            .set((
                users::name.eq(name),
                users::email.eq(email),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        found(updated)
    }

    /// Removes the password: the user cannot sign in with one until an
    /// admin sets a new one.
    pub fn clear_password(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), StorageError> {
        let updated = diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(None::<String>),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        found(updated)
    }

    pub fn set_password_hash(
        conn: &mut DbConnection,
        id: &str,
        hash: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)?;
        found(updated)
    }

    pub fn set_disabled(
        conn: &mut DbConnection,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> Result<(), StorageError> {
        let updated = diesel::update(users::table.find(id))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
            .execute(conn)?;
        found(updated)
    }

    pub fn set_roles(
        conn: &mut DbConnection,
        id: &str,
        roles: &[String],
        now: i64,
    ) -> Result<(), StorageError> {
        let json =
            serde_json::to_string(roles).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let updated = diesel::update(users::table.find(id))
            .set((users::roles.eq(json), users::updated_at.eq(now)))
            .execute(conn)?;
        found(updated)
    }
}

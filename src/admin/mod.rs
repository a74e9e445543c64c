//! What admins do, shared by the console (`routes::admin`) and the admin API
//! (`routes::admin_api`), which differ only in how they read requests and
//! answer. Clients and users change through [`Clients`] and [`Users`] acting
//! as the admin; this module adds what has no other home: every live SSO
//! session, ending someone else's sessions, a user's upstream identities,
//! and keys on request. Every change lands in the audit log with the admin
//! as its actor.

pub mod identities;
pub mod keys;
pub mod sessions;
pub mod users;

use crate::audit::Actor;
use crate::clients::{ClientError, Clients, FieldError};
use crate::keys::KeyError;
use crate::startup::AppState;
use crate::storage::StorageError;
use crate::users::{UserError, Users};

/// An admin at work: the server's state and who they are.
pub struct AdminContext<'a> {
    pub state: &'a AppState,
    pub actor: Actor,
}

impl AdminContext<'_> {
    pub fn clients(&self) -> Clients {
        let state = self.state;
        Clients::new(
            state.db.clone(),
            state.client_secrets.clone(),
            state.clock.clone(),
        )
        .acting_as(self.actor.clone())
        .updating(state.client_cache.clone())
    }

    pub fn users(&self) -> Users {
        let state = self.state;
        Users::new(
            state.db.clone(),
            state.passwords.clone(),
            state.clock.clone(),
        )
        .acting_as(self.actor.clone())
    }
}

/// Why an admin operation did not happen. The console and the API each
/// turn these into responses in one place.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    NotFound(String),
    /// Bad input that is not tied to one field.
    #[error("{0}")]
    Invalid(String),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("an admin operation failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StorageError> for AdminError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound => AdminError::NotFound("no such record".to_owned()),
            other => AdminError::Failed(Box::new(other)),
        }
    }
}

impl From<ClientError> for AdminError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Invalid(e) => AdminError::Invalid(e.0),
            ClientError::Fields(fields) => AdminError::Fields(fields),
            ClientError::IdTaken(_) => AdminError::Conflict(error.to_string()),
            ClientError::NotFound(_) => AdminError::NotFound(error.to_string()),
            ClientError::Storage(e) => e.into(),
        }
    }
}

impl From<UserError> for AdminError {
    fn from(error: UserError) -> Self {
        match error {
            UserError::Invalid(e) => AdminError::Invalid(e.0),
            UserError::UsernameTaken(_) => AdminError::Conflict(error.to_string()),
            UserError::NotFound(_) => AdminError::NotFound(error.to_string()),
            UserError::Storage(e) => e.into(),
            UserError::Password(e) => AdminError::Failed(Box::new(e)),
        }
    }
}

impl From<KeyError> for AdminError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::NotFound(_) => AdminError::NotFound(error.to_string()),
            KeyError::AlreadyRetired(_) | KeyError::LastKey { .. } => {
                AdminError::Conflict(error.to_string())
            }
            KeyError::Storage(e) => e.into(),
            other => AdminError::Failed(Box::new(other)),
        }
    }
}

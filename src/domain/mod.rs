//! Validated identifiers and values: each has a `parse` that is the only way
//! in, so the rest of the server never re-checks them.

mod client_id;
mod grant_type;
mod redirect_uri;
mod role;
mod scope;
mod username;

pub use client_id::ClientId;
pub use grant_type::GrantType;
pub use redirect_uri::{RedirectUri, UriProblem};
pub use role::Role;
pub use scope::{Scope, Scopes};
pub use username::Username;

/// Why a value was refused, in words fit to show the person who gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        InvalidValue(message.into())
    }
}

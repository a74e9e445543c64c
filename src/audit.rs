//! The audit log: who did what, when and from where. Every admin change
//! (console, admin API, CLI) and every security event goes through
//! [`record`], which writes a row to `audit_events` and a line to the
//! `audit` tracing target. The row may hold usernames and the client
//! address; the log line holds neither, only the action and the row's id
//! (see docs/LOGGING.md).
//!
//! Reading the log is `storage::models::audit_event::AuditEvent::search`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::storage::Db;
use crate::storage::models::audit_event::AuditEvent;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    address: Option<String>,
}

impl Actor {
    /// A person signed in to Porteiro.
    pub fn user(username: &str, address: Option<String>) -> Actor {
        Actor {
            name: format!("user:{username}"),
            address,
        }
    }

    /// A client acting for itself (the client credentials grant).
    pub fn client(client_id: &str, address: Option<String>) -> Actor {
        Actor {
            name: format!("client:{client_id}"),
            address,
        }
    }

    /// Someone at the server's command line.
    pub fn cli() -> Actor {
        Actor {
            name: "cli".to_owned(),
            address: None,
        }
    }

    /// Porteiro itself: start-up, jobs, and code that acts for no one.
    pub fn system() -> Actor {
        Actor {
            name: "system".to_owned(),
            address: None,
        }
    }

    /// An upstream identity provider, for what it caused on its own: a user
    /// created just in time at a first sign-in through it.
    pub fn upstream(name: &str, address: Option<String>) -> Actor {
        Actor {
            name: format!("upstream:{name}"),
            address,
        }
    }

    /// Someone not signed in, such as a person failing to sign in.
    pub fn anonymous(address: Option<String>) -> Actor {
        Actor {
            name: "anonymous".to_owned(),
            address,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What happened. The names are stored, so renaming one is a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ClientCreated,
    ClientUpdated,
    ClientDeleted,
    ClientSecretRegenerated,
    UserCreated,
    UserUpdated,
    UserRolesChanged,
    UserDisabled,
    UserEnabled,
    UserPasswordSet,
    UserPasswordReset,
    UserIdentityLinked,
    UserIdentityUnlinked,
    KeyRotated,
    KeyRetired,
    SessionEnded,
    SignInSucceeded,
    SignInFailed,
    SignInLockedOut,
    CodeReused,
    RefreshTokenReused,
    TokenRevoked,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ClientCreated,
        Action::ClientUpdated,
        Action::ClientDeleted,
        Action::ClientSecretRegenerated,
        Action::UserCreated,
        Action::UserUpdated,
        Action::UserRolesChanged,
        Action::UserDisabled,
        Action::UserEnabled,
        Action::UserPasswordSet,
        Action::UserPasswordReset,
        Action::UserIdentityLinked,
        Action::UserIdentityUnlinked,
        Action::KeyRotated,
        Action::KeyRetired,
        Action::SessionEnded,
        Action::SignInSucceeded,
        Action::SignInFailed,
        Action::SignInLockedOut,
        Action::CodeReused,
        Action::RefreshTokenReused,
        Action::TokenRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ClientCreated => "client.created",
            Action::ClientUpdated => "client.updated",
            Action::ClientDeleted => "client.deleted",
            Action::ClientSecretRegenerated => "client.secret_regenerated",
            Action::UserCreated => "user.created",
            Action::UserUpdated => "user.updated",
            Action::UserRolesChanged => "user.roles_changed",
            Action::UserDisabled => "user.disabled",
            Action::UserEnabled => "user.enabled",
            Action::UserPasswordSet => "user.password_set",
            Action::UserPasswordReset => "user.password_reset",
            Action::UserIdentityLinked => "user.identity_linked",
            Action::UserIdentityUnlinked => "user.identity_unlinked",
            Action::KeyRotated => "key.rotated",
            Action::KeyRetired => "key.retired",
            Action::SessionEnded => "session.ended",
            Action::SignInSucceeded => "signin.succeeded",
            Action::SignInFailed => "signin.failed",
            Action::SignInLockedOut => "signin.locked_out",
            Action::CodeReused => "code.reused",
            Action::RefreshTokenReused => "refresh_token.reused",
            Action::TokenRevoked => "token.revoked",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// Records that `actor` did `action` to `target`. A failure to write the
/// row is logged and swallowed: the change itself already happened, and
/// refusing to answer would only hide it from the person who made it.
pub async fn record(
    db: &Db,
    now: i64,
    actor: &Actor,
    action: Action,
    target: Option<&str>,
    detail: Value,
) {
    let id = event_id(now);
    // Actors and targets can be usernames, which the log never holds; the
    // row's id leads from the line to them.
    tracing::info!(target: "audit", audit_event_id = %id, "{}", action.as_str());
    let event = AuditEvent {
        id,
        at: now,
        actor: actor.name.clone(),
        action: action.as_str().to_owned(),
        target: target.map(str::to_owned),
        address: actor.address.clone(),
        detail: detail.to_string(),
    };
    if let Err(error) = db.write(move |conn| AuditEvent::insert(conn, &event)).await {
        tracing::error!(error = %error, action = action.as_str(), "cannot write an audit event");
    }
}

/// Events written by this instance so far, to order those of one second.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// An id that sorts as the events happened: the time, then the order of
/// writing within this instance, then randomness so instances never clash.
/// The log is read newest first by `at` and then this id.
fn event_id(now: i64) -> String {
    let seq = WRITTEN.fetch_add(1, Ordering::Relaxed);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{:011}-{seq:012}-{}", now.max(0), &random[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_name_parses_back() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
        }
        assert_eq!(Action::parse("nothing.happened"), None);
    }

    #[test]
    fn event_ids_sort_as_the_events_were_written() {
        let first = event_id(1_700_000_000);
        let second = event_id(1_700_000_000);
        let later = event_id(1_700_000_001);
        assert!(first < second && second < later, "{first} {second} {later}");
    }

    #[test]
    fn actors_are_named_by_kind() {
        assert_eq!(Actor::user("ana", None).name(), "user:ana");
        assert_eq!(Actor::client("robot", None).name(), "client:robot");
        assert_eq!(Actor::cli().name(), "cli");
        assert_eq!(Actor::upstream("corp", None).name(), "upstream:corp");
    }
}

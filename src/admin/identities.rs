//! A user's linked upstream identities, as an admin sees and removes them.
//! Removal follows the rule of the person's own account page
//! (`upstream::linking::unlink`): the last identity of a user without a
//! password stays, or nobody could sign in as them any more.

use serde_json::json;

use super::{AdminContext, AdminError};
use crate::audit::{self, Action};
use crate::storage::StorageError;
use crate::storage::models::upstream_identity::UpstreamIdentity;
use crate::storage::models::user::User;
use crate::upstream::linking::{self, LinkingError};

/// Why an admin may not remove the identity; the console shows its own
/// translated words instead.
pub const LAST_SIGN_IN_METHOD: &str = "this identity is the user's last way to sign in: \
    set a password first, then remove it";

/// `user_id`'s identities, oldest first.
pub async fn of_user(
    ctx: &AdminContext<'_>,
    user_id: &str,
) -> Result<(User, Vec<UpstreamIdentity>), AdminError> {
    let user = ctx.users().find_by_id(user_id).await?;

    let owner = user.id.clone();
    let identities = ctx
        .state
        .db
        .run(move |conn| UpstreamIdentity::of_user(conn, &owner))
        .await?;
    Ok((user, identities))
}

/// Removes one of `user_id`'s identities and records it with the admin as
/// actor. `Conflict` when it is the last way the user has to sign in.
pub async fn unlink(
    ctx: &AdminContext<'_>,
    user_id: &str,
    identity_id: &str,
) -> Result<(), AdminError> {
    let user = ctx.users().find_by_id(user_id).await?;

    let (owner, id) = (user.clone(), identity_id.to_owned());
    let removed = ctx
        .state
        .db
        .run(move |conn| linking::unlink(conn, &owner, &id))
        .await
        .map_err(refusal)?;

    let detail = json!({ "upstream": removed.upstream, "identity_id": removed.id });
    let (now, target) = (ctx.state.clock.now(), Some(user.username.as_str()));
    let action = Action::UserIdentityUnlinked;
    audit::record(&ctx.state.db, now, &ctx.actor, action, target, detail).await;
    Ok(())
}

fn refusal(error: LinkingError) -> AdminError {
    match error {
        LinkingError::LastSignInMethod => AdminError::Conflict(LAST_SIGN_IN_METHOD.to_owned()),
        LinkingError::Storage(StorageError::NotFound) => {
            AdminError::NotFound("the user has no such identity".to_owned())
        }
        LinkingError::Storage(e) => e.into(),
        other => AdminError::Failed(Box::new(other)),
    }
}

//! What an admin does to a user beyond `users::Users`: a forced password
//! reset, which also ends the user's sessions.

use super::{AdminContext, AdminError, sessions};
use crate::oidc::logout::FrontChannelFrame;

/// Forces a password reset: the password is removed (the user cannot sign
/// in with one until an admin sets a new one) and every session of the user
/// ends with the normal logout. Returns the front-channel frames to load.
pub async fn force_password_reset(
    ctx: &AdminContext<'_>,
    user_id: &str,
) -> Result<Vec<FrontChannelFrame>, AdminError> {
    let users = ctx.users();
    let user = users.find_by_id(user_id).await?;

    users.force_password_reset(&user.username).await?;
    let (_, frames) = sessions::end_all_of_user(ctx, &user.id).await?;
    Ok(frames)
}

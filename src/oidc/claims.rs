//! The claims about a person that scopes release (OpenID Connect Core 5.4),
//! shared by the ID token and the userinfo response.

use serde_json::{Map, Value};

use crate::domain::Scopes;
use crate::storage::models::user::User;

/// Claims OpenID Connect defines that this server can fill in.
pub const SUPPORTED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "sid",
    "at_hash",
    "amr",
    // The upstream a federated session came through; not an OpenID Connect
    // claim, named as Microsoft Entra ID and others name it.
    "idp",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
];

/// `sub` plus the profile and email claims `scopes` allow.
pub fn user_claims(user: &User, scopes: &Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), user.id.clone().into());
    if scopes.contains("profile") {
        claims.insert("preferred_username".into(), user.username.clone().into());
        if let Some(name) = &user.name {
            claims.insert("name".into(), name.clone().into());
        }
        claims.insert("updated_at".into(), user.updated_at.into());
    }
    if let (true, Some(email)) = (scopes.contains("email"), &user.email) {
        claims.insert("email".into(), email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    claims
}

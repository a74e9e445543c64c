//! Protocol logic, free of actix types so it can be tested without HTTP.

pub mod access_token;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod codes;
pub mod deny_list;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod grants;
pub mod introspection;
pub mod logout;
pub mod pending;
pub mod pkce;
pub mod revocation;
pub mod session;
pub mod throttle;
pub mod tokens;

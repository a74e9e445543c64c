//! Endpoints of the OpenID Connect and OAuth 2.0 protocols.

pub mod authorization_response;
pub mod authorize;
pub mod backchannel;
pub mod discovery;
pub mod introspect;
pub mod jwks;
pub mod revoke;
pub mod token;
pub mod userinfo;

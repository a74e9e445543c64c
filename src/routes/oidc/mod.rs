//! Endpoints of the OpenID Connect and OAuth 2.0 protocols.

pub mod discovery;
pub mod jwks;

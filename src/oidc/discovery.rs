//! The discovery document (OpenID Connect Discovery 1.0, RFC 8414).
//!
//! It names only what this server implements; each capability adds its
//! members when it lands, so a relying party never tries what would fail.

use crate::keys::{PublishedDocuments, SigningAlg};

/// Paths of the endpoints, relative to the issuer.
pub const JWKS_PATH: &str = "/jwks.json";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/token";
pub const USERINFO_PATH: &str = "/userinfo";
pub const REVOCATION_PATH: &str = "/revoke";
pub const INTROSPECTION_PATH: &str = "/introspect";
pub const END_SESSION_PATH: &str = "/logout";

#[derive(Debug, Clone)]
pub struct DiscoveryDocument {
    issuer: String,
}

impl DiscoveryDocument {
    pub fn new(issuer: &str) -> DiscoveryDocument {
        DiscoveryDocument {
            issuer: issuer.to_owned(),
        }
    }
}

impl PublishedDocuments for DiscoveryDocument {
    fn discovery(&self, algs: &[SigningAlg]) -> serde_json::Value {
        let mut algs: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
        // Signed with the client's own secret, for clients that register it.
        algs.push("HS256");
        let issuer = &self.issuer;
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
            "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
            "jwks_uri": format!("{issuer}{JWKS_PATH}"),
            "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            "revocation_endpoint": format!("{issuer}{REVOCATION_PATH}"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint": format!("{issuer}{INTROSPECTION_PATH}"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": crate::oidc::claims::SUPPORTED_CLAIMS,
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "ui_locales_supported": crate::i18n::languages(),
            "authorization_response_iss_parameter_supported": true,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_copied_exactly_and_endpoints_hang_off_it() {
        let document =
            DiscoveryDocument::new("https://id.example.com/realm").discovery(&[SigningAlg::RS256]);
        assert_eq!(document["issuer"], "https://id.example.com/realm");
        assert_eq!(
            document["jwks_uri"],
            "https://id.example.com/realm/jwks.json"
        );
        assert_eq!(
            document["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256", "HS256"])
        );
    }
}

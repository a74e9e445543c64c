//! The discovery document (OpenID Connect Discovery 1.0, RFC 8414).
//!
//! It names only what this server implements; each capability adds its
//! members when it lands, so a relying party never tries what would fail.

use crate::keys::{PublishedDocuments, SigningAlg};

/// Paths of the endpoints, relative to the issuer.
pub const JWKS_PATH: &str = "/jwks.json";

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
        let algs: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
        serde_json::json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}{JWKS_PATH}", self.issuer),
            // Known shortcoming: the authorization and token endpoints do not
            // exist yet, so they are not named and no response type is offered.
            // OpenID Connect Discovery requires both endpoints and a non-empty
            // list here; advertising endpoints that answer 404 would be worse.
            // docs/LIMITATIONS.md lists this until the code flow lands.
            "response_types_supported": [],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
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
            serde_json::json!(["RS256"])
        );
    }
}

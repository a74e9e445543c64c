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
            // No grant that uses the authorization endpoint exists yet, so no
            // response type is offered and, as RFC 8414 section 2 permits, no
            // authorization or token endpoint is named.
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

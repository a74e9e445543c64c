//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` protects
//! nothing against an attacker who can read the authorization request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `value` has the syntax of a verifier, and of an S256 challenge:
/// 43 to 128 unreserved characters (RFC 7636 section 4.1).
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` answers `challenge` (RFC 7636 section 4.6).
pub fn verify(challenge: &str, verifier: &str) -> bool {
    is_well_formed(verifier)
        && s256_challenge(verifier)
            .as_bytes()
            .ct_eq(challenge.as_bytes())
            .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256_challenge(verifier), challenge);
        assert!(verify(challenge, verifier));
    }

    proptest! {
        #[test]
        fn only_the_matching_verifier_passes(verifier in "[A-Za-z0-9._~-]{43,128}", other in "[A-Za-z0-9._~-]{43,128}") {
            let challenge = s256_challenge(&verifier);
            prop_assert!(verify(&challenge, &verifier));
            prop_assert_eq!(verify(&challenge, &other), other == verifier);
        }

        #[test]
        fn malformed_verifiers_never_pass(verifier in "\\PC{0,42}|[^A-Za-z0-9._~-]{43,60}") {
            let challenge = s256_challenge(&verifier);
            prop_assert!(!verify(&challenge, &verifier));
        }
    }
}

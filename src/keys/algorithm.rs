//! The JWS algorithms Porteiro signs with, and how each key is made and used.

use josekit::JoseError;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{self, JwsSigner, JwsVerifier};

/// A signing algorithm with keys of its own in the key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    RS256,
    PS256,
    ES256,
    EdDSA,
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported signing algorithm `{0}`; expected RS256, PS256, ES256 or EdDSA")]
pub struct UnsupportedAlg(pub String);

impl SigningAlg {
    /// Every algorithm the server keeps a key for, created on first start.
    pub const ALL: [SigningAlg; 4] = [
        SigningAlg::RS256,
        SigningAlg::PS256,
        SigningAlg::ES256,
        SigningAlg::EdDSA,
    ];

    pub fn parse(name: &str) -> Result<SigningAlg, UnsupportedAlg> {
        match name {
            "RS256" => Ok(SigningAlg::RS256),
            "PS256" => Ok(SigningAlg::PS256),
            "ES256" => Ok(SigningAlg::ES256),
            "EdDSA" => Ok(SigningAlg::EdDSA),
            other => Err(UnsupportedAlg(other.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::PS256 => "PS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    /// A new key pair: the private key as PKCS#8 DER, and the public JWK
    /// carrying `kid`, `alg` and `use`.
    pub(crate) fn generate(self, kid: &str) -> Result<(Vec<u8>, Jwk), JoseError> {
        let pair: Box<dyn KeyPair> = match self {
            // RFC 7518 section 3.3 asks for 2048 bits or more.
            SigningAlg::RS256 => Box::new(jws::RS256.generate_key_pair(2048)?),
            // A key of its own: a JWK's `alg` binds it to one algorithm
            // (RFC 7517 section 4.4), and RFC 8725 section 3.1 asks for it.
            SigningAlg::PS256 => Box::new(jws::PS256.generate_key_pair(2048)?),
            SigningAlg::ES256 => Box::new(jws::ES256.generate_key_pair()?),
            SigningAlg::EdDSA => Box::new(jws::EdDSA.generate_key_pair(EdCurve::Ed25519)?),
        };
        let mut public = pair.to_jwk_public_key();
        public.set_key_id(kid);
        public.set_algorithm(self.as_str());
        public.set_key_use("sig");
        Ok((pair.to_der_private_key(), public))
    }

    /// A signer for a PKCS#8 DER private key; it puts `kid` in each header.
    pub(crate) fn signer(self, der: &[u8], kid: &str) -> Result<Box<dyn JwsSigner>, JoseError> {
        Ok(match self {
            SigningAlg::RS256 => {
                let mut signer = jws::RS256.signer_from_der(der)?;
                signer.set_key_id(kid);
                Box::new(signer)
            }
            SigningAlg::PS256 => {
                let mut signer = jws::PS256.signer_from_der(der)?;
                signer.set_key_id(kid);
                Box::new(signer)
            }
            SigningAlg::ES256 => {
                let mut signer = jws::ES256.signer_from_der(der)?;
                signer.set_key_id(kid);
                Box::new(signer)
            }
            SigningAlg::EdDSA => {
                let mut signer = jws::EdDSA.signer_from_der(der)?;
                signer.set_key_id(kid);
                Box::new(signer)
            }
        })
    }

    /// A verifier for a published JWK of this algorithm.
    pub fn verifier(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, JoseError> {
        Ok(match self {
            SigningAlg::RS256 => Box::new(jws::RS256.verifier_from_jwk(jwk)?),
            SigningAlg::PS256 => Box::new(jws::PS256.verifier_from_jwk(jwk)?),
            SigningAlg::ES256 => Box::new(jws::ES256.verifier_from_jwk(jwk)?),
            SigningAlg::EdDSA => Box::new(jws::EdDSA.verifier_from_jwk(jwk)?),
        })
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

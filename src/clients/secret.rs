//! Client secrets: 256 random bits, shown once, stored as a keyed hash.
//!
//! A slow password hash adds nothing for a random 256-bit secret and would cap
//! client authentication at a few dozen requests per second per core, so
//! secrets are stored as HMAC-SHA256 under a key derived from the server
//! secret: a database dump alone cannot even test guesses.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::keys::{SealError, Sealer};
use crate::secret::{KeyPurpose, ServerSecret};

/// Bytes of randomness in a generated secret.
const SECRET_BYTES: usize = 32;

/// A client secret in the clear, as handed to the client once.
pub struct PlainSecret(SecretString);

impl PlainSecret {
    pub fn generate() -> PlainSecret {
        PlainSecret(SecretString::from(crate::secret::random_token(
            SECRET_BYTES,
        )))
    }

    pub fn from_presented(secret: &str) -> PlainSecret {
        PlainSecret(SecretString::from(secret.to_owned()))
    }

    /// # Security
    /// Only for showing to the admin who registered the client, once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainSecret([redacted])")
    }
}

/// Hashes and checks client secrets, and seals the few that must be kept.
#[derive(Clone)]
pub struct ClientSecrets {
    key: [u8; 32],
    sealer: Sealer,
}

impl std::fmt::Debug for ClientSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecrets")
    }
}

impl ClientSecrets {
    pub fn new(secret: &ServerSecret) -> ClientSecrets {
        ClientSecrets {
            key: *secret.derive(KeyPurpose::ClientSecretHash).expose(),
            sealer: Sealer::for_client_secrets(secret),
        }
    }

    /// Hex of HMAC-SHA256(key, secret).
    pub fn hash(&self, secret: &PlainSecret) -> String {
        hex::encode(self.mac(secret))
    }

    /// Compares in constant time, so timing reveals nothing of the stored hash.
    pub fn verify(&self, secret: &PlainSecret, stored_hex: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hex) else {
            return false;
        };
        self.mac(secret).ct_eq(&stored).into()
    }

    /// The secret encrypted for storage, bound to `client_id`; for clients
    /// that sign ID tokens with HS256 and so need it in the clear later.
    pub fn seal(&self, client_id: &str, secret: &PlainSecret) -> String {
        self.sealer.seal(client_id, secret.expose().as_bytes())
    }

    /// # Security
    /// Returns the client's secret in the clear; use it to sign and drop it.
    pub fn open(&self, client_id: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        self.sealer.open(client_id, self.sealer.key_id(), sealed)
    }

    fn mac(&self, secret: &PlainSecret) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(secret.expose().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> ClientSecrets {
        ClientSecrets::new(&ServerSecret::new(SecretString::from("s".repeat(40))))
    }

    #[test]
    fn generated_secret_verifies_and_another_does_not() {
        let hasher = hasher();
        let secret = PlainSecret::generate();
        let stored = hasher.hash(&secret);
        assert!(hasher.verify(&secret, &stored));
        assert!(!hasher.verify(&PlainSecret::from_presented("guess"), &stored));
        assert_ne!(stored, secret.expose());
    }
}

use super::InvalidValue;

/// A client identifier, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<ClientId, InvalidValue> {
        // Unreserved URI characters only: the id appears in URLs and in
        // Basic authentication, where anything else needs escaping.
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        if raw.is_empty() || raw.len() > 128 || !raw.chars().all(valid_char) {
            return Err(InvalidValue::new(
                "a client id is 1 to 128 letters, digits or - . _ ~",
            ));
        }
        Ok(ClientId(raw.to_owned()))
    }

    /// A fresh random id for a client registered without one.
    pub fn generate() -> ClientId {
        ClientId(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

use super::InvalidValue;

/// A role name carried in access tokens' `roles` claim.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Role(String);

impl Role {
    pub const ADMIN: &'static str = "admin";

    pub fn parse(raw: &str) -> Result<Role, InvalidValue> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "_-.:".contains(c);
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(valid_char) {
            return Err(InvalidValue::new(format!(
                "role `{raw}` must be 1 to 64 letters, digits or _ - . :"
            )));
        }
        Ok(Role(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

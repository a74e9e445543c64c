use super::InvalidValue;

/// A login name: unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Username, InvalidValue> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidValue::new("a username cannot be empty"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "a username has at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidValue::new(
                "a username cannot contain spaces or control characters",
            ));
        }
        Ok(Username(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form stored under a unique index: two names that differ only in
    /// case share it.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_in_case_share_a_key() {
        let a = Username::parse("Alice").unwrap();
        let b = Username::parse("aLICE").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Alice");
    }

    #[test]
    fn blank_and_spaced_names_are_refused() {
        assert!(Username::parse("  ").is_err());
        assert!(Username::parse("a b").is_err());
    }
}

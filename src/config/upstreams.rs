//! The settings of federation: `[upstreams.<name>]`, one table per identity
//! provider people may sign in through, and `[federation]`, what they share.
//! Checked here at start like every other setting; the clients that talk to
//! the upstreams are built from them in [`crate::upstream`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Google's issuer, preset for `kind = "google"`.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The Graph API version used when `graph_version` is not set.
pub const DEFAULT_GRAPH_VERSION: &str = "v21.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamKind {
    /// Any OpenID Connect issuer, found by discovery.
    Oidc,
    /// An OpenID Connect upstream with Google's issuer preset and an optional
    /// hosted-domain check.
    Google,
    /// OAuth 2.0 and the Graph API; Facebook does not speak OpenID Connect
    /// on its web login.
    Facebook,
}

/// Shared by every upstream: one HTTP client serves them all.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct FederationSettings {
    /// The longest any one request to an upstream may take.
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// How long a person has at the upstream before the attempt expires.
    pub attempt_lifetime_secs: i64,
    /// How long an upstream's discovery document and keys are reused.
    pub metadata_cache_secs: u64,
}

impl Default for FederationSettings {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            connect_timeout_secs: 5,
            attempt_lifetime_secs: 600,
            metadata_cache_secs: 300,
        }
    }
}

/// One `[upstreams.<name>]` table. The name is the key of the table and
/// appears in `/upstream/<name>/...` and in the `idp` claim.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct UpstreamSettings {
    /// The text of the "Continue with …" button.
    pub label: String,
    pub kind: Option<UpstreamKind>,
    /// The issuer for `oidc`; overrides Google's for `google`.
    pub issuer: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub client_id: String,
    #[serde(skip_serializing, deserialize_with = "secret_text_or_number")]
    pub client_secret: Option<SecretString>,
    pub client_secret_file: Option<PathBuf>,
    /// Scopes to ask for; `openid` is always added for OpenID Connect kinds.
    pub scopes: Vec<String>,
    /// Added to the authorization request as they are (`prompt`, `hd`, ...).
    pub extra_auth_params: BTreeMap<String, String>,
    /// Whether a verified e-mail address from this upstream may link to an
    /// existing local user with that address.
    pub trust_email: bool,
    /// Whether a first sign-in creates a local user (just in time).
    pub create_users: bool,
    /// Whether ending a session that came from this upstream also ends the
    /// person's session there (OpenID Connect kinds with an end-session
    /// endpoint only).
    pub end_upstream_session: bool,
    /// `google` only: the Workspace domain the `hd` claim must name.
    pub hosted_domain: Option<String>,
    /// `facebook` only: the Graph API version, such as `v21.0`.
    pub graph_version: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub jwks_url: Option<String>,
    pub end_session_url: Option<String>,
    /// `facebook` only: the Graph API's base URL.
    pub graph_url: Option<String>,
}

impl Default for UpstreamSettings {
    fn default() -> Self {
        Self {
            label: String::new(),
            kind: None,
            issuer: None,
            client_id: String::new(),
            client_secret: None,
            client_secret_file: None,
            scopes: Vec::new(),
            extra_auth_params: BTreeMap::new(),
            trust_email: false,
            // The issue's default: a first sign-in makes an account.
            create_users: true,
            end_upstream_session: false,
            hosted_domain: None,
            graph_version: None,
            authorization_url: None,
            token_url: None,
            userinfo_url: None,
            jwks_url: None,
            end_session_url: None,
            graph_url: None,
        }
    }
}

impl UpstreamSettings {
    /// The client secret from the setting or its file; `None` when neither
    /// is set.
    pub fn resolve_client_secret(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        let setting = |key: &str| format!("upstreams.{name}.{key}");
        match (&self.client_secret, &self.client_secret_file) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                &setting("client_secret"),
                "set either client_secret or client_secret_file, not both",
            )),
            (Some(secret), None) => Ok(Some(secret.clone())),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    ConfigError::new(
                        &setting("client_secret_file"),
                        format!("cannot read {}: {error}", path.display()),
                    )
                })?;
                Ok(Some(SecretString::from(text.trim().to_owned())))
            }
            (None, None) => Ok(None),
        }
    }

    /// The issuer this upstream is reached at, for OpenID Connect kinds.
    pub fn effective_issuer(&self) -> Option<&str> {
        match self.kind {
            Some(UpstreamKind::Google) => Some(self.issuer.as_deref().unwrap_or(GOOGLE_ISSUER)),
            Some(UpstreamKind::Oidc) => self.issuer.as_deref(),
            _ => None,
        }
    }
}

/// A text that may have been written as a number: Facebook's app ids are
/// digits, and the environment layer reads `1234` as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrNumber {
    Text(String),
    Number(u64),
}

impl TextOrNumber {
    fn into_text(self) -> String {
        match self {
            TextOrNumber::Text(text) => text,
            TextOrNumber::Number(number) => number.to_string(),
        }
    }
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    TextOrNumber::deserialize(d).map(TextOrNumber::into_text)
}

fn secret_text_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    let text = Option::<TextOrNumber>::deserialize(d)?;
    Ok(text.map(|t| SecretString::from(t.into_text())))
}

/// Checks every upstream, and that someone can still sign in.
pub fn validate(
    upstreams: &BTreeMap<String, UpstreamSettings>,
    federation: &FederationSettings,
    password_form: bool,
) -> Result<(), ConfigError> {
    if !password_form && upstreams.is_empty() {
        return Err(ConfigError::new(
            "login.password_form",
            "hiding the password form needs at least one [upstreams.<name>] table",
        ));
    }
    if federation.timeout_secs == 0 || federation.connect_timeout_secs == 0 {
        return Err(ConfigError::new(
            "federation.timeout_secs",
            "time-outs must be at least 1 second",
        ));
    }
    if federation.attempt_lifetime_secs <= 0 {
        return Err(ConfigError::new(
            "federation.attempt_lifetime_secs",
            "must be a positive number of seconds",
        ));
    }
    upstreams
        .iter()
        .try_for_each(|(name, upstream)| validate_upstream(name, upstream))
}

fn validate_upstream(name: &str, upstream: &UpstreamSettings) -> Result<(), ConfigError> {
    let setting = |key: &str| format!("upstreams.{name}.{key}");
    let fail = |key: &str, problem: &str| Err(ConfigError::new(&setting(key), problem));

    let valid_name = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid_name {
        return Err(ConfigError::new(
            &format!("upstreams.{name}"),
            "an upstream's name is 1 to 32 of a-z, 0-9, '-' and '_'; it is part of its URLs",
        ));
    }
    let Some(kind) = upstream.kind else {
        return fail("kind", "set kind to \"oidc\", \"google\" or \"facebook\"");
    };
    if upstream.label.trim().is_empty() {
        return fail("label", "set the text of the sign-in button");
    }
    if upstream.client_id.trim().is_empty() {
        return fail("client_id", "set the client id registered at the upstream");
    }
    let secret = upstream.resolve_client_secret(name)?;
    if secret
        .as_ref()
        .is_some_and(|s| s.expose_secret().is_empty())
    {
        return fail("client_secret", "is empty");
    }
    if kind == UpstreamKind::Facebook && secret.is_none() {
        return fail(
            "client_secret",
            "Facebook needs the app secret (client_secret or client_secret_file)",
        );
    }
    validate_kind_settings(name, kind, upstream)?;
    validate_urls(name, upstream)
}

fn validate_kind_settings(
    name: &str,
    kind: UpstreamKind,
    upstream: &UpstreamSettings,
) -> Result<(), ConfigError> {
    let setting = |key: &str| format!("upstreams.{name}.{key}");
    let only_for = |key: &str, what: &str| {
        Err(ConfigError::new(
            &setting(key),
            format!("applies to {what} upstreams only"),
        ))
    };
    match kind {
        UpstreamKind::Oidc if upstream.issuer.is_none() => Err(ConfigError::new(
            &setting("issuer"),
            "an oidc upstream needs its issuer URL",
        )),
        UpstreamKind::Facebook if upstream.issuer.is_some() => {
            only_for("issuer", "oidc and google")
        }
        UpstreamKind::Facebook if upstream.end_upstream_session => {
            only_for("end_upstream_session", "oidc and google")
        }
        _ if kind != UpstreamKind::Google && upstream.hosted_domain.is_some() => {
            only_for("hosted_domain", "google")
        }
        _ if kind != UpstreamKind::Facebook
            && (upstream.graph_version.is_some() || upstream.graph_url.is_some()) =>
        {
            only_for("graph_version", "facebook")
        }
        _ => Ok(()),
    }
}

fn validate_urls(name: &str, upstream: &UpstreamSettings) -> Result<(), ConfigError> {
    let urls = [
        ("issuer", upstream.issuer.as_deref()),
        ("authorization_url", upstream.authorization_url.as_deref()),
        ("token_url", upstream.token_url.as_deref()),
        ("userinfo_url", upstream.userinfo_url.as_deref()),
        ("jwks_url", upstream.jwks_url.as_deref()),
        ("end_session_url", upstream.end_session_url.as_deref()),
        ("graph_url", upstream.graph_url.as_deref()),
    ];
    for (key, value) in urls {
        let Some(value) = value else { continue };
        let valid = url::Url::parse(value)
            .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.host().is_some());
        if !valid {
            return Err(ConfigError::new(
                &format!("upstreams.{name}.{key}"),
                "expected an absolute http(s) URL",
            ));
        }
    }
    if let Some(version) = &upstream.graph_version {
        let valid = version.starts_with('v')
            && version.len() > 1
            && version[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
        if !valid {
            return Err(ConfigError::new(
                &format!("upstreams.{name}.graph_version"),
                "expected a version such as v21.0",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc() -> UpstreamSettings {
        UpstreamSettings {
            label: "Corp".into(),
            kind: Some(UpstreamKind::Oidc),
            issuer: Some("https://id.corp.test".into()),
            client_id: "porteiro".into(),
            ..UpstreamSettings::default()
        }
    }

    fn check(name: &str, upstream: UpstreamSettings) -> Result<(), ConfigError> {
        let upstreams = BTreeMap::from([(name.to_owned(), upstream)]);
        validate(&upstreams, &FederationSettings::default(), true)
    }

    #[test]
    fn an_oidc_upstream_without_an_issuer_names_the_setting() {
        let error = check(
            "corp",
            UpstreamSettings {
                issuer: None,
                ..oidc()
            },
        )
        .unwrap_err();
        assert_eq!(error.setting, "upstreams.corp.issuer");
    }

    #[test]
    fn a_name_that_cannot_be_part_of_a_url_is_refused() {
        assert_eq!(
            check("Corp SSO", oidc()).unwrap_err().setting,
            "upstreams.Corp SSO"
        );
    }

    #[test]
    fn facebook_needs_its_app_secret() {
        let facebook = UpstreamSettings {
            kind: Some(UpstreamKind::Facebook),
            issuer: None,
            ..oidc()
        };
        let error = check("facebook", facebook).unwrap_err();
        assert_eq!(error.setting, "upstreams.facebook.client_secret");
    }

    #[test]
    fn a_secret_given_twice_is_refused() {
        let twice = UpstreamSettings {
            client_secret: Some(SecretString::from("s".to_owned())),
            client_secret_file: Some("/run/secret".into()),
            ..oidc()
        };
        assert_eq!(
            check("corp", twice).unwrap_err().setting,
            "upstreams.corp.client_secret"
        );
    }

    #[test]
    fn hiding_the_password_form_without_upstreams_is_refused() {
        let error = validate(&BTreeMap::new(), &FederationSettings::default(), false).unwrap_err();
        assert_eq!(error.setting, "login.password_form");
    }

    #[test]
    fn a_numeric_client_id_is_read_as_text() {
        let upstream: UpstreamSettings =
            serde_json::from_value(serde_json::json!({ "client_id": 1234, "client_secret": 99 }))
                .unwrap();
        assert_eq!(upstream.client_id, "1234");
        assert_eq!(upstream.client_secret.unwrap().expose_secret(), "99");
    }

    #[test]
    fn google_presets_its_issuer_unless_overridden() {
        let google = UpstreamSettings {
            kind: Some(UpstreamKind::Google),
            issuer: None,
            ..oidc()
        };
        assert_eq!(google.effective_issuer(), Some(GOOGLE_ISSUER));
        assert!(check("google", google).is_ok());
    }
}

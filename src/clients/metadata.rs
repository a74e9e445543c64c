//! Client metadata in the shape of OpenID Connect Dynamic Client Registration
//! and RFC 7591, shared by `porteiro client create --json` and, later, the
//! registration endpoint.

use serde::{Deserialize, Serialize};

use crate::domain::{GrantType, InvalidValue, RedirectUri, Scopes};
use crate::keys::SigningAlg;
use crate::oidc::tokens::IdTokenAlg;
use crate::storage::models::client::Client;

/// The longest a client's access or ID tokens may live. Keys stay published
/// this long after they retire, so the bound keeps rotation timely.
pub const MAX_SIGNED_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;
pub const MAX_REFRESH_TOKEN_LIFETIME_SECS: i64 = 365 * 24 * 3600;

/// Scopes a client may ask for when its registration names none.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// Registration request: RFC 7591 names, plus `client_id` (chosen instead of
/// generated), `first_party` (skips consent), `require_pkce`, and token
/// lifetimes in seconds (`access_token_lifetime_secs`, `id_token_lifetime_secs`,
/// `refresh_token_lifetime_secs`; absent: the configured defaults), and
/// `access_token_signed_response_alg` (absent: `tokens.access_token_signing_alg`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientMetadata {
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    pub first_party: Option<bool>,
    pub require_pkce: Option<bool>,
    pub access_token_lifetime_secs: Option<i64>,
    pub id_token_lifetime_secs: Option<i64>,
    pub refresh_token_lifetime_secs: Option<i64>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: Option<bool>,
    pub access_token_signed_response_alg: Option<String>,
}

/// Per-client token lifetimes; `None` takes the configured default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifetimes {
    pub access_token: Option<i64>,
    pub id_token: Option<i64>,
    pub refresh_token: Option<i64>,
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    pub fn parse(raw: &str) -> Result<AuthMethod, InvalidValue> {
        match raw {
            "client_secret_basic" => Ok(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Ok(AuthMethod::ClientSecretPost),
            "none" => Ok(AuthMethod::None),
            other => Err(InvalidValue::new(format!(
                "token_endpoint_auth_method `{other}` is not supported; use \
                 client_secret_basic, client_secret_post or none"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// A registration that passed every check.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub name: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scopes,
    pub id_token_alg: IdTokenAlg,
    /// `None` takes the configured algorithm.
    pub access_token_alg: Option<SigningAlg>,
    pub first_party: bool,
    pub require_pkce: bool,
    pub lifetimes: Lifetimes,
    pub logout: LogoutChannels,
}

/// Where a client hears of logouts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutChannels {
    pub backchannel_uri: Option<String>,
    pub backchannel_session_required: bool,
    pub frontchannel_uri: Option<String>,
    pub frontchannel_session_required: bool,
}

impl ClientMetadata {
    pub fn validate(&self) -> Result<ValidRegistration, InvalidValue> {
        let auth_method = AuthMethod::parse(
            self.token_endpoint_auth_method
                .as_deref()
                .unwrap_or("client_secret_basic"),
        )?;
        let grant_types = self.grant_types()?;
        self.check_response_types(&grant_types)?;
        check_grants_for_client_type(&grant_types, auth_method)?;

        let redirect_uris = parse_uris(&self.redirect_uris)?;
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
            return Err(InvalidValue::new(
                "the authorization_code grant needs at least one redirect URI",
            ));
        }
        let require_pkce = self.require_pkce.unwrap_or(true);
        if !require_pkce && auth_method == AuthMethod::None {
            return Err(InvalidValue::new(
                "public clients must use PKCE (RFC 9700 section 2.1.1)",
            ));
        }

        Ok(ValidRegistration {
            name: self.client_name()?,
            redirect_uris,
            post_logout_redirect_uris: parse_uris(&self.post_logout_redirect_uris)?,
            auth_method,
            grant_types,
            scopes: Scopes::parse(self.scope.as_deref().unwrap_or(DEFAULT_SCOPES))?,
            id_token_alg: self.id_token_alg(auth_method)?,
            access_token_alg: self.access_token_alg()?,
            lifetimes: self.lifetimes()?,
            logout: self.logout_channels()?,
            first_party: self.first_party.unwrap_or(false),
            require_pkce,
        })
    }

    fn client_name(&self) -> Result<Option<String>, InvalidValue> {
        match self.client_name.as_deref().map(str::trim) {
            Some("") => Err(InvalidValue::new("client_name cannot be empty")),
            Some(name) if name.chars().count() > 200 => {
                Err(InvalidValue::new("client_name has at most 200 characters"))
            }
            other => Ok(other.map(str::to_owned)),
        }
    }

    fn grant_types(&self) -> Result<Vec<GrantType>, InvalidValue> {
        let names = self
            .grant_types
            .clone()
            .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
        let mut grants = names
            .iter()
            .map(|g| GrantType::parse(g))
            .collect::<Result<Vec<_>, _>>()?;
        grants.sort();
        grants.dedup();
        if grants.is_empty() {
            return Err(InvalidValue::new("a client needs at least one grant type"));
        }
        if grants.contains(&GrantType::RefreshToken)
            && !grants.contains(&GrantType::AuthorizationCode)
        {
            return Err(InvalidValue::new(
                "the refresh_token grant needs the authorization_code grant",
            ));
        }
        Ok(grants)
    }

    fn check_response_types(&self, grants: &[GrantType]) -> Result<(), InvalidValue> {
        let Some(response_types) = &self.response_types else {
            return Ok(());
        };
        if let Some(other) = response_types.iter().find(|r| *r != "code") {
            return Err(InvalidValue::new(format!(
                "response type `{other}` is not supported; only `code` is"
            )));
        }
        let wants_code = !response_types.is_empty();
        if wants_code != grants.contains(&GrantType::AuthorizationCode) {
            return Err(InvalidValue::new(
                "response_types [\"code\"] goes with the authorization_code grant, and only with it",
            ));
        }
        Ok(())
    }

    fn id_token_alg(&self, auth: AuthMethod) -> Result<IdTokenAlg, InvalidValue> {
        let name = self
            .id_token_signed_response_alg
            .as_deref()
            .unwrap_or("RS256");
        let alg = IdTokenAlg::parse(name).map_err(|_| {
            InvalidValue::new(format!(
                "id_token_signed_response_alg `{name}` is not supported; use RS256, PS256, ES256, EdDSA or HS256"
            ))
        })?;
        if alg == IdTokenAlg::Hs256 && auth == AuthMethod::None {
            return Err(InvalidValue::new(
                "HS256 ID tokens need a client secret; a public client has none",
            ));
        }
        Ok(alg)
    }

    fn access_token_alg(&self) -> Result<Option<SigningAlg>, InvalidValue> {
        let Some(name) = self.access_token_signed_response_alg.as_deref() else {
            return Ok(None);
        };
        SigningAlg::parse(name).map(Some).map_err(|_| {
            InvalidValue::new(format!(
                "access_token_signed_response_alg `{name}` is not supported; use RS256, PS256, \
                 ES256 or EdDSA"
            ))
        })
    }

    fn logout_channels(&self) -> Result<LogoutChannels, InvalidValue> {
        Ok(LogoutChannels {
            backchannel_uri: web_uri(
                "backchannel_logout_uri",
                self.backchannel_logout_uri.as_deref(),
            )?,
            backchannel_session_required: self.backchannel_logout_session_required.unwrap_or(false),
            frontchannel_uri: web_uri(
                "frontchannel_logout_uri",
                self.frontchannel_logout_uri.as_deref(),
            )?,
            frontchannel_session_required: self
                .frontchannel_logout_session_required
                .unwrap_or(false),
        })
    }

    fn lifetimes(&self) -> Result<Lifetimes, InvalidValue> {
        let check = |name: &str, value: Option<i64>, max: i64| match value {
            Some(secs) if secs <= 0 || secs > max => Err(InvalidValue::new(format!(
                "{name} must be between 1 and {max} seconds"
            ))),
            other => Ok(other),
        };
        Ok(Lifetimes {
            access_token: check(
                "access_token_lifetime_secs",
                self.access_token_lifetime_secs,
                MAX_SIGNED_TOKEN_LIFETIME_SECS,
            )?,
            id_token: check(
                "id_token_lifetime_secs",
                self.id_token_lifetime_secs,
                MAX_SIGNED_TOKEN_LIFETIME_SECS,
            )?,
            refresh_token: check(
                "refresh_token_lifetime_secs",
                self.refresh_token_lifetime_secs,
                MAX_REFRESH_TOKEN_LIFETIME_SECS,
            )?,
        })
    }
}

fn check_grants_for_client_type(
    grants: &[GrantType],
    auth: AuthMethod,
) -> Result<(), InvalidValue> {
    if auth == AuthMethod::None && grants.contains(&GrantType::ClientCredentials) {
        return Err(InvalidValue::new(
            "the client_credentials grant needs a confidential client (an auth method other than none)",
        ));
    }
    Ok(())
}

/// An `https` URI (or `http` on loopback) without a fragment, as the
/// logout specs require.
fn web_uri(name: &str, raw: Option<&str>) -> Result<Option<String>, InvalidValue> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let uri = RedirectUri::parse(raw).map_err(|e| InvalidValue::new(format!("{name}: {e}")))?;
    if !uri.as_str().starts_with("https://") && !uri.as_str().starts_with("http://") {
        return Err(InvalidValue::new(format!(
            "{name} must be an http or https URI"
        )));
    }
    Ok(Some(uri.as_str().to_owned()))
}

fn parse_uris(raw: &[String]) -> Result<Vec<RedirectUri>, InvalidValue> {
    raw.iter().map(|uri| RedirectUri::parse(uri)).collect()
}

/// A registered client as RFC 7591 section 3.2.1 returns it.
#[derive(Debug, Clone, Serialize)]
pub struct RegisteredClient {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub id_token_signed_response_alg: String,
    pub first_party: bool,
    pub require_pkce: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_lifetime_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_signed_response_alg: Option<String>,
}

impl RegisteredClient {
    /// The stored client's metadata; `secret` only right after registration.
    pub fn from_stored(client: &Client, secret: Option<String>) -> RegisteredClient {
        let list = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default();
        RegisteredClient {
            client_id: client.id.clone(),
            client_secret_expires_at: client.secret_hash.as_ref().map(|_| 0),
            client_secret: secret,
            client_id_issued_at: client.created_at,
            client_name: client.name.clone(),
            redirect_uris: list(&client.redirect_uris),
            post_logout_redirect_uris: list(&client.post_logout_redirect_uris),
            token_endpoint_auth_method: client.token_endpoint_auth_method.clone(),
            grant_types: list(&client.grant_types),
            response_types: list(&client.response_types),
            scope: client.allowed_scopes.clone(),
            id_token_signed_response_alg: client.id_token_signed_response_alg.clone(),
            first_party: client.first_party,
            require_pkce: client.require_pkce,
            access_token_lifetime_secs: client.access_token_lifetime_secs,
            id_token_lifetime_secs: client.id_token_lifetime_secs,
            refresh_token_lifetime_secs: client.refresh_token_lifetime_secs,
            backchannel_logout_uri: client.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: client.backchannel_logout_session_required,
            frontchannel_logout_uri: client.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: client.frontchannel_logout_session_required,
            access_token_signed_response_alg: client.access_token_signed_response_alg.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: serde_json::Value) -> ClientMetadata {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn defaults_give_a_confidential_code_flow_client() {
        let valid = metadata(serde_json::json!({"redirect_uris": ["https://rp.example/cb"]}))
            .validate()
            .unwrap();
        assert_eq!(valid.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(valid.grant_types, vec![GrantType::AuthorizationCode]);
        assert!(valid.require_pkce);
    }

    #[test]
    fn public_client_credentials_client_is_refused() {
        let refused = metadata(serde_json::json!({
            "token_endpoint_auth_method": "none",
            "grant_types": ["client_credentials"],
            "response_types": []
        }))
        .validate();
        assert!(refused.is_err());
    }

    #[test]
    fn unknown_grant_and_implicit_response_type_are_refused() {
        let uris = serde_json::json!(["https://rp.example/cb"]);
        assert!(
            metadata(serde_json::json!({"redirect_uris": uris, "grant_types": ["password"]}))
                .validate()
                .is_err()
        );
        assert!(
            metadata(serde_json::json!({"redirect_uris": uris, "response_types": ["token"]}))
                .validate()
                .is_err()
        );
    }
}

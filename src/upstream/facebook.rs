//! Facebook (`kind = "facebook"`): OAuth 2.0 through the `oauth2` crate,
//! then the Graph API's `/me?fields=id,name,email`, every Graph call proven
//! with `appsecret_proof`, the HMAC-SHA256 of the access token keyed by the
//! app secret, so a stolen token is useless to anyone without the secret.
//!
//! Facebook's web login is not OpenID Connect: there is no ID token and no
//! `nonce`; `state` and PKCE protect the redirect.

use hmac::{Hmac, Mac};
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use url::Url;

use super::{
    AttemptSecrets, Policy, SignInHints, Upstream, UpstreamError, UpstreamFuture, UpstreamProfile,
};
use crate::config::{DEFAULT_GRAPH_VERSION, UpstreamSettings};

const DIALOG_BASE: &str = "https://www.facebook.com";
const GRAPH_BASE: &str = "https://graph.facebook.com";

pub struct FacebookUpstream {
    name: String,
    label: String,
    policy: Policy,
    client_id: String,
    app_secret: SecretString,
    scopes: Vec<String>,
    extra_auth_params: Vec<(String, String)>,
    authorization_url: Url,
    token_url: Url,
    me_url: Url,
    http: reqwest::Client,
}

/// What `/me` answers for the fields asked.
#[derive(Deserialize)]
struct Me {
    id: String,
    name: Option<String>,
    email: Option<String>,
}

impl FacebookUpstream {
    pub fn new(
        name: &str,
        settings: &UpstreamSettings,
        app_secret: Option<SecretString>,
        http: reqwest::Client,
    ) -> anyhow::Result<FacebookUpstream> {
        let app_secret =
            app_secret.ok_or_else(|| anyhow::anyhow!("upstream {name} needs its app secret"))?;
        let version = settings
            .graph_version
            .as_deref()
            .unwrap_or(DEFAULT_GRAPH_VERSION);
        let graph = settings.graph_url.as_deref().unwrap_or(GRAPH_BASE);
        let graph = graph.trim_end_matches('/');
        let dialog = format!("{DIALOG_BASE}/{version}/dialog/oauth");
        let token = format!("{graph}/{version}/oauth/access_token");
        let scopes = match settings.scopes.is_empty() {
            true => vec!["public_profile".to_owned(), "email".to_owned()],
            false => settings.scopes.clone(),
        };
        Ok(FacebookUpstream {
            name: name.to_owned(),
            label: settings.label.clone(),
            policy: Policy::from_settings(settings),
            client_id: settings.client_id.clone(),
            app_secret,
            scopes,
            extra_auth_params: settings.extra_auth_params.clone().into_iter().collect(),
            authorization_url: Url::parse(
                settings.authorization_url.as_deref().unwrap_or(&dialog),
            )?,
            token_url: Url::parse(settings.token_url.as_deref().unwrap_or(&token))?,
            me_url: Url::parse(&format!("{graph}/{version}/me"))?,
            http,
        })
    }

    fn client(
        &self,
        redirect_uri: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        UpstreamError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| UpstreamError::InvalidResponse(e.to_string()))?;
        // Facebook reads the client's credentials from the form body.
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.app_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::from_url(self.authorization_url.clone()))
            .set_token_uri(TokenUrl::from_url(self.token_url.clone()))
            .set_redirect_uri(redirect)
            .set_auth_type(AuthType::RequestBody))
    }

    fn start(
        &self,
        secrets: &AttemptSecrets,
        redirect_uri: &str,
        hints: &SignInHints,
    ) -> Result<Url, UpstreamError> {
        let client = self.client(redirect_uri)?;
        let verifier = PkceCodeVerifier::new(secrets.pkce_verifier.clone());
        let state = secrets.state.clone();

        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .add_scopes(self.scopes.iter().cloned().map(Scope::new));
        // Facebook's way of asking for the password again; it has no max_age.
        if hints.fresh_login || hints.max_age.is_some() {
            request = request.add_extra_param("auth_type", "reauthenticate");
        }
        for (name, value) in &self.extra_auth_params {
            request = request.add_extra_param(name.as_str(), value.as_str());
        }
        Ok(request.url().0)
    }

    async fn finish(
        &self,
        secrets: &AttemptSecrets,
        code: &str,
        redirect_uri: &str,
    ) -> Result<UpstreamProfile, UpstreamError> {
        let client = self.client(redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;

        let me = self.me(tokens.access_token().secret()).await?;
        // Graph returns `email` only for an address the person confirmed with
        // Facebook, so its presence is Facebook's word that it is verified.
        let verified = me.email.is_some();
        Ok(UpstreamProfile {
            subject: me.id,
            email: me.email,
            email_verified: verified,
            name: me.name,
            preferred_username: None,
            amr: Vec::new(),
            id_token: None,
            auth_time: None,
        })
    }

    /// `GET /me` with the access token and its proof.
    async fn me(&self, access_token: &str) -> Result<Me, UpstreamError> {
        let mut url = self.me_url.clone();
        url.query_pairs_mut()
            .append_pair("fields", "id,name,email")
            .append_pair("access_token", access_token)
            .append_pair("appsecret_proof", &self.appsecret_proof(access_token));
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(super::unavailable)?;

        let status = response.status();
        let body = response.bytes().await.map_err(super::unavailable)?;
        if status.is_server_error() {
            return Err(super::unavailable(format!("Graph answered {status}")));
        }
        if !status.is_success() {
            return Err(UpstreamError::Refused(format!("Graph answered {status}")));
        }
        let me: Me = serde_json::from_slice(&body)
            .map_err(|_| UpstreamError::InvalidResponse("Graph /me does not parse".into()))?;
        if me.id.is_empty() {
            return Err(UpstreamError::InvalidResponse("Graph /me has no id".into()));
        }
        Ok(me)
    }

    /// Hex HMAC-SHA256 of the access token, keyed by the app secret.
    fn appsecret_proof(&self, access_token: &str) -> String {
        appsecret_proof(self.app_secret.expose_secret(), access_token)
    }
}

/// Hex HMAC-SHA256 of `access_token` keyed by `app_secret`, as Graph checks
/// it (Facebook's "Securing Graph API Requests").
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Upstream for FacebookUpstream {
    fn name(&self) -> &str {
        &self.name
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Facebook's login is not OpenID Connect and sends no `iss`.
    fn issuer(&self) -> Option<&str> {
        None
    }

    fn authorization_url<'a>(
        &'a self,
        secrets: &'a AttemptSecrets,
        redirect_uri: &'a str,
        hints: &'a SignInHints,
    ) -> UpstreamFuture<'a, Url> {
        Box::pin(async move { self.start(secrets, redirect_uri, hints) })
    }

    fn identify<'a>(
        &'a self,
        secrets: &'a AttemptSecrets,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> UpstreamFuture<'a, UpstreamProfile> {
        Box::pin(self.finish(secrets, code, redirect_uri))
    }

    /// Facebook offers no end-session endpoint to relying parties.
    fn end_session_url<'a>(
        &'a self,
        _id_token_hint: Option<&'a str>,
        _post_logout_redirect_uri: &'a str,
        _state: &'a str,
    ) -> UpstreamFuture<'a, Option<Url>> {
        Box::pin(async { Ok(None) })
    }
}

fn token_error<E: std::error::Error + 'static>(
    error: RequestTokenError<E, BasicErrorResponse>,
) -> UpstreamError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            UpstreamError::Refused(response.error().to_string())
        }
        RequestTokenError::Request(e) => super::unavailable(e),
        // The parser's message may quote the body, tokens included.
        RequestTokenError::Parse(..) => {
            UpstreamError::InvalidResponse("the token response does not parse".into())
        }
        RequestTokenError::Other(e) => UpstreamError::InvalidResponse(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proof_is_the_hex_hmac_sha256_of_the_token() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let proof = appsecret_proof("Jefe", "what do ya want for nothing?");
        assert_eq!(
            proof,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

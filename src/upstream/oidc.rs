//! OpenID Connect upstreams (`kind = "oidc"` and `"google"`) through the
//! `openidconnect` crate: discovery, the authorization code flow with PKCE,
//! `state` and `nonce`, the ID token verified against the upstream's JWKS
//! (signature, `iss`, `aud`, `exp`, `nonce`, `at_hash`), and userinfo when
//! the ID token lacks a claim (OpenID Connect Core 3.1.3.7, 5.3).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims,
    CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::discovery::{Discovered, DiscoveryCache};
use super::{
    Policy, SignInHints, Upstream, UpstreamError, UpstreamFuture, UpstreamProfile, unavailable,
};
use crate::clock::SharedClock;
use crate::config::{UpstreamKind, UpstreamSettings};

/// A client made from discovery: an authorization endpoint for sure, token
/// and userinfo endpoints if the upstream has them.
type DiscoveredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

pub struct OidcUpstream {
    name: String,
    label: String,
    policy: Policy,
    settings: UpstreamSettings,
    client_secret: Option<SecretString>,
    http: reqwest::Client,
    clock: SharedClock,
    discovery: DiscoveryCache,
}

impl OidcUpstream {
    pub fn new(
        name: &str,
        settings: &UpstreamSettings,
        client_secret: Option<SecretString>,
        http: reqwest::Client,
        clock: SharedClock,
        cache_for: Duration,
    ) -> anyhow::Result<OidcUpstream> {
        let issuer = settings
            .effective_issuer()
            .ok_or_else(|| anyhow::anyhow!("upstream {name} has no issuer"))?;
        let issuer = IssuerUrl::new(issuer.to_owned())?;
        let discovery = DiscoveryCache::new(issuer, settings, http.clone(), cache_for);
        Ok(OidcUpstream {
            name: name.to_owned(),
            label: settings.label.clone(),
            policy: Policy::from_settings(settings),
            settings: settings.clone(),
            client_secret,
            http,
            clock,
            discovery,
        })
    }

    fn client(
        &self,
        discovered: &Discovered,
        redirect_uri: &str,
    ) -> Result<DiscoveredClient, UpstreamError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| UpstreamError::InvalidResponse(e.to_string()))?;
        let secret = self
            .client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose_secret().to_owned()));
        Ok(CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect))
    }

    async fn start(
        &self,
        secrets: &super::AttemptSecrets,
        redirect_uri: &str,
        hints: &SignInHints,
    ) -> Result<Url, UpstreamError> {
        let discovered = self.discovery.get(false).await?;
        let client = self.client(&discovered, redirect_uri)?;

        let (state, nonce) = (secrets.state.clone(), secrets.nonce.clone());
        let verifier = PkceCodeVerifier::new(secrets.pkce_verifier.clone());
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        // The crate sends `openid` itself.
        for scope in self.scopes().into_iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        if hints.fresh_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        if let Some(max_age) = hints.max_age.and_then(|secs| u64::try_from(secs).ok()) {
            request = request.set_max_age(Duration::from_secs(max_age));
        }
        if let Some(domain) = self.hosted_domain() {
            // A hint for Google's account chooser; the ID token is checked anyway.
            request = request.add_extra_param("hd", domain);
        }
        for (name, value) in &self.settings.extra_auth_params {
            request = request.add_extra_param(name.as_str(), value.as_str());
        }
        Ok(request.url().0)
    }

    async fn finish(
        &self,
        secrets: &super::AttemptSecrets,
        code: &str,
        redirect_uri: &str,
    ) -> Result<UpstreamProfile, UpstreamError> {
        let discovered = self.discovery.get(false).await?;
        let tokens = self
            .exchange(&discovered, secrets, code, redirect_uri)
            .await?;
        let id_token = tokens.id_token().ok_or_else(|| {
            UpstreamError::InvalidIdToken("the token response has no ID token".into())
        })?;

        let claims = match self.verify(&discovered, id_token, &tokens, secrets, redirect_uri) {
            // A key the cached JWKS lacks may be one the upstream rotated in
            // since; fetch once more, at most every 30 seconds.
            Err(UpstreamError::InvalidSignature(_))
                if discovered.fetched_at.elapsed() > Duration::from_secs(30) =>
            {
                let refreshed = self.discovery.get(true).await?;
                self.verify(&refreshed, id_token, &tokens, secrets, redirect_uri)?
            }
            other => other?,
        };
        self.check_hosted_domain(id_token)?;
        let profile = self
            .profile(&discovered, &claims, id_token, &tokens, redirect_uri)
            .await?;
        Ok(profile)
    }

    async fn exchange(
        &self,
        discovered: &Discovered,
        secrets: &super::AttemptSecrets,
        code: &str,
        redirect_uri: &str,
    ) -> Result<CoreTokenResponse, UpstreamError> {
        let client = self.client(discovered, redirect_uri)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| UpstreamError::InvalidResponse(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.clone()));
        request.request_async(&self.http).await.map_err(token_error)
    }

    fn verify(
        &self,
        discovered: &Discovered,
        id_token: &CoreIdToken,
        tokens: &CoreTokenResponse,
        secrets: &super::AttemptSecrets,
        redirect_uri: &str,
    ) -> Result<CoreIdTokenClaims, UpstreamError> {
        let client = self.client(discovered, redirect_uri)?;
        let clock = self.clock.clone();
        let verifier = client.id_token_verifier().set_time_fn(move || {
            chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or_default()
        });
        let nonce = Nonce::new(secrets.nonce.clone());
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(claims_error)?
            .clone();

        // at_hash binds the access token we may send to userinfo to this ID
        // token (OpenID Connect Core 3.1.3.6); it is optional in this flow.
        if let Some(expected) = claims.access_token_hash() {
            let invalid = |e: openidconnect::SignatureVerificationError| {
                UpstreamError::InvalidIdToken(e.to_string())
            };
            let alg = id_token.signing_alg().map_err(invalid)?;
            let key = id_token.signing_key(&verifier).map_err(invalid)?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| UpstreamError::InvalidIdToken(e.to_string()))?;
            if actual != *expected {
                return Err(UpstreamError::InvalidIdToken(
                    "at_hash does not match".into(),
                ));
            }
        }
        Ok(claims)
    }

    /// The configured scopes; without any, what a sign-in needs: who the
    /// person is, their name and their address.
    fn scopes(&self) -> Vec<&str> {
        match self.settings.scopes.is_empty() {
            true => vec!["openid", "profile", "email"],
            false => self.settings.scopes.iter().map(String::as_str).collect(),
        }
    }

    fn hosted_domain(&self) -> Option<&str> {
        match self.settings.kind {
            Some(UpstreamKind::Google) => self.settings.hosted_domain.as_deref(),
            _ => None,
        }
    }

    /// Google names a Workspace account's domain in `hd`, a claim the crate
    /// does not model; it is read from the payload the crate just verified.
    fn check_hosted_domain(&self, id_token: &CoreIdToken) -> Result<(), UpstreamError> {
        let Some(allowed) = self.hosted_domain() else {
            return Ok(());
        };
        let payload = payload_claims(&id_token.to_string());
        let hd = payload.get("hd").and_then(|hd| hd.as_str());
        match hd {
            Some(hd) if hd.eq_ignore_ascii_case(allowed) => Ok(()),
            _ => Err(UpstreamError::WrongHostedDomain),
        }
    }

    async fn profile(
        &self,
        discovered: &Discovered,
        claims: &CoreIdTokenClaims,
        id_token: &CoreIdToken,
        tokens: &CoreTokenResponse,
        redirect_uri: &str,
    ) -> Result<UpstreamProfile, UpstreamError> {
        let mut profile = UpstreamProfile {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
            amr: super::registered_amr(
                claims
                    .auth_method_refs()
                    .into_iter()
                    .flatten()
                    .map(|amr| amr.as_str()),
            ),
            id_token: Some(id_token.to_string()),
            auth_time: claims.auth_time().map(|time| time.timestamp()),
        };
        let lacks_claims = profile.email.is_none() || profile.name.is_none();
        if lacks_claims && discovered.metadata.userinfo_endpoint().is_some() {
            let userinfo = self
                .userinfo(discovered, tokens.access_token(), claims, redirect_uri)
                .await?;
            fill_from_userinfo(&mut profile, &userinfo);
        }
        Ok(profile)
    }

    async fn userinfo(
        &self,
        discovered: &Discovered,
        access_token: &AccessToken,
        claims: &CoreIdTokenClaims,
        redirect_uri: &str,
    ) -> Result<CoreUserInfoClaims, UpstreamError> {
        let client = self.client(discovered, redirect_uri)?;
        // The expected subject makes the crate refuse another person's claims
        // (OpenID Connect Core 5.3.2).
        let request = client
            .user_info(access_token.clone(), Some(claims.subject().clone()))
            .map_err(|e| UpstreamError::InvalidResponse(e.to_string()))?;
        request
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                openidconnect::UserInfoError::Request(e) => unavailable(e),
                other => UpstreamError::InvalidResponse(other.to_string()),
            })
    }

    async fn logout_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
        state: &str,
    ) -> Result<Option<Url>, UpstreamError> {
        if !self.policy.end_upstream_session {
            return Ok(None);
        }
        let discovered = self.discovery.get(false).await?;
        let Some(mut url) = discovered.end_session_endpoint.clone() else {
            return Ok(None);
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint);
            }
            query
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
                .append_pair("state", state);
        }
        Ok(Some(url))
    }
}

impl Upstream for OidcUpstream {
    fn name(&self) -> &str {
        &self.name
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn policy(&self) -> &Policy {
        &self.policy
    }

    fn issuer(&self) -> Option<&str> {
        self.settings.effective_issuer()
    }

    fn authorization_url<'a>(
        &'a self,
        secrets: &'a super::AttemptSecrets,
        redirect_uri: &'a str,
        hints: &'a SignInHints,
    ) -> UpstreamFuture<'a, Url> {
        Box::pin(self.start(secrets, redirect_uri, hints))
    }

    fn identify<'a>(
        &'a self,
        secrets: &'a super::AttemptSecrets,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> UpstreamFuture<'a, UpstreamProfile> {
        Box::pin(self.finish(secrets, code, redirect_uri))
    }

    fn end_session_url<'a>(
        &'a self,
        id_token_hint: Option<&'a str>,
        post_logout_redirect_uri: &'a str,
        state: &'a str,
    ) -> UpstreamFuture<'a, Option<Url>> {
        Box::pin(self.logout_url(id_token_hint, post_logout_redirect_uri, state))
    }
}

/// Claims the ID token lacked, from userinfo.
fn fill_from_userinfo(profile: &mut UpstreamProfile, userinfo: &CoreUserInfoClaims) {
    if profile.email.is_none() {
        profile.email = userinfo.email().map(|e| e.to_string());
        profile.email_verified = userinfo.email_verified().unwrap_or(false);
    }
    if profile.name.is_none() {
        profile.name = userinfo
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string());
    }
    if profile.preferred_username.is_none() {
        profile.preferred_username = userinfo.preferred_username().map(|u| u.to_string());
    }
}

/// The JSON claims of a compact JWS, or an empty object.
fn payload_claims(compact: &str) -> serde_json::Map<String, serde_json::Value> {
    compact
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn token_error<E: std::error::Error + 'static>(
    error: RequestTokenError<
        E,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> UpstreamError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            UpstreamError::Refused(response.error().to_string())
        }
        RequestTokenError::Request(e) => unavailable(e),
        // The parser's message may quote the body, tokens included.
        RequestTokenError::Parse(..) => {
            UpstreamError::InvalidResponse("the token response does not parse".into())
        }
        RequestTokenError::Other(e) => UpstreamError::InvalidResponse(e),
    }
}

fn claims_error(error: ClaimsVerificationError) -> UpstreamError {
    match error {
        ClaimsVerificationError::SignatureVerification(e) => {
            UpstreamError::InvalidSignature(e.to_string())
        }
        other => UpstreamError::InvalidIdToken(other.to_string()),
    }
}

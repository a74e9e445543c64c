//! The relying party's side of OpenID Connect, through the `openidconnect`
//! crate: discovery, the authorization code flow with PKCE, ID token
//! verification, userinfo and the RP-initiated logout URL. Back-channel
//! logout tokens are checked in `backchannel.rs`.

use std::time::{Duration, Instant};

use anyhow::Context;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode,
    ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, SubjectIdentifier, TokenResponse as _, UserInfoClaims, reqwest,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// A request to Porteiro that takes longer has failed.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The ID token claim the crate's core types leave out: `sid`, the SSO
/// session a back-channel logout token names (Back-Channel Logout 1.0
/// section 2.1).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SessionClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AdditionalClaims for SessionClaims {}

/// The discovery members of RP-Initiated Logout 1.0 (section 2.1), which
/// the crate's core provider metadata leaves out.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LogoutProviderMetadata {
    pub end_session_endpoint: Option<Url>,
}

impl AdditionalProviderMetadata for LogoutProviderMetadata {}

type ProviderMetadata = openidconnect::ProviderMetadata<
    LogoutProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type IdTokenFields = openidconnect::IdTokenFields<
    SessionClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type TokenResponse = StandardTokenResponse<IdTokenFields, CoreTokenType>;

type IdTokenClaims = openidconnect::IdTokenClaims<SessionClaims, CoreGenderClaim>;

/// A client made from discovery: authorization and token endpoints set,
/// userinfo set if the provider has one.
type Client = openidconnect::Client<
    SessionClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The secrets of one authorization request, kept until its callback.
pub struct PendingLogin {
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    pub started: Instant,
}

/// The claims the home page shows, read from a verified ID token.
#[derive(Debug, Clone)]
pub struct Profile {
    pub sub: String,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub sid: Option<String>,
    pub auth_time: Option<String>,
    pub amr: Vec<String>,
}

/// A signed-in person: what the ID token said, and the tokens to use.
#[derive(Clone)]
pub struct SignedIn {
    pub profile: Profile,
    pub id_token: String,
    pub access_token: AccessToken,
}

/// The query of the redirect back from `/authorize`.
#[derive(Debug, Deserialize)]
pub struct AuthorizationResponse {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("Porteiro answered {error}: {description}")]
    Refused { error: String, description: String },
    #[error("The state in the response is not the one this browser sent")]
    StateMismatch,
    #[error("The response comes from another issuer than Porteiro")]
    WrongIssuer,
    #[error("The response carries no authorization code")]
    MissingCode,
    #[error("The code could not be exchanged for tokens: {0}")]
    TokenRequest(String),
    #[error("The ID token was refused: {0}")]
    IdToken(String),
}

pub struct Provider {
    client: Client,
    http: reqwest::Client,
    issuer: String,
    end_session_endpoint: Option<Url>,
    jwks_uri: String,
}

impl Provider {
    /// Reads Porteiro's discovery document and JWKS, and makes the client.
    pub async fn discover(
        issuer: &str,
        client_id: String,
        client_secret: Option<String>,
        redirect_uri: String,
    ) -> anyhow::Result<Provider> {
        // No redirects: a token or userinfo response must come from the
        // endpoint discovery named (the crate's advice against SSRF).
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .context("cannot build the HTTP client")?;
        let issuer_url = IssuerUrl::new(issuer.to_owned()).context("the issuer is not a URL")?;
        let metadata = ProviderMetadata::discover_async(issuer_url, &http)
            .await
            .with_context(|| format!("cannot read the discovery document of {issuer}"))?;

        let end_session_endpoint = metadata.additional_metadata().end_session_endpoint.clone();
        let jwks_uri = metadata.jwks_uri().url().to_string();
        let redirect_uri = RedirectUrl::new(redirect_uri).context("bad redirect URI")?;
        let client = Client::from_provider_metadata(
            metadata,
            ClientId::new(client_id),
            client_secret.map(ClientSecret::new),
        )
        .set_redirect_uri(redirect_uri);
        Ok(Provider {
            client,
            http,
            issuer: issuer.to_owned(),
            end_session_endpoint,
            jwks_uri,
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// The authorization URL to send the browser to, with PKCE S256, and
    /// the secrets its callback needs.
    pub fn start_login(&self) -> (Url, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingLogin {
            state,
            nonce,
            verifier,
            started: Instant::now(),
        };
        (url, pending)
    }

    /// Checks the redirect back from Porteiro, exchanges its code and
    /// verifies the ID token (signature, issuer, audience, expiry, nonce).
    pub async fn finish_login(
        &self,
        response: AuthorizationResponse,
        pending: PendingLogin,
    ) -> Result<SignedIn, LoginError> {
        let code = self.check_response(response, &pending)?;

        let tokens = self
            .client
            .exchange_code(code)
            .map_err(|e| LoginError::TokenRequest(error_chain(&e)))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| LoginError::TokenRequest(error_chain(&e)))?;

        let profile = self.verify_id_token(&tokens, &pending.nonce)?;
        let id_token = tokens
            .id_token()
            .map(ToString::to_string)
            .ok_or_else(|| LoginError::IdToken("the token response has none".to_owned()))?;
        Ok(SignedIn {
            profile,
            id_token,
            access_token: tokens.access_token().clone(),
        })
    }

    /// The authorization code, once `error`, `state` and `iss` check out.
    fn check_response(
        &self,
        response: AuthorizationResponse,
        pending: &PendingLogin,
    ) -> Result<AuthorizationCode, LoginError> {
        if let Some(error) = response.error {
            let description = response.error_description.unwrap_or_default();
            return Err(LoginError::Refused { error, description });
        }
        if response.state.as_deref() != Some(pending.state.secret()) {
            return Err(LoginError::StateMismatch);
        }
        // RFC 9207: with several providers, `iss` is what stops a mix-up.
        if response
            .iss
            .as_deref()
            .is_some_and(|iss| iss != self.issuer)
        {
            return Err(LoginError::WrongIssuer);
        }
        response
            .code
            .map(AuthorizationCode::new)
            .ok_or(LoginError::MissingCode)
    }

    fn verify_id_token(
        &self,
        tokens: &TokenResponse,
        nonce: &Nonce,
    ) -> Result<Profile, LoginError> {
        let refused = |e: &dyn std::error::Error| LoginError::IdToken(error_chain(e));
        let id_token = tokens
            .id_token()
            .ok_or_else(|| LoginError::IdToken("the token response has none".to_owned()))?;
        let verifier = self.client.id_token_verifier();
        let claims = id_token.claims(&verifier, nonce).map_err(|e| refused(&e))?;

        // `at_hash` binds the access token to this ID token (Core 3.1.3.8).
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|e| refused(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| refused(&e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| refused(&e))?;
            if actual != *expected {
                return Err(LoginError::IdToken("at_hash does not match".to_owned()));
            }
        }
        Ok(Profile::from_claims(claims))
    }

    /// Porteiro's userinfo answer for the signed-in person, as pretty JSON;
    /// the crate checks its `sub` is the ID token's.
    pub async fn userinfo(&self, signed_in: &SignedIn) -> Result<String, String> {
        let subject = SubjectIdentifier::new(signed_in.profile.sub.clone());
        let request = self
            .client
            .user_info(signed_in.access_token.clone(), Some(subject))
            .map_err(|e| error_chain(&e))?;
        let claims: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = request
            .request_async(&self.http)
            .await
            .map_err(|e| error_chain(&e))?;
        serde_json::to_string_pretty(&claims).map_err(|e| e.to_string())
    }

    /// Porteiro's end-session URL for `signed_in`, if it has one.
    pub fn logout_url(
        &self,
        signed_in: &SignedIn,
        post_logout_redirect_uri: &str,
        state: &str,
    ) -> Option<Url> {
        let mut url = self.end_session_endpoint.clone()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", &signed_in.id_token)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("state", state);
        Some(url)
    }
}

impl Profile {
    fn from_claims(claims: &IdTokenClaims) -> Profile {
        Profile {
            sub: claims.subject().to_string(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
            email: claims.email().map(|e| e.to_string()),
            sid: claims.additional_claims().sid.clone(),
            auth_time: claims.auth_time().map(|t| t.to_rfc3339()),
            amr: claims
                .auth_method_refs()
                .map(|amr| amr.iter().map(|m| m.to_string()).collect())
                .unwrap_or_default(),
        }
    }

    /// Claim names and values for display; absent claims show as "-".
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
        vec![
            ("sub", self.sub.clone()),
            ("name", or_dash(&self.name)),
            ("preferred_username", or_dash(&self.preferred_username)),
            ("email", or_dash(&self.email)),
            ("sid", or_dash(&self.sid)),
            ("auth_time", or_dash(&self.auth_time)),
            ("amr", self.amr.join(" ")),
        ]
    }
}

/// An error and its causes on one line: the crate's errors say little at
/// the top ("Request failed") and the reason further down.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

//! A relying party built with the `openidconnect` crate: if it accepts our
//! discovery document, tokens and JWKS, we interoperate.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use porteiro::clients::RegisteredClient;

use crate::helpers::TestApp;

pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

pub struct RelyingParty {
    pub client: Client,
    pub http: openidconnect::reqwest::Client,
    pub registered: RegisteredClient,
}

/// One authorization request's secrets, kept by the relying party.
pub struct Attempt {
    pub url: String,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

impl RelyingParty {
    /// Registers a client with `metadata` (the redirect URI is added) and
    /// discovers the server.
    pub async fn register(app: &TestApp, mut metadata: serde_json::Value) -> RelyingParty {
        metadata["redirect_uris"] = serde_json::json!([REDIRECT_URI]);
        let registered = app.register_client(metadata).await;
        RelyingParty::discover(app, registered).await
    }

    /// A relying party for a client registered elsewhere (through the admin
    /// console, say) with [`REDIRECT_URI`]; discovers the server.
    pub async fn discover(app: &TestApp, registered: RegisteredClient) -> RelyingParty {
        RelyingParty::discover_with(app, registered, REDIRECT_URI).await
    }

    /// As [`RelyingParty::discover`], with another redirect URI.
    pub async fn discover_with(
        app: &TestApp,
        registered: RegisteredClient,
        redirect_uri: &str,
    ) -> RelyingParty {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let issuer = IssuerUrl::new(app.address.clone()).expect("an issuer URL");
        let provider = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .expect("discovery is accepted");

        let secret = registered.client_secret.clone().map(ClientSecret::new);
        let mut client = CoreClient::from_provider_metadata(
            provider,
            ClientId::new(registered.client_id.clone()),
            secret,
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).expect("a redirect URI"));
        if registered.token_endpoint_auth_method == "client_secret_post" {
            client = client.set_auth_type(openidconnect::AuthType::RequestBody);
        }
        RelyingParty {
            client,
            http,
            registered,
        }
    }

    pub fn start(&self, scopes: &[&str]) -> Attempt {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.url();
        Attempt {
            url: url.to_string(),
            state,
            nonce,
            verifier,
        }
    }

    pub async fn exchange(
        &self,
        code: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<CoreTokenResponse, String> {
        self.client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .expect("a token endpoint")
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

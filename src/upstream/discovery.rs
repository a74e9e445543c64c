//! An OpenID Connect upstream's discovery document and keys (OpenID Connect
//! Discovery 1.0), fetched through the `openidconnect` crate, with the URLs
//! the operator overrode put in, and cached per instance for
//! `federation.metadata_cache_secs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::CoreProviderMetadata;
use openidconnect::{AuthUrl, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl, TokenUrl, UserInfoUrl};
use tokio::sync::Mutex;
use url::Url;

use super::{UpstreamError, unavailable};
use crate::config::UpstreamSettings;

/// The upstream's metadata and keys, as last fetched.
pub(super) struct Discovered {
    pub metadata: CoreProviderMetadata,
    pub end_session_endpoint: Option<Url>,
    pub fetched_at: Instant,
}

/// One upstream's discovery, fetched once per `cache_for`; concurrent
/// sign-ins wait for one fetch rather than each making their own.
pub(super) struct DiscoveryCache {
    issuer: IssuerUrl,
    overrides: UpstreamSettings,
    http: reqwest::Client,
    cache_for: Duration,
    cached: Mutex<Option<Arc<Discovered>>>,
}

impl DiscoveryCache {
    pub fn new(
        issuer: IssuerUrl,
        settings: &UpstreamSettings,
        http: reqwest::Client,
        cache_for: Duration,
    ) -> DiscoveryCache {
        DiscoveryCache {
            issuer,
            overrides: settings.clone(),
            http,
            cache_for,
            cached: Mutex::new(None),
        }
    }

    /// The metadata, fetched when missing, stale, or `refresh` is asked
    /// for (a signature that fails may mean the upstream rotated its keys).
    pub async fn get(&self, refresh: bool) -> Result<Arc<Discovered>, UpstreamError> {
        let mut cached = self.cached.lock().await;
        if let Some(found) = cached.as_ref()
            && !refresh
            && found.fetched_at.elapsed() < self.cache_for
        {
            return Ok(found.clone());
        }
        let fresh = Arc::new(self.discover().await?);
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    async fn discover(&self) -> Result<Discovered, UpstreamError> {
        let mut metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(discovery_error)?;
        metadata = self.apply_overrides(metadata).await?;
        let end_session_endpoint = self.end_session_endpoint().await;
        tracing::info!(issuer = %self.issuer.as_str(), "fetched an upstream's discovery document");
        Ok(Discovered {
            metadata,
            end_session_endpoint,
            fetched_at: Instant::now(),
        })
    }

    /// Replaces what the operator overrode; a JWKS URL of its own is fetched.
    async fn apply_overrides(
        &self,
        mut metadata: CoreProviderMetadata,
    ) -> Result<CoreProviderMetadata, UpstreamError> {
        let invalid = |e: url::ParseError| UpstreamError::InvalidResponse(e.to_string());
        let s = &self.overrides;
        if let Some(url) = &s.authorization_url {
            metadata =
                metadata.set_authorization_endpoint(AuthUrl::new(url.clone()).map_err(invalid)?);
        }
        if let Some(url) = &s.token_url {
            metadata =
                metadata.set_token_endpoint(Some(TokenUrl::new(url.clone()).map_err(invalid)?));
        }
        if let Some(url) = &s.userinfo_url {
            metadata = metadata
                .set_userinfo_endpoint(Some(UserInfoUrl::new(url.clone()).map_err(invalid)?));
        }
        if let Some(url) = &s.jwks_url {
            let url = JsonWebKeySetUrl::new(url.clone()).map_err(invalid)?;
            let jwks = JsonWebKeySet::fetch_async(&url, &self.http)
                .await
                .map_err(discovery_error)?;
            metadata = metadata.set_jwks_uri(url).set_jwks(jwks);
        }
        Ok(metadata)
    }

    /// `end_session_endpoint` (RP-Initiated Logout 1.0 section 2.1), which
    /// the crate's core metadata does not carry; only looked up when the
    /// operator wants sessions ended upstream.
    async fn end_session_endpoint(&self) -> Option<Url> {
        if !self.overrides.end_upstream_session {
            return None;
        }
        if let Some(url) = &self.overrides.end_session_url {
            return Url::parse(url).ok();
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.as_str().trim_end_matches('/')
        );
        let response = self.http.get(url).send().await.ok()?;
        let body = response.bytes().await.ok()?;
        let document: serde_json::Value = serde_json::from_slice(&body).ok()?;
        Url::parse(document.get("end_session_endpoint")?.as_str()?).ok()
    }
}

fn discovery_error<E: std::error::Error + 'static>(
    error: openidconnect::DiscoveryError<E>,
) -> UpstreamError {
    use openidconnect::DiscoveryError;
    match error {
        DiscoveryError::Request(e) => unavailable(e),
        DiscoveryError::Response(status, _, _) if status.is_server_error() => {
            unavailable(format!("discovery answered {status}"))
        }
        other => UpstreamError::InvalidResponse(format!("discovery: {other}")),
    }
}

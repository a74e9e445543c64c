//! Validating an authorization request (OpenID Connect Core 3.1.2.1,
//! RFC 6749 section 4.1.1, RFC 7636, RFC 9700).
//!
//! The client and redirect URI are checked first: until both are known good,
//! an error is shown to the person and never sent anywhere (RFC 6749 section
//! 4.1.2.1). After that, errors go back to the client's redirect URI.

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, OAuthError};
use super::pkce;
use crate::domain::Scopes;
use crate::storage::models::client::Client;

/// The raw parameters, as they came in the query or form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// Names that may appear at most once (RFC 6749 section 3.1).
pub const SINGLE_VALUED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
    "request",
    "request_uri",
];

/// Why a request cannot even be answered at the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UntrustedRequest {
    MissingClientId,
    UnknownClient,
    InvalidRedirectUri,
    /// A parameter given twice, before the redirect URI could be trusted.
    Malformed(String),
}

/// An error to send back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub error: OAuthError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Untrusted(UntrustedRequest),
    Redirect(ErrorRedirect),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
}

/// A request that passed every check; stored while the person signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompts: Vec<Prompt>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
}

impl AuthorizationRequest {
    pub fn prompts(&self, prompt: Prompt) -> bool {
        self.prompts.contains(&prompt)
    }

    /// The request once the person has just signed in: `prompt=login`,
    /// `select_account` and `max_age` are answered, and must not send a
    /// later step (consent) back to the sign-in page.
    pub fn signed_in(mut self) -> AuthorizationRequest {
        self.prompts
            .retain(|p| !matches!(p, Prompt::Login | Prompt::SelectAccount));
        self.max_age = None;
        self
    }

    pub fn scopes(&self) -> Scopes {
        Scopes::parse(&self.scope).unwrap_or_default()
    }
}

/// Longest `state`, `nonce` or `login_hint` accepted; generous, but bounded.
const MAX_PARAM_LEN: usize = 2048;

/// Checks `params` against the registered `client` (`None`: unknown client).
pub fn validate(
    params: &AuthorizeParams,
    client: Option<&Client>,
) -> Result<AuthorizationRequest, Rejection> {
    let (client, redirect_uri) = trusted_client(params, client).map_err(Rejection::Untrusted)?;

    validate_trusted(params, client, &redirect_uri).map_err(|error| {
        Rejection::Redirect(ErrorRedirect {
            response_mode: response_mode(params).unwrap_or(ResponseMode::Query),
            redirect_uri,
            state: params.state.clone(),
            error,
        })
    })
}

/// The checks whose failures are reported to the client.
fn validate_trusted(
    params: &AuthorizeParams,
    client: &Client,
    redirect_uri: &str,
) -> Result<AuthorizationRequest, OAuthError> {
    let response_mode = response_mode(params)?;
    check_unsupported_features(params)?;
    check_response_type(params, client)?;
    let scopes = check_scope(params, client)?;
    let code_challenge = check_pkce(params, client)?;
    let prompts = parse_prompts(params.prompt.as_deref())?;
    let max_age = parse_max_age(params.max_age.as_deref())?;
    check_lengths(params)?;
    check_no_nul(params)?;

    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        response_mode,
        scope: scopes.to_string(),
        state: params.state.clone(),
        nonce: params.nonce.clone(),
        code_challenge,
        prompts,
        max_age,
        login_hint: params.login_hint.clone(),
        ui_locales: params.ui_locales.clone(),
    })
}

fn trusted_client<'c>(
    params: &AuthorizeParams,
    client: Option<&'c Client>,
) -> Result<(&'c Client, String), UntrustedRequest> {
    if params.client_id.as_deref().is_none_or(str::is_empty) {
        return Err(UntrustedRequest::MissingClientId);
    }
    let client = client.ok_or(UntrustedRequest::UnknownClient)?;
    let registered: Vec<String> = serde_json::from_str(&client.redirect_uris).unwrap_or_default();
    // Exact string comparison, as registered (RFC 9700 section 2.1).
    match params.redirect_uri.as_deref() {
        Some(uri) if registered.iter().any(|r| r == uri) => Ok((client, uri.to_owned())),
        _ => Err(UntrustedRequest::InvalidRedirectUri),
    }
}

fn response_mode(params: &AuthorizeParams) -> Result<ResponseMode, OAuthError> {
    match params.response_mode.as_deref() {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(other) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("response_mode `{other}` is not supported; use query or form_post"),
        )),
    }
}

fn check_unsupported_features(params: &AuthorizeParams) -> Result<(), OAuthError> {
    if params.request.is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.request_uri.is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    Ok(())
}

fn check_response_type(params: &AuthorizeParams, client: &Client) -> Result<(), OAuthError> {
    match params.response_type.as_deref() {
        None | Some("") => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "response_type is required",
        )),
        Some("code") if grants(client).iter().any(|g| g == "authorization_code") => Ok(()),
        Some("code") => Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code grant",
        )),
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        )),
    }
}

fn check_scope(params: &AuthorizeParams, client: &Client) -> Result<Scopes, OAuthError> {
    let invalid = |description: &str| OAuthError::new(ErrorCode::InvalidScope, description);
    let requested =
        Scopes::parse(params.scope.as_deref().unwrap_or_default()).map_err(|e| invalid(&e.0))?;
    if requested.is_empty() {
        return Err(invalid("scope is required"));
    }
    let allowed = Scopes::parse(&client.allowed_scopes).unwrap_or_default();
    if !requested.is_subset_of(&allowed) {
        return Err(invalid("the client may not ask for some of these scopes"));
    }
    Ok(requested)
}

fn check_pkce(params: &AuthorizeParams, client: &Client) -> Result<Option<String>, OAuthError> {
    let invalid = |description: &str| OAuthError::new(ErrorCode::InvalidRequest, description);
    let challenge = params.code_challenge.as_deref().filter(|c| !c.is_empty());
    match (challenge, params.code_challenge_method.as_deref()) {
        (None, Some(_)) => Err(invalid("code_challenge_method without code_challenge")),
        (None, None) if client.require_pkce => {
            Err(invalid("PKCE is required: send code_challenge with S256"))
        }
        (None, None) => Ok(None),
        (Some(_), Some("plain") | None) => Err(invalid(
            "code_challenge_method must be S256; plain is refused",
        )),
        (Some(_), Some(method)) if method != "S256" => {
            Err(invalid("code_challenge_method must be S256"))
        }
        (Some(challenge), Some(_)) if !pkce::is_well_formed(challenge) => Err(invalid(
            "code_challenge must be 43 to 128 unreserved characters",
        )),
        (Some(challenge), Some(_)) => Ok(Some(challenge.to_owned())),
    }
}

fn parse_prompts(raw: Option<&str>) -> Result<Vec<Prompt>, OAuthError> {
    let invalid = |description: String| OAuthError::new(ErrorCode::InvalidRequest, description);
    let mut prompts = Vec::new();
    for value in raw.unwrap_or_default().split(' ').filter(|p| !p.is_empty()) {
        prompts.push(match value {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            other => return Err(invalid(format!("unknown prompt value `{other}`"))),
        });
    }
    if prompts.contains(&Prompt::None) && prompts.len() > 1 {
        return Err(invalid(
            "prompt=none cannot be combined with other values".to_owned(),
        ));
    }
    Ok(prompts)
}

fn parse_max_age(raw: Option<&str>) -> Result<Option<i64>, OAuthError> {
    match raw {
        None | Some("") => Ok(None),
        Some(value) => value
            .parse::<i64>()
            .ok()
            .filter(|age| *age >= 0)
            .map(Some)
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "max_age must be a non-negative integer",
                )
            }),
    }
}

fn check_lengths(params: &AuthorizeParams) -> Result<(), OAuthError> {
    let fields = [
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("login_hint", &params.login_hint),
        ("ui_locales", &params.ui_locales),
    ];
    match fields
        .iter()
        .find(|(_, value)| value.as_ref().is_some_and(|v| v.len() > MAX_PARAM_LEN))
    {
        Some((name, _)) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("{name} is too long"),
        )),
        None => Ok(()),
    }
}

/// The nonce is stored with the code, and PostgreSQL text cannot hold NUL;
/// no client has a reason to send one in any of these.
fn check_no_nul(params: &AuthorizeParams) -> Result<(), OAuthError> {
    let fields = [
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("login_hint", &params.login_hint),
        ("ui_locales", &params.ui_locales),
    ];
    match fields
        .iter()
        .find(|(_, value)| value.as_ref().is_some_and(|v| v.contains('\0')))
    {
        Some((name, _)) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("{name} contains a NUL character"),
        )),
        None => Ok(()),
    }
}

fn grants(client: &Client) -> Vec<String> {
    serde_json::from_str(&client.grant_types).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(require_pkce: bool) -> Client {
        Client {
            id: "app".into(),
            name: "App".into(),
            client_type: "confidential".into(),
            secret_hash: Some("00".into()),
            token_endpoint_auth_method: "client_secret_basic".into(),
            redirect_uris: r#"["https://app.test/cb"]"#.into(),
            post_logout_redirect_uris: "[]".into(),
            grant_types: r#"["authorization_code"]"#.into(),
            response_types: r#"["code"]"#.into(),
            allowed_scopes: "email openid profile".into(),
            id_token_signed_response_alg: "RS256".into(),
            first_party: false,
            require_pkce,
            sealed_secret: None,
            access_token_lifetime_secs: None,
            id_token_lifetime_secs: None,
            refresh_token_lifetime_secs: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            access_token_signed_response_alg: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            client_id: Some("app".into()),
            redirect_uri: Some("https://app.test/cb".into()),
            response_type: Some("code".into()),
            scope: Some("openid email".into()),
            state: Some("xyz".into()),
            code_challenge: Some(pkce::s256_challenge(&"v".repeat(43))),
            code_challenge_method: Some("S256".into()),
            ..Default::default()
        }
    }

    fn error_code(result: Result<AuthorizationRequest, Rejection>) -> ErrorCode {
        match result {
            Err(Rejection::Redirect(redirect)) => redirect.error.code,
            other => panic!("expected an error redirect, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_passes_with_its_state() {
        let request = validate(&params(), Some(&client(true))).unwrap();
        assert_eq!(request.state.as_deref(), Some("xyz"));
        assert_eq!(request.scope, "email openid");
    }

    #[test]
    fn an_unregistered_redirect_uri_is_never_redirected_to() {
        let mut p = params();
        p.redirect_uri = Some("https://app.test/cb/".into());
        assert_eq!(
            validate(&p, Some(&client(true))),
            Err(Rejection::Untrusted(UntrustedRequest::InvalidRedirectUri))
        );
        assert_eq!(
            validate(&params(), None),
            Err(Rejection::Untrusted(UntrustedRequest::UnknownClient))
        );
    }

    #[test]
    fn each_bad_parameter_gets_its_spec_error() {
        type Change = fn(&mut AuthorizeParams);
        let cases: Vec<(Change, ErrorCode)> = vec![
            (
                |p| p.response_type = Some("token".into()),
                ErrorCode::UnsupportedResponseType,
            ),
            (|p| p.response_type = None, ErrorCode::InvalidRequest),
            (
                |p| p.scope = Some("openid admin".into()),
                ErrorCode::InvalidScope,
            ),
            (
                |p| p.code_challenge_method = Some("plain".into()),
                ErrorCode::InvalidRequest,
            ),
            (|p| p.code_challenge = None, ErrorCode::InvalidRequest),
            (
                |p| p.prompt = Some("none login".into()),
                ErrorCode::InvalidRequest,
            ),
            (|p| p.max_age = Some("-1".into()), ErrorCode::InvalidRequest),
            (|p| p.nonce = Some("n\0".into()), ErrorCode::InvalidRequest),
            (
                |p| p.request = Some("eyJ".into()),
                ErrorCode::RequestNotSupported,
            ),
            (
                |p| p.request_uri = Some("https://x".into()),
                ErrorCode::RequestUriNotSupported,
            ),
        ];
        for (change, expected) in cases {
            let mut p = params();
            change(&mut p);
            assert_eq!(
                error_code(validate(&p, Some(&client(true)))),
                expected,
                "{p:?}"
            );
        }
    }

    #[test]
    fn pkce_may_be_skipped_only_where_the_client_allows_it() {
        let mut p = params();
        p.code_challenge = None;
        p.code_challenge_method = None;
        assert!(validate(&p, Some(&client(false))).is_ok());
    }
}

//! Field-by-field checks of a client registration, run before the rules
//! that tie fields together (`ClientMetadata::validate`). Each problem names
//! its field, so the console can print the message beside the input and the
//! admin API can name the member; the kind of problem picks the translated
//! text.

use crate::domain::{GrantType, RedirectUri, Scopes, UriProblem};
use crate::keys::SigningAlg;
use crate::oidc::tokens::IdTokenAlg;

use super::ClientMetadata;
use super::metadata::{MAX_REFRESH_TOKEN_LIFETIME_SECS, MAX_SIGNED_TOKEN_LIFETIME_SECS};

/// The longest client name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// One field's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The RFC 7591 member name, which the console also uses for its inputs.
    pub field: &'static str,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// A control character, which no name or URI has (and PostgreSQL cannot
    /// store NUL).
    ControlCharacter,
    TooLong {
        max: usize,
    },
    Uri {
        uri: String,
        problem: UriProblem,
    },
    /// A logout URI with a native app's scheme: it must be a web address.
    NotWeb {
        uri: String,
    },
    UnknownGrant {
        name: String,
    },
    UnknownAlg {
        name: String,
    },
    BadScope {
        scope: String,
    },
    NotANumber {
        value: String,
    },
    Lifetime {
        max: i64,
    },
}

impl Problem {
    /// The catalogue key of this problem's text (`admin.field.*`).
    pub fn message_key(&self) -> &'static str {
        match self {
            Problem::Required => "admin.field.required",
            Problem::ControlCharacter => "admin.field.control_character",
            Problem::TooLong { .. } => "admin.field.too_long",
            Problem::Uri { problem, .. } => match problem {
                UriProblem::NotAbsolute => "admin.field.uri_not_absolute",
                UriProblem::Fragment => "admin.field.uri_fragment",
                UriProblem::InsecureHttp => "admin.field.uri_insecure_http",
                UriProblem::Scheme => "admin.field.uri_scheme",
            },
            Problem::NotWeb { .. } => "admin.field.uri_not_web",
            Problem::UnknownGrant { .. } => "admin.field.unknown_grant",
            Problem::UnknownAlg { .. } => "admin.field.unknown_alg",
            Problem::BadScope { .. } => "admin.field.bad_scope",
            Problem::NotANumber { .. } => "admin.field.not_a_number",
            Problem::Lifetime { .. } => "admin.field.lifetime",
        }
    }

    /// The values for the text's placeholders.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Problem::Required | Problem::ControlCharacter => vec![],
            Problem::TooLong { max } => vec![("max", max.to_string())],
            Problem::Uri { uri, .. } | Problem::NotWeb { uri } => vec![("uri", uri.clone())],
            Problem::UnknownGrant { name } | Problem::UnknownAlg { name } => {
                vec![("name", name.clone())]
            }
            Problem::BadScope { scope } => vec![("scope", scope.clone())],
            Problem::NotANumber { value } => vec![("value", value.clone())],
            Problem::Lifetime { max } => vec![("max", max.to_string())],
        }
    }
}

/// English, for the admin API and the CLI.
impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = self.field;
        match &self.problem {
            Problem::Required => write!(f, "{field} cannot be empty"),
            Problem::ControlCharacter => write!(f, "{field} contains a control character"),
            Problem::TooLong { max } => write!(f, "{field} has at most {max} characters"),
            Problem::Uri { uri, problem } => match problem {
                UriProblem::NotAbsolute => write!(f, "{field}: `{uri}` is not an absolute URI"),
                UriProblem::Fragment => write!(f, "{field}: `{uri}` must not contain a fragment"),
                UriProblem::InsecureHttp => write!(
                    f,
                    "{field}: `{uri}` must use https; http is allowed only on loopback hosts"
                ),
                UriProblem::Scheme => write!(
                    f,
                    "{field}: `{uri}` must use https, loopback http or a reverse-domain scheme"
                ),
            },
            Problem::NotWeb { uri } => write!(f, "{field}: `{uri}` must be an http(s) URI"),
            Problem::UnknownGrant { name } => write!(
                f,
                "{field}: unknown grant type `{name}`; expected authorization_code, \
                 refresh_token or client_credentials"
            ),
            Problem::UnknownAlg { name } => write!(f, "{field}: `{name}` is not supported"),
            Problem::BadScope { scope } => write!(f, "{field}: `{scope}` is not a valid scope"),
            Problem::NotANumber { value } => write!(f, "{field}: `{value}` is not a number"),
            Problem::Lifetime { max } => {
                write!(f, "{field} must be between 1 and {max} seconds")
            }
        }
    }
}

/// Every field-level problem of `metadata`, in form order; empty when each
/// field is fine on its own.
pub fn check(metadata: &ClientMetadata) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |field, problem| errors.push(FieldError { field, problem });

    for (field, text) in texts(metadata) {
        if text.chars().any(char::is_control) {
            fail(field, Problem::ControlCharacter);
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    let mut fail = |field, problem| errors.push(FieldError { field, problem });
    match metadata.client_name.as_deref().map(str::trim) {
        Some("") => fail("client_name", Problem::Required),
        Some(name) if name.chars().count() > MAX_NAME_CHARS => fail(
            "client_name",
            Problem::TooLong {
                max: MAX_NAME_CHARS,
            },
        ),
        _ => {}
    }
    for (field, uris) in [
        ("redirect_uris", &metadata.redirect_uris),
        (
            "post_logout_redirect_uris",
            &metadata.post_logout_redirect_uris,
        ),
    ] {
        if let Some(problem) = uris.iter().find_map(|uri| uri_problem(uri, false)) {
            fail(field, problem);
        }
    }
    for (field, uri) in [
        ("backchannel_logout_uri", &metadata.backchannel_logout_uri),
        ("frontchannel_logout_uri", &metadata.frontchannel_logout_uri),
    ] {
        if let Some(problem) = uri.as_deref().and_then(|uri| uri_problem(uri, true)) {
            fail(field, problem);
        }
    }
    let unknown_grant = metadata
        .grant_types
        .iter()
        .flatten()
        .find(|g| GrantType::parse(g).is_err());
    if let Some(name) = unknown_grant {
        fail("grant_types", Problem::UnknownGrant { name: name.clone() });
    }
    if let Some(problem) = metadata.scope.as_deref().and_then(scope_problem) {
        fail("scope", problem);
    }
    check_algs(metadata, &mut fail);
    check_lifetimes(metadata, &mut fail);
    errors
}

/// Every text member, to look for control characters before anything else.
fn texts(metadata: &ClientMetadata) -> Vec<(&'static str, &str)> {
    let mut texts = Vec::new();
    let single = [
        ("client_id", &metadata.client_id),
        ("client_name", &metadata.client_name),
        (
            "token_endpoint_auth_method",
            &metadata.token_endpoint_auth_method,
        ),
        ("scope", &metadata.scope),
        (
            "id_token_signed_response_alg",
            &metadata.id_token_signed_response_alg,
        ),
        (
            "access_token_signed_response_alg",
            &metadata.access_token_signed_response_alg,
        ),
        ("backchannel_logout_uri", &metadata.backchannel_logout_uri),
        ("frontchannel_logout_uri", &metadata.frontchannel_logout_uri),
    ];
    for (field, value) in single {
        texts.extend(value.as_deref().map(|v| (field, v)));
    }
    let lists = [
        ("redirect_uris", Some(&metadata.redirect_uris)),
        (
            "post_logout_redirect_uris",
            Some(&metadata.post_logout_redirect_uris),
        ),
        ("grant_types", metadata.grant_types.as_ref()),
        ("response_types", metadata.response_types.as_ref()),
    ];
    for (field, values) in lists {
        texts.extend(values.into_iter().flatten().map(|v| (field, v.as_str())));
    }
    texts
}

fn uri_problem(raw: &str, web_only: bool) -> Option<Problem> {
    match RedirectUri::check(raw) {
        Err(problem) => Some(Problem::Uri {
            uri: raw.to_owned(),
            problem,
        }),
        Ok(uri) if web_only && !uri.is_web() => Some(Problem::NotWeb {
            uri: raw.to_owned(),
        }),
        Ok(_) => None,
    }
}

fn scope_problem(raw: &str) -> Option<Problem> {
    Scopes::parse(raw).err()?;
    let bad = raw
        .split(' ')
        .find(|s| !s.is_empty() && crate::domain::Scope::parse(s).is_err())
        .unwrap_or(raw);
    Some(Problem::BadScope {
        scope: bad.to_owned(),
    })
}

fn check_algs(metadata: &ClientMetadata, fail: &mut impl FnMut(&'static str, Problem)) {
    if let Some(name) = &metadata.id_token_signed_response_alg
        && IdTokenAlg::parse(name).is_err()
    {
        fail(
            "id_token_signed_response_alg",
            Problem::UnknownAlg { name: name.clone() },
        );
    }
    if let Some(name) = &metadata.access_token_signed_response_alg
        && SigningAlg::parse(name).is_err()
    {
        fail(
            "access_token_signed_response_alg",
            Problem::UnknownAlg { name: name.clone() },
        );
    }
}

fn check_lifetimes(metadata: &ClientMetadata, fail: &mut impl FnMut(&'static str, Problem)) {
    let lifetimes = [
        (
            "access_token_lifetime_secs",
            metadata.access_token_lifetime_secs,
            MAX_SIGNED_TOKEN_LIFETIME_SECS,
        ),
        (
            "id_token_lifetime_secs",
            metadata.id_token_lifetime_secs,
            MAX_SIGNED_TOKEN_LIFETIME_SECS,
        ),
        (
            "refresh_token_lifetime_secs",
            metadata.refresh_token_lifetime_secs,
            MAX_REFRESH_TOKEN_LIFETIME_SECS,
        ),
    ];
    for (field, value, max) in lifetimes {
        if value.is_some_and(|secs| secs <= 0 || secs > max) {
            fail(field, Problem::Lifetime { max });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(json: serde_json::Value) -> Vec<(&'static str, Problem)> {
        let metadata: ClientMetadata = serde_json::from_value(json).unwrap();
        check(&metadata)
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn each_bad_field_is_named() {
        let found = problems(serde_json::json!({
            "client_name": " ",
            "redirect_uris": ["https://rp.example/cb#frag"],
            "post_logout_redirect_uris": ["http://rp.example/bye"],
            "grant_types": ["password"],
            "frontchannel_logout_uri": "com.example.app:/logout",
        }));

        let fields: Vec<&str> = found.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "client_name",
                "redirect_uris",
                "post_logout_redirect_uris",
                "frontchannel_logout_uri",
                "grant_types"
            ]
        );
        assert_eq!(found[0].1, Problem::Required);
        assert!(matches!(
            found[1].1,
            Problem::Uri {
                problem: UriProblem::Fragment,
                ..
            }
        ));
        assert!(matches!(
            found[2].1,
            Problem::Uri {
                problem: UriProblem::InsecureHttp,
                ..
            }
        ));
    }

    #[test]
    fn a_good_registration_has_no_field_problems() {
        let found = problems(serde_json::json!({
            "client_name": "App",
            "redirect_uris": ["https://rp.example/cb", "http://127.0.0.1:8080/cb"],
            "scope": "openid admin:clients",
            "access_token_signed_response_alg": "PS256",
            "access_token_lifetime_secs": 600,
        }));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn hs256_access_tokens_and_long_lifetimes_are_refused() {
        let found = problems(serde_json::json!({
            "access_token_signed_response_alg": "HS256",
            "id_token_lifetime_secs": 999_999,
        }));
        assert_eq!(found.len(), 2);
    }
}

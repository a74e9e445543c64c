//! The client form's values: as typed, from a stored client, and turned
//! into the registration metadata `clients::Clients` takes.

use super::AdminForm;
use crate::clients::fields::{FieldError, Problem};
use crate::clients::{ClientMetadata, RegisteredClient};

/// The form's values as typed, so a refused form comes back as it was.
#[derive(Debug, Clone, Default)]
pub(super) struct ClientValues {
    pub(super) name: String,
    pub(super) auth_method: String,
    pub(super) first_party: bool,
    pub(super) redirect_uris: String,
    pub(super) post_logout_redirect_uris: String,
    pub(super) backchannel_logout_uri: String,
    pub(super) backchannel_logout_session_required: bool,
    pub(super) frontchannel_logout_uri: String,
    pub(super) frontchannel_logout_session_required: bool,
    pub(super) grant_types: Vec<String>,
    pub(super) scope: String,
    pub(super) require_pkce: bool,
    pub(super) id_token_alg: String,
    pub(super) access_token_alg: String,
    pub(super) access_token_lifetime_secs: String,
    pub(super) id_token_lifetime_secs: String,
    pub(super) refresh_token_lifetime_secs: String,
}

impl ClientValues {
    pub(super) fn new_client() -> ClientValues {
        ClientValues {
            auth_method: "client_secret_basic".to_owned(),
            grant_types: vec!["authorization_code".to_owned()],
            scope: crate::clients::metadata::DEFAULT_SCOPES.to_owned(),
            require_pkce: true,
            id_token_alg: "RS256".to_owned(),
            ..ClientValues::default()
        }
    }

    pub(super) fn from_registered(client: &RegisteredClient) -> ClientValues {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        ClientValues {
            name: client.client_name.clone(),
            auth_method: client.token_endpoint_auth_method.clone(),
            first_party: client.first_party,
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            backchannel_logout_session_required: client.backchannel_logout_session_required,
            frontchannel_logout_uri: client.frontchannel_logout_uri.clone().unwrap_or_default(),
            frontchannel_logout_session_required: client.frontchannel_logout_session_required,
            grant_types: client.grant_types.clone(),
            scope: client.scope.clone(),
            require_pkce: client.require_pkce,
            id_token_alg: client.id_token_signed_response_alg.clone(),
            access_token_alg: client
                .access_token_signed_response_alg
                .clone()
                .unwrap_or_default(),
            access_token_lifetime_secs: number(client.access_token_lifetime_secs),
            id_token_lifetime_secs: number(client.id_token_lifetime_secs),
            refresh_token_lifetime_secs: number(client.refresh_token_lifetime_secs),
        }
    }

    pub(super) fn from_form(form: &AdminForm) -> ClientValues {
        ClientValues {
            name: form.get("client_name").to_owned(),
            auth_method: form.get("token_endpoint_auth_method").to_owned(),
            first_party: form.checked("first_party"),
            redirect_uris: form.get("redirect_uris").to_owned(),
            post_logout_redirect_uris: form.get("post_logout_redirect_uris").to_owned(),
            backchannel_logout_uri: form.get("backchannel_logout_uri").to_owned(),
            backchannel_logout_session_required: form
                .checked("backchannel_logout_session_required"),
            frontchannel_logout_uri: form.get("frontchannel_logout_uri").to_owned(),
            frontchannel_logout_session_required: form
                .checked("frontchannel_logout_session_required"),
            grant_types: form.all("grant_types"),
            scope: form.get("scope").to_owned(),
            require_pkce: form.checked("require_pkce"),
            id_token_alg: form.get("id_token_signed_response_alg").to_owned(),
            access_token_alg: form.get("access_token_signed_response_alg").to_owned(),
            access_token_lifetime_secs: form.get("access_token_lifetime_secs").to_owned(),
            id_token_lifetime_secs: form.get("id_token_lifetime_secs").to_owned(),
            refresh_token_lifetime_secs: form.get("refresh_token_lifetime_secs").to_owned(),
        }
    }

    /// The registration these values ask for, or the fields whose text is
    /// not even a value (lifetimes that are not numbers).
    pub(super) fn metadata(&self) -> Result<ClientMetadata, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut seconds = |field: &'static str, raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            raw.parse::<i64>().map_or_else(
                |_| {
                    let value = raw.to_owned();
                    errors.push(FieldError {
                        field,
                        problem: Problem::NotANumber { value },
                    });
                    None
                },
                Some,
            )
        };
        let access = seconds(
            "access_token_lifetime_secs",
            &self.access_token_lifetime_secs,
        );
        let id = seconds("id_token_lifetime_secs", &self.id_token_lifetime_secs);
        let refresh = seconds(
            "refresh_token_lifetime_secs",
            &self.refresh_token_lifetime_secs,
        );
        if !errors.is_empty() {
            return Err(errors);
        }

        let lines = |text: &str| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let has_code = self.grant_types.iter().any(|g| g == "authorization_code");
        Ok(ClientMetadata {
            client_name: Some(self.name.clone()),
            token_endpoint_auth_method: optional(&self.auth_method),
            first_party: Some(self.first_party),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            backchannel_logout_uri: optional(&self.backchannel_logout_uri),
            backchannel_logout_session_required: Some(self.backchannel_logout_session_required),
            frontchannel_logout_uri: optional(&self.frontchannel_logout_uri),
            frontchannel_logout_session_required: Some(self.frontchannel_logout_session_required),
            grant_types: Some(self.grant_types.clone()),
            response_types: Some(if has_code {
                vec!["code".to_owned()]
            } else {
                vec![]
            }),
            scope: Some(self.scope.clone()),
            require_pkce: Some(self.require_pkce),
            id_token_signed_response_alg: optional(&self.id_token_alg),
            access_token_signed_response_alg: optional(&self.access_token_alg),
            access_token_lifetime_secs: access,
            id_token_lifetime_secs: id,
            refresh_token_lifetime_secs: refresh,
            client_id: None,
        })
    }
}

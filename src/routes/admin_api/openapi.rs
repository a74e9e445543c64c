//! The OpenAPI 3.1 document of the admin API, served at
//! `/api/admin/v1/openapi.json`. Its paths come from [`ENDPOINTS`], the
//! same table the router is built from, so the document cannot list an
//! endpoint that does not exist or miss one that does; the schemas are
//! written here by hand (see [`schemas`]) and the tests check that every
//! schema an endpoint names is defined.
//!
//! Built with `serde_json` rather than a crate such as utoipa: the API is
//! small, the endpoint table already holds paths, methods, scopes and
//! summaries, and derive macros on the domain types (`ClientMetadata`,
//! `RegisteredClient`) would tie them to one HTTP surface and add a
//! proc-macro dependency to every build.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

use super::{AdminScope, BASE, ENDPOINTS, Endpoint, Method};
use crate::startup::AppState;

/// A query parameter: name, JSON type and description.
type QueryParameter = (&'static str, &'static str, &'static str);

/// Query parameters by operation id.
const QUERY_PARAMETERS: &[(&str, &[QueryParameter])] = &[
    (
        "list_clients",
        &[("q", "string", "Text the client id or name contains")],
    ),
    (
        "list_users",
        &[
            ("q", "string", "Text the username, name or e-mail contains"),
            ("page", "integer", "Page number, from 1"),
            (
                "per_page",
                "integer",
                "Users per page, 1 to 200 (default 50)",
            ),
        ],
    ),
    (
        "list_sessions",
        &[("user_id", "string", "Only this user's sessions")],
    ),
    (
        "list_audit_events",
        &[
            (
                "actor",
                "string",
                "Text the actor contains, such as `user:ana`",
            ),
            (
                "action",
                "string",
                "An action name, such as `client.created`",
            ),
            ("since", "integer", "Unix seconds, inclusive"),
            ("until", "integer", "Unix seconds, inclusive"),
            (
                "limit",
                "integer",
                "At most this many events, 1 to 1000 (default 200)",
            ),
        ],
    ),
];

/// The document, built once; only the issuer varies, so it is filled in
/// per request.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| document(""));

/// `GET /api/admin/v1/openapi.json`
pub async fn show_openapi(state: web::Data<AppState>) -> HttpResponse {
    let mut document = DOCUMENT.clone();
    document["servers"] = json!([{ "url": format!("{}{BASE}", state.settings.issuer) }]);
    let token_url = format!("{}/token", state.settings.issuer);
    document["components"]["securitySchemes"]["porteiro"]["flows"]["clientCredentials"]["tokenUrl"] =
        token_url.into();
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"))
        .json(document)
}

/// The whole document; `issuer` names the server (empty: a placeholder).
pub fn document(issuer: &str) -> Value {
    let mut paths = Map::new();
    for endpoint in ENDPOINTS {
        let item = paths.entry(endpoint.path).or_insert_with(|| json!({}));
        item[endpoint.method.as_str()] = operation(endpoint);
    }
    let scopes: Map<String, Value> = AdminScope::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), scope_description(*s).into()))
        .collect();

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Porteiro admin API",
            "version": "1",
            "description": "Clients, users, sessions, signing keys and the audit log of a \
                Porteiro server. Every endpoint takes a Bearer access token from Porteiro \
                with the admin scope it names: from the client credentials grant for \
                automation, or a signed-in person's token whose user holds the admin role.",
        },
        "servers": [{ "url": format!("{issuer}{BASE}") }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "porteiro": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": format!("{issuer}/token"),
                            "scopes": scopes,
                        }
                    }
                }
            },
            "schemas": schemas(),
        },
    })
}

fn operation(endpoint: &Endpoint) -> Value {
    let mut responses = Map::new();
    let (status, body) = endpoint.response;
    responses.insert(status.to_string(), success(status, body));
    for (status, description) in [
        ("400", "The request or one of its fields is invalid"),
        ("401", "No token, or a token that is not valid"),
        (
            "403",
            "The token lacks the scope, or its user is not an admin",
        ),
        ("404", "No such record"),
    ] {
        responses.insert(status.to_owned(), error_response(description));
    }
    // Only changes can clash with what is stored (a taken id, the last way
    // to sign in); a read never does.
    if endpoint.method != Method::Get {
        let description = "The change conflicts with the record as it stands";
        responses.insert("409".to_owned(), error_response(description));
    }

    let mut op = json!({
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [tag(endpoint.scope)],
        "security": [{ "porteiro": [endpoint.scope.as_str()] }],
        "parameters": parameters(endpoint),
        "responses": responses,
    });
    if let Some(schema) = endpoint.request {
        op["requestBody"] = json!({
            "required": endpoint.operation_id != "rotate_keys",
            "content": { "application/json": { "schema": reference(schema) } },
        });
    }
    op
}

fn success(status: u16, body: Option<&str>) -> Value {
    match body {
        Some(schema) => json!({
            "description": "Success",
            "content": { "application/json": { "schema": reference(schema) } },
        }),
        None => json!({ "description": format!("Success ({status}, no body)") }),
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": reference("Error") } },
    })
}

fn parameters(endpoint: &Endpoint) -> Vec<Value> {
    let in_path = path_parameters(endpoint.path).into_iter().map(|name| {
        json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
    });
    let in_query = QUERY_PARAMETERS
        .iter()
        .filter(|(id, _)| *id == endpoint.operation_id)
        .flat_map(|(_, params)| params.iter())
        .map(|(name, kind, description)| {
            json!({
                "name": name, "in": "query", "required": false,
                "description": description, "schema": { "type": kind },
            })
        });
    in_path.chain(in_query).collect()
}

/// The `{name}` parameters of a path, in order.
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn reference(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn tag(scope: AdminScope) -> &'static str {
    match scope {
        AdminScope::Clients => "clients",
        AdminScope::Users => "users",
        AdminScope::Sessions => "sessions",
        AdminScope::Keys => "keys",
        AdminScope::Audit => "audit",
    }
}

fn scope_description(scope: AdminScope) -> &'static str {
    match scope {
        AdminScope::Clients => "Register, change and delete clients",
        AdminScope::Users => {
            "Create and change users, their roles, passwords and linked identities"
        }
        AdminScope::Sessions => "List and end SSO sessions",
        AdminScope::Keys => "List, rotate and retire signing keys",
        AdminScope::Audit => "Read the audit log",
    }
}

/// Every schema the endpoints name.
pub fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let integer = json!({ "type": "integer" });
    let boolean = json!({ "type": "boolean" });
    let nullable = |kind: &str| json!({ "type": [kind, "null"] });
    let list_of = |member: &str, schema: &str| {
        json!({
            "type": "object", "required": [member],
            "properties": { member: { "type": "array", "items": reference(schema) } },
        })
    };

    let metadata_properties = json!({
        "client_id": string, "client_name": string,
        "token_endpoint_auth_method": {
            "type": "string", "enum": ["client_secret_basic", "client_secret_post", "none"],
        },
        "redirect_uris": strings, "post_logout_redirect_uris": strings,
        "backchannel_logout_uri": string, "backchannel_logout_session_required": boolean,
        "frontchannel_logout_uri": string, "frontchannel_logout_session_required": boolean,
        "grant_types": {
            "type": "array",
            "items": { "type": "string",
                "enum": ["authorization_code", "refresh_token", "client_credentials"] },
        },
        "response_types": strings,
        "scope": string, "first_party": boolean, "require_pkce": boolean,
        "id_token_signed_response_alg": {
            "type": "string", "enum": ["RS256", "PS256", "ES256", "EdDSA", "HS256"],
        },
        "access_token_signed_response_alg": {
            "type": "string", "enum": ["RS256", "PS256", "ES256", "EdDSA"],
        },
        "access_token_lifetime_secs": integer, "id_token_lifetime_secs": integer,
        "refresh_token_lifetime_secs": integer,
    });
    let mut client_properties = metadata_properties.clone();
    client_properties["client_secret"] = json!({
        "type": "string",
        "description": "Only in the answer that created the secret; stored hashed",
    });
    client_properties["client_id_issued_at"] = integer.clone();
    client_properties["client_secret_expires_at"] = integer.clone();

    json!({
        "Error": {
            "type": "object", "required": ["error", "error_description"],
            "properties": {
                "error": { "type": "string", "enum": [
                    "invalid_token", "insufficient_scope", "access_denied", "invalid_request",
                    "not_found", "conflict", "method_not_allowed", "server_error"] },
                "error_description": string,
                "fields": { "type": "array", "items": {
                    "type": "object", "required": ["field", "message"],
                    "properties": { "field": string, "message": string } } },
            },
        },
        "ClientMetadata": {
            "type": "object", "description": "RFC 7591 client metadata",
            "properties": metadata_properties,
        },
        "Client": {
            "type": "object", "required": ["client_id", "client_name", "redirect_uris"],
            "properties": client_properties,
        },
        "ClientList": list_of("clients", "Client"),
        "NewUser": {
            "type": "object", "required": ["username"],
            "properties": {
                "username": string, "password": string, "name": string, "email": string,
                "roles": strings,
            },
        },
        "UserChange": {
            "type": "object",
            "properties": {
                "name": nullable("string"), "email": nullable("string"), "roles": strings,
                "disabled": boolean,
            },
        },
        "User": {
            "type": "object", "required": ["id", "username", "roles", "disabled"],
            "properties": {
                "id": string, "username": string, "name": nullable("string"),
                "email": nullable("string"), "roles": strings, "disabled": boolean,
                "has_password": boolean, "created_at": integer, "updated_at": integer,
            },
        },
        "UserList": {
            "type": "object", "required": ["users", "total", "page", "per_page"],
            "properties": {
                "users": { "type": "array", "items": reference("User") },
                "total": integer, "page": integer, "per_page": integer,
            },
        },
        "Identity": {
            "type": "object", "required": ["id", "upstream", "subject"],
            "properties": {
                "id": string, "upstream": string, "upstream_label": nullable("string"),
                "subject": string, "email": nullable("string"),
                "linked_at": integer, "last_used_at": integer,
            },
        },
        "IdentityList": list_of("identities", "Identity"),
        "Password": {
            "type": "object", "required": ["password"],
            "properties": { "password": { "type": "string", "minLength": 8 } },
        },
        "Session": {
            "type": "object", "required": ["id", "user_id", "username"],
            "properties": {
                "id": string, "user_id": string, "username": string, "clients": strings,
                "address": nullable("string"), "user_agent": nullable("string"),
                "created_at": integer, "last_used_at": integer, "expires_at": integer,
            },
        },
        "SessionList": list_of("sessions", "Session"),
        "Ended": {
            "type": "object", "required": ["ended"], "properties": { "ended": integer },
        },
        "Key": {
            "type": "object", "required": ["kid", "alg", "state"],
            "properties": {
                "kid": string, "alg": string,
                "state": { "type": "string", "enum": ["next", "active", "retired", "expired"] },
                "created_at": integer, "activates_at": integer,
                "retires_at": nullable("integer"), "unpublish_at": nullable("integer"),
            },
        },
        "KeyList": list_of("keys", "Key"),
        "Rotation": {
            "type": "object",
            "properties": { "alg": { "type": "string", "enum": ["RS256", "PS256", "ES256", "EdDSA"] } },
        },
        "Rotated": {
            "type": "object", "required": ["created"], "properties": { "created": strings },
        },
        "AuditEvent": {
            "type": "object", "required": ["id", "at", "actor", "action"],
            "properties": {
                "id": string, "at": integer, "actor": string, "action": string,
                "target": nullable("string"), "address": nullable("string"),
                "detail": { "type": "object" },
            },
        },
        "AuditEventList": list_of("events", "AuditEvent"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_an_endpoint_names_is_defined() {
        let schemas = schemas();
        for endpoint in ENDPOINTS {
            for name in endpoint.request.iter().chain(endpoint.response.1.iter()) {
                assert!(
                    schemas.get(name).is_some(),
                    "{name} of {}",
                    endpoint.operation_id
                );
            }
        }
    }

    #[test]
    fn path_parameters_are_read_in_order() {
        assert_eq!(path_parameters("/users/{user_id}/sessions"), ["user_id"]);
        assert!(path_parameters("/keys").is_empty());
    }
}

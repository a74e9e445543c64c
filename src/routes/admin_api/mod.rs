//! `/api/admin/v1`: the admin API, JSON in and out, for Bearer access tokens
//! from Porteiro that carry admin scopes. [`ENDPOINTS`] is the one list of
//! its endpoints: `startup.rs` routes from it, the OpenAPI document is
//! built from it, and the tests walk it.

mod audit;
mod clients;
mod error;
mod identities;
mod keys;
pub mod openapi;
mod sessions;
mod users;

use actix_web::{HttpResponseBuilder, Route, web};

pub use error::{ApiError, not_found};

use crate::admin::AdminContext;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;

/// Where the API lives.
pub const BASE: &str = "/api/admin/v1";

/// The OpenAPI document's path, outside the guard: describing the API
/// reveals nothing a token would protect.
pub const OPENAPI_PATH: &str = "/api/admin/v1/openapi.json";

/// The scope an endpoint needs; each covers one kind of thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    Clients,
    Users,
    Sessions,
    Keys,
    Audit,
}

impl AdminScope {
    pub const ALL: [AdminScope; 5] = [
        AdminScope::Clients,
        AdminScope::Users,
        AdminScope::Sessions,
        AdminScope::Keys,
        AdminScope::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminScope::Clients => "admin:clients",
            AdminScope::Users => "admin:users",
            AdminScope::Sessions => "admin:sessions",
            AdminScope::Keys => "admin:keys",
            AdminScope::Audit => "admin:audit",
        }
    }
}

/// Put on each resource as app data; read by the `ApiCaller` extractor.
#[derive(Debug, Clone, Copy)]
pub struct RequiredScope(pub AdminScope);

/// HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Lower case, as OpenAPI path items name operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn route(self) -> Route {
        match self {
            Method::Get => web::get(),
            Method::Post => web::post(),
            Method::Put => web::put(),
            Method::Patch => web::patch(),
            Method::Delete => web::delete(),
        }
    }
}

/// One endpoint: its route, the scope it needs, and what the OpenAPI
/// document says of it (see [`openapi`] for the shapes).
pub struct Endpoint {
    pub method: Method,
    /// Under [`BASE`], with `{name}` parameters as actix and OpenAPI both
    /// write them.
    pub path: &'static str,
    pub scope: AdminScope,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// The request body's schema in the OpenAPI document, if any.
    pub request: Option<&'static str>,
    /// The success status and its body's schema (`None`: no body).
    pub response: (u16, Option<&'static str>),
    handler: fn(Route) -> Route,
}

/// One row of [`ENDPOINTS`]; the handler's name is the operation id.
macro_rules! endpoint {
    ($method:ident $path:literal, $scope:ident, $module:ident :: $handler:ident,
     $summary:literal, $request:expr, $status:literal => $response:expr) => {
        Endpoint {
            method: Method::$method,
            path: $path,
            scope: AdminScope::$scope,
            operation_id: stringify!($handler),
            summary: $summary,
            request: $request,
            response: ($status, $response),
            handler: |route| route.to($module::$handler),
        }
    };
}

/// Every endpoint of the API. The scope of a path must be the same for all
/// its methods (a unit test checks), as it is set per resource.
pub static ENDPOINTS: &[Endpoint] = &[
    endpoint!(Get "/clients", Clients, clients::list_clients,
        "List clients; `q` searches ids and names", None, 200 => Some("ClientList")),
    endpoint!(Post "/clients", Clients, clients::create_client,
        "Register a client; a confidential client's secret is in the answer, once",
        Some("ClientMetadata"), 201 => Some("Client")),
    endpoint!(Get "/clients/{client_id}", Clients, clients::show_client,
        "Show a client", None, 200 => Some("Client")),
    endpoint!(Put "/clients/{client_id}", Clients, clients::update_client,
        "Replace a client's registration", Some("ClientMetadata"), 200 => Some("Client")),
    endpoint!(Delete "/clients/{client_id}", Clients, clients::delete_client,
        "Delete a client", None, 204 => None),
    endpoint!(Post "/clients/{client_id}/secret", Clients, clients::regenerate_client_secret,
        "Give a confidential client a new secret, shown once", None, 200 => Some("Client")),
    endpoint!(Get "/users", Users, users::list_users,
        "List users with search (`q`) and pages (`page`, `per_page`)", None,
        200 => Some("UserList")),
    endpoint!(Post "/users", Users, users::create_user,
        "Create a user", Some("NewUser"), 201 => Some("User")),
    endpoint!(Get "/users/{user_id}", Users, users::show_user,
        "Show a user", None, 200 => Some("User")),
    endpoint!(Patch "/users/{user_id}", Users, users::update_user,
        "Change a user's name, e-mail, roles or status", Some("UserChange"),
        200 => Some("User")),
    endpoint!(Post "/users/{user_id}/password", Users, users::set_user_password,
        "Set a user's password", Some("Password"), 204 => None),
    endpoint!(Post "/users/{user_id}/password-reset", Users, users::reset_user_password,
        "Force a reset: remove the password and end every session of the user", None,
        204 => None),
    endpoint!(Get "/users/{user_id}/identities", Users, identities::list_user_identities,
        "List the upstream identities linked to a user", None, 200 => Some("IdentityList")),
    endpoint!(Delete "/users/{user_id}/identities/{identity_id}", Users,
        identities::unlink_user_identity,
        "Remove a linked upstream identity; 409 when it is the last way a user without a \
        password has to sign in", None, 204 => None),
    endpoint!(Get "/sessions", Sessions, sessions::list_sessions,
        "List live SSO sessions, all or `user_id`'s", None, 200 => Some("SessionList")),
    endpoint!(Delete "/sessions/{session_id}", Sessions, sessions::end_session,
        "End a session with the normal logout", None, 204 => None),
    endpoint!(Delete "/users/{user_id}/sessions", Sessions, sessions::end_user_sessions,
        "End every session of a user with the normal logout", None, 200 => Some("Ended")),
    endpoint!(Get "/keys", Keys, keys::list_keys,
        "List signing keys with their state and dates", None, 200 => Some("KeyList")),
    endpoint!(Post "/keys/rotate", Keys, keys::rotate_keys,
        "Add new signing keys (`alg`, or every algorithm)", Some("Rotation"),
        200 => Some("Rotated")),
    endpoint!(Post "/keys/{kid}/retire", Keys, keys::retire_key,
        "Stop a key signing now; it stays published for its tokens", None,
        200 => Some("Key")),
    endpoint!(Get "/audit-events", Audit, audit::list_audit_events,
        "Read the audit log, newest first, filtered by `actor`, `action`, `since`, `until`",
        None, 200 => Some("AuditEventList")),
];

/// Routes every endpoint of [`ENDPOINTS`], one resource per path carrying
/// its scope. Mounted under [`BASE`] behind `require_admin_token`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config()).app_data(query_config());

    let mut paths: Vec<&str> = ENDPOINTS.iter().map(|e| e.path).collect();
    paths.dedup();
    for path in paths {
        let same_path = || ENDPOINTS.iter().filter(move |e| e.path == path);
        let Some(scope) = same_path().next().map(|e| e.scope) else {
            continue;
        };
        let mut resource = web::resource(path)
            .app_data(RequiredScope(scope))
            .default_service(web::to(error::method_not_allowed));
        for endpoint in same_path() {
            resource = resource.route((endpoint.handler)(endpoint.method.route()));
        }
        cfg.service(resource);
    }
}

fn context(state: &AppState, caller: ApiCaller) -> AdminContext<'_> {
    AdminContext {
        state,
        actor: caller.actor,
    }
}

/// Answers may hold a client secret or personal data: never cached.
fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    builder
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|error, _| ApiError::InvalidRequest(error.to_string()).into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ApiError::InvalidRequest(error.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_a_path_needs_the_same_scope() {
        for endpoint in ENDPOINTS {
            let first = ENDPOINTS.iter().find(|e| e.path == endpoint.path);
            assert_eq!(
                first.map(|e| e.scope),
                Some(endpoint.scope),
                "{}",
                endpoint.path
            );
        }
    }

    #[test]
    fn the_same_path_is_listed_together() {
        let mut paths: Vec<&str> = ENDPOINTS.iter().map(|e| e.path).collect();
        paths.dedup();
        let mut unique = paths.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(paths.len(), unique.len(), "split paths in ENDPOINTS");
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut ids: Vec<&str> = ENDPOINTS.iter().map(|e| e.operation_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ENDPOINTS.len());
    }
}

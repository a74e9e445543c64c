//! The OpenAPI document: valid in structure, and listing exactly the admin
//! API's endpoints, each of which answers.

use std::collections::BTreeSet;

use porteiro::routes::admin_api::ENDPOINTS;
use reqwest::Method;
use serde_json::Value;

use crate::admin_support::{ALL_SCOPES, api, api_token, filled};
use crate::helpers::spawn_app;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every `$ref` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_lists_every_admin_endpoint() {
    // Arrange
    let (app, _db) = spawn_app().await;

    // Act: no token is needed to read it.
    let response = app.get("/api/admin/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();

    // Assert: the required members of an OpenAPI 3.1 document.
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());
    assert_eq!(
        document["servers"][0]["url"],
        format!("{}/api/admin/v1", app.address)
    );
    let scheme = &document["components"]["securitySchemes"]["porteiro"];
    assert_eq!(scheme["type"], "oauth2");
    assert_eq!(
        scheme["flows"]["clientCredentials"]["tokenUrl"],
        format!("{}/token", app.address)
    );
    let scopes = scheme["flows"]["clientCredentials"]["scopes"]
        .as_object()
        .unwrap();

    // Every operation is well formed, and its parameters match its path.
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        for (method, operation) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            assert!(operation["operationId"].is_string());
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{path}");
            assert!(responses.values().all(|r| r["description"].is_string()));
            let scope = operation["security"][0]["porteiro"][0].as_str().unwrap();
            assert!(scopes.contains_key(scope), "{scope}");
            let in_path: Vec<&str> = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                in_path,
                porteiro::routes::admin_api::openapi::path_parameters(path)
            );
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let mut refs = Vec::new();
    references(&document, &mut refs);
    for target in refs {
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target}"
        );
    }

    // The document lists exactly the routes the router was built from.
    let routed: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|e| (e.method.as_str().to_uppercase(), e.path.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    assert_eq!(documented.len(), 21);
}

#[tokio::test]
async fn every_documented_endpoint_answers_and_nothing_else_does() {
    // Arrange
    let (app, _db) = spawn_app().await;
    let token = api_token(&app, ALL_SCOPES).await;
    let document = app.get_json("/api/admin/v1/openapi.json").await;

    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            // Act: with a token, no documented route is missing from the
            // router (404 would be a JSON `not_found` for a missing record,
            // never the router's `no such endpoint`).
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = api(&app, Some(&token), method, &filled(path, "x"), None).await;

            // Assert
            assert_ne!(status, 405, "{path}: {body}");
            assert_ne!(body["error_description"], "no such endpoint", "{path}");
        }
    }
    let (status, body) = api(&app, Some(&token), Method::GET, "/nothing-here", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, body) = api(&app, Some(&token), Method::PATCH, "/keys", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

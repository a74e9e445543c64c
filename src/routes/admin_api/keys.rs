//! `/api/admin/v1/keys`: signing keys, rotation and retirement.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, context, no_store};
use crate::admin::keys;
use crate::keys::SigningAlg;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Rotation {
    /// RS256, PS256, ES256 or EdDSA; every algorithm when left out.
    alg: Option<String>,
}

pub async fn list_keys(
    _caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let found = keys::list(&state).await?;
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "keys": found })))
}

/// The body is optional: an empty one rotates every algorithm.
pub async fn rotate_keys(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let rotation: Rotation = match body.is_empty() {
        true => Rotation::default(),
        false => serde_json::from_slice(&body)
            .map_err(|e| ApiError::InvalidRequest(format!("the body is not valid JSON: {e}")))?,
    };
    let alg = rotation
        .alg
        .as_deref()
        .map(SigningAlg::parse)
        .transpose()
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let ctx = context(&state, caller);

    let created = keys::rotate(&ctx, alg).await?;
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "created": created })))
}

pub async fn retire_key(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, caller);

    let key = keys::retire(&ctx, &path).await?;
    Ok(no_store(HttpResponse::Ok()).json(key))
}

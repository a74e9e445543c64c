//! `/api/admin/v1/clients`: registered clients, in the RFC 7591 shape.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ApiError, context, no_store};
use crate::clients::ClientMetadata;
use crate::middleware::admin_guard::ApiCaller;
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
pub struct ClientQuery {
    q: Option<String>,
}

pub async fn list_clients(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<ClientQuery>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();
    let found = match query.q.as_deref() {
        Some(q) => clients.search(q).await,
        None => clients.list().await,
    };
    let found = found?;
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({ "clients": found })))
}

pub async fn create_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    metadata: web::Json<ClientMetadata>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();

    let registered = clients.register(&metadata).await?;
    Ok(no_store(HttpResponse::Created()).json(registered))
}

pub async fn show_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();

    let client = clients.find(&path).await?;
    Ok(no_store(HttpResponse::Ok()).json(client))
}

pub async fn update_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    metadata: web::Json<ClientMetadata>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();

    let updated = clients.update(&path, &metadata).await?;
    Ok(no_store(HttpResponse::Ok()).json(updated))
}

pub async fn delete_client(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();

    clients.delete(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn regenerate_client_secret(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let clients = context(&state, caller).clients();

    let client = clients.regenerate_secret(&path).await?;
    Ok(no_store(HttpResponse::Ok()).json(client))
}

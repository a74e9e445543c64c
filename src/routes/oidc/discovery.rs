use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// Caches may keep the document this long; it changes only with the key
/// set's algorithms or a new release.
const MAX_AGE_SECS: i64 = 3600;

/// `GET /.well-known/openid-configuration` and
/// `GET /.well-known/oauth-authorization-server`: served from memory.
pub async fn show_discovery(state: web::Data<AppState>) -> HttpResponse {
    crate::routes::cached_json(state.keys.current().discovery(), MAX_AGE_SECS)
}

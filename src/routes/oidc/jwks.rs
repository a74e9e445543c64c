use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// `GET /jwks.json`: the public signing keys, served from memory.
///
/// Caches may keep the set for at most half the rotation delay (and five
/// minutes at most), so every verifier sees a new key before it signs.
pub async fn show_jwks(state: web::Data<AppState>) -> HttpResponse {
    let max_age = (state.settings.keys.rotation_delay_secs / 2).min(300);
    crate::routes::cached_json(state.keys.current().jwks(), max_age)
}

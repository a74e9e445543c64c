//! One tracing span per request, with its id, method, route, status and
//! latency; the id is also returned in `X-Request-Id` so a person can quote
//! it from an error page.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use rand::Rng;
use tracing::Instrument;
use tracing::field::Empty;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A random id for one request, stored in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Every request pays for this: hex digits without the formatting
    // machinery, and the header value made before the id moves into the
    // extensions, so the id is not copied twice.
    let request_id = hex::encode(rand::thread_rng().r#gen::<u64>().to_be_bytes());
    let header = HeaderValue::from_str(&request_id).ok();
    let span = tracing::info_span!(
        "request",
        request.id = %request_id,
        http.method = %req.method(),
        http.route = Empty,
        client_id = Empty,
        user_id = Empty,
        http.status = Empty,
        latency_ms = Empty,
    );
    req.extensions_mut().insert(RequestId(request_id));
    let started = (!span.is_disabled()).then(Instant::now);

    let mut response = next.call(req).instrument(span.clone()).await?;

    // A span the log level leaves out records nothing, and finding the
    // route pattern again would route every request a second time.
    if let Some(started) = started {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned());
        span.record("http.route", route.as_str());
        span.record("http.status", response.status().as_u16());
        span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
        // Per-request lines stay at debug: at info they would cost more
        // than serving the JWKS itself under load.
        tracing::debug!(parent: &span, "request completed");
    }

    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

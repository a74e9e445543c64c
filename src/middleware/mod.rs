//! Request-wide concerns wrapped around every route.

pub mod admin_guard;
pub mod csrf;
pub mod request_span;

pub use request_span::{RequestId, request_span};

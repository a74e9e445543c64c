//! Protocol logic, free of actix types so it can be tested without HTTP.

pub mod discovery;

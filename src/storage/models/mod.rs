//! One file per table, each holding that table's queries.

pub mod client;
pub mod signing_key;
pub mod user;

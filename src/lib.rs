//! Porteiro: an OpenID Connect provider and single sign-on server.

pub mod admin;
pub mod audit;
pub mod bootstrap;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod middleware;
pub mod oidc;
pub mod routes;
pub mod secret;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod upstream;
pub mod users;

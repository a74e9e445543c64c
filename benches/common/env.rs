//! Bench settings from `PORTEIRO_BENCH_*` environment variables.

use std::str::FromStr;

/// The variable's value, or `default` when it is not set.
pub fn env_or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={text} is not a valid value")),
        Err(_) => Ok(default),
    }
}

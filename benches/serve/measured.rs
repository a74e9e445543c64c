//! One endpoint's wrk runs and the figures the report takes from them.

use std::time::Duration;

use crate::wrk::Wrk;

pub struct Measured {
    pub name: String,
    pub runs: Vec<Wrk>,
}

impl Measured {
    pub fn new(name: &str) -> Measured {
        Measured {
            name: name.to_owned(),
            runs: Vec::new(),
        }
    }

    /// The median requests per second: one run slowed by a neighbour on
    /// the machine does not move it.
    pub fn rate(&self) -> f64 {
        median(self.rates())
    }

    pub fn p99(&self) -> Duration {
        let p99s = self.runs.iter().map(|run| run.p99.as_secs_f64()).collect();
        Duration::from_secs_f64(median(p99s))
    }

    pub fn failures(&self) -> u64 {
        self.runs.iter().map(|run| run.failures).sum()
    }

    /// How far apart the fastest and slowest runs are, as a share of the
    /// median: a large spread says the machine, not the server, moved.
    pub fn spread(&self) -> f64 {
        let rates = self.rates();
        let max = rates.iter().copied().fold(0.0, f64::max);
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        (max - min) / self.rate()
    }

    pub fn rates(&self) -> Vec<f64> {
        self.runs.iter().map(|run| run.requests_per_sec).collect()
    }
}

/// The middle value, or the mean of the two middle ones; 0 for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[middle],
        _ => (values[middle - 1] + values[middle]) / 2.0,
    }
}

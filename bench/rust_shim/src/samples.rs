//! Latency samples in microseconds and their summary (percentiles as bench/ipc_layers_benchmark.cc
//! takes them: the value at index floor(q * n) of the sorted samples).

use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1e6);
    }

    pub fn extend(&mut self, other: &Samples) {
        self.0.extend_from_slice(&other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn summary(&self) -> Summary {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let at = |q: f64| -> f64 {
            if v.is_empty() {
                return f64::NAN;
            }
            v[((q * v.len() as f64) as usize).min(v.len() - 1)]
        };
        Summary {
            n: v.len(),
            mean: if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 },
            min: at(0.0),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

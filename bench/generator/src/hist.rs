//! A small log-linear latency histogram in microseconds (≈ 3 % resolution), cheap enough to
//! record every message of a fan-out.

/// Values below this are counted exactly.
const LINEAR: u64 = 64;
/// Sub-buckets per power of two above `LINEAR`.
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Powers of two covered above `LINEAR` (up to 2^46 µs, far beyond any run).
const OCTAVES: usize = 40;

/// Counts of latencies, in microseconds.
#[derive(Debug, Clone)]
pub(crate) struct Hist {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Hist {
    fn default() -> Self {
        Hist {
            counts: vec![0; LINEAR as usize + OCTAVES * SUB],
            total: 0,
            max: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // ≥ 6
    let sub = (v >> (exp - SUB_BITS)) as usize & (SUB - 1);
    let octave = (exp - LINEAR.trailing_zeros()) as usize;
    (LINEAR as usize + octave * SUB + sub).min(LINEAR as usize + OCTAVES * SUB - 1)
}

/// The middle of a bucket's range.
fn value(i: usize) -> u64 {
    if i < LINEAR as usize {
        return i as u64;
    }
    let octave = (i - LINEAR as usize) / SUB;
    let sub = ((i - LINEAR as usize) % SUB) as u64;
    let exp = octave as u32 + LINEAR.trailing_zeros();
    let low = (1u64 << exp) + (sub << (exp - SUB_BITS));
    low + (1u64 << (exp - SUB_BITS)) / 2
}

impl Hist {
    /// Records one latency.
    pub(crate) fn record(&mut self, micros: u64) {
        self.counts[index(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// Adds another histogram's counts.
    pub(crate) fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many latencies were recorded.
    pub(crate) fn len(&self) -> u64 {
        self.total
    }

    /// The `q` quantile (0..=1), in milliseconds; 0 when empty.
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(i).min(self.max) as f64 / 1000.0;
            }
        }
        self.max as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_three_percent() {
        for v in [
            0u64, 1, 63, 64, 65, 100, 1_000, 12_345, 1_000_000, 90_000_000,
        ] {
            let got = value(index(v)) as f64;
            let err = (got - v as f64).abs() / (v as f64).max(1.0);
            assert!(err <= 0.032, "{v} -> {got}");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Hist::default();
        for v in 1..=1000 {
            h.record(v * 1000);
        }
        assert!((h.quantile_ms(0.5) - 500.0).abs() < 16.0);
        assert!((h.quantile_ms(0.99) - 990.0).abs() < 32.0);
        assert_eq!(h.len(), 1000);
        let mut all = Hist::default();
        all.merge(&h);
        all.merge(&h);
        assert_eq!(all.len(), 2000);
    }
}

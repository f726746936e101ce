//! Metrics: one sample per fixed simulated interval (default one minute).
//!
//! Counts are read at the sample time; rates (per second) are averages over
//! the interval before it. Every column is an `f64` so the series crosses
//! into JavaScript as one flat `Float64Array` (row-major, `COLUMNS.len()`
//! values per sample) and into CSV unchanged.

use crate::time::Millis;

macro_rules! sample {
    ($($field:ident => $doc:literal),* $(,)?) => {
        /// One row of the time series.
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        pub struct Sample { $(#[doc = $doc] pub $field: f64,)* }

        /// Column names, in the order of `Sample::values`; also the CSV header.
        pub const COLUMNS: &[&str] = &[$(stringify!($field)),*];
        /// One line per column: what it means and its unit.
        pub const COLUMN_DOCS: &[&str] = &[$($doc),*];

        impl Sample {
            pub fn values(&self) -> Vec<f64> { vec![$(self.$field),*] }
        }
    };
}

sample! {
    t_hours => "simulated time since the start, h",
    offline => "peers whose PC or client is off",
    restarting => "peers restarting (PC reboot or client crash)",
    login_wait => "peers waiting to log in",
    searching => "peers looking for a supernode",
    connected => "peers attached to a supernode",
    supernode => "peers serving as supernodes",
    online => "peers online: connected plus supernodes",
    online_share => "online / peers",
    normal_share => "online share the daily rhythm alone gives at this time",
    login_backoff => "peers waiting to log in that have failed at least once",
    search_backoff => "searching peers that have failed at least once",
    sn_live => "supernodes hosted by peers, overloaded ones included",
    sn_overloaded => "supernodes answering only part of their traffic (overloaded)",
    sn_full => "supernodes with no free client slot",
    sn_mega => "operator mega-supernodes",
    sn_capacity => "client slots on supernodes, weighted by the share of requests they answer",
    sn_spare => "free client slots on supernodes, weighted by the share of requests they answer",
    sn_demand => "peers that need a supernode: connected plus searching",
    sn_load => "connection attempts per second per live supernode",
    login_requests_ps => "login requests per second",
    login_accepted_ps => "logins completed per second",
    login_rejected_ps => "login requests refused or dropped per second",
    login_timed_out_ps => "login requests served after the client gave up, or expired, per second",
    login_capacity_ps => "logins per second the servers can complete",
    login_queue => "login requests queued",
    attach_attempts_ps => "attach attempts per second",
    attach_refusals_ps => "attach attempts refused (supernode full or busy) per second",
    attach_timeouts_ps => "attach attempts unanswered (stale entry or overloaded supernode) per second",
    retries_ps => "retries per second (login and attach)",
    restarts_ps => "PC restarts and client crashes per second",
    promotions_ps => "promotions to supernode per second",
    sn_lost_ps => "supernodes lost per second (host gone, shutdown)",
    events => "events processed so far",
}

/// Counts spread evenly over a stretch of time, read back one second at a
/// time: a difference array over a ring of seconds.
#[derive(Clone)]
pub struct Spread {
    ring: Vec<f64>,
    rate: f64,
    next: u64,
}

const RING: usize = 1 << 13;

impl Default for Spread {
    fn default() -> Self {
        Spread { ring: vec![0.0; RING], rate: 0.0, next: 0 }
    }
}

impl Spread {
    /// Bytes held on the heap (for the snapshot budget).
    pub fn heap_bytes(&self) -> usize {
        crate::memory::vec_bytes(&self.ring)
    }

    /// Spreads `count` evenly over `[start, start + duration)`.
    pub fn add(&mut self, start: Millis, duration: Millis, count: f64) {
        if count == 0.0 {
            return;
        }
        let from = (start / 1_000).max(self.next);
        let secs = (duration / 1_000).clamp(1, RING as u64 - 2);
        let per = count / secs as f64;
        self.ring[(from % RING as u64) as usize] += per;
        self.ring[((from + secs) % RING as u64) as usize] -= per;
    }

    /// The rate during second `second` (seconds must be read in order).
    pub fn advance(&mut self, second: u64) -> f64 {
        while self.next <= second {
            let i = (self.next % RING as u64) as usize;
            self.rate += self.ring[i];
            self.ring[i] = 0.0;
            self.next += 1;
        }
        self.rate.max(0.0)
    }
}

/// FNV-1a offset basis: the digest of nothing.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// One FNV-1a step over the bytes of `x`.
pub fn fnv(mut h: u64, x: u64) -> u64 {
    for b in x.to_le_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// FNV-1a over every value of one sample, continuing `h`: the engine keeps
/// the series' hash up to date this way as it samples.
pub fn hash_sample(mut h: u64, s: &Sample) -> u64 {
    for v in s.values() {
        h = fnv(h, v.to_bits());
    }
    h
}

/// The run digest (the page's "run fingerprint"): FNV-1a over every sample
/// of the series (`series_hash`, from [`hash_sample`]), then the event count
/// and the state counts, so any change in the run's outcome changes it.
pub fn digest(series_hash: u64, events: u64, state_counts: &[u64]) -> u64 {
    let mut h = fnv(series_hash, events);
    for &c in state_counts {
        h = fnv(h, c);
    }
    h
}

/// A digest as the page and the CLI show it: 16 hex digits.
pub fn digest_text(digest: u64) -> String {
    format!("{digest:016x}")
}

/// Writes the series as CSV with a header; the first column is `t_hours`.
pub fn write_csv(series: &[Sample], out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out, "{}", COLUMNS.join(","))?;
    for s in series {
        let row: Vec<String> = s.values().iter().map(|v| format_number(*v)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn format_number(v: f64) -> String {
    if v == libm::trunc(v) && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{:.6}", v).trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_gives_back_what_it_took() {
        let mut s = Spread::default();
        s.add(0, 10_000, 50.0);
        s.add(5_000, 2_000, 8.0);
        let total: f64 = (0..20).map(|t| s.advance(t)).sum();
        assert!((total - 58.0).abs() < 1e-9);
        assert_eq!(s.advance(30), 0.0);
    }

    #[test]
    fn columns_match_values() {
        assert_eq!(COLUMNS.len(), Sample::default().values().len());
        assert_eq!(COLUMNS[0], "t_hours");
        assert_eq!(COLUMN_DOCS.len(), COLUMNS.len());
    }
}

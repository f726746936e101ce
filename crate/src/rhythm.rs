//! The daily rhythm: users come online and go offline by local time of day.
//!
//! Each peer that is not always on is a two-state (off/on) Markov chain whose
//! rates depend on the local hour: `ON_RATE` (sessions started per hour by an
//! offline user) and `OFF_RATE` (sessions ended per hour by an online one).
//! Sampling with piecewise-constant hazards is exact, costs one event per
//! transition, and its expected occupancy has a closed form per minute, which
//! gives the "normal day" curve the summary and the charts compare against.
//!
//! Calibration [hypothesis, fitted]: with 20% of peers always on and the
//! region weights of `region.rs`, the global online share swings between
//! about 0.47 and 0.71 of peers (trough/peak 0.66, peak near 13:00 UTC,
//! trough near 04:00 UTC), between the published Dec 2006 weekday range
//! 5.0-8.4 M (0.6) and Aug 2007's "usually 5-6 M, daily peaks 8-9 M"
//! [P: Skype's online counter, `docs/reference/skype-outages.md`]; the evening
//! stays high enough that 22:00 UTC is about 0.76 of 16:00 UTC, as the
//! published Aug 17 2007 counts (about 6 M at 22:00 against a usual 8 M at
//! 16:00) require. Users average about 2 sessions a day.

use crate::region::REGIONS;
use crate::rng::Rng;
use crate::time::{Millis, DAY, HOUR, MINUTE};

/// Sessions started per hour by an offline user, by local hour.
pub const ON_RATE: [f64; 24] = [
    0.03, 0.01, 0.01, 0.01, 0.02, 0.06, 0.25, 0.50, 0.50, 0.30, 0.20, 0.20, //
    0.20, 0.20, 0.20, 0.20, 0.25, 0.30, 0.35, 0.35, 0.30, 0.20, 0.08, 0.04,
];
/// Sessions ended per hour by an online user, by local hour.
pub const OFF_RATE: [f64; 24] = [
    0.70, 0.80, 0.80, 0.70, 0.50, 0.30, 0.10, 0.08, 0.08, 0.08, 0.08, 0.08, //
    0.10, 0.08, 0.08, 0.10, 0.12, 0.12, 0.10, 0.10, 0.12, 0.20, 0.35, 0.50,
];

#[derive(Clone, Debug)]
pub struct Rhythm {
    /// Expected share online of peers that are not always on, per local minute.
    occupancy: Vec<f64>,
    /// `ON_RATE` and `OFF_RATE` per millisecond, divided once rather than
    /// at each hour a sampled delay crosses.
    on_per_ms: [f64; 24],
    off_per_ms: [f64; 24],
}

impl Default for Rhythm {
    fn default() -> Self {
        Self::new()
    }
}

impl Rhythm {
    /// Bytes held on the heap (for the snapshot budget).
    pub fn heap_bytes(&self) -> usize {
        crate::memory::vec_bytes(&self.occupancy)
    }

    pub fn new() -> Self {
        // Integrate the two-state chain minute by minute (exact within a
        // minute of constant rates) until it is periodic: three days suffice,
        // the slowest relaxation time is under 10 hours.
        let mut occupancy = vec![0.0; 1440];
        let mut f = 0.1;
        for day in 0..4 {
            for (m, slot) in occupancy.iter_mut().enumerate() {
                let on = ON_RATE[m / 60] / 60.0;
                let off = OFF_RATE[m / 60] / 60.0;
                let settle = on / (on + off);
                f = settle + (f - settle) * libm::exp(-(on + off));
                if day == 3 {
                    *slot = f;
                }
            }
        }
        let per_ms = |rates: &[f64; 24]| rates.map(|r| r / HOUR as f64);
        Rhythm { occupancy, on_per_ms: per_ms(&ON_RATE), off_per_ms: per_ms(&OFF_RATE) }
    }

    /// Expected share online, at a local time of day, of peers that are not always on.
    pub fn occupancy(&self, local_ms: u64) -> f64 {
        self.occupancy[((local_ms % DAY) / MINUTE) as usize]
    }

    /// Delay until an offline user next starts a session.
    pub fn delay_to_start(&self, local_ms: u64, rng: &mut Rng) -> Millis {
        sample(&self.on_per_ms, local_ms, rng)
    }

    /// Delay until an online user ends the session.
    pub fn delay_to_end(&self, local_ms: u64, rng: &mut Rng) -> Millis {
        sample(&self.off_per_ms, local_ms, rng)
    }
}

/// The "normal day" of one population: the online share the daily rhythm
/// alone gives at any run time, in closed form from who lives where and
/// who is always on. A finished run keeps it, so the published record can
/// be placed on its clock without the engine.
#[derive(Clone, Debug)]
pub struct NormalDay {
    pub start_unix_ms: i64,
    /// UTC offset of each region in the run's month.
    pub offsets: [i64; REGIONS.len()],
    /// Always-on and other peers per region.
    pub counts: [(u32, u32); REGIONS.len()],
    pub peers: u32,
    rhythm: Rhythm,
}

impl NormalDay {
    /// A population with nobody in it yet; the engine counts peers in as it builds them.
    /// Bytes held on the heap (for the snapshot budget).
    pub fn heap_bytes(&self) -> usize {
        self.rhythm.heap_bytes()
    }

    pub fn new(start_unix_ms: i64, offsets: [i64; REGIONS.len()], peers: u32) -> NormalDay {
        NormalDay { start_unix_ms, offsets, counts: [(0, 0); REGIONS.len()], peers, rhythm: Rhythm::new() }
    }

    /// Online share the daily rhythm alone gives at run time `t`.
    pub fn share(&self, t: Millis) -> f64 {
        let mut online = 0.0;
        for (r, &(always, others)) in self.counts.iter().enumerate() {
            let local = local_ms(self.start_unix_ms, t, self.offsets[r]);
            online += always as f64 + others as f64 * self.rhythm.occupancy(local);
        }
        online / self.peers as f64
    }
}

/// Local time of day (ms since local midnight) of run time `t`.
pub fn local_ms(start_unix_ms: i64, t: Millis, offset_ms: i64) -> u64 {
    (start_unix_ms + t as i64 + offset_ms).rem_euclid(DAY as i64) as u64
}

/// First event of a Poisson process whose rate (per ms) is constant within
/// each local hour.
fn sample(rates_per_ms: &[f64; 24], local_ms: u64, rng: &mut Rng) -> Millis {
    let mut budget = rng.exp(1.0);
    let mut pos = local_ms % DAY;
    let mut delay: Millis = 0;
    loop {
        let hour = (pos / HOUR) as usize;
        let left = HOUR - pos % HOUR;
        let rate = rates_per_ms[hour];
        let mass = rate * left as f64;
        if mass >= budget {
            return (delay + (budget / rate) as Millis).max(1);
        }
        budget -= mass;
        delay += left;
        pos = (pos + left) % DAY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn occupancy_is_low_at_night_and_high_in_the_evening() {
        let r = Rhythm::new();
        assert!(r.occupancy(4 * HOUR) < 0.05);
        assert!(r.occupancy(20 * HOUR) > 0.65);
    }

    #[test]
    fn sampled_sessions_match_the_occupancy() {
        // Simulate 4000 users for 3 days and compare the share online at
        // 20:00 on the last day with the closed form.
        let r = Rhythm::new();
        let mut rng = Rng::new(5, Stream::Engine);
        let probe = 2 * DAY + 20 * HOUR;
        let mut online = 0;
        for _ in 0..4000 {
            let (mut t, mut on) = (0, false);
            loop {
                let d = if on { r.delay_to_end(t, &mut rng) } else { r.delay_to_start(t, &mut rng) };
                if t + d > probe {
                    break;
                }
                t += d;
                on = !on;
            }
            online += on as u32;
        }
        let share = online as f64 / 4000.0;
        assert!((share - r.occupancy(20 * HOUR)).abs() < 0.03, "{share} vs {}", r.occupancy(20 * HOUR));
    }
}

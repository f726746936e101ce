//! The outcome of a run in a few numbers, and its digest.

use serde::Serialize;

use crate::sim::Simulation;

/// What `patchstorm run --format json` prints, field for field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Canonical query string of the scenario.
    pub scenario: String,
    /// 16 hex digits identifying the run's full outcome.
    pub digest: String,
    pub peers: u32,
    pub sim_hours: f64,
    pub events: u64,
    /// Mean online share of peers over the hour before the trigger (the
    /// first sample when there is no trigger, as on a calm day).
    pub online_normal: f64,
    /// Lowest online share after the trigger.
    pub online_min: f64,
    /// Hours from the trigger until, after its deepest point, the online
    /// count is back to at least 95% of what the daily rhythm alone gives and
    /// stays there for an hour; 0 if it never fell below 95%; `None` if it
    /// does not recover within the run.
    pub recovered_after_hours: Option<f64>,
    /// Highest login request rate, per second.
    pub peak_login_rate: f64,
    /// Wall-clock seconds the run took (measured by the caller; the core has no clock).
    pub wall_seconds: f64,
}

/// Share of the normal level the online count must reach to count as recovered.
pub const RECOVERED: f64 = 0.95;

/// FNV-1a offset basis.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// One FNV-1a step over the bytes of `x`.
pub fn fnv(mut h: u64, x: u64) -> u64 {
    for b in x.to_le_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// FNV-1a over every sample of the series, the event count and the state
/// counts: any change in the run's outcome changes it. The series part is
/// kept up to date as samples are taken, so this is O(1).
pub fn digest(sim: &Simulation) -> u64 {
    let mut h = fnv(sim.series_hash(), sim.events());
    for c in sim.state_counts() {
        h = fnv(h, c);
    }
    h
}

pub fn summarize(sim: &Simulation, wall_seconds: f64) -> Summary {
    // Without a trigger (a calm day), the summary is about the whole run.
    let trigger = sim.config().trigger;
    let trigger_h =
        if sim.scenario().has_trigger() && trigger < sim.end() { trigger as f64 / 3_600_000.0 } else { 0.0 };
    let series = sim.series();
    let before: Vec<f64> = series
        .iter()
        .filter(|s| s.t_hours >= trigger_h - 1.0 && s.t_hours < trigger_h)
        .map(|s| s.online_share)
        .collect();
    let online_normal = if before.is_empty() {
        series.first().map_or(0.0, |s| s.online_share)
    } else {
        before.iter().sum::<f64>() / before.len() as f64
    };
    let after: Vec<_> = series.iter().filter(|s| s.t_hours >= trigger_h).collect();
    let online_min = after.iter().map(|s| s.online_share).fold(f64::INFINITY, f64::min);
    let ok = |s: &&crate::metrics::Sample| s.online_share >= RECOVERED * s.normal_share;
    // Recovery is counted from the deepest point after the trigger, so a
    // small early dip does not count as the outage.
    let deepest = after
        .iter()
        .enumerate()
        .min_by(|a, b| {
            (a.1.online_share / a.1.normal_share.max(1e-12))
                .total_cmp(&(b.1.online_share / b.1.normal_share.max(1e-12)))
        })
        .map(|(i, _)| i);
    let recovered_after_hours = match after.iter().position(|s| !ok(s)).and(deepest) {
        None => Some(0.0),
        Some(dip) => {
            let last = after.last().map_or(0.0, |s| s.t_hours);
            (dip..after.len()).find_map(|i| {
                let t = after[i].t_hours;
                let window_ok =
                    t + 1.0 <= last + 1e-9 && after[i..].iter().take_while(|s| s.t_hours <= t + 1.0 + 1e-9).all(ok);
                window_ok.then_some(t - trigger_h)
            })
        }
    };
    Summary {
        scenario: sim.scenario().to_query(),
        digest: format!("{:016x}", digest(sim)),
        peers: sim.config().peers,
        sim_hours: sim.now() as f64 / 3_600_000.0,
        events: sim.events(),
        online_normal,
        online_min: if online_min.is_finite() { online_min } else { 0.0 },
        recovered_after_hours,
        peak_login_rate: series.iter().map(|s| s.login_requests_ps).fold(0.0, f64::max),
        wall_seconds,
    }
}

//! The outcome of a run in a few numbers: what `patchstorm run` prints and
//! the page shows.

use serde::Serialize;

use crate::evidence::run::Run;
use crate::evidence::shape;
use crate::metrics::Sample;

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
    /// Lowest ratio, after the trigger, of the online count to what the
    /// daily rhythm alone gives at that hour (1: never below a normal day).
    pub lowest_of_normal_day: f64,
    /// Hours from the trigger until, after its deepest point, the online
    /// count is back to at least 95% of what the daily rhythm alone gives and
    /// stays there for an hour; 0 if it never fell below 95%; `None` if it
    /// does not recover within the run.
    pub recovered_after_hours: Option<f64>,
    /// Highest login request rate, per second.
    pub peak_login_rate: f64,
    /// Mean number of peer-hosted supernodes over the hour before the
    /// trigger (the first sample's without one), overloaded ones included.
    pub supernodes_normal: f64,
    /// Fewest peer-hosted supernodes after the trigger.
    pub supernodes_min: f64,
    /// Wall-clock seconds the run took (measured by the caller; the core has no clock).
    pub wall_seconds: f64,
}

pub fn summarize(run: &Run, wall_seconds: f64) -> Summary {
    // Without a trigger (a calm day), the summary is about the whole run.
    let trigger_h = shape::summary_start_h(run);
    let series = &run.series;
    // The mean over the hour before the trigger, and the lowest after it.
    let normal = |value: fn(&Sample) -> f64| {
        let before: Vec<f64> =
            series.iter().filter(|s| s.t_hours >= trigger_h - 1.0 && s.t_hours < trigger_h).map(value).collect();
        if before.is_empty() {
            series.first().map_or(0.0, value)
        } else {
            before.iter().sum::<f64>() / before.len() as f64
        }
    };
    let lowest = |value: fn(&Sample) -> f64| {
        let min = series.iter().filter(|s| s.t_hours >= trigger_h).map(value).fold(f64::INFINITY, f64::min);
        if min.is_finite() {
            min
        } else {
            0.0
        }
    };
    Summary {
        scenario: run.scenario.to_query(),
        digest: run.digest_text(),
        peers: run.config.peers,
        sim_hours: run.now_h(),
        events: run.events,
        online_normal: normal(|s| s.online_share),
        online_min: lowest(|s| s.online_share),
        lowest_of_normal_day: lowest(|s| s.online_share / s.normal_share.max(1e-12)),
        recovered_after_hours: shape::healed_after(run),
        peak_login_rate: series.iter().map(|s| s.login_requests_ps).fold(0.0, f64::max),
        supernodes_normal: normal(|s| s.sn_live),
        supernodes_min: lowest(|s| s.sn_live),
        wall_seconds,
    }
}

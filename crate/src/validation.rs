//! Holding a run against the published record: for every published online
//! count in the run's time span, the published share of the normal level
//! and the simulated share at the same moment (trigger times are aligned
//! to the real dates by the presets' `start` and `trigger`).

use crate::reference;
use crate::sim::Simulation;

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub utc: String,
    pub t_hours: f64,
    pub note: String,
    /// Published online count.
    pub published: f64,
    /// Published count as a share of the normal level at that time of day.
    pub published_share: f64,
    /// Simulated online count as a share of the daily rhythm at that moment.
    pub simulated_share: f64,
    /// simulated - published.
    pub difference: f64,
}

/// Rows for the published points the run has reached (none for calm-day).
pub fn compare(sim: &Simulation) -> Vec<Row> {
    let series = sim.series();
    let start = sim.scenario().time(crate::scenario::P::Start);
    let mut rows = Vec::new();
    for p in reference::placed(sim) {
        let (Some(published), Some(published_share)) = (p.published, p.share_of_normal) else { continue };
        // The sample at or just before the published moment; the run has
        // reached the point once a sample interval has passed after it.
        let interval_h = sim.config().sample as f64 / 3_600_000.0;
        let Some(sample) = series.iter().take_while(|s| s.t_hours <= p.t_hours + 1e-9).last() else { continue };
        if sim.now() as f64 / 3_600_000.0 < p.t_hours || p.t_hours > sample.t_hours + interval_h + 1e-9 {
            continue;
        }
        let simulated_share = sample.online_share / sample.normal_share;
        rows.push(Row {
            utc: crate::time::format_utc(start + (p.t_hours * 3_600.0).round() as i64),
            t_hours: p.t_hours,
            note: p.note,
            published,
            published_share,
            simulated_share,
            difference: simulated_share - published_share,
        });
    }
    rows
}

/// Mean absolute difference between simulated and published shares.
pub fn mean_abs_difference(rows: &[Row]) -> Option<f64> {
    (!rows.is_empty()).then(|| rows.iter().map(|r| r.difference.abs()).sum::<f64>() / rows.len() as f64)
}

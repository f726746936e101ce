//! The shape of an outage: when a run collapses, when it heals and whether
//! it relapses. The summary's healing time, the validation's checklist, the
//! ablation's outcome and the phase map's classes all read it from here.

use super::run::Run;
use crate::metrics::Sample;

/// Share of the normal level the online count must reach to count as recovered.
pub const RECOVERED: f64 = 0.95;
/// Online below this share of normal counts as collapsed.
pub const COLLAPSED: f64 = 0.1;
/// A run that climbed back above this share of normal ...
pub const CLIMBED_BACK: f64 = 0.8;
/// ... and falls below this one again relapses.
pub const RELAPSED: f64 = 0.5;

/// The hour the summary counts from: the trigger, or the start of a run
/// without one (a calm day) or whose trigger lies past its end.
pub fn summary_start_h(run: &Run) -> f64 {
    let trigger = run.config.trigger;
    if run.scenario.has_trigger() && trigger < run.end() {
        run.trigger_h()
    } else {
        0.0
    }
}

/// Hours from the trigger until, after its deepest point, the online count
/// is back to at least [`RECOVERED`] of what the daily rhythm alone gives and
/// stays there for an hour; 0 if it never fell below that; `None` if it does
/// not recover within the run (the summary's `recovered_after_hours`).
pub fn healed_after(run: &Run) -> Option<f64> {
    let trigger_h = summary_start_h(run);
    let after: Vec<&Sample> = run.series.iter().filter(|s| s.t_hours >= trigger_h).collect();
    let ok = |s: &&Sample| s.online_share >= RECOVERED * s.normal_share;
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
    match after.iter().position(|s| !ok(s)).and(deepest) {
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
    }
}

/// The outage's shape, for the published one's checklist.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// Hours from the trigger until online is below [`COLLAPSED`] of normal.
    pub collapse_h: Option<f64>,
    pub recovered_h: Option<f64>,
    /// Times (hours after the trigger) when online, having climbed back
    /// above [`CLIMBED_BACK`] of normal, fell below [`RELAPSED`] again.
    pub relapses: Vec<f64>,
    /// Hours from the trigger when online, after its last time below half of
    /// normal in the run, is back above 80%: from then on it stays above
    /// half to the end of the run. `None` without a collapse, or if the run
    /// ends before it is back. `recovered_h` can come before this: a run can
    /// be back to 95% for an hour and still relapse.
    pub for_good_h: Option<f64>,
    /// Hours from the trigger to the end of the run: how long "for good" has
    /// been watched is `end_h - for_good_h`.
    pub end_h: f64,
}

impl Shape {
    /// How a run that relapsed ends: `None` if it never relapsed (then it
    /// is back for good when it is first back); `Some(Some(h))` if it is
    /// back above 80% at `h` after its last relapse; `Some(None)` if the run
    /// ends below half.
    pub fn after_relapses(&self) -> Option<Option<f64>> {
        (!self.relapses.is_empty()).then_some(self.for_good_h)
    }
}

/// The shape of a run, counted from its trigger.
pub fn shape(run: &Run) -> Shape {
    let trigger_h = run.trigger_h();
    let after: Vec<(f64, f64)> = run
        .series
        .iter()
        .filter(|s| s.t_hours >= trigger_h)
        .map(|s| (s.t_hours - trigger_h, s.online_share / s.normal_share))
        .collect();
    shape_of(&after, healed_after(run))
}

/// The shape of a run from its (hours after the trigger, online / normal)
/// samples and its healing time.
pub fn shape_of(after: &[(f64, f64)], recovered_h: Option<f64>) -> Shape {
    let collapse_h = after.iter().find(|p| p.1 < COLLAPSED).map(|p| p.0);
    let mut relapses = Vec::new();
    let (mut up, mut down) = (false, false);
    for &(t, r) in after {
        if !up && !down && r < COLLAPSED {
            down = true; // the collapse itself
        } else if down && r >= CLIMBED_BACK {
            up = true;
            down = false;
        } else if up && r < RELAPSED {
            relapses.push(t);
            up = false;
            down = true;
        }
    }
    let for_good_h = collapse_h.and_then(|_| {
        let last_low = after.iter().rposition(|p| p.1 < RELAPSED)?;
        after[last_low..].iter().find(|p| p.1 >= CLIMBED_BACK).map(|p| p.0)
    });
    let end_h = after.last().map_or(0.0, |p| p.0);
    Shape { collapse_h, recovered_h, relapses, for_good_h, end_h }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_back_for_good_only_after_its_last_relapse() {
        // Collapse at 1 h, back at 3 h, relapse at 4 h, back for good at 6 h.
        let r = [1.0, 0.05, 0.3, 0.9, 0.4, 0.6, 0.85, 0.7, 0.95];
        let after: Vec<(f64, f64)> = r.iter().enumerate().map(|(i, &r)| (i as f64, r)).collect();
        let sh = shape_of(&after, Some(3.0));
        assert_eq!((sh.collapse_h, sh.relapses.clone(), sh.for_good_h), (Some(1.0), vec![4.0], Some(6.0)));
        assert_eq!(sh.end_h, 8.0);
        assert_eq!(sh.after_relapses(), Some(Some(6.0)));
        // Ending low: not back for good within the run, whether the run ends
        // between half and 80% or on a relapse.
        let sh = shape_of(&after[..6], None);
        assert_eq!((sh.for_good_h, sh.after_relapses()), (None, Some(None)));
        let sh = shape_of(&after[..5], None);
        assert_eq!((sh.relapses.clone(), sh.for_good_h), (vec![4.0], None));
        // No relapse: back for good is when it is first back.
        let once: Vec<(f64, f64)> = [1.0, 0.05, 0.9].iter().enumerate().map(|(i, &r)| (i as f64, r)).collect();
        let sh = shape_of(&once, Some(2.0));
        assert_eq!((sh.for_good_h, sh.after_relapses()), (Some(2.0), None));
        // No collapse: nothing to be back from.
        let calm: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 0.45 + 0.1 * i as f64)).collect();
        let sh = shape_of(&calm, Some(0.0));
        assert_eq!((sh.collapse_h, sh.for_good_h), (None, None));
    }
}

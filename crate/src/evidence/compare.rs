//! Holding a run against the published record: for every published online
//! count in the run's time span, the published share of the normal level
//! and the simulated share at the same moment (the presets' `start` and
//! `trigger` place each run at its outage's dates; the 2007 trigger's day
//! is fitted, see the `trigger` parameter).

use super::record;
use super::run::Run;
use crate::scenario::Preset;

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
pub fn compare(run: &Run) -> Vec<Row> {
    let series = &run.series;
    let start = run.scenario.time(crate::scenario::P::Start);
    let mut rows = Vec::new();
    for p in record::placed(run) {
        let (Some(published), Some(published_share)) = (p.published, p.share_of_normal) else { continue };
        // The sample at or just before the published moment; the run has
        // reached the point once a sample interval has passed after it.
        let interval_h = run.sample_h();
        let Some(sample) = series.iter().take_while(|s| s.t_hours <= p.t_hours + 1e-9).last() else { continue };
        if run.now_h() < p.t_hours || p.t_hours > sample.t_hours + interval_h + 1e-9 {
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

/// The target: every published point within this share of the normal level
/// of the simulated one.
pub const TARGET: f64 = 0.15;

/// How far a run is moved in time to tell a miss of timing from one of
/// shape ([`best_shift`]): up to 6 h either way (a quarter of a day, so no
/// run is matched against another day's climb), in 5-minute steps.
pub const SHIFT_MAX_H: f64 = 6.0;
pub const SHIFT_STEP_H: f64 = 5.0 / 60.0;

/// The sample of `series` ((hours, share) in time order) at or just before
/// `t`, as [`compare`] reads a run; None outside the series.
pub fn share_at(series: &[(f64, f64)], t: f64) -> Option<f64> {
    let (first, last) = (series.first()?.0, series.last()?.0);
    if t < first - 1e-9 || t > last + 1e-9 {
        return None;
    }
    let i = series.partition_point(|s| s.0 <= t + 1e-9);
    Some(series[i.saturating_sub(1)].1)
}

/// A run held against the published record as it is and at its best move in
/// time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// Published points held against.
    pub points: usize,
    pub as_is: Shifted,
    pub best: Shifted,
}

impl Timing {
    /// A move helps only if it puts more points within the target; a lower
    /// mean alone does not make a miss one of timing.
    pub fn move_helps(&self) -> bool {
        self.best.within > self.as_is.within
    }
}

/// `series` (a run's (hours, online / normal)) against `points` ((hours,
/// published share)) as it is and at its best move ([`best_shift`] with
/// [`TARGET`], [`SHIFT_MAX_H`] and [`SHIFT_STEP_H`]).
pub fn held(series: &[(f64, f64)], points: &[(f64, f64)]) -> Option<Timing> {
    let as_is = best_shift(series, points, TARGET, 0.0, SHIFT_STEP_H)?;
    let best = best_shift(series, points, TARGET, SHIFT_MAX_H, SHIFT_STEP_H)?;
    Some(Timing { points: points.len(), as_is, best })
}

/// A run held against the published points it has reached ([`held`]).
/// None while the run has yet to pass a published point of its span, or its
/// samples have yet to reach [`SHIFT_MAX_H`] past the last one (unless the
/// run has ended), and for a preset without a record.
pub fn timing(run: &Run) -> Option<Timing> {
    let rows = compare(run);
    let last = rows.last()?.t_hours;
    let end_h = run.end_h();
    let in_span = record::placed(run)
        .iter()
        .filter(|p| p.published.is_some() && p.share_of_normal.is_some() && (0.0..=end_h).contains(&p.t_hours))
        .count();
    // Checked before the series is copied: the page asks every frame until ready.
    let sampled_to = run.series.last().map_or(0.0, |s| s.t_hours);
    if !run.done && (rows.len() < in_span || sampled_to < last + SHIFT_MAX_H - 1e-9) {
        return None;
    }
    let points: Vec<(f64, f64)> = rows.iter().map(|r| (r.t_hours, r.published_share)).collect();
    held(&run.shares(), &points)
}

/// The network size at which VALIDATION.md holds the 2007 world against the
/// record (section 1; its scale check adds 1 M and 10 M peers).
pub const VALIDATED_PEERS_2007: u64 = 100_000;

/// The size caveat's text: measured figures, dated, with the run that
/// measured them, kept as data (`crate/data/size-caveat.txt`).
const SIZE_CAVEAT: &str = include_str!("../../data/size-caveat.txt");

/// What a reader of a `skype-2007` comparison should know when the network
/// is smaller than VALIDATION.md holds it at; None otherwise, and for other
/// presets. The sentence is `crate/data/size-caveat.txt` with this run's
/// numbers filled in, grouped with no-break spaces so it never wraps inside
/// one.
///
/// `format` is the link format the run is read in: for older formats the
/// file's second paragraph is added.
pub fn size_caveat(preset: Preset, peers: u64, format: u32) -> Option<String> {
    (preset == Preset::Skype2007 && peers < VALIDATED_PEERS_2007).then(|| {
        let mut parts = SIZE_CAVEAT.split("\n\n").map(text_of).filter(|p| !p.is_empty());
        let now = parts.next().expect("the size caveat file has its sentence");
        let old = parts.next().expect("the size caveat file has its older-format sentence");
        let fill = |text: &str| {
            fill_numbers(&text.replace("{peers}", &grouped(peers)).replace("{format}", &format.to_string()))
        };
        let mut text = fill(&now);
        if format < crate::scenario::FORMAT_VERSION {
            text.push(' ');
            text.push_str(&fill(&old));
        }
        text
    })
}

/// `text` with every `{N}` (N a whole number) written as [`grouped`] writes N.
fn fill_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let inner = rest[open + 1..].find('}').map(|close| &rest[open + 1..open + 1 + close]);
        match inner.and_then(|n| n.parse::<u64>().ok().filter(|_| n.bytes().all(|b| b.is_ascii_digit()))) {
            Some(n) => {
                out.push_str(&grouped(n));
                rest = &rest[open + 2 + inner.map_or(0, str::len)..];
            }
            None => {
                out.push('{');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A paragraph of a data file as one line: comment lines (`#`) left out.
fn text_of(paragraph: &str) -> String {
    paragraph
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A whole number in groups of three digits joined by no-break spaces: 20\u{a0}000.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> =
        (0..digits.len()).rev().step_by(3).map(|end| &digits[end.saturating_sub(2)..=end]).collect();
    groups.into_iter().rev().collect::<Vec<_>>().join("\u{a0}")
}

/// Mean absolute difference between simulated and published shares.
pub fn mean_abs_difference(rows: &[Row]) -> Option<f64> {
    (!rows.is_empty()).then(|| rows.iter().map(|r| r.difference.abs()).sum::<f64>() / rows.len() as f64)
}

/// A run held against the published points as if its clock ran `hours`
/// late (negative: early).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shifted {
    pub hours: f64,
    /// Published points within `tolerance` of the shifted run.
    pub within: usize,
    pub mean_abs_difference: f64,
    /// The largest moves tried, in hours: the run's samples end (or begin)
    /// before `max_hours` when a point lies near the end (or the start).
    pub earliest_h: f64,
    pub latest_h: f64,
}

/// How much of a miss is timing and how much is shape. Each published
/// point `(t, share)` is compared with the run's sample at or just before
/// `t + shift` (as [`compare`] does at `t`), for every shift from
/// `-max_hours` to `max_hours` in steps of `step_hours`; a shift that needs
/// a sample the series does not have, or meets one that is not a number,
/// is not tried. The best shift puts the most points within `tolerance`,
/// then has the smallest mean absolute difference, then lies nearest to no
/// shift, then is the earlier move (a positive shift). None without points,
/// without samples, or when no shift can be tried.
pub fn best_shift(
    series: &[(f64, f64)],
    points: &[(f64, f64)],
    tolerance: f64,
    max_hours: f64,
    step_hours: f64,
) -> Option<Shifted> {
    if series.is_empty() || points.is_empty() || step_hours.is_nan() || step_hours <= 0.0 {
        return None;
    }
    let steps = libm::floor(max_hours / step_hours + 1e-9) as i64;
    let mut best: Option<Shifted> = None;
    let (mut earliest, mut latest) = (0.0f64, 0.0f64);
    // From no shift outwards, the earlier move first at each distance, so a
    // tie keeps the one met first.
    let order = std::iter::once(0).chain((1..=steps).flat_map(|d| [d, -d]));
    for k in order {
        let hours = k as f64 * step_hours;
        let diffs: Vec<f64> = points
            .iter()
            .filter_map(|&(t, p)| share_at(series, t + hours).map(|s| (s - p).abs()).filter(|d| d.is_finite()))
            .collect();
        if diffs.len() < points.len() {
            continue;
        }
        earliest = earliest.max(hours);
        latest = latest.max(-hours);
        let within = diffs.iter().filter(|d| **d <= tolerance).count();
        let mean_abs_difference = diffs.iter().sum::<f64>() / diffs.len() as f64;
        let better = best
            .as_ref()
            .is_none_or(|b| within > b.within || (within == b.within && mean_abs_difference < b.mean_abs_difference));
        if better {
            best = Some(Shifted { hours, within, mean_abs_difference, earliest_h: 0.0, latest_h: 0.0 });
        }
    }
    best.map(|s| Shifted { earliest_h: earliest, latest_h: latest, ..s })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    #[test]
    fn small_2007_networks_get_a_caveat_with_their_size() {
        let at = |preset, peers| size_caveat(preset, peers, 3).map(|s| s.replace('\u{a0}', " "));
        assert!(at(Preset::Skype2007, 99_999)
            .unwrap()
            .starts_with("This network has 99 999 peers, fewer than the 100 000 at"));
        assert!(at(Preset::Skype2007, 1_000).unwrap().starts_with("This network has 1 000 peers,"));
        assert!(at(Preset::Skype2007, 500).unwrap().starts_with("This network has 500 peers,"));
        assert_eq!(at(Preset::Skype2007, VALIDATED_PEERS_2007), None);
        assert_eq!(at(Preset::Skype2010, 10_000), None);
        assert_eq!(at(Preset::Resilient2007, 10_000), None);
        // No plain space inside a number, so the sentence never wraps in one.
        assert!(!size_caveat(Preset::Skype2007, 20_000, 3).unwrap().contains("20 000"));
        // A run of an older link format is told the figures are of format 3.
        let old = size_caveat(Preset::Skype2007, 20_000, 2).unwrap().replace('\u{a0}', " ");
        assert!(
            old.ends_with("under that count 2007 runs of 100 000 peers and fewer climbed back about 3 h early."),
            "{old}"
        );
        assert!(!at(Preset::Skype2007, 20_000).unwrap().contains("link format 2"));
        assert_eq!(size_caveat(Preset::Skype2007, 100_000, 2), None);
        // Every placeholder of the data file is filled, whatever numbers it names.
        assert!(!old.contains(['{', '}']), "{old}");
        assert_eq!(fill_numbers("{5}, {1234567} and {x}"), "5, 1\u{a0}234\u{a0}567 and {x}");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        let g = |n| grouped(n).replace('\u{a0}', " ");
        assert_eq!(g(0), "0");
        assert_eq!(g(7), "7");
        assert_eq!(g(999), "999");
        assert_eq!(g(1_000), "1 000");
        assert_eq!(g(123_456_789), "123 456 789");
        assert_eq!(g(u64::MAX), "18 446 744 073 709 551 615");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// Trying more shifts never does worse, and the best one is within
        /// the window, on the step grid, and scored as `compare` would.
        #[test]
        fn a_wider_window_never_does_worse(
            shares in prop::collection::vec(0.0f64..1.2, 20..200),
            points in prop::collection::vec((2.0f64..14.0, 0.0f64..1.0), 1..10),
            max_a in 0.0f64..3.0,
            extra in 0.0f64..3.0,
        ) {
            let series: Vec<(f64, f64)> = shares.iter().enumerate().map(|(i, s)| (i as f64 * 0.1, *s)).collect();
            let step = 0.25;
            let narrow = best_shift(&series, &points, 0.15, max_a, step);
            let wide = best_shift(&series, &points, 0.15, max_a + extra, step);
            if let Some(n) = narrow {
                let w = wide.expect("a wider window holds the narrower one");
                prop_assert!(w.within >= n.within);
                prop_assert!(w.within > n.within || w.mean_abs_difference <= n.mean_abs_difference + 1e-12);
                prop_assert!(w.hours.abs() <= max_a + extra + 1e-9);
                prop_assert!(w.earliest_h <= max_a + extra + 1e-9 && w.latest_h <= max_a + extra + 1e-9);
                prop_assert!(w.hours <= w.earliest_h + 1e-9 && -w.hours <= w.latest_h + 1e-9);
                let k = w.hours / step;
                prop_assert!((k - k.round()).abs() < 1e-9);
                let diffs: Vec<f64> = points.iter().map(|&(t, p)| {
                    let i = series.partition_point(|s| s.0 <= t + w.hours + 1e-9);
                    (series[i - 1].1 - p).abs()
                }).collect();
                prop_assert_eq!(w.within, diffs.iter().filter(|d| **d <= 0.15).count());
            }
        }
    }

    #[test]
    fn timing_waits_until_the_run_has_passed_its_points_and_agrees_with_compare() {
        let scenario = crate::Scenario::from_query("preset=skype-2010&peers=3000&hours=80").unwrap();
        let mut sim = crate::Simulation::new(&scenario);
        // The four 2010 points lie between 42.7 h and 66.8 h of the run.
        sim.run_until(60 * 3_600_000);
        let mut run = Run::of(&sim);
        assert!(timing(&run).is_none(), "points not yet reached");
        sim.run_until(70 * 3_600_000);
        run.catch_up(&sim);
        assert_eq!(compare(&run).len(), 4);
        assert!(timing(&run).is_none(), "a later move could still be tried");
        sim.run();
        run.catch_up(&sim);
        assert_eq!(run.series, sim.series(), "a record kept up to date is the record");
        let t = timing(&run).expect("the run has passed every point by 6 h");
        let rows = compare(&run);
        assert_eq!(t.points, 4);
        assert_eq!(t.as_is.within, rows.iter().filter(|r| r.difference.abs() <= TARGET).count());
        assert!((t.as_is.mean_abs_difference - mean_abs_difference(&rows).unwrap()).abs() < 1e-12);
        assert!(t.best.within >= t.as_is.within && t.best.hours.abs() <= SHIFT_MAX_H);
        assert_eq!((t.best.earliest_h, t.best.latest_h), (SHIFT_MAX_H, SHIFT_MAX_H), "80 h covers every move");
        // Calm day: no record, no timing.
        let mut calm =
            crate::Simulation::new(&crate::Scenario::from_query("preset=calm-day&peers=2000&hours=2").unwrap());
        calm.run();
        assert!(timing(&Run::of(&calm)).is_none());
    }

    /// A step from 0 to 1 at hour `at`, sampled every 5 minutes over 0-24 h.
    fn step(at: f64) -> Vec<(f64, f64)> {
        (0..=288).map(|i| i as f64 / 12.0).map(|t| (t, if t >= at { 1.0 } else { 0.0 })).collect()
    }

    #[test]
    fn a_run_that_is_only_late_is_matched_by_its_delay() {
        // Published: the step at 10 h; the run steps at 12.5 h.
        let points = [(8.0, 0.0), (9.5, 0.0), (10.0, 1.0), (11.0, 1.0), (14.0, 1.0)];
        let unshifted = best_shift(&step(12.5), &points, 0.15, 0.0, 1.0 / 12.0).unwrap();
        assert_eq!((unshifted.hours, unshifted.within), (0.0, 3));
        let s = best_shift(&step(12.5), &points, 0.15, 6.0, 1.0 / 12.0).unwrap();
        assert_eq!(s.within, 5);
        assert_eq!(s.mean_abs_difference, 0.0);
        // Any delay from 2.5 h to 3 h lines the step up; the nearest to none wins.
        assert!((s.hours - 2.5).abs() < 1e-9, "{s:?}");
        // A run 1.5 to 2 h early: at -1.5 h it is already up at 9.5 h, so one step more.
        let early = best_shift(&step(8.0), &points, 0.15, 6.0, 1.0 / 12.0).unwrap();
        assert_eq!(early.within, 5);
        assert!((early.hours + 1.5 + 1.0 / 12.0).abs() < 1e-9, "{early:?}");
    }

    #[test]
    fn shape_is_not_mended_by_timing_and_points_beyond_the_run_do_not_count() {
        // A relapse the run never makes: no shift matches all three points.
        let points = [(10.0, 0.0), (12.0, 1.0), (13.0, 0.0)];
        let s = best_shift(&step(11.0), &points, 0.15, 6.0, 0.25).unwrap();
        assert_eq!(s.within, 2, "{s:?}");
        assert!(s.mean_abs_difference > 0.3, "{s:?}");
        // A move that needs a sample past the end is not tried: the run is
        // up only at its last sample (24 h), and the point at 20.1 h would
        // read it only at a move of 4 h or more, past the end. (Reading
        // past the end as the last sample would match.)
        let mut late: Vec<(f64, f64)> = (0..=96).map(|i| (i as f64 / 4.0, 0.0)).collect();
        late.last_mut().unwrap().1 = 1.0;
        let s = best_shift(&late, &[(20.1, 1.0)], 0.15, 6.0, 0.25).unwrap();
        assert_eq!(s.within, 0, "{s:?}");
        assert!((s.earliest_h - 3.75).abs() < 1e-9 && (s.latest_h - 6.0).abs() < 1e-9, "{s:?}");
        // A sample that is not a number is no match.
        let mut gap = step(11.0);
        gap[144].1 = f64::NAN;
        let s = best_shift(&gap, &[(12.0, 1.0)], 0.15, 0.0, 0.25);
        assert!(s.is_none(), "{s:?}");
        assert!(best_shift(&[], &points, 0.15, 6.0, 0.25).is_none());
        assert!(best_shift(&step(11.0), &[], 0.15, 6.0, 0.25).is_none());
    }
}

//! The evidence: `validate` (the historical presets against the published
//! record), `ablate` (one mechanism off at a time), `phase` (where the
//! network heals quickly, slowly or not at all), and `report`, which runs
//! all three and writes VALIDATION.md with its figures.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use patchstorm::ablation::{self, Mechanism, Outcome};
use patchstorm::scenario::{Preset, P};
use patchstorm::validation::{self, Row, SHIFT_MAX_H};
use patchstorm::{Scenario, Simulation};

use super::figures::{self, Series};
use super::{build_scenario, emit, input, Failure, Flags, Result};

/// Published points count as matched within this share of normal.
pub const WITHIN: f64 = validation::TARGET;

/// Counts finished runs on stderr when it is a terminal.
pub struct Counter {
    total: usize,
    done: AtomicUsize,
    bar: Mutex<super::progress::Progress>,
}

impl Counter {
    fn new(total: usize, what: &'static str) -> Counter {
        Counter { total, done: AtomicUsize::new(0), bar: Mutex::new(super::progress::Progress::runs(what, total)) }
    }
    fn tick(&self) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut bar) = self.bar.lock() {
            bar.show_runs(n);
        }
        if n == self.total {
            if let Ok(mut bar) = self.bar.lock() {
                bar.finish();
            }
        }
    }
}

fn parse_list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>> {
    v.split(',')
        .map(|x| x.trim().parse::<T>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| input(format!("{flag} {v} is not a comma-separated list of numbers")))
}

/// `--peers` and `--seed` are checked like the scenario parameters, with
/// their messages, and read back from the checked scenario.
fn check_peers(flag: &str, peers: &str) -> Result<u32> {
    let s = build_scenario(Some("calm-day"), None, &[&format!("peers={peers}")], None).map_err(|e| match e {
        Failure::Input(msg) => input(format!("{flag} {peers}: {msg}")),
        other => other,
    })?;
    Ok(s.int(patchstorm::scenario::P::Peers) as u32)
}

fn check_seed(seed: &str) -> Result<u64> {
    let s = build_scenario(Some("calm-day"), None, &[&format!("seed={seed}")], None)?;
    Ok(s.int(patchstorm::scenario::P::Seed) as u64)
}

// ---- validate ---------------------------------------------------------------

/// A historical preset run with several seeds against the published record.
/// The model is stochastic and, while the 2007 network climbs back, the
/// exact hour of each climb and relapse differs from seed to seed; one seed
/// would be an arbitrary sample of that.
#[derive(Clone)]
pub struct Validation {
    pub preset: Preset,
    pub peers: u32,
    pub seeds: Vec<u64>,
    /// The simulated share in each row is the mean over the seeds.
    pub rows: Vec<Row>,
    /// Per row, the lowest and highest simulated share over the seeds.
    pub ranges: Vec<(f64, f64)>,
    /// Per seed, (hours, online / normal).
    pub series: Vec<Vec<(f64, f64)>>,
    /// The first seed's supernode core, sample by sample.
    pub core: Vec<Core>,
    pub trigger_h: f64,
    /// Per seed.
    pub shapes: Vec<Shape>,
}

/// The outage's shape, for the published one's checklist.
#[derive(Clone)]
pub struct Shape {
    /// Hours from the trigger until online is below 10% of normal.
    pub collapse_h: Option<f64>,
    pub recovered_h: Option<f64>,
    /// Times (hours after the trigger) when online, having climbed back
    /// above 80% of normal, fell below 50% again.
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

fn shape(sim: &Simulation) -> Shape {
    let trigger_h = sim.config().trigger as f64 / 3_600_000.0;
    let after: Vec<(f64, f64)> = sim
        .series()
        .iter()
        .filter(|s| s.t_hours >= trigger_h)
        .map(|s| (s.t_hours - trigger_h, s.online_share / s.normal_share))
        .collect();
    shape_of(&after, patchstorm::summary::summarize(sim, 0.0).recovered_after_hours)
}

/// The shape of a run from its (hours after the trigger, online / normal)
/// samples and its healing time.
fn shape_of(after: &[(f64, f64)], recovered_h: Option<f64>) -> Shape {
    let collapse_h = after.iter().find(|p| p.1 < 0.1).map(|p| p.0);
    let mut relapses = Vec::new();
    let (mut up, mut down) = (false, false);
    for &(t, r) in after {
        if !up && !down && r < 0.1 {
            down = true; // the collapse itself
        } else if down && r >= 0.8 {
            up = true;
            down = false;
        } else if up && r < 0.5 {
            relapses.push(t);
            up = false;
            down = true;
        }
    }
    let for_good_h = collapse_h.and_then(|_| {
        let last_low = after.iter().rposition(|p| p.1 < 0.5)?;
        after[last_low..].iter().find(|p| p.1 >= 0.8).map(|p| p.0)
    });
    let end_h = after.last().map_or(0.0, |p| p.0);
    Shape { collapse_h, recovered_h, relapses, for_good_h, end_h }
}

/// One seed's run of a historical preset.
struct SeedRun {
    preset: Preset,
    seed: u64,
    rows: Vec<Row>,
    series: Vec<(f64, f64)>,
    core: Vec<Core>,
    trigger_h: f64,
    shape: Shape,
}

/// The presets of a real outage, with a published record and mechanisms to ablate.
fn historical_preset(v: &str) -> Result<Preset> {
    match Preset::from_key(v) {
        Some(p @ (Preset::Skype2007 | Preset::Skype2010)) => Ok(p),
        Some(_) => Err(input(format!("--preset {v} is not a historical outage: use skype-2007 or skype-2010"))),
        None => Err(input(format!("--preset {v} is not a preset: use skype-2007 or skype-2010"))),
    }
}

impl Validation {
    /// Published points whose simulated share is within the target.
    pub fn within(&self) -> usize {
        self.rows.iter().filter(|r| r.difference.abs() <= WITHIN).count()
    }

    /// Seeds that heal within the run.
    pub fn healed(&self) -> usize {
        self.shapes.iter().filter(|s| s.recovered_h.is_some()).count()
    }

    /// Seeds that relapse after climbing back.
    pub fn relapsing(&self) -> usize {
        self.shapes.iter().filter(|s| !s.relapses.is_empty()).count()
    }

    /// Per seed, the run held against the published points as it is and at
    /// its best move in time (`validation::held`).
    pub fn shifts(&self) -> Vec<Option<SeedTiming>> {
        let points: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.t_hours, r.published_share)).collect();
        self.series
            .iter()
            .map(|s| {
                let timing = validation::held(s, &points)?;
                let outside = self.outside(s, timing.best.hours);
                Some(SeedTiming { timing, outside })
            })
            .collect()
    }

    /// The published points outside the target for one seed's `series`
    /// moved `move_h` hours earlier: (UTC, simulated share there, published share).
    pub fn outside(&self, series: &[(f64, f64)], move_h: f64) -> Vec<(String, f64, f64)> {
        self.rows
            .iter()
            .filter_map(|r| {
                let sim = validation::share_at(series, r.t_hours + move_h)?;
                ((sim - r.published_share).abs() > WITHIN).then(|| (r.utc.clone(), sim, r.published_share))
            })
            .collect()
    }
}

/// Points outside the target as a reader sees them: "UTC (0.00 against 0.38), …".
pub fn outside_text(outside: &[(String, f64, f64)]) -> String {
    outside
        .iter()
        .map(|(utc, sim, published)| format!("{utc} ({sim:.2} against {published:.2})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every seed held against the record as it is, point by point. The published
/// outage happened once; this says how often the model draws a run as close
/// to it, and which points its runs reach.
pub struct Draws {
    /// Per seed, the published points within the target as it is (the
    /// count `validate`'s "as it is" gives; 0 for a run without samples).
    pub per_seed: Vec<usize>,
    /// Per seed, the mean absolute difference as it is.
    pub mean: Vec<f64>,
    /// Per published point, the seeds within the target there.
    pub per_point: Vec<usize>,
}

impl Draws {
    /// (points within, seeds), most points first, only counts that occur.
    pub fn by_points(&self) -> Vec<(usize, usize)> {
        let most = self.per_seed.iter().copied().max().unwrap_or(0);
        (0..=most)
            .rev()
            .map(|k| (k, self.per_seed.iter().filter(|&&w| w == k).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// The seeds (indices) with the most points within the target.
    pub fn most(&self) -> Vec<usize> {
        let best = self.per_seed.iter().copied().max().unwrap_or(0);
        (0..self.per_seed.len()).filter(|&i| self.per_seed[i] == best).collect()
    }

    /// Of [`Self::most`], the one with the lowest mean absolute difference
    /// (the first such seed on a tie).
    pub fn closest(&self) -> Option<usize> {
        self.most().into_iter().min_by(|&a, &b| self.mean[a].total_cmp(&self.mean[b]))
    }
}

impl Validation {
    pub fn draws(&self) -> Draws {
        let points: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.t_hours, r.published_share)).collect();
        // A move of zero: the run as it is, as `validation::held` holds it.
        let as_is: Vec<Option<validation::Shifted>> = self
            .series
            .iter()
            .map(|s| validation::best_shift(s, &points, WITHIN, 0.0, validation::SHIFT_STEP_H))
            .collect();
        let within = |s: &[(f64, f64)], r: &Row| {
            validation::share_at(s, r.t_hours).is_some_and(|x| (x - r.published_share).abs() <= WITHIN)
        };
        Draws {
            per_seed: as_is.iter().map(|a| a.as_ref().map_or(0, |a| a.within)).collect(),
            mean: as_is.iter().map(|a| a.as_ref().map_or(f64::INFINITY, |a| a.mean_abs_difference)).collect(),
            per_point: self.rows.iter().map(|r| self.series.iter().filter(|s| within(s, r)).count()).collect(),
        }
    }
}

/// "7 of 9 points in 1 seed, 6 in 6 seeds, 0 in 1 seed".
pub fn by_points_text(d: &Draws, points: usize) -> String {
    let seeds = |n: usize| if n == 1 { "1 seed".to_string() } else { format!("{n} seeds") };
    d.by_points()
        .iter()
        .enumerate()
        .map(
            |(i, &(k, n))| {
                if i == 0 {
                    format!("{k} of {points} points in {}", seeds(n))
                } else {
                    format!("{k} in {}", seeds(n))
                }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// One seed held against the record as it is and at its best move in time.
pub struct SeedTiming {
    pub timing: validation::Timing,
    /// The points still outside the target at the best move: (UTC, simulated
    /// share there, published share).
    pub outside: Vec<(String, f64, f64)>,
}

/// A move in time of a whole number of 5-minute steps: "55 min", "3 h 10 min", "6 h".
pub fn move_text(hours: f64) -> String {
    let minutes = (hours.abs() * 60.0).round() as u64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The moves tried: "up to 6 h either way", or the shorter reach where the
/// run's samples end or begin.
pub fn moves_tried(s: &validation::Shifted) -> String {
    if s.earliest_h >= SHIFT_MAX_H - 1e-9 && s.latest_h >= SHIFT_MAX_H - 1e-9 {
        format!("up to {} either way", move_text(SHIFT_MAX_H))
    } else {
        format!(
            "up to {} earlier and {} later (as far as the run's samples reach)",
            move_text(s.earliest_h),
            move_text(s.latest_h)
        )
    }
}

/// "1 of 9 within 0.15 as it is (mean absolute difference 0.337); 6 of 9
/// (0.186) with the run moved 55 min earlier; still outside: …". A run that
/// lags the record lines up once moved earlier.
pub fn shift_text(t: &SeedTiming) -> String {
    let (as_is, best, n) = (&t.timing.as_is, &t.timing.best, t.timing.points);
    let head = format!(
        "{} of {n} within {WITHIN} as it is (mean absolute difference {:.3})",
        as_is.within, as_is.mean_abs_difference
    );
    if !t.timing.move_helps() {
        return format!("{head}; no move of {} puts more points within", moves_tried(best));
    }
    let mut o = format!(
        "{head}; {} of {n} ({:.3}) with the run moved {} {}",
        best.within,
        best.mean_abs_difference,
        move_text(best.hours),
        if best.hours > 0.0 { "earlier" } else { "later" }
    );
    if !t.outside.is_empty() {
        o += &format!("; still outside: {}", outside_text(&t.outside));
    }
    o
}

/// A range of values as a reader sees it at `decimals` places: one value
/// when both ends print the same ("76.6", not "76.6-76.6"), else "lo-hi".
pub fn range_text((lo, hi): (f64, f64), decimals: usize) -> String {
    let (lo, hi) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if lo == hi {
        lo
    } else {
        format!("{lo}-{hi}")
    }
}

/// The lowest and highest of some numbers; `None` when there are none.
pub fn min_max(xs: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    xs.into_iter().fold(None, |acc, x| match acc {
        None => Some((x, x)),
        Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
    })
}

/// One sample of the supernode core, each count over the online count the
/// daily rhythm alone gives at that moment.
#[derive(Clone, Copy, Debug)]
pub struct Core {
    pub t_hours: f64,
    pub online: f64,
    /// Peers that need a place on a supernode: connected plus searching.
    pub demand: f64,
    /// Client places on the live supernodes, overloaded ones included.
    pub slots: f64,
    /// Connection attempts per second per live supernode, over what a
    /// typical supernode handles (`sn_attempt_capacity`).
    pub attempts: f64,
}

fn core_series(sim: &Simulation) -> Vec<Core> {
    let cfg = sim.config();
    let mega = cfg.mega.map_or(0.0, |m| m.capacity as f64);
    sim.series()
        .iter()
        .map(|s| {
            let normal = (s.normal_share * cfg.peers as f64).max(1.0);
            Core {
                t_hours: s.t_hours,
                online: s.online / normal,
                demand: s.sn_demand / normal,
                slots: (s.sn_live * cfg.sn_capacity as f64 + s.sn_mega * mega) / normal,
                attempts: s.sn_load / cfg.sn_attempt_capacity,
            }
        })
        .collect()
}

/// Validation runs of a preset with a published record go on this much
/// longer than the preset's own run (as the page plays it), unless `hours`
/// is set: a run that is back after its last relapse then has two days
/// behind it to show that it holds.
pub const VALIDATION_EXTRA_HOURS: i64 = 48;

/// The key of a `--set KEY=VALUE` (all of it when there is no `=`; the
/// scenario refuses that later with its own message).
fn set_key(set: &str) -> &str {
    set.split_once('=').map_or(set, |(k, _)| k).trim()
}

/// A study's `--set` may change any parameter but the ones its own flags give.
fn check_study_sets(sets: &[String]) -> Result<()> {
    match sets.iter().find(|set| matches!(set_key(set), "preset" | "peers" | "seed")) {
        Some(set) => Err(input(format!(
            "--set {set} is not allowed here: the preset, the size and the seeds are --preset, --peers and --seed(s)"
        ))),
        None => Ok(()),
    }
}

/// The scenario of one validation run: the preset with `sets` applied (as
/// `run --set` does), at the given size and seed; refused with the
/// parameter's message when a change is out of range or conflicts.
fn validation_scenario(preset: Preset, peers: u32, seed: u64, sets: &[String]) -> Result<Scenario> {
    check_study_sets(sets)?;
    // `--set v=N` (validate's own, or the report's `v=2` rows) reads the
    // preset as a link of that format.
    let link = sets.iter().find(|set| set_key(set) == "v").map(String::as_str);
    let sets: Vec<String> = sets.iter().filter(|set| set_key(set) != "v").cloned().collect();
    let sets = &sets[..];
    let hours_given = sets.iter().any(|set| set_key(set) == "hours");
    let mut all: Vec<String> = sets.to_vec();
    // Only the presets with a published record; calm-day keeps its one day.
    if !hours_given && patchstorm::reference::dataset_for(preset).is_some() {
        all.push(format!("hours={}", Scenario::preset(preset).int(P::Hours) + VALIDATION_EXTRA_HOURS));
    }
    all.push(format!("peers={peers}"));
    all.push(format!("seed={seed}"));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    build_scenario(Some(preset.key()), link, &refs, None)
}

pub fn validation_runs(
    presets: &[Preset],
    peers: u32,
    seeds: &[u64],
    sets: &[String],
    counter: Option<&Counter>,
) -> Result<Vec<Validation>> {
    let runs = seed_runs(presets, peers, seeds, sets, counter)?;
    Ok(validations_of(&runs, presets, peers, seeds))
}

/// One run of each preset for each seed, on all cores.
fn seed_runs(
    presets: &[Preset],
    peers: u32,
    seeds: &[u64],
    sets: &[String],
    counter: Option<&Counter>,
) -> Result<Vec<SeedRun>> {
    let mut jobs = Vec::new();
    for &preset in presets {
        for &seed in seeds {
            jobs.push((preset, seed, validation_scenario(preset, peers, seed, sets)?));
        }
    }
    Ok(jobs
        .par_iter()
        .map(|(preset, seed, scenario)| {
            let mut sim = Simulation::new(scenario);
            sim.run();
            if let Some(c) = counter {
                c.tick();
            }
            SeedRun {
                preset: *preset,
                seed: *seed,
                rows: validation::compare(&sim),
                series: validation::shares(&sim),
                core: core_series(&sim),
                trigger_h: sim.config().trigger as f64 / 3_600_000.0,
                shape: shape(&sim),
            }
        })
        .collect())
}

/// Each preset's validation over `seeds`, from runs that hold at least those
/// seeds (a run is looked up by preset and seed, so one set of runs can serve
/// several selections of seeds).
fn validations_of(runs: &[SeedRun], presets: &[Preset], peers: u32, seeds: &[u64]) -> Vec<Validation> {
    presets
        .iter()
        .map(|&preset| {
            let mine: Vec<&SeedRun> = seeds
                .iter()
                .map(|&seed| {
                    runs.iter().find(|r| r.preset == preset && r.seed == seed).expect("a run for every preset and seed")
                })
                .collect();
            let mut rows = mine[0].rows.clone();
            let mut ranges = Vec::new();
            for (k, row) in rows.iter_mut().enumerate() {
                let shares: Vec<f64> = mine.iter().map(|r| r.rows[k].simulated_share).collect();
                row.simulated_share = shares.iter().sum::<f64>() / shares.len() as f64;
                row.difference = row.simulated_share - row.published_share;
                ranges.push(min_max(shares.iter().copied()).expect("at least one seed"));
            }
            Validation {
                preset,
                peers,
                seeds: seeds.to_vec(),
                rows,
                ranges,
                series: mine.iter().map(|r| r.series.clone()).collect(),
                core: mine[0].core.clone(),
                trigger_h: mine[0].trigger_h,
                shapes: mine.iter().map(|r| r.shape.clone()).collect(),
            }
        })
        .collect()
}

/// Calibration alternatives held against the 2007 record (the first entry
/// changes nothing): the calibration that links of format 1 replay, each of
/// the five values fitted for format 2 put back to its format-1 value on its
/// own, and near neighbours of the fit, to show how much it hangs on each.
pub const ALTERNATIVES_2007: &[&str] = &[
    "",
    OLD_LOGIN_COUNT,
    FORMAT_1_2007,
    "login_capacity=60",
    "sn_attempt_capacity=3",
    "attach_timeout_s=10",
    "sn_refusal_cost=1",
    "promote_rate=0.25",
    "sn_attempt_capacity=4",
    "sn_refusal_cost=0.6",
    "promote_rate=0.492",
    "promote_rate=0.55",
];

/// The preset read as a link of format 2: the login servers' count of
/// failed clients before format 3 (`login::Failures`), with this build's values.
pub const OLD_LOGIN_COUNT: &str = "v=2";

/// The 2007 calibration before format 2, as `--set` values: the values a
/// `v=1` link of `skype-2007` replays (`scenario::V1_WORLD`); here with this
/// build's login count, which a `v=1` link does not have.
pub const FORMAT_1_2007: &str =
    "login_capacity=60 sn_attempt_capacity=3 attach_timeout_s=10 sn_refusal_cost=1 promote_rate=0.25";

pub struct Alternative {
    pub change: &'static str,
    pub validation: Validation,
    /// Lowest online / normal in a day without a trigger (preset calm-day, seed 1).
    pub calm_min: f64,
}

/// `preset_run` is the preset's own validation, which the first (unchanged)
/// alternative reuses instead of running it again.
pub fn alternative_runs(preset_run: &Validation, counter: Option<&Counter>) -> Result<Vec<Alternative>> {
    let peers = preset_run.peers;
    let mut out = Vec::new();
    for &change in ALTERNATIVES_2007 {
        let validation = rerun(preset_run, peers, change)?;
        let mut sim = Simulation::new(&validation_scenario(Preset::CalmDay, peers, 1, &sets_of(change))?);
        sim.run();
        let calm_min = sim.series().iter().map(|s| s.online_share / s.normal_share).fold(f64::INFINITY, f64::min);
        out.push(Alternative { change, validation, calm_min });
        if let Some(c) = counter {
            c.tick();
        }
    }
    Ok(out)
}

/// A change written as `KEY=VALUE KEY=VALUE`, as `--set` values (`v=N`
/// among them reads the preset as a link of that format).
fn sets_of(change: &str) -> Vec<String> {
    change.split_whitespace().map(str::to_string).collect()
}

/// `base`'s comparison (same preset and seeds) with `change` applied, at
/// `peers`: `base` itself when that is what it already is.
fn rerun(base: &Validation, peers: u32, change: &str) -> Result<Validation> {
    if change.is_empty() && peers == base.peers {
        return Ok(base.clone());
    }
    Ok(validation_runs(&[base.preset], peers, &base.seeds, &sets_of(change), None)?.remove(0))
}

/// What the scale check repeats at the larger population besides the
/// presets, each with what it does and why (the report's prose). The last
/// step of the 2007 fit moved the promotion pace from 0.492, the value the
/// random search found at 30 k peers, to 0.52 at 1 M (VALIDATION.md).
pub const SCALE_CHANGES_2007: &[(&str, &str)] = &[
    (
        OLD_LOGIN_COUNT,
        "the login servers' count of failed clients before link format 3, which counted fewer at small sizes \
         (section 2)",
    ),
    (FORMAT_1_2007, "the values of the calibration before this one (links of format 1)"),
    (
        "promote_rate=0.492",
        "the promotion pace the random search found at 30000 peers, before the last step of the fit moved it to \
         the 0.52 that fits best at 1000000",
    ),
    (
        "sn_refusal_cost=0.6",
        "a refusal cost that fits as well as the preset's 0.106 at 100000 peers (the alternatives table), to show \
         whether that holds at the larger size",
    ),
];

/// One comparison at the report's population and at a larger one.
pub struct ScaleRow {
    pub preset: Preset,
    /// Empty for the preset itself.
    pub change: &'static str,
    pub small: Validation,
    pub large: Validation,
}

/// What the scale check compares for one preset: the preset itself, then
/// its changes.
fn scale_changes(preset: Preset) -> Vec<&'static str> {
    let mut changes = vec![""];
    if preset == Preset::Skype2007 {
        changes.extend(SCALE_CHANGES_2007.iter().map(|&(change, _)| change));
    }
    changes
}

/// Rows of the scale check for the report's own validations `small`.
pub fn scale_checks(small: &[Validation]) -> usize {
    small.iter().map(|v| scale_changes(v.preset).len()).sum()
}

/// Rows in the order of `small` (reused for the unchanged presets), with
/// the 2007 changes after the 2007 preset.
pub fn scale_runs(small: &[Validation], large_peers: u32, counter: Option<&Counter>) -> Result<Vec<ScaleRow>> {
    let mut out = Vec::new();
    for v in small {
        for change in scale_changes(v.preset) {
            let (small, large) = (rerun(v, v.peers, change)?, rerun(v, large_peers, change)?);
            out.push(ScaleRow { preset: v.preset, change, small, large });
            if let Some(c) = counter {
                c.tick();
            }
        }
    }
    Ok(out)
}

fn validation_table(v: &Validation, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out += "| UTC | published | published share of normal | simulated share (mean) | range over seeds | difference | note |\n|---|---:|---:|---:|---:|---:|---|\n";
    } else {
        let _ = writeln!(
            out,
            "{:<18} {:>11} {:>9} {:>9} {:>13} {:>10}  note",
            "utc", "published", "share", "simulated", "seed_range", "difference"
        );
    }
    for (r, (lo, hi)) in v.rows.iter().zip(&v.ranges) {
        let flag = if r.difference.abs() <= WITHIN { "" } else { " *" };
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.3} | {:.3} | {lo:.3}-{hi:.3} | {:+.3}{} | {} |",
                r.utc, r.published, r.published_share, r.simulated_share, r.difference, flag, r.note
            );
        } else {
            let _ = writeln!(
                out,
                "{:<18} {:>11.0} {:>9.3} {:>9.3} {:>13} {:>+10.3}{:<2} {}",
                r.utc,
                r.published,
                r.published_share,
                r.simulated_share,
                format!("{lo:.3}-{hi:.3}"),
                r.difference,
                flag,
                r.note
            );
        }
    }
    let mad = validation::mean_abs_difference(&v.rows).unwrap_or(f64::NAN);
    let within = v.within();
    if markdown {
        out += "\n(* = outside the target)\n";
    } else {
        let _ = writeln!(
            out,
            "mean absolute difference {mad:.3} over {} point{}; {within} of {} within {WITHIN} (* = outside)",
            v.rows.len(),
            if v.rows.len() == 1 { "" } else { "s" },
            v.rows.len()
        );
    }
    out
}

/// Seeds the validation averages over by default.
pub const VALIDATION_SEEDS: u64 = 4;

/// `--seeds N`: seeds 1 to N.
fn seed_count(flag: &str, v: &str) -> Result<Vec<u64>> {
    let n: u64 = v.trim().parse().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
        let wrong = if v.trim().is_empty() { "is empty".to_string() } else { format!("{v} is not allowed") };
        input(format!("{flag} {wrong}: {flag} must be a whole number from 1 to 64"))
    })?;
    Ok((1..=n).collect())
}

pub fn validate(args: &[String]) -> Result<()> {
    let mut peers = 100_000u32;
    let mut seeds: Vec<u64> = (1..=VALIDATION_SEEDS).collect();
    let mut presets = vec![Preset::Skype2007, Preset::Skype2010];
    let mut sets: Vec<String> = Vec::new();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--preset" => presets = vec![historical_preset(flags.value(flag)?)?],
            "--set" => sets.push(flags.value(flag)?.to_string()),
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--seed" => seeds = vec![check_seed(flags.value(flag)?)?],
            "--seeds" => seeds = seed_count(flag, flags.value(flag)?)?,
            other => return Err(input(format!("unknown option {other:?} for validate"))),
        }
    }
    let mut out = String::new();
    let changed = if sets.is_empty() { String::new() } else { format!(", changed: {}", sets.join(" ")) };
    let counter = Counter::new(presets.len() * seeds.len(), "validation runs");
    for v in validation_runs(&presets, peers, &seeds, &sets, Some(&counter))? {
        let _ = writeln!(
            out,
            "preset {} ({peers} peers, {}{changed}); published record: crate/data/",
            v.preset.key(),
            seeds_label(&v.seeds)
        );
        out += &validation_table(&v, false);
        // The link format the runs were read in (`--set v=N`).
        let format = validation_scenario(v.preset, peers, v.seeds[0], &sets)?.format();
        if let Some(caveat) = validation::size_caveat(v.preset, u64::from(peers), format) {
            let _ = writeln!(out, "note: {caveat}");
        }
        for (seed, sh) in v.seeds.iter().zip(&v.shapes) {
            let _ = writeln!(out, "seed {seed}: {}", shape_text(sh));
        }
        if v.within() < v.rows.len() {
            for (seed, shift) in v.seeds.iter().zip(v.shifts()) {
                if let Some(t) = shift {
                    let _ = writeln!(out, "seed {seed} on its own timing: {}", shift_text(&t));
                }
            }
            if v.seeds.len() > 1 {
                let _ =
                    writeln!(out, "each seed as it is, within {WITHIN}: {}", by_points_text(&v.draws(), v.rows.len()));
            }
        }
        out.push('\n');
    }
    emit(out.as_bytes())
}

pub fn seed_list(seeds: &[u64]) -> String {
    seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

/// "seed 3" for one seed, "seeds 1, 2, 3" for more.
pub fn seeds_label(seeds: &[u64]) -> String {
    match seeds {
        [one] => format!("seed {one}"),
        many => format!("seeds {}", seed_list(many)),
    }
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

/// "; after the last relapse, back above 80% at WHEN and not below half
/// again in the 53.6 h left of the run", with `at` writing WHEN; empty for a
/// run without relapses.
pub fn after_relapses_text(sh: &Shape, at: impl Fn(f64) -> String) -> String {
    match sh.after_relapses() {
        None => String::new(),
        Some(None) => "; below half of normal again at the end of the run".to_string(),
        Some(Some(h)) => format!(
            "; after the last relapse, back above 80% at {} and not below half again in the {:.1} h left of the run",
            at(h),
            sh.end_h - h
        ),
    }
}

pub fn shape_text(sh: &Shape) -> String {
    format!(
        "collapse to 10% of normal {} after the trigger; healed {}; relapses after climbing back above 80%: {}{}",
        sh.collapse_h.map_or("never".into(), |h| format!("{h:.1} h")),
        sh.recovered_h.map_or("never".into(), |h| format!("{h:.1} h after the trigger")),
        if sh.relapses.is_empty() {
            "none".to_string()
        } else {
            sh.relapses.iter().map(|h| format!("at {h:.1} h")).collect::<Vec<_>>().join(", ")
        },
        after_relapses_text(sh, |h| format!("{h:.1} h")),
    )
}

// ---- ablate -------------------------------------------------------------------

pub struct Ablation {
    pub preset: Preset,
    /// `None` for the preset as it is (with the user's changes, if any).
    pub rows: Vec<(Option<Mechanism>, Outcome)>,
    /// The preset was changed with `--set`.
    pub changed: bool,
    /// What a reader of a changed preset's table needs to know about its
    /// rows: a row left out, a row that repeats the first one, a value a row
    /// put over the changed preset's. Empty for the preset itself.
    pub notes: Vec<String>,
}

/// The preset (with `sets` applied, as `run --set` does) and then each
/// mechanism switched off in turn. A mechanism's off switch is applied after
/// `sets`, so it wins where both change the same parameter; the notes say
/// where that happened, which rows repeat the first one (the mechanism is
/// already off in the changed preset) and which could not be built.
pub fn ablation_runs(
    preset: Preset,
    peers: u32,
    seed: u64,
    sets: &[String],
    counter: Option<&Counter>,
) -> Result<Ablation> {
    check_study_sets(sets)?;
    let build = |extra: &[&str], with_sets: bool| {
        let mut all: Vec<&str> = if with_sets { sets.iter().map(String::as_str).collect() } else { Vec::new() };
        all.extend_from_slice(extra);
        let size = [format!("peers={peers}"), format!("seed={seed}")];
        all.extend(size.iter().map(String::as_str));
        build_scenario(Some(preset.key()), None, &all, None)
    };
    let base = build(&[], true)?;
    let plain = build(&[], false)?;
    let mut notes = Vec::new();
    // A row whose scenario is the base's (`None` here) takes the base's
    // outcome instead of running the same scenario again.
    let mut jobs: Vec<(Option<Mechanism>, Option<Scenario>)> = vec![(None, Some(base.clone()))];
    for &m in ablation::mechanisms(preset) {
        let off: Vec<&str> = m.off.split('&').collect();
        let scenario = match build(&off, true) {
            Ok(s) => s,
            Err(Failure::Input(e) | Failure::Run(e)) => {
                notes.push(format!("the row \"{}\" ({}) is left out: on the changed preset, {e}", m.name, m.off));
                continue;
            }
        };
        if scenario == base {
            notes.push(format!(
                "the row \"{}\" ({}) is already off in the changed preset: it repeats the first row",
                m.name, m.off
            ));
            jobs.push((Some(m), None));
            continue;
        }
        for key in off.iter().filter_map(|kv| kv.split_once('=').map(|(k, _)| k)) {
            let was = base.value_by_key(key);
            if was != scenario.value_by_key(key) && was != plain.value_by_key(key) {
                let text = |s: &Scenario| s.text_by_key(key).unwrap_or_default();
                notes.push(format!(
                    "the row \"{}\" sets {key}={}, over {key}={} of the changed preset",
                    m.name,
                    text(&scenario),
                    text(&base)
                ));
            }
        }
        jobs.push((Some(m), Some(scenario)));
    }
    let outcomes: Vec<Option<Outcome>> = jobs
        .par_iter()
        .map(|(_, scenario)| {
            let scenario = scenario.as_ref()?;
            let mut sim = Simulation::new(scenario);
            sim.run();
            if let Some(c) = counter {
                c.tick();
            }
            Some(ablation::outcome(&sim))
        })
        .collect();
    let base_outcome = outcomes[0].expect("the base row runs");
    if let Some(c) = counter {
        for _ in outcomes.iter().filter(|o| o.is_none()) {
            c.tick();
        }
    }
    let rows = jobs.iter().zip(outcomes).map(|((m, _), o)| (*m, o.unwrap_or(base_outcome))).collect();
    Ok(Ablation { preset, rows, changed: !sets.is_empty(), notes })
}

fn ablation_table(a: &Ablation, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out += "| switched off | outage | depth (lowest online / normal) | hours below half of normal | healed after (h) |\n|---|---|---:|---:|---:|\n";
    } else {
        let _ = writeln!(
            out,
            "{:<46} {:>7} {:>7} {:>11} {:>14}",
            "switched off", "outage", "depth", "hours down", "healed after h"
        );
    }
    let first = if a.changed { "nothing (the changed preset)" } else { "nothing (the preset)" };
    for (m, o) in &a.rows {
        let name = m.map_or(first.to_string(), |m| m.name.to_string());
        let healed = o.healed_after.map_or("never".to_string(), |h| format!("{h:.1}"));
        let outage = if o.outage { "yes" } else { "no" };
        if markdown {
            let _ = writeln!(out, "| {name} | {outage} | {:.3} | {:.1} | {healed} |", o.depth, o.hours_down);
        } else {
            let _ = writeln!(out, "{name:<46} {outage:>7} {:>7.3} {:>11.1} {healed:>14}", o.depth, o.hours_down);
        }
    }
    out
}

pub fn ablate(args: &[String]) -> Result<()> {
    let (mut preset, mut peers, mut seed) = (None, 100_000u32, 1u64);
    let mut sets: Vec<String> = Vec::new();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--preset" => preset = Some(historical_preset(flags.value(flag)?)?),
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--seed" => seed = check_seed(flags.value(flag)?)?,
            "--set" => sets.push(flags.value(flag)?.to_string()),
            other => return Err(input(format!("unknown option {other:?} for ablate"))),
        }
    }
    let preset = preset.ok_or_else(|| input("ablate needs --preset skype-2007 or --preset skype-2010"))?;
    let counter = Counter::new(ablation::mechanisms(preset).len() + 1, "ablation runs");
    let a = ablation_runs(preset, peers, seed, &sets, Some(&counter))?;
    let changed = if sets.is_empty() { String::new() } else { format!(", changed: {}", sets.join(" ")) };
    let mut out = format!(
        "ablation of {} ({peers} peers, seed {seed}{changed}): one mechanism switched off at a time\n",
        preset.key()
    );
    out += &ablation_table(&a, false);
    out += "\noutage: online below half of normal for an hour or more after the trigger\n";
    for line in &a.notes {
        let _ = writeln!(out, "note: {line}");
    }
    emit(out.as_bytes())
}

// ---- phase ------------------------------------------------------------------

pub const POLICY_KEYS: [&str; 3] = ["legacy-2007", "self-protect-2010", "resilient"];

/// Outcomes of one cell, ordered from the best to the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Heal {
    NoOutage,
    Within24,
    Within48,
    Not48,
    /// The restart rate is beyond what this wave allows.
    Impossible,
}

impl Heal {
    fn symbol(self) -> &'static str {
        match self {
            Heal::NoOutage => ".",
            Heal::Within24 => "1",
            Heal::Within48 => "2",
            Heal::Not48 => "X",
            Heal::Impossible => " ",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Heal::NoOutage => "no outage",
            Heal::Within24 => "heals within 24 h of the wave",
            Heal::Within48 => "within 48 h",
            Heal::Not48 => "not within 48 h",
            Heal::Impossible => "rate not reachable",
        }
    }
    fn color(self) -> plotters::style::RGBColor {
        match self {
            Heal::NoOutage => figures::SKY,
            Heal::Within24 => figures::GREEN,
            Heal::Within48 => figures::ORANGE,
            Heal::Not48 => figures::VERMILION,
            Heal::Impossible => plotters::style::RGBColor(240, 240, 240),
        }
    }
}

/// One run of a phase-map cell: its outcome and the hours from the end of
/// the wave until it healed.
pub type PhaseRun = (Heal, Option<f64>);

pub struct Phase {
    pub policy: &'static str,
    pub rates: Vec<f64>,
    pub capacities: Vec<u32>,
    pub seeds: Vec<u64>,
    /// `cells[capacity][rate][seed]`.
    pub cells: Vec<Vec<Vec<PhaseRun>>>,
}

impl Phase {
    /// A cell's outcomes from the best to the worst.
    pub fn sorted(cell: &[PhaseRun]) -> Vec<Heal> {
        let mut h: Vec<Heal> = cell.iter().map(|c| c.0).collect();
        h.sort();
        h
    }
    /// Whether some seeds of a cell do not heal within the window and
    /// others do (or have no outage): the cell is on the tipping line,
    /// where a run's outcome hangs on its random draws.
    pub fn tips(cell: &[PhaseRun]) -> bool {
        let failed = Phase::failed(cell);
        failed > 0 && failed < cell.len()
    }
    /// How many runs of a cell did not heal within the window.
    pub fn failed(cell: &[PhaseRun]) -> usize {
        cell.iter().filter(|c| c.0 == Heal::Not48).count()
    }
    /// The figure's label for a cell: the hours until healed over the seeds
    /// that healed (one value, or the range), "-" if none healed and some
    /// did not heal, nothing if every seed had no outage.
    pub fn label(cell: &[PhaseRun]) -> String {
        let healed = cell.iter().filter(|(h, _)| matches!(h, Heal::Within24 | Heal::Within48)).filter_map(|(_, t)| *t);
        match min_max(healed) {
            Some(range) => format!("{} h", range_text(range, 0)),
            None if cell.iter().any(|(h, _)| *h == Heal::Not48) => "-".into(),
            None => String::new(),
        }
    }
}

pub const PHASE_RATES: [f64; 8] = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.8];
pub const PHASE_CAPACITIES: [u32; 7] = [260, 300, 350, 400, 500, 600, 800];
/// Simulated hours after the trigger that count.
pub const PHASE_HOURS_AFTER: i64 = 48;
/// Seeds per cell by default: one run per cell showed single cells out of
/// line with their neighbours (self-protect-2010 at 6.8 %/h: capacity 300
/// failed, 260 had no outage, yet seeds 2-4 at 260 never heal).
pub const PHASE_SEEDS: u64 = 3;

pub fn phase_runs(
    policies: &[&'static str],
    rates: &[f64],
    capacities: &[u32],
    peers: u32,
    seeds: &[u64],
) -> Vec<Phase> {
    let trigger_offset = {
        let s = Scenario::preset(Preset::Skype2007);
        (s.time(patchstorm::scenario::P::Trigger) - s.time(patchstorm::scenario::P::Start)) / 3_600
    };
    let jobs: Vec<(usize, usize, usize, usize)> = (0..policies.len())
        .flat_map(|p| {
            (0..capacities.len())
                .flat_map(move |c| (0..rates.len()).flat_map(move |r| (0..seeds.len()).map(move |k| (p, c, r, k))))
        })
        .collect();
    let counter = Counter::new(jobs.len(), "phase-map runs");
    let results: Vec<(usize, usize, usize, usize, Heal, Option<f64>)> = jobs
        .par_iter()
        .map(|&(p, c, r, k)| {
            let q = format!(
                "preset=skype-2007&policy={}&peers={peers}&seed={}&restart_rate={}&sn_capacity={}",
                policies[p], seeds[k], rates[r], capacities[c]
            );
            let result = match Scenario::parse_query(&q).and_then(|mut s| {
                // A slow wave lasts for days (its restarts are spread over
                // `spread`); run until 48 h after its last restarts could come:
                // the spread plus a day for the time zones' 3:00 and mornings.
                let spread_h = patchstorm::trigger::plan_wave(&s).spread / patchstorm::time::HOUR;
                let hours = (trigger_offset + spread_h as i64 + 24 + PHASE_HOURS_AFTER).min(336);
                s.set("hours", &hours.to_string())?;
                s.validate()?;
                Ok(s)
            }) {
                Err(_) => (Heal::Impossible, None),
                Ok(s) => {
                    let mut sim = Simulation::new(&s);
                    sim.run();
                    let o = ablation::outcome(&sim);
                    // Judged from the end of the wave, not from its start: when
                    // 95% of its restarts have happened (a few PCs stay off for
                    // days and restart when they next boot).
                    let trigger_h = sim.config().trigger as f64 / 3_600_000.0;
                    let total: f64 = sim.series().iter().map(|x| x.restarts_ps).sum();
                    let mut seen = 0.0;
                    let wave_end = sim
                        .series()
                        .iter()
                        .find(|x| {
                            seen += x.restarts_ps;
                            seen >= 0.95 * total
                        })
                        .map_or(0.0, |x| (x.t_hours - trigger_h).max(0.0));
                    let after_wave = o.healed_after.map(|h| (h - wave_end).max(0.0));
                    let heal = match (o.outage, after_wave) {
                        (false, _) => Heal::NoOutage,
                        (true, Some(h)) if h <= 24.0 => Heal::Within24,
                        (true, Some(h)) if h <= PHASE_HOURS_AFTER as f64 => Heal::Within48,
                        _ => Heal::Not48,
                    };
                    (heal, after_wave)
                }
            };
            counter.tick();
            (p, c, r, k, result.0, result.1)
        })
        .collect();
    policies
        .iter()
        .enumerate()
        .map(|(p, &policy)| {
            let mut cells = vec![vec![vec![(Heal::Impossible, None); seeds.len()]; rates.len()]; capacities.len()];
            for &(pp, c, r, k, heal, h) in &results {
                if pp == p {
                    cells[c][r][k] = (heal, h);
                }
            }
            Phase { policy, rates: rates.to_vec(), capacities: capacities.to_vec(), seeds: seeds.to_vec(), cells }
        })
        .collect()
}

fn phase_table(ph: &Phase) -> String {
    let seeds = match ph.seeds.as_slice() {
        [one] => format!("seed {one}"),
        many => format!("one symbol per seed ({})", seed_list(many)),
    };
    let mut out =
        format!("policy {}: rows supernode capacity (clients), columns restart rate (%/h), {seeds}\n", ph.policy);
    let width = (ph.seeds.len() + 2).max(6);
    let _ = write!(out, "{:>10}", "");
    for r in &ph.rates {
        let _ = write!(out, "{r:>width$}");
    }
    out.push('\n');
    for (c, row) in ph.capacities.iter().zip(&ph.cells).rev() {
        let _ = write!(out, "{c:>10}");
        for cell in row {
            let symbols: String = Phase::sorted(cell).iter().map(|h| h.symbol()).collect();
            let _ = write!(out, "{:>width$}", symbols.trim_end());
        }
        // An unreachable rate in the last column leaves only padding.
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}

/// The legend under the tables, for a map of `seeds` seeds per cell.
pub fn phase_legend(seeds: usize) -> String {
    let mut legend =
        ". no outage   1 heals within 24 h   2 heals within 48 h   X not healed 48 h after the end of the wave   \
                      (empty: rate not reachable)"
            .to_string();
    if seeds > 1 {
        legend += "\none symbol per seed, best first: \"..X\" is two seeds without an outage and one not healed";
    }
    legend
}

pub fn phase(args: &[String]) -> Result<()> {
    let mut peers = 20_000u32;
    let mut policies: Vec<&'static str> = POLICY_KEYS.to_vec();
    let mut seeds: Vec<u64> = (1..=PHASE_SEEDS).collect();
    let mut rates = PHASE_RATES.to_vec();
    let mut capacities = PHASE_CAPACITIES.to_vec();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--policy" => {
                let v = flags.value(flag)?;
                policies = if v == "all" {
                    POLICY_KEYS.to_vec()
                } else {
                    vec![*POLICY_KEYS
                        .iter()
                        .find(|p| **p == v)
                        .ok_or_else(|| input(format!("--policy {v}: use all, {}", POLICY_KEYS.join(", "))))?]
                };
            }
            "--rates" => rates = parse_list(flag, flags.value(flag)?)?,
            "--capacities" => capacities = parse_list(flag, flags.value(flag)?)?,
            "--seed" => seeds = vec![check_seed(flags.value(flag)?)?],
            "--seeds" => seeds = seed_count(flag, flags.value(flag)?)?,
            other => return Err(input(format!("unknown option {other:?} for phase"))),
        }
    }
    for r in &rates {
        build_scenario(None, None, &[&format!("restart_rate={r}")], None).or_else(|e| match e {
            // Too fast for this wave is shown as an empty cell, not refused.
            Failure::Input(m) if m.contains("cannot go faster") => Ok(Scenario::default()),
            other => Err(other),
        })?;
    }
    for c in &capacities {
        build_scenario(None, None, &[&format!("sn_capacity={c}")], None)?;
    }
    let maps = phase_runs(&policies, &rates, &capacities, peers, &seeds);
    let mut out = format!("phase map of the 2007 restart wave ({peers} peers), healing counted from the end of the wave (when 95% of its restarts have happened)\n");
    for m in &maps {
        out += &phase_table(m);
        out.push('\n');
    }
    out += &phase_legend(seeds.len());
    out.push('\n');
    emit(out.as_bytes())
}

// ---- report -----------------------------------------------------------------

pub const REPORT_PEERS: u32 = 100_000;
pub const REPORT_PHASE_PEERS: u32 = 20_000;
pub const REPORT_SCALE_PEERS: u32 = 1_000_000;
/// Seeds of each historical preset held against the record one by one.
pub const DRAW_SEEDS: u64 = 40;

pub fn report(args: &[String]) -> Result<()> {
    let mut out_dir = PathBuf::from(".");
    let (mut peers, mut phase_peers, mut scale_peers) = (REPORT_PEERS, REPORT_PHASE_PEERS, REPORT_SCALE_PEERS);
    let mut seeds: Vec<u64> = (1..=VALIDATION_SEEDS).collect();
    let mut phase_seeds: Vec<u64> = (1..=PHASE_SEEDS).collect();
    let mut draw_seeds: Vec<u64> = (1..=DRAW_SEEDS).collect();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--out" => out_dir = PathBuf::from(flags.value(flag)?),
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--phase-peers" => phase_peers = check_peers(flag, flags.value(flag)?)?,
            "--scale-peers" => scale_peers = check_peers(flag, flags.value(flag)?)?,
            "--seeds" => seeds = seed_count(flag, flags.value(flag)?)?,
            "--phase-seeds" => phase_seeds = seed_count(flag, flags.value(flag)?)?,
            "--draw-seeds" => draw_seeds = seed_count(flag, flags.value(flag)?)?,
            other => return Err(input(format!("unknown option {other:?} for report"))),
        }
    }
    if !out_dir.is_dir() {
        return Err(input(format!("--out {}: the folder does not exist", out_dir.display())));
    }
    if scale_peers <= peers {
        return Err(input(format!(
            "--scale-peers {scale_peers} is not allowed: the scale check repeats the comparison at a larger \
             population, so --scale-peers must be more than --peers ({peers})"
        )));
    }
    let fig_dir = out_dir.join("docs").join("figures");
    std::fs::create_dir_all(&fig_dir).map_err(|e| Failure::Run(format!("creating {}: {e}", fig_dir.display())))?;

    let started = std::time::Instant::now();
    let mut notes = Vec::new();
    // The tables' seeds and the draws' seeds overlap (1-4 of 1-40 by
    // default): each seed is run once and serves both.
    let mut all_seeds = seeds.clone();
    all_seeds.extend(draw_seeds.iter().filter(|s| !seeds.contains(s)));
    let historical = [Preset::Skype2007, Preset::Skype2010];
    eprintln!(
        "validation: skype-2007 and skype-2010 at {peers} peers, {} seeds for the tables and {} as draws of the \
         record ({} runs of each)",
        seeds.len(),
        draw_seeds.len(),
        all_seeds.len()
    );
    let counter = Counter::new(historical.len() * all_seeds.len(), "validation runs");
    let runs = seed_runs(&historical, peers, &all_seeds, &[], Some(&counter))?;
    let validations = validations_of(&runs, &historical, peers, &seeds);
    let draws = validations_of(&runs, &historical, peers, &draw_seeds);
    drop(runs);
    let counter = Counter::new(ALTERNATIVES_2007.len(), "calibration alternatives (skype-2007)");
    let preset_2007 = validations.iter().find(|v| v.preset == Preset::Skype2007).expect("validated above");
    let alternatives = alternative_runs(preset_2007, Some(&counter))?;
    let counter = Counter::new(scale_checks(&validations), "scale check");
    let scale = scale_runs(&validations, scale_peers, Some(&counter))?;
    let presets = [Preset::Skype2007, Preset::Skype2010];
    let total: usize = presets.iter().map(|p| ablation::mechanisms(*p).len() + 1).sum();
    let counter = Counter::new(total, "ablation runs");
    let ablations: Vec<Ablation> =
        presets.iter().map(|&p| ablation_runs(p, peers, 1, &[], Some(&counter))).collect::<Result<_>>()?;
    let maps = phase_runs(&POLICY_KEYS, &PHASE_RATES, &PHASE_CAPACITIES, phase_peers, &phase_seeds);

    for v in &validations {
        let svg = validation_figure(v)?;
        notes.extend(figures::write(&fig_dir, &format!("validation-{}", v.preset.key()), &svg)?);
    }
    if let Some(v) = validations.iter().find(|v| v.preset == Preset::Skype2007) {
        let svg = core_figure(v)?;
        notes.extend(figures::write(&fig_dir, "core-skype-2007", &svg)?);
    }
    for a in &ablations {
        let svg = ablation_figure(a)?;
        notes.extend(figures::write(&fig_dir, &format!("ablation-{}", a.preset.key()), &svg)?);
    }
    for m in &maps {
        let svg = phase_figure(m, phase_peers)?;
        notes.extend(figures::write(&fig_dir, &format!("phase-{}", m.policy), &svg)?);
    }
    // The command that writes this copy again: the sizes that differ from the defaults.
    let mut command_flags = String::new();
    for (flag, value, default) in [
        ("--peers", peers as u64, REPORT_PEERS as u64),
        ("--seeds", seeds.len() as u64, VALIDATION_SEEDS),
        ("--phase-peers", phase_peers as u64, REPORT_PHASE_PEERS as u64),
        ("--phase-seeds", phase_seeds.len() as u64, PHASE_SEEDS),
        ("--draw-seeds", draw_seeds.len() as u64, DRAW_SEEDS),
        ("--scale-peers", scale_peers as u64, REPORT_SCALE_PEERS as u64),
    ] {
        if value != default {
            let _ = write!(command_flags, " {flag} {value}");
        }
    }
    let sizes = super::report_text::ReportSizes { peers, phase_peers, flags: command_flags };
    let md = super::report_text::validation_md(&validations, &draws, &alternatives, &scale, &ablations, &maps, &sizes);
    let md_path = out_dir.join("VALIDATION.md");
    std::fs::write(&md_path, md).map_err(|e| Failure::Run(format!("writing {}: {e}", md_path.display())))?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    eprintln!("wrote {} and {} in {:.0} s", md_path.display(), fig_dir.display(), started.elapsed().as_secs_f64());
    Ok(())
}

fn validation_figure(v: &Validation) -> Result<String> {
    let t0 = v.trigger_h;
    let mut lines: Vec<Series> = v
        .series
        .iter()
        .zip(&v.seeds)
        .map(|(s, seed)| Series {
            name: if *seed == v.seeds[0] {
                "simulated online / normal, one line per seed".into()
            } else {
                String::new()
            },
            color: figures::SKY,
            points: s.iter().map(|&(t, r)| (t - t0, r)).collect(),
        })
        .collect();
    let n = v.series.len() as f64;
    let mean: Vec<(f64, f64)> = (0..v.series[0].len())
        .map(|i| (v.series[0][i].0 - t0, v.series.iter().map(|s| s.get(i).map_or(0.0, |p| p.1)).sum::<f64>() / n))
        .collect();
    lines.push(Series { name: "mean over the seeds".into(), color: figures::BLUE, points: mean });
    let published = Series {
        name: "published (Skype's counter) / normal".into(),
        color: figures::VERMILION,
        points: v.rows.iter().map(|r| (r.t_hours - t0, r.published_share)).collect(),
    };
    let title = match v.preset {
        Preset::Skype2010 => "December 2010: online share of normal, simulated and published",
        _ => "August 2007: online share of normal, simulated and published",
    };
    figures::lines(
        title,
        "hours after the trigger",
        "online / normal",
        // Room above the runs (which end at 1.0, normal) for the legend.
        1.5,
        &lines,
        &[published],
        &[(0.0, " trigger")],
    )
}

/// Hours of the 2007 outage the core figure shows, after the trigger.
pub const CORE_HOURS: (f64, f64) = (8.0, 64.0);

/// The first seed's supernode core through the 2007 outage: what the
/// relapses have in common.
fn core_figure(v: &Validation) -> Result<String> {
    let t0 = v.trigger_h;
    let inside = |c: &&Core| (CORE_HOURS.0..=CORE_HOURS.1).contains(&(c.t_hours - t0));
    let line = |name: &str, color, f: fn(&Core) -> f64| Series {
        name: name.into(),
        color,
        points: v.core.iter().filter(inside).map(|c| (c.t_hours - t0, f(c))).collect(),
    };
    let lines = [
        line("client places on live supernodes (overloaded ones too)", figures::GREEN, |c| c.slots),
        line("peers that need a supernode (connected + searching)", figures::ORANGE, |c| c.demand),
        line("online", figures::BLUE, |c| c.online),
        line("connection attempts per live supernode / what a typical one handles", figures::PURPLE, |c| c.attempts),
    ];
    // Room for the attempts, which can reach several times what a supernode handles.
    let top = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let y_max = ((top * 1.1 * 4.0).ceil() / 4.0).max(1.75);
    let published = Series {
        name: "published online".into(),
        color: figures::VERMILION,
        points: v
            .rows
            .iter()
            .map(|r| (r.t_hours - t0, r.published_share))
            .filter(|p| (CORE_HOURS.0..=CORE_HOURS.1).contains(&p.0))
            .collect(),
    };
    figures::lines(
        &format!("August 2007, seed {}: the supernode core and the peers it must carry", v.seeds[0]),
        "hours after the trigger",
        "count / normal online count (attempts: / capacity)",
        y_max,
        &lines,
        &[published],
        &[],
    )
}

/// How the first seed's core meets the demand after its collapse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoreCrossing {
    /// The most the peers needing a supernode reach, as a multiple of the
    /// places on the core, between the collapse and the crossing.
    pub peak_ratio: f64,
    /// Hours after the trigger when the places pass the demand for good
    /// (for the rest of the run).
    pub crossed_h: f64,
    /// The most connection attempts per live supernode reach between the
    /// crossing and `calm_h` (after the collapse, if they calm before the
    /// crossing), over what a typical supernode handles.
    pub peak_attempts: f64,
    /// Hours after the trigger when that load comes down to what a typical
    /// supernode handles, for good; `None` if it does not within the run.
    pub calm_h: Option<f64>,
    /// Places per peer that needs one at the end of the core figure.
    pub spare_at_end: f64,
}

/// `None` when the first seed does not collapse or its core never passes
/// the demand for good.
pub fn core_crossing(v: &Validation) -> Option<CoreCrossing> {
    let t0 = v.trigger_h;
    let collapse = v.shapes.first()?.collapse_h?;
    let after: Vec<&Core> = v.core.iter().filter(|c| c.t_hours - t0 >= collapse && c.slots > 0.0).collect();
    let last_short = after.iter().rposition(|c| c.demand > c.slots)?;
    let crossed = after.get(last_short + 1)?;
    let peak_ratio = after[..=last_short].iter().map(|c| c.demand / c.slots).fold(0.0, f64::max);
    let calm_h = match after.iter().rposition(|c| c.attempts > 1.0) {
        None => after.first().map(|c| c.t_hours - t0),
        Some(i) => after.get(i + 1).map(|c| c.t_hours - t0),
    };
    let crossed_h = crossed.t_hours - t0;
    let from = match calm_h {
        Some(calm) if calm <= crossed_h => collapse,
        _ => crossed_h,
    };
    let to = calm_h.unwrap_or(f64::INFINITY);
    let peak_attempts =
        after.iter().filter(|c| (from..=to).contains(&(c.t_hours - t0))).map(|c| c.attempts).fold(0.0, f64::max);
    let end = after.iter().rev().find(|c| c.t_hours - t0 <= CORE_HOURS.1)?;
    Some(CoreCrossing {
        peak_ratio,
        crossed_h,
        peak_attempts,
        calm_h,
        spare_at_end: if end.demand > 0.0 { end.slots / end.demand } else { f64::INFINITY },
    })
}

/// For each relapse of the first seed, the most the peers needing a
/// supernode reached, as a share of the client places, in the hour before.
pub fn demand_at_relapses(v: &Validation) -> Vec<(f64, f64)> {
    let t0 = v.trigger_h;
    v.shapes[0]
        .relapses
        .iter()
        .map(|&r| {
            let peak = v
                .core
                .iter()
                .filter(|c| (r - 1.0..=r).contains(&(c.t_hours - t0)) && c.slots > 0.0)
                .map(|c| c.demand / c.slots)
                .fold(0.0, f64::max);
            (r, peak)
        })
        .collect()
}

fn ablation_figure(a: &Ablation) -> Result<String> {
    let rows: Vec<(String, f64, plotters::style::RGBColor, String)> = a
        .rows
        .iter()
        .map(|(m, o)| {
            let name = m.map_or("nothing (the preset)".to_string(), |m| format!("without {}", m.name));
            let color = if o.outage { figures::VERMILION } else { figures::GREEN };
            let healed = o.healed_after.map_or("never healed".to_string(), |h| format!("healed after {h:.0} h"));
            let note = format!("{:.0} h down, lowest {:.0}% of normal, {healed}", o.hours_down, o.depth * 100.0);
            (name, o.hours_down, color, note)
        })
        .collect();
    // Room to the right of the longest bar for its note.
    let max = rows.iter().map(|r| r.1).fold(1.0, f64::max) * 1.9;
    figures::bars(
        &format!("{}: hours with online below half of normal, one mechanism off at a time", a.preset.key()),
        "hours below half of normal after the trigger",
        max,
        &rows,
    )
}

fn phase_figure(m: &Phase, peers: u32) -> Result<String> {
    let xs: Vec<String> = m.rates.iter().map(|r| format!("{r}")).collect();
    let ys: Vec<String> = m.capacities.iter().map(|c| format!("{c}")).collect();
    let cells: Vec<Vec<figures::Cell>> = m
        .cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| figures::Cell {
                    stripes: Phase::sorted(cell).iter().map(|h| h.color()).collect(),
                    text: Phase::label(cell),
                })
                .collect()
        })
        .collect();
    let legend: Vec<(plotters::style::RGBColor, &str)> =
        [Heal::NoOutage, Heal::Within24, Heal::Within48, Heal::Not48].iter().map(|h| (h.color(), h.name())).collect();
    let seeds = seeds_label(&m.seeds);
    let note = if m.seeds.len() == 1 { "" } else { "one stripe per seed, best first" };
    figures::heatmap(
        &format!("{}: healing after the 2007 wave ({peers} peers, {seeds})", m.policy),
        "restart rate (% of peers per hour, peak)",
        "supernode capacity (clients)",
        &xs,
        &ys,
        &cells,
        &figures::Legend { classes: &legend, note },
    )
}

/// For the report text: Markdown tables.
pub fn validation_markdown(v: &Validation) -> String {
    validation_table(v, true)
}
pub fn ablation_markdown(a: &Ablation) -> String {
    ablation_table(a, true)
}
pub fn phase_text(m: &Phase) -> String {
    phase_table(m)
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
        assert!(shape_text(&sh).ends_with(
            "after the last relapse, back above 80% at 6.0 h and not below half again in the 2.0 h left of the run"
        ));
        // Ending low: not back for good within the run, whether the run ends
        // between half and 80% or on a relapse.
        let sh = shape_of(&after[..6], None);
        assert_eq!(sh.for_good_h, None);
        assert!(shape_text(&sh).ends_with("below half of normal again at the end of the run"));
        let sh = shape_of(&after[..5], None);
        assert_eq!((sh.relapses.clone(), sh.for_good_h), (vec![4.0], None));
        // No relapse: back for good is when it is first back, and the text
        // does not repeat it.
        let once: Vec<(f64, f64)> = [1.0, 0.05, 0.9].iter().enumerate().map(|(i, &r)| (i as f64, r)).collect();
        let sh = shape_of(&once, Some(2.0));
        assert_eq!(sh.for_good_h, Some(2.0));
        assert!(!shape_text(&sh).contains("for good"));
        // No collapse: nothing to be back from.
        let calm: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 0.45 + 0.1 * i as f64)).collect();
        let sh = shape_of(&calm, Some(0.0));
        assert_eq!((sh.collapse_h, sh.for_good_h), (None, None));
        assert!(!shape_text(&sh).contains("for good"));
    }
}

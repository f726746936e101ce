//! The studies' runs, on all cores (rayon): a scenario per job, run to its
//! end, and what the evidence keeps of it. What a finished run means is the
//! library's (`patchstorm::evidence`); this file only builds the jobs, runs
//! them and counts them on a progress bar.

use rayon::prelude::*;

use patchstorm::evidence::ablation::{self, Mechanism, Outcome};
use patchstorm::evidence::phase::{self, Heal, MapJob, MapOutcome, MapPlan, Phase, PhaseRun};
use patchstorm::evidence::record;
use patchstorm::evidence::seeds::{validations_of, SeedRun, Validation};
use patchstorm::evidence::study::{ALTERNATIVES_2007, SCALE_CHANGES_2007, VALIDATION_EXTRA_HOURS};
use patchstorm::policy::Policy;
use patchstorm::scenario::{Preset, Scenario, Value, P};
use patchstorm::{Run, Simulation};

use super::progress::Counter;
use super::{build_unchecked, input, parse_sets, Result};

/// Runs a scenario to its end; its record.
fn run_to_end(scenario: &Scenario) -> Run {
    let mut sim = Simulation::new(scenario);
    sim.run();
    Run::of(&sim)
}

/// The key of a `--set KEY=VALUE` (all of it when there is no `=`; the
/// scenario refuses that later with its own message).
fn set_key(set: &str) -> &str {
    set.split_once('=').map_or(set, |(k, _)| k).trim()
}

/// A study's `--set` may change any parameter but the ones its own flags give.
pub fn check_study_sets(sets: &[String]) -> Result<()> {
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
pub fn validation_scenario(preset: Preset, peers: u32, seed: u64, sets: &[String]) -> Result<Scenario> {
    check_study_sets(sets)?;
    // `--set v=N` (validate's own, or the report's `v=2` rows) reads the
    // preset as a link of that format.
    let link = sets.iter().find(|set| set_key(set) == "v").map(String::as_str);
    let sets: Vec<&str> = sets.iter().filter(|set| set_key(set) != "v").map(String::as_str).collect();
    let hours_given = sets.iter().any(|set| set_key(set) == "hours");
    let mut s = build_unchecked(Some(preset.key()), link, &sets, None)?;
    let bad = |e: patchstorm::ScenarioError| input(e.to_string());
    // Only the presets with a published record; calm-day keeps its one day.
    if !hours_given && record::dataset_for(preset).is_some() {
        let hours = Scenario::preset(preset).int(P::Hours) + VALIDATION_EXTRA_HOURS;
        s.set_value(P::Hours, Value::Int(hours)).map_err(bad)?;
    }
    s.set_value(P::Peers, Value::Int(i64::from(peers))).map_err(bad)?;
    s.set_value(P::Seed, Value::Int(seed as i64)).map_err(bad)?;
    s.validate().map_err(bad)?;
    Ok(s)
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
pub fn seed_runs(
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
            let run = run_to_end(scenario);
            if let Some(c) = counter {
                c.tick();
            }
            SeedRun::of(*preset, *seed, &run)
        })
        .collect())
}

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
        let calm = run_to_end(&validation_scenario(Preset::CalmDay, peers, 1, &sets_of(change))?);
        let calm_min = calm.series.iter().map(|s| s.online_share / s.normal_share).fold(f64::INFINITY, f64::min);
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
        changes.extend(SCALE_CHANGES_2007.iter().copied());
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

pub struct Ablation {
    pub preset: Preset,
    /// `None` for the preset as it is (with the user's changes, if any).
    pub rows: Vec<(Option<Mechanism>, Outcome)>,
    /// The preset was changed with `--set`.
    pub changed: bool,
    /// What a reader of a changed preset's table needs to know about its
    /// rows (`evidence::ablation::Plan::notes`).
    pub notes: Vec<String>,
}

/// The ablation of `preset` (`evidence::ablation::plan`), its rows run on all cores.
pub fn ablation_runs(
    preset: Preset,
    peers: u32,
    seed: u64,
    sets: &[String],
    counter: Option<&Counter>,
) -> Result<Ablation> {
    check_study_sets(sets)?;
    let pairs = parse_sets(&sets.iter().map(String::as_str).collect::<Vec<_>>())?;
    let plan = ablation::plan(preset, peers, seed, &pairs).map_err(|e| input(e.to_string()))?;
    let outcomes: Vec<Option<Outcome>> = plan
        .rows
        .par_iter()
        .map(|(_, scenario)| {
            let run = run_to_end(scenario.as_ref()?);
            if let Some(c) = counter {
                c.tick();
            }
            Some(ablation::outcome(&run))
        })
        .collect();
    let base_outcome = outcomes[0].expect("the base row runs");
    if let Some(c) = counter {
        for _ in outcomes.iter().filter(|o| o.is_none()) {
            c.tick();
        }
    }
    let rows = plan.rows.iter().zip(outcomes).map(|((m, _), o)| (*m, o.unwrap_or(base_outcome))).collect();
    Ok(Ablation { preset, rows, changed: plan.changed, notes: plan.notes })
}

/// The phase maps of `policies` over `rates` by `capacities`, one run per
/// seed a cell, on all cores (`evidence::phase` builds and classifies each).
pub fn phase_runs(policies: &[Policy], rates: &[f64], capacities: &[u32], peers: u32, seeds: &[u64]) -> Vec<Phase> {
    let jobs: Vec<(usize, usize, usize, usize)> = (0..policies.len())
        .flat_map(|p| {
            (0..capacities.len())
                .flat_map(move |c| (0..rates.len()).flat_map(move |r| (0..seeds.len()).map(move |k| (p, c, r, k))))
        })
        .collect();
    let counter = Counter::new(jobs.len(), "phase-map runs");
    let results: Vec<(usize, usize, usize, usize, PhaseRun)> = jobs
        .par_iter()
        .map(|&(p, c, r, k)| {
            let values =
                [(P::RestartRate, Value::Float(rates[r])), (P::SnCapacity, Value::Int(i64::from(capacities[c])))];
            let result = match phase::cell_scenario(policies[p], peers, seeds[k], &values) {
                Err(_) => (Heal::Impossible, None),
                Ok(s) => phase::classify(&run_to_end(&s)),
            };
            counter.tick();
            (p, c, r, k, result)
        })
        .collect();
    policies
        .iter()
        .enumerate()
        .map(|(p, &policy)| {
            let mut cells = vec![vec![vec![(Heal::Impossible, None); seeds.len()]; rates.len()]; capacities.len()];
            for &(pp, c, r, k, result) in &results {
                if pp == p {
                    cells[c][r][k] = result;
                }
            }
            Phase { policy, rates: rates.to_vec(), capacities: capacities.to_vec(), seeds: seeds.to_vec(), cells }
        })
        .collect()
}

/// The runs of a map that `jobs` names, on all cores: each one's class, and
/// its digest and link (a cell that cannot be made is `Heal::Impossible`).
pub fn map_runs(plan: &MapPlan, jobs: &[MapJob]) -> Vec<MapOutcome> {
    let counter = Counter::new(jobs.len(), "map runs");
    let out = jobs
        .par_iter()
        .map(|job| {
            let outcome = match plan.scenario(job) {
                Err(_) => MapOutcome { heal: Heal::Impossible, after_wave_hours: None, digest: None, query: None },
                Ok(s) => {
                    let run = run_to_end(&s);
                    let (heal, after_wave_hours) = phase::classify(&run);
                    MapOutcome { heal, after_wave_hours, digest: Some(run.digest_text()), query: Some(s.to_query()) }
                }
            };
            counter.tick();
            outcome
        })
        .collect();
    out
}

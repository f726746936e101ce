//! Phase maps: where the 2007 restart wave heals quickly, slowly or not at
//! all. A cell is the `skype-2007` preset under one policy with some values
//! changed (the restart rate and the supernode capacity, in the report's
//! map), run long enough to see the end of its wave and two days after; its
//! class is read from the finished run. `patchstorm phase` and the page's
//! map both classify cells here, with the thresholds of `study`.

use super::ablation;
use super::run::Run;
use super::seeds::min_max;
use super::study::{PHASE_HOURS_AFTER, PHASE_QUICK_HOURS, WAVE_END_SHARE};
use super::words::range_text;
use crate::policy::{Choice, Policy};
use crate::scenario::{params, Preset, Scenario, ScenarioError, Value, P};
use crate::time::HOUR;

/// Outcomes of one cell, ordered from the best to the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Heal {
    NoOutage,
    /// Heals within `PHASE_QUICK_HOURS` of the end of the wave.
    Within24,
    /// Heals within `PHASE_HOURS_AFTER` of it.
    Within48,
    Not48,
    /// The cell's values cannot make a scenario (a restart rate beyond what
    /// this wave allows).
    Impossible,
}

impl Heal {
    /// Every class, best first.
    pub const ALL: [Heal; 5] = [Heal::NoOutage, Heal::Within24, Heal::Within48, Heal::Not48, Heal::Impossible];

    /// The table's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Heal::NoOutage => ".",
            Heal::Within24 => "1",
            Heal::Within48 => "2",
            Heal::Not48 => "X",
            Heal::Impossible => " ",
        }
    }
    /// The legend's words.
    pub fn name(self) -> &'static str {
        match self {
            Heal::NoOutage => "no outage",
            Heal::Within24 => "heals within 24 h of the wave",
            Heal::Within48 => "within 48 h",
            Heal::Not48 => "not within 48 h",
            Heal::Impossible => "rate not reachable",
        }
    }
    /// A key for files and the page: `no-outage`, `quick`, `slow`, `not-healed`, `impossible`.
    pub fn key(self) -> &'static str {
        match self {
            Heal::NoOutage => "no-outage",
            Heal::Within24 => "quick",
            Heal::Within48 => "slow",
            Heal::Not48 => "not-healed",
            Heal::Impossible => "impossible",
        }
    }
}

/// One run of a phase-map cell: its outcome and the hours from the end of
/// the wave until it healed.
pub type PhaseRun = (Heal, Option<f64>);

/// The scenario of one cell: `skype-2007` under `policy` at `peers` and
/// `seed`, with `values` set, long enough to see the wave end and
/// `PHASE_HOURS_AFTER` after it. A slow wave lasts for days (its restarts
/// are spread over `spread`); the run goes on until 48 h after its last
/// restarts could come: the spread plus a day for the time zones' 3:00 and
/// mornings, at most the longest run. An error means the cell cannot be
/// made (`Heal::Impossible`).
pub fn cell_scenario(policy: Policy, peers: u32, seed: u64, values: &[(P, Value)]) -> Result<Scenario, ScenarioError> {
    cell_scenario_with(policy, peers, seed, |s| values.iter().try_for_each(|&(p, v)| s.set_value(p, v)))
}

/// [`cell_scenario`] with the cell's values as a link writes them, `(key,
/// value)`: the page's map, whose axes may be any numeric parameter.
pub fn cell_scenario_keyed(
    policy: Policy,
    peers: u32,
    seed: u64,
    values: &[(&str, &str)],
) -> Result<Scenario, ScenarioError> {
    cell_scenario_with(policy, peers, seed, |s| values.iter().try_for_each(|&(k, v)| s.set(k, v)))
}

fn cell_scenario_with(
    policy: Policy,
    peers: u32,
    seed: u64,
    set: impl FnOnce(&mut Scenario) -> Result<(), ScenarioError>,
) -> Result<Scenario, ScenarioError> {
    let mut s = Scenario::preset(Preset::Skype2007);
    let trigger_offset = (s.time(P::Trigger) - s.time(P::Start)) / 3_600;
    s.set_value(P::Policy, Value::Choice(policy.index()))?;
    s.set_value(P::Peers, Value::Int(i64::from(peers)))?;
    s.set_value(P::Seed, Value::Int(seed as i64))?;
    set(&mut s)?;
    let spread_h = crate::trigger::plan_wave(&s.wave_spec()).spread / HOUR;
    let hours = (trigger_offset + spread_h as i64 + 24 + PHASE_HOURS_AFTER).min(params::most_hours());
    s.set_value(P::Hours, Value::Int(hours))?;
    s.validate()?;
    Ok(s)
}

/// Hours after the trigger when the wave has ended: when
/// [`WAVE_END_SHARE`] of its restarts have happened (a few PCs stay off for
/// days and restart when they next boot).
pub fn wave_end_h(run: &Run) -> f64 {
    let trigger_h = run.trigger_h();
    let total: f64 = run.series.iter().map(|x| x.restarts_ps).sum();
    let mut seen = 0.0;
    run.series
        .iter()
        .find(|x| {
            seen += x.restarts_ps;
            seen >= WAVE_END_SHARE * total
        })
        .map_or(0.0, |x| (x.t_hours - trigger_h).max(0.0))
}

/// A finished cell's class, judged from the end of the wave, not from its
/// start, and the hours from the wave's end until it healed.
pub fn classify(run: &Run) -> PhaseRun {
    let o = ablation::outcome(run);
    let wave_end = wave_end_h(run);
    let after_wave = o.healed_after.map(|h| (h - wave_end).max(0.0));
    let heal = match (o.outage, after_wave) {
        (false, _) => Heal::NoOutage,
        (true, Some(h)) if h <= PHASE_QUICK_HOURS => Heal::Within24,
        (true, Some(h)) if h <= PHASE_HOURS_AFTER as f64 => Heal::Within48,
        _ => Heal::Not48,
    };
    (heal, after_wave)
}

/// A policy's map: restart rate by supernode capacity, several seeds a cell.
pub struct Phase {
    pub policy: Policy,
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

/// A map over any numeric parameter, as `patchstorm phase --axis` and the
/// page's map make it: restart rates (the columns) by the values of `axis`
/// (the rows), per policy, `seeds` a cell, each value as a link writes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapPlan {
    pub policies: Vec<String>,
    pub rates: Vec<String>,
    pub axis: String,
    pub values: Vec<String>,
    pub seeds: Vec<u64>,
    pub peers: u32,
}

/// One run of a map: where it sits and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct MapJob {
    /// Its place in the map's runs, policy by policy, row by row, column by column, seed by seed.
    pub index: usize,
    pub policy: Policy,
    pub rate: String,
    pub value: String,
    pub seed: u64,
}

impl MapPlan {
    /// Every run of the map, in the order of their indices.
    pub fn jobs(&self) -> Result<Vec<MapJob>, String> {
        let mut jobs = Vec::new();
        for key in &self.policies {
            let policy = *Policy::ALL
                .iter()
                .find(|p| p.key() == key)
                .ok_or_else(|| format!("policy {key}: use {}", Policy::KEYS.join(", ")))?;
            for value in &self.values {
                for rate in &self.rates {
                    for &seed in &self.seeds {
                        jobs.push(MapJob { index: jobs.len(), policy, rate: rate.clone(), value: value.clone(), seed });
                    }
                }
            }
        }
        Ok(jobs)
    }

    /// The scenario of a run (an error: the cell cannot be made, as a rate past the wave).
    pub fn scenario(&self, job: &MapJob) -> Result<Scenario, ScenarioError> {
        cell_scenario_keyed(
            job.policy,
            self.peers,
            job.seed,
            &[("restart_rate", job.rate.as_str()), (self.axis.as_str(), job.value.as_str())],
        )
    }

    /// The line of a finished run, as JSON lines hold it.
    pub fn line(&self, job: &MapJob, outcome: &MapOutcome) -> serde_json::Value {
        serde_json::json!({
            "index": job.index,
            "policy": job.policy.key(),
            "restart_rate": job.rate,
            "axis": self.axis,
            "value": job.value,
            "seed": job.seed,
            "class": outcome.heal.key(),
            "after_wave_hours": outcome.after_wave_hours,
            "digest": outcome.digest,
            "query": outcome.query,
        })
    }
}

/// What a map's run gave: its class, and its digest and link when it could be made.
#[derive(Clone, Debug, PartialEq)]
pub struct MapOutcome {
    pub heal: Heal,
    pub after_wave_hours: Option<f64>,
    pub digest: Option<String>,
    pub query: Option<String>,
}

/// Which runs of a map one machine takes: slice `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// `I/N`, 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text}: a shard is I/N, slice I of N, with 1 <= I <= N (such as 3/8)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the run of `index` is this shard's: runs are dealt out in turn.
    pub fn takes(self, index: usize) -> bool {
        index % self.count == self.index - 1
    }

    pub fn text(self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_cell_is_labelled_with_the_hours_of_the_runs_that_healed() {
        let label = |cell: &[(Heal, Option<f64>)]| Phase::label(cell);
        assert_eq!(label(&[(Heal::Within24, Some(12.2)), (Heal::Within48, Some(30.0))]), "12-30 h");
        assert_eq!(label(&[(Heal::Not48, None), (Heal::Within48, Some(25.0)), (Heal::Not48, None)]), "25 h");
        assert_eq!(label(&[(Heal::NoOutage, None), (Heal::Not48, None)]), "-");
        assert_eq!(label(&[(Heal::NoOutage, None), (Heal::NoOutage, None)]), "");
        assert_eq!(label(&[(Heal::Within24, Some(8.4)), (Heal::Within24, Some(7.6))]), "8 h");
    }

    #[test]
    fn shards_deal_every_run_to_exactly_one_slice() {
        assert_eq!(Shard::parse("3/8"), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).unwrap_err().contains("I/N"), "{bad}");
        }
        for n in 1..6 {
            for run in 0..40 {
                assert_eq!((1..=n).filter(|&i| Shard { index: i, count: n }.takes(run)).count(), 1);
            }
        }
    }

    #[test]
    fn a_map_plan_has_one_job_per_policy_row_column_and_seed() {
        let plan = MapPlan {
            policies: vec!["legacy-2007".into(), "resilient".into()],
            rates: vec!["3".into(), "6".into(), "9".into()],
            axis: "sn_capacity".into(),
            values: vec!["300".into(), "400".into()],
            seeds: vec![1, 2],
            peers: 2_000,
        };
        let jobs = plan.jobs().unwrap();
        assert_eq!(jobs.len(), 2 * 3 * 2 * 2);
        assert!(jobs.iter().enumerate().all(|(i, j)| j.index == i));
        assert!(plan.scenario(&jobs[0]).is_ok());
        assert!(plan.scenario(&jobs[4]).is_err(), "9 %/h is past the wave: {:?}", jobs[4]);
        let bad = MapPlan { policies: vec!["chaos".into()], ..plan };
        assert!(bad.jobs().unwrap_err().contains("resilient"));
    }

    #[test]
    fn a_cell_given_by_keys_is_the_cell_given_by_values() {
        let typed = [(P::RestartRate, Value::Float(3.0)), (P::SnCapacity, Value::Int(400))];
        let keyed = [("restart_rate", "3"), ("sn_capacity", "400")];
        for &policy in Policy::ALL.iter() {
            let a = cell_scenario(policy, 20_000, 2, &typed).unwrap();
            let b = cell_scenario_keyed(policy, 20_000, 2, &keyed).unwrap();
            assert_eq!(a.to_query(), b.to_query());
        }
        assert!(cell_scenario_keyed(Policy::Resilient, 2_000, 1, &[("restart_rate", "9")]).is_err());
        assert!(cell_scenario_keyed(Policy::Resilient, 2_000, 1, &[("no_such_key", "1")]).is_err());
    }

    #[test]
    fn a_rate_beyond_the_wave_is_an_impossible_cell() {
        let too_fast = [(P::RestartRate, Value::Float(9.0))];
        assert!(cell_scenario(Policy::Resilient, 2_000, 1, &too_fast).is_err());
        let s = cell_scenario(Policy::Resilient, 2_000, 1, &[(P::RestartRate, Value::Float(1.0))]).unwrap();
        assert_eq!(s.policy(), Policy::Resilient);
        assert!(s.int(P::Hours) > 96, "a slow wave runs for days: {}", s.int(P::Hours));
    }
}

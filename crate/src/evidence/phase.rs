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

//! A run's outcome as a value: what the evidence reads of a run, taken from
//! the engine once (or kept up to date as the run goes), so that nothing
//! downstream reaches into the engine. Runs made on other threads, in other
//! workers or on other machines can be compared the same way.

use crate::config::Config;
use crate::metrics::{self, Sample};
use crate::peer::STATES;
use crate::rhythm::NormalDay;
use crate::scenario::Scenario;
use crate::sim::Simulation;
use crate::time::{Millis, HOUR};

/// A run, finished or as far as it has gone: its scenario, its time series
/// and what its summary and digest are computed from.
#[derive(Clone, Debug)]
pub struct Run {
    pub scenario: Scenario,
    /// The scenario resolved (trigger time, sample interval, sizes).
    pub config: Config,
    /// One sample per sample interval, from the start.
    pub series: Vec<Sample>,
    /// What the daily rhythm alone gives this population at any time.
    pub normal: NormalDay,
    /// Simulated time reached.
    pub now: Millis,
    /// The run has reached its end.
    pub done: bool,
    pub events: u64,
    /// Peers per state at `now`, in the order of `peer::STATES`.
    pub state_counts: [u64; STATES.len()],
    /// The run digest at `now` (`metrics::digest`).
    pub digest: u64,
}

impl Run {
    /// The record of `sim` as it stands.
    pub fn of(sim: &Simulation) -> Run {
        Run {
            scenario: sim.scenario().clone(),
            config: sim.config().clone(),
            series: sim.series().to_vec(),
            normal: sim.normal_day().clone(),
            now: sim.now(),
            done: sim.is_done(),
            events: sim.events(),
            state_counts: sim.state_counts(),
            digest: sim.digest(),
        }
    }

    /// Brings a record of `sim` up to date: copies only the samples taken
    /// since (the page asks every frame while a run goes).
    pub fn catch_up(&mut self, sim: &Simulation) {
        let have = self.series.len().min(sim.series().len());
        self.series.truncate(have);
        self.series.extend_from_slice(&sim.series()[have..]);
        // A run made longer has the longer scenario, and one changed by the
        // operator (`Simulation::intervene`) its interventions.
        if self.config.duration != sim.end() || self.scenario.interventions() != sim.scenario().interventions() {
            self.scenario = sim.scenario().clone();
            self.config = sim.config().clone();
        }
        self.now = sim.now();
        self.done = sim.is_done();
        self.events = sim.events();
        self.state_counts = sim.state_counts();
        self.digest = sim.digest();
    }

    /// Takes the record back to `sim`, an earlier moment of the same run (a
    /// snapshot run on to that moment, `timeline.rs`): the series keeps the
    /// samples up to that moment, which are what a straight run to it has
    /// taken, and everything else is read from `sim`. Nothing else is kept:
    /// the evidence (comparison, shape, phase, story) is computed from the
    /// record when asked.
    pub fn rewind(&mut self, sim: &Simulation) {
        self.series.truncate(sim.series().len());
        self.scenario = sim.scenario().clone();
        self.config = sim.config().clone();
        self.catch_up(sim);
    }

    /// The digest as the page and the CLI show it.
    pub fn digest_text(&self) -> String {
        metrics::digest_text(self.digest)
    }

    pub fn end(&self) -> Millis {
        self.config.duration
    }

    /// Run time of the trigger, in hours.
    pub fn trigger_h(&self) -> f64 {
        self.config.trigger as f64 / HOUR as f64
    }

    /// Hours between two samples.
    pub fn sample_h(&self) -> f64 {
        self.config.sample as f64 / HOUR as f64
    }

    pub fn now_h(&self) -> f64 {
        self.now as f64 / HOUR as f64
    }

    pub fn end_h(&self) -> f64 {
        self.end() as f64 / HOUR as f64
    }

    /// (hours, online / normal) for every sample.
    pub fn shares(&self) -> Vec<(f64, f64)> {
        self.series.iter().map(|s| (s.t_hours, s.online_share / s.normal_share)).collect()
    }
}

//! Snapshots of a run, so that the page can go back to any moment of it
//! without running again from the start. A snapshot is a clone of the
//! engine at a sample time; going back to `t` is the latest snapshot at or
//! before `t`, run on to `t`, which gives exactly what a straight run to `t`
//! gives (the engine's state after `run_until(t)` does not depend on how the
//! run got there, and a clone goes on as the original would).
//!
//! What going back costs is the replay from the snapshot, and that is work,
//! not simulated time: an hour of a restart storm holds many times the events
//! of a calm hour. So snapshots are spaced by events: one is taken at the
//! first sample time at which the run has processed `spacing` events since
//! the last one. The snapshots are held within a budget of bytes, counted by
//! `Simulation::heap_bytes`; when the next one would not fit, every other one
//! is dropped and the spacing doubles, so coverage stays even and the memory
//! stays under the budget.
//!
//! ```
//! use patchstorm::{timeline::Timeline, Scenario, Simulation};
//!
//! let scenario = Scenario::from_query("preset=calm-day&peers=2000&hours=4").unwrap();
//! let mut sim = Simulation::new(&scenario);
//! let mut timeline = Timeline::new(64 << 20).with_spacing(500);
//! timeline.run_until(&mut sim, 4 * 3_600_000);
//! assert!(timeline.len() > 0);
//! let back = timeline.rewind(3_600_000, &sim);
//! let mut straight = Simulation::new(&scenario);
//! straight.run_until(3_600_000);
//! assert_eq!(back.digest(), straight.digest());
//! ```

use crate::sim::Simulation;
use crate::time::{Millis, HOUR};

/// The page's budget for snapshots unless it sets another, bytes: room for
/// the snapshots of a whole 96-h run of either outage at the page's default
/// size (100 k peers) at the first spacing, and for that run made a day or
/// two longer; a larger network gets fewer, further apart. A run whose
/// module has less room left gets less ([`budget_within`]).
pub const DEFAULT_BUDGET: usize = 384 << 20;

/// Events between snapshots before the budget widens the spacing: a rewind
/// replays at most about this many events, which at the page's default size
/// natively takes well under a third of the 300 ms a scrub may take in the
/// page (the `timeline` example prints the figures).
pub const FIRST_SPACING: u64 = 1 << 17;

/// The budget for a run expected to peak at `footprint` bytes in a memory
/// of at most `memory_max`: [`DEFAULT_BUDGET`], or half of what the run
/// leaves, if that is less, so that snapshots never take the run's room.
pub fn budget_within(memory_max: u64, footprint: u64) -> usize {
    let room = memory_max.saturating_sub(footprint) / 2;
    usize::try_from(room).unwrap_or(usize::MAX).min(DEFAULT_BUDGET)
}

/// One restore point.
#[derive(Clone)]
struct Snapshot {
    /// The sample time it stands at: the engine after `run_until(at)`.
    at: Millis,
    events: u64,
    bytes: usize,
    sim: Simulation,
}

/// The snapshots of one run, within a budget of bytes.
#[derive(Clone)]
pub struct Timeline {
    budget: usize,
    spacing: u64,
    /// Oldest first. The build itself (time 0) is no snapshot: it is made
    /// again from the scenario.
    snapshots: Vec<Snapshot>,
    /// The last sample time the run was seen to pass.
    checked: Millis,
}

impl Timeline {
    pub fn new(budget: usize) -> Timeline {
        Timeline { budget, spacing: FIRST_SPACING, snapshots: Vec::new(), checked: 0 }
    }

    /// The same, with `events` between snapshots to start with (small runs
    /// in tests).
    pub fn with_spacing(mut self, events: u64) -> Timeline {
        self.spacing = events.max(1);
        self
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// A new budget: snapshots are thinned at once until they fit.
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
        while self.bytes() > self.budget {
            self.thin();
        }
    }

    /// Bytes the snapshots hold.
    pub fn bytes(&self) -> usize {
        self.snapshots.iter().map(|s| s.bytes).sum()
    }

    pub fn len(&self) -> usize {
        self.snapshots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// Events between snapshots now.
    pub fn spacing(&self) -> u64 {
        self.spacing
    }

    /// The times of the snapshots, oldest first.
    pub fn times(&self) -> Vec<Millis> {
        self.snapshots.iter().map(|s| s.at).collect()
    }

    /// The longest stretch of simulated time a rewind to a moment before
    /// `now` replays: the widest gap between restore points (the start and
    /// the snapshots) and from the last of them to `now`.
    pub fn longest_replay(&self, now: Millis) -> Millis {
        let mut from = 0;
        let mut widest = 0;
        for at in self.times().into_iter().filter(|&at| at <= now).chain([now]) {
            widest = widest.max(at - from);
            from = at;
        }
        widest
    }

    /// Runs `sim` to `t` as `Simulation::run_until` does, taking the
    /// snapshots that fall due at the sample times it passes.
    pub fn run_until(&mut self, sim: &mut Simulation, t: Millis) {
        let t = t.min(sim.end());
        loop {
            let b = self.next_boundary(sim);
            if b > t {
                break;
            }
            sim.run_until(b);
            self.checked = b;
            self.consider(sim, b, |s| s.clone());
        }
        sim.run_until(t);
    }

    /// Runs at most `budget` events of `sim`, as `Simulation::run_events`
    /// does, taking the snapshots that fall due at the sample times passed.
    /// A batch can stop within a millisecond; a snapshot is taken only once
    /// every event up to its time has run (and is a clone brought to that
    /// time), so the run itself is untouched.
    pub fn run_events(&mut self, sim: &mut Simulation, budget: u64) -> u64 {
        let mut n = 0;
        loop {
            let b = self.next_boundary(sim);
            if b <= sim.end() && sim.next_event_time().is_none_or(|e| e > b) {
                self.checked = b;
                self.consider(sim, b, |s| {
                    let mut at_b = s.clone();
                    at_b.run_until(b);
                    at_b
                });
                continue;
            }
            if n >= budget || !sim.step() {
                return n;
            }
            n += 1;
        }
    }

    /// The run at `target` (a time no later than `current`'s): the latest
    /// snapshot at or before it (or the build, when there is none), given
    /// what it must take from the current run ([`carry_forward`]) and run to
    /// `target`. `current` is left as it is; the caller replaces it.
    pub fn rewind(&mut self, target: Millis, current: &Simulation) -> Simulation {
        let mut sim = match self.snapshots.iter().rev().find(|s| s.at <= target) {
            Some(s) => s.sim.clone(),
            None => Simulation::new(current.scenario()),
        };
        carry_forward(&mut sim, current);
        sim.run_until(target);
        self.checked = target;
        sim
    }

    /// Drops the snapshots after `t`, for when the run from `t` on changes
    /// (an operator action at `t`). A snapshot at `t` itself stands before
    /// anything done at `t` after the run reached it, and is kept.
    pub fn truncate_after(&mut self, t: Millis) {
        self.snapshots.retain(|s| s.at <= t);
        self.checked = self.checked.min(t);
    }

    /// The next sample time for `sim` to pass: after the last one seen, and
    /// not before `sim`'s clock (at it, if events at that time may be left).
    fn next_boundary(&self, sim: &Simulation) -> Millis {
        let every = sim.config().sample.max(1);
        let from = (self.checked + 1).max(sim.now());
        from.div_ceil(every) * every
    }

    /// Whether a snapshot is due at `at` with `events` run: enough events
    /// since the last one, and none kept from there on (a run replayed over
    /// its own snapshots keeps them).
    fn due(&self, at: Millis, events: u64) -> bool {
        match self.snapshots.last() {
            Some(last) => last.at < at && events - last.events >= self.spacing,
            None => events >= self.spacing,
        }
    }

    /// Takes a snapshot of `sim` at `at` with `take`, if one is due and fits.
    fn consider(&mut self, sim: &Simulation, at: Millis, take: impl FnOnce(&Simulation) -> Simulation) {
        let events = sim.events();
        if !self.due(at, events) {
            return;
        }
        // A clone holds no more than the original (its vectors at their
        // lengths), so the original's count decides before cloning.
        let estimate = snapshot_bytes(sim);
        while self.bytes() + estimate > self.budget {
            if self.snapshots.is_empty() {
                // Not even one fits: try again when twice as far on.
                self.spacing *= 2;
                return;
            }
            self.thin();
            if !self.due(at, events) {
                return;
            }
        }
        let sim = take(sim);
        self.snapshots.push(Snapshot { at, events, bytes: snapshot_bytes(&sim), sim });
    }

    /// Drops every other snapshot and doubles the spacing: the snapshots
    /// kept are the ones at even multiples of the old spacing, counting the
    /// build as the first.
    fn thin(&mut self) {
        let mut k = 0;
        self.snapshots.retain(|_| {
            k += 1;
            k % 2 == 0
        });
        self.spacing *= 2;
    }
}

/// Bytes a snapshot of `sim` holds: its heap and the engine itself.
fn snapshot_bytes(sim: &Simulation) -> usize {
    sim.heap_bytes() + std::mem::size_of::<Simulation>()
}

/// What a restored snapshot takes from the run it replaces before it runs
/// on: the run's length, if the run was made longer since (`extend` gives
/// the longer run, event for event), and the operator's interventions still
/// to come (one made after the snapshot was taken is in the current
/// scenario only). This is the one place where a restored run is reconciled
/// with the current one.
pub fn carry_forward(restored: &mut Simulation, current: &Simulation) {
    if restored.end() < current.end() {
        let hours = u32::try_from(current.end() / HOUR).expect("a run's hours fit in 32 bits");
        restored.extend(hours).expect("the current run is this long, so its length is allowed");
    }
    // The snapshot stands before every intervention made after its time,
    // and the ones it made are the current run's first ones (those after a
    // moment are dropped with the snapshots after it, `truncate_after`).
    restored
        .adopt_interventions(current.scenario())
        .expect("a snapshot's scenario is the current one up to the interventions still to come");
}

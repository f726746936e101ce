//! Several seeds of one historical preset against the published record.
//! The model is stochastic and, while the 2007 network climbs back, the
//! exact hour of each climb differs from seed to seed; one seed would be an
//! arbitrary sample of that. The runs themselves are the caller's (the CLI
//! runs them on all cores): this module keeps what each seed's run says
//! ([`SeedRun::of`]) and aggregates seeds into a [`Validation`].

use super::compare::{self, Row};
use super::run::Run;
use super::shape::{self, Shape};
use super::study::{CORE_HOURS, WITHIN};
use crate::scenario::Preset;

/// A historical preset run with several seeds against the published record.
/// The model is stochastic and, while the 2007 network climbs back, the
/// exact hour of each climb and relapse differs from seed to seed; one seed
/// would be an arbitrary sample of that.
#[derive(Clone, Debug)]
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

/// One seed's run of a historical preset.
pub struct SeedRun {
    pub preset: Preset,
    pub seed: u64,
    pub rows: Vec<Row>,
    pub series: Vec<(f64, f64)>,
    pub core: Vec<Core>,
    pub trigger_h: f64,
    pub shape: Shape,
}

impl SeedRun {
    /// What a validation keeps of one seed's finished run.
    pub fn of(preset: Preset, seed: u64, run: &Run) -> SeedRun {
        SeedRun {
            preset,
            seed,
            rows: compare::compare(run),
            series: run.shares(),
            core: core_series(run),
            trigger_h: run.trigger_h(),
            shape: shape::shape(run),
        }
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
    /// its best move in time (`compare::held`).
    pub fn shifts(&self) -> Vec<Option<SeedTiming>> {
        let points: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.t_hours, r.published_share)).collect();
        self.series
            .iter()
            .map(|s| {
                let timing = compare::held(s, &points)?;
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
                let sim = compare::share_at(series, r.t_hours + move_h)?;
                ((sim - r.published_share).abs() > WITHIN).then(|| (r.utc.clone(), sim, r.published_share))
            })
            .collect()
    }
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
        let as_is: Vec<Option<compare::Shifted>> =
            self.series.iter().map(|s| compare::best_shift(s, &points, WITHIN, 0.0, compare::SHIFT_STEP_H)).collect();
        let within = |s: &[(f64, f64)], r: &Row| {
            compare::share_at(s, r.t_hours).is_some_and(|x| (x - r.published_share).abs() <= WITHIN)
        };
        Draws {
            per_seed: as_is.iter().map(|a| a.as_ref().map_or(0, |a| a.within)).collect(),
            mean: as_is.iter().map(|a| a.as_ref().map_or(f64::INFINITY, |a| a.mean_abs_difference)).collect(),
            per_point: self.rows.iter().map(|r| self.series.iter().filter(|s| within(s, r)).count()).collect(),
        }
    }
}

/// One seed held against the record as it is and at its best move in time.
pub struct SeedTiming {
    pub timing: compare::Timing,
    /// The points still outside the target at the best move: (UTC, simulated
    /// share there, published share).
    pub outside: Vec<(String, f64, f64)>,
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
#[derive(Clone, Copy, Debug, PartialEq)]
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

pub fn core_series(run: &Run) -> Vec<Core> {
    let cfg = &run.config;
    let mega = cfg.mega.map_or(0.0, |m| m.capacity as f64);
    run.series
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

/// Each preset's validation over `seeds`, from runs that hold at least those
/// seeds (a run is looked up by preset and seed, so one set of runs can serve
/// several selections of seeds).
pub fn validations_of(runs: &[SeedRun], presets: &[Preset], peers: u32, seeds: &[u64]) -> Vec<Validation> {
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

//! The studies' constants: the sizes, seeds and grids `validate`, `ablate`,
//! `phase` and `report` run at by default, and the changes the report holds
//! against the 2007 record. What each change means, and why it is there,
//! is in `docs/calibration.md`; how each was fitted is not kept here.

use super::compare;

/// Published points count as matched within this share of normal.
pub const WITHIN: f64 = compare::TARGET;

/// Seeds the validation averages over by default.
pub const VALIDATION_SEEDS: u64 = 4;

/// Validation runs of a preset with a published record go on this much
/// longer than the preset's own run (as the page plays it), unless `hours`
/// is set: a run that is back after its last relapse then has two days
/// behind it to show that it holds.
pub const VALIDATION_EXTRA_HOURS: i64 = 48;

/// The report's sizes: the historical runs and ablations, the phase map's
/// cells, and the scale check's larger population.
pub const REPORT_PEERS: u32 = 100_000;
pub const REPORT_PHASE_PEERS: u32 = 20_000;
pub const REPORT_SCALE_PEERS: u32 = 1_000_000;
/// Seeds of each historical preset held against the record one by one.
pub const DRAW_SEEDS: u64 = 40;

/// Hours of the 2007 outage the core figure shows, after the trigger.
pub const CORE_HOURS: (f64, f64) = (8.0, 64.0);

/// The preset read as a link of format 2: the login servers' count of
/// failed clients before format 3 (`login::Failures`), with this build's values.
pub const OLD_LOGIN_COUNT: &str = "v=2";

/// The 2007 calibration before format 2, as `--set` values: the values a
/// `v=1` link of `skype-2007` replays (`scenario::V1_WORLD`); here with this
/// build's login count, which a `v=1` link does not have.
pub const FORMAT_1_2007: &str =
    "login_capacity=60 sn_attempt_capacity=3 attach_timeout_s=10 sn_refusal_cost=1 promote_rate=0.25";

/// Calibration alternatives held against the 2007 record (the first entry
/// changes nothing): the preset read with the old login count, the
/// calibration that links of format 1 replay, each of the five values
/// fitted for format 2 put back to its format-1 value on its own, and near
/// neighbours of the fit, to show how much it hangs on each.
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

/// What the scale check repeats at the larger population besides the
/// presets. What each is for is said in the report's template
/// (`docs/report/validation.md`, "scale changes").
pub const SCALE_CHANGES_2007: &[&str] = &[OLD_LOGIN_COUNT, FORMAT_1_2007, "promote_rate=0.492", "sn_refusal_cost=0.6"];

/// The phase map's grid: restart rates (%/h, peak) by supernode capacities
/// (clients).
pub const PHASE_RATES: [f64; 8] = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.8];
pub const PHASE_CAPACITIES: [u32; 7] = [260, 300, 350, 400, 500, 600, 800];
/// Simulated hours after the end of the wave that count.
pub const PHASE_HOURS_AFTER: i64 = 48;
/// A cell that heals within this many hours of the wave's end heals quickly.
pub const PHASE_QUICK_HOURS: f64 = 24.0;
/// Seeds per cell by default: one run per cell showed single cells out of
/// line with their neighbours, where a run's outcome hangs on its draws.
pub const PHASE_SEEDS: u64 = 3;
/// The wave has ended when this share of its restarts has happened.
pub const WAVE_END_SHARE: f64 = 0.95;

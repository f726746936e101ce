//! The browser binding: converts types and forwards calls, nothing more.
//! Scenarios and summaries cross as serde values; time series and the
//! network view cross as flat `Float64Array`s, one copy per call.
//!
//! Two things here are the browser's alone: the module's memory has a
//! maximum (`MEMORY_MAX`), so a query whose run would not fit in it is
//! refused like a bad value; and the allocator notes a request it could not
//! meet, so that the page can tell a tab that ran out of memory from a bug.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use js_sys::Float64Array;
use wasm_bindgen::prelude::*;

use crate::evidence::{compare, phase, record, run::Run, words};
use crate::metrics::{self, COLUMNS};
use crate::policy::{Choice, Policy};
use crate::render::{Frame, LOGIN_COLUMNS, SN_COLUMNS, TOTALS_COLUMNS};
use crate::scenario::{params, Scenario, PARAMS, PRESETS};
use crate::sim::{Footprint, Simulation};
use crate::summary;
use crate::timeline::{self, Timeline};

/// The module's memory maximum, bytes: the `--max-memory` that
/// .cargo/config.toml gives the linker; the same file passes the number
/// here as `PATCHSTORM_WASM_MAX_MEMORY`, and says why that much.
const MEMORY_MAX: u64 = match u64::from_str_radix(env!("PATCHSTORM_WASM_MAX_MEMORY"), 10) {
    Ok(bytes) => bytes,
    Err(_) => panic!("PATCHSTORM_WASM_MAX_MEMORY is a whole number of bytes"),
};

/// When the module's memory cannot grow (it is at `MEMORY_MAX`, or the
/// browser gives no more), Rust aborts without a message: the page sees a
/// bare `RuntimeError: unreachable`, as it would for a bug. This allocator
/// is the system's, and notes the size of the last request it could not
/// meet, for `allocationFailure`.
struct Noting;

static FAILED_REQUEST: AtomicUsize = AtomicUsize::new(0);

fn noted(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        FAILED_REQUEST.store(size, Ordering::Relaxed);
    }
    ptr
}

// SAFETY: every call is forwarded to `System` unchanged; only a null result
// is noted.
unsafe impl GlobalAlloc for Noting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        noted(System.alloc(layout), layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        noted(System.alloc_zeroed(layout), layout.size())
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        noted(System.realloc(ptr, layout, new_size), new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Noting = Noting;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A running simulation.
#[wasm_bindgen]
pub struct Playground {
    sim: Simulation,
    frame: Frame,
    /// The run as a value, for the evidence; brought up to date when asked.
    record: Run,
    /// Snapshots of the run as it plays, for `rewind`.
    timeline: Timeline,
    /// The furthest time the run has been at with its scenario as it is:
    /// `rewind` may go forward up to it, over the snapshots taken on the way.
    reached: u64,
}

#[wasm_bindgen]
impl Playground {
    /// Builds the network for a scenario query string; a bad query throws
    /// an `Error` whose message names the key, the value and what is allowed,
    /// and so does one whose run would not fit in the module's memory
    /// (`footprint`).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<Playground, JsError> {
        let (scenario, footprint) = buildable(query)?;
        let sim = Simulation::new(&scenario);
        let record = Run::of(&sim);
        let timeline = Timeline::new(timeline::budget_within(MEMORY_MAX, footprint.bytes));
        Ok(Playground { sim, frame: Frame::default(), record, timeline, reached: 0 })
    }

    /// Canonical query string of the scenario.
    pub fn query(&self) -> String {
        self.sim.scenario().to_query()
    }

    /// Runs at most `budget` events; returns how many ran.
    #[wasm_bindgen(js_name = runEvents)]
    pub fn run_events(&mut self, budget: u32) -> u32 {
        let ran = self.timeline.run_events(&mut self.sim, budget as u64) as u32;
        self.reached = self.reached.max(self.sim.now());
        ran
    }

    /// Runs every event up to simulated time `t_ms`. Snapshots for `rewind`
    /// are taken on the way (`timeline.rs`), which changes nothing in the run.
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, t_ms: f64) {
        self.timeline.run_until(&mut self.sim, t_ms.max(0.0) as u64);
        self.reached = self.reached.max(self.sim.now());
    }

    /// The furthest simulated time, ms, the run has been at with its
    /// scenario as it is: `rewind` goes to any sample time up to it.
    #[wasm_bindgen(js_name = reachedMs)]
    pub fn reached_ms(&self) -> f64 {
        self.reached.max(self.sim.now()) as f64
    }

    /// Goes back to `t_ms`, a sample time the run has reached (a whole
    /// multiple of the sample interval, at most `reachedMs()`): the latest
    /// snapshot at or before it, run on to it; forward from `nowMs()`, the
    /// run itself when no snapshot lies between. Afterwards everything the run
    /// answers (`nowMs`, `digest`, `samples`, `capture`, `summary`, ...) is
    /// what a straight run to `t_ms` gives, and `runUntil` goes on as that
    /// run would. Throws, changing nothing, for any other time.
    pub fn rewind(&mut self, t_ms: f64) -> Result<(), JsError> {
        let every = self.sim.config().sample;
        let now = self.sim.now();
        let reached = self.reached.max(now);
        let ok = t_ms.is_finite() && t_ms >= 0.0 && t_ms.fract() == 0.0 && t_ms <= reached as f64;
        if !ok || (t_ms as u64) % every != 0 {
            return Err(JsError::new(&format!(
                "rewind to {t_ms} ms: allowed are the sample times the run has reached, whole multiples of {every} ms \
                 from 0 to reachedMs ({reached})"
            )));
        }
        let t = t_ms as u64;
        if t >= now && !self.timeline.times().iter().any(|&at| at > now && at <= t) {
            // Forward, with no snapshot on the way: the run goes on.
            self.timeline.run_until(&mut self.sim, t);
            return Ok(());
        }
        // The one place a restored run is reconciled with the current one
        // (`timeline::carry_forward`).
        self.sim = self.timeline.rewind(t, &self.sim);
        self.record.rewind(&self.sim);
        Ok(())
    }

    /// An operator's action now (`nowMs()`, a whole minute inside the run):
    /// `changes` is `key=value[,key=value...]` as after the time in an `at`
    /// of a link (`policy=resilient`). It becomes part of the scenario
    /// (`query()` then has `at=...`), so the link replays it straight; what
    /// the run had simulated after this moment is no longer its future, so
    /// the snapshots after it are dropped and `reachedMs()` is now. A bad
    /// key, value or moment throws an `Error` naming `at`, the value and
    /// what is allowed, and changes nothing.
    pub fn intervene(&mut self, changes: &str) -> Result<(), JsError> {
        let pairs: Vec<(String, String)> = changes
            .split(',')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (kv.trim().to_string(), String::new()),
            })
            .collect();
        self.sim.intervene(&pairs).map_err(|e| JsError::new(&e.to_string()))?;
        let now = self.sim.now();
        self.timeline.truncate_after(now);
        self.reached = now;
        // The record takes the new scenario when next asked (`Run::catch_up`).
        Ok(())
    }

    /// Bytes the snapshots hold (at most `snapshotBudget()`).
    #[wasm_bindgen(js_name = snapshotBytes)]
    pub fn snapshot_bytes(&self) -> f64 {
        self.timeline.bytes() as f64
    }
    #[wasm_bindgen(js_name = snapshotCount)]
    pub fn snapshot_count(&self) -> u32 {
        self.timeline.len() as u32
    }
    /// The longest stretch of simulated time, ms, that a rewind to a moment
    /// already run replays: the widest gap between snapshots (the start
    /// counts as one) and from the last to `nowMs()`.
    #[wasm_bindgen(js_name = snapshotIntervalMs)]
    pub fn snapshot_interval_ms(&self) -> f64 {
        self.timeline.longest_replay(self.sim.now()) as f64
    }
    /// Events between snapshots now: a snapshot is taken at the first
    /// sample time this many events after the last; it doubles each time the
    /// budget thins the snapshots.
    #[wasm_bindgen(js_name = snapshotSpacingEvents)]
    pub fn snapshot_spacing_events(&self) -> f64 {
        self.timeline.spacing() as f64
    }
    /// The snapshots' times, ms, oldest first.
    #[wasm_bindgen(js_name = snapshotTimes)]
    pub fn snapshot_times(&self) -> Float64Array {
        let times: Vec<f64> = self.timeline.times().into_iter().map(|t| t as f64).collect();
        Float64Array::from(times.as_slice())
    }
    #[wasm_bindgen(js_name = snapshotBudget)]
    pub fn snapshot_budget(&self) -> f64 {
        self.timeline.budget() as f64
    }
    /// Holds the snapshots within `bytes` from now on (thinning them at once
    /// if they hold more); the default is `timeline::DEFAULT_BUDGET` (384
    /// MiB), or half the room the run leaves in the module's memory if less.
    #[wasm_bindgen(js_name = setSnapshotBudget)]
    pub fn set_snapshot_budget(&mut self, bytes: f64) {
        self.timeline.set_budget(bytes.max(0.0) as usize);
    }

    #[wasm_bindgen(js_name = nowMs)]
    pub fn now_ms(&self) -> f64 {
        self.sim.now() as f64
    }
    #[wasm_bindgen(js_name = endMs)]
    pub fn end_ms(&self) -> f64 {
        self.sim.end() as f64
    }
    #[wasm_bindgen(js_name = triggerMs)]
    pub fn trigger_ms(&self) -> f64 {
        self.sim.config().trigger as f64
    }
    /// Whether anything happens at `triggerMs` (`Scenario::has_trigger`).
    #[wasm_bindgen(js_name = hasTrigger)]
    pub fn has_trigger(&self) -> bool {
        self.sim.scenario().has_trigger()
    }
    /// Unix time (ms) of simulated time 0, for showing the clock as a date.
    #[wasm_bindgen(js_name = startUnixMs)]
    pub fn start_unix_ms(&self) -> f64 {
        self.sim.config().start_unix_ms as f64
    }
    /// Makes the run `hours` long in all so it goes on where it stopped;
    /// `query()` and the fingerprint become the longer run's. Throws (and
    /// changes nothing) unless `hours` is more than the run's length and
    /// within the `hours` parameter's range.
    pub fn extend(&mut self, hours: u32) -> Result<(), JsError> {
        self.sim.extend(hours).map_err(js_error)
    }
    pub fn events(&self) -> f64 {
        self.sim.events() as f64
    }
    pub fn done(&self) -> bool {
        self.sim.is_done()
    }
    pub fn peers(&self) -> u32 {
        self.sim.config().peers
    }

    /// The run fingerprint: 16 hex digits identifying the outcome so far.
    pub fn digest(&self) -> String {
        metrics::digest_text(self.sim.digest())
    }

    /// The summary object of `patchstorm run --format json`.
    pub fn summary(&mut self, wall_seconds: f64) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&summary::summarize(self.record(), wall_seconds)).map_err(js_error)
    }

    #[wasm_bindgen(js_name = sampleCount)]
    pub fn sample_count(&self) -> u32 {
        self.sim.series().len() as u32
    }

    /// Samples from index `from` on, row-major, `columns().length` numbers each.
    pub fn samples(&self, from: u32) -> Float64Array {
        let rows = self.sim.series().get(from as usize..).unwrap_or(&[]);
        let mut flat = Vec::with_capacity(rows.len() * COLUMNS.len());
        for r in rows {
            flat.extend(r.values());
        }
        Float64Array::from(flat.as_slice())
    }

    /// Captures the network view; read it with `supernodes`, `totals`, `login`.
    pub fn capture(&mut self) {
        Frame::capture(&self.sim, &mut self.frame);
    }
    /// `snColumns().length` numbers per live supernode.
    pub fn supernodes(&self) -> Float64Array {
        Float64Array::from(self.frame.supernodes.as_slice())
    }
    /// Peers per state, then backing off at login and while searching: one
    /// number per name of `totalsColumns()`.
    pub fn totals(&self) -> Float64Array {
        Float64Array::from(self.frame.totals.as_slice())
    }
    /// Login servers: one number per name of `loginColumns()`.
    pub fn login(&self) -> Float64Array {
        Float64Array::from(self.frame.login.as_slice())
    }

    /// The time series as CSV (header first; first column `t_hours`).
    pub fn csv(&self) -> String {
        let mut out = Vec::new();
        metrics::write_csv(self.sim.series(), &mut out).expect("writing to memory does not fail");
        String::from_utf8(out).expect("the CSV is ASCII")
    }

    /// The published online counts of this scenario's preset (empty for
    /// calm-day), on the run's clock: `[{t_hours, scaled, share_of_normal,
    /// published, note}]`, `scaled` in this run's peers.
    pub fn published(&mut self) -> Result<JsValue, JsError> {
        let rows: Vec<serde_json::Value> = record::placed(self.record())
            .into_iter()
            .map(|p| {
                serde_json::json!({
                    "t_hours": p.t_hours,
                    "scaled": p.scaled,
                    "share_of_normal": p.share_of_normal,
                    "published": p.published,
                    "note": p.note,
                })
            })
            .collect();
        to_js(&rows)
    }

    /// The run against the published record, at every published point the
    /// run has reached: `{rows: [{utc, t_hours, published_share,
    /// simulated_share, difference, note}], mean_abs_difference, size_caveat}`
    /// (`mean_abs_difference` null before the first point; `size_caveat` a
    /// sentence when a skype-2007 network is smaller than VALIDATION.md holds
    /// it at, else null: `validation::size_caveat`).
    pub fn validation(&mut self) -> Result<JsValue, JsError> {
        let rows = compare::compare(self.record());
        let mean = compare::mean_abs_difference(&rows);
        let rows: Vec<serde_json::Value> = rows
            .into_iter()
            .map(|r| {
                serde_json::json!({
                    "utc": r.utc,
                    "t_hours": r.t_hours,
                    "published_share": r.published_share,
                    "simulated_share": r.simulated_share,
                    "difference": r.difference,
                    "note": r.note,
                })
            })
            .collect();
        let caveat = compare::size_caveat(
            self.sim.scenario().preset_id(),
            u64::from(self.sim.config().peers),
            self.sim.scenario().format(),
        );
        to_js(&serde_json::json!({ "rows": rows, "mean_abs_difference": mean, "size_caveat": caveat }))
    }

    /// The run at its own best move in time (`validation::timing`):
    /// `{points, target, within_as_is, mean_abs_difference_as_is, within_moved,
    /// mean_abs_difference_moved, moved_hours, move_helps, earliest_hours,
    /// latest_hours, max_hours, sentence}`; `moved_hours` > 0 when the run lags the
    /// record (it lines up moved earlier); `earliest_hours` and `latest_hours`
    /// are the largest moves tried; `sentence` says it for a reader
    /// (`words::timing_sentence`). Null until the run has passed its last
    /// published point by 6 h or ended, and without a record.
    #[wasm_bindgen(js_name = validationTiming)]
    pub fn validation_timing(&mut self) -> Result<JsValue, JsError> {
        let Some(t) = compare::timing(self.record()) else { return Ok(JsValue::NULL) };
        to_js(&serde_json::json!({
            "points": t.points,
            "target": compare::TARGET,
            "within_as_is": t.as_is.within,
            "mean_abs_difference_as_is": t.as_is.mean_abs_difference,
            "within_moved": t.best.within,
            "mean_abs_difference_moved": t.best.mean_abs_difference,
            "moved_hours": t.best.hours,
            "move_helps": t.move_helps(),
            "earliest_hours": t.best.earliest_h,
            "latest_hours": t.best.latest_h,
            "max_hours": compare::SHIFT_MAX_H,
            "sentence": words::timing_sentence(&t),
        }))
    }

    /// The run's class as a cell of a phase map (`phase::classify`), read
    /// from the run so far (final once it is done): `{key, name,
    /// after_wave_hours}`, the hours from the end of the wave until it healed
    /// (null if it did not heal, or had no outage).
    #[wasm_bindgen(js_name = phaseClass)]
    pub fn phase_class(&mut self) -> Result<JsValue, JsError> {
        let (heal, after) = phase::classify(self.record());
        to_js(&serde_json::json!({ "key": heal.key(), "name": heal.name(), "after_wave_hours": after }))
    }

    /// The story of the run so far (`evidence::story`): `[{kind, t_ms, title,
    /// text, look_at, cites: [{tag, text, source}]}]`, in time order; `kind`
    /// is one of `wave_starts`, `crash`, `login_flood`, `core_lost`,
    /// `overload`, `rebuild`, `heals`, `relapses`, `does_not_heal`,
    /// `never_collapses`; `t_ms` a sample time; `look_at` page element ids;
    /// `tag` "P" (published, `source` says where) or "H" (hypothesis,
    /// `source` null). Ask once the run is done: a rewind takes the record
    /// back, and the story with it.
    pub fn story(&mut self) -> Result<JsValue, JsError> {
        to_js(&crate::evidence::story::story(self.record()).steps)
    }

    /// The record of the run, brought up to date with the engine.
    fn record(&mut self) -> &Run {
        self.record.catch_up(&self.sim);
        &self.record
    }

    /// The scenario with every parameter, as JSON text.
    #[wasm_bindgen(js_name = scenarioJson)]
    pub fn scenario_json(&self) -> String {
        serde_json::to_string_pretty(&self.sim.scenario().to_json()).expect("a JSON value serialises")
    }
}

/// Time-series column names, in the order of `Playground.samples`.
#[wasm_bindgen]
pub fn columns() -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&COLUMNS).map_err(js_error)
}

/// What each time-series column means, with its unit.
#[wasm_bindgen(js_name = columnDocs)]
pub fn column_docs() -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&metrics::COLUMN_DOCS).map_err(js_error)
}

/// Column names of a supernode row in `Playground.supernodes`.
#[wasm_bindgen(js_name = snColumns)]
pub fn sn_columns() -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&SN_COLUMNS).map_err(js_error)
}

/// Names of the numbers in `Playground.totals`.
#[wasm_bindgen(js_name = totalsColumns)]
pub fn totals_columns() -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&TOTALS_COLUMNS).map_err(js_error)
}

/// Names of the numbers in `Playground.login`.
#[wasm_bindgen(js_name = loginColumns)]
pub fn login_columns() -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&LOGIN_COLUMNS).map_err(js_error)
}

/// The link of a phase-map cell (`phase::cell_scenario_keyed`): the 2007
/// wave under `policy` at `peers` and `seed`, with `values` (`key=value`
/// pairs joined by `&`) set, run long enough to see its wave end and two days
/// after. An error says why the cell cannot be made (a restart rate beyond
/// what the wave allows, say).
#[wasm_bindgen(js_name = phaseCell)]
pub fn phase_cell(policy: &str, peers: u32, seed: u32, values: &str) -> Result<String, JsError> {
    let policy = Policy::ALL
        .iter()
        .copied()
        .find(|p| p.key() == policy)
        .ok_or_else(|| JsError::new(&format!("policy {policy}: use {}", Policy::KEYS.join(", "))))?;
    let mut pairs = Vec::new();
    for pair in values.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| JsError::new(&format!("{pair}: expected key=value")))?;
        pairs.push((k, v));
    }
    phase::cell_scenario_keyed(policy, peers, u64::from(seed), &pairs)
        .map(|s| s.to_query())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// The classes of a phase-map cell, best first: `{key, name, symbol}`.
#[wasm_bindgen(js_name = phaseClasses)]
pub fn phase_classes() -> Result<JsValue, JsError> {
    let rows: Vec<serde_json::Value> = phase::Heal::ALL
        .iter()
        .map(|h| serde_json::json!({ "key": h.key(), "name": h.name(), "symbol": h.symbol() }))
        .collect();
    to_js(&rows)
}

/// The allocation policies in the order of the `policy` parameter's
/// options: key and what the policy does (`Policy::description`).
#[wasm_bindgen]
pub fn policies() -> Result<JsValue, JsError> {
    let rows: Vec<serde_json::Value> =
        Policy::ALL.iter().map(|&p| serde_json::json!({ "key": p.key(), "description": p.description() })).collect();
    to_js(&rows)
}

/// The parameter table: key, label, unit, group, help, kind (with min/max
/// or options), policy_knob, and `allowed` in words.
#[wasm_bindgen]
pub fn params() -> Result<JsValue, JsError> {
    let rows: Vec<serde_json::Value> = PARAMS
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).expect("a parameter serialises");
            v["allowed"] = serde_json::Value::String(params::allowed(&p.kind));
            v
        })
        .collect();
    to_js(&rows)
}

/// The link format this build writes (`v`); links of older formats replay
/// the runs they were made with.
/// The keys an intervention (`at=TIME:key=value`) may set, in table order.
#[wasm_bindgen(js_name = interventionKeys)]
pub fn intervention_keys() -> Result<JsValue, JsError> {
    let keys: Vec<&str> = crate::scenario::intervention::ALLOWED.iter().map(|&p| params::param(p).key).collect();
    to_js(&keys)
}

/// The first link format whose runs this build gives unchanged: a link of
/// an older one replays its own run, which the page says.
#[wasm_bindgen(js_name = sameRunSince)]
pub fn same_run_since() -> u32 {
    crate::scenario::SAME_RUN_SINCE
}

#[wasm_bindgen(js_name = formatVersion)]
pub fn format_version() -> u32 {
    crate::scenario::FORMAT_VERSION
}

/// The presets: key, title, story.
#[wasm_bindgen]
pub fn presets() -> Result<JsValue, JsError> {
    let rows: Vec<serde_json::Value> =
        PRESETS.iter().map(|p| serde_json::json!({ "key": p.key, "title": p.title, "story": p.story })).collect();
    to_js(&rows)
}

/// Every parameter's value (as link text) for a query, plus `preset`, the
/// canonical `query` and its `interventions` (`[{t_ms, text, changes:
/// [[key, value]]}]`, in the link's order); throws on a bad query.
#[wasm_bindgen(js_name = scenarioValues)]
pub fn scenario_values(query: &str) -> Result<JsValue, JsError> {
    let s = Scenario::from_query(query).map_err(js_error)?;
    let mut values = serde_json::Map::new();
    for p in PARAMS {
        let v = s.value_by_key(p.key).expect("every parameter has a value");
        values.insert(p.key.into(), serde_json::Value::String(params::format_value(&p.kind, v)));
    }
    values.insert("preset".into(), serde_json::Value::String(s.preset_id().key().into()));
    values.insert("query".into(), serde_json::Value::String(s.to_query()));
    let interventions: Vec<serde_json::Value> = s
        .interventions()
        .iter()
        .map(|iv| {
            let changes: Vec<[String; 2]> = iv
                .changes
                .iter()
                .map(|&(p, v)| [params::param(p).key.to_string(), params::format_value(&params::param(p).kind, v)])
                .collect();
            serde_json::json!({ "t_ms": iv.at_ms(), "text": iv.text(), "changes": changes })
        })
        .collect();
    values.insert("interventions".into(), serde_json::Value::Array(interventions));
    to_js(&values)
}

/// The fastest restart rate (%/h) the wave of this scenario allows.
#[wasm_bindgen(js_name = maxRestartRate)]
pub fn max_restart_rate(query: &str) -> Result<f64, JsError> {
    let s = Scenario::parse_query(query).map_err(js_error)?;
    Ok(crate::trigger::max_restart_rate(&s.wave_spec()))
}

/// A scenario this tab can build, with its footprint: a bad query, and one
/// whose run would not fit in the module's memory, are refused.
fn buildable(query: &str) -> Result<(Scenario, Footprint), JsError> {
    let scenario = Scenario::from_query(query).map_err(js_error)?;
    let footprint = Footprint::of(&scenario);
    // The round number the message names is the limit, so that a link at it
    // is taken and one above it is not.
    let limit = Footprint::peers_within(&scenario, MEMORY_MAX);
    if footprint.peers > limit {
        return Err(JsError::new(&format!(
            "peers={} is too large for this tab: at most {limit} peers fit in its memory ({} GiB); \
             larger networks run on the command line (patchstorm run)",
            footprint.peers,
            MEMORY_MAX as f64 / f64::from(1u32 << 30)
        )));
    }
    Ok((scenario, footprint))
}

/// What the run of a query will cost before it is built (`sim::Footprint`):
/// `{peers, bytes, build_seconds, limit_peers, limit_bytes}`, `bytes` its
/// estimated peak memory, `limit_peers` the most peers the same scenario
/// can have in the module's memory of at most `limit_bytes`. Throws as
/// `new Playground` does, for a bad query and for one too large for the
/// module.
#[wasm_bindgen]
pub fn footprint(query: &str) -> Result<JsValue, JsError> {
    let (scenario, f) = buildable(query)?;
    to_js(&serde_json::json!({
        "peers": f.peers,
        "bytes": f.bytes,
        "build_seconds": f.build_seconds,
        "limit_peers": Footprint::peers_within(&scenario, MEMORY_MAX),
        "limit_bytes": MEMORY_MAX,
    }))
}

/// The most peers the scenario of `query` can have with an estimated peak
/// of at most `bytes`, as a round number within the `peers` parameter's
/// range (`Footprint::peers_within`). Parses the query without refusing
/// one that is too large, so the page can offer a size that fits.
#[wasm_bindgen(js_name = peersWithin)]
pub fn peers_within(query: &str, bytes: f64) -> Result<u32, JsError> {
    let scenario = Scenario::from_query(query).map_err(js_error)?;
    Ok(Footprint::peers_within(&scenario, bytes.max(0.0) as u64))
}

/// Bytes of the last allocation the module could not get (0 if none):
/// after a `RuntimeError`, non-zero means the module ran out of memory.
#[wasm_bindgen(js_name = allocationFailure)]
pub fn allocation_failure() -> f64 {
    FAILED_REQUEST.load(Ordering::Relaxed) as f64
}

fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    // Maps become plain objects, so the page can index them by key.
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

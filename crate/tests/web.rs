//! Browser tests of the bindings (`wasm-pack test --headless --chrome crate`).
//! A scenario from a query string runs in the browser and gives the digest
//! the native side wrote into the fixture; buffers have their documented
//! lengths and columns named by the core; the validation and its timing come
//! out with the keys the page reads, the timing with the core's sentence;
//! the facts the page asks for (policies, whether there is a trigger) are
//! the core's; bad input becomes a JS error naming key, value and range,
//! and so does a run too large for the module's memory; a run's estimated
//! footprint is the core's and bounds what the run makes the memory grow by.
#![cfg(target_arch = "wasm32")]

use patchstorm::evidence::compare as validation;
use patchstorm::evidence::words;
use patchstorm::metrics::COLUMNS;
use patchstorm::policy::{Choice, Policy};
use patchstorm::render::{LOGIN_COLUMNS, SN_COLUMNS, SN_FIELDS, TOTALS_COLUMNS};
use patchstorm::scenario::Scenario;
use patchstorm::sim::{Footprint, Simulation};
use patchstorm::wasm::Playground;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/digests.json");

fn fixture() -> Vec<(String, String)> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(FIXTURE).unwrap();
    rows.iter().map(|r| (r["query"].as_str().unwrap().to_string(), r["digest"].as_str().unwrap().to_string())).collect()
}

#[wasm_bindgen_test]
fn browser_runs_give_the_native_digests() {
    for (query, digest) in fixture() {
        let mut p = Playground::new(&query).unwrap();
        while p.run_events(50_000) > 0 {}
        assert!(p.done());
        assert_eq!(p.digest(), digest, "{query}");
    }
}

#[wasm_bindgen_test]
fn a_finished_run_made_longer_gives_the_longer_runs_digest_and_link() {
    let mut longer = Playground::new("preset=skype-2007&peers=5000&hours=52").unwrap();
    while longer.run_events(50_000) > 0 {}
    let mut p = Playground::new("preset=skype-2007&peers=5000&hours=40").unwrap();
    while p.run_events(50_000) > 0 {}
    assert!(p.done());
    assert!(p.extend(40).is_err(), "the run is already 40 h long");
    p.extend(52).unwrap();
    assert!(!p.done());
    while p.run_events(50_000) > 0 {}
    assert_eq!(p.end_ms(), 52.0 * 3_600_000.0);
    assert_eq!(p.query(), longer.query());
    assert_eq!(p.digest(), longer.digest());
}

#[wasm_bindgen_test]
fn buffers_have_their_documented_lengths() {
    let mut p = Playground::new("preset=calm-day&peers=2000&hours=3").unwrap();
    p.run_until(2.0 * 3_600_000.0);
    let n = p.sample_count() as usize;
    assert!(n > 100);
    assert_eq!(p.samples(0).length() as usize, n * COLUMNS.len());
    assert_eq!(p.samples(n as u32 - 10).length() as usize, 10 * COLUMNS.len());
    p.capture();
    let sns = p.supernodes().length() as usize;
    assert!(sns > 0 && sns % SN_FIELDS == 0);
    assert_eq!(p.totals().length() as usize, TOTALS_COLUMNS.len());
    assert_eq!(p.login().length() as usize, LOGIN_COLUMNS.len());
    let totals = p.totals().to_vec();
    assert_eq!(totals[..6].iter().sum::<f64>(), 2000.0, "every peer is in one state");
}

/// A list of names from a binding, as strings.
fn names(v: wasm_bindgen::JsValue) -> Vec<String> {
    serde_json::from_value(json(v)).unwrap()
}

#[wasm_bindgen_test]
fn the_buffers_columns_are_named_for_the_page() {
    assert_eq!(names(patchstorm::wasm::sn_columns().unwrap()), SN_COLUMNS);
    assert_eq!(SN_COLUMNS.len(), SN_FIELDS);
    let totals = names(patchstorm::wasm::totals_columns().unwrap());
    assert_eq!(totals, TOTALS_COLUMNS);
    for name in ["offline", "restarting", "login_wait", "searching", "login_backoff", "search_backoff"] {
        assert!(totals.iter().any(|t| t == name), "the network view reads {name}: {totals:?}");
    }
    assert_eq!(
        names(patchstorm::wasm::login_columns().unwrap()),
        ["queued", "capacity_ps", "requests_ps", "accepted_ps"]
    );
}

#[wasm_bindgen_test]
fn the_policies_are_the_policy_parameters_options_with_what_each_does() {
    let rows = json(patchstorm::wasm::policies().unwrap());
    let rows = rows.as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, Policy::KEYS);
    let params = json(patchstorm::wasm::params().unwrap());
    let policy = params.as_array().unwrap().iter().find(|p| p["key"] == "policy").unwrap();
    assert_eq!(policy["kind"]["options"], serde_json::json!(keys), "the menu and the help list the same policies");
    for (row, &p) in rows.iter().zip(Policy::ALL) {
        assert_eq!(row["key"], p.key());
        assert_eq!(row["description"], p.description());
    }
}

#[wasm_bindgen_test]
fn a_playground_says_whether_its_scenario_has_a_trigger() {
    for (query, trigger) in [
        ("preset=skype-2007&peers=2000", true),
        ("preset=calm-day&peers=2000", false),
        ("preset=calm-day&peers=2000&crash=true", true),
    ] {
        let p = Playground::new(query).unwrap();
        assert_eq!(p.has_trigger(), trigger, "{query}");
        assert_eq!(p.has_trigger(), Scenario::from_query(query).unwrap().has_trigger(), "{query}");
    }
}

#[wasm_bindgen_test]
fn the_default_population_is_the_cores() {
    let values = json(patchstorm::wasm::scenario_values("").unwrap());
    let peers: u32 = values["peers"].as_str().unwrap().parse().unwrap();
    assert_eq!(i64::from(peers), Scenario::from_query("").unwrap().int(patchstorm::scenario::P::Peers));
}

#[wasm_bindgen_test]
fn bad_input_is_a_js_error_naming_key_value_and_range() {
    let err = match Playground::new("preset=skype-2007&peers=5") {
        Err(e) => wasm_bindgen::JsValue::from(e),
        Ok(_) => panic!("peers=5 must be refused"),
    };
    let message = js_sys::Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("peers=5") && message.contains("1000") && message.contains("25000000"), "{message}");
    assert!(patchstorm::wasm::scenario_values("bogus=1").is_err());
}

/// A binding's JSON value as serde_json sees it.
fn json(v: wasm_bindgen::JsValue) -> serde_json::Value {
    serde_json::from_str(&js_sys::JSON::stringify(&v).unwrap().as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn validation_and_its_timing_have_the_keys_the_page_reads() {
    let query = "preset=skype-2010&peers=2000";
    let mut p = Playground::new(query).unwrap();
    let before = json(p.validation().unwrap());
    assert_eq!(before["rows"].as_array().unwrap().len(), 0, "{before}");
    assert!(before["mean_abs_difference"].is_null(), "{before}");
    assert!(p.validation_timing().unwrap().is_null(), "no timing before the run has passed its points");
    while p.run_events(50_000) > 0 {}

    let v = json(p.validation().unwrap());
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "the four published 2010 counts: {v}");
    for r in rows {
        for key in ["utc", "t_hours", "published_share", "simulated_share", "difference", "note"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
    let t = json(p.validation_timing().unwrap());
    let target = t["target"].as_f64().unwrap();
    let within = rows.iter().filter(|r| r["difference"].as_f64().unwrap().abs() <= target).count() as u64;
    assert_eq!(t["points"].as_u64(), Some(4), "{t}");
    assert_eq!(t["within_as_is"].as_u64(), Some(within), "{t}");
    let (mean, mean_as_is) =
        (v["mean_abs_difference"].as_f64().unwrap(), t["mean_abs_difference_as_is"].as_f64().unwrap());
    assert!((mean - mean_as_is).abs() < 1e-12, "{v} {t}");
    let moved = t["within_moved"].as_u64().unwrap();
    assert_eq!(t["move_helps"].as_bool(), Some(moved > within), "{t}");
    // The move and its mean are the core's, sign included (the page says
    // "earlier" for a positive move), and stay within the moves tried.
    let mut sim = Simulation::new(&Scenario::from_query(query).unwrap());
    sim.run();
    let core = validation::timing(&patchstorm::Run::of(&sim)).unwrap();
    let f = |key: &str| t[key].as_f64().unwrap();
    assert_eq!(f("moved_hours"), core.best.hours, "{t}");
    assert_eq!(f("mean_abs_difference_moved"), core.best.mean_abs_difference, "{t}");
    assert_eq!((f("earliest_hours"), f("latest_hours")), (core.best.earliest_h, core.best.latest_h), "{t}");
    assert!(f("moved_hours") <= f("earliest_hours") && -f("moved_hours") <= f("latest_hours"), "{t}");
    assert!(f("earliest_hours") <= f("max_hours") && f("latest_hours") <= f("max_hours"), "{t}");
    // The page shows the core's sentence as it is.
    assert_eq!(t["sentence"].as_str(), Some(words::timing_sentence(&core).as_str()), "{t}");
}

/// The module's memory now, bytes (it only grows: a high-water mark).
fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size::<0>() * 65_536) as f64
}

#[wasm_bindgen_test]
fn a_runs_footprint_is_the_cores_and_bounds_what_the_run_takes() {
    let query = "preset=skype-2007&peers=100000&hours=48";
    let f = json(patchstorm::wasm::footprint(query).unwrap());
    let core = Footprint::of(&Scenario::from_query(query).unwrap());
    assert_eq!(f["peers"].as_u64(), Some(100_000), "{f}");
    assert_eq!(f["bytes"].as_u64(), Some(core.bytes), "{f}");
    assert_eq!(f["build_seconds"].as_f64(), Some(core.build_seconds), "{f}");
    let limit = f["limit_bytes"].as_f64().unwrap();
    assert!(limit >= memory_bytes() && limit <= 4.0 * 1024.0 * 1024.0 * 1024.0, "{f}");
    let limit_peers = f["limit_peers"].as_u64().unwrap();
    assert_eq!(patchstorm::wasm::peers_within(query, limit).unwrap() as u64, limit_peers, "{f}");

    // What the run makes the module grow by stays within the estimate (it
    // may grow by less: memory freed by earlier tests is used again). The
    // estimate is the run's alone: its snapshots for rewinding are held
    // within a budget of their own (`timeline::budget_within`), off here.
    let before = memory_bytes();
    let mut p = Playground::new(query).unwrap();
    p.set_snapshot_budget(0.0);
    while p.run_events(200_000) > 0 {}
    assert_eq!(p.snapshot_count(), 0);
    assert!(p.done());
    let grown = memory_bytes() - before;
    assert!(grown <= core.bytes as f64, "grew {grown} bytes, estimated {}", core.bytes);
    assert_eq!(patchstorm::wasm::allocation_failure(), 0.0, "no allocation failed");
}

#[wasm_bindgen_test]
fn a_run_too_large_for_the_modules_memory_is_refused_naming_peers_and_the_limit() {
    let query = "preset=skype-2007&peers=25000000";
    let limit = json(patchstorm::wasm::footprint("preset=skype-2007").unwrap())["limit_bytes"].as_f64().unwrap();
    let most = patchstorm::wasm::peers_within(query, limit).unwrap();
    assert!(most < 25_000_000, "a 25 M network does not fit in {limit} bytes");
    for refused in [patchstorm::wasm::footprint(query).map(|_| ()), Playground::new(query).map(|_| ())] {
        let err = wasm_bindgen::JsValue::from(refused.expect_err("refused"));
        let message = js_sys::Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
        assert!(message.starts_with("peers=25000000 is too large for this tab"), "{message}");
        assert!(message.contains(&format!("at most {most} peers fit")), "{message}");
    }
}

const CELLS: &str = include_str!("fixtures/phase-cells.json");

/// A phase-map cell made and run in the browser, as the page's map does,
/// gives the link, digest and class `determinism.rs` pins natively.
#[wasm_bindgen_test]
fn phase_cells_in_the_browser_are_the_native_cells() {
    let cells: Vec<serde_json::Value> = serde_json::from_str(CELLS).unwrap();
    assert!(!cells.is_empty());
    for c in cells {
        let query = patchstorm::wasm::phase_cell(
            c["policy"].as_str().unwrap(),
            c["peers"].as_u64().unwrap() as u32,
            c["seed"].as_u64().unwrap() as u32,
            c["values"].as_str().unwrap(),
        )
        .unwrap_or_else(|_| panic!("the cell {c} can be made"));
        assert_eq!(query, c["query"].as_str().unwrap());
        let mut p = Playground::new(&query).unwrap();
        while p.run_events(50_000) > 0 {}
        assert_eq!(p.digest(), c["digest"].as_str().unwrap(), "{query}");
        assert_eq!(json(p.phase_class().unwrap())["key"], c["class"], "{query}");
    }
    assert!(patchstorm::wasm::phase_cell("legacy-2007", 2_000, 1, "restart_rate=9").is_err(), "a rate past the wave");
    assert!(patchstorm::wasm::phase_cell("magic", 2_000, 1, "").is_err());
}

const REWIND: &str = include_str!("fixtures/rewind.json");

/// A run played in slices, taken back to a sample time, is the native
/// straight run there (`timeline.rs` writes the fixture) and plays on to
/// its end; times it has not reached, or between samples, are refused.
#[wasm_bindgen_test]
fn a_run_taken_back_is_the_native_straight_run_and_plays_on() {
    let case: serde_json::Value = serde_json::from_str(REWIND).unwrap();
    let (query, t) = (case["query"].as_str().unwrap(), case["t_ms"].as_f64().unwrap());
    let mut p = Playground::new(query).unwrap();
    let mut now = 0.0;
    while !p.done() {
        now += 7.0 * 60_000.0 + 13.0;
        p.run_until(now);
    }
    assert!(p.snapshot_count() > 0);
    assert!(p.snapshot_bytes() <= p.snapshot_budget());
    assert!(p.snapshot_interval_ms() > 0.0);
    assert!(p.rewind(p.end_ms() + 60_000.0).is_err(), "past the run");
    assert!(p.rewind(t + 1.0).is_err(), "between samples");
    assert!(p.rewind(-60_000.0).is_err());
    p.rewind(t).unwrap();
    assert_eq!(p.now_ms(), t);
    assert_eq!(p.digest(), case["digest_at_t"].as_str().unwrap());
    assert_eq!(p.sample_count() as f64, t / 60_000.0 + 1.0);
    assert!(json(p.summary(0.0).unwrap())["digest"] == case["digest_at_t"]);
    // Forward again, to a moment the run has been at (`reachedMs`), and back.
    assert_eq!(p.reached_ms(), p.end_ms());
    p.rewind(t + 60_000.0).unwrap();
    assert_eq!(p.now_ms(), t + 60_000.0);
    p.rewind(t).unwrap();
    assert_eq!(p.digest(), case["digest_at_t"].as_str().unwrap());
    while !p.done() {
        now = p.now_ms() + 11.0 * 60_000.0;
        p.run_until(now);
    }
    assert_eq!(p.digest(), case["digest_at_end"].as_str().unwrap());
    // Without snapshots, a rewind builds the run again.
    p.set_snapshot_budget(0.0);
    assert_eq!(p.snapshot_count(), 0);
    p.rewind(t).unwrap();
    assert_eq!(p.digest(), case["digest_at_t"].as_str().unwrap());
}

/// The story crosses as an array of plain objects with the keys the page
/// reads, and is the core's.
#[wasm_bindgen_test]
fn the_story_has_the_keys_the_page_reads() {
    let query = "preset=skype-2007&peers=5000&hours=60";
    let mut p = Playground::new(query).unwrap();
    while p.run_events(50_000) > 0 {}
    let steps = json(p.story().unwrap());
    let steps = steps.as_array().unwrap();
    assert_eq!(steps[0]["kind"], "wave_starts");
    for st in steps {
        for key in ["kind", "t_ms", "title", "text", "look_at", "cites"] {
            assert!(!st[key].is_null(), "{key} in {st}");
        }
        let cite = &st["cites"][0];
        assert!(cite["tag"] == "P" || cite["tag"] == "H");
    }
    let mut sim = Simulation::new(&Scenario::from_query(query).unwrap());
    sim.run();
    let native = patchstorm::evidence::story::story(&patchstorm::Run::of(&sim));
    assert_eq!(steps.len(), native.steps.len());
    assert_eq!(steps[1]["text"], native.steps[1].text.as_str());
}

/// An operator's action in the module: back to its moment, acted on, and
/// played on, the run is the fixture's (the link with the intervention,
/// pinned natively by `determinism.rs`); past the end, or with a key that
/// cannot change during a run, it is refused naming `at`.
#[wasm_bindgen_test]
fn an_intervention_in_the_module_is_the_fixture_run_of_its_link() {
    let fixture: Vec<serde_json::Value> = serde_json::from_str(FIXTURE).unwrap();
    let case = fixture.iter().find(|c| c["query"].as_str().unwrap().contains("at=")).expect("a fixture with at=");
    let query = case["query"].as_str().unwrap();
    let (plain, at) = query.split_once("&at=").unwrap();
    let (time, change) = at.split_once(':').unwrap();
    let hours: f64 = time.trim_end_matches('h').parse().unwrap();
    let mut p = Playground::new(plain).unwrap();
    p.run_until(p.end_ms());
    p.rewind(hours * 3_600_000.0).unwrap();
    let refused = p.intervene("peers=10").unwrap_err();
    let text = format!("{:?}", wasm_bindgen::JsValue::from(refused));
    assert!(text.contains("at="), "{text}");
    p.intervene(change).unwrap();
    assert_eq!(p.reached_ms(), hours * 3_600_000.0, "the future after the moment is gone");
    assert!(p.query().ends_with(&format!("&at={at}")), "{}", p.query());
    p.run_until(p.end_ms());
    assert_eq!(p.digest(), case["digest"].as_str().unwrap());
    // The page reads a link's interventions as the library does.
    let values = json(patchstorm::wasm::scenario_values(&p.query()).unwrap());
    let (key, value) = change.split_once('=').unwrap();
    assert_eq!(
        values["interventions"],
        serde_json::json!([{ "t_ms": (hours * 3_600_000.0) as u64, "text": at, "changes": [[key, value]] }])
    );
}

//! The same scenario gives the same run: natively here, and in the browser
//! (`web.rs` checks the same fixture under wasm32). The fixture is written
//! by this test when `UPDATE_FIXTURES=1`; otherwise the test fails if a
//! change to the model changes any digest, so the fixture stays true.
#![cfg(not(target_arch = "wasm32"))]

use patchstorm::{Scenario, Simulation};

const FIXTURE: &str = "tests/fixtures/digests.json";

/// Small scenarios that still pass through each preset's trigger.
pub const CASES: &[&str] = &[
    "preset=skype-2007&peers=5000&hours=40",
    "preset=skype-2010&peers=5000&hours=48",
    "preset=resilient-2007&peers=3000&hours=36&seed=9",
    "preset=calm-day&peers=2000&hours=12",
    // A link of format 1 replays the run it was made with: this digest is
    // the one the first case had before format 2 recalibrated 2007.
    "v=1&preset=skype-2007&peers=5000&hours=40",
    // Links of format 2 count failed logins as they did (`login::Failures`).
    "v=2&preset=skype-2007&peers=5000&hours=40",
    // An operator's action during the run (link format 4): the page reaches
    // the same by scrubbing back to 31 h and switching the policy there.
    "preset=skype-2007&peers=5000&hours=40&at=31h:policy=resilient",
];

/// Links of format 2 replay the runs they were made with: these digests are
/// the ones the fixture's first four cases had in the last build of format
/// 2 (commit a78616f), before format 3 changed how the login servers count
/// failed clients.
#[test]
fn a_format_2_link_replays_the_run_it_was_made_with() {
    for (query, digest) in [
        ("v=2&preset=skype-2007&peers=5000&hours=40", "2a1c71b51dfd810e"),
        ("v=2&preset=skype-2010&peers=5000&hours=48", "dc82f4b7ff98433c"),
        ("v=2&preset=resilient-2007&peers=3000&hours=36&seed=9", "de717e900c437601"),
        ("v=2&preset=calm-day&peers=2000&hours=12", "9be494212779403e"),
    ] {
        assert_eq!(digest_of(query), digest, "{query}");
    }
}

fn digest_of(query: &str) -> String {
    let mut sim = Simulation::new(&Scenario::from_query(query).unwrap());
    sim.run();
    format!("{:016x}", sim.digest())
}

#[test]
fn digests_match_the_fixture() {
    let current: Vec<(String, String)> = CASES.iter().map(|q| (q.to_string(), digest_of(q))).collect();
    let json = serde_json::to_string_pretty(
        &current.iter().map(|(q, d)| serde_json::json!({ "query": q, "digest": d })).collect::<Vec<_>>(),
    )
    .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    if std::env::var("UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::write(&path, json + "\n").unwrap();
        return;
    }
    let stored: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (row, (query, digest)) in stored.iter().zip(&current) {
        assert_eq!(row["query"], *query.as_str(), "the fixture lists other cases; rerun with UPDATE_FIXTURES=1");
        assert_eq!(
            row["digest"],
            *digest.as_str(),
            "{query}: the model's outcome changed; if intended, rerun with UPDATE_FIXTURES=1 and commit the fixture"
        );
    }
    assert_eq!(stored.len(), current.len());
}

#[test]
fn the_same_scenario_runs_the_same_twice() {
    let q = "preset=skype-2007&peers=3000&hours=30&seed=4";
    assert_eq!(digest_of(q), digest_of(q));
}

#[test]
fn different_seeds_give_different_runs() {
    assert_ne!(
        digest_of("preset=calm-day&peers=2000&hours=6&seed=1"),
        digest_of("preset=calm-day&peers=2000&hours=6&seed=2")
    );
}

/// A run made longer where it ended (or part-way) is the longer run: the
/// same series, events, link and digest. The page's "24 h more" rests on this.
#[test]
fn a_run_made_longer_is_the_longer_run() {
    let short = "preset=skype-2007&peers=3000&hours=30&seed=4";
    let long = "preset=skype-2007&peers=3000&hours=54&seed=4";
    let mut fresh = Simulation::new(&Scenario::from_query(long).unwrap());
    fresh.run();
    let mut grown = Simulation::new(&Scenario::from_query(short).unwrap());
    // Event by event to the end, as the browser's `runEvents` goes: the
    // step that finds the next event past the end must leave it queued.
    while grown.run_events(10_000) > 0 {}
    assert!(grown.is_done());
    let at_30 = grown.digest();
    grown.extend(40).unwrap();
    assert!(!grown.is_done());
    grown.run_until(37 * 3_600_000);
    grown.extend(54).unwrap();
    grown.run();
    assert_eq!(grown.series(), fresh.series());
    assert_eq!(grown.events_by_kind(), fresh.events_by_kind());
    assert_eq!(grown.scenario().to_query(), fresh.scenario().to_query());
    assert_eq!(grown.digest(), fresh.digest());
    assert_ne!(at_30, grown.digest());
}

#[test]
fn a_run_cannot_be_made_shorter_or_longer_than_allowed() {
    let mut sim = Simulation::new(&Scenario::from_query("preset=calm-day&peers=1000&hours=6").unwrap());
    for bad in [6, 3, 337] {
        let message = sim.extend(bad).unwrap_err().to_string();
        assert!(message.contains(&format!("hours={bad}")) && message.contains("336"), "{message}");
    }
    assert_eq!(sim.end(), 6 * 3_600_000, "a refused length changes nothing");
}

const CELL_FIXTURE: &str = "tests/fixtures/phase-cells.json";

/// Phase-map cells as the page's map and `patchstorm phase` make them
/// (`phase::cell_scenario_keyed`), with the link, digest and class each
/// gives; `web.rs` checks the same cells in the browser.
const CELLS: &[(&str, u32, u64, &str)] = &[
    ("legacy-2007", 2_000, 1, "restart_rate=6&sn_capacity=300"),
    ("resilient", 2_000, 1, "restart_rate=3&sn_capacity=400"),
    ("self-protect-2010", 2_000, 2, "restart_rate=4&login_capacity=60"),
];

#[test]
fn phase_cells_match_the_fixture() {
    use patchstorm::evidence::phase;
    use patchstorm::policy::{Choice, Policy};
    let current: Vec<serde_json::Value> = CELLS
        .iter()
        .map(|&(policy, peers, seed, values)| {
            let policy = *Policy::ALL.iter().find(|p| p.key() == policy).unwrap();
            let pairs: Vec<(&str, &str)> = values.split('&').map(|kv| kv.split_once('=').unwrap()).collect();
            let s = phase::cell_scenario_keyed(policy, peers, seed, &pairs).unwrap();
            let mut sim = Simulation::new(&s);
            sim.run();
            let (heal, _) = phase::classify(&patchstorm::Run::of(&sim));
            serde_json::json!({
                "policy": policy.key(), "peers": peers, "seed": seed, "values": values,
                "query": s.to_query(), "digest": format!("{:016x}", sim.digest()), "class": heal.key(),
            })
        })
        .collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CELL_FIXTURE);
    if std::env::var("UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::write(&path, serde_json::to_string_pretty(&current).unwrap() + "\n").unwrap();
        return;
    }
    let stored: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        stored, current,
        "a phase cell's link, outcome or class changed; if intended, rerun with UPDATE_FIXTURES=1"
    );
}

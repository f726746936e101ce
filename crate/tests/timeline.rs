//! Going back through a run (`timeline.rs`): a run played as the page plays
//! it, with snapshots, and taken back to any sample time, is exactly the
//! straight run to that time, and goes on to the straight run's end; the
//! snapshots stay within their budget; snapshots after a time can be dropped.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::OnceLock;

use patchstorm::render::Frame;
use patchstorm::timeline::Timeline;
use patchstorm::{Run, Scenario, Simulation};
use proptest::prelude::*;

const HOUR: u64 = 3_600_000;
const MINUTE: u64 = 60_000;

const CASES: [&str; 2] = ["preset=skype-2007&peers=20000&hours=48", "preset=skype-2010&peers=20000&hours=48"];

/// Events between snapshots in these small runs: a few dozen snapshots.
const SPACING: u64 = 40_000;

/// Everything the page reads of a run at a moment.
#[derive(Debug, PartialEq)]
struct State {
    now: u64,
    digest: u64,
    events: u64,
    counts: Vec<u64>,
    samples: usize,
    frame: Frame,
}

fn state(sim: &Simulation) -> State {
    let mut frame = Frame::default();
    Frame::capture(sim, &mut frame);
    State {
        now: sim.now(),
        digest: sim.digest(),
        events: sim.events(),
        counts: sim.state_counts().to_vec(),
        samples: sim.series().len(),
        frame,
    }
}

fn build(query: &str) -> Simulation {
    Simulation::new(&Scenario::from_query(query).unwrap())
}

/// A straight run's state at each of `times` (in any order).
fn straight(query: &str, times: &[u64]) -> Vec<State> {
    let mut sorted: Vec<(usize, u64)> = times.iter().copied().enumerate().collect();
    sorted.sort_by_key(|&(_, t)| t);
    let mut sim = build(query);
    let mut out: Vec<Option<State>> = times.iter().map(|_| None).collect();
    for (i, t) in sorted {
        sim.run_until(t);
        out[i] = Some(state(&sim));
    }
    out.into_iter().map(Option::unwrap).collect()
}

/// A run played to its end as the page plays it: uneven slices of
/// `run_until`, and a few batches of events, through a timeline.
struct Played {
    sim: Simulation,
    timeline: Timeline,
    end_digest: u64,
}

fn play(query: &str, timeline: Timeline) -> Played {
    let mut sim = build(query);
    let mut timeline = timeline;
    let mut k = 0u64;
    while !sim.is_done() {
        k += 1;
        if k % 7 == 0 {
            timeline.run_events(&mut sim, 3_000 + 977 * (k % 5));
        } else {
            let t = sim.now() + 37_003 + 91_117 * (k % 11);
            timeline.run_until(&mut sim, t);
        }
        assert!(timeline.bytes() <= timeline.budget());
    }
    let end_digest = sim.digest();
    Played { sim, timeline, end_digest }
}

fn played(case: usize) -> &'static std::sync::Mutex<Played> {
    static PLAYED: [OnceLock<std::sync::Mutex<Played>>; 2] = [OnceLock::new(), OnceLock::new()];
    PLAYED[case]
        .get_or_init(|| std::sync::Mutex::new(play(CASES[case], Timeline::new(usize::MAX).with_spacing(SPACING))))
}

/// Rewinds the played run of `case` to each time and checks it against the
/// straight run; the last one is played on to the end.
fn check(case: usize, times: &[u64]) {
    let expected = straight(CASES[case], times);
    let mut p = played(case).lock().unwrap();
    let p = &mut *p;
    for (&t, want) in times.iter().zip(&expected) {
        let back = p.timeline.rewind(t, &p.sim);
        assert_eq!(&state(&back), want, "{} rewound to {t} ms", CASES[case]);
    }
    let mut on = p.timeline.rewind(*times.last().unwrap(), &p.sim);
    let mut timeline = p.timeline.clone();
    timeline.run_until(&mut on, u64::MAX);
    assert_eq!(on.digest(), p.end_digest, "{} played on from {} ms", CASES[case], times.last().unwrap());
}

#[test]
fn a_run_taken_back_is_the_straight_run_at_the_edges() {
    for (case, query) in CASES.iter().enumerate() {
        let p = played(case).lock().unwrap();
        assert!(p.timeline.len() > 5, "{query} took {} snapshots", p.timeline.len());
        let times = p.timeline.times();
        let (first, end) = (times[0], p.sim.end());
        drop(p);
        let mut edges = vec![0, MINUTE, first - MINUTE, first, first + MINUTE, times[times.len() / 2], end - MINUTE];
        edges.push(end);
        check(case, &edges);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn a_run_taken_back_to_any_sample_time_is_the_straight_run(
        case in 0..CASES.len(),
        minutes in prop::collection::vec(0u64..=48 * 60, 1..4),
    ) {
        let times: Vec<u64> = minutes.iter().map(|m| m * MINUTE).collect();
        check(case, &times);
    }
}

#[test]
fn the_record_taken_back_is_the_straight_runs_record() {
    let query = CASES[0];
    let mut sim = build(query);
    let mut timeline = Timeline::new(usize::MAX).with_spacing(SPACING);
    timeline.run_until(&mut sim, 30 * HOUR);
    let mut record = Run::of(&sim);
    let t = 20 * HOUR + 17 * MINUTE;
    sim = timeline.rewind(t, &sim);
    record.rewind(&sim);
    let mut straight = build(query);
    straight.run_until(t);
    let want = Run::of(&straight);
    assert_eq!(record.series, want.series);
    assert_eq!(
        (record.now, record.done, record.events, record.digest),
        (want.now, want.done, want.events, want.digest)
    );
    assert_eq!(record.state_counts, want.state_counts);
    // And it catches up with the run as it plays on.
    timeline.run_until(&mut sim, 26 * HOUR);
    straight.run_until(26 * HOUR);
    record.catch_up(&sim);
    assert_eq!(record.series, Run::of(&straight).series);
}

#[test]
fn a_tight_budget_thins_the_snapshots_and_stays_within_it() {
    let query = CASES[0];
    let one = {
        let mut sim = build(query);
        sim.run_until(24 * HOUR);
        sim.heap_bytes()
    };
    let budget = 4 * one;
    let mut p = play(query, Timeline::new(budget).with_spacing(SPACING));
    assert!(p.timeline.bytes() <= budget);
    assert!((2..=8).contains(&p.timeline.len()), "{} snapshots", p.timeline.len());
    assert!(p.timeline.spacing() >= 4 * SPACING, "spacing {}", p.timeline.spacing());
    // Coverage stays even: no gap much wider than the others.
    let gaps: Vec<u64> =
        [0].into_iter().chain(p.timeline.times()).collect::<Vec<_>>().windows(2).map(|w| w[1] - w[0]).collect();
    let widest = *gaps.iter().max().unwrap();
    assert!(p.timeline.longest_replay(p.sim.now()) >= widest);
    for &t in &[3 * HOUR, 30 * HOUR, 47 * HOUR] {
        let back = p.timeline.rewind(t, &p.sim);
        assert_eq!(state(&back), straight(query, &[t]).pop().unwrap());
    }
    // A smaller budget thins at once.
    p.timeline.set_budget(budget / 2);
    assert!(p.timeline.bytes() <= budget / 2);
}

#[test]
fn snapshots_after_a_time_can_be_dropped_and_are_taken_again() {
    let query = CASES[1];
    let mut p = play(query, Timeline::new(usize::MAX).with_spacing(SPACING));
    let before = p.timeline.times();
    let cut = 30 * HOUR;
    p.timeline.truncate_after(cut);
    let after = p.timeline.times();
    assert!(after.len() < before.len());
    assert!(after.iter().all(|&t| t <= cut));
    assert_eq!(after[..], before[..after.len()]);
    // Back to the cut, and on to the end: the same snapshots again.
    let mut sim = p.timeline.rewind(cut, &p.sim);
    assert_eq!(state(&sim), straight(query, &[cut]).pop().unwrap());
    p.timeline.run_until(&mut sim, u64::MAX);
    assert_eq!(sim.digest(), p.end_digest);
    assert_eq!(p.timeline.times(), before);
}

#[test]
fn a_snapshot_of_a_run_made_longer_is_made_longer_too() {
    let short = "preset=skype-2007&peers=5000&hours=30";
    let mut sim = build(short);
    let mut timeline = Timeline::new(usize::MAX).with_spacing(10_000);
    timeline.run_until(&mut sim, u64::MAX);
    sim.extend(40).unwrap();
    timeline.run_until(&mut sim, 36 * HOUR);
    let mut back = timeline.rewind(20 * HOUR, &sim);
    assert_eq!(back.end(), 40 * HOUR);
    timeline.run_until(&mut back, u64::MAX);
    let mut long = build("preset=skype-2007&peers=5000&hours=40");
    long.run();
    assert_eq!(back.digest(), long.digest());
}

#[test]
fn snapshot_bytes_grow_with_the_network() {
    let bytes = |peers: u32| {
        let mut sim = build(&format!("preset=skype-2007&peers={peers}&hours=24"));
        sim.run_until(20 * HOUR);
        sim.clone().heap_bytes() as f64
    };
    let (small, large) = (bytes(5_000), bytes(40_000));
    // A fixed part (the wheels, the rhythm, the rate rings), then per peer
    // at least its 22 bytes of records and the events it has queued.
    let per_peer = (large - small) / 35_000.0;
    assert!((22.0..200.0).contains(&per_peer), "{small} -> {large}: {per_peer} bytes per peer");
}

/// The browser rewinds the same run (`web.rs`): this fixture holds the
/// straight run's digest at the time it goes back to, and at the end.
/// Written when `UPDATE_FIXTURES=1`, checked otherwise.
const REWIND_FIXTURE: &str = "tests/fixtures/rewind.json";
const REWIND_CASE: (&str, u64) = ("preset=skype-2007&peers=5000&hours=40", 30 * HOUR + 7 * MINUTE);

#[test]
fn the_rewind_fixture_is_the_straight_run() {
    let (query, t) = REWIND_CASE;
    let mut sim = build(query);
    sim.run_until(t);
    let at = format!("{:016x}", sim.digest());
    sim.run();
    let end = format!("{:016x}", sim.digest());
    let current = serde_json::json!({ "query": query, "t_ms": t, "digest_at_t": at, "digest_at_end": end });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REWIND_FIXTURE);
    if std::env::var("UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::write(&path, serde_json::to_string_pretty(&current).unwrap() + "\n").unwrap();
        return;
    }
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored, current, "rerun with UPDATE_FIXTURES=1 if the model changed on purpose");
}

/// Runs `sim` to its end in slices, with `timeline` taking its snapshots.
fn to_end(timeline: &mut Timeline, sim: &mut Simulation) {
    while !sim.is_done() {
        let next = (sim.now() + 5 * HOUR).min(sim.end());
        timeline.run_until(sim, next);
    }
}

fn pairs(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    changes.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn scrubbing_back_and_intervening_gives_the_straight_run_of_the_link_it_writes() {
    let query = "preset=skype-2007&peers=20000&hours=48";
    let mut timeline = Timeline::new(1 << 30).with_spacing(SPACING);
    let mut sim = build(query);
    to_end(&mut timeline, &mut sim);
    let plain_end = sim.digest();

    // Back to 30 h, switch the policy there, and play on.
    sim = timeline.rewind(30 * HOUR, &sim);
    sim.intervene(&pairs(&[("policy", "resilient")])).unwrap();
    timeline.truncate_after(sim.now());
    to_end(&mut timeline, &mut sim);
    let link = sim.scenario().to_query();
    assert!(link.contains("at=30h"), "the link holds the intervention: {link}");
    let mut straight_run = build(&link);
    straight_run.run();
    assert_eq!(sim.digest(), straight_run.digest(), "scrubbed back and intervened = the link played straight");
    assert_ne!(sim.digest(), plain_end, "the intervention changed the run");

    // Back before the intervention (a snapshot without it) and on to the end:
    // the restored run takes the intervention still to come.
    for t in [10 * HOUR, 30 * HOUR - MINUTE, 30 * HOUR, 31 * HOUR] {
        let mut back = timeline.rewind(t, &sim);
        assert_eq!(state(&back), straight(&link, &[t]).remove(0), "rewound to {t} ms");
        back.run();
        assert_eq!(back.digest(), straight_run.digest(), "from {t} ms on to the end");
    }

    // A second intervention, later, after going back past the first.
    sim = timeline.rewind(36 * HOUR, &sim);
    sim.intervene(&pairs(&[("login_capacity", "300")])).unwrap();
    timeline.truncate_after(sim.now());
    to_end(&mut timeline, &mut sim);
    let both = sim.scenario().to_query();
    assert!(both.contains("at=30h") && both.contains("at=36h"), "{both}");
    let mut straight_both = build(&both);
    straight_both.run();
    assert_eq!(sim.digest(), straight_both.digest());
    let mut back = timeline.rewind(20 * HOUR, &sim);
    back.run();
    assert_eq!(back.digest(), straight_both.digest(), "back before both, on to the end");
}

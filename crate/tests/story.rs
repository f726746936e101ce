//! The story of a run (`evidence::story`) is found in the run: the 2007
//! wave floods the login servers and loses the core, the 2010 run starts
//! with its crash, a calm run says it never collapses, and another restart
//! rate moves the moments.
#![cfg(not(target_arch = "wasm32"))]

use patchstorm::evidence::story::{story, Story};
use patchstorm::{summary, Run, Scenario, Simulation};

fn run(query: &str) -> Run {
    let mut sim = Simulation::new(&Scenario::from_query(query).unwrap());
    sim.run();
    Run::of(&sim)
}

fn t_of(s: &Story, kind: &str) -> Option<u64> {
    s.steps.iter().find(|st| st.kind == kind).map(|st| st.t_ms)
}

/// What every story holds to: steps in time order at sample times of the
/// run, each with words, views and citations, and no number gone wrong.
fn check(run: &Run) -> Story {
    let s = story(run);
    assert!(!s.steps.is_empty(), "{}", run.scenario.to_query());
    assert!(s.steps.windows(2).all(|w| w[0].t_ms <= w[1].t_ms), "{:?}", s.kinds());
    for st in &s.steps {
        assert_eq!(st.t_ms % run.config.sample, 0, "{} at {} is a sample time", st.kind, st.t_ms);
        assert!(st.t_ms <= run.now);
        assert!(!st.title.is_empty() && st.text.len() > 40 && !st.look_at.is_empty() && !st.cites.is_empty());
        assert!(!st.text.contains("NaN") && !st.text.contains("inf"), "{}", st.text);
        assert!(st.cites.iter().all(|c| (c.tag == "P") == c.source.is_some()), "{}: a [P] names its source", st.kind);
    }
    s
}

#[test]
fn the_2007_wave_floods_the_login_servers_and_loses_the_core() {
    for peers in [20_000, 100_000] {
        let r = run(&format!("preset=skype-2007&peers={peers}"));
        let s = check(&r);
        let kinds = s.kinds();
        assert_eq!(kinds[0], "wave_starts", "{peers}: {kinds:?}");
        let wave = t_of(&s, "wave_starts").unwrap();
        assert!(t_of(&s, "login_flood").unwrap() > wave, "{peers}: {kinds:?}");
        assert!(t_of(&s, "core_lost").unwrap() > wave);
        for k in ["overload", "rebuild"] {
            assert!(kinds.contains(&k), "{peers}: {kinds:?}");
        }
        assert!(t_of(&s, "rebuild").unwrap() > t_of(&s, "core_lost").unwrap());
        // The ending is shape.rs's: the summary's healing time, if it heals.
        let healed = summary::summarize(&r, 0.0).recovered_after_hours;
        match (t_of(&s, "heals"), healed) {
            (Some(t), Some(h)) => assert!((t as f64 / 3.6e6 - r.trigger_h() - h).abs() < 1e-6),
            (None, None) => assert!(kinds.contains(&"does_not_heal") || kinds.contains(&"relapses")),
            (t, h) => assert!(kinds.contains(&"relapses"), "heals at {t:?}, summary {h:?}"),
        }
        assert!(s.steps.iter().find(|st| st.kind == "login_flood").unwrap().text.contains(" times that"));
    }
}

#[test]
fn the_2010_run_starts_with_its_crash() {
    let s = check(&run("preset=skype-2010&peers=20000"));
    assert_eq!(s.kinds()[0], "crash", "{:?}", s.kinds());
    assert!(!s.kinds().contains(&"wave_starts"));
    assert!(s.kinds().contains(&"core_lost"));
}

#[test]
fn a_calm_run_never_collapses_and_says_why() {
    let s = check(&run("preset=calm-day&peers=20000"));
    assert_eq!(s.kinds(), ["never_collapses"]);
    assert!(s.steps[0].text.contains("login servers kept up"), "{}", s.steps[0].text);
    // A wave too slow to topple the network: it starts, and the run holds.
    let s = check(&run("preset=skype-2007&peers=20000&restart_rate=1"));
    assert_eq!(s.kinds(), ["wave_starts", "never_collapses"]);
}

#[test]
fn another_restart_rate_moves_the_moments() {
    let (slow, fast) = (
        check(&run("preset=skype-2007&peers=20000&restart_rate=4")),
        check(&run("preset=skype-2007&peers=20000&restart_rate=6.9")),
    );
    for k in ["login_flood", "core_lost"] {
        let (a, b) = (t_of(&slow, k).unwrap(), t_of(&fast, k).unwrap());
        assert!(b < a, "{k}: {a} ms at 4 %/h, {b} ms at 6.9 %/h");
    }
}

#[test]
fn a_run_still_playing_tells_its_story_so_far() {
    let mut sim = Simulation::new(&Scenario::from_query("preset=skype-2007&peers=20000").unwrap());
    sim.run_until(40 * 3_600_000);
    let s = check(&Run::of(&sim));
    assert!(s.kinds().contains(&"core_lost"));
    for k in ["heals", "does_not_heal", "never_collapses"] {
        assert!(!s.kinds().contains(&k), "{:?}", s.kinds());
    }
}

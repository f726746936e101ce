//! The preset outcomes the model is calibrated for, checked at the
//! smallest sizes where each holds seed after seed (10 k to 100 k peers, as
//! each test says). Each check runs the
//! preset through the public entry points and reads the summary and the
//! series, as a user of the CLI would.
#![cfg(not(target_arch = "wasm32"))]

use patchstorm::metrics::Sample;
use patchstorm::summary::{summarize, Summary};
use patchstorm::{Scenario, Simulation};

struct Run {
    summary: Summary,
    series: Vec<Sample>,
    trigger_h: f64,
}

fn run(query: &str) -> Run {
    let scenario = Scenario::from_query(query).unwrap();
    let mut sim = Simulation::new(&scenario);
    sim.run();
    sim.check_invariants().unwrap();
    Run {
        summary: summarize(&patchstorm::Run::of(&sim), 0.0),
        series: sim.series().to_vec(),
        trigger_h: sim.config().trigger as f64 / 3_600_000.0,
    }
}

/// Online count as a share of what the daily rhythm alone gives.
fn ratio(s: &Sample) -> f64 {
    s.online_share / s.normal_share
}

/// Hours after the trigger when online first falls below `share` of normal.
fn first_below(r: &Run, share: f64) -> Option<f64> {
    r.series.iter().find(|s| s.t_hours >= r.trigger_h && ratio(s) < share).map(|s| s.t_hours - r.trigger_h)
}

fn lowest_ratio(r: &Run, from_h: f64, to_h: f64) -> f64 {
    r.series.iter().filter(|s| s.t_hours >= from_h && s.t_hours <= to_h).map(ratio).fold(f64::INFINITY, f64::min)
}

/// The 2007 outcome at a size and seed: collapse within hours of the wave,
/// healing with no input from outside within `heal` hours of the trigger.
fn check_2007(peers: u32, seed: u32, heal: std::ops::Range<f64>) {
    let r = run(&format!("preset=skype-2007&peers={peers}&seed={seed}"));
    assert!(lowest_ratio(&r, 0.0, r.trigger_h) > 0.9, "normal before the wave");
    // The wave reaches Europe about 9 h after the patch is out and the
    // Americas' mornings about 20 h after; the collapse comes within them.
    let collapse = first_below(&r, 0.1).expect("the network collapses");
    assert!((6.0..24.0).contains(&collapse), "collapse {collapse} h after the trigger");
    assert!(r.summary.online_min < 0.1 * r.summary.online_normal, "{:?}", r.summary);
    // The supernodes rebooted too, and the promotion pace did not replace them.
    assert!(r.summary.supernodes_min < 0.5 * r.summary.supernodes_normal, "{:?}", r.summary);
    let healed = r.summary.recovered_after_hours.expect("it heals within the run, with no input from outside");
    assert!(heal.contains(&healed), "{peers} peers, seed {seed}: healed after {healed} h");
}

#[test]
fn skype_2007_collapses_within_hours_and_takes_about_two_days_to_heal() {
    // The seeds heal late on Aug 17 (UTC): 52.7-54.9 h after the trigger
    // at 100 k peers (15 of seeds 1-16; one heals at 36.0 h), 53.4-54.1 h
    // at 1 M (seeds 1-16). At 10 k peers the seeds spread over 23-72 h and
    // some never fall below a tenth of normal, so the test runs at 100 k.
    for seed in [1, 2, 3] {
        check_2007(100_000, seed, 50.0..66.0);
    }
}

#[test]
fn resilient_2007_dips_shallowly_and_is_back_soon_after_the_wave() {
    // At 10 k peers there are about 25 supernodes, and one whose PC
    // restarts late in the wave sends about 5% of those online searching
    // for a minute (0.949 of normal 30 h after the trigger, seed 1); at
    // 30 k the runs stay above 0.98 of normal then.
    let r = run("preset=resilient-2007&peers=30000");
    let lowest = lowest_ratio(&r, r.trigger_h, f64::INFINITY);
    assert!(lowest > 0.85, "a shallow dip, lowest {lowest}");
    assert_eq!(r.summary.lowest_of_normal_day, lowest, "the summary's lowest share of a normal day");
    // The wave's last restarts come about 22 h after the patch (the
    // Americas' late boots); two hours later everything is back.
    let last_restart = r.series.iter().filter(|s| s.restarts_ps > 0.0).map(|s| s.t_hours).fold(0.0, f64::max);
    let later: Vec<&Sample> =
        r.series.iter().filter(|s| s.t_hours >= last_restart.min(r.trigger_h + 24.0) + 2.0).collect();
    assert!(!later.is_empty());
    assert!(later.iter().all(|s| ratio(s) >= 0.95), "back to normal two hours after the wave");
}

#[test]
fn skype_2010_stays_down_until_the_mega_supernodes_arrive() {
    for seed in [1, 2] {
        let r = run(&format!("preset=skype-2010&peers=10000&seed={seed}"));
        assert!(lowest_ratio(&r, 0.0, r.trigger_h) > 0.9, "normal before the crash");
        let collapse = first_below(&r, 0.1).expect("the network collapses after the crash");
        assert!(collapse < 6.0, "collapse {collapse} h after the crash");
        let mega_h =
            r.series.iter().find(|s| s.sn_mega > 0.0).map(|s| s.t_hours - r.trigger_h).expect("mega-supernodes start");
        assert!(lowest_ratio(&r, r.trigger_h + collapse, r.trigger_h + mega_h) < 0.1, "no recovery before them");
        let healed = r.summary.recovered_after_hours.expect("near normal within the run");
        assert!(healed > mega_h && (30.0..50.0).contains(&healed), "healed after {healed} h, megas after {mega_h} h");
    }
}

#[test]
fn a_calm_day_stays_normal() {
    let r = run("preset=calm-day&peers=10000");
    let lowest = lowest_ratio(&r, 0.0, f64::INFINITY);
    assert!(lowest > 0.95, "lowest {lowest}");
    assert_eq!(r.summary.recovered_after_hours, Some(0.0));
}

#[test]
fn the_restart_rate_knob_sets_the_waves_peak() {
    for (rate, bunching) in [(2.0, true), (5.0, true), (5.0, false)] {
        let r = run(&format!("preset=resilient-2007&peers=20000&restart_rate={rate}&bunching={bunching}&hours=60"));
        // Peak restarts over any hour, as a share of peers per hour.
        let per_min: Vec<f64> = r.series.iter().map(|s| s.restarts_ps * 60.0 / 20_000.0).collect();
        let peak = per_min.windows(60).map(|w| w.iter().sum::<f64>()).fold(0.0, f64::max) * 100.0;
        assert!((peak - rate).abs() < 0.15 * rate, "asked {rate} %/h (bunching {bunching}), got {peak:.2} %/h");
    }
}

/// Promotions per minute per million peers from half an hour to
/// `half_an_hour + hours` after every supernode host is restarted by hand,
/// checking that the allocation wanted more supernodes all along: it counts
/// every live supernode as 400 places and aims to leave 250 of them used
/// by the peers that are logging in, searching or attached (the defaults).
fn promotion_pace(peers: u32, hours: f64, changes: &str) -> f64 {
    let r = run(&format!("preset=calm-day&peers={peers}&hours=26&sn_down=1&promote_rate=3&{changes}"));
    let (from, to) = (r.trigger_h + 0.5, r.trigger_h + 0.5 + hours);
    let window: Vec<&Sample> = r.series.iter().filter(|s| s.t_hours > from && s.t_hours <= to).collect();
    let last = window.last().expect("samples in the window");
    let (have, needed) = (last.sn_live * 400.0, (last.sn_demand + last.login_wait) * 400.0 / 250.0);
    assert!(have < needed, "{peers} peers: the shortage ended within the window");
    let promoted: f64 = window.iter().map(|s| s.promotions_ps * 60.0).sum();
    promoted / (window.len() as f64) / (peers as f64 / 1e6)
}

#[test]
fn the_promotion_pace_is_the_same_at_every_population_size() {
    // 3 per minute per million peers is 0.06 a minute at 20 k peers and 0.6
    // at 200 k. Capping the saved-up allowance at one whole promotion once
    // turned 0.6 a minute into one every 2 minutes (17% short) while 20 k
    // kept its pace. At 20 k the 8 hours hold about 29 promotions, hence
    // the 5% margin.
    for peers in [20_000, 200_000] {
        let pace = promotion_pace(peers, 8.0, "promote_uptime_min=0");
        assert!((pace - 3.0).abs() < 0.15, "{peers} peers: {pace:.3} promotions per minute per M peers, asked 3");
    }
}

#[test]
fn scarce_candidates_are_found_at_the_same_pace_at_every_population_size() {
    // Only peers up for two days may be promoted and only 10% run day and
    // night, so few capable peers are eligible. 40 draws per promotion kept
    // the pace at 20 k peers (2.9), where a promotion is due every 17
    // minutes and a miss is retried the next minute, but not at 200 k (1.7),
    // where one is due every 100 seconds. Drawing a share of the capable
    // peers a minute finds them at both sizes.
    let pace = |peers| promotion_pace(peers, 4.0, "promote_uptime_min=2880&always_on=0.1");
    for (peers, pace) in [(20_000, pace(20_000)), (200_000, pace(200_000))] {
        assert!((pace - 3.0).abs() < 0.45, "{peers} peers: {pace:.3} promotions per minute per M peers, asked 3");
    }
}

/// Lowest online share of normal after the network first climbs back above
/// half of normal following its collapse, until the run ends.
fn lowest_after_first_climb(r: &Run) -> f64 {
    let collapse = first_below(r, 0.1).expect("the network collapses") + r.trigger_h;
    let climb = r
        .series
        .iter()
        .find(|s| s.t_hours > collapse && ratio(s) > 0.5)
        .expect("the network climbs back above half of normal")
        .t_hours;
    lowest_ratio(r, climb, f64::INFINITY)
}

/// In the 2007 calibration of link format 1, where a refusal costs a
/// supernode as much as an attempt, a full supernode core tips over: the
/// clients it refuses search on every 2 s and their attempts overload it.
/// When a refusal by a supernode that is not overloaded costs it little
/// (`sn_refusal_cost`), the core holds what it can and the network climbs
/// as the core grows.
#[test]
fn a_full_core_tips_over_unless_its_refusals_are_cheap() {
    for seed in [1, 2] {
        let q = format!("v=1&preset=skype-2007&peers=20000&seed={seed}");
        let costly = lowest_after_first_climb(&run(&q));
        assert!(costly < 0.1, "seed {seed}: refusals as costly as attempts, lowest {costly} after the first climb");
        let cheap = lowest_after_first_climb(&run(&format!("{q}&sn_refusal_cost=0.07")));
        assert!(cheap > 0.4, "seed {seed}: cheap refusals, lowest {cheap} after the first climb");
    }
}

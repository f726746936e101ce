//! Properties over many random scenarios: every peer is in exactly one
//! state, capacities are never exceeded, runs are deterministic, and
//! scenarios survive the trip through a link.
#![cfg(not(target_arch = "wasm32"))]

use patchstorm::scenario::{params, Kind, P, PARAMS, PRESETS};
use patchstorm::{Scenario, Simulation};
use proptest::prelude::*;

const POLICIES: [&str; 3] = ["legacy-2007", "self-protect-2010", "resilient"];

/// A small random scenario: any preset and policy, some knobs mixed in.
fn small_scenario() -> impl Strategy<Value = String> {
    (
        0..PRESETS.len(),
        0..3usize,
        1_000u32..4_000,
        // Every preset's trigger (16 h or 40 h after the start) falls inside.
        44u32..60,
        0u32..1_000,
        prop::option::of(0..3usize),
        prop::option::of(0..3usize),
        prop::option::of(1.0f64..6.0),
        prop::option::of(prop::sample::select(vec![5.0f64, 20.0, 300.0])),
    )
        .prop_map(|(preset, policy, peers, hours, seed, retry, overload, rate, login)| {
            let mut q = format!(
                "preset={}&policy={}&peers={peers}&hours={hours}&seed={seed}",
                PRESETS[preset].key, POLICIES[policy]
            );
            if let Some(r) = retry {
                q += &format!("&retry={}", ["fixed", "exponential", "jitter"][r]);
            }
            if let Some(o) = overload {
                q += &format!("&sn_overload={}", ["stall", "shutdown", "admission"][o]);
            }
            if let Some(r) = rate {
                q += &format!("&restart_rate={r:.2}");
            }
            if let Some(l) = login {
                q += &format!("&login_capacity={l}");
            }
            q
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn peers_are_conserved_and_capacities_hold(query in small_scenario()) {
        let scenario = Scenario::from_query(&query);
        prop_assume!(scenario.is_ok(), "{:?}", scenario);
        let mut sim = Simulation::new(&scenario.unwrap());
        let step = 2 * 3_600_000;
        let mut t = 0;
        while !sim.is_done() {
            t += step;
            sim.run_until(t);
            prop_assert_eq!(sim.check_invariants(), Ok(()), "{}", query);
        }
        let peers = sim.config().peers as f64;
        for s in sim.series() {
            let sum = s.offline + s.restarting + s.login_wait + s.searching + s.connected + s.supernode;
            prop_assert_eq!(sum, peers, "{} at {} h", query, s.t_hours);
            // Capacity accrues by the second; one request's worth may carry
            // over into the next sample interval, no more.
            let interval = sim.config().sample as f64 / 1_000.0;
            prop_assert!(s.login_accepted_ps * interval <= s.login_capacity_ps * interval + 1.0 + 1e-9,
                "{} logins {}/s > capacity {}/s", query, s.login_accepted_ps, s.login_capacity_ps);
        }
    }

    #[test]
    fn the_same_scenario_gives_the_same_digest(query in small_scenario()) {
        let scenario = Scenario::from_query(&query);
        prop_assume!(scenario.is_ok(), "{:?}", scenario);
        let scenario = scenario.unwrap();
        let digest = |s: &Scenario| {
            let mut sim = Simulation::new(s);
            sim.run_until(12 * 3_600_000);
            sim.digest()
        };
        prop_assert_eq!(digest(&scenario), digest(&scenario));
    }

    #[test]
    fn a_run_made_longer_anywhere_is_the_longer_run(query in small_scenario(), cut in 0.0f64..1.3, more in 1u32..12) {
        let scenario = Scenario::from_query(&query);
        prop_assume!(scenario.is_ok(), "{:?}", scenario);
        let scenario = scenario.unwrap();
        let hours = scenario.int(P::Hours) as u32;
        let mut longer = scenario.clone();
        longer.set("hours", &(hours + more).to_string()).unwrap();
        let mut fresh = Simulation::new(&longer);
        fresh.run();
        let mut grown = Simulation::new(&scenario);
        if cut < 1.0 {
            grown.run_until((cut * grown.end() as f64) as u64);
        } else {
            // To the end event by event, as the browser's `runEvents` goes:
            // the step that finds the next event past the end keeps it.
            while grown.run_events(5_000) > 0 {}
            prop_assert!(grown.is_done());
        }
        grown.extend(hours + more).unwrap();
        grown.run();
        prop_assert_eq!(grown.series(), fresh.series(), "{} cut at {}", query, cut);
        prop_assert_eq!(grown.digest(), fresh.digest());
    }

    #[test]
    fn scenarios_round_trip_through_links(choices in prop::collection::vec((0..PARAMS.len(), 0.0f64..1.0), 0..8), preset in 0..PRESETS.len()) {
        let mut s = Scenario::preset(PRESETS[preset].preset);
        for (i, u) in choices {
            let p = &PARAMS[i];
            let text = match p.kind {
                Kind::Int { min, max } => format!("{}", min + ((max - min) as f64 * u) as i64),
                Kind::Float { min, max } => format!("{}", min + (max - min) * u),
                Kind::Bool => format!("{}", u < 0.5),
                Kind::Choice { options } => options[((options.len() as f64 * u) as usize).min(options.len() - 1)].to_string(),
                Kind::Time { min, max } => patchstorm::time::format_utc(min + ((max - min) as f64 * u) as i64 / 60 * 60),
            };
            s.set(p.key, &text).unwrap();
        }
        let back = Scenario::parse_query(&s.to_query()).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(back.to_query(), s.to_query());
    }

    #[test]
    fn out_of_range_values_are_refused_by_name(i in 0..PARAMS.len(), above in any::<bool>()) {
        let p = &PARAMS[i];
        let bad = match p.kind {
            Kind::Int { min, max } => if above { (max + 1).to_string() } else { (min - 1).to_string() },
            Kind::Float { min, max } => if above { (max * 2.0 + 1.0).to_string() } else { (min - 1.0).to_string() },
            Kind::Bool => "maybe".to_string(),
            Kind::Choice { .. } => "no-such-option".to_string(),
            Kind::Time { .. } => if above { "2150-01-01T00:00Z".to_string() } else { "1990-01-01T00:00Z".to_string() },
        };
        let err = Scenario::from_query(&format!("{}={}", p.key, bad)).unwrap_err().to_string();
        prop_assert!(err.contains(&format!("{}={}", p.key, bad)), "{}", err);
        prop_assert!(err.contains(&params::allowed(&p.kind)), "{}", err);
    }
}

#[test]
fn different_seeds_give_different_digests() {
    let digest = |seed: u32| {
        let mut sim = Simulation::new(
            &Scenario::from_query(&format!("preset=skype-2007&peers=3000&hours=30&seed={seed}")).unwrap(),
        );
        sim.run();
        sim.digest()
    };
    let digests: Vec<u64> = (1..6).map(digest).collect();
    for i in 0..digests.len() {
        for j in i + 1..digests.len() {
            assert_ne!(digests[i], digests[j]);
        }
    }
}

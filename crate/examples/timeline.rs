//! What snapshots cost at the page's default size: `cargo run --release
//! -p patchstorm --example timeline [-- QUERY...]`. Prints, per run, the
//! snapshots kept under the default budget, their size, how long a clone
//! takes, what playing with snapshots costs, and the slowest rewind (to the
//! sample time just before each snapshot, the longest replay from the one
//! before it). Figures for BENCHMARKS.md; nothing is asserted.

use std::time::Instant;

use patchstorm::timeline::{Timeline, DEFAULT_BUDGET};
use patchstorm::{Scenario, Simulation};

const MIB: f64 = (1 << 20) as f64;

fn main() {
    let mut queries: Vec<String> = std::env::args().skip(1).collect();
    if queries.is_empty() {
        queries = ["preset=skype-2007&peers=100000&hours=96", "preset=skype-2010&peers=100000&hours=96"]
            .map(String::from)
            .to_vec();
    }
    for query in queries {
        let scenario = Scenario::from_query(&query).expect("a valid query");
        let step = 5 * 60_000;

        let start = Instant::now();
        let mut plain = Simulation::new(&scenario);
        while !plain.is_done() {
            let t = plain.now() + step;
            plain.run_until(t);
        }
        let plain_s = start.elapsed().as_secs_f64();

        let start = Instant::now();
        let mut sim = Simulation::new(&scenario);
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        while !sim.is_done() {
            let t = sim.now() + step;
            timeline.run_until(&mut sim, t);
        }
        let played_s = start.elapsed().as_secs_f64();
        assert_eq!(sim.digest(), plain.digest(), "snapshots do not change the run");

        let mut clone_ms: f64 = 0.0;
        let mut probe = Simulation::new(&scenario);
        for h in [24, 48, 72, 96] {
            probe.run_until(h * 3_600_000);
            let start = Instant::now();
            let c = probe.clone();
            clone_ms = clone_ms.max(start.elapsed().as_secs_f64() * 1e3);
            drop(c);
        }

        let every = sim.config().sample;
        let mut targets: Vec<u64> = timeline.times().iter().map(|&t| t - every).collect();
        targets.push(sim.now());
        let (mut worst_ms, mut worst_at) = (0.0f64, 0);
        for &t in &targets {
            let start = Instant::now();
            let back = timeline.rewind(t, &sim);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            if ms > worst_ms {
                (worst_ms, worst_at) = (ms, t);
            }
            drop(back);
        }
        let sizes: Vec<f64> = (0..1).map(|_| timeline.bytes() as f64 / timeline.len().max(1) as f64).collect();
        println!("{query}");
        println!(
            "  run {:.2} s plain, {:.2} s with snapshots ({} events, heap {:.1} MiB at the end)",
            plain_s,
            played_s,
            sim.events(),
            sim.heap_bytes() as f64 / MIB
        );
        println!(
            "  {} snapshots, {:.1} MiB in all ({:.1} MiB each on average) of a {:.0} MiB budget; spacing {} events; \
             longest replay {:.2} h of simulated time",
            timeline.len(),
            timeline.bytes() as f64 / MIB,
            sizes[0] / MIB,
            DEFAULT_BUDGET as f64 / MIB,
            timeline.spacing(),
            timeline.longest_replay(sim.now()) as f64 / 3_600_000.0
        );
        println!(
            "  clone at most {clone_ms:.1} ms; slowest rewind {worst_ms:.1} ms (to {:.2} h)",
            worst_at as f64 / 3_600_000.0
        );
    }
}

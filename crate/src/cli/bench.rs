//! `patchstorm bench`: wall time, events per second and peak memory per
//! peer of a preset at several sizes. Each size runs in a child process so
//! its peak memory is its own.

use std::process::Command;
use std::time::Instant;

use patchstorm::peer::Peers;
use patchstorm::Simulation;

use super::{as_given, build_scenario, input, preset_keys, Checked, Failure, List, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The sizes, in peers (1_000_000 may be written with underscores)
    #[arg(long, value_name = "N,N,...", allow_hyphen_values = true, value_parser = Checked::new(sizes),
          default_value_t = List(vec![100_000, 1_000_000, 10_000_000]))]
    peers: List<u64>,
    /// Simulated hours of each run
    #[arg(long, value_name = "H", allow_hyphen_values = true, default_value = "48")]
    hours: String,
    /// The preset to time
    #[arg(long, value_name = "NAME", allow_hyphen_values = true, default_value = "skype-2007",
          value_parser = Checked::new(as_given).offering(preset_keys))]
    preset: String,
}

fn sizes(flag: &str, v: &str) -> Result<List<u64>> {
    v.split(',')
        .map(|x| x.trim().replace('_', "").parse::<u64>())
        .collect::<std::result::Result<_, _>>()
        .map(List)
        .map_err(|_| input(format!("{flag} {v} is not a comma-separated list of whole numbers")))
}

/// Every size checked before the first long run.
fn checked(a: &Args) -> Result<()> {
    for &n in &a.peers.0 {
        build_scenario(Some(&a.preset), None, &[&format!("peers={n}")], Some(&a.hours))?;
    }
    Ok(())
}

pub fn bench(o: Args) -> Result<()> {
    checked(&o)?;
    let exe = std::env::current_exe().map_err(|e| Failure::Run(format!("cannot find this program: {e}")))?;
    println!(
        "preset {}, {} simulated hours, one process per size ({} bytes of peer state per peer)",
        o.preset,
        o.hours,
        Peers::BYTES_PER_PEER
    );
    println!(
        "{:>12} {:>10} {:>14} {:>14} {:>12} {:>14}",
        "peers", "wall s", "events", "events/s", "peak MiB", "bytes/peer"
    );
    for &n in &o.peers.0 {
        let out = Command::new(&exe)
            .args(["bench-one", "--peers", &n.to_string(), "--hours", &o.hours, "--preset", &o.preset])
            .output()
            .map_err(|e| Failure::Run(format!("starting the benchmark child: {e}")))?;
        if !out.status.success() {
            return Err(Failure::Run(format!(
                "benchmark at {n} peers failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(line.trim())
            .map_err(|e| Failure::Run(format!("benchmark child printed {line:?}: {e}")))?;
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:>12} {:>10.2} {:>14} {:>14.0} {:>12.0} {:>14.1}",
            n,
            f("wall_seconds"),
            f("events") as u64,
            f("events_per_second"),
            f("peak_bytes") / (1024.0 * 1024.0),
            f("peak_bytes") / n as f64
        );
    }
    Ok(())
}

pub fn bench_one(o: Args) -> Result<()> {
    checked(&o)?;
    let n = *o.peers.0.first().ok_or_else(|| input("bench-one needs --peers N"))?;
    let scenario = build_scenario(Some(&o.preset), None, &[&format!("peers={n}")], Some(&o.hours))?;
    let started = Instant::now();
    let mut sim = Simulation::new(&scenario);
    sim.run();
    let wall = started.elapsed().as_secs_f64();
    let summary = patchstorm::summary::summarize(&patchstorm::Run::of(&sim), wall);
    println!(
        "{}",
        serde_json::json!({
            "peers": n,
            "wall_seconds": wall,
            "events": sim.events(),
            "events_per_second": sim.events() as f64 / wall,
            "peak_bytes": peak_rss_bytes(),
            "digest": summary.digest,
        })
    );
    Ok(())
}

/// Peak resident set size of this process (Linux `VmHWM`), 0 where unknown.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

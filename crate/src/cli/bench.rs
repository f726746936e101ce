//! `patchstorm bench`: wall time, events per second and peak memory per
//! peer of a preset at several sizes. Each size runs in a child process so
//! its peak memory is its own.

use std::process::Command;
use std::time::Instant;

use patchstorm::peer::Peers;
use patchstorm::Simulation;

use super::{build_scenario, input, Failure, Flags, Result};

struct Options<'a> {
    peers: Vec<u64>,
    hours: &'a str,
    preset: &'a str,
}

fn options(args: &[String]) -> Result<Options<'_>> {
    let mut o = Options { peers: vec![100_000, 1_000_000, 10_000_000], hours: "48", preset: "skype-2007" };
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--peers" => {
                let v = flags.value(flag)?;
                o.peers = v
                    .split(',')
                    .map(|x| x.trim().replace('_', "").parse::<u64>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| input(format!("--peers {v} is not a comma-separated list of whole numbers")))?;
            }
            "--hours" => o.hours = flags.value(flag)?,
            "--preset" => o.preset = flags.value(flag)?,
            other => return Err(input(format!("unknown option {other:?} for bench"))),
        }
    }
    // Check every size before the first long run.
    for &n in &o.peers {
        build_scenario(Some(o.preset), None, &[&format!("peers={n}")], Some(o.hours))?;
    }
    Ok(o)
}

pub fn bench(args: &[String]) -> Result<()> {
    let o = options(args)?;
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
    for &n in &o.peers {
        let out = Command::new(&exe)
            .args(["bench-one", "--peers", &n.to_string(), "--hours", o.hours, "--preset", o.preset])
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

pub fn bench_one(args: &[String]) -> Result<()> {
    let o = options(args)?;
    let n = *o.peers.first().ok_or_else(|| input("bench-one needs --peers N"))?;
    let scenario = build_scenario(Some(o.preset), None, &[&format!("peers={n}")], Some(o.hours))?;
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

//! `patchstorm phase`: where the 2007 wave heals quickly, slowly or not at
//! all, per policy.

use patchstorm::evidence::study::{PHASE_CAPACITIES, PHASE_RATES, PHASE_SEEDS, REPORT_PHASE_PEERS};
use patchstorm::policy::{Choice, Policy};
use patchstorm::Scenario;

use super::report::tables::{phase_legend, phase_table};
use super::runner::phase_runs;
use super::{build_scenario, check_peers, check_seed, emit, input, parse_list, seed_count, Failure, Flags, Result};

pub fn phase(args: &[String]) -> Result<()> {
    let mut peers = REPORT_PHASE_PEERS;
    let mut policies: Vec<Policy> = Policy::ALL.to_vec();
    let mut seeds: Vec<u64> = (1..=PHASE_SEEDS).collect();
    let mut rates = PHASE_RATES.to_vec();
    let mut capacities = PHASE_CAPACITIES.to_vec();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--policy" => {
                let v = flags.value(flag)?;
                policies = if v == "all" {
                    Policy::ALL.to_vec()
                } else {
                    vec![*Policy::ALL
                        .iter()
                        .find(|p| p.key() == v)
                        .ok_or_else(|| input(format!("--policy {v}: use all, {}", Policy::KEYS.join(", "))))?]
                };
            }
            "--rates" => rates = parse_list(flag, flags.value(flag)?)?,
            "--capacities" => capacities = parse_list(flag, flags.value(flag)?)?,
            "--seed" => seeds = vec![check_seed(flags.value(flag)?)?],
            "--seeds" => seeds = seed_count(flag, flags.value(flag)?)?,
            other => return Err(input(format!("unknown option {other:?} for phase"))),
        }
    }
    for r in &rates {
        build_scenario(None, None, &[&format!("restart_rate={r}")], None).or_else(|e| match e {
            // Too fast for this wave is shown as an empty cell, not refused.
            Failure::Input(m) if m.contains("cannot go faster") => Ok(Scenario::default()),
            other => Err(other),
        })?;
    }
    for c in &capacities {
        build_scenario(None, None, &[&format!("sn_capacity={c}")], None)?;
    }
    let maps = phase_runs(&policies, &rates, &capacities, peers, &seeds);
    let mut out = format!("phase map of the 2007 restart wave ({peers} peers), healing counted from the end of the wave (when 95% of its restarts have happened)\n");
    for m in &maps {
        out += &phase_table(m);
        out.push('\n');
    }
    out += &phase_legend(seeds.len());
    out.push('\n');
    emit(out.as_bytes())
}

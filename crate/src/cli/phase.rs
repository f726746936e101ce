//! `patchstorm phase`: where the 2007 wave heals quickly, slowly or not at
//! all, per policy.

use patchstorm::evidence::study::{PHASE_CAPACITIES, PHASE_RATES, PHASE_SEEDS, REPORT_PHASE_PEERS};
use patchstorm::policy::{Choice, Policy};
use patchstorm::Scenario;

use super::report::tables::{phase_legend, phase_table};
use super::runner::phase_runs;
use super::{
    build_scenario, check_peers, check_seed, emit, input, parse_list, seed_count, seeds_of, Checked, Failure, List,
    Result,
};

#[derive(clap::Args)]
pub struct Args {
    /// One policy, or all of them
    #[arg(long, value_name = "NAME|all", allow_hyphen_values = true, default_value = "all",
          value_parser = Checked::new(policies).offering(policy_keys))]
    policy: Policies,
    /// Peers of each run
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_PHASE_PEERS)]
    peers: u32,
    /// One seed, instead of --seeds
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = Checked::new(check_seed),
          overrides_with = "seeds")]
    seed: Option<u64>,
    /// Seeds 1 to N, one run of each a cell
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(seed_count),
          default_value_t = PHASE_SEEDS)]
    seeds: u64,
    /// The columns: restart rates of the wave, in %/h
    #[arg(long, value_name = "R,R,...", allow_hyphen_values = true, value_parser = Checked::new(parse_list::<f64>),
          default_value_t = List(PHASE_RATES.to_vec()))]
    rates: List<f64>,
    /// The rows: supernode capacities, in clients
    #[arg(long, value_name = "C,C,...", allow_hyphen_values = true, value_parser = Checked::new(parse_list::<u32>),
          default_value_t = List(PHASE_CAPACITIES.to_vec()))]
    capacities: List<u32>,
}

#[derive(Clone)]
struct Policies(Vec<Policy>);

fn policies(flag: &str, v: &str) -> Result<Policies> {
    if v == "all" {
        return Ok(Policies(Policy::ALL.to_vec()));
    }
    let one = Policy::ALL.iter().find(|p| p.key() == v);
    one.map(|&p| Policies(vec![p])).ok_or_else(|| input(format!("{flag} {v}: use all, {}", Policy::KEYS.join(", "))))
}

fn policy_keys() -> Vec<&'static str> {
    std::iter::once("all").chain(Policy::KEYS.iter().copied()).collect()
}

pub fn phase(a: Args) -> Result<()> {
    let (policies, peers, seeds) = (a.policy.0, a.peers, seeds_of(a.seed, a.seeds));
    let (rates, capacities) = (a.rates.0, a.capacities.0);
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

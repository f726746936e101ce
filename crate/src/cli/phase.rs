//! `patchstorm phase`: where the 2007 wave heals quickly, slowly or not at
//! all, per policy, over the restart rate and any numeric parameter (the
//! page's map makes the same cells). `--format jsonl` writes one line per
//! run; `--shard I/N` runs slice I of N of the runs, so a batch engine can
//! spread a big map over many machines, and `--merge` joins the slices.

use std::collections::BTreeMap;

use patchstorm::evidence::phase::{Heal, MapPlan, Shard};
use patchstorm::evidence::study::{PHASE_CAPACITIES, PHASE_RATES, PHASE_SEEDS, REPORT_PHASE_PEERS};
use patchstorm::policy::{Choice, Policy};
use patchstorm::scenario::{params, PARAMS};
use patchstorm::Scenario;

use super::report::tables::{grid_table, phase_legend};
use super::runner::map_runs;
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
    /// The rows' parameter: any numeric parameter with a range (`patchstorm params`)
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, default_value = "sn_capacity",
          value_parser = Checked::new(axis_of).offering(axis_keys))]
    axis: String,
    /// The rows: values of --axis
    #[arg(long, value_name = "V,V,...", allow_hyphen_values = true, value_parser = Checked::new(parse_list::<f64>),
          conflicts_with = "capacities")]
    values: Option<List<f64>>,
    /// The rows: supernode capacities, in clients (the same as --axis sn_capacity --values)
    #[arg(long, value_name = "C,C,...", allow_hyphen_values = true, value_parser = Checked::new(parse_list::<u32>))]
    capacities: Option<List<u32>>,
    /// What to print: tables, or JSON lines (a header line, then one line per run)
    #[arg(long, default_value = "table", allow_hyphen_values = true,
          value_parser = Checked::new(format_of).offering(|| vec!["table", "jsonl"]))]
    format: Format,
    /// Runs only slice I of N of the map's runs, as JSON lines (for a Kubernetes Indexed Job or a Slurm job array)
    #[arg(long, value_name = "I/N", allow_hyphen_values = true, value_parser = Checked::new(shard_of))]
    shard: Option<ShardArg>,
    /// Joins the JSON lines of a map's slices into the whole map, and runs nothing
    #[arg(long, value_name = "FILE", num_args = 1.., value_hint = clap::ValueHint::FilePath,
          conflicts_with_all = ["shard", "policy", "peers", "seed", "seeds", "rates", "axis", "values", "capacities"])]
    merge: Option<Vec<String>>,
}

#[derive(Clone)]
struct Policies(Vec<Policy>);

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Table,
    Jsonl,
}

#[derive(Clone, Copy)]
struct ShardArg(Shard);

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

/// The parameters a map's rows may be: numeric, with a range, and not one a cell sets itself.
fn axis_keys() -> Vec<&'static str> {
    PARAMS
        .iter()
        .filter(|p| matches!(p.kind, params::Kind::Int { .. } | params::Kind::Float { .. }))
        .map(|p| p.key)
        .filter(|k| !["restart_rate", "peers", "seed", "hours"].contains(k))
        .collect()
}

fn axis_of(flag: &str, v: &str) -> Result<String> {
    let keys = axis_keys();
    if keys.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(input(format!("{flag} {v}: the rows are one of {}", keys.join(", "))))
    }
}

fn format_of(flag: &str, v: &str) -> Result<Format> {
    match v {
        "table" => Ok(Format::Table),
        "jsonl" => Ok(Format::Jsonl),
        _ => Err(input(format!("{flag} {v} is not allowed: use table or jsonl"))),
    }
}

fn shard_of(flag: &str, v: &str) -> Result<ShardArg> {
    Shard::parse(v).map(ShardArg).map_err(|m| input(format!("{flag} {m}")))
}

/// A number as a link writes it (`6.8`, `300`).
fn text(v: f64) -> String {
    format!("{v}")
}

pub fn phase(a: Args) -> Result<()> {
    if let Some(files) = &a.merge {
        return merge(files, a.format);
    }
    let values: Vec<String> = match (&a.values, &a.capacities) {
        (Some(v), _) => v.0.iter().map(|&x| text(x)).collect(),
        (None, Some(c)) if a.axis == "sn_capacity" => c.0.iter().map(|c| c.to_string()).collect(),
        (None, Some(_)) => {
            return Err(input(format!(
                "--capacities are the rows of --axis sn_capacity; for --axis {} give --values",
                a.axis
            )))
        }
        (None, None) if a.axis == "sn_capacity" => PHASE_CAPACITIES.iter().map(|c| c.to_string()).collect(),
        (None, None) => return Err(input(format!("--axis {} needs --values V,V,... for its rows", a.axis))),
    };
    for r in &a.rates.0 {
        build_scenario(None, None, &[&format!("restart_rate={r}")], None).or_else(|e| match e {
            // Too fast for this wave is shown as an empty cell, not refused.
            Failure::Input(m) if m.contains("cannot go faster") => Ok(Scenario::default()),
            other => Err(other),
        })?;
    }
    for v in &values {
        build_scenario(None, None, &[&format!("{}={v}", a.axis)], None)?;
    }
    let plan = MapPlan {
        policies: a.policy.0.iter().map(|p| p.key().to_string()).collect(),
        rates: a.rates.0.iter().map(|&r| text(r)).collect(),
        axis: a.axis.clone(),
        values,
        seeds: seeds_of(a.seed, a.seeds),
        peers: a.peers,
    };
    let shard = a.shard.map_or(Shard::ALL, |s| s.0);
    let all = plan.jobs().map_err(input)?;
    let jobs: Vec<_> = all.iter().filter(|j| shard.takes(j.index)).cloned().collect();
    let outcomes = map_runs(&plan, &jobs);
    let lines: Vec<serde_json::Value> = jobs.iter().zip(&outcomes).map(|(j, o)| plan.line(j, o)).collect();
    if a.format == Format::Jsonl || a.shard.is_some() {
        emit(jsonl(&plan, shard, all.len(), &lines).as_bytes())
    } else {
        emit(tables(&plan, &lines).as_bytes())
    }
}

/// The header line of a map's JSON lines.
fn header(plan: &MapPlan, shard: Shard, runs: usize) -> serde_json::Value {
    serde_json::json!({ "map": plan, "shard": shard.text(), "runs": runs })
}

fn jsonl(plan: &MapPlan, shard: Shard, runs: usize, lines: &[serde_json::Value]) -> String {
    let mut out = header(plan, shard, runs).to_string();
    out.push('\n');
    for l in lines {
        out += &l.to_string();
        out.push('\n');
    }
    out
}

/// One table per policy, rows the axis's values (the largest on top), columns the restart rates.
fn tables(plan: &MapPlan, lines: &[serde_json::Value]) -> String {
    let param = &PARAMS[params::find(&plan.axis).expect("the axis was checked")];
    let rows_label = if param.unit.is_empty() {
        param.label.to_lowercase()
    } else {
        format!("{} ({})", param.label.to_lowercase(), param.unit)
    };
    let mut out = format!(
        "phase map of the 2007 restart wave ({} peers), healing counted from the end of the wave (when 95% of its restarts have happened)\n",
        plan.peers
    );
    for policy in &plan.policies {
        let cells: Vec<Vec<Vec<Heal>>> = plan
            .values
            .iter()
            .map(|v| {
                plan.rates
                    .iter()
                    .map(|r| {
                        let mut heals: Vec<Heal> = lines
                            .iter()
                            .filter(|l| l["policy"] == *policy && l["value"] == *v && l["restart_rate"] == *r)
                            .map(|l| heal_of(l["class"].as_str().unwrap_or("")))
                            .collect();
                        heals.sort();
                        heals
                    })
                    .collect()
            })
            .collect();
        out += &grid_table(policy, &rows_label, &plan.values, &plan.rates, &cells, &plan.seeds);
        out.push('\n');
    }
    out += &phase_legend(plan.seeds.len());
    out.push('\n');
    out
}

fn heal_of(key: &str) -> Heal {
    Heal::ALL.iter().copied().find(|h| h.key() == key).unwrap_or(Heal::Impossible)
}

/// Joins slices: every file must hold the same map, the slices 1 to N each once, and every run once.
fn merge(files: &[String], format: Format) -> Result<()> {
    let mut plan: Option<(MapPlan, usize, usize)> = None;
    let mut shards = BTreeMap::new();
    let mut lines: BTreeMap<u64, serde_json::Value> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| input(format!("--merge {file}: {e}")))?;
        let mut rows = text.lines().filter(|l| !l.trim().is_empty());
        let head: serde_json::Value = rows.next().and_then(|l| serde_json::from_str(l).ok()).ok_or_else(|| {
            input(format!("--merge {file}: its first line is not the header `patchstorm phase --format jsonl` writes"))
        })?;
        let this: MapPlan = serde_json::from_value(head["map"].clone())
            .map_err(|e| input(format!("--merge {file}: its header has no map ({e})")))?;
        let shard =
            head["shard"].as_str().ok_or_else(|| input(format!("--merge {file}: its header names no shard")))?;
        let shard = Shard::parse(shard).map_err(|m| input(format!("--merge {file}: shard {m}")))?;
        let runs = head["runs"].as_u64().ok_or_else(|| input(format!("--merge {file}: its header has no run count")))?
            as usize;
        match &plan {
            None => plan = Some((this, shard.count, runs)),
            Some((p, n, r)) if *p == this && *n == shard.count && *r == runs => {}
            Some(_) => {
                return Err(input(format!(
                    "--merge {file}: a slice of another map (or of another cut into slices) than {}",
                    files[0]
                )))
            }
        }
        if let Some(other) = shards.insert(shard.index, file.clone()) {
            return Err(input(format!("--merge: {file} and {other} are both slice {}", shard.text())));
        }
        for (n, row) in rows.enumerate() {
            let line: serde_json::Value = serde_json::from_str(row)
                .map_err(|e| input(format!("--merge {file}: line {} is not JSON ({e})", n + 2)))?;
            let index =
                line["index"].as_u64().ok_or_else(|| input(format!("--merge {file}: line {} has no index", n + 2)))?;
            if !shard.takes(index as usize) || lines.insert(index, line).is_some() {
                return Err(input(format!(
                    "--merge {file}: line {} holds run {index}, which is not this slice's or is there twice",
                    n + 2
                )));
            }
        }
    }
    let (plan, count, runs) = plan.ok_or_else(|| input("--merge needs the files of a map's slices"))?;
    if let Some(missing) = (1..=count).find(|i| !shards.contains_key(i)) {
        return Err(input(format!("--merge: slice {missing}/{count} is missing")));
    }
    if lines.len() != runs {
        return Err(input(format!("--merge: the slices hold {} of the map's {runs} runs", lines.len())));
    }
    let lines: Vec<serde_json::Value> = lines.into_values().collect();
    match format {
        Format::Jsonl => emit(jsonl(&plan, Shard::ALL, runs, &lines).as_bytes()),
        Format::Table => emit(tables(&plan, &lines).as_bytes()),
    }
}

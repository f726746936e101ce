//! Argument handling and the commands. Bad input exits with status 2 and one
//! line naming what was wrong and what is allowed; nothing is written then.

mod ablate;
mod bench;
#[cfg(all(target_os = "linux", not(target_arch = "wasm32")))]
pub mod hugepages;
mod phase;
mod progress;
mod report;
mod report_cmd;
mod run;
mod runner;
mod validate;

use std::io::Write;
use std::process::ExitCode;

use patchstorm::scenario::{Preset, P};
use patchstorm::Scenario;

const USAGE: &str = "\
usage:
  patchstorm run [--preset NAME] [--scenario QUERY] [--set KEY=VALUE]... [--hours H]
                 [--format json|csv] [--out FILE] [--quiet]
  patchstorm presets
  patchstorm params
  patchstorm bench [--peers N,N,...] [--hours H] [--preset NAME]
  patchstorm validate [--preset skype-2007|skype-2010] [--peers N] [--seed S | --seeds N]
                      [--set KEY=VALUE]...
  patchstorm ablate --preset skype-2007|skype-2010 [--peers N] [--seed S] [--set KEY=VALUE]...
  patchstorm phase [--policy NAME|all] [--peers N] [--seed S | --seeds N] [--rates R,R,...]
                   [--capacities C,C,...]
  patchstorm report [--out DIR] [--peers N] [--seeds N] [--phase-peers N] [--phase-seeds N]
                    [--scale-peers N] [--draw-seeds N]

run       runs a scenario and prints a JSON summary (or the CSV time series)
presets   lists the presets and their stories
params    lists every scenario parameter: key, unit, default, allowed range
bench     times skype-2007 over 48 simulated hours at 100 k, 1 M and 10 M peers
validate  holds skype-2007 and skype-2010 against Skype's published online counts; each run goes on
          48 h longer than the preset's, to show whether it holds (--set hours=H sets the length;
          --set v=2 reads the presets as links of format 2, with the login count before format 3)
ablate    switches off one mechanism at a time and reports depth and duration (--set changes the
          preset first; notes under the table say where a row's off switch overrides a changed value,
          which rows are already off, and which cannot be built on the changed preset)
phase     maps where the 2007 wave heals quickly, slowly or not at all, per policy
report    runs validate (also with the 2007 calibration alternatives and again at --scale-peers,
          default 1000000, more than --peers), ablate and phase, and writes VALIDATION.md with its figures;
          defaults: --peers 100000 (validation, ablation), --seeds 4 (validation, calibration alternatives,
          scale check), --phase-peers 20000 and --phase-seeds 3 (phase map), --draw-seeds 40 (each seed
          held against the record on its own)

A flag's value follows it or is joined to it with '=': --preset skype-2007, --preset=skype-2007.
patchstorm --version (or -V) prints the version.

A scenario is a preset plus changes, as in a playground link:
  patchstorm run --scenario 'preset=skype-2007&peers=200000&policy=resilient&seed=7'
  patchstorm run --preset skype-2010 --set peers=1000000 --format csv --out run.csv
  patchstorm validate --preset skype-2007 --set sn_refusal_cost=0.6   (a calibration alternative)
  patchstorm run --scenario 'v=1&preset=skype-2007'   (a link of format 1: the 2007 calibration before 2026-11)
  patchstorm run --scenario 'v=2&preset=skype-2007'   (format 2: the login servers' count of failed clients
                                                        before format 3)";

/// Bad input (exit 2) or a failure while running (exit 1).
pub enum Failure {
    Input(String),
    Run(String),
}

type Result<T> = std::result::Result<T, Failure>;

pub(crate) fn input(msg: impl Into<String>) -> Failure {
    Failure::Input(msg.into())
}

pub fn main(args: Vec<String>) -> ExitCode {
    // `patchstorm validate --help` and the like: the one usage text covers every command.
    let asks_help = args.iter().skip(1).any(|a| a == "--help" || a == "-h");
    let outcome = match args.first().map(String::as_str) {
        Some(_) if asks_help => emit(format!("{USAGE}\n").as_bytes()),
        Some("run") => run::run(&args[1..]),
        Some("presets") => no_options(&args[1..]).and_then(|_| emit(run::presets().as_bytes())),
        Some("params") => no_options(&args[1..]).and_then(|_| emit(run::params_table().as_bytes())),
        Some("bench") => bench::bench(&args[1..]),
        Some("validate") => validate::validate(&args[1..]),
        Some("ablate") => ablate::ablate(&args[1..]),
        Some("phase") => phase::phase(&args[1..]),
        Some("report") => report_cmd::report(&args[1..]),
        Some("bench-one") => bench::bench_one(&args[1..]),
        Some("help" | "--help" | "-h") => emit(format!("{USAGE}\n").as_bytes()),
        Some("--version" | "-V") => {
            no_options(&args[1..]).and_then(|_| emit(format!("patchstorm {}\n", env!("CARGO_PKG_VERSION")).as_bytes()))
        }
        Some(other) => Err(input(format!("unknown command {other:?}: see patchstorm help"))),
        None => Err(input("no command given: see patchstorm help")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn no_options(args: &[String]) -> Result<()> {
    match args.first() {
        None => Ok(()),
        Some(a) => Err(input(format!("unexpected argument {a:?}"))),
    }
}

/// Pulls flags and their values: `--flag value` or `--flag=value` (split at
/// the first '=' of an argument in a flag's place, never of a value).
struct Flags<'a> {
    args: &'a [String],
    i: usize,
    /// The flag and the value joined to it, until `value` takes it.
    joined: Option<(&'a str, &'a str)>,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Self {
        Flags { args, i: 0, joined: None }
    }
    fn next(&mut self) -> Result<Option<&'a str>> {
        if let Some((flag, value)) = self.joined.take() {
            return Err(input(format!("{flag} takes no value (given {value:?})")));
        }
        let Some(a) = self.args.get(self.i) else { return Ok(None) };
        self.i += 1;
        let Some((flag, value)) = a.split_once('=').filter(|_| a.starts_with("--")) else { return Ok(Some(a)) };
        if value.is_empty() {
            return Err(input(format!("{flag} needs a value")));
        }
        self.joined = Some((flag, value));
        Ok(Some(flag))
    }
    fn value(&mut self, flag: &str) -> Result<&'a str> {
        if let Some((_, value)) = self.joined.take() {
            return Ok(value);
        }
        let value = self.args.get(self.i).ok_or_else(|| input(format!("{flag} needs a value")))?;
        self.i += 1;
        Ok(value)
    }
}

/// The scenario of `--preset`, `--scenario`, `--set`s and `--hours`,
/// checked as a whole: bad input is the parameter's message.
pub fn build_scenario(
    preset: Option<&str>,
    query: Option<&str>,
    sets: &[&str],
    hours: Option<&str>,
) -> Result<Scenario> {
    let s = build_unchecked(preset, query, sets, hours)?;
    s.validate().map_err(|e| input(e.to_string()))?;
    Ok(s)
}

/// [`build_scenario`] without the checks between parameters, for callers
/// that set more values first.
pub fn build_unchecked(
    preset: Option<&str>,
    query: Option<&str>,
    sets: &[&str],
    hours: Option<&str>,
) -> Result<Scenario> {
    let mut q = String::new();
    if let Some(p) = preset {
        q = format!("preset={p}");
    }
    if let Some(extra) = query {
        let extra = extra.strip_prefix('?').unwrap_or(extra);
        if preset.is_some() && extra.split('&').any(|kv| kv.starts_with("preset=")) {
            return Err(input("--preset and a preset= inside --scenario both name a preset: give one"));
        }
        if !q.is_empty() && !extra.is_empty() {
            q.push('&');
        }
        q.push_str(extra);
    }
    let bad = |e: patchstorm::ScenarioError| input(e.to_string());
    let pairs = parse_sets(sets)?;
    let mut s = Scenario::parse_query_with(&q, &pairs).map_err(bad)?;
    if let Some(h) = hours {
        s.set("hours", h).map_err(bad)?;
    }
    Ok(s)
}

/// `--set KEY=VALUE`s as (key, value) pairs; `v` and `preset` are not
/// parameters and are refused with where to give them.
pub fn parse_sets<'a>(sets: &[&'a str]) -> Result<Vec<(&'a str, &'a str)>> {
    let mut pairs = Vec::new();
    for set in sets {
        let (k, v) = set
            .split_once('=')
            .ok_or_else(|| input(format!("--set {set:?} is not KEY=VALUE (for example --set peers=1000000)")))?;
        if matches!(k, "v" | "preset") {
            return Err(input(format!(
                "--set {set} is not allowed: {k} is not a parameter; give it with --scenario ('{k}=…'){}",
                if k == "preset" {
                    " or --preset"
                } else {
                    ", where v=1 replays a link made before the 2007 recalibration and v=2 one made before \
                     the login count of format 3"
                }
            )));
        }
        pairs.push((k, v));
    }
    Ok(pairs)
}

/// `--peers` and `--seed` are checked like the scenario parameters, with
/// their messages, and read back from the checked scenario.
pub fn check_peers(flag: &str, peers: &str) -> Result<u32> {
    let s = build_scenario(Some("calm-day"), None, &[&format!("peers={peers}")], None).map_err(|e| match e {
        Failure::Input(msg) => input(format!("{flag} {peers}: {msg}")),
        other => other,
    })?;
    Ok(s.int(P::Peers) as u32)
}

pub fn check_seed(seed: &str) -> Result<u64> {
    let s = build_scenario(Some("calm-day"), None, &[&format!("seed={seed}")], None)?;
    Ok(s.int(P::Seed) as u64)
}

pub fn parse_list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>> {
    v.split(',')
        .map(|x| x.trim().parse::<T>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| input(format!("{flag} {v} is not a comma-separated list of numbers")))
}

/// The presets of a real outage, with a published record and mechanisms to ablate.
pub fn historical_preset(v: &str) -> Result<Preset> {
    match Preset::from_key(v) {
        Some(p @ (Preset::Skype2007 | Preset::Skype2010)) => Ok(p),
        Some(_) => Err(input(format!("--preset {v} is not a historical outage: use skype-2007 or skype-2010"))),
        None => Err(input(format!("--preset {v} is not a preset: use skype-2007 or skype-2010"))),
    }
}

/// `--seeds N`: seeds 1 to N.
pub fn seed_count(flag: &str, v: &str) -> Result<Vec<u64>> {
    let n: u64 = v.trim().parse().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
        let wrong = if v.trim().is_empty() { "is empty".to_string() } else { format!("{v} is not allowed") };
        input(format!("{flag} {wrong}: {flag} must be a whole number from 1 to 64"))
    })?;
    Ok((1..=n).collect())
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
pub(crate) fn emit(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Run(format!("writing to stdout: {e}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use patchstorm::evidence::study::{DRAW_SEEDS, PHASE_SEEDS, REPORT_PEERS, REPORT_PHASE_PEERS, VALIDATION_SEEDS};

    #[test]
    fn the_usage_states_the_report_defaults_the_code_uses() {
        for stated in [
            format!("--peers {REPORT_PEERS} (validation, ablation), --seeds {VALIDATION_SEEDS} (validation"),
            format!("--phase-peers {REPORT_PHASE_PEERS} and --phase-seeds {PHASE_SEEDS} (phase map)"),
            format!("--draw-seeds {DRAW_SEEDS} (each seed"),
        ] {
            assert!(super::USAGE.contains(&stated), "{stated}");
        }
    }
}

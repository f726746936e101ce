//! Argument handling and the commands. Bad input exits with status 2 and one
//! line naming what was wrong and what is allowed; nothing is written then.

mod bench;
mod figures;
#[cfg(all(target_os = "linux", not(target_arch = "wasm32")))]
pub mod hugepages;
mod progress;
mod report_text;
mod study;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use patchstorm::scenario::{params, PARAMS, PRESETS};
use patchstorm::{metrics, summary, Scenario, Simulation};

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
        Some("run") => run(&args[1..]),
        Some("presets") => no_options(&args[1..]).and_then(|_| emit(presets().as_bytes())),
        Some("params") => no_options(&args[1..]).and_then(|_| emit(params_table().as_bytes())),
        Some("bench") => bench::bench(&args[1..]),
        Some("validate") => study::validate(&args[1..]),
        Some("ablate") => study::ablate(&args[1..]),
        Some("phase") => study::phase(&args[1..]),
        Some("report") => study::report(&args[1..]),
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

pub fn build_scenario(
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
    // As in a link: a policy first, so the knobs given with it are kept. It
    // goes into the query, so that a link of format 1 gets its policy's
    // knobs of that format.
    if let Some(&(_, policy)) = pairs.iter().rev().find(|&&(k, _)| k == "policy") {
        let kept: Vec<&str> = q.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("policy=")).collect();
        q = kept.join("&");
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!("policy={policy}"));
    }
    let mut s = Scenario::parse_query(&q).map_err(bad)?;
    for (k, v) in pairs.into_iter().filter(|&(k, _)| k != "policy") {
        s.set(k, v).map_err(bad)?;
    }
    if let Some(h) = hours {
        s.set("hours", h).map_err(bad)?;
    }
    s.validate().map_err(bad)?;
    Ok(s)
}

fn run(args: &[String]) -> Result<()> {
    let (mut preset, mut query, mut hours, mut out) = (None, None, None, None);
    let mut sets = Vec::new();
    let mut format = "json";
    let mut quiet = false;
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--preset" => preset = Some(flags.value(flag)?),
            "--scenario" => query = Some(flags.value(flag)?),
            "--set" => sets.push(flags.value(flag)?),
            "--hours" => hours = Some(flags.value(flag)?),
            "--out" => out = Some(PathBuf::from(flags.value(flag)?)),
            "--format" => {
                format = flags.value(flag)?;
                if !matches!(format, "json" | "csv") {
                    return Err(input(format!("--format {format} is not allowed: use json or csv")));
                }
            }
            "--quiet" => quiet = true,
            other => return Err(input(format!("unknown option {other:?} for run"))),
        }
    }
    let scenario = build_scenario(preset, query, &sets, hours)?;
    if let Some(path) = &out {
        check_writable(path)?;
    }
    let started = Instant::now();
    let mut sim = Simulation::new(&scenario);
    let mut bar = progress::Progress::new(!quiet, sim.end());
    while !sim.is_done() {
        let next = sim.now() + sim.end() / 200 + 1;
        sim.run_until(next);
        bar.show(sim.now(), sim.events());
    }
    bar.finish();
    let wall = started.elapsed().as_secs_f64();
    let mut text = Vec::new();
    if format == "csv" {
        metrics::write_csv(sim.series(), &mut text).map_err(|e| Failure::Run(e.to_string()))?;
    } else {
        let s = summary::summarize(&sim, wall);
        serde_json::to_writer_pretty(&mut text, &s).map_err(|e| Failure::Run(e.to_string()))?;
        text.push(b'\n');
    }
    match out {
        Some(path) => write_atomically(&path, &text),
        None => emit(&text),
    }
}

fn check_writable(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(input("--out needs a file name"));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(input(format!("--out {}: the folder {} does not exist", path.display(), dir.display())));
    }
    if path.is_dir() {
        return Err(input(format!("--out {} is a folder: give a file name", path.display())));
    }
    Ok(())
}

/// Writes to a temporary file beside the target and renames it, so the
/// target is either the whole output or untouched.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Run(format!("writing {}: {e}", path.display())));
    }
    Ok(())
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
pub(crate) fn emit(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Run(format!("writing to stdout: {e}"))),
        _ => Ok(()),
    }
}

fn presets() -> String {
    let mut out = String::new();
    for p in PRESETS {
        out += &format!("{}\n  {}\n  {}\n\n", p.key, p.title, wrap(p.story, 76, "  "));
    }
    out
}

fn params_table() -> String {
    let base = Scenario::default();
    let mut out = format!("{:<20} {:<22} {:<18} allowed / meaning\n", "key", "unit", "default");
    for p in PARAMS {
        let default = params::format_value(&p.kind, base.value_by_key(p.key).expect("every row has a value"));
        out += &format!("{:<20} {:<22} {:<18} {}\n", p.key, p.unit, default, params::allowed(&p.kind));
        out += &format!("{:<62} {}\n", "", wrap(p.help, 70, &" ".repeat(63)));
    }
    out += "\nDefaults are those of preset skype-2007; policy knobs follow the chosen policy.\n";
    out
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            out.push_str(indent);
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::study::{DRAW_SEEDS, PHASE_SEEDS, REPORT_PEERS, REPORT_PHASE_PEERS, VALIDATION_SEEDS};

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

//! The commands and their flags (clap), and the checks of the flags' values.
//! Bad input exits with status 2 and one line naming what was wrong and what
//! is allowed; nothing is written then. Failures while running exit with 1.

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

use std::ffi::OsStr;
use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use clap_complete::Shell;

use patchstorm::evidence::study::VALIDATION_EXTRA_HOURS;
use patchstorm::scenario::escape_controls;
use patchstorm::scenario::{Preset, P, PRESETS};
use patchstorm::Scenario;

// The tool's commands; each command's flags are in its own file. A flag
// given twice takes its last value, as `--seed` and `--seeds` do each
// other's; only `--set` adds up. Every value may start with '-'
// (`allow_hyphen_values`): `--out --odd=1.json` is a file name, and
// `--seed -1` gets the seed's own message. (Doc comments here would be help.)
#[derive(Parser)]
#[command(
    name = "patchstorm",
    version,
    about,
    subcommand_required = true,
    args_override_self = true,
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
A flag's value follows it or is joined to it with '=': --preset skype-2007, --preset=skype-2007.

A scenario is a preset plus changes, as in a playground link:
  patchstorm run --scenario 'preset=skype-2007&peers=200000&policy=resilient&seed=7'
  patchstorm run --preset skype-2010 --set peers=1000000 --format csv --out run.csv
  patchstorm validate --preset skype-2007 --set sn_refusal_cost=0.6
      a calibration alternative
  patchstorm run --scenario 'v=1&preset=skype-2007'
      a link of format 1: the 2007 calibration before 2026-11
  patchstorm run --scenario 'v=2&preset=skype-2007'
      format 2: the login servers' count of failed clients before format 3";

#[derive(Subcommand)]
enum Command {
    /// Runs a scenario and prints a JSON summary (or the CSV time series)
    Run(run::Args),
    /// Lists the presets and their stories
    Presets,
    /// Lists every scenario parameter: key, unit, default, allowed range
    Params,
    /// Times a preset at several sizes, one process per size
    Bench(bench::Args),
    /// One size of `bench`, in the child process that bench starts
    #[command(hide = true)]
    BenchOne(bench::Args),
    // The longer help is `validate_about`, which states a number of the code's.
    /// Holds skype-2007 and skype-2010 against Skype's published online counts
    Validate(validate::Args),
    /// Switches off one mechanism of an outage at a time and reports depth and duration
    ///
    /// --set changes the preset first; notes under the table say where a
    /// row's off switch overrides a changed value, which rows are already
    /// off, and which cannot be built on the changed preset.
    Ablate(ablate::Args),
    /// Maps where the 2007 wave heals quickly, slowly or not at all, per policy
    Phase(phase::Args),
    /// Runs validate, ablate and phase, and writes VALIDATION.md with its figures
    ///
    /// The validation runs again with the 2007 calibration alternatives and
    /// at --scale-peers, more peers than --peers (the scale check).
    Report(report_cmd::Args),
    /// Prints a completion script for SHELL (for example `patchstorm completions bash > patchstorm.bash`)
    Completions {
        #[arg(value_name = "SHELL")]
        shell: Shell,
    },
}

/// Bad input (exit 2) or a failure while running (exit 1).
pub enum Failure {
    Input(String),
    Run(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::Input(msg) | Failure::Run(msg) => msg,
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

pub(crate) fn input(msg: impl Into<String>) -> Failure {
    Failure::Input(msg.into())
}

/// The commands and flags, with the help texts that state a number of the
/// code's (which a doc comment could only repeat).
fn cli_command() -> clap::Command {
    Cli::command().mut_subcommand("validate", |c| c.long_about(validate_about()))
}

fn validate_about() -> String {
    format!(
        "Holds skype-2007 and skype-2010 against Skype's published online counts. Each run goes on \
         {VALIDATION_EXTRA_HOURS} h longer than the preset's, to show whether it holds (--set hours=H sets the \
         length; --set v=2 reads the presets as links of format 2, with the login count before format 3)."
    )
}

pub fn main(args: Vec<String>) -> ExitCode {
    let parsed = cli_command()
        .try_get_matches_from(std::iter::once("patchstorm".to_string()).chain(args.iter().cloned()))
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e, &args),
    };
    let outcome = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Presets => emit(run::presets().as_bytes()),
        Command::Params => emit(run::params_table().as_bytes()),
        Command::Bench(a) => bench::bench(a),
        Command::BenchOne(a) => bench::bench_one(a),
        Command::Validate(a) => validate::validate(a),
        Command::Ablate(a) => ablate::ablate(a),
        Command::Phase(a) => phase::phase(a),
        Command::Report(a) => report_cmd::report(a),
        Command::Completions { shell } => completions(shell),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // One line, whatever input the message quotes.
        Err(Failure::Input(msg)) => {
            eprintln!("error: {}", escape_controls(&msg));
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("error: {}", escape_controls(&msg));
            ExitCode::from(1)
        }
    }
}

/// What clap stopped at: `--help` and `--version` go to stdout. An error is
/// one line: a value refused by one of the checks below is its message as it
/// is; clap's own (an unknown flag, a missing value) is its first paragraph
/// and where to look.
fn clap_exit(e: &clap::Error, args: &[String]) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // clap's error is its first paragraph; a usage and tips follow.
    let text = e.to_string();
    let first = match e.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "error: no command given".to_string(),
        _ => text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect::<Vec<_>>().join(" "),
    };
    let first = escape_controls(&first);
    if e.kind() == ErrorKind::ValueValidation {
        eprintln!("{first}");
    } else {
        let cli = cli_command();
        let command = args
            .first()
            .and_then(|a| cli.find_subcommand(a))
            .filter(|c| !c.is_hide_set())
            .map_or_else(|| "patchstorm".to_string(), |c| format!("patchstorm {}", c.get_name()));
        eprintln!("{first} (see `{command} --help`)");
    }
    ExitCode::from(2)
}

/// The completion script of the visible commands: clap_complete offers
/// hidden ones too (clap-rs/clap#1335), and clap cannot remove a command, so
/// the root is built again around the visible ones (it has no flags but
/// `--help` and `--version`, which clap adds).
fn completions(shell: Shell) -> Result<()> {
    let visible: Vec<clap::Command> = cli_command().get_subcommands().filter(|c| !c.is_hide_set()).cloned().collect();
    let mut root = clap::Command::new("patchstorm").version(env!("CARGO_PKG_VERSION")).subcommands(visible);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut root, "patchstorm", &mut script);
    emit(&script)
}

/// A flag's value read by one of the checks below, given the flag's name:
/// what the check refuses is the one error line, worded as for a scenario
/// parameter. `choices` are offered to shell completion and listed in help.
#[derive(Clone)]
pub struct Checked<T> {
    check: fn(&str, &str) -> Result<T>,
    choices: Option<fn() -> Vec<&'static str>>,
}

impl<T> Checked<T> {
    pub fn new(check: fn(&str, &str) -> Result<T>) -> Self {
        Checked { check, choices: None }
    }
    pub fn offering(self, choices: fn() -> Vec<&'static str>) -> Self {
        Checked { choices: Some(choices), ..self }
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> std::result::Result<T, clap::Error> {
        let flag = arg.and_then(clap::Arg::get_long).map_or_else(String::new, |long| format!("--{long}"));
        let refuse = |msg: String| clap::Error::raw(ErrorKind::ValueValidation, msg);
        let value = value.to_str().ok_or_else(|| refuse(format!("{flag} {}: not UTF-8", value.to_string_lossy())))?;
        (self.check)(&flag, value).map_err(|f| refuse(f.message()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let choices = self.choices?;
        Some(Box::new(choices().into_iter().map(PossibleValue::new)))
    }
}

/// A value kept as given, for a check after all flags are read.
pub fn as_given(_flag: &str, v: &str) -> Result<String> {
    Ok(v.to_string())
}

pub fn preset_keys() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.key).collect()
}

pub fn historical_keys() -> Vec<&'static str> {
    vec![Preset::Skype2007.key(), Preset::Skype2010.key()]
}

/// A comma-separated list (`--rates 1,6,9`), shown the same way as a default.
#[derive(Clone, Debug, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T: fmt::Display> fmt::Display for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
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

pub fn check_seed(_flag: &str, seed: &str) -> Result<u64> {
    let s = build_scenario(Some("calm-day"), None, &[&format!("seed={seed}")], None)?;
    Ok(s.int(P::Seed) as u64)
}

pub fn parse_list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<List<T>> {
    v.split(',')
        .map(|x| x.trim().parse::<T>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map(List)
        .map_err(|_| input(format!("{flag} {v} is not a comma-separated list of numbers")))
}

/// The presets of a real outage, with a published record and mechanisms to ablate.
pub fn historical_preset(flag: &str, v: &str) -> Result<Preset> {
    match Preset::from_key(v) {
        Some(p @ (Preset::Skype2007 | Preset::Skype2010)) => Ok(p),
        Some(_) => Err(input(format!("{flag} {v} is not a historical outage: use skype-2007 or skype-2010"))),
        None => Err(input(format!("{flag} {v} is not a preset: use skype-2007 or skype-2010"))),
    }
}

/// `--seeds N`: seeds 1 to N; the count N.
pub fn seed_count(flag: &str, v: &str) -> Result<u64> {
    v.trim().parse().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
        let wrong = if v.trim().is_empty() { "is empty".to_string() } else { format!("{v} is not allowed") };
        input(format!("{flag} {wrong}: {flag} must be a whole number from 1 to 64"))
    })
}

/// The seeds of `--seed S` if given, else of `--seeds N`: 1 to N.
pub fn seeds_of(seed: Option<u64>, count: u64) -> Vec<u64> {
    seed.map_or_else(|| (1..=count).collect(), |s| vec![s])
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
    use patchstorm::evidence::study::{
        DRAW_SEEDS, PHASE_SEEDS, REPORT_PEERS, REPORT_PHASE_PEERS, REPORT_SCALE_PEERS, VALIDATION_EXTRA_HOURS,
        VALIDATION_SEEDS,
    };

    use super::cli_command;

    /// The help states each default of `report` next to its flag, and the
    /// flags left out are read as those same numbers.
    #[test]
    fn the_report_help_states_the_defaults_the_code_uses() {
        let mut cli = cli_command();
        let report = cli.find_subcommand_mut("report").expect("a report command");
        let help = report.render_help().to_string();
        // Each flag's entry, from its line to the next flag's, as one line.
        let mut entries: Vec<String> = Vec::new();
        for line in help.lines().map(str::trim) {
            match entries.last_mut() {
                Some(entry) if !line.starts_with('-') => *entry = format!("{entry} {line}"),
                _ => entries.push(line.to_string()),
            }
        }
        let stated = |flag: &str| -> String {
            let entry = entries.iter().find(|e| e.starts_with(&format!("--{flag} "))).expect(flag);
            let default = entry.split("[default: ").nth(1).and_then(|d| d.split(']').next()).expect(flag);
            default.to_string()
        };
        let matches = cli_command().try_get_matches_from(["patchstorm", "report"]).expect("no flags is fine");
        let report = matches.subcommand_matches("report").expect("report is read as report");
        let peers = |id: &str| u64::from(*report.get_one::<u32>(id).expect(id));
        let seeds = |id: &str| *report.get_one::<u64>(id).expect(id);
        for (flag, used, constant) in [
            ("peers", peers("peers"), u64::from(REPORT_PEERS)),
            ("seeds", seeds("seeds"), VALIDATION_SEEDS),
            ("phase-peers", peers("phase_peers"), u64::from(REPORT_PHASE_PEERS)),
            ("phase-seeds", seeds("phase_seeds"), PHASE_SEEDS),
            ("scale-peers", peers("scale_peers"), u64::from(REPORT_SCALE_PEERS)),
            ("draw-seeds", seeds("draw_seeds"), DRAW_SEEDS),
        ] {
            assert_eq!(used, constant, "--{flag}");
            assert_eq!(stated(flag), constant.to_string(), "--{flag}");
        }
        let validate = cli.find_subcommand_mut("validate").expect("a validate command");
        let help = validate.render_long_help().to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.contains(&format!("goes on {VALIDATION_EXTRA_HOURS} h longer")), "{help}");
    }

    #[test]
    fn the_commands_are_well_formed() {
        cli_command().debug_assert();
    }
}

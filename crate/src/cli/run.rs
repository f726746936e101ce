//! `patchstorm run`, `presets` and `params`: one scenario at full scale,
//! and the tables a scenario is made from.

use std::path::{Path, PathBuf};
use std::time::Instant;

use patchstorm::scenario::{intervention, params, PARAMS, PRESETS};
use patchstorm::{metrics, summary, Run, Scenario, Simulation};

use clap::ValueHint;

use super::{as_given, build_scenario, emit, input, preset_keys, progress, Checked, Failure, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The preset to start from (`patchstorm presets` lists them)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true, value_parser = Checked::new(as_given).offering(preset_keys))]
    preset: Option<String>,
    /// A playground link's query: preset=skype-2007&peers=200000&seed=7
    #[arg(long, value_name = "QUERY", allow_hyphen_values = true, value_parser = Checked::new(scenario_query))]
    scenario: Option<String>,
    /// Changes one parameter (repeatable; `patchstorm params` lists them)
    #[arg(long, value_name = "KEY=VALUE", allow_hyphen_values = true)]
    set: Vec<String>,
    /// Simulated hours (the same as --set hours=H)
    #[arg(long, value_name = "H", allow_hyphen_values = true)]
    hours: Option<String>,
    /// What to print: the JSON summary or the CSV time series
    #[arg(long, default_value = "json", allow_hyphen_values = true, value_parser = Checked::new(format_of).offering(|| vec!["json", "csv"]))]
    format: Format,
    /// Writes to FILE (whole, or not at all) instead of stdout
    #[arg(long, value_name = "FILE", allow_hyphen_values = true, value_hint = ValueHint::FilePath)]
    out: Option<String>,
    /// No progress bar
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
}

fn format_of(flag: &str, v: &str) -> Result<Format> {
    match v {
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        _ => Err(input(format!("{flag} {v} is not allowed: use json or csv"))),
    }
}

/// An empty query is an unset shell variable, not the default scenario.
fn scenario_query(flag: &str, v: &str) -> Result<String> {
    if v.is_empty() {
        return Err(input(format!("{flag} needs a value")));
    }
    Ok(v.to_string())
}

pub fn run(a: Args) -> Result<()> {
    let sets: Vec<&str> = a.set.iter().map(String::as_str).collect();
    let scenario = build_scenario(a.preset.as_deref(), a.scenario.as_deref(), &sets, a.hours.as_deref())?;
    let out = a.out.map(PathBuf::from);
    if let Some(path) = &out {
        check_writable(path)?;
    }
    let started = Instant::now();
    let mut sim = Simulation::new(&scenario);
    let bar = progress::Progress::new(!a.quiet, sim.end());
    while !sim.is_done() {
        let next = sim.now() + sim.end() / 200 + 1;
        sim.run_until(next);
        bar.show(sim.now(), sim.events());
    }
    bar.finish();
    let wall = started.elapsed().as_secs_f64();
    let mut text = Vec::new();
    if a.format == Format::Csv {
        metrics::write_csv(sim.series(), &mut text).map_err(|e| Failure::Run(e.to_string()))?;
    } else {
        let s = summary::summarize(&Run::of(&sim), wall);
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
/// target is either the whole output or untouched. A target that is a
/// symbolic link is written through: the file it points to gets the
/// output, and the link stays a link, as other tools do.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => resolve_link(path)?,
        _ => path.to_path_buf(),
    };
    let tmp = target.with_file_name(format!(
        ".{}.{}.tmp",
        target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &target));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Run(format!("writing {}: {e}", path.display())));
    }
    Ok(())
}

/// The file a chain of symbolic links ends at (it need not exist yet).
fn resolve_link(path: &Path) -> Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(to) => at = if to.is_absolute() { to } else { at.parent().unwrap_or(Path::new(".")).join(to) },
            Err(_) => return Ok(at),
        }
    }
    Err(Failure::Run(format!("writing {}: too many levels of symbolic links", path.display())))
}

pub fn presets() -> String {
    let mut out = String::new();
    for p in PRESETS {
        out += &format!("{}\n  {}\n  {}\n\n", p.key, p.title, wrap(p.story, 76, "  "));
    }
    out
}

pub fn params_table() -> String {
    let base = Scenario::default();
    let mut out = format!("{:<20} {:<22} {:<18} allowed / meaning\n", "key", "unit", "default");
    for p in PARAMS {
        let default = params::format_value(&p.kind, base.value_by_key(p.key).expect("every row has a value"));
        out += &format!("{:<20} {:<22} {:<18} {}\n", p.key, p.unit, default, params::allowed(&p.kind));
        out += &format!("{:<62} {}\n", "", wrap(p.help, 70, &" ".repeat(63)));
    }
    out += &format!("{:<20} {:<22} {:<18} {}\n", "at", "", "none", wrap(&intervention::syntax(), 70, &" ".repeat(63)));
    out += &format!("{:<62} {}\n", "", wrap(intervention::HELP, 70, &" ".repeat(63)));
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

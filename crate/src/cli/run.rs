//! `patchstorm run`, `presets` and `params`: one scenario at full scale,
//! and the tables a scenario is made from.

use std::path::{Path, PathBuf};
use std::time::Instant;

use patchstorm::scenario::{params, PARAMS, PRESETS};
use patchstorm::{metrics, summary, Run, Scenario, Simulation};

use super::{build_scenario, emit, input, progress, Failure, Flags, Result};

pub fn run(args: &[String]) -> Result<()> {
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

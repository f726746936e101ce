//! `patchstorm report`: validate (with the 2007 calibration alternatives
//! and a scale check), ablate and phase, written to VALIDATION.md with its
//! figures.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::ValueHint;

use patchstorm::evidence::ablation;
use patchstorm::evidence::seeds::validations_of;
use patchstorm::evidence::study::{
    ALTERNATIVES_2007, DRAW_SEEDS, PHASE_CAPACITIES, PHASE_RATES, PHASE_SEEDS, REPORT_PEERS, REPORT_PHASE_PEERS,
    REPORT_SCALE_PEERS, VALIDATION_SEEDS,
};
use patchstorm::policy::{Choice, Policy};
use patchstorm::scenario::Preset;

use super::progress::Counter;
use super::report::{self, figures, plot};
use super::runner::{ablation_runs, alternative_runs, phase_runs, scale_checks, scale_runs, seed_runs, Ablation};
use super::{check_peers, input, seed_count, Checked, Failure, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The folder to write VALIDATION.md and docs/figures/ in
    #[arg(long, value_name = "DIR", allow_hyphen_values = true, default_value = ".", value_hint = ValueHint::DirPath)]
    out: String,
    /// Peers of the validation and ablation runs
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_PEERS)]
    peers: u32,
    /// Seeds 1 to N of the validation, the calibration alternatives and the scale check
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(seed_count),
          default_value_t = VALIDATION_SEEDS)]
    seeds: u64,
    /// Peers of the phase map
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_PHASE_PEERS)]
    phase_peers: u32,
    /// Seeds 1 to N of the phase map
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(seed_count),
          default_value_t = PHASE_SEEDS)]
    phase_seeds: u64,
    /// Peers of the scale check, more than --peers
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_SCALE_PEERS)]
    scale_peers: u32,
    /// Seeds 1 to N, each held against the record on its own
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(seed_count),
          default_value_t = DRAW_SEEDS)]
    draw_seeds: u64,
}

pub fn report(a: Args) -> Result<()> {
    let out_dir = PathBuf::from(a.out);
    let (peers, phase_peers, scale_peers) = (a.peers, a.phase_peers, a.scale_peers);
    let seeds: Vec<u64> = (1..=a.seeds).collect();
    let phase_seeds: Vec<u64> = (1..=a.phase_seeds).collect();
    let draw_seeds: Vec<u64> = (1..=a.draw_seeds).collect();
    if !out_dir.is_dir() {
        return Err(input(format!("--out {}: the folder does not exist", out_dir.display())));
    }
    if scale_peers <= peers {
        return Err(input(format!(
            "--scale-peers {scale_peers} is not allowed: the scale check repeats the comparison at a larger \
             population, so --scale-peers must be more than --peers ({peers})"
        )));
    }
    let fig_dir = out_dir.join("docs").join("figures");
    std::fs::create_dir_all(&fig_dir).map_err(|e| Failure::Run(format!("creating {}: {e}", fig_dir.display())))?;

    let started = std::time::Instant::now();
    let mut notes = Vec::new();
    // The tables' seeds and the draws' seeds overlap (1-4 of 1-40 by
    // default): each seed is run once and serves both.
    let mut all_seeds = seeds.clone();
    all_seeds.extend(draw_seeds.iter().filter(|s| !seeds.contains(s)));
    let historical = [Preset::Skype2007, Preset::Skype2010];
    eprintln!(
        "validation: skype-2007 and skype-2010 at {peers} peers, {} seeds for the tables and {} as draws of the \
         record ({} runs of each)",
        seeds.len(),
        draw_seeds.len(),
        all_seeds.len()
    );
    let counter = Counter::new(historical.len() * all_seeds.len(), "validation runs");
    let runs = seed_runs(&historical, peers, &all_seeds, &[], Some(&counter))?;
    let validations = validations_of(&runs, &historical, peers, &seeds);
    let draws = validations_of(&runs, &historical, peers, &draw_seeds);
    drop(runs);
    let counter = Counter::new(ALTERNATIVES_2007.len(), "calibration alternatives (skype-2007)");
    let preset_2007 = validations.iter().find(|v| v.preset == Preset::Skype2007).expect("validated above");
    let alternatives = alternative_runs(preset_2007, Some(&counter))?;
    let counter = Counter::new(scale_checks(&validations), "scale check");
    let scale = scale_runs(&validations, scale_peers, Some(&counter))?;
    let presets = [Preset::Skype2007, Preset::Skype2010];
    let total: usize = presets.iter().map(|p| ablation::mechanisms(*p).len() + 1).sum();
    let counter = Counter::new(total, "ablation runs");
    let ablations: Vec<Ablation> =
        presets.iter().map(|&p| ablation_runs(p, peers, 1, &[], Some(&counter))).collect::<Result<_>>()?;
    let maps = phase_runs(Policy::ALL, &PHASE_RATES, &PHASE_CAPACITIES, phase_peers, &phase_seeds);

    for v in &validations {
        let svg = figures::validation(v)?;
        notes.extend(plot::write(&fig_dir, &format!("validation-{}", v.preset.key()), &svg)?);
    }
    if let Some(v) = validations.iter().find(|v| v.preset == Preset::Skype2007) {
        let svg = figures::core(v)?;
        notes.extend(plot::write(&fig_dir, "core-skype-2007", &svg)?);
    }
    for a in &ablations {
        let svg = figures::ablation(a)?;
        notes.extend(plot::write(&fig_dir, &format!("ablation-{}", a.preset.key()), &svg)?);
    }
    for m in &maps {
        let svg = figures::phase(m, phase_peers)?;
        notes.extend(plot::write(&fig_dir, &format!("phase-{}", m.policy.key()), &svg)?);
    }
    // The command that writes this copy again: the sizes that differ from the defaults.
    let mut command_flags = String::new();
    for (flag, value, default) in [
        ("--peers", peers as u64, REPORT_PEERS as u64),
        ("--seeds", seeds.len() as u64, VALIDATION_SEEDS),
        ("--phase-peers", phase_peers as u64, REPORT_PHASE_PEERS as u64),
        ("--phase-seeds", phase_seeds.len() as u64, PHASE_SEEDS),
        ("--draw-seeds", draw_seeds.len() as u64, DRAW_SEEDS),
        ("--scale-peers", scale_peers as u64, REPORT_SCALE_PEERS as u64),
    ] {
        if value != default {
            let _ = write!(command_flags, " {flag} {value}");
        }
    }
    let sizes = report::text::ReportSizes { peers, phase_peers, flags: command_flags };
    let md = report::text::validation_md(&validations, &draws, &alternatives, &scale, &ablations, &maps, &sizes);
    let md_path = out_dir.join("VALIDATION.md");
    std::fs::write(&md_path, md).map_err(|e| Failure::Run(format!("writing {}: {e}", md_path.display())))?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    eprintln!("wrote {} and {} in {:.0} s", md_path.display(), fig_dir.display(), started.elapsed().as_secs_f64());
    Ok(())
}

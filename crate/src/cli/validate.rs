//! `patchstorm validate`: the historical presets against Skype's published
//! online counts, several seeds each.

use std::fmt::Write as _;

use patchstorm::evidence::compare;
use patchstorm::evidence::study::{REPORT_PEERS, VALIDATION_SEEDS, WITHIN};
use patchstorm::evidence::words::{by_points_text, seeds_label, shape_text, shift_text};
use patchstorm::scenario::Preset;

use super::progress::Counter;
use super::report::tables::validation_table;
use super::runner::{validation_runs, validation_scenario};
use super::{check_peers, check_seed, emit, historical_keys, historical_preset, seed_count, seeds_of, Checked, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Only this outage (default: both)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true,
          value_parser = Checked::new(historical_preset).offering(historical_keys))]
    preset: Option<Preset>,
    /// Peers of each run
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_PEERS)]
    peers: u32,
    /// One seed, instead of --seeds
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = Checked::new(check_seed),
          overrides_with = "seeds")]
    seed: Option<u64>,
    /// Seeds 1 to N
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(seed_count),
          default_value_t = VALIDATION_SEEDS)]
    seeds: u64,
    /// Changes one parameter of the presets first (repeatable)
    #[arg(long, value_name = "KEY=VALUE", allow_hyphen_values = true)]
    set: Vec<String>,
}

pub fn validate(a: Args) -> Result<()> {
    let presets = a.preset.map_or_else(|| vec![Preset::Skype2007, Preset::Skype2010], |p| vec![p]);
    let (peers, seeds, sets) = (a.peers, seeds_of(a.seed, a.seeds), a.set);
    let mut out = String::new();
    let changed = if sets.is_empty() { String::new() } else { format!(", changed: {}", sets.join(" ")) };
    let counter = Counter::new(presets.len() * seeds.len(), "validation runs");
    for v in validation_runs(&presets, peers, &seeds, &sets, Some(&counter))? {
        let _ = writeln!(
            out,
            "preset {} ({peers} peers, {}{changed}); published record: crate/data/",
            v.preset.key(),
            seeds_label(&v.seeds)
        );
        out += &validation_table(&v, false);
        // The link format the runs were read in (`--set v=N`).
        let format = validation_scenario(v.preset, peers, v.seeds[0], &sets)?.format();
        if let Some(caveat) = compare::size_caveat(v.preset, u64::from(peers), format) {
            let _ = writeln!(out, "note: {caveat}");
        }
        for (seed, sh) in v.seeds.iter().zip(&v.shapes) {
            let _ = writeln!(out, "seed {seed}: {}", shape_text(sh));
        }
        if v.within() < v.rows.len() {
            for (seed, shift) in v.seeds.iter().zip(v.shifts()) {
                if let Some(t) = shift {
                    let _ = writeln!(out, "seed {seed} on its own timing: {}", shift_text(&t));
                }
            }
            if v.seeds.len() > 1 {
                let _ =
                    writeln!(out, "each seed as it is, within {WITHIN}: {}", by_points_text(&v.draws(), v.rows.len()));
            }
        }
        out.push('\n');
    }
    emit(out.as_bytes())
}

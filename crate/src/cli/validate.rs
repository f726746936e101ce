//! `patchstorm validate`: the historical presets against Skype's published
//! online counts, several seeds each.

use std::fmt::Write as _;

use patchstorm::evidence::compare;
use patchstorm::evidence::study::{VALIDATION_SEEDS, WITHIN};
use patchstorm::evidence::words::{by_points_text, seeds_label, shape_text, shift_text};
use patchstorm::scenario::Preset;

use super::progress::Counter;
use super::report::tables::validation_table;
use super::runner::{validation_runs, validation_scenario};
use super::{check_peers, check_seed, emit, historical_preset, input, seed_count, Flags, Result};

pub fn validate(args: &[String]) -> Result<()> {
    let mut peers = 100_000u32;
    let mut seeds: Vec<u64> = (1..=VALIDATION_SEEDS).collect();
    let mut presets = vec![Preset::Skype2007, Preset::Skype2010];
    let mut sets: Vec<String> = Vec::new();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--preset" => presets = vec![historical_preset(flags.value(flag)?)?],
            "--set" => sets.push(flags.value(flag)?.to_string()),
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--seed" => seeds = vec![check_seed(flags.value(flag)?)?],
            "--seeds" => seeds = seed_count(flag, flags.value(flag)?)?,
            other => return Err(input(format!("unknown option {other:?} for validate"))),
        }
    }
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

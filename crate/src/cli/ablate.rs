//! `patchstorm ablate`: one mechanism of an outage switched off at a time.

use std::fmt::Write as _;

use patchstorm::evidence::ablation;
use patchstorm::evidence::study::REPORT_PEERS;
use patchstorm::scenario::Preset;

use super::progress::Counter;
use super::report::tables::ablation_table;
use super::runner::ablation_runs;
use super::{check_peers, check_seed, emit, historical_keys, historical_preset, input, Checked, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The outage to take apart (required)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true,
          value_parser = Checked::new(historical_preset).offering(historical_keys))]
    preset: Option<Preset>,
    /// Peers of each run
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = Checked::new(check_peers),
          default_value_t = REPORT_PEERS)]
    peers: u32,
    /// The seed of every run
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = Checked::new(check_seed),
          default_value_t = 1)]
    seed: u64,
    /// Changes one parameter of the preset first (repeatable)
    #[arg(long, value_name = "KEY=VALUE", allow_hyphen_values = true)]
    set: Vec<String>,
}

pub fn ablate(a: Args) -> Result<()> {
    let (peers, seed, sets) = (a.peers, a.seed, a.set);
    let preset = a.preset.ok_or_else(|| input("ablate needs --preset skype-2007 or --preset skype-2010"))?;
    let counter = Counter::new(ablation::mechanisms(preset).len() + 1, "ablation runs");
    let a = ablation_runs(preset, peers, seed, &sets, Some(&counter))?;
    let changed = if sets.is_empty() { String::new() } else { format!(", changed: {}", sets.join(" ")) };
    let mut out = format!(
        "ablation of {} ({peers} peers, seed {seed}{changed}): one mechanism switched off at a time\n",
        preset.key()
    );
    out += &ablation_table(&a, false);
    out += "\noutage: online below half of normal for an hour or more after the trigger\n";
    for line in &a.notes {
        let _ = writeln!(out, "note: {line}");
    }
    emit(out.as_bytes())
}

//! `patchstorm ablate`: one mechanism of an outage switched off at a time.

use std::fmt::Write as _;

use patchstorm::evidence::ablation;

use super::progress::Counter;
use super::report::tables::ablation_table;
use super::runner::ablation_runs;
use super::{check_peers, check_seed, emit, historical_preset, input, Flags, Result};

pub fn ablate(args: &[String]) -> Result<()> {
    let (mut preset, mut peers, mut seed) = (None, 100_000u32, 1u64);
    let mut sets: Vec<String> = Vec::new();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next()? {
        match flag {
            "--preset" => preset = Some(historical_preset(flags.value(flag)?)?),
            "--peers" => peers = check_peers(flag, flags.value(flag)?)?,
            "--seed" => seed = check_seed(flags.value(flag)?)?,
            "--set" => sets.push(flags.value(flag)?.to_string()),
            other => return Err(input(format!("unknown option {other:?} for ablate"))),
        }
    }
    let preset = preset.ok_or_else(|| input("ablate needs --preset skype-2007 or --preset skype-2010"))?;
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

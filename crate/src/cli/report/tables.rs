//! Tables of the evidence, as the commands print them and as Markdown for
//! VALIDATION.md.

use std::fmt::Write as _;

use patchstorm::evidence::compare;
use patchstorm::evidence::phase::{Heal, Phase};
use patchstorm::evidence::seeds::Validation;
use patchstorm::evidence::study::WITHIN;
use patchstorm::evidence::words::seed_list;
use patchstorm::policy::Choice;

use crate::cli::runner::Ablation;

pub fn validation_table(v: &Validation, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out += "| UTC | published | published share of normal | simulated share (mean) | range over seeds | difference | note |\n|---|---:|---:|---:|---:|---:|---|\n";
    } else {
        let _ = writeln!(
            out,
            "{:<18} {:>11} {:>9} {:>9} {:>13} {:>10}  note",
            "utc", "published", "share", "simulated", "seed_range", "difference"
        );
    }
    for (r, (lo, hi)) in v.rows.iter().zip(&v.ranges) {
        let flag = if r.difference.abs() <= WITHIN { "" } else { " *" };
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.3} | {:.3} | {lo:.3}-{hi:.3} | {:+.3}{} | {} |",
                r.utc, r.published, r.published_share, r.simulated_share, r.difference, flag, r.note
            );
        } else {
            let _ = writeln!(
                out,
                "{:<18} {:>11.0} {:>9.3} {:>9.3} {:>13} {:>+10.3}{:<2} {}",
                r.utc,
                r.published,
                r.published_share,
                r.simulated_share,
                format!("{lo:.3}-{hi:.3}"),
                r.difference,
                flag,
                r.note
            );
        }
    }
    let mad = compare::mean_abs_difference(&v.rows).unwrap_or(f64::NAN);
    let within = v.within();
    if markdown {
        out += "\n(* = outside the target)\n";
    } else {
        let _ = writeln!(
            out,
            "mean absolute difference {mad:.3} over {} point{}; {within} of {} within {WITHIN} (* = outside)",
            v.rows.len(),
            if v.rows.len() == 1 { "" } else { "s" },
            v.rows.len()
        );
    }
    out
}

pub fn ablation_table(a: &Ablation, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out += "| switched off | outage | depth (lowest online / normal) | hours below half of normal | healed after (h) |\n|---|---|---:|---:|---:|\n";
    } else {
        let _ = writeln!(
            out,
            "{:<46} {:>7} {:>7} {:>11} {:>14}",
            "switched off", "outage", "depth", "hours down", "healed after h"
        );
    }
    let first = if a.changed { "nothing (the changed preset)" } else { "nothing (the preset)" };
    for (m, o) in &a.rows {
        let name = m.map_or(first.to_string(), |m| m.name.to_string());
        let healed = o.healed_after.map_or("never".to_string(), |h| format!("{h:.1}"));
        let outage = if o.outage { "yes" } else { "no" };
        if markdown {
            let _ = writeln!(out, "| {name} | {outage} | {:.3} | {:.1} | {healed} |", o.depth, o.hours_down);
        } else {
            let _ = writeln!(out, "{name:<46} {outage:>7} {:>7.3} {:>11.1} {healed:>14}", o.depth, o.hours_down);
        }
    }
    out
}

pub fn phase_table(ph: &Phase) -> String {
    let rows: Vec<String> = ph.capacities.iter().map(|c| c.to_string()).collect();
    let cols: Vec<String> = ph.rates.iter().map(|r| format!("{r}")).collect();
    let cells: Vec<Vec<Vec<Heal>>> =
        ph.cells.iter().map(|row| row.iter().map(|c| Phase::sorted(c)).collect()).collect();
    grid_table(ph.policy.key(), "supernode capacity (clients)", &rows, &cols, &cells, &ph.seeds)
}

/// A map's table for one policy: `rows` (the largest on top) by `cols`
/// (restart rates, %/h), each cell its outcomes per seed, best first.
pub fn grid_table(
    policy: &str,
    rows_label: &str,
    rows: &[String],
    cols: &[String],
    cells: &[Vec<Vec<Heal>>],
    seeds: &[u64],
) -> String {
    let seeds_text = match seeds {
        [one] => format!("seed {one}"),
        many => format!("one symbol per seed ({})", seed_list(many)),
    };
    let mut out = format!("policy {policy}: rows {rows_label}, columns restart rate (%/h), {seeds_text}\n");
    let width = (seeds.len() + 2).max(6);
    let _ = write!(out, "{:>10}", "");
    for r in cols {
        let _ = write!(out, "{r:>width$}");
    }
    out.push('\n');
    for (c, row) in rows.iter().zip(cells).rev() {
        let _ = write!(out, "{c:>10}");
        for cell in row {
            let symbols: String = cell.iter().map(|h| h.symbol()).collect();
            let _ = write!(out, "{:>width$}", symbols.trim_end());
        }
        // An unreachable rate in the last column leaves only padding.
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}

/// The legend under the tables, for a map of `seeds` seeds per cell.
pub fn phase_legend(seeds: usize) -> String {
    let mut legend =
        ". no outage   1 heals within 24 h   2 heals within 48 h   X not healed 48 h after the end of the wave   \
                      (empty: rate not reachable)"
            .to_string();
    if seeds > 1 {
        legend += "\none symbol per seed, best first: \"..X\" is two seeds without an outage and one not healed";
    }
    legend
}

//! The text of VALIDATION.md, written from the report's measurements. The
//! narrative that does not depend on a run (how published counts are read,
//! what was fitted) is fixed here; every number comes from the run.

use std::fmt::Write as _;

use patchstorm::evidence::compare as validation;
use patchstorm::evidence::phase::{Heal, Phase, PhaseRun};
use patchstorm::evidence::seeds::{self, min_max, Validation};
use patchstorm::evidence::study::{self, WITHIN};
use patchstorm::evidence::words;
use patchstorm::policy::Choice;
use patchstorm::scenario::{Preset, Scenario, P};
use patchstorm::time::format_utc;

use super::tables;
use crate::cli::runner::{Ablation, Alternative, ScaleRow};

fn utc_after_trigger(preset: Preset, hours: f64) -> String {
    let s = Scenario::preset(preset);
    format_utc(s.time(P::Trigger) + (hours * 3_600.0).round() as i64)
}

/// The sizes a report ran at, and the flags that chose them (as they are to be
/// typed after `report`, each with a leading space; empty for the defaults).
pub struct ReportSizes {
    pub peers: u32,
    pub phase_peers: u32,
    pub flags: String,
}

/// The template (`docs/report/validation.md`): named blocks of Markdown
/// with `{{name}}` placeholders.
const TEMPLATE: &str = include_str!("../../../../docs/report/validation.md");

/// A named block of the template, without its last newline.
fn block(name: &str) -> &'static str {
    let marker = format!("<!-- block: {name} -->\n");
    let start =
        TEMPLATE.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("the template has a block {name}"));
    let rest = &TEMPLATE[start..];
    let end = rest.find("<!-- block: ").unwrap_or(rest.len());
    rest[..end].strip_suffix('\n').unwrap_or(&rest[..end])
}

/// `text` with every `{{name}}` replaced by its value. A placeholder the
/// values do not name, or a value the text does not use, is a mistake in
/// the template or here, and stops the report.
fn fill(text: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").map(|e| at + e).expect("a placeholder is closed");
        let name = &rest[at + 2..end];
        let value = values.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no value for {{{{{name}}}}}"));
        out.push_str(&value.1);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    for (name, _) in values {
        assert!(text.contains(&format!("{{{{{name}}}}}")), "the template does not use {{{{{name}}}}}");
    }
    out
}

/// What each change of the scale check is for (the template's block `scale-changes`).
fn scale_change_words(change: &str) -> &'static str {
    block("scale-changes")
        .lines()
        .find_map(|l| l.split_once(": ").filter(|(c, _)| *c == change).map(|(_, w)| w))
        .unwrap_or_else(|| panic!("the template's scale-changes block says what {change} is for"))
}

pub fn validation_md(
    v: &[Validation],
    draws: &[Validation],
    alternatives: &[Alternative],
    scale: &[ScaleRow],
    a: &[Ablation],
    maps: &[Phase],
    sizes: &ReportSizes,
) -> String {
    let ReportSizes { peers, phase_peers, ref flags } = *sizes;
    let scale_size = scale.first().map_or(String::new(), |r| format!("{} for the scale check, ", r.large.peers));
    let draw_size = match draws.first().map_or(0, |d| d.seeds.len()) {
        0 => String::new(),
        1 => format!("one seed of each outage at {} peers held against the record on its own, ", draws[0].peers),
        n => format!("{n} seeds of each outage at {} peers, each held against the record on its own, ", draws[0].peers),
    };
    let hours = |p: Preset| Scenario::preset(p).int(P::Hours);
    let t = Scenario::preset(Preset::Skype2010);
    let mut o = String::new();
    for val in v {
        let (title, story) = match val.preset {
            Preset::Skype2010 => ("December 2010", "skype-2010"),
            _ => ("August 2007", "skype-2007"),
        };
        let _ = writeln!(
            o,
            "### {title} (`{story}`)\n\n![{title}: simulated and published](docs/figures/validation-{story}.png)\n"
        );
        if let [one] = val.seeds.as_slice() {
            let _ = writeln!(o, "Seed {one}; the simulated share is that run's.\n");
        } else {
            let _ = writeln!(
                o,
                "Seeds {}; the simulated share is the mean over them, with its range.\n",
                words::seed_list(&val.seeds)
            );
        }
        o += &tables::validation_table(val, true);
        let within = val.within();
        let _ = writeln!(
            o,
            "\n{within} of {} points are within {WITHIN}; mean absolute difference {:.3}.\n",
            val.rows.len(),
            validation::mean_abs_difference(&val.rows).unwrap_or(f64::NAN)
        );
        o += "Shape, seed by seed (times after the trigger, UTC in brackets):\n\n";
        for (seed, sh) in val.seeds.iter().zip(&val.shapes) {
            let at = |h: f64| format!("{h:.1} h ({})", utc_after_trigger(val.preset, h));
            let collapse = sh
                .collapse_h
                .map_or("never below 10% of normal".to_string(), |h| format!("below 10% of normal at {}", at(h)));
            let healed = sh.recovered_h.map_or("not healed in the run".to_string(), |h| format!("healed at {}", at(h)));
            let relapses = if sh.relapses.is_empty() {
                "no relapse after climbing back above 80%".to_string()
            } else {
                format!(
                    "relapsed below half after climbing back above 80% at {}",
                    sh.relapses.iter().map(|h| at(*h)).collect::<Vec<_>>().join(", ")
                )
            };
            let after = words::after_relapses_text(sh, at);
            let _ = writeln!(o, "- seed {seed}: {collapse}; {healed}; {relapses}{after}.");
        }
        o += &timing_text(val);
        if val.preset == Preset::Skype2007 {
            let _ =
                write!(o, "\nWhat holds and what does not. {} {}", collapse_and_heal(val), block("published-duration"));
            let format_1 = alternatives.iter().find(|a| a.change == study::FORMAT_1_2007).map(|a| &a.validation);
            let crossing = seeds::core_crossing(val);
            o += &climb_text(val, crossing, format_1);
            o += &core_text(val, crossing);
        }
        o.push('\n');
    }

    let validations = o;
    let mut o = String::new();
    for ab in a {
        let key = ab.preset.key();
        let _ = writeln!(o, "### `{key}`\n\n![ablation of {key}](docs/figures/ablation-{key}.png)\n");
        o += &tables::ablation_table(ab, true);
        let base = ab.rows.iter().find(|r| r.0.is_none()).map(|r| r.1);
        let necessary: Vec<&str> =
            ab.rows.iter().filter(|r| r.0.is_some() && !r.1.outage).map(|r| r.0.expect("filtered").name).collect();
        let weaker: Vec<&str> = ab
            .rows
            .iter()
            .filter(|r| r.0.is_some() && r.1.outage && base.is_some_and(|b| r.1.hours_down < 0.75 * b.hours_down))
            .map(|r| r.0.expect("filtered").name)
            .collect();
        let stronger: Vec<&str> = ab
            .rows
            .iter()
            .filter(|r| r.0.is_some() && r.1.outage && base.is_some_and(|b| r.1.hours_down > 1.25 * b.hours_down))
            .map(|r| r.0.expect("filtered").name)
            .collect();
        let list = |v: &[&str]| if v.is_empty() { "none".to_string() } else { v.join("; ") };
        let _ = writeln!(
            o,
            "\nNecessary (without it there is no outage): {}.\n\n\
             Shortening (the outage still happens but lasts under three quarters as long): {}.\n\n\
             Lengthening (switching it off makes the outage last over a quarter longer): {}.\n\n\
             The rest change the outage by less than a quarter either way. Together the mechanisms of the preset \
             are sufficient: the preset's own run is the first row.\n",
            list(&necessary),
            list(&weaker),
            list(&stronger)
        );
    }

    let ablations = o;
    let values = [
        ("flags", flags.clone()),
        ("peers", peers.to_string()),
        ("seeds", v.first().map_or(String::new(), |v| words::seeds_label(&v.seeds))),
        ("draw_size", draw_size),
        ("scale_size", scale_size),
        ("phase_peers", phase_peers.to_string()),
        (
            "phase_seeds",
            match maps.first().map_or(0, |m| m.seeds.len()) {
                1 => "one seed".to_string(),
                n => format!("{n} seeds"),
            },
        ),
        ("within", WITHIN.to_string()),
        ("extra_hours", study::VALIDATION_EXTRA_HOURS.to_string()),
        ("hours_2007_long", (hours(Preset::Skype2007) + study::VALIDATION_EXTRA_HOURS).to_string()),
        ("hours_2007", hours(Preset::Skype2007).to_string()),
        ("hours_2010_long", (hours(Preset::Skype2010) + study::VALIDATION_EXTRA_HOURS).to_string()),
        ("hours_2010", hours(Preset::Skype2010).to_string()),
        ("validations", validations),
        ("scale", scale_text(scale)),
        ("draws", draws_text(draws)),
        ("fitted_2007", fitted_2007_text(alternatives)),
        ("protect_check_min", (patchstorm::sim::PROTECT_CHECK / patchstorm::time::MINUTE).to_string()),
        ("mega_after_h", t.value_text(P::MegaAfterH)),
        ("mega_ramp_h", t.value_text(P::MegaRampH)),
        ("crash_window_h", t.value_text(P::CrashWindowH)),
        ("crash_restart_min", t.value_text(P::CrashRestartMin)),
        ("alternatives", alternatives_text(alternatives)),
        ("ablations", ablations),
        ("phase", phase_section(maps, phase_peers)),
    ];
    fill(block("main"), &values) + "\n"
}

/// Section 2's bullets on the fitted 2007 world, the calibration before it
/// and the values 2010 keeps, with the values read from the presets.
fn fitted_2007_text(alternatives: &[Alternative]) -> String {
    let y = Scenario::preset(Preset::Skype2007);
    let t = Scenario::preset(Preset::Skype2010);
    let calm = alternatives.first().filter(|a| a.change.is_empty()).map_or(String::new(), |a| {
        format!(" In a day without a trigger online stays at {:.3} of normal or more (the table below).", a.calm_min)
    });
    let format_1 = alternatives
        .iter()
        .find(|a| a.change == study::FORMAT_1_2007)
        .map_or(String::new(), |a| format!(" With the seeds of section 1, {}.", heal_and_relapse_text(&a.validation)));
    let login_count = match (
        alternatives.first().filter(|a| a.change.is_empty()),
        alternatives.iter().find(|a| a.change == study::OLD_LOGIN_COUNT),
    ) {
        (Some(now), Some(old)) => {
            let said = |v: &Validation| {
                let never = v.shapes.len() - v.healed();
                let heal = match healed_range(v) {
                    Some(range) if never == 0 => format!("healed {} h after the trigger", words::range_text(range, 1)),
                    Some(range) => format!(
                        "healed {} h after the trigger, {never} of {} never",
                        words::range_text(range, 1),
                        v.shapes.len()
                    ),
                    None => "none healed".to_string(),
                };
                format!(
                    "{} of {} points within the target (mean absolute difference {:.3}; {heal})",
                    v.within(),
                    v.rows.len(),
                    validation::mean_abs_difference(&v.rows).unwrap_or(f64::NAN),
                )
            };
            format!(
                " At {} peers with the seeds of section 1, the old count (the row `{}` in the table below) puts {}, \
                 this build's count {}; section 1's scale check has both at a larger size.",
                now.validation.peers,
                study::OLD_LOGIN_COUNT,
                said(&old.validation),
                said(&now.validation)
            )
        }
        _ => String::new(),
    };
    let values = [
        ("promote_rate", y.value_text(P::PromoteRate)),
        ("sn_attempt_capacity", y.value_text(P::SnAttemptCapacity)),
        ("sn_refusal_cost", y.value_text(P::SnRefusalCost)),
        ("attach_timeout_s", y.value_text(P::AttachTimeoutS)),
        ("login_capacity", y.value_text(P::LoginCapacity)),
        ("format_1_values", study::FORMAT_1_2007.to_string()),
        ("uptime_gate_h", (y.int(P::PromoteUptimeMin) / 60).to_string()),
        ("sn_capacity", y.value_text(P::SnCapacity)),
        ("sn_target", y.value_text(P::SnTarget)),
        ("sn_accept_rate", y.value_text(P::SnAcceptRate)),
        ("attempt_capacity_2010", t.value_text(P::SnAttemptCapacity)),
        ("login_capacity_2010", t.value_text(P::LoginCapacity)),
        ("attach_timeout_2010", t.value_text(P::AttachTimeoutS)),
        ("refusal_cost_2010", t.value_text(P::SnRefusalCost)),
        ("calm", calm),
        ("format_1", format_1),
        ("login_count", login_count),
    ];
    fill(block("fitted-2007"), &values) + "\n"
}

/// Seeds whose healing hours lie within this many hours of each other
/// climb back "at about the same hour".
const SAME_HOUR: f64 = 3.0;

/// The 2007 climb and the published relapse, for the seeds of `v`;
/// `format_1` is the comparison with the calibration before, when the
/// report ran it.
fn climb_text(v: &Validation, crossing: Option<seeds::CoreCrossing>, format_1: Option<&Validation>) -> String {
    let n = v.shapes.len();
    let healed = v.healed();
    let relapsing = v.relapsing();
    let mut o = " The legacy policy rebuilds the supernode core at its fixed pace, and the network climbs back when \
                 the core has grown large enough to take the searching clients' connection attempts without being \
                 overloaded (the next figure)."
        .to_string();
    match healed_range(v) {
        Some(r) if n > 1 && healed == n => {
            let when = format!("healed {} h after the trigger, {}", words::range_text(r, 1), utc_range(v.preset, r));
            o += &if r.1 - r.0 <= SAME_HOUR {
                format!(" Because that pace is a clock, not a chance, the seeds climb back at about the same hour ({when}).")
            } else {
                format!(" The seeds climb back {:.1} h apart ({when}).", r.1 - r.0)
            };
        }
        _ if healed < n => {
            let _ = write!(o, " {} of the {n} seeds heal within the run.", healed);
        }
        _ => {}
    }
    if healed == n && relapsing == 0 {
        let _ = write!(
            o,
            " {} after climbing back above 80% of normal.",
            if n == 1 { "The seed does not relapse".to_string() } else { format!("None of the {n} seeds relapses") }
        );
        // The published relapse is the record's last point.
        if v.rows.last().is_some_and(|r| r.difference.abs() > WITHIN) {
            o += block("relapse-missed");
        }
        if crossing.is_some_and(|c| c.spare_at_end > 1.0) {
            o += " Once the core has cleared it has room to spare (the next figure), and nothing in the model tips \
                  it over again.";
        }
        o += block("no-second-trigger");
    } else if relapsing > 0 {
        let _ = write!(
            o,
            " {relapsing} of the {n} seeds {} after climbing back above 80% of normal (the shape above says \
             when). The relapses are not scripted; they come when demand rises faster than the core can absorb.",
            if relapsing == 1 { "relapses" } else { "relapse" }
        );
    }
    if let Some(f) = format_1 {
        let _ = write!(
            o,
            " The values of the calibration before this one (links of format 1, section 2) put {} of {} points \
             within the target with the same seeds (mean absolute difference {:.3}); {}.",
            f.within(),
            f.rows.len(),
            validation::mean_abs_difference(&f.rows).unwrap_or(f64::NAN),
            heal_and_relapse_text(f)
        );
    }
    o += block("unstable-recovery");
    o += "\n";
    o
}

/// How many of `v`'s seeds relapse and heal, and when they heal: "2 of its
/// 4 seeds relapse, and all 4 heal, 54.0-78.0 h after the trigger".
fn heal_and_relapse_text(v: &Validation) -> String {
    let n = v.shapes.len();
    let relapsing = v.relapsing();
    let healed = v.healed();
    let seeds = if n == 1 { "its one seed".to_string() } else { format!("{relapsing} of its {n} seeds") };
    let verb = if n == 1 && relapsing == 0 {
        "does not relapse"
    } else if relapsing == 1 || n == 1 {
        "relapses"
    } else {
        "relapse"
    };
    let heal = match healed_range(v) {
        None => "none heals within the run".to_string(),
        Some(r) => {
            let when = format!("{} h after the trigger", words::range_text(r, 1));
            match (n, healed) {
                (1, _) => format!("it heals {when}"),
                (n, h) if h == n => format!("all {n} heal, {when}"),
                (n, h) => format!("{h} of {n} heal, {when}"),
            }
        }
    };
    format!("{seeds} {verb}, and {heal}")
}

/// `range` (hours after the trigger) as UTC times.
fn utc_range(preset: Preset, (lo, hi): (f64, f64)) -> String {
    let (a, b) = (utc_after_trigger(preset, lo), utc_after_trigger(preset, hi));
    if a == b {
        a
    } else {
        format!("{a} to {b}")
    }
}

/// `crossing` is [`seeds::core_crossing`] of `v`.
fn core_text(v: &Validation, crossing: Option<seeds::CoreCrossing>) -> String {
    let (from, to) = study::CORE_HOURS;
    let seed = v.seeds[0];
    let mut o = format!(
        "\n![August 2007, seed {seed}: the supernode core](docs/figures/core-skype-2007.png)\n\n\
         When the network climbs back, in seed {seed} ({from:.0} to {to:.0} h after the trigger; every count over \
         the online count the daily rhythm alone gives at that moment): the green line is the number of clients \
         the live supernodes can hold, the orange one the peers that need a place on them (connected and \
         searching), the purple one the connection attempts per second per live supernode over what a typical \
         supernode handles (above 1, a typical supernode is overloaded). "
    );
    if let Some(c) = crossing {
        let _ = write!(
            o,
            "After the collapse the peers that need a supernode reach {:.1} times the places on the core. The core \
             grows only at the legacy promotion pace, and its places pass the demand for good {:.1} h after the \
             trigger ({}). ",
            c.peak_ratio,
            c.crossed_h,
            utc_after_trigger(v.preset, c.crossed_h)
        );
        let healed = v.shapes[0].recovered_h;
        match c.calm_h {
            Some(calm) if calm > c.crossed_h + 1.0 => {
                let _ = write!(
                    o,
                    "Places are not enough, though: after that the searching clients' connection attempts, shared \
                     over the live supernodes, still reach {:.1} times what a typical supernode handles, so most of \
                     them are overloaded, and an overloaded supernode takes no new clients. As promotion adds supernodes and each one that \
                     clears takes clients who stop searching, that load comes down; it falls to what a typical \
                     supernode handles {calm:.1} h after the trigger ({}), {:.1} h after the places passed the \
                     demand. ",
                    c.peak_attempts,
                    utc_after_trigger(v.preset, calm),
                    calm - c.crossed_h
                );
                let t0 = v.trigger_h;
                let online_at = |h: f64| validation::share_at(&v.series[0], t0 + h);
                let (before, after) = (online_at(calm - 1.0), online_at(calm + 1.0));
                if let (Some(a), Some(b)) = (before, after) {
                    let _ = write!(o, "Online goes from {a:.2} of normal an hour before that to {b:.2} an hour after");
                    o += &healed.filter(|&h| h >= calm).map_or(". ".to_string(), |h| {
                        format!(", and is back to 95% of normal {:.1} h after it. ", h - calm)
                    });
                }
            }
            _ => {
                if let Some(h) = healed.filter(|&h| h >= c.crossed_h) {
                    let _ = write!(o, "The network is back to 95% of normal {:.1} h later. ", h - c.crossed_h);
                }
            }
        }
        let _ = write!(
            o,
            "At the end of the figure the core has {:.2} places for each peer that needs one. ",
            c.spare_at_end
        );
    }
    let at = demand_list(&seeds::demand_at_relapses(v));
    if at.is_empty() {
        o += "This seed does not relapse.\n";
    } else {
        let _ = writeln!(
            o,
            "In the hour before each of its relapses the peers that need a supernode reached {at} of those places: \
             every relapse starts when the climb meets the size of the core. A full supernode refuses new clients, \
             who walk on through their host caches; their attempts overload the supernodes, overloaded supernodes \
             stop answering keep-alives, and every client they lose searches too."
        );
    }
    o
}

fn demand_list(at: &[(f64, f64)]) -> String {
    at.iter().map(|(h, r)| format!("{r:.2} (relapse at {h:.1} h)")).collect::<Vec<_>>().join(", ")
}

/// How much of a preset's miss is timing: each seed held against the
/// record at its own best move in time. Empty when every point is within.
fn timing_text(val: &Validation) -> String {
    let n = val.rows.len();
    if val.within() == n {
        return String::new();
    }
    let shifts: Vec<_> = val.seeds.iter().zip(val.shifts()).filter_map(|(s, x)| x.map(|x| (*s, x))).collect();
    let Some(most) = shifts.iter().map(|(_, t)| t.timing.best.within).max() else { return String::new() };
    let mut o = format!(
        "\nHow much of the miss is timing: each seed's run moved in time, by up to {} either way in {} steps, to \
         the move that puts the most published points within the target (`patchstorm validate` prints the \
         same):\n\n",
        words::move_text(validation::SHIFT_MAX_H),
        words::move_text(validation::SHIFT_STEP_H)
    );
    for (seed, t) in &shifts {
        let _ = writeln!(o, "- seed {seed}: {}.", words::shift_text(t));
    }
    let all: Vec<String> =
        shifts.iter().filter(|(_, t)| t.timing.best.within == n).map(|(s, _)| s.to_string()).collect();
    o += &if all.is_empty() {
        format!(
            "\nEven on its own timing no seed puts more than {most} of {n} points within the target: the rest of \
             the miss is the shape of the run, not its timing.\n"
        )
    } else {
        format!(
            "\nOn its own timing, {} every point within the target.\n",
            match all.as_slice() {
                [one] => format!("seed {one} puts"),
                many => format!("seeds {} put", many.join(", ")),
            }
        )
    };
    o
}

/// Each seed on its own against the record: how often the model draws a run
/// like the one outage that happened, and which points its runs reach.
fn draws_text(draws: &[Validation]) -> String {
    let Some(first) = draws.first() else { return String::new() };
    let seeds = first.seeds.len();
    let peers = if first.peers == study::REPORT_PEERS { String::new() } else { format!(" --peers {}", first.peers) };
    let mut o = format!(
        "### The record as one draw of the model\n\n\
         Each outage happened once, while the model gives one run per seed; the tables above compare the record \
         with the mean over a few seeds. Here {} at {} peers is held against the record on its own, as it is, not \
         moved in time (for a preset that misses the target, `patchstorm validate{peers} --seeds {seeds}` prints \
         the first table's count):\n\n\
         | preset | published points within {WITHIN}, seed by seed |\n|---|---|\n",
        match first.seeds.as_slice() {
            [one] => format!("seed {one}"),
            [a, _, .., b] if first.seeds.windows(2).all(|w| w[1] == w[0] + 1) => format!("each of seeds {a} to {b}"),
            many => format!("each of seeds {}", words::seed_list(many)),
        },
        first.peers
    );
    let all_draws: Vec<seeds::Draws> = draws.iter().map(|v| v.draws()).collect();
    for (v, d) in draws.iter().zip(&all_draws) {
        let _ = writeln!(o, "| `{}` | {} |", v.preset.key(), words::by_points_text(d, v.rows.len()));
    }
    let _ = writeln!(
        o,
        "\n| preset | UTC | published share of normal | seeds within {WITHIN} there |\n|---|---|---:|---:|"
    );
    for (v, d) in draws.iter().zip(&all_draws) {
        for (r, k) in v.rows.iter().zip(&d.per_point) {
            let _ = writeln!(o, "| `{}` | {} | {:.3} | {k} of {seeds} |", v.preset.key(), r.utc, r.published_share);
        }
    }
    o.push('\n');
    let runs = |k: usize| if seeds == 1 { format!("{k} of 1 run") } else { format!("{k} of the {seeds} runs") };
    for (v, d) in draws.iter().zip(&all_draws) {
        let n = v.rows.len();
        let key = v.preset.key();
        let most = d.most();
        let Some(i) = d.closest() else { continue };
        let best = d.per_seed[i];
        let (lo, hi) = min_max(d.per_point.iter().map(|&k| k as f64)).unwrap_or((0.0, 0.0));
        let each = if lo == hi {
            format!("Each point is within the target in {}.", runs(lo as usize))
        } else {
            format!("Each point is within the target in {} to {}.", lo, runs(hi as usize))
        };
        if best == n {
            let _ = writeln!(o, "- `{key}`: {} put all {n} points within the target. {each}", runs(most.len()));
            continue;
        }
        let missed = words::outside_text(&v.outside(&v.series[i], 0.0));
        let tied = if most.len() > 1 {
            format!(" ({} of the runs have {best}; of them it has the lowest mean absolute difference)", most.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "- `{key}`: no run puts all {n} points within the target. The run with the most, seed {}{tied}, puts {best} \
             of {n} within it (mean absolute difference {:.3}) and misses {}. {each}",
            v.seeds[i],
            d.mean[i],
            missed
        );
    }
    o.push('\n');
    o
}

fn alternatives_text(alts: &[Alternative]) -> String {
    let Some(first) = alts.first() else { return String::new() };
    let seeds = words::seeds_label(&first.validation.seeds);
    let mut o = format!(
        "### How much the 2007 fit hangs on each value\n\n\
         The same comparison with fitted values changed (`patchstorm validate --preset skype-2007 --set \
         KEY=VALUE`, one `--set` per value, {seeds}), and the lowest online share of normal in a day without a trigger (preset \
         `calm-day`, seed 1, same change), which a calibration has to keep near 1. The rows: the calibration \
         before this one (links of format 1; its values, with this build's login count), each of the five fitted \
         values put back to its value there on its own, the preset read as a link of format 2 (`v=2`: the login \
         servers' count of failed clients before format 3, with this build's values), and values near the fit.\n\n\
         | change | points within {WITHIN} | mean absolute difference | mean range over seeds | healed, h after \
         the trigger | calm day: lowest online / normal |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for alt in alts {
        let v = &alt.validation;
        let within = v.within();
        let heal = heal_cell(v);
        let change = change_cell(alt.change);
        let _ = writeln!(
            o,
            "| {change} | {within} of {} | {:.3} | {:.2} | {heal} | {:.3} |",
            v.rows.len(),
            validation::mean_abs_difference(&v.rows).unwrap_or(f64::NAN),
            range_width(v),
            alt.calm_min
        );
    }
    let meets = alts.iter().filter(|a| a.validation.within() == a.validation.rows.len()).count();
    let best = alts.iter().max_by_key(|a| a.validation.within()).expect("at least one");
    let best_within = best.validation.within();
    let queue: Vec<String> = alts
        .iter()
        .filter(|a| a.calm_min < 0.95)
        .map(|a| format!("{} ({:.2})", change_name(a.change), a.calm_min))
        .collect();
    let _ = write!(
        o,
        "\n{} of these changes put every point within {WITHIN}; the most any puts within is {best_within} of {}. ",
        if meets == 0 { "None".to_string() } else { meets.to_string() },
        best.validation.rows.len()
    );
    if !queue.is_empty() {
        let _ = write!(
            o,
            "A normal day pays for {}: online falls below 0.95 of normal without any trigger. ",
            queue.join(", ")
        );
    }
    let (agree, differ): (Vec<&Alternative>, Vec<&Alternative>) =
        alts.iter().partition(|a| range_width(&a.validation) <= 2.0 * WITHIN);
    if !agree.is_empty() {
        let rows: Vec<String> = agree
            .iter()
            .map(|a| {
                let name = change_name(a.change);
                match healed_range(&a.validation) {
                    Some(range) => format!("{name} (healed {} h)", words::range_text(range, 1)),
                    None => format!("{name} (never healed)"),
                }
            })
            .collect();
        let _ = write!(
            o,
            "Rows whose seeds agree within {:.2} of normal at the published points on average: {}. ",
            2.0 * WITHIN,
            rows.join(", ")
        );
    }
    if let Some((lo, hi)) = min_max(differ.iter().map(|a| range_width(&a.validation))) {
        let (rows, by) = match differ.len() {
            1 => ("row".to_string(), format!("{lo:.2}")),
            n => (format!("{n} rows"), words::range_text((lo, hi), 2)),
        };
        let _ = write!(
            o,
            "In the other {rows} the seeds disagree by {by} on average: they climb back, or tip back, at hours far \
             apart."
        );
    }
    o += "\n\n";
    o
}

/// How many seeds collapse within a day and when they heal.
fn collapse_and_heal(v: &Validation) -> String {
    let n = v.shapes.len();
    let in_a_day = v.shapes.iter().filter(|s| s.collapse_h.is_some_and(|h| h <= 24.0)).count();
    let healed = v.healed();
    let span = |range| format!("{} h", words::range_text(range, 1));
    // The published "about two days" runs from when the problems began, so
    // the time from each seed's own collapse is given too.
    let since_collapse = min_max(v.shapes.iter().filter_map(|s| Some(s.recovered_h? - s.collapse_h?)))
        .map_or(String::new(), |r| format!(", {} after they collapsed", span(r)));
    let when = match healed_range(v) {
        None => format!("none of the {n} heals within the run"),
        Some(r) if healed == n => format!("they heal {} after it{since_collapse}", span(r)),
        Some(r) => format!("{healed} of {n} heal, {} after it{since_collapse}, the others not within the run", span(r)),
    };
    // "Healed" is the first hour back at 95% of normal; a run can relapse
    // after it, so say when the relapses end, where that is later.
    let good = v.shapes.iter().filter(|s| s.for_good_h.is_some()).count();
    let later = v.shapes.iter().any(|s| matches!((s.recovered_h, s.for_good_h), (Some(r), Some(g)) if g > r + 0.05));
    let good_since = min_max(v.shapes.iter().filter_map(|s| Some(s.for_good_h? - s.collapse_h?)))
        .map_or(String::new(), |r| format!(", {} after they collapsed", span(r)));
    let watched = min_max(v.shapes.iter().filter_map(|s| Some(s.end_h - s.for_good_h?)));
    let for_good = match (min_max(v.shapes.iter().filter_map(|s| s.for_good_h)), watched) {
        (Some(r), Some(w)) if later => format!(
            ". Healed there means back to 95% of normal for an hour, and a run can relapse after it. After their \
             last relapse, {good} of {n} are back above 80% of normal {} after the trigger{good_since}, and none \
             falls below half again in the {} left of the run",
            span(r),
            span(w)
        ),
        _ => String::new(),
    };
    format!("{in_a_day} of {n} seeds collapse within a day of the trigger, and {when}{for_good}")
}

fn scale_text(rows: &[ScaleRow]) -> String {
    let Some(first) = rows.first() else { return String::new() };
    let (small, large) = (first.small.peers, first.large.peers);
    // What each 2007 change in the table does, as the scale check's list says.
    let changed: Vec<String> = study::SCALE_CHANGES_2007
        .iter()
        .filter(|&&change| rows.iter().any(|r| r.preset == Preset::Skype2007 && r.change == change))
        .map(|&change| format!("in the 2007 rows with {} {}", change_name(change), scale_change_words(change)))
        .collect();
    let changes = if changed.is_empty() { String::new() } else { format!("; {}", changed.join("; ")) };
    let mut o = format!(
        "### Does the fit hold at a larger population?\n\n\
         Every rate in the model is per peer, so a larger population should give the same shares; the mean range \
         over seeds shows whether the seeds also agree more closely there. The same comparisons at {small} and at \
         {large} peers (`patchstorm validate --peers {large}`, {}){changes}:\n\n\
         | preset | change | peers | points within {WITHIN} | mean absolute difference | mean range over seeds | \
         healed, h after the trigger | first relapse per seed, h after the trigger | back above 80% after the last \
         relapse, per seed, h after the trigger |\n\
         |---|---|---:|---:|---:|---:|---:|---|---|\n",
        words::seeds_label(&first.small.seeds),
    );
    for r in rows {
        let change = change_cell(r.change);
        for v in [&r.small, &r.large] {
            let heal = heal_cell(v);
            let relapses: Vec<String> =
                v.shapes.iter().map(|s| s.relapses.first().map_or("-".to_string(), |h| format!("{h:.1}"))).collect();
            // "-" without a relapse; "never" if the run ends below half.
            let last: Vec<String> = v
                .shapes
                .iter()
                .map(|s| match s.after_relapses() {
                    None => "-".to_string(),
                    Some(Some(h)) => format!("{h:.1}"),
                    Some(None) => "never".to_string(),
                })
                .collect();
            let _ = writeln!(
                o,
                "| `{}` | {change} | {} | {} of {} | {:.3} | {:.2} | {heal} | {} | {} |",
                r.preset.key(),
                v.peers,
                v.within(),
                v.rows.len(),
                validation::mean_abs_difference(&v.rows).unwrap_or(f64::NAN),
                range_width(v),
                relapses.join(", "),
                last.join(", ")
            );
        }
    }
    o.push('\n');
    for r in rows {
        let n = r.small.rows.len();
        let (a, b) = (r.small.within(), r.large.within());
        let what = if r.change.is_empty() {
            format!("`{}`", r.preset.key())
        } else {
            format!("`{}` with `{}`", r.preset.key(), r.change)
        };
        let verdict = match (n > 0 && a == n, n > 0 && b == n) {
            (true, true) => "meets the target at both sizes",
            (true, false) => "meets the target at the smaller size only",
            (false, true) => "meets the target at the larger size only",
            (false, false) => "meets the target at neither size",
        };
        let _ = writeln!(
            o,
            "- {what} {verdict}: {a} of {n} points at {small} peers, {b} of {n} at {large}; the seeds' mean range goes \
             from {:.2} to {:.2}.",
            range_width(&r.small),
            range_width(&r.large)
        );
    }
    o.push('\n');
    o
}

/// The change a row makes to the preset, in a sentence.
fn change_name(change: &str) -> String {
    if change.is_empty() {
        "the preset".to_string()
    } else {
        format!("`{change}`")
    }
}

/// A table cell: the change a row makes to the preset.
fn change_cell(change: &str) -> String {
    if change.is_empty() {
        "none (the preset)".to_string()
    } else {
        change_name(change)
    }
}

/// A table cell: when the seeds heal, and how many never do.
fn heal_cell(v: &Validation) -> String {
    let never = v.shapes.len() - v.healed();
    let mut heal = healed_range(v).map_or(String::new(), |range| words::range_text(range, 1));
    if never > 0 {
        heal += &format!("{}{never} of {} never", if heal.is_empty() { "" } else { "; " }, v.shapes.len());
    }
    heal
}

/// Section 4: the phase maps, with the cells that do not heal and where the seeds disagree.
fn phase_section(maps: &[Phase], phase_peers: u32) -> String {
    let mut o = String::new();
    o += "## 4. Phase map: where the network tips\n\n";
    let n = maps.first().map_or(1, |m| m.seeds.len());
    let seeds = maps.first().map_or(String::new(), |m| words::seeds_label(&m.seeds));
    let runs = if n == 1 {
        format!("one run of {phase_peers} peers ({seeds})")
    } else {
        format!(
            "{n} runs of {phase_peers} peers ({seeds}), shown side by side as stripes in the figure and as symbols \
             in the table, the best outcome first"
        )
    };
    let _ = writeln!(
        o,
        "The 2007 wave for each allocation policy, sweeping the restart rate (the wave's peak share of peers \
         restarting per hour) against supernode capacity (clients per supernode; the allocation aims for 250). \
         Each cell is {runs}. A slow wave lasts for days, so healing is counted from the end of the wave (when \
         95% of its restarts have happened), and each run lasts until {} h after it. Numbers in the figure's cells \
         are hours from the end of the wave until the online count is back to 95% of normal for an hour, over the \
         runs that healed (one value, or the range); - where none healed. Rates beyond what the wave can reach \
         with these settings are left empty.",
        study::PHASE_HOURS_AFTER
    );
    if n > 1 {
        o += "Where some runs of a cell heal and others do not, the cell lies on the tipping line: there the \
              outcome hangs on a run's random draws (as the hour the 2007 runs heal differs between the seeds in \
              section 1), and a single run per cell would draw the line by chance.\n";
    }
    o.push('\n');
    for m in maps {
        let policy = m.policy.key();
        let _ = writeln!(o, "### `{policy}`\n\n![phase map, {policy}](docs/figures/phase-{policy}.png)\n");
        o += "```\n";
        o += &tables::phase_table(m);
        o += &tables::phase_legend(m.seeds.len());
        o += "\n```\n\n";
        let n = m.seeds.len();
        // Every cell that fails, not only the first per row: the boundary need not be monotone in the rate.
        let mut rows = Vec::new();
        for (c, row) in m.capacities.iter().zip(&m.cells).rev() {
            let (mut every, mut some) = (Vec::new(), Vec::new());
            for (cell, r) in row.iter().zip(&m.rates) {
                match Phase::failed(cell) {
                    0 => {}
                    k if k == n => every.push(r.to_string()),
                    k => some.push(format!("{r} %/h ({k} of {n})")),
                }
            }
            let mut parts = Vec::new();
            if !every.is_empty() {
                let who = if n == 1 { "" } else { "every run " };
                parts.push(format!("{who}at {} %/h", every.join(", ")));
            }
            if !some.is_empty() {
                parts.push(format!("some runs at {}", some.join(", ")));
            }
            if !parts.is_empty() {
                rows.push(format!("- capacity {c}: {}", parts.join("; ")));
            }
        }
        let reachable: Vec<&Vec<PhaseRun>> =
            m.cells.iter().flatten().filter(|cell| cell.iter().all(|(h, _)| *h != Heal::Impossible)).collect();
        if reachable.iter().all(|cell| cell.iter().all(|(h, _)| *h == Heal::NoOutage)) {
            o += "No run of the sweep has an outage.\n";
        } else if rows.is_empty() {
            let _ = writeln!(
                o,
                "Every run of the sweep that has an outage heals within {} h of the wave's end.",
                study::PHASE_HOURS_AFTER
            );
        } else {
            let _ = writeln!(
                o,
                "Not healed within {} h of the wave's end:\n\n{}",
                study::PHASE_HOURS_AFTER,
                rows.join("\n")
            );
        }
        if n > 1 {
            let tipping = reachable.iter().filter(|cell| Phase::tips(cell)).count();
            let _ = writeln!(
                o,
                "\nOn the tipping line (some runs heal, others do not): {tipping} of the {} reachable cells.",
                reachable.len()
            );
        }
        o.push('\n');
    }
    o
}

/// The earliest and latest healing over the seeds that healed.
fn healed_range(v: &Validation) -> Option<(f64, f64)> {
    min_max(v.shapes.iter().filter_map(|s| s.recovered_h))
}

/// Mean width of the range over seeds at the published points.
fn range_width(v: &Validation) -> f64 {
    v.ranges.iter().map(|(lo, hi)| hi - lo).sum::<f64>() / v.ranges.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::runner::{scale_checks, scale_runs, validation_runs};
    use patchstorm::scenario::FORMAT_VERSION;

    fn small_validations() -> Vec<Validation> {
        validation_runs(&[Preset::Skype2007, Preset::Skype2010], 1_000, &[1, 2], &[], None).ok().expect("valid")
    }

    #[test]
    fn the_template_has_a_value_for_every_placeholder_and_uses_every_value() {
        // A small report of every section: `fill` stops on a placeholder
        // without a value or a value without a placeholder.
        let v = small_validations();
        let sizes = ReportSizes { peers: 1_000, phase_peers: 1_000, flags: String::new() };
        let md = validation_md(&v, &v, &[], &[], &[], &[], &sizes);
        assert!(!md.contains("{{") && !md.contains("<!--"), "{md}");
        assert!(md.starts_with("# Validation\n\n") && md.ends_with("with the mean absolute difference.\n"), "{md}");
        for change in study::SCALE_CHANGES_2007 {
            assert!(!scale_change_words(change).is_empty());
        }
    }

    #[test]
    fn seeds_are_counted_by_points_within_most_first_and_ties_go_to_the_lower_mean() {
        let d = seeds::Draws { per_seed: vec![6, 7, 0, 7], mean: vec![0.2, 0.3, 0.9, 0.1], per_point: vec![] };
        assert_eq!(d.by_points(), vec![(7, 2), (6, 1), (0, 1)]);
        assert_eq!(words::by_points_text(&d, 9), "7 of 9 points in 2 seeds, 6 in 1 seed, 0 in 1 seed");
        assert_eq!(d.most(), vec![1, 3]);
        assert_eq!(d.closest(), Some(3));
    }

    #[test]
    fn the_draws_count_every_seed_and_every_point_and_name_the_closest_seed() {
        let v =
            validation_runs(&[Preset::Skype2007, Preset::Skype2010], 1_000, &[1, 2, 3], &[], None).ok().expect("valid");
        let text = draws_text(&v);
        for val in &v {
            let d = val.draws();
            let n = val.rows.len();
            // Per seed: what validate's "as it is" says.
            for (i, shift) in val.shifts().iter().enumerate() {
                assert_eq!(d.per_seed[i], shift.as_ref().map_or(0, |t| t.timing.as_is.within), "seed {i}");
            }
            // Per point, counted here from the samples: the last at or before the point.
            for (k, r) in val.rows.iter().enumerate() {
                let hits = val
                    .series
                    .iter()
                    .filter(|s| {
                        let at = s.iter().rev().find(|(t, _)| *t <= r.t_hours + 1e-9).map(|p| p.1);
                        at.is_some_and(|x| (x - r.published_share).abs() <= WITHIN)
                    })
                    .count();
                assert_eq!(d.per_point[k], hits, "{}", r.utc);
            }
            let row = format!("| `{}` | {} |", val.preset.key(), words::by_points_text(&d, n));
            assert!(text.contains(&row), "{row}\n{text}");
            let best = *d.per_seed.iter().max().unwrap();
            let named = (0..d.per_seed.len())
                .filter(|&i| d.per_seed[i] == best)
                .min_by(|&a, &b| d.mean[a].total_cmp(&d.mean[b]))
                .unwrap();
            if best < n {
                let line = format!(
                    "no run puts all {n} points within the target. The run with the most, seed {}",
                    val.seeds[named]
                );
                assert!(text.contains(&line), "{line}\n{text}");
                assert!(text.contains(&format!("puts {best} of {n} within it")), "{text}");
            } else {
                assert!(text.contains(&format!("put all {n} points within the target")), "{text}");
            }
        }
    }

    #[test]
    fn the_timing_paragraph_gives_every_seed_and_a_verdict_that_fits_its_counts() {
        let v = &small_validations()[0];
        assert_eq!(v.preset, Preset::Skype2007);
        let text = timing_text(v);
        if v.within() == v.rows.len() {
            assert_eq!(text, "");
            return;
        }
        for seed in &v.seeds {
            assert!(text.contains(&format!("- seed {seed}: ")), "{text}");
        }
        let n = v.rows.len();
        let most = v.shifts().iter().flatten().map(|t| t.timing.best.within).max().expect("shifts");
        for t in v.shifts().iter().flatten() {
            assert!(t.timing.best.within >= t.timing.as_is.within);
            assert_eq!(t.outside.len(), n - t.timing.best.within, "each point outside at the best move is listed");
        }
        if most == n {
            assert!(text.contains("every point within the target"), "{text}");
        } else {
            assert!(text.contains(&format!("no seed puts more than {most} of {n} points")), "{text}");
        }
    }

    #[test]
    fn a_report_of_one_seed_names_it_and_gives_the_command_that_writes_it_again() {
        let v = validation_runs(&[Preset::Skype2007], 1_000, &[3], &[], None).ok().expect("valid");
        let sizes = ReportSizes { peers: 1_000, phase_peers: 1_000, flags: " --peers 1000 --seeds 1".into() };
        let md = validation_md(&v, &v, &[], &[], &[], &[], &sizes);
        assert!(md.contains("```sh\ncargo run --release -p patchstorm -- report --peers 1000 --seeds 1\n```"), "{md}");
        assert!(md.contains("1000 peers for the historical runs (seed 3)"), "{md}");
        assert!(md.contains("Seed 3; the simulated share is that run's."), "{md}");
        assert!(!md.contains("seeds 3") && !md.contains("Seeds 3"), "{md}");
        assert!(md.contains("Here seed 3 at 1000 peers is held"), "{md}");
        assert!(
            md.contains(
                "the ablations (seed 1), one seed of each outage at 1000 peers held against the record on its own, "
            ),
            "{md}"
        );
    }

    #[test]
    fn the_scale_check_has_both_sizes_of_every_comparison_and_a_verdict_each() {
        let mut small = small_validations();
        // A mark only the report's own validation carries: the preset rows must reuse it, not rerun it.
        small[0].series[0] = vec![(-1.0, -1.0)];
        let mut rows = scale_runs(&small, 2_000, None).ok().expect("valid");
        assert_eq!(rows.len(), scale_checks(&small));
        assert_eq!(rows.len(), 2 + study::SCALE_CHANGES_2007.len(), "the two presets and the 2007 changes");
        assert_eq!(rows[0].small.series[0], vec![(-1.0, -1.0)]);
        assert_ne!(rows[1].small.series[0], vec![(-1.0, -1.0)], "the changed pair is run, not reused");
        for r in &rows {
            assert_eq!((r.small.peers, r.large.peers), (1_000, 2_000));
            assert_eq!(r.small.preset, r.large.preset);
            assert_eq!(r.small.seeds, r.large.seeds);
            assert_eq!(r.small.rows.len(), r.large.rows.len());
        }
        // Every point within at the smaller size, none at the larger.
        let n = rows[0].small.rows.len();
        rows[0].small.rows.iter_mut().for_each(|r| r.difference = 0.0);
        rows[0].large.rows.iter_mut().for_each(|r| r.difference = 1.0);
        let text = scale_text(&rows);
        let table: Vec<&str> = text.lines().filter(|l| l.starts_with("| `skype-")).collect();
        assert_eq!(table.len(), 2 * rows.len(), "{text}");
        assert!(table.iter().step_by(2).all(|l| l.contains("| 1000 |")), "{text}");
        assert!(table.iter().skip(1).step_by(2).all(|l| l.contains("| 2000 |")), "{text}");
        assert!(table[0].contains(&format!("| {n} of {n} |")) && table[1].contains(&format!("| 0 of {n} |")), "{text}");
        let verdicts: Vec<&str> = text.lines().filter(|l| l.starts_with("- `skype-")).collect();
        assert_eq!(verdicts.len(), rows.len(), "{text}");
        assert!(
            verdicts[0].contains(&format!(
                "meets the target at the smaller size only: {n} of {n} points at 1000 peers, 0 of {n} at 2000"
            )),
            "{text}"
        );
        for change in study::SCALE_CHANGES_2007 {
            let what = scale_change_words(change);
            assert!(text.contains(&format!("; in the 2007 rows with `{change}` {what}")), "{text}");
        }
    }

    #[test]
    fn the_core_crossing_is_where_places_pass_the_demand_and_the_attempts_calm_for_good() {
        let mut v = small_validations().remove(0);
        let t0 = v.trigger_h;
        v.shapes[0].collapse_h = Some(10.0);
        v.shapes[0].recovered_h = Some(44.0);
        // Places pass the demand at 20 h, fall short again at 22-24 h and pass
        // it for good at 25 h; the attempts calm down at 40 h.
        v.core = (0..=70)
            .map(|h| {
                let h = h as f64;
                seeds::Core {
                    t_hours: t0 + h,
                    online: if h < 40.0 { 0.3 } else { 0.9 },
                    demand: 1.0,
                    slots: if h < 20.0 || (22.0..25.0).contains(&h) { 0.5 } else { 1.25 },
                    attempts: if h < 10.0 {
                        9.0
                    } else if h < 40.0 {
                        3.0
                    } else {
                        0.5
                    },
                }
            })
            .collect();
        // The same online shares as the seed's series, which the text reads.
        v.series[0] = v.core.iter().map(|c| (c.t_hours, c.online)).collect();
        let c = seeds::core_crossing(&v).expect("it crosses");
        assert_eq!((c.crossed_h, c.peak_ratio, c.calm_h), (25.0, 2.0, Some(40.0)));
        assert_eq!(c.peak_attempts, 3.0, "only after the collapse");
        assert_eq!(c.spare_at_end, 1.25, "at the figure's end, 64 h");
        let text = core_text(&v, Some(c));
        assert!(text.contains("reach 3.0 times what a typical supernode handles"), "{text}");
        assert!(text.contains("40.0 h after the trigger"), "{text}");
        assert!(text.contains("15.0 h after the places passed the demand"), "{text}");
        assert!(text.contains("Online goes from 0.30 of normal an hour before that to 0.90 an hour after"), "{text}");
        assert!(text.contains("back to 95% of normal 4.0 h after it"), "{text}");
        // A core that never passes the demand has no crossing.
        v.core.iter_mut().for_each(|c| c.slots = 0.5);
        assert_eq!(seeds::core_crossing(&v), None);
    }

    #[test]
    fn the_format_1_alternative_is_what_a_format_1_link_replays() {
        let mut s = Scenario::preset(Preset::Skype2007);
        for set in study::FORMAT_1_2007.split_whitespace() {
            let (k, v) = set.split_once('=').expect("KEY=VALUE");
            s.set(k, v).expect("valid");
        }
        // The same values; the link keeps the login count of its format
        // (format 2 in its canonical form), the report's row this build's.
        let v1 = Scenario::from_query("v=1&preset=skype-2007").expect("valid");
        assert_eq!((v1.format(), s.format()), (2, FORMAT_VERSION));
        let values = |q: String| q.split_once('&').expect("v=N&preset=...").1.to_string();
        assert_eq!(values(v1.to_query()), values(s.to_query()));
    }

    #[test]
    fn the_climb_says_whether_the_seeds_relapse_and_what_the_calibration_before_gives() {
        let mut v = small_validations().remove(0);
        v.shapes.iter_mut().for_each(|s| {
            s.relapses.clear();
            s.recovered_h = Some(50.0);
        });
        let mut before = v.clone();
        before.shapes[1].relapses = vec![50.0];
        let text = climb_text(&v, seeds::core_crossing(&v), Some(&before));
        assert!(text.contains("None of the 2 seeds relapses after climbing back above 80% of normal"), "{text}");
        assert!(text.contains("1 of its 2 seeds relapses, and all 2 heal, 50.0 h after the trigger"), "{text}");
        assert!(text.contains("the seeds climb back at about the same hour (healed 50.0 h after"), "{text}");
        // A seed that never heals: nothing is said about relapses it could not have.
        v.shapes[1].recovered_h = None;
        let unhealed = climb_text(&v, seeds::core_crossing(&v), None);
        assert!(
            unhealed.contains("1 of the 2 seeds heal within the run") && !unhealed.contains("relapse"),
            "{unhealed}"
        );
        v.shapes[1].recovered_h = Some(50.0);
        assert!(text.contains(&format!("put {} of {} points within the target", before.within(), before.rows.len())));
        v.shapes[0].relapses = vec![60.0];
        let text = climb_text(&v, seeds::core_crossing(&v), None);
        assert!(text.contains("1 of the 2 seeds relapses after climbing back"), "{text}");
        assert!(!text.contains("calibration before"), "{text}");
    }

    #[test]
    fn the_2007_summary_says_how_many_seeds_heal_and_when() {
        let mut v = small_validations().remove(0);
        let hours = |v: &mut Validation, h: [Option<f64>; 2]| {
            v.shapes[0].recovered_h = h[0];
            v.shapes[1].recovered_h = h[1];
            v.shapes.iter_mut().for_each(|s| {
                s.collapse_h = Some(14.0);
                s.for_good_h = s.recovered_h;
                s.end_h = 80.0;
            });
        };
        hours(&mut v, [Some(53.8), Some(56.2)]);
        assert_eq!(
            collapse_and_heal(&v),
            "2 of 2 seeds collapse within a day of the trigger, and they heal 53.8-56.2 h after it, 39.8-42.2 h after \
             they collapsed"
        );
        hours(&mut v, [Some(55.0), Some(55.0)]);
        assert!(collapse_and_heal(&v).ends_with("they heal 55.0 h after it, 41.0 h after they collapsed"));
        // Healed, then relapsed: the summary says when the relapses end.
        hours(&mut v, [Some(54.0), Some(56.0)]);
        v.shapes[0].for_good_h = Some(71.8);
        assert!(collapse_and_heal(&v).ends_with(
            "they heal 54.0-56.0 h after it, 40.0-42.0 h after they collapsed. Healed there means back to 95% of \
             normal for an hour, and a run can relapse after it. After their last relapse, 2 of 2 are back above \
             80% of normal 56.0-71.8 h after the trigger, 42.0-57.8 h after they collapsed, and none falls below \
             half again in the 8.2-24.0 h left of the run"
        ));
        hours(&mut v, [None, Some(60.0)]);
        assert!(collapse_and_heal(&v)
            .ends_with("1 of 2 heal, 60.0 h after it, 46.0 h after they collapsed, the others not within the run"));
        hours(&mut v, [None, None]);
        v.shapes[1].collapse_h = Some(30.0);
        assert_eq!(
            collapse_and_heal(&v),
            "1 of 2 seeds collapse within a day of the trigger, and none of the 2 heals within the run"
        );
    }

    #[test]
    fn the_phase_section_counts_runs_that_do_not_heal_and_cells_on_the_tipping_line() {
        let all = |h: Heal| vec![(h, None); 2];
        let m = Phase {
            policy: patchstorm::policy::Policy::Legacy2007,
            rates: vec![1.0, 6.0, 9.0],
            capacities: vec![260, 400],
            seeds: vec![1, 2],
            cells: vec![
                // Given worst first: the table sorts them.
                vec![
                    vec![(Heal::Within48, Some(30.0)), (Heal::Within24, Some(12.0))],
                    vec![(Heal::Not48, None), (Heal::NoOutage, None)],
                    all(Heal::Impossible),
                ],
                vec![all(Heal::NoOutage), all(Heal::Not48), all(Heal::Impossible)],
            ],
        };
        let text = phase_section(&[m], 20_000);
        assert!(text.contains("Each cell is 2 runs of 20000 peers (seeds 1, 2)"), "{text}");
        // Rows from the largest capacity down, no padding after the last reachable rate.
        assert!(text.contains("\n       400    ..    XX\n       260    12    .X\n"), "{text}");
        assert!(
            text.contains("- capacity 400: every run at 6 %/h\n- capacity 260: some runs at 6 %/h (1 of 2)\n"),
            "{text}"
        );
        // A cell where every run has no outage, or every run fails, is not on the line; .X is.
        assert!(
            text.contains("On the tipping line (some runs heal, others do not): 1 of the 4 reachable cells."),
            "{text}"
        );
        assert!(text.contains("one symbol per seed, best first"), "{text}");
    }

    #[test]
    fn one_seed_per_cell_reads_as_one_run() {
        let m = Phase {
            policy: patchstorm::policy::Policy::Resilient,
            rates: vec![1.0],
            capacities: vec![300],
            seeds: vec![7],
            cells: vec![vec![vec![(Heal::Not48, None)]]],
        };
        let text = phase_section(&[m], 2_000);
        assert!(text.contains("Each cell is one run of 2000 peers (seed 7)."), "{text}");
        assert!(text.contains("- capacity 300: at 1 %/h") && !text.contains("tipping line"), "{text}");
        assert!(!text.contains("one symbol per seed"), "{text}");
    }
}

//! VALIDATION.md's figures, drawn from the evidence with `plot`.

use patchstorm::evidence::phase::{Heal, Phase};
use patchstorm::evidence::seeds::{Core, Validation};
use patchstorm::evidence::study::CORE_HOURS;
use patchstorm::evidence::words::seeds_label;
use patchstorm::policy::Choice;
use patchstorm::scenario::Preset;

use super::plot::{self, Series};
use crate::cli::runner::Ablation;
use crate::cli::Result;

/// A class's colour in the phase maps.
fn heal_color(h: Heal) -> plotters::style::RGBColor {
    match h {
        Heal::NoOutage => plot::SKY,
        Heal::Within24 => plot::GREEN,
        Heal::Within48 => plot::ORANGE,
        Heal::Not48 => plot::VERMILION,
        Heal::Impossible => plotters::style::RGBColor(240, 240, 240),
    }
}

pub fn validation(v: &Validation) -> Result<String> {
    let t0 = v.trigger_h;
    let mut lines: Vec<Series> = v
        .series
        .iter()
        .zip(&v.seeds)
        .map(|(s, seed)| Series {
            name: if *seed == v.seeds[0] {
                "simulated online / normal, one line per seed".into()
            } else {
                String::new()
            },
            color: plot::SKY,
            points: s.iter().map(|&(t, r)| (t - t0, r)).collect(),
        })
        .collect();
    let n = v.series.len() as f64;
    let mean: Vec<(f64, f64)> = (0..v.series[0].len())
        .map(|i| (v.series[0][i].0 - t0, v.series.iter().map(|s| s.get(i).map_or(0.0, |p| p.1)).sum::<f64>() / n))
        .collect();
    lines.push(Series { name: "mean over the seeds".into(), color: plot::BLUE, points: mean });
    let published = Series {
        name: "published (Skype's counter) / normal".into(),
        color: plot::VERMILION,
        points: v.rows.iter().map(|r| (r.t_hours - t0, r.published_share)).collect(),
    };
    let title = match v.preset {
        Preset::Skype2010 => "December 2010: online share of normal, simulated and published",
        _ => "August 2007: online share of normal, simulated and published",
    };
    plot::lines(
        title,
        "hours after the trigger",
        "online / normal",
        // Room above the runs (which end at 1.0, normal) for the legend.
        1.5,
        &lines,
        &[published],
        &[(0.0, " trigger")],
    )
}

/// The first seed's supernode core through the 2007 outage: what the
/// relapses have in common.
pub fn core(v: &Validation) -> Result<String> {
    let t0 = v.trigger_h;
    let inside = |c: &&Core| (CORE_HOURS.0..=CORE_HOURS.1).contains(&(c.t_hours - t0));
    let line = |name: &str, color, f: fn(&Core) -> f64| Series {
        name: name.into(),
        color,
        points: v.core.iter().filter(inside).map(|c| (c.t_hours - t0, f(c))).collect(),
    };
    let lines = [
        line("client places on live supernodes (overloaded ones too)", plot::GREEN, |c| c.slots),
        line("peers that need a supernode (connected + searching)", plot::ORANGE, |c| c.demand),
        line("online", plot::BLUE, |c| c.online),
        line("connection attempts per live supernode / what a typical one handles", plot::PURPLE, |c| c.attempts),
    ];
    // Room for the attempts, which can reach several times what a supernode handles.
    let top = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let y_max = ((top * 1.1 * 4.0).ceil() / 4.0).max(1.75);
    let published = Series {
        name: "published online".into(),
        color: plot::VERMILION,
        points: v
            .rows
            .iter()
            .map(|r| (r.t_hours - t0, r.published_share))
            .filter(|p| (CORE_HOURS.0..=CORE_HOURS.1).contains(&p.0))
            .collect(),
    };
    plot::lines(
        &format!("August 2007, seed {}: the supernode core and the peers it must carry", v.seeds[0]),
        "hours after the trigger",
        "count / normal online count (attempts: / capacity)",
        y_max,
        &lines,
        &[published],
        &[],
    )
}

pub fn ablation(a: &Ablation) -> Result<String> {
    let rows: Vec<(String, f64, plotters::style::RGBColor, String)> = a
        .rows
        .iter()
        .map(|(m, o)| {
            let name = m.map_or("nothing (the preset)".to_string(), |m| format!("without {}", m.name));
            let color = if o.outage { plot::VERMILION } else { plot::GREEN };
            let healed = o.healed_after.map_or("never healed".to_string(), |h| format!("healed after {h:.0} h"));
            let note = format!("{:.0} h down, lowest {:.0}% of normal, {healed}", o.hours_down, o.depth * 100.0);
            (name, o.hours_down, color, note)
        })
        .collect();
    // Room to the right of the longest bar for its note.
    let max = rows.iter().map(|r| r.1).fold(1.0, f64::max) * 1.9;
    plot::bars(
        &format!("{}: hours with online below half of normal, one mechanism off at a time", a.preset.key()),
        "hours below half of normal after the trigger",
        max,
        &rows,
    )
}

pub fn phase(m: &Phase, peers: u32) -> Result<String> {
    let xs: Vec<String> = m.rates.iter().map(|r| format!("{r}")).collect();
    let ys: Vec<String> = m.capacities.iter().map(|c| format!("{c}")).collect();
    let cells: Vec<Vec<plot::Cell>> = m
        .cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| plot::Cell {
                    stripes: Phase::sorted(cell).iter().map(|h| heal_color(*h)).collect(),
                    text: Phase::label(cell),
                })
                .collect()
        })
        .collect();
    let legend: Vec<(plotters::style::RGBColor, &str)> = [Heal::NoOutage, Heal::Within24, Heal::Within48, Heal::Not48]
        .iter()
        .map(|h| (heal_color(*h), h.name()))
        .collect();
    let seeds = seeds_label(&m.seeds);
    let note = if m.seeds.len() == 1 { "" } else { "one stripe per seed, best first" };
    plot::heatmap(
        &format!("{}: healing after the 2007 wave ({peers} peers, {seeds})", m.policy.key()),
        "restart rate (% of peers per hour, peak)",
        "supernode capacity (clients)",
        &xs,
        &ys,
        &cells,
        &plot::Legend { classes: &legend, note },
    )
}

//! The published record: Skype's online counter during the two outages
//! (`crate/data/*.csv`, copied from the reference notes with their sources),
//! placed on a run's clock and scaled to its population.
//!
//! A published count becomes a share of the normal level for its time of
//! day. Where the note gives that share ("about 60%") it is used as
//! published [P]. Otherwise the normal level is the one published at an
//! anchor moment of the same outage [P] carried to other times of day by
//! the model's daily rhythm [H]: a count `c` at time `t` is the share
//! `c / (usual_anchor * rhythm(t) / rhythm(anchor))`. On a run's clock the
//! share becomes simulated peers by multiplying with the run's own normal
//! level at `t`.

use super::run::Run;
use crate::scenario::{Preset, P};
use crate::time::{parse_utc, UnixSeconds};

pub struct Dataset {
    pub name: &'static str,
    pub csv: &'static str,
    /// When the usual level is known, and what it was [P].
    pub anchor: &'static str,
    pub usual: f64,
    pub anchor_source: &'static str,
}

pub const SKYPE_2007: Dataset = Dataset {
    name: "skype-2007-online.csv",
    csv: include_str!("../../data/skype-2007-online.csv"),
    anchor: "2007-08-17T16:00Z",
    usual: 8_000_000.0,
    anchor_source: "about 3 M at noon EDT, '5 million shy of the usual'",
};

pub const SKYPE_2010: Dataset = Dataset {
    name: "skype-2010-online.csv",
    csv: include_str!("../../data/skype-2010-online.csv"),
    anchor: "2010-12-23T12:00Z",
    usual: 5_000_000.0 / 0.30,
    anchor_source: "about 5 M, 'about 30% of expected', 07:00 EST",
};

#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub utc: UnixSeconds,
    /// Published count; `None` for rows that only mark a moment.
    pub online: Option<f64>,
    pub note: String,
}

impl Dataset {
    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::new();
        for line in self.csv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).skip(1) {
            let mut parts = line.splitn(3, ',');
            let (Some(utc), Some(online), Some(note)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let utc = parse_utc(utc).expect("the reference CSV has valid times");
            out.push(Point {
                utc,
                online: online.trim().parse().ok(),
                note: note.trim().trim_matches('"').to_string(),
            });
        }
        out
    }
}

/// The published record that goes with a scenario's preset, if any.
pub fn dataset_for(preset: Preset) -> Option<&'static Dataset> {
    match preset {
        Preset::Skype2007 | Preset::Resilient2007 => Some(&SKYPE_2007),
        Preset::Skype2010 => Some(&SKYPE_2010),
        Preset::CalmDay => None,
    }
}

/// A published point on a run's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// Run time, hours (may fall outside the run).
    pub t_hours: f64,
    /// Published count, in this run's peers.
    pub scaled: Option<f64>,
    /// Published count as a share of the normal level at that time of day.
    pub share_of_normal: Option<f64>,
    pub published: Option<f64>,
    pub note: String,
}

/// The published points of a run's preset, placed on its clock.
pub fn placed(run: &Run) -> Vec<Placed> {
    let Some(d) = dataset_for(run.scenario.preset_id()) else { return Vec::new() };
    let start = run.scenario.time(P::Start);
    let at = |utc: UnixSeconds| (utc - start) as f64 / 3_600.0;
    let anchor_t = at(parse_utc(d.anchor).expect("anchor time is valid"));
    let to_ms = |h: f64| (h.max(0.0) * 3_600_000.0) as u64;
    let anchor_normal = run.normal.share(to_ms(anchor_t));
    let peers = run.config.peers as f64;
    d.points()
        .into_iter()
        .map(|p| {
            let t = at(p.utc);
            let normal_here = run.normal.share(to_ms(t));
            let share = p.online.map(|c| stated_share(&p.note).unwrap_or(c / (d.usual * normal_here / anchor_normal)));
            Placed {
                t_hours: t,
                scaled: share.map(|s| s * normal_here * peers),
                share_of_normal: share,
                published: p.online,
                note: p.note,
            }
        })
        .collect()
}

/// A share of the normal level stated in a note, "about 60%" -> 0.6.
pub fn stated_share(note: &str) -> Option<f64> {
    let pct = note.find('%')?;
    let digits: String = note[..pct]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse::<f64>().ok().map(|x| x / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_files_parse() {
        let p = SKYPE_2007.points();
        assert_eq!(p.len(), 9);
        assert_eq!(p[0].online, Some(149_608.0));
        assert!(p[0].note.contains("15:15 PDT"));
        let q = SKYPE_2010.points();
        assert_eq!(q.len(), 6);
        assert_eq!(q[0].online, None);
    }

    #[test]
    fn notes_can_state_the_share() {
        assert_eq!(stated_share("about 60%, 09:00 EST"), Some(0.6));
        assert_eq!(stated_share("about 30% of expected, 07:00 EST"), Some(0.3));
        assert_eq!(stated_share("Skype counter"), None);
    }
}

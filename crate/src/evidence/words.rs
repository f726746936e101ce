//! Phrases the page and the command line share: moves in time, ranges,
//! seeds, a run's shape. Numbers come in as arguments; nothing measured is
//! written here.

use super::compare::{self, Shifted, SHIFT_MAX_H};
use super::seeds::{Draws, SeedTiming};
use super::shape::Shape;
use super::study::WITHIN;

/// Points outside the target as a reader sees them: "UTC (0.00 against 0.38), …".
pub fn outside_text(outside: &[(String, f64, f64)]) -> String {
    outside
        .iter()
        .map(|(utc, sim, published)| format!("{utc} ({sim:.2} against {published:.2})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "7 of 9 points in 1 seed, 6 in 6 seeds, 0 in 1 seed".
pub fn by_points_text(d: &Draws, points: usize) -> String {
    let seeds = |n: usize| if n == 1 { "1 seed".to_string() } else { format!("{n} seeds") };
    d.by_points()
        .iter()
        .enumerate()
        .map(
            |(i, &(k, n))| {
                if i == 0 {
                    format!("{k} of {points} points in {}", seeds(n))
                } else {
                    format!("{k} in {}", seeds(n))
                }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// A move in time of a whole number of 5-minute steps: "55 min", "3 h 10 min", "6 h".
pub fn move_text(hours: f64) -> String {
    move_text_joined(hours, " ")
}

/// [`move_text`] with `space` between its words (the page's no-break spaces
/// keep a move on one line).
fn move_text_joined(hours: f64, space: &str) -> String {
    let minutes = (hours.abs() * 60.0).round() as u64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}{space}min"),
        (h, 0) => format!("{h}{space}h"),
        (h, m) => format!("{h}{space}h{space}{m}{space}min"),
    }
}

/// What the page says under its comparison once a run has passed the
/// published record ([`compare::timing`]): how many points are within the
/// target, and how much of the miss is timing.
pub fn timing_sentence(t: &compare::Timing) -> String {
    let nb = |h: f64| move_text_joined(h, "\u{a0}");
    let tol = format!("{} percentage points", libm::round(compare::TARGET * 100.0));
    let n = t.points;
    if t.as_is.within == n {
        return if n == 1 {
            format!("The one published point the run has passed is within {tol} of the record (the project's target).")
        } else {
            format!("All {n} published points are within {tol} of the record (the project's target).")
        };
    }
    let head =
        format!("Within {tol} of the record (the project's target): {} of {n} published points.", t.as_is.within);
    let best = &t.best;
    if !t.move_helps() {
        let tried = if best.earliest_h >= SHIFT_MAX_H - 1e-9 && best.latest_h >= SHIFT_MAX_H - 1e-9 {
            format!("up to {} either way", nb(SHIFT_MAX_H))
        } else {
            format!("up to {} earlier and {} later (as far as the run reaches)", nb(best.earliest_h), nb(best.latest_h))
        };
        return format!(
            "{head} No move of the run by {tried} puts more points within: the miss is in the shape of the run, not \
             its timing."
        );
    }
    let way = if best.hours > 0.0 { "earlier" } else { "later" };
    format!(
        "{head} Moved {} {way}, the run puts {} of {n} within (mean absolute difference {:.1} percentage points). The \
         hour the network climbs back differs from seed to seed (try another seed), so part of the miss is timing{}",
        nb(best.hours),
        best.within,
        best.mean_abs_difference * 100.0,
        if best.within < n { " and the rest is shape." } else { "." }
    )
}

/// The moves tried: "up to 6 h either way", or the shorter reach where the
/// run's samples end or begin.
pub fn moves_tried(s: &Shifted) -> String {
    if s.earliest_h >= SHIFT_MAX_H - 1e-9 && s.latest_h >= SHIFT_MAX_H - 1e-9 {
        format!("up to {} either way", move_text(SHIFT_MAX_H))
    } else {
        format!(
            "up to {} earlier and {} later (as far as the run's samples reach)",
            move_text(s.earliest_h),
            move_text(s.latest_h)
        )
    }
}

/// "1 of 9 within 0.15 as it is (mean absolute difference 0.337); 6 of 9
/// (0.186) with the run moved 55 min earlier; still outside: …". A run that
/// lags the record lines up once moved earlier.
pub fn shift_text(t: &SeedTiming) -> String {
    let (as_is, best, n) = (&t.timing.as_is, &t.timing.best, t.timing.points);
    let head = format!(
        "{} of {n} within {WITHIN} as it is (mean absolute difference {:.3})",
        as_is.within, as_is.mean_abs_difference
    );
    if !t.timing.move_helps() {
        return format!("{head}; no move of {} puts more points within", moves_tried(best));
    }
    let mut o = format!(
        "{head}; {} of {n} ({:.3}) with the run moved {} {}",
        best.within,
        best.mean_abs_difference,
        move_text(best.hours),
        if best.hours > 0.0 { "earlier" } else { "later" }
    );
    if !t.outside.is_empty() {
        o += &format!("; still outside: {}", outside_text(&t.outside));
    }
    o
}

/// A range of values as a reader sees it at `decimals` places: one value
/// when both ends print the same ("76.6", not "76.6-76.6"), else "lo-hi".
pub fn range_text((lo, hi): (f64, f64), decimals: usize) -> String {
    let (lo, hi) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if lo == hi {
        lo
    } else {
        format!("{lo}-{hi}")
    }
}

pub fn seed_list(seeds: &[u64]) -> String {
    seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

/// "seed 3" for one seed, "seeds 1, 2, 3" for more.
pub fn seeds_label(seeds: &[u64]) -> String {
    match seeds {
        [one] => format!("seed {one}"),
        many => format!("seeds {}", seed_list(many)),
    }
}

/// "; after the last relapse, back above 80% at WHEN and not below half
/// again in the 53.6 h left of the run", with `at` writing WHEN; empty for a
/// run without relapses.
pub fn after_relapses_text(sh: &Shape, at: impl Fn(f64) -> String) -> String {
    match sh.after_relapses() {
        None => String::new(),
        Some(None) => "; below half of normal again at the end of the run".to_string(),
        Some(Some(h)) => format!(
            "; after the last relapse, back above 80% at {} and not below half again in the {:.1} h left of the run",
            at(h),
            sh.end_h - h
        ),
    }
}

pub fn shape_text(sh: &Shape) -> String {
    format!(
        "collapse to 10% of normal {} after the trigger; healed {}; relapses after climbing back above 80%: {}{}",
        sh.collapse_h.map_or("never".into(), |h| format!("{h:.1} h")),
        sh.recovered_h.map_or("never".into(), |h| format!("{h:.1} h after the trigger")),
        if sh.relapses.is_empty() {
            "none".to_string()
        } else {
            sh.relapses.iter().map(|h| format!("at {h:.1} h")).collect::<Vec<_>>().join(", ")
        },
        after_relapses_text(sh, |h| format!("{h:.1} h")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::shape::shape_of;

    #[test]
    fn a_shape_says_when_the_run_is_back_for_good_only_after_a_relapse() {
        let r = [1.0, 0.05, 0.3, 0.9, 0.4, 0.6, 0.85, 0.7, 0.95];
        let after: Vec<(f64, f64)> = r.iter().enumerate().map(|(i, &r)| (i as f64, r)).collect();
        assert!(shape_text(&shape_of(&after, Some(3.0))).ends_with(
            "after the last relapse, back above 80% at 6.0 h and not below half again in the 2.0 h left of the run"
        ));
        assert!(shape_text(&shape_of(&after[..6], None)).ends_with("below half of normal again at the end of the run"));
        let once: Vec<(f64, f64)> = [1.0, 0.05, 0.9].iter().enumerate().map(|(i, &r)| (i as f64, r)).collect();
        assert!(!shape_text(&shape_of(&once, Some(2.0))).contains("for good"));
    }

    #[test]
    fn a_range_whose_ends_print_alike_is_one_value() {
        assert_eq!(range_text((76.61, 76.64), 1), "76.6");
        assert_eq!(range_text((54.0, 78.0), 1), "54.0-78.0");
        assert_eq!(range_text((76.64, 76.66), 1), "76.6-76.7");
        assert_eq!(range_text((7.6, 8.4), 0), "8");
    }

    #[test]
    fn the_page_keeps_a_move_on_one_line() {
        let shifted =
            |hours, within| Shifted { hours, within, mean_abs_difference: 0.1234, earliest_h: 6.0, latest_h: 6.0 };
        let t = compare::Timing { points: 4, as_is: shifted(0.0, 2), best: shifted(3.0 + 10.0 / 60.0, 3) };
        assert_eq!(
            timing_sentence(&t),
            "Within 15 percentage points of the record (the project's target): 2 of 4 published points. Moved \
             3\u{a0}h\u{a0}10\u{a0}min earlier, the run puts 3 of 4 within (mean absolute difference 12.3 percentage \
             points). The hour the network climbs back differs from seed to seed (try another seed), so part of the \
             miss is timing and the rest is shape."
        );
        assert_eq!(move_text(3.0 + 10.0 / 60.0), "3 h 10 min");
    }
}

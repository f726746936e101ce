//! Where peers are: ten world regions with their UTC offsets and population
//! weights.
//!
//! The offsets matter because Windows Automatic Updates installed at 3:00
//! *local* time (or one minute after the next boot) [P: Microsoft blogs
//! 2006/2008, see `docs/reference/skype-outages.md`], so a restart wave rolls across
//! time zones, and because users come online by local time of day.
//!
//! The weights are a modelling hypothesis: Skype did not publish its users by
//! region. They lean on Europe, where Skype was founded and had its largest
//! markets, then North America and East Asia. Together with the daily rhythm
//! they give a global online curve whose trough is about two thirds of its
//! peak, within the published ranges (see `rhythm.rs`).

use crate::time::MINUTE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dst {
    None,
    /// Northern summer time, April to October.
    North,
    /// Southern summer time, November to March.
    South,
}

#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub name: &'static str,
    /// Standard-time offset from UTC, minutes.
    pub std_offset_min: i32,
    pub dst: Dst,
    /// Share of peers living here.
    pub weight: f64,
}

pub const REGIONS: [Region; 10] = [
    Region { name: "North America West", std_offset_min: -8 * 60, dst: Dst::North, weight: 0.07 },
    Region { name: "North America East", std_offset_min: -5 * 60, dst: Dst::North, weight: 0.17 },
    Region { name: "Latin America", std_offset_min: -3 * 60, dst: Dst::South, weight: 0.08 },
    Region { name: "Western Europe", std_offset_min: 0, dst: Dst::North, weight: 0.10 },
    Region { name: "Central Europe", std_offset_min: 60, dst: Dst::North, weight: 0.22 },
    Region { name: "Eastern Europe", std_offset_min: 2 * 60, dst: Dst::North, weight: 0.10 },
    Region { name: "South Asia and Middle East", std_offset_min: 5 * 60 + 30, dst: Dst::None, weight: 0.06 },
    Region { name: "China and South-East Asia", std_offset_min: 8 * 60, dst: Dst::None, weight: 0.13 },
    Region { name: "Japan and Korea", std_offset_min: 9 * 60, dst: Dst::None, weight: 0.03 },
    Region { name: "Australia", std_offset_min: 10 * 60, dst: Dst::South, weight: 0.04 },
];

impl Region {
    /// UTC offset in milliseconds during the given month (1-12).
    pub fn offset_ms(&self, month: u32) -> i64 {
        let summer = match self.dst {
            Dst::None => false,
            Dst::North => (4..=10).contains(&month),
            Dst::South => !(4..=10).contains(&month),
        };
        (self.std_offset_min as i64 + if summer { 60 } else { 0 }) * MINUTE as i64
    }
}

/// Cumulative weights for drawing a region with one uniform number.
pub fn pick(u: f64) -> u8 {
    let mut acc = 0.0;
    for (i, r) in REGIONS.iter().enumerate() {
        acc += r.weight;
        if u < acc {
            return i as u8;
        }
    }
    (REGIONS.len() - 1) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one() {
        let s: f64 = REGIONS.iter().map(|r| r.weight).sum();
        assert!((s - 1.0).abs() < 1e-9);
    }

    #[test]
    fn summer_time_follows_the_hemisphere() {
        let europe = &REGIONS[4];
        assert_eq!(europe.offset_ms(8), 2 * 3_600_000);
        assert_eq!(europe.offset_ms(12), 3_600_000);
        let australia = &REGIONS[9];
        assert_eq!(australia.offset_ms(12), 11 * 3_600_000);
    }
}

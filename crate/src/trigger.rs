//! Triggers: the Patch Tuesday restart wave (2007), the crashing client
//! (2010), supernodes taken down by hand, and the restart-rate knob.
//!
//! The wave [P: Microsoft blogs 2006/2008, Skype blog Aug 2007]: Windows XP's
//! Automatic Updates installed at 3:00 local time and rebooted after a
//! 5-minute countdown; a PC that was off then installed one minute after its
//! next boot. So the wave rolls across time zones and bunches at each
//! region's 3:00 and at its morning start-up.
//!
//! The restart rate knob is the wave's expected peak: the largest share of
//! all peers restarting within one hour, in %/h. Each participant's restart
//! is delayed after its natural moment by a uniform spread in [0, S) (patches
//! reach PCs at different times); `plan_wave` finds S by bisection on the
//! expected restart profile, computed in closed form from the daily rhythm.
//! Without bunching, the restarts are spread evenly over the wave instead.

use crate::region::REGIONS;
use crate::rhythm::{Rhythm, ON_RATE};
use crate::time::{Millis, UnixSeconds, DAY, HOUR, MINUTE, SECOND};

/// Windows' countdown before an automatic restart [P].
pub const COUNTDOWN: Millis = 5 * MINUTE;
/// A PC that was off at 3:00 installs this long after its next boot [P].
pub const INSTALL_AFTER_BOOT: Millis = MINUTE;
/// Local time of the automatic install [P].
pub const INSTALL_HOUR: Millis = 3 * HOUR;

/// Longest spread the knob can ask for (its lowest rates).
const MAX_SPREAD_MIN: usize = 60 * 24 * 60;
/// Boot-time distributions are followed this far; what is left is negligible.
const BOOT_HORIZON_MIN: usize = 3 * 24 * 60;

/// What a restart wave is asked to be: the scenario's values it depends on
/// (`Scenario::wave_spec` builds it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaveSpec {
    pub start: UnixSeconds,
    pub trigger: UnixSeconds,
    pub always_on: f64,
    pub windows_au: f64,
    /// Share of Windows-AU peers that take part.
    pub share: f64,
    pub bunching: bool,
    pub hits_sn: bool,
    /// The wave's expected peak, in %/h.
    pub restart_rate: f64,
}

impl WaveSpec {
    /// Run time of the trigger.
    fn trigger_ms(&self) -> Millis {
        ((self.trigger - self.start).max(0) as Millis) * SECOND
    }
    fn participants(&self) -> f64 {
        self.windows_au * self.share
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct WavePlan {
    /// Share of Windows-AU peers that take part.
    pub share: f64,
    pub bunching: bool,
    pub hits_sn: bool,
    /// Each participant's restart is delayed by a uniform draw in [0, spread).
    pub spread: Millis,
    /// Run time of each region's first 3:00 local after the trigger.
    pub install_at: [Millis; REGIONS.len()],
}

fn install_times(s: &WaveSpec) -> [Millis; REGIONS.len()] {
    let start_ms = s.start * 1_000;
    let trigger = s.trigger_ms();
    let month = crate::time::month_of(s.start);
    let mut out = [0; REGIONS.len()];
    for (r, region) in REGIONS.iter().enumerate() {
        let local = crate::rhythm::local_ms(start_ms, trigger, region.offset_ms(month));
        out[r] = trigger + (INSTALL_HOUR + DAY - local) % DAY;
    }
    out
}

/// Expected restarts per minute after the trigger, as shares of all peers,
/// before the spread is applied.
fn natural_profile(s: &WaveSpec) -> Vec<f64> {
    let participants = s.participants();
    let mut profile = vec![0.0; BOOT_HORIZON_MIN * 2 + 24 * 60];
    // First boot after 3:00 local of a user who is offline then.
    let mut boot = vec![0.0; BOOT_HORIZON_MIN];
    let mut survive = 1.0;
    for (k, b) in boot.iter_mut().enumerate() {
        let hour = (3 + k / 60) % 24;
        let next = survive * libm::exp(-ON_RATE[hour] / 60.0);
        *b = survive - next;
        survive = next;
    }
    let always_on = s.always_on;
    let on_at_three = always_on + (1.0 - always_on) * Rhythm::new().occupancy(INSTALL_HOUR);
    let trigger = s.trigger_ms();
    for (r, at) in install_times(s).iter().enumerate() {
        let q = participants * REGIONS[r].weight;
        let m3 = ((at - trigger) / MINUTE) as usize;
        profile[m3 + (COUNTDOWN / MINUTE) as usize] += q * on_at_three;
        let off = (INSTALL_AFTER_BOOT + COUNTDOWN) / MINUTE;
        for (k, b) in boot.iter().enumerate() {
            profile[m3 + k + off as usize] += q * (1.0 - on_at_three) * b;
        }
    }
    profile
}

/// Share of all peers whose PC is on, minute by minute from the trigger,
/// for one day (it repeats daily).
fn on_share_by_minute(s: &WaveSpec) -> Vec<f64> {
    let rhythm = Rhythm::new();
    let always_on = s.always_on;
    let start_ms = s.start * 1_000;
    let month = crate::time::month_of(s.start);
    let trigger = s.trigger_ms();
    (0..24 * 60)
        .map(|m| {
            let t = trigger + m as Millis * MINUTE;
            REGIONS
                .iter()
                .map(|r| {
                    let local = crate::rhythm::local_ms(start_ms, t, r.offset_ms(month));
                    r.weight * (always_on + (1.0 - always_on) * rhythm.occupancy(local))
                })
                .sum()
        })
        .collect()
}

/// Largest expected share of peers restarting within an hour when each
/// restart is delayed uniformly in [0, spread_min) minutes.
fn peak_hourly(natural: &[f64], spread_min: usize) -> f64 {
    let width = spread_min.max(1);
    let len = natural.len() + width + 60;
    // Cumulative natural mass, then the spread profile as a moving average.
    let mut cum = vec![0.0; len + 1];
    for t in 0..len {
        cum[t + 1] = cum[t] + natural.get(t).copied().unwrap_or(0.0);
    }
    let mut spread = vec![0.0; len + 1];
    for t in 0..len {
        let lo = (t + 1).saturating_sub(width);
        spread[t + 1] = spread[t] + (cum[t + 1] - cum[lo]) / width as f64;
    }
    (0..len.saturating_sub(60)).map(|t| spread[t + 60] - spread[t]).fold(0.0, f64::max)
}

/// Without bunching: restart moments are uniform over [0, spread_min), and
/// a PC restarts if it is on at its moment.
fn peak_hourly_flat(on: &[f64], participants: f64, spread_min: usize) -> f64 {
    let width = spread_min.max(1);
    let mut cum = vec![0.0; width + 1];
    for u in 0..width {
        cum[u + 1] = cum[u] + on[u % on.len()];
    }
    let window = |t: usize| cum[(t + 60).min(width)] - cum[t];
    let best = (0..width).map(window).fold(0.0, f64::max);
    participants * best / width as f64
}

/// Expected hourly peak of the wave for a spread, as a share of peers.
struct Profile {
    bunching: bool,
    participants: f64,
    natural: Vec<f64>,
    on: Vec<f64>,
}

impl Profile {
    fn of(s: &WaveSpec) -> Profile {
        let bunching = s.bunching;
        Profile {
            bunching,
            participants: s.participants(),
            natural: if bunching { natural_profile(s) } else { Vec::new() },
            on: if bunching { Vec::new() } else { on_share_by_minute(s) },
        }
    }
    fn peak(&self, spread_min: usize) -> f64 {
        if self.bunching {
            peak_hourly(&self.natural, spread_min)
        } else {
            peak_hourly_flat(&self.on, self.participants, spread_min)
        }
    }
}

/// The fastest wave these settings allow, in %/h: every participant restarts
/// at its natural moment (without bunching: all within the first minute).
pub fn max_restart_rate(s: &WaveSpec) -> f64 {
    if s.participants() <= 0.0 {
        return 100.0;
    }
    Profile::of(s).peak(0) * 100.0
}

/// [`max_restart_rate`] as messages and help texts give it: rounded down to
/// 0.01 %/h, so the number shown is itself allowed.
pub fn max_restart_rate_shown(s: &WaveSpec) -> f64 {
    libm::floor(max_restart_rate(s) * 100.0) / 100.0
}

pub fn plan_wave(s: &WaveSpec) -> WavePlan {
    let profile = Profile::of(s);
    let target = s.restart_rate / 100.0;
    // The peak falls as the spread grows: find the smallest spread whose
    // peak is at most the target.
    let (mut lo, mut hi) = (0usize, MAX_SPREAD_MIN);
    if profile.peak(0) <= target {
        hi = 0;
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if profile.peak(mid) <= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    WavePlan {
        share: s.share,
        bunching: s.bunching,
        hits_sn: s.hits_sn,
        spread: hi as Millis * MINUTE,
        install_at: install_times(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Preset, Scenario, P};

    fn plan_wave(s: &Scenario) -> WavePlan {
        super::plan_wave(&s.wave_spec())
    }
    fn max_restart_rate(s: &Scenario) -> f64 {
        super::max_restart_rate(&s.wave_spec())
    }

    #[test]
    fn the_restart_rate_help_gives_the_2007_presets_fastest_wave() {
        let max = max_restart_rate_shown(&Scenario::preset(Preset::Skype2007).wave_spec());
        let fastest = format!("{max} %/h with the 2007 preset's");
        let help = crate::scenario::params::param(P::RestartRate).help;
        assert!(help.contains(&fastest), "{help:?} should say {fastest:?}");
    }

    #[test]
    fn faster_rates_mean_shorter_spreads() {
        let mut s = Scenario::preset(Preset::Skype2007);
        s.set("restart_rate", "1").unwrap();
        let slow = plan_wave(&s).spread;
        s.set("restart_rate", "3").unwrap();
        let fast = plan_wave(&s).spread;
        assert!(fast < slow, "{fast} {slow}");
    }

    #[test]
    fn the_planned_wave_peaks_at_the_requested_rate() {
        let mut s = Scenario::preset(Preset::Skype2007);
        s.set("restart_rate", "2").unwrap();
        let plan = plan_wave(&s);
        let peak = peak_hourly(&natural_profile(&s.wave_spec()), (plan.spread / MINUTE) as usize);
        assert!((peak * 100.0 - 2.0).abs() < 0.05, "{peak}");
    }

    #[test]
    fn without_bunching_the_spread_is_share_over_rate() {
        // Only PCs that are on at their moment restart; about 0.55-0.7 of
        // peers are on at any time.
        let mut s = Scenario::preset(Preset::Skype2007);
        s.set("bunching", "false").unwrap();
        s.set("restart_rate", "4").unwrap();
        let hours = plan_wave(&s).spread as f64 / HOUR as f64;
        assert!(hours > 0.7 * 0.5 / 0.04 && hours < 0.7 * 0.75 / 0.04, "{hours}");
        assert!(max_restart_rate(&s) < 70.0 && max_restart_rate(&s) > 30.0);
    }

    #[test]
    fn europe_installs_at_its_3am() {
        let s = Scenario::preset(Preset::Skype2007);
        let plan = plan_wave(&s);
        // Trigger 2007-08-15T16:00Z, start 00:00Z; Central Europe is UTC+2 in
        // August, so 3:00 local is 01:00Z the next day, 25 h after the start.
        assert_eq!(plan.install_at[4], 25 * HOUR);
    }
}

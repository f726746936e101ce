//! Timed operator interventions: "at hour 30, switch the allocation policy
//! to resilient". A link writes one as `at=30h:policy=resilient`, the key
//! `at` repeating for several. Only what an operator could change in a
//! running network may be given: the policy and its knobs, the login
//! servers' capacity, the mega-supernodes and the restart wave
//! ([`ALLOWED`]). The engine applies an intervention at time `t` after every
//! event at or before `t` and before any later one, so a run paused at `t`
//! and changed there is the straight run of the scenario that has it.

use super::params::{self, Value, P, PARAMS};
use super::ScenarioError;

/// The parameters an intervention may change, in table order.
pub const ALLOWED: &[P] = &[
    P::Policy,
    P::RestartRate,
    P::LoginCapacity,
    P::LoginAdmission,
    P::Retry,
    P::RetryBaseS,
    P::RetryCapS,
    P::PromoteUptimeMin,
    P::PromoteRate,
    P::PromoteCounts,
    P::SnChoice,
    P::SnOverload,
    P::Wave,
    P::MegaCount,
    P::MegaRampH,
];

/// What `at` takes, in words, for errors and `patchstorm params`.
pub fn syntax() -> String {
    format!(
        "TIME:key=value[,key=value...], TIME whole minutes after the start (30h, 30h15m or 1815m), \
         key one of {} (wave only as wave=off)",
        ALLOWED.iter().map(|&p| params::param(p).key).collect::<Vec<_>>().join(", ")
    )
}

/// What an intervention does, for `patchstorm params` and the page's help.
pub const HELP: &str = "An operator's change during the run; repeat at for several (links of format 4 on). \
    at=30h:policy=resilient switches the policy at hour 30 of the run, after every event up to that moment: \
    policy sets its knobs unless they are given with it; login_capacity resizes the login servers; mega_count \
    is how many mega-supernodes per M peers run in all from then (those started stay, the rest start over \
    mega_ramp_h, and the starts planned before are dropped); restart_rate spreads the wave's restarts planned \
    from then (with bunching: at each region's 3:00 install or a PC's next boot), while those counting down keep \
    their moment; wave=off cancels every restart of the wave not yet made. Several at one time apply in the order \
    given.";

/// One intervention: changes made at one moment of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervention {
    /// Simulated minutes from the run's start.
    pub at_min: u32,
    /// The changes, each parameter once, in table order (so a policy comes
    /// before the knobs given with it, which then win over its bundle).
    pub changes: Vec<(P, Value)>,
}

impl Intervention {
    /// Parses the value of an `at` key, e.g. `30h:policy=resilient,retry_cap_s=60`.
    /// The time's range is checked with the run's length by `Scenario::validate`.
    pub fn parse(text: &str) -> Result<Intervention, ScenarioError> {
        let bad = |reason: String| ScenarioError::BadIntervention { value: text.into(), reason };
        let (time, list) = text.split_once(':').ok_or_else(|| bad(format!("at must be {}", syntax())))?;
        let at_min = parse_time(time.trim()).ok_or_else(|| {
            bad(format!(
                "the time \"{}\" must be whole minutes after the start, written 30h, 30h15m or 1815m",
                super::shown(time)
            ))
        })?;
        let mut changes: Vec<(P, Value)> = Vec::new();
        for item in list.split(',') {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| bad(format!("\"{}\" is not key=value; at must be {}", super::shown(item), syntax())))?;
            let key = key.trim();
            let p = ALLOWED.iter().copied().find(|&p| params::param(p).key == key).ok_or_else(|| {
                bad(format!("\"{}\" cannot be changed during a run; at must be {}", super::shown(key), syntax()))
            })?;
            let param = params::param(p);
            let v =
                params::parse_value(&param.kind, value).map_err(|allowed| bad(format!("{key} must be {allowed}")))?;
            if p == P::Wave && v == Value::Bool(true) {
                return Err(bad(
                    "the wave can only be stopped during a run (wave=off): restarts it cancelled do not come back"
                        .into(),
                ));
            }
            if changes.iter().any(|&(q, _)| q == p) {
                return Err(bad(format!("{key} is given twice in one intervention: give each key once")));
            }
            changes.push((p, v));
        }
        changes.sort_by_key(|&(p, _)| p as usize);
        Ok(Intervention { at_min, changes })
    }

    /// Its text in a link, canonical: the time as `30h` or `30h15m` (or
    /// `15m` in the first hour), the changes in table order.
    pub fn text(&self) -> String {
        let changes: Vec<String> = self
            .changes
            .iter()
            .map(|&(p, v)| format!("{}={}", params::param(p).key, params::format_value(&PARAMS[p as usize].kind, v)))
            .collect();
        format!("{}:{}", format_time(self.at_min), changes.join(","))
    }

    /// Simulated time of the intervention, ms from the run's start.
    pub fn at_ms(&self) -> crate::time::Millis {
        u64::from(self.at_min) * crate::time::MINUTE
    }

    /// The value it gives `p`, if it changes it.
    pub fn get(&self, p: P) -> Option<Value> {
        self.changes.iter().find(|&&(q, _)| q == p).map(|&(_, v)| v)
    }
}

/// `30h`, `30h15m` (minutes below 60) or `1815m`, in minutes.
fn parse_time(s: &str) -> Option<u32> {
    let number = |t: &str| -> Option<u32> {
        if t.is_empty() || t.len() > 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if let Some(minutes) = s.strip_suffix('m') {
        match minutes.split_once('h') {
            Some((h, m)) => {
                let (h, m) = (number(h)?, number(m)?);
                (m < 60).then_some(h * 60 + m)
            }
            None => number(minutes),
        }
    } else {
        Some(number(s.strip_suffix('h')?)? * 60)
    }
}

pub fn format_time(min: u32) -> String {
    match (min / 60, min % 60) {
        (h, 0) => format!("{h}h"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_write() {
        for (text, min, canonical) in
            [("30h", 1_800, "30h"), ("30h15m", 1_815, "30h15m"), ("1815m", 1_815, "30h15m"), ("45m", 45, "45m")]
        {
            assert_eq!(parse_time(text), Some(min), "{text}");
            assert_eq!(format_time(min), canonical);
        }
        for bad in ["", "h", "30", "30h60m", "1.5h", "-1h", "30x", "9999999h", "30h 5m"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}

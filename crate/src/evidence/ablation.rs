//! Ablation: switch off one mechanism at a time and see whether the outage
//! still happens, how deep it goes and how long it lasts. The answer to the
//! question Skype left open: which mechanisms were necessary, which
//! sufficient. Running the variants is the caller's job (the CLI runs them
//! in parallel); this module says what each variant changes and how a run's
//! outcome is measured.

use super::run::Run;
use super::shape;
use crate::scenario::{Preset, Scenario, ScenarioError, Value, P};

/// A mechanism of a preset and the scenario change that switches it off.
#[derive(Clone, Copy, Debug)]
pub struct Mechanism {
    pub key: &'static str,
    pub name: &'static str,
    /// Query-string fragment applied on top of the preset.
    pub off: &'static str,
    /// What switching it off means, in words.
    pub without: &'static str,
}

const fn m(key: &'static str, name: &'static str, off: &'static str, without: &'static str) -> Mechanism {
    Mechanism { key, name, off, without }
}

/// The mechanisms of the 2007 outage, each with its off switch.
pub const SKYPE_2007: &[Mechanism] = &[
    m("wave", "the restart wave", "wave=false", "no Patch Tuesday restarts"),
    m("bunching", "time-zone bunching of the restarts", "bunching=false", "restarts spread evenly over the same hours"),
    m("sn_reboot", "supernodes rebooting with their hosts", "wave_hits_sn=false", "supernode hosts skip the wave"),
    m("login", "the login bottleneck", "login_capacity=100000", "login servers too large ever to be the bottleneck"),
    m(
        "fast_retry",
        "fast retries",
        "retry=jitter&retry_base_s=1&retry_cap_s=300",
        "backoff with full jitter, 1 s to 5 min",
    ),
    m("blind_choice", "load-blind supernode choice", "sn_choice=two-choices", "the less loaded of two supernodes"),
    m("uptime_gate", "uptime-gated promotion", "promote_uptime_min=10", "promotion after 10 minutes of uptime"),
    m(
        "slow_promotion",
        "promotion paced for normal churn",
        "promote_rate=200",
        "promotion as fast as the shortage needs",
    ),
    m(
        "stall",
        "overload that feeds on itself",
        "sn_overload=admission",
        "supernodes refuse cheaply and keep their clients",
    ),
    m(
        "blind_count",
        "allocation blind to overload",
        "promote_counts=answering",
        "overloaded supernodes count for what they answer",
    ),
    m(
        "stale_cache",
        "stale host-cache entries costing a timeout",
        "attach_timeout_s=0.5",
        "a dead entry costs half a second",
    ),
];

/// The mechanisms of the 2010 outage, each with its off switch.
pub const SKYPE_2010: &[Mechanism] = &[
    m("crash", "the crashing client", "crash=false", "no crashes"),
    m(
        "self_protect",
        "self-protective shutdown",
        "sn_overload=admission",
        "overloaded supernodes refuse cheaply and stay",
    ),
    m(
        "cooldown",
        "restarted supernodes waiting before they serve",
        "sn_cooldown_min=0",
        "a host may serve again at once",
    ),
    m("uptime_gate", "uptime-gated promotion", "promote_uptime_min=10", "promotion after 10 minutes of uptime"),
    m("blind_choice", "load-blind supernode choice", "sn_choice=two-choices", "the less loaded of two supernodes"),
    m("login", "the login bottleneck", "login_capacity=100000", "login servers too large ever to be the bottleneck"),
    m("mega", "the operator's mega-supernodes", "mega_count=0", "no operator response"),
];

pub fn mechanisms(preset: Preset) -> &'static [Mechanism] {
    match preset {
        Preset::Skype2007 | Preset::Resilient2007 => SKYPE_2007,
        Preset::Skype2010 => SKYPE_2010,
        Preset::CalmDay => &[],
    }
}

/// Online below this share of normal counts as down.
pub const DOWN: f64 = 0.5;

/// How a run went after its trigger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Online fell below half of normal for at least an hour in all.
    pub outage: bool,
    /// Lowest online count as a share of normal.
    pub depth: f64,
    /// Hours with online below half of normal.
    pub hours_down: f64,
    /// The summary's recovery time (from the trigger), if it healed.
    pub healed_after: Option<f64>,
}

pub fn outcome(run: &Run) -> Outcome {
    let trigger_h = run.trigger_h();
    let step_h = run.sample_h();
    let after: Vec<f64> = run
        .series
        .iter()
        .filter(|s| s.t_hours >= trigger_h)
        .map(|s| s.online_share / s.normal_share.max(1e-12))
        .collect();
    let hours_down = after.iter().filter(|&&r| r < DOWN).count() as f64 * step_h;
    Outcome {
        outage: hours_down >= 1.0,
        depth: after.iter().copied().fold(f64::INFINITY, f64::min).min(1.0),
        hours_down,
        healed_after: shape::healed_after(run),
    }
}

/// The rows of an ablation: the preset (with the user's changes, if any),
/// then each mechanism switched off in turn, with what a reader of a changed
/// preset's table needs to know.
pub struct Plan {
    /// `None` for the preset as it is; a row whose scenario is `None`
    /// repeats the first one (the mechanism is already off there) and takes
    /// its outcome.
    pub rows: Vec<(Option<Mechanism>, Option<Scenario>)>,
    /// The preset was changed.
    pub changed: bool,
    /// A row left out, a row that repeats the first one, a value a row put
    /// over the changed preset's. Empty for the preset itself.
    pub notes: Vec<String>,
}

/// The ablation of `preset` at `peers` and `seed`, with `sets` applied
/// first as a link applies them (`Scenario::from_query_with`). A mechanism's
/// off switch is applied after `sets`, so it wins where both change the
/// same parameter; the notes say where that happened, which rows repeat the
/// first one and which could not be built. The base's error is the error.
pub fn plan(preset: Preset, peers: u32, seed: u64, sets: &[(&str, &str)]) -> Result<Plan, ScenarioError> {
    let build = |extra: &[(&str, &str)], with_sets: bool| {
        let mut all: Vec<(&str, &str)> = if with_sets { sets.to_vec() } else { Vec::new() };
        all.extend_from_slice(extra);
        let mut s = Scenario::parse_query_with(&format!("preset={}", preset.key()), &all)?;
        s.set_value(P::Peers, Value::Int(i64::from(peers)))?;
        s.set_value(P::Seed, Value::Int(seed as i64))?;
        s.validate()?;
        Ok::<Scenario, ScenarioError>(s)
    };
    let base = build(&[], true)?;
    let plain = build(&[], false)?;
    let mut notes = Vec::new();
    let mut rows: Vec<(Option<Mechanism>, Option<Scenario>)> = vec![(None, Some(base.clone()))];
    for &m in mechanisms(preset) {
        let off: Vec<(&str, &str)> = m.off.split('&').filter_map(|kv| kv.split_once('=')).collect();
        let scenario = match build(&off, true) {
            Ok(s) => s,
            Err(e) => {
                notes.push(format!("the row \"{}\" ({}) is left out: on the changed preset, {e}", m.name, m.off));
                continue;
            }
        };
        if scenario == base {
            notes.push(format!(
                "the row \"{}\" ({}) is already off in the changed preset: it repeats the first row",
                m.name, m.off
            ));
            rows.push((Some(m), None));
            continue;
        }
        for &(key, _) in &off {
            let was = base.value_by_key(key);
            if was != scenario.value_by_key(key) && was != plain.value_by_key(key) {
                let text = |s: &Scenario| s.text_by_key(key).unwrap_or_default();
                notes.push(format!(
                    "the row \"{}\" sets {key}={}, over {key}={} of the changed preset",
                    m.name,
                    text(&scenario),
                    text(&base)
                ));
            }
        }
        rows.push((Some(m), Some(scenario)));
    }
    Ok(Plan { rows, changed: !sets.is_empty(), notes })
}

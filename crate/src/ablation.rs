//! Ablation: switch off one mechanism at a time and see whether the outage
//! still happens, how deep it goes and how long it lasts. The answer to the
//! question Skype left open: which mechanisms were necessary, which
//! sufficient. Running the variants is the caller's job (the CLI runs them
//! in parallel); this module says what each variant changes and how a run's
//! outcome is measured.

use crate::scenario::Preset;
use crate::sim::Simulation;

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
    m("login", "the login bottleneck", "login_capacity=100000", "login servers about 940 times larger"),
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
    m("login", "the login bottleneck", "login_capacity=100000", "login servers 330 times larger"),
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

pub fn outcome(sim: &Simulation) -> Outcome {
    let trigger_h = sim.config().trigger as f64 / 3_600_000.0;
    let step_h = sim.config().sample as f64 / 3_600_000.0;
    let after: Vec<f64> = sim
        .series()
        .iter()
        .filter(|s| s.t_hours >= trigger_h)
        .map(|s| s.online_share / s.normal_share.max(1e-12))
        .collect();
    let hours_down = after.iter().filter(|&&r| r < DOWN).count() as f64 * step_h;
    Outcome {
        outage: hours_down >= 1.0,
        depth: after.iter().copied().fold(f64::INFINITY, f64::min).min(1.0),
        hours_down,
        healed_after: crate::summary::summarize(sim, 0.0).recovered_after_hours,
    }
}

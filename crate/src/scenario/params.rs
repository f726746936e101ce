//! The parameter table: every scenario parameter, once, with its key, label,
//! unit, meaning, allowed range and base default. The CLI (`--set`, `params`),
//! the URL query string and the page's controls are all generated from it.
//!
//! Published facts behind the defaults are marked [P] and come from
//! `docs/reference/skype-outages.md`; [H] marks a modelling hypothesis or a value
//! fitted to the published outcome (see VALIDATION.md).

use serde::Serialize;

use crate::policy::{Choice, Overload, Policy, RetryKind, SnChoice, Supply};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Main,
    Run,
    Population,
    Supernodes,
    HostCache,
    Login,
    Policy,
    Triggers,
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    Choice {
        options: &'static [&'static str],
    },
    /// A UTC instant, `YYYY-MM-DDTHH:MMZ`, bounds in Unix seconds.
    Time {
        min: i64,
        max: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Choice(u8),
    Time(i64),
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Param {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub group: Group,
    pub help: &'static str,
    pub kind: Kind,
    #[serde(skip)]
    pub default: Value,
    /// Set by the allocation policy unless given explicitly.
    pub policy_knob: bool,
}

/// Identifies a parameter; the discriminant is its row in `PARAMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum P {
    Peers,
    Seed,
    Hours,
    Start,
    SampleS,
    Policy,
    RestartRate,
    AlwaysOn,
    Capable,
    WindowsAu,
    FaultyVersion,
    SnCapacity,
    SnTarget,
    SnAcceptRate,
    SnAttemptCapacity,
    SnRefusalCost,
    SnCooldownMin,
    KeepaliveS,
    CacheSize,
    AttachTimeoutS,
    RttMs,
    LoginCapacity,
    LoginTimeoutS,
    LoginQueueS,
    LoginAdmission,
    Retry,
    RetryBaseS,
    RetryCapS,
    PromoteUptimeMin,
    PromoteRate,
    PromoteCounts,
    SnChoice,
    SnOverload,
    Trigger,
    Wave,
    WaveShare,
    Bunching,
    WaveHitsSn,
    RebootMin,
    Crash,
    CrashProb,
    CrashWindowH,
    CrashRestartMin,
    SnDown,
    MegaCount,
    MegaAfterH,
    MegaRampH,
    MegaCapacity,
    MegaAcceptRate,
}

/// The allocation policies' keys, in the order of `policy::Policy`: the one list.
pub const POLICIES: &[&str] = Policy::KEYS;

/// 2000-01-01 and 2099-12-31 in Unix seconds.
const T_MIN: i64 = 946_684_800;
const T_MAX: i64 = 4_102_358_400;

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}
const fn float(min: f64, max: f64) -> Kind {
    Kind::Float { min, max }
}

macro_rules! row {
    ($key:literal, $label:literal, $unit:literal, $group:ident, $kind:expr, $default:expr, $help:literal) => {
        Param {
            key: $key,
            label: $label,
            unit: $unit,
            group: Group::$group,
            help: $help,
            kind: $kind,
            default: $default,
            policy_knob: false,
        }
    };
    (knob $key:literal, $label:literal, $unit:literal, $kind:expr, $default:expr, $help:literal) => {
        Param {
            key: $key,
            label: $label,
            unit: $unit,
            group: Group::Policy,
            help: $help,
            kind: $kind,
            default: $default,
            policy_knob: true,
        }
    };
}

use Value::{Bool as B, Choice as C, Float as F, Int as I, Time as T};

/// Rows in the order of `P`. Defaults here are the `skype-2007` values; the
/// other presets override some of them.
pub const PARAMS: &[Param] = &[
    row!("peers", "Peers", "peers", Run, int(1_000, 25_000_000), I(100_000),
        "Users of the network, online or not; every count scales with it. [P] about 9 M were online at the 2007 peak, 20-23 M in Dec 2010."),
    row!("seed", "Seed", "", Run, int(0, 4_294_967_295), I(1),
        "Seed of every random draw; the same scenario and seed give the same run everywhere."),
    row!("hours", "Simulated time", "h", Run, int(1, 336), I(96),
        "Length of the run."),
    row!("start", "Start (UTC)", "UTC", Run, Kind::Time { min: T_MIN, max: T_MAX }, T(1_187_136_000),
        "Simulated date and time when the run starts."),
    row!("sample_s", "Sample interval", "s", Run, int(10, 3_600), I(60),
        "Simulated time between two metric samples."),
    row!("policy", "Allocation policy", "", Main, Kind::Choice { options: Policy::KEYS }, C(Policy::Legacy2007 as u8),
        "How supernodes are promoted and chosen and how clients retry; sets the policy knobs below unless they are given."),
    row!("restart_rate", "Restart rate", "%/h", Main, float(0.01, 100.0), F(6.0),
        "Peak share of all peers restarting per hour as the restart wave passes (the wave's speed). The fastest a wave can go depends on the Windows-AU and patched shares: 6.94 %/h with the 2007 preset's."),
    row!("always_on", "Always-on share", "share", Population, float(0.0, 0.9), F(0.2),
        "Peers whose PC and client run day and night. [H] fitted, with the daily rhythm, so the daily trough is about two thirds of the peak (published: 0.6 in Dec 2006, 5-6 M against peaks of 8-9 M in Aug 2007)."),
    row!("capable", "Supernode-capable share", "share", Population, float(0.0, 1.0), F(0.15),
        "Peers with a public address and enough bandwidth to serve as a supernode. [P] any such client can be promoted; [H] the share."),
    row!("windows_au", "Windows with automatic updates", "share", Population, float(0.0, 1.0), F(0.7),
        "Peers running Windows with Automatic Updates on. [P] about 80% of Windows installs updated automatically by 2006."),
    row!("faulty_version", "Faulty client version", "share", Population, float(0.0, 1.0), F(0.0),
        "Peers running the client version that crashes (2010). [P] Windows 5.0.0152, about 50% of users."),
    row!("sn_capacity", "Supernode capacity", "clients", Supernodes, int(10, 5_000), I(400),
        "Most clients one supernode serves. [P] a supernode serves up to several hundred clients."),
    row!("sn_target", "Supernode target load", "clients", Supernodes, int(10, 5_000), I(250),
        "Clients per supernode the allocation algorithm aims for. [P] about 48,000 supernodes for about 9 M online users."),
    row!("sn_accept_rate", "Supernode accept rate", "clients/s", Supernodes, float(0.1, 1_000.0), F(5.0),
        "New clients one supernode can take per second. [H]"),
    row!("sn_attempt_capacity", "Supernode attempt capacity", "attempts/s", Supernodes, float(0.1, 10_000.0), F(4.772),
        "Connection attempts per second a typical supernode handles before it is overloaded; hosts vary from a quarter to four times this. [H] fitted to the 2007 record (VALIDATION.md)."),
    row!("sn_refusal_cost", "Supernode refusal cost", "attempts", Supernodes, float(0.0, 1.0), F(0.106),
        "Load a supernode that is not overloaded bears when it refuses a client (full, or out of admission tokens), as a share of a connection attempt. 1: a refusal costs as much as an attempt. [H] fitted to the 2007 record (VALIDATION.md)."),
    row!("sn_cooldown_min", "Supernode cooldown", "min", Supernodes, int(0, 2_880), I(60),
        "After a supernode stops serving (restart, crash, self-protection), its host may not serve again for this long. [P] a restarted supernode takes a while before it serves again."),
    row!("keepalive_s", "Keep-alive timeout", "s", Supernodes, int(1, 600), I(30),
        "Clients notice that their supernode is gone within this time."),
    row!("cache_size", "Host cache size", "entries", HostCache, int(1, 200), I(200),
        "Supernode addresses a client remembers and tries in turn. [P] up to 200."),
    row!("attach_timeout_s", "Stale entry timeout", "s", HostCache, float(0.5, 120.0), F(39.386),
        "Time a client waits on a host-cache entry that does not answer. [H] fitted to the 2007 record (VALIDATION.md)."),
    row!("rtt_ms", "Round trip", "ms", HostCache, int(10, 5_000), I(300),
        "Network round trip of one request. [H]"),
    row!("login_capacity", "Login capacity", "logins/s per M peers", Login, float(0.1, 100_000.0), F(106.152),
        "Logins per second the login servers complete, per million peers. [P] the login server is the one central element; [H] its size, fitted to the 2007 record (VALIDATION.md)."),
    row!("login_timeout_s", "Login timeout", "s", Login, float(1.0, 600.0), F(30.0),
        "A client gives up waiting for a login reply after this and retries."),
    row!("login_queue_s", "Login queue", "s of work", Login, float(1.0, 3_600.0), F(20.0),
        "Requests the login servers hold, in seconds of work; beyond it new requests are dropped. With admission control the servers hold only what they can serve before the client's timeout."),
    row!(knob "login_admission", "Login admission control", "", Kind::Bool, B(false),
        "Login servers refuse at once what they cannot serve before the client's timeout, instead of queueing it and serving it too late."),
    row!(knob "retry", "Retry behaviour", "", Kind::Choice { options: RetryKind::KEYS }, C(RetryKind::Fixed as u8),
        "How a client waits between failed attempts: a fixed interval, capped exponential backoff, or backoff with full jitter. [P] Brooker 2015 on jitter."),
    row!(knob "retry_base_s", "Retry interval", "s", float(0.1, 3_600.0), F(2.0),
        "The fixed interval, or the first backoff interval."),
    row!(knob "retry_cap_s", "Retry cap", "s", float(0.1, 86_400.0), F(2.0),
        "Longest backoff interval."),
    row!(knob "promote_uptime_min", "Promotion uptime", "min", int(0, 10_080), I(1_440),
        "Uptime a peer needs before it may be promoted to supernode. [H] legacy-2007 required long uptime."),
    row!(knob "promote_rate", "Promotion rate", "per min per M peers", float(0.0, 100_000.0), F(0.52),
        "Most promotions per minute, per million peers."),
    row!(knob "promote_counts", "Supernodes counted", "", Kind::Choice { options: Supply::KEYS }, C(Supply::All as u8),
        "What the allocation algorithm counts as supernode capacity: all supernodes, overloaded ones too (blind to overload), or each weighted by the share of requests it answers."),
    row!(knob "sn_choice", "Supernode choice", "", Kind::Choice { options: SnChoice::KEYS }, C(SnChoice::Blind as u8),
        "How a client picks a supernode from its host cache: blind to load, or the less loaded of two (power of two choices)."),
    row!(knob "sn_overload", "Supernode overload", "", Kind::Choice { options: Overload::KEYS }, C(Overload::Stall as u8),
        "What an overloaded supernode does: stall (answers only part of its traffic, takes no new clients, loses clients as keep-alives go unanswered), shutdown (takes itself offline, [P] 2010), or admission (refuses cheaply and keeps serving)."),
    row!("trigger", "Trigger time (UTC)", "UTC", Triggers, Kind::Time { min: T_MIN, max: T_MAX }, T(1_187_193_600),
        "When the trigger starts: the patch is out, the crash begins, supernodes are taken down. The default, 16:00 UTC on Aug 15, 2007, is [H]: a day after Microsoft published the patches (Aug 14 [P]), so the restarts come at 3:00 local on Aug 16 and as PCs are switched on that morning, the day the outage began [P]."),
    row!("wave", "Restart wave", "", Triggers, Kind::Bool, B(true),
        "Windows Automatic Updates restart PCs after the trigger. [P] Aug 2007 Patch Tuesday."),
    row!("wave_share", "Patched share", "share", Triggers, float(0.0, 1.0), F(1.0),
        "Share of Windows-AU peers that install the patch in this wave."),
    row!("bunching", "Time-zone bunching", "", Triggers, Kind::Bool, B(true),
        "Restarts follow the 3:00-local rule (or one minute after the next boot); off spreads them evenly in time, and a PC that is off at its moment installs in a later wave. [P] Windows XP AU defaults."),
    row!("wave_hits_sn", "Supernodes reboot too", "", Triggers, Kind::Bool, B(true),
        "Supernode hosts take part in the wave. [P] the supernodes had rebooted too."),
    row!("reboot_min", "Reboot time", "min", Triggers, float(0.5, 240.0), F(5.0),
        "From the restart until the client runs again. [P] a 5-minute countdown precedes the restart."),
    row!("crash", "Client crash", "", Triggers, Kind::Bool, B(false),
        "The faulty version crashes after the trigger. [P] Dec 2010."),
    row!("crash_prob", "Crash probability", "share", Triggers, float(0.0, 1.0), F(0.4),
        "Chance that an online faulty client crashes. [P] about 40%."),
    row!("crash_window_h", "Crash window", "h", Triggers, float(0.1, 48.0), F(3.0),
        "Crashes are spread over this time after the trigger. [H]"),
    row!("crash_restart_min", "Restart after crash", "min", Triggers, float(0.0, 1_440.0), F(10.0),
        "Until the user restarts a crashed client. [H]"),
    row!("sn_down", "Supernodes taken down", "share", Triggers, float(0.0, 1.0), F(0.0),
        "Share of supernodes restarted by hand at the trigger time."),
    row!("mega_count", "Mega-supernodes", "per M peers", Operator, float(0.0, 100_000.0), F(0.0),
        "Dedicated high-capacity supernodes the operator starts (rounded to a whole number, at least one if above zero). [P] Skype started hundreds, then thousands, in Dec 2010."),
    row!("mega_after_h", "Mega-supernodes after", "h", Operator, float(0.0, 336.0), F(12.0),
        "Hours after the trigger when the first one starts."),
    row!("mega_ramp_h", "Mega-supernode ramp", "h", Operator, float(0.0, 72.0), F(6.0),
        "Hours over which all of them are started."),
    row!("mega_capacity", "Mega-supernode capacity", "clients", Operator, int(100, 1_000_000), I(5_000),
        "Clients one mega-supernode serves. [H]"),
    row!("mega_accept_rate", "Mega-supernode accept rate", "clients/s", Operator, float(1.0, 100_000.0), F(200.0),
        "New clients one mega-supernode takes per second. [H]"),
];

pub fn param(p: P) -> &'static Param {
    &PARAMS[p as usize]
}

/// The longest run allowed, in hours.
pub fn most_hours() -> i64 {
    match param(P::Hours).kind {
        Kind::Int { max, .. } => max,
        _ => unreachable!("hours is a whole number"),
    }
}

pub fn find(key: &str) -> Option<usize> {
    PARAMS.iter().position(|p| p.key == key)
}

/// The allowed values of a parameter, in words, for error messages and `params`.
pub fn allowed(kind: &Kind) -> String {
    match *kind {
        Kind::Int { min, max } => format!("a whole number from {min} to {max}"),
        Kind::Float { min, max } => format!("a number from {} to {}", fmt_f64(min), fmt_f64(max)),
        Kind::Bool => "true or false".into(),
        Kind::Choice { options } => format!("one of {}", options.join(", ")),
        Kind::Time { min, max } => format!(
            "a UTC time YYYY-MM-DDTHH:MMZ from {} to {}",
            crate::time::format_utc(min),
            crate::time::format_utc(max)
        ),
    }
}

/// Shortest decimal that round-trips, so `3` and `0.15` stay `3` and `0.15` in links.
pub fn fmt_f64(x: f64) -> String {
    format!("{x}")
}

pub fn format_value(kind: &Kind, v: Value) -> String {
    match (kind, v) {
        (_, Value::Int(i)) => i.to_string(),
        (_, Value::Float(f)) => fmt_f64(f),
        (_, Value::Bool(b)) => b.to_string(),
        (Kind::Choice { options }, Value::Choice(c)) => options[c as usize].to_string(),
        (_, Value::Choice(c)) => c.to_string(),
        (_, Value::Time(t)) => crate::time::format_utc(t),
    }
}

/// Checks a typed value against a parameter's kind and range. The error is
/// the "allowed" text, as [`parse_value`] gives it.
pub fn check_value(kind: &Kind, v: Value) -> Result<Value, String> {
    let ok = match (*kind, v) {
        (Kind::Int { min, max }, Value::Int(i)) => (min..=max).contains(&i),
        (Kind::Float { min, max }, Value::Float(f)) => f.is_finite() && f >= min && f <= max,
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Choice { options }, Value::Choice(c)) => (c as usize) < options.len(),
        (Kind::Time { min, max }, Value::Time(t)) => (min..=max).contains(&t),
        _ => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(allowed(kind))
    }
}

/// Parses and range-checks one value. The error is the "allowed" text.
pub fn parse_value(kind: &Kind, s: &str) -> Result<Value, String> {
    let bad = || allowed(kind);
    match *kind {
        Kind::Int { min, max } => {
            let i: i64 = s.trim().parse().map_err(|_| bad())?;
            if (min..=max).contains(&i) {
                Ok(Value::Int(i))
            } else {
                Err(bad())
            }
        }
        Kind::Float { min, max } => {
            let f: f64 = s.trim().parse().map_err(|_| bad())?;
            if f.is_finite() && f >= min && f <= max {
                Ok(Value::Float(f))
            } else {
                Err(bad())
            }
        }
        Kind::Bool => match s.trim() {
            "true" | "1" | "on" | "yes" => Ok(Value::Bool(true)),
            "false" | "0" | "off" | "no" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        Kind::Choice { options } => {
            options.iter().position(|o| *o == s.trim()).map(|i| Value::Choice(i as u8)).ok_or_else(bad)
        }
        Kind::Time { min, max } => {
            let t = crate::time::parse_utc(s.trim()).ok_or_else(bad)?;
            if (min..=max).contains(&t) {
                Ok(Value::Time(t))
            } else {
                Err(bad())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_the_order_of_p() {
        assert_eq!(PARAMS.len(), P::MegaAcceptRate as usize + 1);
        assert_eq!(param(P::Peers).key, "peers");
        assert_eq!(param(P::SnOverload).key, "sn_overload");
        assert_eq!(param(P::MegaAcceptRate).key, "mega_accept_rate");
        assert_eq!(param(P::Trigger).key, "trigger");
    }

    #[test]
    fn every_default_is_allowed() {
        for p in PARAMS {
            let text = format_value(&p.kind, p.default);
            assert_eq!(parse_value(&p.kind, &text), Ok(p.default), "{}", p.key);
        }
    }

    #[test]
    fn keys_are_unique() {
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(find(p.key), Some(i));
        }
    }
}

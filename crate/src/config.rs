//! The scenario resolved into the units the engine works in: milliseconds,
//! absolute counts and rates for this population, typed policy knobs.

use crate::login::Failures;
use crate::policy::{Overload, Retry, SnChoice, Supply};
use crate::scenario::{Scenario, P};
use crate::time::{Millis, HOUR, MINUTE, SECOND};
use crate::trigger::{self, WavePlan};

#[derive(Clone, Debug)]
pub struct Config {
    pub peers: u32,
    pub seed: u64,
    pub duration: Millis,
    pub start_unix_ms: i64,
    /// Month of the start, for daylight saving.
    pub month: u32,
    pub sample: Millis,

    pub always_on: f64,
    pub capable: f64,
    pub windows_au: f64,
    pub faulty: f64,

    pub sn_capacity: u32,
    pub sn_target: u32,
    /// New clients per second.
    pub sn_accept_rate: f64,
    /// Median attempts per second before overload.
    pub sn_attempt_capacity: f64,
    /// Load of a refusal by a supernode that is not overloaded, in attempts.
    pub sn_refusal_cost: f64,
    pub sn_cooldown: Millis,
    pub keepalive: Millis,

    pub cache_size: u32,
    pub attach_timeout: Millis,
    pub rtt: Millis,

    /// Logins per second for this population.
    pub login_capacity: f64,
    pub login_timeout: Millis,
    /// Queue limit in requests.
    pub login_queue: u64,
    pub login_admission: bool,
    /// Which waiting clients failed each second: as links of format 1 and 2
    /// counted them, or as this build does.
    pub login_failures: Failures,

    pub retry: Retry,
    pub promote_uptime: Millis,
    /// Promotions per minute for this population.
    pub promote_rate: f64,
    pub promote_counts: Supply,
    pub sn_choice: SnChoice,
    pub sn_overload: Overload,

    /// Run time of the trigger.
    pub trigger: Millis,
    pub wave: Option<WavePlan>,
    /// A PC restart (the wave, supernodes taken down by hand) takes this long.
    pub reboot: Millis,
    pub crash: Option<Crash>,
    pub sn_down: f64,
    pub mega: Option<Mega>,
}

#[derive(Clone, Copy, Debug)]
pub struct Crash {
    pub prob: f64,
    pub window: Millis,
    pub restart: Millis,
}

#[derive(Clone, Copy, Debug)]
pub struct Mega {
    pub count: u32,
    pub first: Millis,
    pub ramp: Millis,
    pub capacity: u32,
    pub accept_rate: f64,
}

fn ms(seconds: f64) -> Millis {
    libm::round(seconds * 1_000.0) as Millis
}

impl Config {
    /// Resolves a validated scenario.
    pub fn new(s: &Scenario) -> Config {
        let peers = s.int(P::Peers) as u32;
        let per_million = peers as f64 / 1e6;
        let start = s.time(P::Start);
        let trigger = (s.time(P::Trigger) - start).max(0) as Millis * SECOND;
        let login_capacity = s.float(P::LoginCapacity) * per_million;
        // At least one if any are asked for: a small network still gets its
        // operator response.
        let asked = s.float(P::MegaCount) * per_million;
        let mega_count = if asked > 0.0 { (libm::round(asked) as u32).max(1) } else { 0 };
        Config {
            peers,
            seed: s.int(P::Seed) as u64,
            duration: s.int(P::Hours) as Millis * HOUR,
            start_unix_ms: start * 1_000,
            month: crate::time::month_of(start),
            sample: s.int(P::SampleS) as Millis * SECOND,
            always_on: s.float(P::AlwaysOn),
            capable: s.float(P::Capable),
            windows_au: s.float(P::WindowsAu),
            faulty: s.float(P::FaultyVersion),
            sn_capacity: s.int(P::SnCapacity) as u32,
            sn_target: s.int(P::SnTarget) as u32,
            sn_accept_rate: s.float(P::SnAcceptRate),
            sn_attempt_capacity: s.float(P::SnAttemptCapacity),
            sn_refusal_cost: s.float(P::SnRefusalCost),
            sn_cooldown: s.int(P::SnCooldownMin) as Millis * MINUTE,
            keepalive: s.int(P::KeepaliveS) as Millis * SECOND,
            cache_size: s.int(P::CacheSize) as u32,
            attach_timeout: ms(s.float(P::AttachTimeoutS)),
            rtt: s.int(P::RttMs) as Millis,
            login_capacity,
            login_timeout: ms(s.float(P::LoginTimeoutS)),
            login_queue: libm::ceil(login_capacity * s.float(P::LoginQueueS)) as u64,
            login_admission: s.flag(P::LoginAdmission),
            login_failures: if s.format() < 3 { Failures::ServedShare } else { Failures::Counted },
            retry: Retry { kind: s.pick(P::Retry), base: s.float(P::RetryBaseS), cap: s.float(P::RetryCapS) },
            promote_uptime: s.int(P::PromoteUptimeMin) as Millis * MINUTE,
            promote_rate: s.float(P::PromoteRate) * per_million,
            promote_counts: s.pick(P::PromoteCounts),
            sn_choice: s.pick(P::SnChoice),
            sn_overload: s.pick(P::SnOverload),
            trigger,
            wave: s.flag(P::Wave).then(|| trigger::plan_wave(&s.wave_spec())),
            reboot: ms(s.float(P::RebootMin) * 60.0),
            crash: s.flag(P::Crash).then(|| Crash {
                prob: s.float(P::CrashProb),
                window: ms(s.float(P::CrashWindowH) * 3_600.0),
                restart: ms(s.float(P::CrashRestartMin) * 60.0),
            }),
            sn_down: s.float(P::SnDown),
            mega: (mega_count > 0).then(|| Mega {
                count: mega_count,
                first: trigger + ms(s.float(P::MegaAfterH) * 3_600.0),
                ramp: ms(s.float(P::MegaRampH) * 3_600.0),
                capacity: s.int(P::MegaCapacity) as u32,
                accept_rate: s.float(P::MegaAcceptRate),
            }),
        }
    }
}

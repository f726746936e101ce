//! Allocation policies: how supernodes are promoted and chosen, what an
//! overloaded supernode or login server does, and how clients retry.
//!
//! Skype never published the 2007 bug ("a previously unseen software bug
//! within the network resource allocation algorithm" [P]), so `legacy-2007`
//! is a hypothesis built to fit what was published: the P2P core "was not
//! properly tuned to cope with the load and core size changes" at once [P].
//! Each named policy is a bundle of the knobs below (see
//! `scenario::policy_knobs`); a user can mix them.
//!
//! * `legacy-2007` [H]. Promotion needs a day of uptime (so the supernodes
//!   that rebooted in the wave, and everyone else who rebooted, cannot step
//!   in) and is paced for normal churn (`promote_rate`, fitted) however
//!   short the core runs ("ignores a shortage"); it
//!   counts an overloaded supernode as a working one. Clients pick
//!   supernodes blind to load and retry every 2 s; login servers queue
//!   everything; an overloaded supernode answers only part of its traffic,
//!   takes no new clients and loses clients whose keep-alives go
//!   unanswered, but stays a supernode. Fails: the wave removes supernodes
//!   faster than they are replaced, returning clients overload the rest,
//!   and every client an overloaded supernode loses becomes one more
//!   searcher loading the others: overload sustains itself. Heals only as
//!   the slow promotions rebuild the core, about two days.
//! * `self-protect-2010`. Promotion reacts to a shortage (the 2007 fix [P])
//!   from hosts with 12 h of uptime, login servers refuse what they cannot
//!   serve, clients use capped exponential backoff, but an overloaded
//!   supernode takes itself offline [P: 2010 post-mortem] and may not serve
//!   again for an hour. Fails: each shutdown moves its clients and their
//!   load to the others, a cascade, and new supernodes are shut down as
//!   fast as they are promoted; heals when dedicated mega-supernodes absorb
//!   the load.
//! * `resilient`. Promotes capable peers after ten minutes of uptime as soon
//!   as the core runs short, counting supernodes by the share of requests
//!   they answer; clients pick the less loaded of two supernodes (power of
//!   two choices) and back off with full jitter [P: Brooker 2015];
//!   supernodes and login servers refuse cheaply what they cannot serve
//!   (admission control). Heals: overload never feeds on itself, and lost
//!   capacity is replaced within minutes.

use crate::rng::Rng;

/// A scenario choice: a closed set of options, each with its key in links,
/// on the command line and in the page's menus, in the order of `KEYS`.
pub trait Choice: Copy + Sized + 'static {
    /// Every option, in order; a scenario stores the index.
    const ALL: &'static [Self];
    /// The options' keys, in the same order.
    const KEYS: &'static [&'static str];

    /// The option stored as `index`; the scenario's parser only stores
    /// indices of `KEYS`.
    fn from_index(index: u8) -> Self {
        *Self::ALL.get(index as usize).expect("a choice holds the index of one of its options")
    }
    fn index(self) -> u8;
    fn key(self) -> &'static str {
        Self::KEYS[self.index() as usize]
    }
}

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $key:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl Choice for $name {
            const ALL: &'static [$name] = &[$($name::$variant),*];
            const KEYS: &'static [&'static str] = &[$($key),*];
            fn index(self) -> u8 {
                self as u8
            }
        }
    };
}

choice! {
    /// The named allocation policies; each sets the policy knobs
    /// (`scenario::policy_knobs`).
    Policy {
        Legacy2007 => "legacy-2007",
        SelfProtect2010 => "self-protect-2010",
        Resilient => "resilient",
    }
}

impl Policy {
    /// What the policy does, for a reader choosing one (the page's help).
    pub fn description(self) -> &'static str {
        match self {
            Policy::Legacy2007 => {
                "Our hypothesis for the 2007 bug: replacements are promoted only after a day of uptime and at the \
                 slow pace of normal churn, however short the core runs, and overloaded supernodes still count as \
                 working; clients retry every 2 s blind to load, login servers queue everything, and an overloaded \
                 supernode stalls: it answers only part of its traffic and loses clients."
            }
            Policy::SelfProtect2010 => {
                "The 2007 fix is in (promotion reacts to a shortage, login servers refuse what they cannot serve, \
                 clients back off exponentially), but an overloaded supernode takes itself offline, as in December \
                 2010."
            }
            Policy::Resilient => {
                "Capable peers are promoted within minutes when supernodes run short, clients pick the less loaded \
                 of two supernodes and back off with full jitter, and supernodes and login servers cheaply refuse \
                 what they cannot serve."
            }
        }
    }
}

choice! {
    /// How a client waits between failed attempts.
    RetryKind {
        Fixed => "fixed",
        Exponential => "exponential",
        Jitter => "jitter",
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retry {
    pub kind: RetryKind,
    /// Seconds.
    pub base: f64,
    /// Seconds.
    pub cap: f64,
}

impl Retry {
    /// Upper bound of the wait after the `failures`-th consecutive failure
    /// (1-based): `base` for a fixed interval, `min(cap, base * 2^(n-1))` for
    /// backoff.
    fn ceiling(&self, failures: u32) -> f64 {
        match self.kind {
            RetryKind::Fixed => self.base,
            _ => {
                let doublings = failures.saturating_sub(1).min(40) as i32;
                (self.base * libm::pow(2.0, doublings as f64)).min(self.cap)
            }
        }
    }

    /// Sampled wait in seconds after the `failures`-th consecutive failure.
    pub fn wait(&self, failures: u32, rng: &mut Rng) -> f64 {
        match self.kind {
            RetryKind::Jitter => rng.unit() * self.ceiling(failures),
            _ => self.ceiling(failures),
        }
    }

    /// Mean wait in seconds after the `failures`-th consecutive failure.
    pub fn mean_wait(&self, failures: u32) -> f64 {
        match self.kind {
            RetryKind::Jitter => 0.5 * self.ceiling(failures),
            _ => self.ceiling(failures),
        }
    }

    /// Failures after which the wait no longer grows.
    pub fn levels(&self) -> u32 {
        match self.kind {
            RetryKind::Fixed => 1,
            _ => {
                let mut n = 1;
                while n < 40 && self.ceiling(n) < self.cap {
                    n += 1;
                }
                n
            }
        }
    }
}

/// The waits of a retry policy in milliseconds, tabulated once: the host
/// cache walk asks for one after every failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Waits {
    jitter: bool,
    ceiling_ms: [u64; 41],
    /// `prefix_ms[n]`: sum of the wait ceilings after failures 1..=n.
    prefix_ms: [u64; 41],
    /// Same, of the squared ceilings (for the spread of jittered waits).
    prefix_sq: [f64; 41],
}

impl Waits {
    pub fn new(r: &Retry) -> Waits {
        let mut ceiling_ms = [0; 41];
        for (n, c) in ceiling_ms.iter_mut().enumerate() {
            *c = libm::round(r.ceiling(n.max(1) as u32) * 1_000.0) as u64;
        }
        let mut prefix_ms = [0; 41];
        let mut prefix_sq = [0.0; 41];
        for n in 1..41 {
            prefix_ms[n] = prefix_ms[n - 1] + ceiling_ms[n];
            prefix_sq[n] = prefix_sq[n - 1] + (ceiling_ms[n] as f64) * (ceiling_ms[n] as f64);
        }
        Waits { jitter: r.kind == RetryKind::Jitter, ceiling_ms, prefix_ms, prefix_sq }
    }

    /// Sampled wait after the `failures`-th consecutive failure, ms.
    pub fn wait_ms(&self, failures: u32, rng: &mut Rng) -> u64 {
        let c = self.ceiling_ms[failures.min(40) as usize];
        if self.jitter {
            (rng.unit() * c as f64) as u64
        } else {
            c
        }
    }

    fn prefix(&self, n: u64) -> u64 {
        if n <= 40 {
            self.prefix_ms[n as usize]
        } else {
            self.prefix_ms[40] + (n - 40) * self.ceiling_ms[40]
        }
    }

    fn prefix_sq(&self, n: u64) -> f64 {
        let c = self.ceiling_ms[40] as f64;
        if n <= 40 {
            self.prefix_sq[n as usize]
        } else {
            self.prefix_sq[40] + (n - 40) as f64 * c * c
        }
    }

    /// Mean and variance, in ms, of the total wait after failures
    /// `failures + 1 ..= failures + count`.
    pub fn total(&self, failures: u32, count: u64) -> (f64, f64) {
        let (f, n) = (failures as u64, failures as u64 + count);
        let sum = (self.prefix(n) - self.prefix(f)) as f64;
        if self.jitter {
            // A uniform draw in [0, c) has mean c/2 and variance c^2/12.
            (sum / 2.0, (self.prefix_sq(n) - self.prefix_sq(f)) / 12.0)
        } else {
            (sum, 0.0)
        }
    }
}

choice! {
    /// What the allocation algorithm counts as supernode capacity.
    Supply {
        /// Every live supernode, overloaded or not: blind to overload [H: legacy].
        All => "all",
        /// Each supernode weighted by the share of requests it answers.
        Answering => "answering",
    }
}

choice! {
    /// How a client picks a supernode from its host cache.
    SnChoice {
        /// Uniformly among the entries it tries, blind to their load.
        Blind => "blind",
        /// Probes two entries and takes the one with more room.
        TwoChoices => "two-choices",
    }
}

choice! {
    /// What a supernode does when connection attempts exceed what it handles.
    Overload {
        /// Answers only the share of requests it can handle (capacity / load),
        /// takes no new clients, and loses clients whose keep-alives go
        /// unanswered; it stays a supernode [H: legacy-2007].
        Stall => "stall",
        /// Takes itself offline to protect its host [P: 2010 post-mortem].
        Shutdown => "shutdown",
        /// Refuses what it cannot handle, cheaply, and keeps serving.
        Admission => "admission",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let r = Retry { kind: RetryKind::Exponential, base: 1.0, cap: 10.0 };
        let mut rng = Rng::new(1, Stream::Engine);
        let waits: Vec<f64> = (1..=6).map(|n| r.wait(n, &mut rng)).collect();
        assert_eq!(waits, vec![1.0, 2.0, 4.0, 8.0, 10.0, 10.0]);
        assert_eq!(r.levels(), 5);
    }

    #[test]
    fn full_jitter_stays_below_the_ceiling_with_half_the_mean() {
        let r = Retry { kind: RetryKind::Jitter, base: 1.0, cap: 64.0 };
        let mut rng = Rng::new(2, Stream::Engine);
        let n = 10_000;
        let waits: Vec<f64> = (0..n).map(|_| r.wait(4, &mut rng)).collect();
        assert!(waits.iter().all(|&w| (0.0..8.0).contains(&w)));
        let mean = waits.iter().sum::<f64>() / n as f64;
        assert!((mean - r.mean_wait(4)).abs() < 0.15, "{mean}");
    }

    #[test]
    fn fixed_interval_is_fixed() {
        let r = Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 };
        let mut rng = Rng::new(3, Stream::Engine);
        assert_eq!(r.wait(1, &mut rng), 2.0);
        assert_eq!(r.wait(30, &mut rng), 2.0);
        assert_eq!(r.levels(), 1);
    }
}

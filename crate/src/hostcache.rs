//! The host cache and the walk a client makes through it to find a supernode.
//!
//! Facts [P: Baset & Schulzrinne 2006; Admin Guide v3.0]: a client keeps up
//! to 200 supernode addresses and refreshes them whenever it reaches a
//! working supernode; it tries entries until one takes it. An entry whose
//! supernode is gone costs a timeout.
//!
//! Memory: a refreshed cache is a sample of the supernodes alive at that
//! moment, so what decides a walk is *when* the cache was refreshed: which
//! share of the supernodes alive then is alive now, and which of those are
//! stalled, full or have room. So a peer stores no addresses at all, only
//! the minute of its last refresh (2 bytes) and how many entries it has used
//! in its current walk (1 byte). The supernode store counts live
//! supernodes by promotion time (`Supernodes::known`), which answers those
//! questions for any refresh time in O(log n). What this gives up: entries
//! are drawn with replacement, and supernodes promoted within the same
//! 5-minute bucket as the refresh count as known. The concrete supernode a
//! client finally attaches to is chosen among the live ones it could know.
//!
//! A walk is sampled, not simulated entry by entry: one event decides how
//! many entries fail (timeouts and refusals) before one has room, waits the
//! retry policy's interval after each failure, and spreads its connection
//! attempts over the time it takes, for the supernodes' load. One event
//! covers at most `WALK_SPAN` of walking, so a walk sees the network as it
//! changes. The attach itself is checked against the real supernode at the
//! end (room, admission tokens), so capacities are never exceeded.

use crate::policy::{Retry, SnChoice};
use crate::rng::Rng;
use crate::supernode::Known;
use crate::time::Millis;

/// Longest stretch of walking one event decides.
pub const WALK_SPAN: Millis = 30 * 60 * 1_000;

/// Chances that one probe of a host-cache entry finds each of these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Odds {
    pub dead: f64,
    pub stalled: f64,
    pub full: f64,
    pub room: f64,
}

impl Odds {
    pub fn of(k: Known) -> Odds {
        if k.then == 0 || k.alive == 0 {
            return Odds { dead: 1.0, stalled: 0.0, full: 0.0, room: 0.0 };
        }
        let alive = (k.alive as f64 / k.then as f64).min(1.0);
        let stalled = k.stalled as f64 / k.alive as f64;
        let full = (k.full as f64 / k.alive as f64).min(1.0 - stalled);
        Odds { dead: 1.0 - alive, stalled: alive * stalled, full: alive * full, room: alive * (1.0 - stalled - full).max(0.0) }
    }
}

/// Chances for one attempt under a choice rule, and its probes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttemptOdds {
    pub success: f64,
    pub timeout: f64,
    /// Probes per attempt (entries used).
    pub probes: u32,
    /// Probes per attempt that reach a live supernode.
    pub live_probes: f64,
}

pub fn attempt_odds(o: Odds, choice: SnChoice) -> AttemptOdds {
    let silent = o.dead + o.stalled;
    match choice {
        SnChoice::Blind => AttemptOdds { success: o.room, timeout: silent, probes: 1, live_probes: 1.0 - o.dead },
        SnChoice::TwoChoices => AttemptOdds {
            success: 1.0 - (1.0 - o.room) * (1.0 - o.room),
            timeout: silent * silent,
            probes: 2,
            live_probes: 2.0 * (1.0 - o.dead),
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkEnd {
    /// An entry with room answered: try to attach to it at the end.
    Attach,
    /// Every entry failed: fetch fresh addresses from the login servers.
    Exhausted,
    /// Still walking after `WALK_SPAN`: decide the rest later.
    Continue,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walk {
    pub end: WalkEnd,
    pub elapsed: Millis,
    pub attempts: u32,
    pub timeouts: u32,
    pub refusals: u32,
    /// Entries used, including the successful one.
    pub used: u32,
    /// Consecutive failures at the end.
    pub failures: u32,
    pub live_probes: f64,
}

pub struct WalkRules {
    pub retry: Retry,
    pub timeout: Millis,
    pub rtt: Millis,
}

/// Samples one stretch of a walk through `remaining` unused entries.
pub fn walk(odds: AttemptOdds, remaining: u32, failures: u32, rules: &WalkRules, rng: &mut Rng) -> Walk {
    let mut w = Walk { end: WalkEnd::Continue, elapsed: 0, attempts: 0, timeouts: 0, refusals: 0, used: 0, failures, live_probes: 0.0 };
    let before_success = rng.failures_before_success(odds.success);
    let timeout_given_failure = if odds.success < 1.0 { odds.timeout / (1.0 - odds.success) } else { 0.0 };
    loop {
        if w.used + odds.probes > remaining {
            w.end = WalkEnd::Exhausted;
            break;
        }
        if w.elapsed >= WALK_SPAN {
            w.end = WalkEnd::Continue;
            break;
        }
        w.attempts += 1;
        w.used += odds.probes;
        w.live_probes += odds.live_probes;
        if w.attempts as u64 > before_success {
            w.end = WalkEnd::Attach;
            w.elapsed += rules.rtt;
            break;
        }
        let cost = if rng.chance(timeout_given_failure) {
            w.timeouts += 1;
            rules.timeout
        } else {
            w.refusals += 1;
            rules.rtt
        };
        w.failures = w.failures.saturating_add(1);
        let wait = libm::round(rules.retry.wait(w.failures, rng) * 1_000.0) as Millis;
        w.elapsed += cost + wait;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RetryKind;
    use crate::rng::Stream;

    fn rules() -> WalkRules {
        WalkRules { retry: Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 }, timeout: 10_000, rtt: 300 }
    }

    #[test]
    fn odds_add_up() {
        let o = Odds::of(Known { then: 100, alive: 60, stalled: 10, full: 20 });
        assert!((o.dead + o.stalled + o.full + o.room - 1.0).abs() < 1e-12);
        assert!((o.dead - 0.4).abs() < 1e-12);
        assert!((o.room - 0.3).abs() < 1e-12);
        for choice in [SnChoice::Blind, SnChoice::TwoChoices] {
            let a = attempt_odds(o, choice);
            assert!(a.success + a.timeout <= 1.0 + 1e-12);
        }
    }

    #[test]
    fn a_healthy_network_takes_the_first_entry() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 10, stalled: 0, full: 0 }), SnChoice::Blind);
        let mut rng = Rng::new(1, Stream::Engine);
        let w = walk(o, 200, 0, &rules(), &mut rng);
        assert_eq!((w.end, w.attempts, w.elapsed), (WalkEnd::Attach, 1, 300));
    }

    #[test]
    fn a_dead_cache_is_used_up_at_one_timeout_per_entry() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 0, stalled: 0, full: 0 }), SnChoice::Blind);
        let mut rng = Rng::new(1, Stream::Engine);
        let w = walk(o, 20, 0, &rules(), &mut rng);
        assert_eq!(w.end, WalkEnd::Exhausted);
        assert_eq!((w.timeouts, w.used), (20, 20));
        assert_eq!(w.elapsed, 20 * 12_000);
        assert_eq!(w.live_probes, 0.0);
    }

    #[test]
    fn long_walks_are_cut_into_spans() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 1, stalled: 1, full: 0 }), SnChoice::Blind);
        let mut rng = Rng::new(1, Stream::Engine);
        let w = walk(o, 200, 0, &rules(), &mut rng);
        assert_eq!(w.end, WalkEnd::Continue);
        assert!(w.elapsed >= WALK_SPAN && w.elapsed < WALK_SPAN + 13_000);
    }

    #[test]
    fn two_choices_find_room_more_often() {
        let o = Odds::of(Known { then: 10, alive: 10, stalled: 0, full: 8 });
        assert!(attempt_odds(o, SnChoice::TwoChoices).success > attempt_odds(o, SnChoice::Blind).success);
    }
}

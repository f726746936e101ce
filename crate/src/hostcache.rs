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
//! overloaded, full or have room. So a peer stores no addresses at all, only
//! the minute of its last refresh (2 bytes) and how many entries it has used
//! in its current walk (1 byte). The supernode store counts live
//! supernodes by promotion time (`Supernodes::known`), which answers those
//! questions for any refresh time in O(log n). What this gives up: entries
//! are drawn with replacement, and supernodes promoted within the same
//! 5-minute bucket as the refresh count as known. The concrete supernode a
//! client finally attaches to is chosen among the live ones it could know.
//!
//! A supernode that answers, even to refuse, is a working supernode, so the
//! client refreshes its cache from it [P]: after the first refusal the rest
//! of the walk uses fresh odds (what a cache refreshed now knows).
//!
//! A walk is sampled, not simulated entry by entry: one event decides how
//! many entries fail (timeouts and refusals) before one has room, waits the
//! retry policy's interval after each failure, and spreads its connection
//! attempts over the time it takes, for the supernodes' load. One event
//! covers at most `WALK_SPAN` of walking, so a walk sees the network as it
//! changes. The attach itself is checked against the real supernode at the
//! end (room, admission tokens), so capacities are never exceeded.

use crate::policy::{SnChoice, Waits};
use crate::rng::Rng;
use crate::supernode::Known;
use crate::time::Millis;

/// Longest stretch of walking one event decides.
pub const WALK_SPAN: Millis = 60 * 60 * 1_000;

/// Chances that one probe of a host-cache entry finds each of these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Odds {
    /// The supernode is gone: a timeout.
    pub dead: f64,
    /// The supernode is alive but too overloaded to answer: a timeout.
    pub silent: f64,
    /// It answers but takes no new client (full, or overloaded): a refusal.
    pub full: f64,
    /// It answers and has room.
    pub room: f64,
}

impl Odds {
    /// `answer`: share of requests live supernodes answer now; `luck`:
    /// share of attaches to a supernode with room that lately found an
    /// admission token free.
    pub fn of(k: Known, answer: f64, luck: f64) -> Odds {
        if k.then == 0 || k.alive == 0 {
            return Odds { dead: 1.0, silent: 0.0, full: 0.0, room: 0.0 };
        }
        let then = k.then.max(k.alive) as f64;
        let alive = k.alive as f64 / then;
        let heard = alive * answer;
        let room = (k.open as f64 / then * luck).min(heard);
        Odds { dead: 1.0 - alive, silent: alive - heard, full: heard - room, room }
    }
}

/// Chances for one attempt under a choice rule, and its probes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttemptOdds {
    pub success: f64,
    pub timeout: f64,
    /// Probes per attempt (entries used).
    pub probes: u32,
    /// Load per attempt on the live supernodes, in probes: a probe that
    /// reaches a live supernode counts 1, less `refusal_saving` where it is
    /// refused.
    pub live_probes: f64,
}

/// `refusal_saving`: the share of a probe's load that a refusal does not
/// cost the supernode (0: a refusal loads it as much as an attempt it takes).
pub fn attempt_odds(o: Odds, choice: SnChoice, refusal_saving: f64) -> AttemptOdds {
    let silent = o.dead + o.silent;
    let load = 1.0 - o.dead - refusal_saving * o.full;
    match choice {
        SnChoice::Blind => AttemptOdds { success: o.room, timeout: silent, probes: 1, live_probes: load },
        SnChoice::TwoChoices => AttemptOdds {
            success: 1.0 - (1.0 - o.room) * (1.0 - o.room),
            timeout: silent * silent,
            probes: 2,
            live_probes: 2.0 * load,
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
    /// A supernode answered (refused): the cache was refreshed.
    pub refreshed: bool,
}

#[derive(Clone)]
pub struct WalkRules {
    pub waits: Waits,
    pub timeout: Millis,
    pub rtt: Millis,
}

/// Samples one stretch of a walk through `remaining` unused entries, with
/// the odds of the peer's cache (`stale`) until a supernode answers and
/// those of a fresh cache after.
pub fn walk(
    stale: AttemptOdds,
    fresh: AttemptOdds,
    remaining: u32,
    failures: u32,
    rules: &WalkRules,
    rng: &mut Rng,
) -> Walk {
    walk_fast(stale, fresh, remaining, failures, rules, rng)
}

fn start(failures: u32) -> Walk {
    Walk {
        end: WalkEnd::Continue,
        elapsed: 0,
        attempts: 0,
        timeouts: 0,
        refusals: 0,
        used: 0,
        failures,
        live_probes: 0.0,
        refreshed: false,
    }
}

fn timeout_share(o: &AttemptOdds) -> f64 {
    if o.success < 1.0 {
        o.timeout / (1.0 - o.success)
    } else {
        0.0
    }
}

/// Attempt by attempt: the plain statement of the process `walk_fast`
/// samples, kept as its reference in the tests.
#[cfg_attr(not(test), allow(dead_code))]
fn walk_each(
    stale: AttemptOdds,
    fresh: AttemptOdds,
    remaining: u32,
    failures: u32,
    rules: &WalkRules,
    rng: &mut Rng,
) -> Walk {
    let mut w = start(failures);
    let mut odds = stale;
    let mut before_success = rng.failures_before_success(odds.success);
    let mut q = timeout_share(&odds);
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
        let cost = if rng.chance(q) {
            w.timeouts += 1;
            rules.timeout
        } else {
            w.refusals += 1;
            if !w.refreshed {
                w.refreshed = true;
                odds = fresh;
                before_success = rng.failures_before_success(odds.success).saturating_add(w.attempts as u64);
                q = timeout_share(&odds);
            }
            rules.rtt
        };
        w.failures = w.failures.saturating_add(1);
        w.elapsed += cost + rules.waits.wait_ms(w.failures, rng);
    }
    w
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StretchEnd {
    Success,
    Exhausted,
    /// The first refusal: the cache is refreshed and the odds change.
    Refresh,
}

/// In O(1): with the odds fixed, the failures before the next success (or
/// until the entries run out, or until the first refusal refreshes the
/// cache) are one geometric draw, the timeouts among them one binomial
/// draw, and their waits a closed-form sum (mean and variance for full
/// jitter). Where the span cuts a stretch, its timeouts are taken as spread
/// evenly through it. Samples the same process as `walk_each` (a test
/// compares them).
fn walk_fast(
    stale: AttemptOdds,
    fresh: AttemptOdds,
    remaining: u32,
    failures: u32,
    rules: &WalkRules,
    rng: &mut Rng,
) -> Walk {
    let mut w = start(failures);
    let mut odds = stale;
    loop {
        let entries_left = ((remaining - w.used.min(remaining)) / odds.probes) as u64;
        if entries_left == 0 {
            w.end = WalkEnd::Exhausted;
            return w;
        }
        if w.elapsed >= WALK_SPAN {
            w.end = WalkEnd::Continue;
            return w;
        }
        let q = timeout_share(&odds);
        let before_success = rng.failures_before_success(odds.success);
        let mut fails = before_success.min(entries_left);
        let mut end = if before_success < entries_left { StretchEnd::Success } else { StretchEnd::Exhausted };
        let timeouts = if w.refreshed {
            rng.binomial(fails, q)
        } else {
            let first_refusal = rng.failures_before_success(1.0 - q).saturating_add(1);
            if first_refusal <= fails {
                fails = first_refusal;
                end = StretchEnd::Refresh;
                first_refusal - 1
            } else {
                fails
            }
        };
        let (wait_mean, wait_var) = rules.waits.total(w.failures, fails);
        let wait_total =
            if wait_var > 0.0 { (wait_mean + libm::sqrt(wait_var) * rng.normal()).max(0.0) } else { wait_mean };
        // Timeouts among the first m failures, and the time they take.
        let timeouts_in = |m: u64| -> u64 {
            match end {
                StretchEnd::Refresh => m.min(timeouts),
                _ if fails == 0 => 0,
                _ => (timeouts * m + fails / 2) / fails,
            }
        };
        let time_of = |m: u64| -> u64 {
            let t = timeouts_in(m);
            let (mean, _) = rules.waits.total(w.failures, m);
            let wait = if wait_mean > 0.0 { wait_total * mean / wait_mean } else { 0.0 };
            t * rules.timeout + (m - t) * rules.rtt + wait as u64
        };
        let cut = fails > 0 && w.elapsed + time_of(fails - 1) >= WALK_SPAN;
        let n = if cut {
            // The last failure that starts before the span ends.
            let (mut lo, mut hi) = (1, fails);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if w.elapsed + time_of(mid - 1) < WALK_SPAN {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            lo
        } else {
            fails
        };
        let t = timeouts_in(n);
        w.attempts += n as u32;
        w.used += n as u32 * odds.probes;
        w.live_probes += n as f64 * odds.live_probes;
        w.timeouts += t as u32;
        w.refusals += (n - t) as u32;
        w.elapsed += time_of(n);
        w.failures = w.failures.saturating_add(n as u32);
        if cut {
            w.end = WalkEnd::Continue;
            return w;
        }
        match end {
            StretchEnd::Success => {
                if w.elapsed >= WALK_SPAN {
                    w.end = WalkEnd::Continue;
                } else {
                    w.attempts += 1;
                    w.used += odds.probes;
                    w.live_probes += odds.live_probes;
                    w.elapsed += rules.rtt;
                    w.end = WalkEnd::Attach;
                }
                return w;
            }
            StretchEnd::Exhausted => {
                w.end = WalkEnd::Exhausted;
                return w;
            }
            StretchEnd::Refresh => {
                w.refreshed = true;
                odds = fresh;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Retry, RetryKind};
    use crate::rng::Stream;

    fn rules() -> WalkRules {
        WalkRules {
            waits: Waits::new(&Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 }),
            timeout: 10_000,
            rtt: 300,
        }
    }

    #[test]
    fn odds_add_up() {
        let o = Odds::of(Known { then: 100, alive: 60, open: 20 }, 0.5, 1.0);
        assert!((o.dead + o.silent + o.full + o.room - 1.0).abs() < 1e-12);
        assert!((o.dead - 0.4).abs() < 1e-12);
        assert!((o.silent - 0.3).abs() < 1e-12);
        assert!((o.room - 0.2).abs() < 1e-12);
        assert!((o.full - 0.1).abs() < 1e-12);
        for choice in [SnChoice::Blind, SnChoice::TwoChoices] {
            let a = attempt_odds(o, choice, 0.0);
            assert!(a.success + a.timeout <= 1.0 + 1e-12);
        }
    }

    #[test]
    fn a_healthy_network_takes_the_first_entry() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 10, open: 10 }, 1.0, 1.0), SnChoice::Blind, 0.0);
        let mut rng = Rng::new(1, Stream::Engine);
        let w = walk(o, o, 200, 0, &rules(), &mut rng);
        assert_eq!((w.end, w.attempts, w.elapsed), (WalkEnd::Attach, 1, 300));
    }

    #[test]
    fn a_dead_cache_is_used_up_at_one_timeout_per_entry() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 0, open: 0 }, 1.0, 1.0), SnChoice::Blind, 0.0);
        let mut rng = Rng::new(1, Stream::Engine);
        let w = walk(o, o, 20, 0, &rules(), &mut rng);
        assert_eq!(w.end, WalkEnd::Exhausted);
        assert_eq!((w.timeouts, w.used), (20, 20));
        assert_eq!(w.elapsed, 20 * 12_000);
        assert_eq!(w.live_probes, 0.0);
    }

    #[test]
    fn long_walks_are_cut_into_spans() {
        let o = attempt_odds(Odds::of(Known { then: 10, alive: 1, open: 0 }, 0.0, 1.0), SnChoice::Blind, 0.0);
        let mut rng = Rng::new(1, Stream::Engine);
        // 200 entries at 30 s + 2 s each would take 107 minutes.
        let slow = WalkRules { timeout: 30_000, ..rules() };
        let w = walk(o, o, 200, 0, &slow, &mut rng);
        assert_eq!(w.end, WalkEnd::Continue);
        assert!(w.elapsed >= WALK_SPAN && w.elapsed < WALK_SPAN + 33_000, "{}", w.elapsed);
        assert_eq!(w.timeouts, w.attempts);
    }

    /// The O(1) sampler and the attempt-by-attempt one describe the same
    /// walk: their averages agree, for every retry behaviour.
    #[test]
    fn fast_sampler_matches_attempt_sampler() {
        let cases = [
            (Known { then: 100, alive: 40, open: 5 }, 0.6, 200, SnChoice::Blind),
            (Known { then: 100, alive: 90, open: 0 }, 0.1, 200, SnChoice::Blind),
            (Known { then: 100, alive: 100, open: 30 }, 1.0, 50, SnChoice::TwoChoices),
            (Known { then: 100, alive: 10, open: 0 }, 0.0, 200, SnChoice::Blind),
            (Known { then: 100, alive: 70, open: 2 }, 0.9, 200, SnChoice::TwoChoices),
        ];
        let retries = [
            Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 },
            Retry { kind: RetryKind::Exponential, base: 1.0, cap: 60.0 },
            Retry { kind: RetryKind::Jitter, base: 1.0, cap: 300.0 },
        ];
        for retry in retries {
            let rules = WalkRules { waits: Waits::new(&retry), timeout: 10_000, rtt: 300 };
            for (known, answer, remaining, choice) in cases {
                let stale = attempt_odds(Odds::of(known, answer, 1.0), choice, 0.0);
                let fresh = attempt_odds(Odds::of(Known { then: 100, alive: 100, open: 20 }, answer, 1.0), choice, 0.0);
                let n = 6_000;
                let mean = |f: fn(AttemptOdds, AttemptOdds, u32, u32, &WalkRules, &mut Rng) -> Walk, seed| {
                    let mut rng = Rng::new(seed, Stream::Engine);
                    let mut sums = [0.0; 5];
                    for _ in 0..n {
                        let w = f(stale, fresh, remaining, 0, &rules, &mut rng);
                        sums[0] += w.elapsed as f64 / 1_000.0;
                        sums[1] += w.attempts as f64;
                        sums[2] += w.timeouts as f64;
                        sums[3] += (w.end == WalkEnd::Attach) as u32 as f64;
                        sums[4] += (w.end == WalkEnd::Exhausted) as u32 as f64;
                    }
                    sums.map(|x| x / n as f64)
                };
                let each = mean(walk_each, 1);
                let fast = mean(walk_fast, 2);
                for k in 0..5 {
                    let tolerance = 0.06 * each[k].abs().max(fast[k].abs()) + 0.03;
                    assert!((each[k] - fast[k]).abs() <= tolerance, "{retry:?} {known:?}: {each:?} vs {fast:?}");
                }
            }
        }
    }

    /// A refusal loads a supernode by what it does not save; timeouts to
    /// dead entries load nothing either way.
    #[test]
    fn a_cheap_refusal_loads_less() {
        let o = Odds::of(Known { then: 10, alive: 5, open: 0 }, 1.0, 1.0);
        assert_eq!((o.dead, o.full), (0.5, 0.5));
        for (choice, probes) in [(SnChoice::Blind, 1.0), (SnChoice::TwoChoices, 2.0)] {
            assert_eq!(attempt_odds(o, choice, 0.0).live_probes, probes * 0.5);
            assert!((attempt_odds(o, choice, 0.9).live_probes - probes * 0.05).abs() < 1e-12);
            assert_eq!(attempt_odds(o, choice, 0.9).success, attempt_odds(o, choice, 0.0).success);
        }
    }

    #[test]
    fn two_choices_find_room_more_often() {
        let o = Odds::of(Known { then: 10, alive: 10, open: 2 }, 1.0, 1.0);
        assert!(attempt_odds(o, SnChoice::TwoChoices, 0.0).success > attempt_odds(o, SnChoice::Blind, 0.0).success);
    }
}

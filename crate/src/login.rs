//! The login servers: the one central element [P: Baset & Schulzrinne 2006].
//! Every client that starts must log in; a client whose host cache is used
//! up also comes here for fresh supernode addresses.
//!
//! Clients waiting to log in are pooled by retry level (consecutive
//! failures), not scheduled one event per retry: at 10 M peers a storm of
//! retries every few seconds would be billions of events. Each second the
//! pool sends as many requests as its members' retry rates add up to (a
//! member at level n sends one request per response time plus mean wait
//! after its n-th failure), the servers admit, queue and serve them, and the
//! requests served in time pick their winners from the pool, weighted by
//! retry rate. Work is proportional to logins and to level changes, which
//! backoff keeps few. The price: within a level, retries are memoryless, so
//! the model shows what backoff does to the *load* but not the
//! synchronised bursts that full jitter also removes; the host-cache walk
//! (`hostcache.rs`) does sample every wait.
//!
//! Overload, the classic metastable failure [P: Bronson et al. 2021]: the
//! servers serve requests in arrival order. When the queue holds more than
//! a timeout's worth of work, every request served has already been given up
//! by its client, who has retried: the servers are busy and nobody logs in,
//! and the retries keep the queue full after the trigger has passed. With
//! admission control the servers refuse at once what they cannot serve in
//! time (at a small cost each, `REJECT_COST`) and drop requests that have expired, so what
//! they serve is always useful.

use std::collections::VecDeque;

use crate::peer::{Peers, NONE};
use crate::policy::Retry;
use crate::rng::Rng;

/// Work of refusing a request, as a share of serving one: refusals happen
/// before authentication (a front end checks the queue), so a thousand cost
/// about one login [H].
pub const REJECT_COST: f64 = 0.001;

/// How the servers tell, each second, how many waiting clients failed and
/// move up a retry level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failures {
    /// Links of format 1 and 2: one minus the ratio of requests served in
    /// time to requests sent, that second, times each level's request rate.
    /// Kept so that those links replay as they were made. The ratio of two
    /// small counts overstates success on average (a second with fewer
    /// requests than served counts as a success above 1), and seconds above
    /// 1 left a debt of negative moves that the seconds with refusals paid
    /// off. So in small networks refused clients seldom moved up and
    /// retried (VALIDATION.md, section 2, says what that did to the 2007
    /// outage).
    ServedShare,
    /// Format 3: every request refused, or served after its client gave
    /// up, is a client that failed; the failures are shared among the
    /// levels by the requests each sent. The same at every population size.
    Counted,
}

/// Requests that arrived in the same second and wait in the queue.
#[derive(Clone, Copy, Debug)]
struct Batch {
    /// Second of arrival.
    at: u64,
    requests: u64,
    /// How many of them are first requests (level 0's), in proportion to
    /// that second's arrivals, so that a first request served after its
    /// client gave up moves its client off level 0.
    firsts: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoginStats {
    pub requests: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub timed_out: u64,
    pub retries: u64,
}

#[derive(Clone)]
pub struct LoginServer {
    /// Waiting clients by retry level.
    levels: Vec<Vec<u32>>,
    capacity: f64,
    timeout_s: f64,
    rtt_s: f64,
    queue_limit: u64,
    admission: bool,
    retry: Retry,
    failures: Failures,
    /// Requests in arrival order, by the second they arrived.
    queue: VecDeque<Batch>,
    queued: u64,
    service_carry: f64,
    arrival_carry: f64,
    move_carry: Vec<f64>,
    /// Clients that joined since the last tick; each sends its first request at once.
    joined: u64,
    /// Share of recent requests refused at once.
    refused: f64,
    pub stats: LoginStats,
}

impl LoginServer {
    /// Bytes held on the heap (for the snapshot budget): the waiting
    /// clients by level, the request queue and the carries.
    pub fn heap_bytes(&self) -> usize {
        use crate::memory::{nested_bytes, vec_bytes};
        nested_bytes(&self.levels) + self.queue.capacity() * std::mem::size_of::<Batch>() + vec_bytes(&self.move_carry)
    }

    pub fn new(
        capacity: f64,
        timeout_ms: u64,
        rtt_ms: u64,
        queue_limit: u64,
        admission: bool,
        retry: Retry,
        failures: Failures,
    ) -> Self {
        let levels = retry.levels() as usize + 1;
        LoginServer {
            levels: vec![Vec::new(); levels],
            capacity,
            timeout_s: timeout_ms as f64 / 1_000.0,
            rtt_s: rtt_ms as f64 / 1_000.0,
            queue_limit,
            admission,
            retry,
            failures,
            queue: VecDeque::new(),
            queued: 0,
            service_carry: 0.0,
            arrival_carry: 0.0,
            move_carry: vec![0.0; levels],
            joined: 0,
            refused: 0.0,
            stats: LoginStats::default(),
        }
    }

    /// The operator changes the servers' size: `capacity` logins per
    /// second, a queue of `queue_limit` requests. Requests already queued stay.
    pub fn set_capacity(&mut self, capacity: f64, queue_limit: u64) {
        self.capacity = capacity;
        self.queue_limit = queue_limit;
    }

    pub fn set_admission(&mut self, admission: bool) {
        self.admission = admission;
    }

    /// Clients retry by `retry` from now. If it has fewer levels, the
    /// clients above its last level wait at its last level, whose wait no
    /// longer grows.
    pub fn set_retry(&mut self, retry: Retry, peers: &mut Peers) {
        let levels = retry.levels() as usize + 1;
        while self.levels.len() > levels {
            let top = self.levels.pop().expect("more levels than wanted");
            for p in top {
                peers.hot[p as usize].home = (levels - 1) as u32;
                peers.hot[p as usize].pos = self.levels[levels - 1].len() as u32;
                self.levels[levels - 1].push(p);
            }
        }
        self.levels.resize(levels, Vec::new());
        self.move_carry.resize(levels, 0.0);
        self.retry = retry;
    }

    pub fn waiting(&self) -> u64 {
        self.levels.iter().map(|l| l.len() as u64).sum()
    }

    /// Waiting clients that have failed at least once (backing off).
    pub fn backing_off(&self) -> u64 {
        self.levels[1..].iter().map(|l| l.len() as u64).sum()
    }

    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Every waiting client is where its `home` (level) and `pos` say.
    pub fn check(&self, peers: &Peers) -> Result<(), String> {
        for (level, members) in self.levels.iter().enumerate() {
            for (k, &p) in members.iter().enumerate() {
                let h = &peers.hot[p as usize];
                if h.state != crate::peer::State::LoginWait as u8 || h.home != level as u32 || h.pos != k as u32 {
                    return Err(format!("waiting client {p} is out of place at level {level}, position {k}"));
                }
            }
        }
        Ok(())
    }

    pub fn join(&mut self, peer: u32, peers: &mut Peers) {
        self.joined += 1;
        peers.hot[peer as usize].home = 0;
        peers.hot[peer as usize].pos = self.levels[0].len() as u32;
        self.levels[0].push(peer);
    }

    pub fn leave(&mut self, peer: u32, peers: &mut Peers) {
        let level = peers.hot[peer as usize].home as usize;
        let pos = peers.hot[peer as usize].pos as usize;
        let list = &mut self.levels[level];
        debug_assert_eq!(list[pos], peer);
        list.swap_remove(pos);
        if let Some(&moved) = list.get(pos) {
            peers.hot[moved as usize].pos = pos as u32;
        }
        peers.hot[peer as usize].home = NONE;
        peers.hot[peer as usize].pos = NONE;
    }

    /// Takes the waiting client at `index` of `level` out of the pool, as
    /// `leave` does, without first reading where its record says it is:
    /// the caller drew the place, so the two writes to the records (its own
    /// and the one moved into its place) need not wait for either to load.
    fn take(&mut self, level: usize, index: usize, peers: &mut Peers) -> u32 {
        let list = &mut self.levels[level];
        let peer = list.swap_remove(index);
        debug_assert_eq!((peers.hot[peer as usize].home, peers.hot[peer as usize].pos), (level as u32, index as u32));
        if let Some(&moved) = list.get(index) {
            peers.hot[moved as usize].pos = index as u32;
        }
        peers.hot[peer as usize].home = NONE;
        peers.hot[peer as usize].pos = NONE;
        peer
    }

    fn move_up(&mut self, level: usize, index: usize, peers: &mut Peers) {
        let peer = self.take(level, index, peers);
        let up = level + 1;
        peers.hot[peer as usize].home = up as u32;
        peers.hot[peer as usize].pos = self.levels[up].len() as u32;
        self.levels[up].push(peer);
    }

    /// Mean seconds from one request of a level-n client to its next.
    fn cycle(&self, level: usize) -> f64 {
        let delay = if self.capacity > 0.0 { self.queued as f64 / self.capacity } else { self.timeout_s };
        let wait_reply = self.refused * self.rtt_s + (1.0 - self.refused) * (delay.min(self.timeout_s) + self.rtt_s);
        let backoff = if level == 0 { 0.0 } else { self.retry.mean_wait(level as u32) };
        (wait_reply + backoff).max(0.05)
    }

    /// One second of the login servers. Winners leave the pool and are
    /// appended to `winners`; the caller moves them on.
    pub fn tick(&mut self, now_s: u64, peers: &mut Peers, rng: &mut Rng, winners: &mut Vec<u32>) {
        // Level 0 holds clients whose first request is out: they send it
        // once, on joining. Higher levels retry at their rate.
        let rates: Vec<f64> = (0..self.levels.len()).map(|n| self.levels[n].len() as f64 / self.cycle(n)).collect();
        let first = std::mem::take(&mut self.joined);
        let total = self.arrival_carry + rates[1..].iter().sum::<f64>();
        let retries = libm::floor(total) as u64;
        self.arrival_carry = total - retries as f64;
        let arrivals = first + retries;

        // Admission: queue what can be served before the client gives up
        // (with admission control) or what fits in the queue (without).
        let room = if self.admission { (self.capacity * self.timeout_s) as u64 } else { self.queue_limit }
            .saturating_sub(self.queued);
        let admitted = arrivals.min(room);
        let refused = arrivals - admitted;
        if admitted > 0 {
            let firsts = admitted as f64 * first as f64 / arrivals as f64;
            self.queue.push_back(Batch { at: now_s, requests: admitted, firsts });
            self.queued += admitted;
        }

        // Service in arrival order.
        let mut budget = self.service_carry + self.capacity;
        if self.admission {
            budget -= refused as f64 * REJECT_COST;
        }
        let mut fresh = 0;
        let mut expired = 0;
        // Of the expired requests, how many were first requests.
        let mut expired_firsts = 0.0;
        while budget >= 1.0 {
            let Some(front) = self.queue.front_mut() else { break };
            let stale = (now_s - front.at) as f64 > self.timeout_s;
            if stale && self.admission {
                // Deadline-aware servers drop expired requests unserved.
                expired += front.requests;
                expired_firsts += front.firsts;
                self.queued -= front.requests;
                self.queue.pop_front();
                continue;
            }
            let n = front.requests.min(libm::floor(budget) as u64);
            let firsts = front.firsts * n as f64 / front.requests as f64;
            front.requests -= n;
            front.firsts -= firsts;
            self.queued -= n;
            budget -= n as f64;
            if stale {
                expired += n;
                expired_firsts += firsts;
            } else {
                fresh += n;
            }
            if front.requests == 0 {
                self.queue.pop_front();
            }
        }
        // Unused capacity does not carry over to the next second.
        self.service_carry = if self.queue.is_empty() { 0.0 } else { budget.max(0.0) };

        // Winners, weighted by how many requests each level sends (the
        // cycle times do not change within the tick; the counts do).
        let cycles: Vec<f64> = (0..self.levels.len()).map(|n| self.cycle(n)).collect();
        let mut won = 0;
        let mut waiting = self.waiting();
        while won < fresh && waiting > 0 {
            let weight = |level: &Vec<u32>, cycle: &f64| level.len() as f64 / cycle;
            let live: f64 = self.levels.iter().zip(&cycles).map(|(l, c)| weight(l, c)).sum();
            let mut pick = rng.unit() * live;
            let mut level = self.levels.len() - 1;
            for (n, (members, cycle)) in self.levels.iter().zip(&cycles).enumerate() {
                let w = weight(members, cycle);
                if pick < w && !members.is_empty() {
                    level = n;
                    break;
                }
                pick -= w;
            }
            if self.levels[level].is_empty() {
                level = (0..self.levels.len()).find(|&n| !self.levels[n].is_empty()).expect("waiting > 0");
            }
            let i = rng.below(self.levels[level].len() as u32) as usize;
            let peer = self.take(level, i, peers);
            winners.push(peer);
            won += 1;
            waiting -= 1;
        }

        // Clients whose request failed move up a retry level.
        let refused_share = if arrivals > 0 { refused as f64 / arrivals as f64 } else { 0.0 };
        self.refused = 0.9 * self.refused + 0.1 * refused_share;
        let success = if arrivals > 0 { fresh as f64 / arrivals as f64 } else { 1.0 };
        let refused_now = refused as f64;
        let retrying = rates[1..].iter().sum::<f64>();
        let sent = first as f64 + retrying;
        // Expired requests were sent earlier: first requests among them are
        // counted in their batches, the rest are shared by the retry rates.
        let expired_retries = (expired as f64 - expired_firsts).max(0.0);
        for n in (0..self.levels.len() - 1).rev() {
            let moving = match self.failures {
                Failures::ServedShare => rates[n] * (1.0 - success),
                // Refused this second: level 0 sent the first requests, level n its retries.
                Failures::Counted => {
                    let refused_here = if sent > 0.0 {
                        refused_now * if n == 0 { first as f64 } else { rates[n] } / sent
                    } else {
                        0.0
                    };
                    let expired_here = match n {
                        0 => expired_firsts,
                        _ if retrying > 0.0 => expired_retries * rates[n] / retrying,
                        _ => 0.0,
                    };
                    refused_here + expired_here
                }
            };
            let expected = self.move_carry[n] + moving;
            let moves = (libm::floor(expected) as usize).min(self.levels[n].len());
            self.move_carry[n] = (expected - moves as f64).min(1.0);
            for _ in 0..moves {
                let i = rng.below(self.levels[n].len() as u32) as usize;
                self.move_up(n, i, peers);
            }
        }

        self.stats.requests += arrivals;
        self.stats.accepted += won;
        self.stats.rejected += refused;
        self.stats.timed_out += expired;
        self.stats.retries += retries;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RetryKind;
    use crate::rng::Stream;

    fn server(capacity: f64, admission: bool) -> LoginServer {
        LoginServer::new(
            capacity,
            30_000,
            300,
            (capacity * 120.0) as u64,
            admission,
            Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 },
            Failures::Counted,
        )
    }

    fn run(mut s: LoginServer, clients: u32, seconds: u64) -> (LoginServer, u64) {
        let mut peers = Peers::with_len(clients as usize);
        let mut rng = Rng::new(1, Stream::Engine);
        for p in 0..clients {
            s.join(p, &mut peers);
        }
        let mut winners = Vec::new();
        for t in 0..seconds {
            s.tick(t, &mut peers, &mut rng, &mut winners);
        }
        (s, winners.len() as u64)
    }

    #[test]
    fn never_logs_in_more_than_its_capacity() {
        let (s, won) = run(server(10.0, false), 5_000, 100);
        assert!(won <= 100 * 10, "{won}");
        assert_eq!(s.stats.accepted, won);
        assert_eq!(won + s.waiting(), 5_000);
    }

    #[test]
    fn without_admission_a_long_queue_serves_only_expired_requests() {
        // 20,000 clients retrying every ~2 s offer ~10,000 requests/s to a
        // server doing 10/s: the queue fills past the timeout and goodput
        // collapses.
        let (no_admission, won_plain) = run(server(10.0, false), 20_000, 600);
        let (_, won_admission) = run(server(10.0, true), 20_000, 600);
        assert!(no_admission.stats.timed_out > 0);
        assert!(won_plain < won_admission / 2, "plain {won_plain}, admission {won_admission}");
        assert!(won_admission >= 1_000, "{won_admission}");
    }

    #[test]
    fn admission_with_backoff_runs_near_capacity() {
        // Refusals still cost a little: a fixed 2 s retry from 20,000
        // clients eats most of the capacity in refusals; backoff lets the
        // servers work at their capacity.
        let retry = Retry { kind: RetryKind::Jitter, base: 1.0, cap: 300.0 };
        let s = LoginServer::new(10.0, 30_000, 300, 1_200, true, retry, Failures::Counted);
        let (_, won) = run(s, 20_000, 600);
        assert!(won >= 5_000, "{won}");
    }

    /// Joins `pattern[t % len]` new clients each second for `seconds`; also
    /// gives the share of waiting clients backing off, averaged over the
    /// second half of the run.
    fn run_joins(mut s: LoginServer, pattern: &[u32], seconds: u64) -> (LoginServer, f64) {
        let total: u32 = (0..seconds).map(|t| pattern[t as usize % pattern.len()]).sum();
        let mut peers = Peers::with_len(total as usize);
        let mut rng = Rng::new(1, Stream::Engine);
        let mut winners = Vec::new();
        let mut next = 0;
        let mut shares = 0.0;
        for t in 0..seconds {
            for _ in 0..pattern[t as usize % pattern.len()] {
                s.join(next, &mut peers);
                next += 1;
            }
            s.tick(t, &mut peers, &mut rng, &mut winners);
            if t >= seconds / 2 {
                shares += s.backing_off() as f64 / s.waiting().max(1) as f64;
            }
        }
        (s, shares / (seconds - seconds / 2) as f64)
    }

    #[test]
    fn a_client_retries_only_after_a_request_failed() {
        // Uneven arrivals below capacity: some seconds bring more requests
        // than are served, so requests wait in the queue, but none is
        // refused or served late. Nobody has failed, so nobody retries.
        let pattern = [4, 14, 6, 12, 9];
        let plain = |failures| {
            let retry = Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 };
            LoginServer::new(10.0, 30_000, 300, 1_200, false, retry, failures)
        };
        let (s, _) = run_joins(plain(Failures::Counted), &pattern, 600);
        assert_eq!((s.stats.rejected, s.stats.timed_out), (0, 0));
        assert_eq!(s.backing_off(), 0);
        assert_eq!(s.stats.retries, 0);
        // The count of links of format 1 and 2 took a second that served
        // fewer requests than arrived for one in which clients failed.
        let (old, _) = run_joins(plain(Failures::ServedShare), &pattern, 600);
        assert_eq!((old.stats.rejected, old.stats.timed_out), (0, 0));
        assert!(old.stats.retries > 0);
    }

    #[test]
    fn a_first_request_served_too_late_moves_its_client_off_level_0() {
        // A queue of 120 s of work, a timeout of 30 s, no admission control:
        // of 2 000 first requests 800 are refused, 300 are served in time
        // and 900 are served after their clients gave up (and retries after
        // them). The clients of the 1 700 that failed move up and retry; at most the 300
        // served in time can leave clients at level 0 (a winner is drawn
        // from the whole pool, so it may be a retrying client instead).
        // Shared out by the second they were served in, when no first
        // requests arrive, the 900 would have left their clients there.
        let retry = Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 };
        let (s, _) = run(LoginServer::new(10.0, 30_000, 300, 1_200, false, retry, Failures::Counted), 2_000, 150);
        assert!(s.stats.rejected >= 800 && s.stats.timed_out >= 900, "{:?}", s.stats);
        assert!(s.levels[0].len() <= 300, "{} clients still at level 0", s.levels[0].len());
    }

    #[test]
    fn refused_clients_retry_at_every_size() {
        // 5% more arrivals than capacity into a queue of 20 s, at two
        // sizes, arrivals drawn at random (so that a small server's seconds
        // vary more, relatively, than a large one's): the share of waiting
        // clients that have failed and back off (over the last 300 s) is about the same. The
        // count of formats 1 and 2 put far fewer there at the small size.
        let share = |scale: u32, failures| {
            const JOIN: u32 = 21;
            const SECS: usize = 600;
            let mut draws = Rng::new(7, Stream::Population);
            let pattern: Vec<u32> =
                (0..SECS).map(|_| (0..JOIN * scale).filter(|_| draws.chance(0.5)).count() as u32).collect();
            let capacity = 10.0 * scale as f64;
            let retry = Retry { kind: RetryKind::Fixed, base: 2.0, cap: 2.0 };
            let server = LoginServer::new(capacity, 30_000, 300, (capacity * 20.0) as u64, false, retry, failures);
            let (s, share) = run_joins(server, &pattern, SECS as u64);
            assert!(s.stats.rejected > 0);
            share
        };
        let (small, large) = (share(1, Failures::Counted), share(10, Failures::Counted));
        let (old_small, old_large) = (share(1, Failures::ServedShare), share(10, Failures::ServedShare));
        assert!(small > 0.1 && (small - large).abs() < 0.1, "small {small}, large {large}");
        assert!(old_large - old_small > 0.2, "format 2: small {old_small}, large {old_large}");
    }

    #[test]
    fn a_light_load_logs_everyone_in() {
        let (s, won) = run(server(100.0, false), 500, 30);
        assert_eq!(won, 500);
        assert_eq!(s.waiting(), 0);
    }
}

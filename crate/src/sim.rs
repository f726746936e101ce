//! The engine: builds the network from a scenario and runs it, one event at
//! a time. `step` processes one event, `run_until` and `run` are built on it;
//! the caller owns the clock (the page asks for a budget of events per
//! animation frame, the CLI runs to the end).
//!
//! Event flow for a peer (see ARCHITECTURE.md for the picture):
//! Offline -> (session start) LoginWait -> (login) Searching -> (walk, attach)
//! Connected -> (session end) Offline. A Connected peer can be promoted to
//! Supernode; a peer that loses its supernode goes back to Searching; a
//! restart (wave, crash, by hand) sends it through Restarting to LoginWait.
//!
//! Two chains of events per peer: the daily schedule (session start/end) and
//! its current activity (walk, attach, end of a restart). Activity events
//! carry the peer's epoch; interrupting the activity bumps the epoch so the
//! stale events are ignored when they come up.

use crate::config::Config;
use crate::hostcache::{self, attempt_odds, Odds, WalkEnd, WalkRules};
use crate::login::LoginServer;
use crate::metrics::{self, Sample, Spread};
use crate::peer::{flags, minute_stamp, traits, Peers, State, NONE, STATES, UPTIME_BASE_MIN};
use crate::policy::{Overload, SnChoice, Supply, Waits};
use crate::queue::{Event, EventQueue};
use crate::region::{self, REGIONS};
use crate::rhythm::{local_ms, NormalDay, Rhythm};
use crate::rng::{hash_unit, Rng, Stream};
use crate::scenario::{params, Intervention, Scenario, ScenarioError, Value, P};
use crate::supernode::{class_factor, Supernodes, BUCKET, CLASSES, MEGA_CLASS};
use crate::time::{Millis, HOUR, MINUTE, SECOND};
use crate::trigger::{COUNTDOWN, INSTALL_AFTER_BOOT};

macro_rules! kinds {
    ($($kind:ident => $name:literal),* $(,)?) => {
        /// What an event does when it comes up. Activity events (a restart
        /// ending, a step of a host-cache walk, an attach, a walk that ran out
        /// of entries) carry their peer's epoch and are dropped when it moved on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Kind { $($kind),* }

        impl Kind {
            /// Every kind, in the order of `events_by_kind`.
            pub const ALL: [Kind; [$($name),*].len()] = [$(Kind::$kind),*];

            /// Its name in counts and profiles: `session_start`, `walk`, ...
            pub fn name(self) -> &'static str {
                match self { $(Kind::$kind => $name),* }
            }
        }
    };
}

kinds! {
    SessionStart => "session_start",
    SessionEnd => "session_end",
    WaveCheck => "wave_check",
    RestartBegin => "restart_begin",
    RestartEnd => "restart_end",
    Crash => "crash",
    Walk => "walk",
    Attach => "attach",
    Exhausted => "exhausted",
    Second => "second",
    Allocate => "allocate",
    Sample => "sample",
    Bucket => "bucket",
    TakeDown => "take_down",
    Mega => "mega",
}

impl Kind {
    /// The kind an event in the queue holds (the queue stores it as a byte).
    fn of(code: u8) -> Kind {
        Kind::ALL[code as usize]
    }
}

/// How many events ahead the engine also asks for a peer's record.
const PREFETCH_AHEAD: usize = 4;

/// Hash streams for per-peer values that are recomputed instead of stored.
const HASH_WAVE_DELAY: u64 = 11;

/// A reconnected faulty client crashes again this long after its login.
const CRASH_DELAY_MIN: Millis = MINUTE;
const CRASH_DELAY_MAX: Millis = 5 * MINUTE;
/// Supernodes judge their load over about ten minutes (exponential
/// average): one supernode leaving a small network must not read as a storm.
const LOAD_WINDOW_S: f64 = 600.0;

/// An overloaded supernode that protects itself goes offline after a
/// random delay of this mean (it checks its load now and then) [H].
pub const PROTECT_CHECK: Millis = 20 * MINUTE;

/// How often the allocation algorithm runs.
const ALLOCATE_EVERY: Millis = MINUTE;
/// Share of the capable peers the allocation draws at random, each minute
/// it wants promotions, to find eligible ones (online, uptime, no cooldown):
/// each eligible peer is found with at least this chance per minute, at
/// every population size [H]. Draws per promotion alone made the pace
/// depend on the population when eligible peers were scarce (a rare
/// promotion was retried every minute until found at a small size and not
/// at a large one; docs/calibration.md has the figures).
const FIND_SHARE_PER_MIN: f64 = 0.02;
/// Draws per promotion wanted, so that a fast pace (the `resilient`
/// policy's hundreds per minute per million peers) is not held back by the
/// share above when most capable peers are eligible.
const DRAWS_PER_PROMOTION: u64 = 40;
/// Mean prior uptime of always-on machines when the run starts.
const INITIAL_UPTIME_MEAN_DAYS: f64 = 4.0;

/// Sums over the current sample interval.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    seconds: u64,
    attempts: f64,
    refusals: f64,
    timeouts: f64,
    retries: f64,
    restarts: u64,
    promotions: u64,
    sn_lost: u64,
    load: f64,
}

/// A running simulation. A clone is a snapshot: it goes on exactly as the
/// original would (`timeline.rs`).
#[derive(Clone)]
pub struct Simulation {
    cfg: Config,
    scenario: Scenario,
    peers: Peers,
    sns: Supernodes,
    login: LoginServer,
    queue: EventQueue,
    rhythm: Rhythm,
    rng: Rng,
    now: Millis,
    events: u64,
    by_kind: [u64; Kind::ALL.len()],
    offsets: [i64; REGIONS.len()],
    /// The "normal day" curve: the population counted by region as it is built.
    normal: NormalDay,
    capable: Vec<u32>,
    counts: [u64; STATES.len()],
    search_backoff: u64,
    probes: Spread,
    attempts: Spread,
    refusals: Spread,
    timeouts: Spread,
    retries: Spread,
    /// Connection attempts per second per live supernode, averaged over
    /// about ten minutes (`LOAD_WINDOW_S`).
    load: f64,
    tally: Tally,
    login_seen: crate::login::LoginStats,
    series: Vec<Sample>,
    /// FNV-1a over every value of every sample so far.
    series_hash: u64,
    promote_carry: f64,
    promotions_total: u64,
    drop_carry: [f64; CLASSES],
    /// Recent share of final attach attempts that got a place (EWMA).
    token_luck: f64,
    attach_tries: u64,
    attach_hits: u64,
    winners: Vec<u32>,
    rules: WalkRules,
    /// `class_factor` of each overload class, computed once: `overload`
    /// asks for all 16 every second, and each is a `pow`.
    class_factors: [f64; CLASSES],
    done: bool,
    /// The operator's interventions: what is in force and what is next.
    operator: Operator,
}

/// What the interventions have done so far and when the next one comes.
#[derive(Clone, Debug)]
struct Operator {
    /// Time of the next intervention not yet applied; `Millis::MAX` when
    /// none is left, so `step` compares once and moves on.
    next: Millis,
    /// Interventions of the scenario applied so far (a prefix of its list).
    applied: usize,
    /// The values in force: the scenario's start values with the applied
    /// interventions.
    current: Scenario,
    /// `wave=off`: restarts of the wave that had not happened are cancelled.
    wave_off: bool,
    /// Mega-supernode starts carry the plan they belong to; a new plan
    /// (`mega_count` at an intervention) drops the pending starts of the old.
    mega_plan: u16,
    megas_started: u32,
}

/// Promotion buckets a run of `duration` needs: every time up to the end
/// falls in its own bucket (`Supernodes::bucket_of` never clamps).
fn buckets_for(duration: Millis) -> usize {
    (duration / BUCKET) as usize + 2
}

impl Simulation {
    /// Builds the network at its start state: who is online, the supernode
    /// core sized for them, every client attached.
    pub fn new(scenario: &Scenario) -> Simulation {
        let cfg = Config::new(scenario);
        let seed = cfg.seed;
        let n = cfg.peers as usize;
        let buckets = buckets_for(cfg.duration);
        let mut sim = Simulation {
            login: LoginServer::new(
                cfg.login_capacity,
                cfg.login_timeout,
                cfg.rtt,
                cfg.login_queue,
                cfg.login_admission,
                cfg.retry,
                cfg.login_failures,
            ),
            rules: WalkRules { waits: Waits::new(&cfg.retry), timeout: cfg.attach_timeout, rtt: cfg.rtt },
            offsets: std::array::from_fn(|r| REGIONS[r].offset_ms(cfg.month)),
            normal: NormalDay::new(
                cfg.start_unix_ms,
                std::array::from_fn(|r| REGIONS[r].offset_ms(cfg.month)),
                cfg.peers,
            ),
            cfg,
            scenario: scenario.clone(),
            peers: Peers::with_len(n),
            sns: Supernodes::new(buckets),
            queue: EventQueue::new(),
            rhythm: Rhythm::new(),
            rng: Rng::new(seed, Stream::Engine),
            now: 0,
            events: 0,
            by_kind: [0; Kind::ALL.len()],
            capable: Vec::new(),
            counts: [0; STATES.len()],
            search_backoff: 0,
            probes: Spread::default(),
            attempts: Spread::default(),
            refusals: Spread::default(),
            timeouts: Spread::default(),
            retries: Spread::default(),
            load: 0.0,
            tally: Tally::default(),
            login_seen: Default::default(),
            series: Vec::new(),
            series_hash: metrics::FNV_START,
            promote_carry: 0.0,
            promotions_total: 0,
            drop_carry: [0.0; CLASSES],
            token_luck: 1.0,
            attach_tries: 0,
            attach_hits: 0,
            winners: Vec::new(),
            class_factors: std::array::from_fn(class_factor),
            done: false,
            operator: Operator {
                next: Millis::MAX,
                applied: 0,
                current: scenario.without_interventions(),
                wave_off: false,
                mega_plan: 0,
                megas_started: 0,
            },
        };
        sim.operator.next = sim.next_intervention_time();
        sim.populate();
        sim.schedule_start();
        sim
    }

    fn populate(&mut self) {
        let cfg = &self.cfg;
        let mut rng = Rng::new(cfg.seed, Stream::Population);
        let wave_share = cfg.wave.as_ref().map_or(0.0, |w| w.share);
        let crash_prob = cfg.crash.map_or(0.0, |c| c.prob);
        let mut online = Vec::new();
        for p in 0..cfg.peers {
            let i = p as usize;
            // A fixed number of draws per peer, so the population does not
            // depend on which triggers are switched on or how likely they are.
            let r = region::pick(rng.unit());
            let always_on = rng.unit() < cfg.always_on;
            let capable = rng.unit() < cfg.capable;
            let au = rng.unit() < cfg.windows_au;
            let faulty = rng.unit() < cfg.faulty;
            let (wave_draw, crash_draw) = (rng.unit(), rng.unit());
            let wave = au && wave_draw < wave_share;
            let crashes = faulty && crash_draw < crash_prob;
            let on_draw = rng.unit();
            let up_draw = rng.unit();
            self.peers.region[i] = r;
            let mut t = 0;
            t |= if capable { traits::CAPABLE } else { 0 };
            t |= if au { traits::WINDOWS_AU } else { 0 };
            t |= if faulty { traits::FAULTY } else { 0 };
            t |= if always_on { traits::ALWAYS_ON } else { 0 };
            t |= if wave { traits::WAVE } else { 0 };
            t |= if crashes { traits::CRASHES } else { 0 };
            self.peers.traits[i] = t;
            if capable {
                self.capable.push(p);
            }
            let counts = &mut self.normal.counts[r as usize];
            if always_on {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            let local = local_ms(cfg.start_unix_ms, 0, self.offsets[r as usize]);
            let is_on = always_on || on_draw < self.rhythm.occupancy(local);
            if is_on {
                let mean_min = if always_on { INITIAL_UPTIME_MEAN_DAYS * 1_440.0 } else { 240.0 };
                let up_min = (-libm::log(1.0 - up_draw) * mean_min).min((UPTIME_BASE_MIN - 1) as f64);
                self.peers.up_since[i] = minute_stamp(UPTIME_BASE_MIN - up_min as u64);
                online.push(p);
            }
        }
        self.counts[State::Offline as usize] = cfg.peers as u64;

        // The supernode core, sized for who is online, from capable peers
        // with enough uptime (any capable peer if there are too few).
        let wanted = (online.len() as u64).div_ceil(self.cfg.sn_target as u64) as usize;
        let uptime = self.cfg.promote_uptime;
        let mut eligible: Vec<u32> = online
            .iter()
            .copied()
            .filter(|&p| self.peers.has(p, traits::CAPABLE) && self.peers.uptime(p, 0) >= uptime)
            .collect();
        if eligible.len() < wanted {
            eligible = online.iter().copied().filter(|&p| self.peers.has(p, traits::CAPABLE)).collect();
        }
        for k in 0..wanted.min(eligible.len()) {
            let j = k + rng.below((eligible.len() - k) as u32) as usize;
            eligible.swap(k, j);
            let host = eligible[k];
            self.make_supernode(host);
        }
        for &p in &online {
            if self.peers.state(p) == State::Supernode {
                continue;
            }
            match self.pick_with_room(None, 2) {
                Some(slot) => {
                    self.set_state(p, State::Connected);
                    self.sns.attach(slot, p, &mut self.peers);
                }
                None => {
                    self.set_state(p, State::Searching);
                    let d = 1 + self.rng.below(1_000) as Millis;
                    self.schedule_activity(p, Kind::Walk, d);
                }
            }
        }
    }

    fn schedule_start(&mut self) {
        let n = self.cfg.peers;
        for p in 0..n {
            if self.peers.has(p, traits::ALWAYS_ON) {
                continue;
            }
            let local = self.local(p, 0);
            if self.peers.state(p) == State::Offline {
                let d = self.rhythm.delay_to_start(local, &mut self.rng);
                self.push(d, p, Kind::SessionStart);
            } else {
                let d = self.rhythm.delay_to_end(local, &mut self.rng);
                self.push(d, p, Kind::SessionEnd);
            }
        }
        if let Some(wave) = self.cfg.wave.clone() {
            for p in 0..n {
                if self.peers.has(p, traits::WAVE) {
                    let at = if wave.bunching {
                        wave.install_at[self.peers.region[p as usize] as usize]
                    } else {
                        self.cfg.trigger + self.wave_delay(p)
                    };
                    self.push(at, p, Kind::WaveCheck);
                }
            }
        }
        if let Some(crash) = self.cfg.crash {
            for p in 0..n {
                if self.peers.has(p, traits::CRASHES) {
                    let at = self.cfg.trigger + (self.rng.unit() * crash.window as f64) as Millis;
                    self.push(at, p, Kind::Crash);
                }
            }
        }
        if self.cfg.sn_down > 0.0 {
            self.push(self.cfg.trigger, NONE, Kind::TakeDown);
        }
        if let Some(mega) = self.cfg.mega {
            for k in 0..mega.count {
                let at = mega.first + mega.ramp * k as Millis / mega.count as Millis;
                self.push(at, NONE, Kind::Mega);
            }
        }
        self.push(0, NONE, Kind::Sample);
        self.push(SECOND, NONE, Kind::Second);
        self.push(ALLOCATE_EVERY, NONE, Kind::Allocate);
        self.push(BUCKET, NONE, Kind::Bucket);
    }

    // ---- public API ---------------------------------------------------

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn now(&self) -> Millis {
        self.now
    }
    pub fn end(&self) -> Millis {
        self.cfg.duration
    }
    pub fn is_done(&self) -> bool {
        self.done
    }
    pub fn events(&self) -> u64 {
        self.events
    }
    /// Events processed so far, by kind (in the order of `Kind::ALL`).
    pub fn events_by_kind(&self) -> [u64; Kind::ALL.len()] {
        self.by_kind
    }
    pub fn series(&self) -> &[Sample] {
        &self.series
    }
    /// FNV-1a over the series so far (see `metrics::digest`).
    pub fn series_hash(&self) -> u64 {
        self.series_hash
    }
    /// The run digest so far (`metrics::digest`): the page's "run fingerprint".
    pub fn digest(&self) -> u64 {
        metrics::digest(self.series_hash, self.events, &self.counts)
    }
    pub fn peers(&self) -> &Peers {
        &self.peers
    }
    pub fn supernodes(&self) -> &Supernodes {
        &self.sns
    }
    pub fn login(&self) -> &LoginServer {
        &self.login
    }
    pub fn state_counts(&self) -> [u64; STATES.len()] {
        self.counts
    }
    /// Searching peers that have failed at least once in their current walk.
    pub fn searching_backing_off(&self) -> u64 {
        self.search_backoff
    }
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }
    /// Connection attempts per second per live supernode, averaged over
    /// about ten minutes.
    pub fn load(&self) -> f64 {
        self.load
    }

    /// Time of the next event, if any (taking a look may bring the queue's
    /// next slot down, as `step` does; it changes no outcome).
    pub fn next_event_time(&mut self) -> Option<Millis> {
        self.queue.next_time()
    }

    /// Bytes the run holds on the heap: every vector's capacity and the
    /// queue's chunks; a snapshot (a clone) holds about this much
    /// (`timeline.rs` budgets snapshots by it).
    pub fn heap_bytes(&self) -> usize {
        use crate::memory::vec_bytes;
        self.peers.heap_bytes()
            + self.sns.heap_bytes()
            + self.login.heap_bytes()
            + self.queue.heap_bytes()
            + self.rhythm.heap_bytes()
            + self.normal.heap_bytes()
            + vec_bytes(&self.capable)
            + [&self.probes, &self.attempts, &self.refusals, &self.timeouts, &self.retries]
                .iter()
                .map(|s| s.heap_bytes())
                .sum::<usize>()
            + vec_bytes(&self.series)
            + vec_bytes(&self.winners)
            // The scenario's values, one per parameter.
            + params::PARAMS.len() * std::mem::size_of::<Value>()
    }

    /// Processes the next event; false when the run is over.
    pub fn step(&mut self) -> bool {
        if self.done {
            return false;
        }
        // Look before taking: an event past the end stays queued, so a run
        // made longer by `extend` goes on exactly as a longer run would.
        // An intervention comes after every event at or before its time.
        while self.operator.next != Millis::MAX && self.queue.next_time().is_none_or(|t| t > self.operator.next) {
            self.apply_next_intervention();
        }
        match self.queue.next_time() {
            None => {
                self.done = true;
                return false;
            }
            Some(t) if t > self.cfg.duration => {
                self.now = self.cfg.duration;
                self.done = true;
                return false;
            }
            Some(_) => {}
        }
        let e = self.queue.pop().expect("an event was just seen");
        if let Some(next) = self.queue.next_peer_hint() {
            self.peers.prefetch(next);
        }
        if let Some(later) = self.queue.peer_ahead(PREFETCH_AHEAD) {
            self.peers.prefetch(later);
        }
        self.now = e.time;
        self.events += 1;
        self.by_kind[e.kind as usize] += 1;
        self.handle(e);
        true
    }

    /// Runs every event up to and including time `t` (clamped to the end).
    pub fn run_until(&mut self, t: Millis) {
        let t = t.min(self.cfg.duration);
        while !self.done {
            match self.queue.next_time() {
                Some(next) if next <= t => {
                    self.step();
                }
                // Interventions at `t` are applied before the run stops, so
                // one made now (`intervene`) comes after them.
                _ if self.operator.next <= t => self.apply_next_intervention(),
                _ => break,
            }
        }
        if !self.done {
            self.now = self.now.max(t);
            if t >= self.cfg.duration {
                self.done = true;
            }
        }
    }

    /// Runs at most `budget` events; returns how many ran.
    pub fn run_events(&mut self, budget: u64) -> u64 {
        let mut n = 0;
        while n < budget && self.step() {
            n += 1;
        }
        n
    }

    pub fn run(&mut self) {
        self.run_until(self.cfg.duration);
    }

    /// Makes the run `hours` long in all, so it can go on where it stopped.
    /// Nothing that happened is changed: the run then gives what a run of
    /// the longer scenario gives, event for event (the scenario, its link
    /// and its fingerprint become the longer run's). `hours` must be more
    /// than the run's length now and within the `hours` parameter's range.
    pub fn extend(&mut self, hours: u32) -> Result<(), ScenarioError> {
        let now_h = self.scenario.int(P::Hours);
        let most = params::most_hours();
        if i64::from(hours) <= now_h || i64::from(hours) > most {
            return Err(ScenarioError::BadValue {
                key: "hours".into(),
                value: hours.to_string(),
                allowed: format!("more than this run's {now_h} h, up to {most}"),
            });
        }
        let mut longer = self.scenario.clone();
        longer.set_value(P::Hours, Value::Int(i64::from(hours)))?;
        longer.validate()?;
        // The queue's clock may already stand at the next event, past the
        // old end (`step` looked at it): nothing is pushed here, and the
        // next push comes from handling that event, so none goes back in time.
        self.scenario = longer;
        self.cfg.duration = u64::from(hours) * HOUR;
        self.sns.grow_buckets(buckets_for(self.cfg.duration));
        self.done = false;
        Ok(())
    }

    /// Makes `changes` (key, value pairs as in an `at=` value) now, as an
    /// operator would, and records them in the scenario as an intervention
    /// at this time, so that its link's straight run is this run. `now`
    /// must be a whole minute after the start and before the end; the
    /// events at `now` still queued run first, as in the straight run.
    pub fn intervene(&mut self, changes: &[(String, String)]) -> Result<(), ScenarioError> {
        let text = format!(
            "{}:{}",
            crate::scenario::intervention::format_time((self.now / MINUTE) as u32),
            changes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
        );
        if self.now % MINUTE != 0 || self.now == 0 || self.now >= self.cfg.duration {
            return Err(ScenarioError::BadIntervention {
                value: text,
                reason: format!(
                    "an intervention is made at a whole minute after 0 and before the run's end at {}h; the run \
                     stands at {} ms",
                    self.cfg.duration / HOUR,
                    self.now
                ),
            });
        }
        // Parsed as in a link, so the messages are the link's.
        let iv = Intervention::parse(&text)?;
        self.run_until(self.now);
        let mut with = self.scenario.clone();
        // A link of format 3 is the same run in format 4, which has interventions.
        with.adopt_current_format();
        let mut list = with.interventions().to_vec();
        list.insert(self.operator.applied, iv);
        with.set_interventions(list);
        if with.format() < crate::scenario::INTERVENTIONS_SINCE {
            return Err(ScenarioError::BadIntervention {
                value: text,
                reason: format!(
                    "interventions need a link of format v={} or later; this run's link is v={}",
                    crate::scenario::INTERVENTIONS_SINCE,
                    with.format()
                ),
            });
        }
        with.validate()?;
        self.scenario = with;
        self.operator.next = self.now;
        self.apply_next_intervention();
        Ok(())
    }

    /// Replaces the interventions still to come (after those applied) by
    /// those of `scenario`, which must be this run's scenario in every
    /// other value and in every intervention applied so far. A run restored
    /// from a snapshot takes the interventions the visitor has since made.
    pub fn adopt_interventions(&mut self, scenario: &Scenario) -> Result<(), ScenarioError> {
        let applied = &self.scenario.interventions()[..self.operator.applied];
        let theirs = scenario.interventions();
        let refuse = |reason: &str| ScenarioError::Conflict {
            key: "at".into(),
            value: theirs.iter().map(Intervention::text).collect::<Vec<_>>().join("&at="),
            reason: reason.into(),
        };
        if scenario.without_interventions() != self.scenario.without_interventions() {
            return Err(refuse("the scenario differs from this run's in other values than its interventions"));
        }
        if theirs.len() < applied.len() || theirs[..applied.len()] != *applied {
            return Err(refuse("the interventions this run has already made must stay as they are"));
        }
        if theirs[applied.len()..].iter().any(|iv| iv.at_ms() < self.now) {
            return Err(refuse("an intervention still to come must not be earlier than the run's time"));
        }
        scenario.validate()?;
        self.scenario = scenario.clone();
        self.operator.next = self.next_intervention_time();
        Ok(())
    }

    /// Time of the first intervention not yet applied, `Millis::MAX` if none.
    fn next_intervention_time(&self) -> Millis {
        self.scenario.interventions().get(self.operator.applied).map_or(Millis::MAX, Intervention::at_ms)
    }

    /// Applies the next intervention at its time: every event at or before
    /// it has run, none after it.
    fn apply_next_intervention(&mut self) {
        let iv = self.scenario.interventions()[self.operator.applied].clone();
        self.now = self.now.max(iv.at_ms());
        self.operator.applied += 1;
        self.operator.next = self.next_intervention_time();
        self.operator.current.apply(&iv);
        let now = Config::new(&self.operator.current);
        let cfg = &mut self.cfg;
        cfg.login_capacity = now.login_capacity;
        cfg.login_queue = now.login_queue;
        cfg.login_admission = now.login_admission;
        cfg.retry = now.retry;
        cfg.promote_uptime = now.promote_uptime;
        cfg.promote_rate = now.promote_rate;
        cfg.promote_counts = now.promote_counts;
        cfg.sn_choice = now.sn_choice;
        cfg.sn_overload = now.sn_overload;
        self.login.set_capacity(now.login_capacity, now.login_queue);
        self.login.set_admission(now.login_admission);
        self.login.set_retry(now.retry, &mut self.peers);
        self.rules.waits = Waits::new(&now.retry);
        if iv.get(P::RestartRate).is_some() {
            // Restarts planned from now on are spread for the new rate;
            // those counting down keep their moment.
            if let (Some(wave), Some(planned)) = (self.cfg.wave.as_mut(), now.wave.as_ref()) {
                wave.spread = planned.spread;
            }
        }
        if iv.get(P::Wave) == Some(Value::Bool(false)) {
            self.operator.wave_off = true;
        }
        if iv.get(P::MegaCount).is_some() {
            self.plan_megas(now.mega);
        }
    }

    /// A new plan of mega-supernodes from now: as many as `mega` counts in
    /// all (those started stay), the rest started over its ramp; the
    /// starts of the plan before that have not come are dropped.
    fn plan_megas(&mut self, mega: Option<crate::config::Mega>) {
        self.operator.mega_plan = self.operator.mega_plan.wrapping_add(1);
        let Some(mut m) = mega else { return };
        let left = m.count.saturating_sub(self.operator.megas_started);
        m.first = self.now;
        self.cfg.mega = Some(m);
        for k in 0..left {
            let at = self.now + m.ramp * k as Millis / left as Millis;
            self.queue.push(Event { time: at, peer: NONE, kind: Kind::Mega as u8, epoch: self.operator.mega_plan });
        }
    }

    // ---- events -------------------------------------------------------

    fn push(&mut self, at: Millis, peer: u32, k: Kind) {
        let epoch = if peer == NONE { 0 } else { self.peers.hot[peer as usize].epoch };
        self.queue.push(Event { time: at.max(self.now), peer, kind: k as u8, epoch });
    }

    fn schedule_activity(&mut self, p: u32, k: Kind, delay: Millis) {
        self.push(self.now + delay, p, k);
    }

    fn handle(&mut self, e: Event) {
        let p = e.peer;
        let kind = Kind::of(e.kind);
        let stale = || self.peers.hot[p as usize].epoch != e.epoch;
        match kind {
            Kind::SessionStart => self.session_start(p),
            Kind::SessionEnd => self.session_end(p),
            Kind::WaveCheck => self.wave_check(p),
            Kind::RestartBegin => self.restart_begin(p),
            Kind::Crash => self.crash(p),
            Kind::Second => self.second(),
            Kind::Allocate => self.allocate(),
            Kind::Sample => self.sample(),
            Kind::Bucket => {
                self.sns.close_bucket();
                self.push(self.now + BUCKET, NONE, Kind::Bucket);
            }
            Kind::TakeDown => self.take_down(),
            Kind::Mega if e.epoch == self.operator.mega_plan => self.start_mega(),
            Kind::Mega => {}
            // Activities: dropped when the peer has moved on since.
            Kind::RestartEnd | Kind::Walk | Kind::Attach | Kind::Exhausted if stale() => {}
            Kind::RestartEnd => self.restart_end(p),
            Kind::Walk => self.walk(p),
            Kind::Attach => self.attach(p),
            Kind::Exhausted => self.exhausted(p),
        }
    }

    fn local(&self, p: u32, t: Millis) -> u64 {
        local_ms(self.cfg.start_unix_ms, t, self.offsets[self.peers.region[p as usize] as usize])
    }

    fn set_state(&mut self, p: u32, s: State) {
        let old = self.peers.hot[p as usize].state as usize;
        self.counts[old] -= 1;
        self.counts[s as usize] += 1;
        self.peers.hot[p as usize].state = s as u8;
    }

    fn set_backing_off(&mut self, p: u32, on: bool) {
        if self.peers.flag(p, flags::BACKING_OFF) != on {
            self.peers.set_flag(p, flags::BACKING_OFF, on);
            if on {
                self.search_backoff += 1;
            } else {
                self.search_backoff -= 1;
            }
        }
    }

    fn now_min(&self) -> u16 {
        minute_stamp(self.now / MINUTE)
    }

    fn wave_delay(&self, p: u32) -> Millis {
        let spread = self.cfg.wave.as_ref().map_or(0, |w| w.spread);
        (hash_unit(self.cfg.seed, HASH_WAVE_DELAY, p as u64) * spread as f64) as Millis
    }

    /// Stops whatever the peer is doing: leaves its supernode, login queue
    /// or walk; a supernode host stops serving.
    fn interrupt(&mut self, p: u32) {
        let i = p as usize;
        match self.peers.state(p) {
            State::Supernode => {
                let slot = self.peers.hot[i].home;
                self.drop_supernode(slot);
                self.peers.hot[i].home = NONE;
                self.peers.block_until[i] = minute_stamp((self.now + self.cfg.sn_cooldown) / MINUTE);
            }
            State::Connected => {
                let slot = self.peers.hot[i].home;
                self.sns.detach(slot, p, &mut self.peers);
            }
            State::LoginWait => self.login.leave(p, &mut self.peers),
            _ => {}
        }
        self.set_backing_off(p, false);
        self.peers.hot[i].epoch = self.peers.hot[i].epoch.wrapping_add(1);
        self.peers.hot[i].level = 0;
        self.peers.hot[i].walked = 0;
    }

    fn go_login(&mut self, p: u32) {
        self.set_state(p, State::LoginWait);
        self.login.join(p, &mut self.peers);
    }

    fn session_start(&mut self, p: u32) {
        if self.peers.state(p) != State::Offline {
            return;
        }
        self.peers.boot(p, self.now);
        self.go_login(p);
        let local = self.local(p, self.now);
        let d = self.rhythm.delay_to_end(local, &mut self.rng);
        self.push(self.now + d, p, Kind::SessionEnd);
        if self.peers.flag(p, flags::PATCH_PENDING) && self.operator.wave_off {
            self.peers.set_flag(p, flags::PATCH_PENDING, false);
        } else if self.peers.flag(p, flags::PATCH_PENDING) {
            self.peers.set_flag(p, flags::PATCH_PENDING, false);
            self.peers.set_flag(p, flags::RESTART_DUE, true);
            let bunching = self.cfg.wave.as_ref().is_some_and(|w| w.bunching);
            let delay = INSTALL_AFTER_BOOT + COUNTDOWN + if bunching { self.wave_delay(p) } else { 0 };
            self.push(self.now + delay, p, Kind::RestartBegin);
        }
    }

    fn session_end(&mut self, p: u32) {
        if self.peers.state(p) == State::Offline {
            return;
        }
        self.interrupt(p);
        self.set_state(p, State::Offline);
        if self.peers.flag(p, flags::RESTART_DUE) {
            self.peers.set_flag(p, flags::RESTART_DUE, false);
            self.peers.set_flag(p, flags::PATCH_PENDING, true);
        }
        let local = self.local(p, self.now);
        let d = self.rhythm.delay_to_start(local, &mut self.rng);
        self.push(self.now + d, p, Kind::SessionStart);
    }

    fn wave_check(&mut self, p: u32) {
        if self.peers.flag(p, flags::PATCHED) || self.operator.wave_off {
            return;
        }
        let bunching = self.cfg.wave.as_ref().is_some_and(|w| w.bunching);
        if self.peers.state(p) == State::Offline {
            // With the 3:00 rule a PC that is off installs at its next boot
            // [P]; without bunching it installs in a later wave.
            if bunching {
                self.peers.set_flag(p, flags::PATCH_PENDING, true);
            }
            return;
        }
        self.peers.set_flag(p, flags::RESTART_DUE, true);
        let delay = COUNTDOWN + if bunching { self.wave_delay(p) } else { 0 };
        self.push(self.now + delay, p, Kind::RestartBegin);
    }

    fn restart_begin(&mut self, p: u32) {
        if !self.peers.flag(p, flags::RESTART_DUE) || self.peers.state(p) == State::Offline {
            return;
        }
        if self.operator.wave_off {
            self.peers.set_flag(p, flags::RESTART_DUE, false);
            return;
        }
        self.peers.set_flag(p, flags::RESTART_DUE, false);
        self.peers.set_flag(p, flags::PATCHED, true);
        let hits_sn = self.cfg.wave.as_ref().is_none_or(|w| w.hits_sn);
        if self.peers.state(p) == State::Supernode && !hits_sn {
            return;
        }
        self.restart(p, self.cfg.reboot);
    }

    /// A PC reboot or a client restart after a crash.
    fn restart(&mut self, p: u32, downtime: Millis) {
        if matches!(self.peers.state(p), State::Offline | State::Restarting) {
            return;
        }
        // A restarted supernode does not serve again at once [P]: its
        // host waits out the cooldown (set by `interrupt`) after it is back.
        let was_supernode = self.peers.state(p) == State::Supernode;
        self.interrupt(p);
        self.set_state(p, State::Restarting);
        // Uptime, for promotion, is the client's: it restarts with a reboot
        // and with a crash alike.
        self.peers.boot(p, self.now + downtime);
        if was_supernode {
            let i = p as usize;
            let blocked = minute_stamp((self.now + downtime + self.cfg.sn_cooldown) / MINUTE);
            self.peers.block_until[i] = self.peers.block_until[i].max(blocked);
        }
        self.tally.restarts += 1;
        self.schedule_activity(p, Kind::RestartEnd, downtime.max(1));
    }

    fn restart_end(&mut self, p: u32) {
        if self.peers.state(p) != State::Restarting {
            return;
        }
        self.go_login(p);
    }

    fn crash(&mut self, p: u32) {
        if let Some(c) = self.cfg.crash {
            if self.now < self.cfg.trigger + c.window {
                self.restart(p, c.restart);
            }
        }
    }

    /// A faulty client that reconnects while the message servers are still
    /// slow gets the delayed replies again and crashes again [H: the
    /// post-mortem's crash cause lasted for hours].
    fn expose_to_crash(&mut self, p: u32) {
        if let Some(c) = self.cfg.crash {
            if self.peers.has(p, traits::CRASHES)
                && self.now >= self.cfg.trigger
                && self.now < self.cfg.trigger + c.window
            {
                let delay = CRASH_DELAY_MIN + (self.rng.unit() * (CRASH_DELAY_MAX - CRASH_DELAY_MIN) as f64) as Millis;
                self.push(self.now + delay, p, Kind::Crash);
            }
        }
    }

    // ---- the host-cache walk ----------------------------------------------

    fn start_walk(&mut self, p: u32, delay: Millis) {
        self.set_state(p, State::Searching);
        self.schedule_activity(p, Kind::Walk, delay);
    }

    fn walk(&mut self, p: u32) {
        if self.peers.state(p) != State::Searching {
            return;
        }
        let i = p as usize;
        // Supernodes with room may still be out of admission tokens: the
        // share of attaches that found one lately tells how often.
        let (answer, luck) = (self.sns.mean_answer(), self.token_luck);
        // A refusal by a supernode that is not overloaded may cost it less
        // than an attempt; which refusals those are is taken network-wide.
        let saving = if self.cfg.sn_refusal_cost < 1.0 {
            (1.0 - self.cfg.sn_refusal_cost) * self.sns.calm_refusal_share(answer, luck)
        } else {
            0.0
        };
        let odds = |known| attempt_odds(Odds::of(known, answer, luck), self.cfg.sn_choice, saving);
        let stale = odds(self.sns.known(self.sns.bucket_of(self.peers.hot[i].cache_at as Millis * MINUTE)));
        let fresh = odds(self.sns.known_now(self.now));
        let remaining = self.cfg.cache_size.saturating_sub(self.peers.hot[i].walked as u32);
        let w = hostcache::walk(stale, fresh, remaining, self.peers.hot[i].level as u32, &self.rules, &mut self.rng);
        if w.refreshed {
            self.peers.hot[i].cache_at = self.now_min();
        }
        self.peers.hot[i].walked = (self.peers.hot[i].walked as u32 + w.used).min(255) as u8;
        self.peers.hot[i].level = w.failures.min(255) as u8;
        self.set_backing_off(p, w.failures > 0);
        let (now, span) = (self.now, w.elapsed.max(1));
        self.probes.add(now, span, w.live_probes);
        self.attempts.add(now, span, w.attempts as f64);
        self.refusals.add(now, span, w.refusals as f64);
        self.timeouts.add(now, span, w.timeouts as f64);
        self.retries.add(now, span, (w.timeouts + w.refusals) as f64);
        let next = match w.end {
            WalkEnd::Attach => Kind::Attach,
            WalkEnd::Exhausted => Kind::Exhausted,
            WalkEnd::Continue => Kind::Walk,
        };
        self.schedule_activity(p, next, span);
    }

    /// A random live supernode that takes new clients (not full, not
    /// overloaded), among those a cache refreshed in `bucket` can know
    /// (`None`: any); the one with more room of `probes` such draws.
    fn pick_with_room(&mut self, bucket: Option<u32>, probes: u32) -> Option<u32> {
        let open = self.sns.open.len() as u32;
        if open == 0 {
            return None;
        }
        let mut best: Option<u32> = None;
        let mut found = 0;
        for _ in 0..64 {
            let slot = self.sns.open[self.rng.below(open) as usize];
            let sn = &self.sns.slots[slot as usize];
            if bucket.is_some_and(|b| sn.bucket > b) {
                continue;
            }
            if best.is_none_or(|b| sn.room() > self.sns.slots[b as usize].room()) {
                best = Some(slot);
            }
            found += 1;
            if found == probes {
                break;
            }
        }
        best
    }

    fn attach(&mut self, p: u32) {
        if self.peers.state(p) != State::Searching {
            return;
        }
        let i = p as usize;
        let bucket = self.sns.bucket_of(self.peers.hot[i].cache_at as Millis * MINUTE);
        let probes = if self.cfg.sn_choice == SnChoice::TwoChoices { 2 } else { 1 };
        let target = self.pick_with_room(Some(bucket), probes);
        let got = target.filter(|&s| self.sns.take_token(s, self.now));
        if target.is_some() {
            self.attach_tries += 1;
            self.attach_hits += u64::from(got.is_some());
        }
        if let Some(slot) = got {
            self.sns.attach(slot, p, &mut self.peers);
            self.set_state(p, State::Connected);
            self.expose_to_crash(p);
            self.set_backing_off(p, false);
            self.peers.hot[i].cache_at = self.now_min();
            self.peers.hot[i].walked = 0;
            self.peers.hot[i].level = 0;
            return;
        }
        // The supernode it reached was full or out of tokens by now.
        self.refusals.add(self.now, 1, 1.0);
        self.retries.add(self.now, 1, 1.0);
        self.peers.hot[i].walked = self.peers.hot[i].walked.saturating_add(probes as u8);
        self.peers.hot[i].level = self.peers.hot[i].level.saturating_add(1);
        self.set_backing_off(p, true);
        let delay = self.cfg.rtt + self.rules.waits.wait_ms(self.peers.hot[i].level as u32, &mut self.rng);
        self.schedule_activity(p, Kind::Walk, delay);
    }

    fn exhausted(&mut self, p: u32) {
        if self.peers.state(p) != State::Searching {
            return;
        }
        self.set_backing_off(p, false);
        self.peers.set_flag(p, flags::NEEDS_FRESH, true);
        self.peers.hot[p as usize].level = 0;
        self.peers.hot[p as usize].walked = 0;
        self.go_login(p);
    }

    // ---- supernodes ---------------------------------------------------------

    /// Overload classes are dealt round-robin in promotion order, so the
    /// supernodes alive at any time cover the classes evenly whether there
    /// are 20 of them or 50,000: with a random draw, a small network's
    /// outcome would hang on which classes its few supernodes happened to get.
    fn next_class(&mut self) -> u8 {
        let c = (self.promotions_total % CLASSES as u64) as u8;
        self.promotions_total += 1;
        c
    }

    fn make_supernode(&mut self, host: u32) {
        let class = self.next_class();
        let slot = self.sns.create(host, self.cfg.sn_capacity, self.cfg.sn_accept_rate, class, self.now);
        self.set_state(host, State::Supernode);
        self.peers.hot[host as usize].home = slot;
        self.peers.hot[host as usize].pos = NONE;
    }

    /// Removes a supernode and sends its clients searching; they notice
    /// within the keep-alive timeout.
    fn drop_supernode(&mut self, slot: u32) {
        let clients = self.sns.remove(slot);
        self.tally.sn_lost += 1;
        self.orphan(clients);
    }

    fn orphan(&mut self, clients: Vec<u32>) {
        let keepalive = self.cfg.keepalive.max(1);
        self.orphan_within(clients, keepalive);
    }

    /// Clients that have already waited out their keep-alive search within a second.
    fn orphan_now(&mut self, clients: Vec<u32>) {
        self.orphan_within(clients, SECOND);
    }

    fn orphan_within(&mut self, clients: Vec<u32>, keepalive: Millis) {
        for c in clients {
            let i = c as usize;
            self.peers.hot[i].home = NONE;
            self.peers.hot[i].pos = NONE;
            self.peers.hot[i].epoch = self.peers.hot[i].epoch.wrapping_add(1);
            self.peers.hot[i].level = 0;
            self.peers.hot[i].walked = 0;
            let d = 1 + self.rng.below(keepalive as u32) as Millis;
            self.start_walk(c, d);
        }
    }

    /// Self-protection: the supernode takes itself offline; its host becomes
    /// an ordinary client that must find a supernode itself.
    fn shut_down(&mut self, slot: u32) {
        let host = self.sns.slots[slot as usize].host;
        self.drop_supernode(slot);
        let i = host as usize;
        self.peers.hot[i].home = NONE;
        self.peers.block_until[i] = minute_stamp((self.now + self.cfg.sn_cooldown) / MINUTE);
        self.peers.hot[i].epoch = self.peers.hot[i].epoch.wrapping_add(1);
        self.peers.hot[i].cache_at = self.now_min();
        let d = 1 + self.rng.below(self.cfg.rtt as u32 + 1) as Millis;
        self.start_walk(host, d);
    }

    /// Once a second: the connection-attempt load per live supernode, and
    /// what overload does to each host class.
    fn overload(&mut self) {
        let live = self.sns.live_count();
        let probes = self.probes.advance(self.now / SECOND);
        let now_load = if live > 0 { probes / live as f64 } else { 0.0 };
        self.load += (now_load - self.load) / LOAD_WINDOW_S;
        for c in 0..CLASSES {
            let capacity = self.cfg.sn_attempt_capacity * self.class_factors[c];
            let answer = if self.load > capacity { capacity / self.load } else { 1.0 };
            match self.cfg.sn_overload {
                Overload::Admission => {
                    // Refusing is cheap: everything is answered and the
                    // clients stay, but no new client is taken while
                    // attempts exceed what the supernode handles.
                    self.sns.set_class(c, 1.0, answer >= 1.0);
                }
                Overload::Stall => {
                    self.sns.set_class(c, answer, answer >= 1.0);
                    // A client gives up on its supernode after three keep-alives
                    // in a row go unanswered.
                    let miss = 1.0 - answer;
                    self.drop_unanswered(c, miss * miss * miss);
                }
                Overload::Shutdown => {
                    if answer < 1.0 {
                        // Each overloaded supernode notices at its own time.
                        let expected = self.drop_carry[c]
                            + self.sns.classes[c].len() as f64 * SECOND as f64 / PROTECT_CHECK as f64;
                        let n = (libm::floor(expected) as usize).min(self.sns.classes[c].len());
                        self.drop_carry[c] = expected - n as f64;
                        for _ in 0..n {
                            let k = self.rng.below(self.sns.classes[c].len() as u32) as usize;
                            let slot = self.sns.classes[c][k];
                            self.shut_down(slot);
                        }
                    } else {
                        self.drop_carry[c] = 0.0;
                    }
                }
            }
        }
    }

    /// An overloaded supernode that answers only part of its traffic loses
    /// clients whose keep-alives go unanswered: a client leaves at rate
    /// `lost / keepalive` and searches again.
    fn drop_unanswered(&mut self, class: usize, lost: f64) {
        let expected = self.drop_carry[class]
            + self.sns.class_clients[class] as f64 * lost * SECOND as f64 / self.cfg.keepalive.max(1) as f64;
        let mut drops = libm::floor(expected) as u64;
        self.drop_carry[class] = expected - drops as f64;
        let mut dropped = Vec::new();
        let hosts = self.sns.classes[class].len() as u32;
        let mut tries = 0;
        while drops > 0 && hosts > 0 && tries < 4 * drops + 16 {
            tries += 1;
            let slot = self.sns.classes[class][self.rng.below(hosts) as usize];
            let n = self.sns.slots[slot as usize].clients.len() as u32;
            if n == 0 {
                continue;
            }
            let c = self.sns.detach_at(slot, self.rng.below(n) as usize, &mut self.peers);
            dropped.push(c);
            drops -= 1;
        }
        if !dropped.is_empty() {
            self.orphan_now(dropped);
        }
    }

    fn allocate(&mut self) {
        self.push(self.now + ALLOCATE_EVERY, NONE, Kind::Allocate);
        // Everyone online who is not a supernode needs a place on one.
        let demand = self.counts[State::Connected as usize]
            + self.counts[State::Searching as usize]
            + self.counts[State::LoginWait as usize];
        let weighted = self.cfg.promote_counts == Supply::Answering;
        let needed = demand as f64 * self.cfg.sn_capacity as f64 / self.cfg.sn_target as f64;
        let mut have = 0.0;
        for &slot in &self.sns.live {
            // The legacy algorithm counts an overloaded supernode as a working one.
            let share = if weighted { self.sns.answer_of(slot) } else { 1.0 };
            have += self.sns.slots[slot as usize].capacity as f64 * share;
        }
        // The allowance saved up while idle is capped, but at one whole
        // promotion above a minute's pace: capping at the larger of the two
        // dropped the fraction past 1 each time, which slowed fractional
        // paces at some sizes and not others (docs/calibration.md).
        let pace = self.cfg.promote_rate * ALLOCATE_EVERY as f64 / MINUTE as f64;
        self.promote_carry = (self.promote_carry + pace).min(pace + 1.0);
        if needed <= have || self.capable.is_empty() {
            return;
        }
        let wanted = libm::ceil((needed - have) / self.cfg.sn_capacity as f64) as u64;
        let allowed = libm::floor(self.promote_carry) as u64;
        let k = wanted.min(allowed);
        let now_min = self.now_min();
        let mut promoted = 0;
        let mut tries = 0;
        let draws = (libm::ceil(FIND_SHARE_PER_MIN * self.capable.len() as f64) as u64).max(DRAWS_PER_PROMOTION * k);
        while promoted < k && tries < draws {
            tries += 1;
            let p = self.capable[self.rng.below(self.capable.len() as u32) as usize];
            // Logged in, attached or still looking for a supernode.
            let state = self.peers.state(p);
            if !matches!(state, State::Connected | State::Searching)
                || self.peers.uptime(p, self.now) < self.cfg.promote_uptime
                || self.peers.block_until[p as usize] > now_min
            {
                continue;
            }
            if state == State::Connected {
                let slot = self.peers.hot[p as usize].home;
                self.sns.detach(slot, p, &mut self.peers);
            } else {
                self.interrupt(p);
            }
            self.make_supernode(p);
            promoted += 1;
        }
        self.promote_carry -= promoted as f64;
        self.tally.promotions += promoted;
    }

    fn take_down(&mut self) {
        let hosts: Vec<u32> =
            self.sns.live.iter().map(|&s| self.sns.slots[s as usize].host).filter(|&h| h != NONE).collect();
        let reboot = self.cfg.reboot;
        for h in hosts {
            if self.rng.chance(self.cfg.sn_down) {
                self.restart(h, reboot);
            }
        }
    }

    fn start_mega(&mut self) {
        if let Some(m) = self.cfg.mega {
            self.sns.create(NONE, m.capacity, m.accept_rate, MEGA_CLASS, self.now);
            self.operator.megas_started += 1;
        }
    }

    // ---- the clock ----------------------------------------------------------

    fn second(&mut self) {
        self.push(self.now + SECOND, NONE, Kind::Second);
        let s = self.now / SECOND;
        let mut winners = std::mem::take(&mut self.winners);
        self.login.tick(s, &mut self.peers, &mut self.rng, &mut winners);
        for &w in &winners {
            let i = w as usize;
            self.peers.hot[i].level = 0;
            self.peers.hot[i].walked = 0;
            if self.peers.flag(w, flags::NEEDS_FRESH) {
                self.peers.set_flag(w, flags::NEEDS_FRESH, false);
                self.peers.hot[i].cache_at = self.now_min();
            }
            self.start_walk(w, self.cfg.rtt);
        }
        winners.clear();
        self.winners = winners;
        self.overload();
        let luck = if self.attach_tries > 0 { self.attach_hits as f64 / self.attach_tries as f64 } else { 1.0 };
        self.token_luck = (0.8 * self.token_luck + 0.2 * luck).max(0.01);
        self.attach_tries = 0;
        self.attach_hits = 0;
        self.tally.seconds += 1;
        self.tally.attempts += self.attempts.advance(s);
        self.tally.refusals += self.refusals.advance(s);
        self.tally.timeouts += self.timeouts.advance(s);
        self.tally.retries += self.retries.advance(s);
        self.tally.load += self.load;
    }

    fn sample(&mut self) {
        self.push(self.now + self.cfg.sample, NONE, Kind::Sample);
        let c = self.counts;
        let n = self.cfg.peers as f64;
        let secs = self.tally.seconds.max(1) as f64;
        let stats = self.login.stats;
        let seen = self.login_seen;
        let online = (c[State::Connected as usize] + c[State::Supernode as usize]) as f64;
        let mut sn_capacity = 0.0;
        let mut sn_spare = 0.0;
        for &slot in &self.sns.live {
            let sn = &self.sns.slots[slot as usize];
            let share = self.sns.answer_of(slot);
            sn_capacity += sn.capacity as f64 * share;
            sn_spare += sn.room() as f64 * share;
        }
        let sample = Sample {
            t_hours: self.now as f64 / 3_600_000.0,
            offline: c[0] as f64,
            restarting: c[1] as f64,
            login_wait: c[2] as f64,
            searching: c[3] as f64,
            connected: c[4] as f64,
            supernode: c[5] as f64,
            online,
            online_share: online / n,
            normal_share: self.normal_share(self.now),
            login_backoff: self.login.backing_off() as f64,
            search_backoff: self.search_backoff as f64,
            sn_live: (self.sns.live_count() - self.sns.megas) as f64,
            sn_overloaded: self.sns.overloaded() as f64,
            sn_full: self.sns.full_count as f64,
            sn_mega: self.sns.megas as f64,
            sn_capacity,
            sn_spare,
            sn_demand: (c[State::Connected as usize] + c[State::Searching as usize]) as f64,
            sn_load: self.tally.load / secs,
            login_requests_ps: (stats.requests - seen.requests) as f64 / secs,
            login_accepted_ps: (stats.accepted - seen.accepted) as f64 / secs,
            login_rejected_ps: (stats.rejected - seen.rejected) as f64 / secs,
            login_timed_out_ps: (stats.timed_out - seen.timed_out) as f64 / secs,
            login_capacity_ps: self.cfg.login_capacity,
            login_queue: self.login.queued() as f64,
            attach_attempts_ps: self.tally.attempts / secs,
            attach_refusals_ps: self.tally.refusals / secs,
            attach_timeouts_ps: self.tally.timeouts / secs,
            retries_ps: (self.tally.retries + (stats.retries - seen.retries) as f64) / secs,
            restarts_ps: self.tally.restarts as f64 / secs,
            promotions_ps: self.tally.promotions as f64 / secs,
            sn_lost_ps: self.tally.sn_lost as f64 / secs,
            events: self.events as f64,
        };
        self.series_hash = metrics::hash_sample(self.series_hash, &sample);
        self.series.push(sample);
        self.login_seen = stats;
        self.tally = Tally::default();
    }

    /// Online share the daily rhythm alone gives at run time `t`.
    pub fn normal_share(&self, t: Millis) -> f64 {
        self.normal.share(t)
    }

    /// The "normal day" curve of this population.
    pub fn normal_day(&self) -> &NormalDay {
        &self.normal
    }

    /// Time of day in UTC at run time `t`, for display: Unix milliseconds.
    pub fn unix_ms(&self, t: Millis) -> i64 {
        self.cfg.start_unix_ms + t as i64
    }

    /// Checks the invariants the tests rely on; returns a description of
    /// the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut counts = [0u64; STATES.len()];
        for h in &self.peers.hot {
            counts[h.state as usize] += 1;
        }
        if counts != self.counts {
            return Err(format!("state counts {:?} != tracked {:?}", counts, self.counts));
        }
        if counts.iter().sum::<u64>() != self.cfg.peers as u64 {
            return Err("states do not add up to the population".into());
        }
        let mut clients = 0u64;
        for &slot in &self.sns.live {
            let sn = &self.sns.slots[slot as usize];
            if sn.clients.len() as u32 > sn.capacity {
                return Err(format!("supernode {slot} holds {} > capacity {}", sn.clients.len(), sn.capacity));
            }
            for (k, &c) in sn.clients.iter().enumerate() {
                if self.peers.state(c) != State::Connected
                    || self.peers.hot[c as usize].home != slot
                    || self.peers.hot[c as usize].pos != k as u32
                {
                    return Err(format!("client {c} of supernode {slot} is out of place"));
                }
            }
            clients += sn.clients.len() as u64;
            if sn.host != NONE
                && (self.peers.state(sn.host) != State::Supernode || self.peers.hot[sn.host as usize].home != slot)
            {
                return Err(format!("host {} of supernode {slot} is not marked as its supernode", sn.host));
            }
        }
        if clients != counts[State::Connected as usize] {
            return Err(format!(
                "{clients} clients on supernodes but {} peers connected",
                counts[State::Connected as usize]
            ));
        }
        if self.login.waiting() != counts[State::LoginWait as usize] {
            return Err("login pool and LoginWait count differ".into());
        }
        self.login.check(&self.peers)?;
        self.sns.check()?;
        let backing_off = self.peers.hot.iter().filter(|h| h.flags & flags::BACKING_OFF != 0).count() as u64;
        if backing_off != self.search_backoff {
            return Err(format!("{backing_off} peers flagged backing off, {} counted", self.search_backoff));
        }
        if self.peers.hot.iter().any(|h| h.flags & flags::BACKING_OFF != 0 && h.state != State::Searching as u8) {
            return Err("a peer that is not searching is flagged backing off".into());
        }
        Ok(())
    }
}

/// What a run will cost, estimated before it is built, for a caller that
/// must decide whether to build it at all (the page asks a visitor before
/// it builds a network too large for a tab, and refuses one too large for
/// its memory). Only the peer table and the time series are sized from
/// the engine's types; what a peer costs besides its record, and how long a
/// build takes, were measured (BENCHMARKS.md, "Memory and build time in the
/// browser"), as the peak a run reaches is set by the storm it runs into
/// and by vectors that grow by doubling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    pub peers: u32,
    /// Peak memory of the run, bytes: what the engine, its record and its
    /// time series hold at the most, vectors' spare capacity included.
    pub bytes: u64,
    /// Time to build the network, seconds, on the machine it was measured on.
    pub build_seconds: f64,
}

/// Bytes a peer costs at a run's peak besides its record in the peer table
/// (`Peers::BYTES_PER_PEER`): its pending events on the timing wheels (12
/// bytes each), its id in a supernode's client list, a login level or the
/// capable peers' list, and the spare capacity of those vectors. Chosen
/// above the most measured: 95 bytes at 10 M peers of skype-2007 over 48 h,
/// the highest of the presets (BENCHMARKS.md).
const PEAK_BYTES_PER_PEER_BESIDES_TABLE: u64 = 106;
/// What a run holds whatever its size: the program's static data and
/// stack, the three timing wheels' slot tables, the metric rings.
const FIXED_BYTES: u64 = 2 << 20;
/// Copies of the time series while a run's record is kept up to date
/// (`Run::catch_up`, as the page does): the engine's and the record's, each
/// in a vector up to twice its length.
const SERIES_COPIES: u64 = 4;
/// Build time per peer, near the slowest measured in the browser: 14.2 s
/// for 25 M peers, 0.76 s for 1 M (BENCHMARKS.md).
const BUILD_NANOS_PER_PEER: f64 = 600.0;

impl Footprint {
    /// The estimate for a scenario's run, to its end.
    pub fn of(scenario: &Scenario) -> Footprint {
        let peers = scenario.int(P::Peers) as u32;
        Footprint {
            peers,
            bytes: series_bytes(scenario) + u64::from(peers) * peak_bytes_per_peer(),
            build_seconds: f64::from(peers) * BUILD_NANOS_PER_PEER * 1e-9,
        }
    }

    /// The most peers the same scenario can have and still fit in `bytes`,
    /// rounded down to two significant figures so that a link written from
    /// it reads well, and within the `peers` parameter's range (its
    /// minimum when not even that fits).
    pub fn peers_within(scenario: &Scenario, bytes: u64) -> u32 {
        let (min, max) = match params::param(P::Peers).kind {
            params::Kind::Int { min, max } => (min as u64, max as u64),
            _ => unreachable!("peers is an integer parameter"),
        };
        let fits = bytes.saturating_sub(series_bytes(scenario)) / peak_bytes_per_peer();
        round_down(fits.min(max)).clamp(min, max) as u32
    }
}

fn peak_bytes_per_peer() -> u64 {
    Peers::BYTES_PER_PEER as u64 + PEAK_BYTES_PER_PEER_BESIDES_TABLE
}

/// What does not grow with the peers: the fixed part and the time series.
fn series_bytes(scenario: &Scenario) -> u64 {
    let cfg = Config::new(scenario);
    let samples = cfg.duration / cfg.sample + 1;
    FIXED_BYTES + samples * std::mem::size_of::<Sample>() as u64 * SERIES_COPIES
}

/// `n` rounded down to two significant figures: 16 793 012 -> 16 000 000.
fn round_down(n: u64) -> u64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    n / unit * unit
}

#[cfg(test)]
mod footprint_tests {
    use super::*;

    fn scenario(query: &str) -> Scenario {
        Scenario::from_query(query).unwrap()
    }

    #[test]
    fn the_estimate_grows_with_the_peers_and_the_series() {
        let small = Footprint::of(&scenario("peers=100000"));
        let large = Footprint::of(&scenario("peers=10000000"));
        // A peer costs at least its record in the peer table.
        let per_peer = (large.bytes - small.bytes) / 9_900_000;
        assert!(per_peer >= Peers::BYTES_PER_PEER as u64 && per_peer < 200, "{per_peer} bytes per peer");
        assert!((large.build_seconds / small.build_seconds - 100.0).abs() < 1e-9);
        let sampled = Footprint::of(&scenario("peers=100000&hours=336&sample_s=10"));
        assert!(sampled.bytes > small.bytes + 100_000_000, "{sampled:?} against {small:?}");
    }

    #[test]
    fn peers_within_a_budget_fit_in_it_and_are_round() {
        for query in ["preset=skype-2007", "preset=calm-day&hours=6", "preset=skype-2010&hours=336&sample_s=10"] {
            let s = scenario(query);
            for budget in [50_000_000, 500_000_000, 2 << 30, 5 << 30] {
                let peers = Footprint::peers_within(&s, budget);
                let q = format!("{query}&peers={peers}");
                let fits = Footprint::of(&scenario(&q));
                assert!(fits.bytes <= budget || peers == 1_000, "{q}: {fits:?} over {budget}");
                assert!(peers <= 25_000_000, "{q}");
                assert_eq!(round_down(u64::from(peers)), u64::from(peers), "{q}");
                if peers < 25_000_000 {
                    let more = format!("{query}&peers={}", peers + peers / 10);
                    assert!(Footprint::of(&scenario(&more)).bytes > budget, "{more} should not fit in {budget}");
                }
            }
        }
        assert_eq!(Footprint::peers_within(&scenario(""), 0), 1_000, "the smallest network when nothing fits");
    }

    #[test]
    fn rounding_keeps_two_figures() {
        for (n, r) in [(0, 0), (99, 99), (100, 100), (1_234, 1_200), (16_793_012, 16_000_000), (25_000_000, 25_000_000)]
        {
            assert_eq!(round_down(n), r, "{n}");
        }
    }
}

//! Peers: every user of the network, stored as a struct of arrays.
//!
//! At 10 M peers each byte per peer is 10 MB, so a peer is 22 bytes (no
//! per-peer heap allocation, 32-bit ids): a 16-byte record of the fields
//! every event touches, and parallel vectors for the rest. Only what must
//! be remembered is stored: traits drawn once at build time, the
//! current state, and a few small fields. Per-peer values that never change
//! and are rarely needed (a wave participant's delay) are recomputed from a
//! hash of the seed and the peer id instead.

use crate::time::{Millis, MINUTE};

/// What a peer is doing. Every peer is in exactly one state; the metrics
/// check that the counts add up to the population.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum State {
    /// PC off or client not running.
    Offline = 0,
    /// PC restarting (restart wave, supernodes taken down) or client
    /// restarting after a crash.
    Restarting = 1,
    /// Client running, waiting for a login (in the login servers' queue or
    /// backing off between attempts).
    LoginWait = 2,
    /// Logged in, walking its host cache for a supernode that takes it.
    Searching = 3,
    /// Attached to a supernode: online.
    Connected = 4,
    /// Serving as a supernode: online.
    Supernode = 5,
}

pub const STATES: [State; 6] =
    [State::Offline, State::Restarting, State::LoginWait, State::Searching, State::Connected, State::Supernode];

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Offline => "offline",
            State::Restarting => "restarting",
            State::LoginWait => "login_wait",
            State::Searching => "searching",
            State::Connected => "connected",
            State::Supernode => "supernode",
        }
    }
    pub fn from_u8(v: u8) -> State {
        STATES[v as usize]
    }
}

/// Traits drawn at build time.
pub mod traits {
    pub const CAPABLE: u8 = 1;
    pub const WINDOWS_AU: u8 = 2;
    pub const FAULTY: u8 = 4;
    pub const ALWAYS_ON: u8 = 8;
    pub const WAVE: u8 = 16;
    pub const CRASHES: u8 = 32;
}

/// Flags that change during a run.
pub mod flags {
    /// The patch is installed at the next boot.
    pub const PATCH_PENDING: u8 = 1;
    /// A restart for the patch is scheduled.
    pub const RESTART_DUE: u8 = 2;
    /// The host cache is used up: the next login also fetches fresh
    /// supernode addresses.
    pub const NEEDS_FRESH: u8 = 4;
    /// The patch has been installed (a PC restarts for it once).
    pub const PATCHED: u8 = 8;
    /// The current walk has failed at least once (the peer is backing off).
    pub const BACKING_OFF: u8 = 16;
}

/// Up-since times are stored in minutes with this offset, so machines that
/// were up for up to 20 days before the run starts fit in a u16 along with
/// runs of up to 14 days.
pub const UPTIME_BASE_MIN: u64 = 20 * 24 * 60;

pub const NONE: u32 = u32::MAX;

/// The fields touched on every event, together in one 16-byte record so an
/// event costs one cache miss, not one per field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Hot {
    /// Supernode slot (Connected, Supernode) or login level (LoginWait).
    pub home: u32,
    /// Index in the list the peer is in (its supernode's clients, a login level).
    pub pos: u32,
    /// Invalidates pending activity events when the peer's activity is
    /// interrupted (it goes offline, restarts, loses its supernode).
    pub epoch: u16,
    /// Minute the host cache was last refreshed.
    pub cache_at: u16,
    pub state: u8,
    pub flags: u8,
    /// Consecutive failed attach attempts while `Searching` (a waiting
    /// client's login retry level is its `home`).
    pub level: u8,
    /// Host-cache entries used in the current walk.
    pub walked: u8,
}

#[derive(Clone)]
pub struct Peers {
    pub hot: Vec<Hot>,
    pub traits: Vec<u8>,
    pub region: Vec<u8>,
    /// Minute the machine last booted, plus `UPTIME_BASE_MIN`.
    pub up_since: Vec<u16>,
    /// Minute before which this host may not serve as a supernode.
    pub block_until: Vec<u16>,
}

impl Peers {
    pub fn with_len(n: usize) -> Peers {
        Peers {
            hot: vec![Hot { home: NONE, pos: NONE, state: State::Offline as u8, ..Hot::default() }; n],
            traits: vec![0; n],
            region: vec![0; n],
            up_since: vec![0; n],
            block_until: vec![0; n],
        }
    }

    /// Bytes held on the heap (for the snapshot budget).
    pub fn heap_bytes(&self) -> usize {
        use crate::memory::vec_bytes;
        vec_bytes(&self.hot)
            + vec_bytes(&self.traits)
            + vec_bytes(&self.region)
            + vec_bytes(&self.up_since)
            + vec_bytes(&self.block_until)
    }

    /// Bytes of per-peer storage.
    pub const BYTES_PER_PEER: usize = std::mem::size_of::<Hot>() + 1 + 1 + 2 + 2;

    pub fn len(&self) -> usize {
        self.hot.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hot.is_empty()
    }

    pub fn state(&self, p: u32) -> State {
        State::from_u8(self.hot[p as usize].state)
    }

    pub fn has(&self, p: u32, t: u8) -> bool {
        self.traits[p as usize] & t != 0
    }

    pub fn flag(&self, p: u32, f: u8) -> bool {
        self.hot[p as usize].flags & f != 0
    }

    pub fn set_flag(&mut self, p: u32, f: u8, on: bool) {
        let flags = &mut self.hot[p as usize].flags;
        if on {
            *flags |= f;
        } else {
            *flags &= !f;
        }
    }

    /// Asks the CPU to start loading peer `p`'s record and region, so that
    /// an event handled next finds them in cache. A hint only: it changes no
    /// state (no-op off x86-64, and for `NONE` or an id out of range).
    #[inline]
    pub fn prefetch(&self, p: u32) {
        #[cfg(target_arch = "x86_64")]
        if let (Some(hot), Some(region)) = (self.hot.get(p as usize), self.region.get(p as usize)) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: prefetching has no effect on memory or program state,
            // and both pointers point into live vectors.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>((hot as *const Hot).cast());
                _mm_prefetch::<_MM_HINT_T0>((region as *const u8).cast());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }

    pub fn uptime(&self, p: u32, now: Millis) -> Millis {
        let now_min = now / MINUTE + UPTIME_BASE_MIN;
        now_min.saturating_sub(self.up_since[p as usize] as u64) * MINUTE
    }

    pub fn boot(&mut self, p: u32, at: Millis) {
        self.up_since[p as usize] = minute_stamp(at / MINUTE + UPTIME_BASE_MIN);
    }
}

/// A minute count stored in 16 bits; runs are short enough that it never
/// saturates (checked when the scenario is built).
pub fn minute_stamp(m: u64) -> u16 {
    m.min(u16::MAX as u64) as u16
}

//! The event queue: a hierarchical timing wheel over integer milliseconds.
//!
//! A binary heap over every pending event manages under 1 M pop+push per
//! second at 10 M peers (cache misses on every sift), so the queue is three
//! wheels of 4096 slots: 1 ms slots (4.1 s), 4.1 s slots (4.7 h) and 4.7 h
//! slots (2.2 years; times are stored in 32 bits, so 49 days). An event is placed by the highest time bits in which it
//! differs from the current time and moves down a level at most twice, so push
//! and pop are O(1) amortised. Occupancy bitmaps skip empty slots.
//!
//! Order: events come out by time; events with equal times come out in the
//! order they were pushed, except that events that waited on a coarser wheel
//! come before ones pushed directly into the 1 ms slot. Both rules are fixed
//! functions of the sequence of pushes, so a run is deterministic.

use crate::time::Millis;

/// One pending event. `kind` and `epoch` are interpreted by the engine; the
/// queue only orders by `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: Millis,
    pub peer: u32,
    pub kind: u8,
    pub epoch: u16,
}

/// An event as stored: 12 bytes, with the time in 32 bits (runs are
/// shorter than the 49 days that allows). At 10 M peers the wheels hold
/// tens of millions of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stored {
    time: u32,
    peer: u32,
    epoch: u16,
    kind: u8,
}

impl Stored {
    /// Runs last at most 14 days, so an event beyond 49 days would come after
    /// the end of any run: it is kept at the last representable time.
    fn of(e: Event) -> Stored {
        Stored { time: u32::try_from(e.time).unwrap_or(u32::MAX), peer: e.peer, epoch: e.epoch, kind: e.kind }
    }
    fn event(self) -> Event {
        Event { time: self.time as Millis, peer: self.peer, kind: self.kind, epoch: self.epoch }
    }
}

const BITS: u32 = 12;
const SLOTS: usize = 1 << BITS;
const MASK: u64 = SLOTS as u64 - 1;

struct Bitmap([u64; SLOTS / 64]);

impl Bitmap {
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    /// First set bit at or after `from`.
    fn next_set(&self, from: usize) -> Option<usize> {
        if from >= SLOTS {
            return None;
        }
        let mut w = from / 64;
        let mut word = self.0[w] & (!0u64 << (from % 64));
        loop {
            if word != 0 {
                return Some(w * 64 + word.trailing_zeros() as usize);
            }
            w += 1;
            if w == SLOTS / 64 {
                return None;
            }
            word = self.0[w];
        }
    }
}

struct Wheel {
    slots: Vec<Vec<Stored>>,
    occupied: Bitmap,
}

impl Wheel {
    fn new() -> Self {
        Wheel { slots: (0..SLOTS).map(|_| Vec::new()).collect(), occupied: Bitmap([0; SLOTS / 64]) }
    }
    fn put(&mut self, slot: usize, e: Stored) {
        self.slots[slot].push(e);
        self.occupied.set(slot);
    }
}

pub struct EventQueue {
    /// Start of the 1 ms slot being drained; never decreases.
    now: Millis,
    wheels: [Wheel; 3],
    batch: Vec<Stored>,
    cursor: usize,
    len: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl EventQueue {
    pub fn new() -> Self {
        EventQueue { now: 0, wheels: [Wheel::new(), Wheel::new(), Wheel::new()], batch: Vec::new(), cursor: 0, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Schedules an event. Times before the event being processed are moved
    /// to it (the engine never asks for that; this keeps the queue sound).
    pub fn push(&mut self, mut e: Event) {
        debug_assert!(e.time >= self.now, "event in the past: {} < {}", e.time, self.now);
        e.time = e.time.max(self.now);
        self.len += 1;
        self.place(Stored::of(e));
    }

    fn place(&mut self, e: Stored) {
        let (t, n) = (e.time as Millis, self.now);
        if t >> BITS == n >> BITS {
            self.wheels[0].put((t & MASK) as usize, e);
        } else if t >> (2 * BITS) == n >> (2 * BITS) {
            self.wheels[1].put(((t >> BITS) & MASK) as usize, e);
        } else {
            // Times fit in 32 bits, so every event is within the top wheel's
            // one revolution (2^36 ms).
            self.wheels[2].put(((t >> (2 * BITS)) & MASK) as usize, e);
        }
    }

    /// Time of the next event, without removing it.
    pub fn next_time(&mut self) -> Option<Millis> {
        if self.cursor < self.batch.len() || self.refill() {
            Some(self.batch[self.cursor].time as Millis)
        } else {
            None
        }
    }

    /// The peer of the event `pop` returns next, if it is already in the
    /// 1 ms wheel (`None` if not, and for an empty queue): a hint the engine
    /// uses to fetch that peer's record while it handles the event before.
    /// Events pushed later may still come first; the answer orders nothing.
    pub fn next_peer_hint(&self) -> Option<u32> {
        if let Some(e) = self.batch.get(self.cursor) {
            return Some(e.peer);
        }
        // The slot being drained was taken out of the wheel when it was
        // loaded, so the next occupied slot holds the next event.
        let s = self.wheels[0].occupied.next_set((self.now & MASK) as usize)?;
        self.wheels[0].slots[s].first().map(|e| e.peer)
    }

    pub fn pop(&mut self) -> Option<Event> {
        if self.cursor >= self.batch.len() && !self.refill() {
            return None;
        }
        let e = self.batch[self.cursor];
        self.cursor += 1;
        self.len -= 1;
        Some(e.event())
    }

    /// Loads the next non-empty 1 ms slot into `batch`; false when empty.
    fn refill(&mut self) -> bool {
        self.batch.clear();
        self.cursor = 0;
        loop {
            if self.len == 0 {
                return false;
            }
            if let Some(s) = self.wheels[0].occupied.next_set((self.now & MASK) as usize) {
                self.now = (self.now & !MASK) | s as u64;
                // The drained batch buffer goes back into the slot, so the
                // 1 ms wheel keeps its allocations.
                std::mem::swap(&mut self.batch, &mut self.wheels[0].slots[s]);
                self.wheels[0].occupied.clear(s);
                return true;
            }
            let s1 = ((self.now >> BITS) & MASK) as usize;
            if let Some(s) = self.wheels[1].occupied.next_set(s1 + 1) {
                self.now = (self.now & !((1 << (2 * BITS)) - 1)) | (s as u64) << BITS;
                self.cascade(1, s);
                continue;
            }
            let s2 = ((self.now >> (2 * BITS)) & MASK) as usize;
            if let Some(s) = self.wheels[2].occupied.next_set(s2 + 1) {
                self.now = (self.now & !((1 << (3 * BITS)) - 1)) | (s as u64) << (2 * BITS);
                self.cascade(2, s);
                continue;
            }
            unreachable!("{} events queued but every wheel is empty", self.len);
        }
    }

    fn cascade(&mut self, level: usize, slot: usize) {
        self.wheels[level].occupied.clear(slot);
        for e in std::mem::take(&mut self.wheels[level].slots[slot]) {
            self.place(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Rng, Stream};

    fn ev(time: Millis, peer: u32) -> Event {
        Event { time, peer, kind: 0, epoch: 0 }
    }

    #[test]
    fn pops_in_time_order_with_fifo_ties() {
        let mut q = EventQueue::new();
        let mut rng = Rng::new(9, Stream::Engine);
        let mut expected = Vec::new();
        for i in 0..50_000u32 {
            // Spread over all three wheels, with many ties.
            let t = match i % 3 {
                0 => rng.below(5_000) as u64,
                1 => rng.below(20_000_000) as u64,
                _ => rng.below(4_000_000) as u64 * 1_000,
            };
            q.push(ev(t, i));
            expected.push((t, i));
        }
        expected.sort_by_key(|&(t, _)| t);
        let mut got = Vec::new();
        while let Some(e) = q.pop() {
            got.push((e.time, e.peer));
        }
        let times: Vec<u64> = got.iter().map(|x| x.0).collect();
        assert_eq!(times, expected.iter().map(|x| x.0).collect::<Vec<_>>());
        assert!(q.is_empty());
    }

    #[test]
    fn interleaved_pushes_keep_order() {
        // A simulation pushes while it pops: every event pushed at or after
        // the current time must still come out in order.
        let mut q = EventQueue::new();
        let mut rng = Rng::new(4, Stream::Engine);
        for i in 0..1_000 {
            q.push(ev(rng.below(1_000_000) as u64, i));
        }
        let mut last = 0;
        let mut popped = 0;
        while let Some(e) = q.pop() {
            assert!(e.time >= last);
            last = e.time;
            popped += 1;
            if popped < 200_000 {
                let delay = match rng.below(4) {
                    0 => 0,
                    1 => rng.below(3_000) as u64,
                    2 => rng.below(10_000_000) as u64,
                    _ => rng.below(100_000) as u64 * 200,
                };
                q.push(ev(e.time + delay, e.peer));
            }
        }
        assert_eq!(popped, 200_000 + 999);
    }

    #[test]
    fn the_peer_hint_names_the_next_event_or_nothing() {
        // After a pop, the hint (when it gives one) is the peer the next pop
        // returns if nothing is pushed in between, or only events at the
        // current time (they come after everything due now, and before any
        // later slot, even when the slot being drained is used up); it is
        // given whenever the next event is within the 1 ms wheel's window.
        let mut q = EventQueue::new();
        let mut rng = Rng::new(9, Stream::Engine);
        for i in 0..2_000 {
            q.push(ev(rng.below(50_000) as u64 * rng.below(200) as u64, i));
        }
        let (mut hinted, mut drained_pushes, mut popped) = (0, 0, 0);
        while let Some(e) = q.pop() {
            popped += 1;
            if popped < 6_000 && rng.below(4) == 0 {
                // A later push may come before the hinted event: skip the check.
                q.push(ev(e.time + 1 + rng.below(20_000) as u64, e.peer));
                continue;
            }
            if popped < 6_000 && rng.below(3) == 0 {
                // With the slot being drained used up, the hint must find
                // this event back in the wheel.
                drained_pushes += usize::from(q.cursor == q.batch.len());
                q.push(ev(e.time, 100_000 + popped));
            }
            let hint = q.next_peer_hint();
            let next_time = q.next_time();
            if next_time.is_some_and(|t| t >> BITS == e.time >> BITS) {
                assert!(hint.is_some(), "no hint though the next event is in the 1 ms wheel");
            }
            if let Some(h) = hint {
                hinted += 1;
                assert_eq!(q.pop().map(|n| n.peer), Some(h));
                popped += 1;
            }
        }
        assert!(
            hinted > 800 && drained_pushes > 300,
            "{hinted} hints and {drained_pushes} pushes at the current time after a drained slot in {popped} pops"
        );
        assert_eq!(q.next_peer_hint(), None);
    }

    #[test]
    fn equal_times_come_out_in_push_order() {
        let mut q = EventQueue::new();
        for i in 0..10 {
            q.push(ev(77, i));
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|e| e.peer).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn far_future_events_survive() {
        let mut q = EventQueue::new();
        q.push(ev(4_000_000_000, 1));
        q.push(ev(5, 2));
        assert_eq!(q.pop().unwrap().peer, 2);
        assert_eq!(q.next_time(), Some(4_000_000_000));
        assert_eq!(q.pop().unwrap().peer, 1);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn stored_events_are_small() {
        assert_eq!(std::mem::size_of::<Stored>(), 12);
    }
}

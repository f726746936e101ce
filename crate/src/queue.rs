//! The event queue: a hierarchical timing wheel over integer milliseconds.
//!
//! A binary heap over every pending event manages under 1 M pop+push per
//! second at 10 M peers (cache misses on every sift), so the queue is three
//! wheels of 4096 slots: 1 ms slots (4.1 s), 4.1 s slots (4.7 h) and 4.7 h
//! slots (2.2 years; times are stored in 32 bits, so 49 days). An event is placed by the highest time bits in which it
//! differs from the current time and moves down a level at most twice, so push
//! and pop are O(1) amortised. Occupancy bitmaps skip empty slots. A 4.1 s
//! slot that comes down into the 1 ms wheel is sorted into one contiguous
//! run (a counting sort by 1 ms slot) rather than pushed into 4096 slot
//! vectors: most events come down this way, and are then read in order.
//! The few pushed straight into the 1 ms wheel go into one shared list,
//! linked by slot, emptied when its 4.1 s window moves on. The 4.1 s wheel
//! stores its slots in 64 groups, split into slots when the wheel reaches
//! each. None of this changes the order, only where events wait.
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

#[derive(Clone)]
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

/// Events that wait long, in the order they were placed: a list of
/// fixed-size chunks rather than one vector, which would grow by doubling
/// (and copying) and hold up to twice what it needs at the peak of a run.
/// A chunk is 48 KiB.
#[derive(Clone, Default)]
struct Chunked {
    /// Full chunks, oldest first.
    full: Vec<Vec<Stored>>,
    /// The chunk being filled (kept here, so a push touches no more than a
    /// vector's push does).
    tail: Vec<Stored>,
}

const CHUNK: usize = 4096;

impl Chunked {
    fn heap_bytes(&self) -> usize {
        crate::memory::nested_bytes(&self.full) + crate::memory::vec_bytes(&self.tail)
    }

    fn push(&mut self, e: Stored) {
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.full.push(full);
        } else if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(e);
    }

    fn len(&self) -> usize {
        self.full.len() * CHUNK + self.tail.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Stored> {
        self.full.iter().flatten().chain(&self.tail)
    }
}

/// The 4.7 h wheel: the events of each slot, in the order they were
/// placed (its pushes go to the few slots of the next hours).
#[derive(Clone)]
struct Wheel {
    slots: Vec<Chunked>,
    occupied: Bitmap,
}

impl Wheel {
    fn heap_bytes(&self) -> usize {
        crate::memory::vec_bytes(&self.slots) + self.slots.iter().map(Chunked::heap_bytes).sum::<usize>()
    }

    fn new() -> Self {
        Wheel { slots: (0..SLOTS).map(|_| Chunked::default()).collect(), occupied: Bitmap([0; SLOTS / 64]) }
    }
    fn put(&mut self, slot: usize, e: Stored) {
        self.slots[slot].push(e);
        self.occupied.set(slot);
    }
}

/// The 4.1 s wheel's slots are stored in groups of this many (4.4 min).
const GROUP_BITS: u32 = 6;
const GROUP: usize = 1 << GROUP_BITS;

/// The 4.1 s wheel. Most events wait here, pushed into slots all over its
/// 4.7 h, so a vector per slot made each push a cache miss on one of 4096
/// vectors' ends. Its slots are stored in 64 groups of 64 instead: a push
/// appends to its group's vector (64 ends, which stay in cache). When the
/// wheel reaches a group, a stable counting sort splits it into its slots;
/// events placed into that group after it was sorted go into a vector per
/// slot (`late`), after the sorted run. A slot's events come out in the
/// order they were placed, as with a vector per slot.
#[derive(Clone)]
struct SecondsWheel {
    /// Events placed into each group's slots, in order, until it is sorted.
    groups: Vec<Chunked>,
    /// Slots that hold events, wherever they are stored.
    occupied: Bitmap,
    /// The group being drained, if it has been sorted in this revolution.
    sorted_group: Option<usize>,
    /// That group's events by slot, and where each slot's run ends.
    sorted: Vec<Stored>,
    sorted_ends: [u32; GROUP],
    /// Events placed into that group's slots since it was sorted, by slot.
    late: Vec<Vec<Stored>>,
}

impl SecondsWheel {
    fn heap_bytes(&self) -> usize {
        use crate::memory::{nested_bytes, vec_bytes};
        vec_bytes(&self.groups)
            + self.groups.iter().map(Chunked::heap_bytes).sum::<usize>()
            + vec_bytes(&self.sorted)
            + nested_bytes(&self.late)
    }

    fn new() -> Self {
        SecondsWheel {
            groups: (0..SLOTS / GROUP).map(|_| Chunked::default()).collect(),
            occupied: Bitmap([0; SLOTS / 64]),
            sorted_group: None,
            sorted: Vec::new(),
            sorted_ends: [0; GROUP],
            late: (0..GROUP).map(|_| Vec::new()).collect(),
        }
    }

    fn put(&mut self, slot: usize, e: Stored) {
        let group = slot >> GROUP_BITS;
        if self.sorted_group == Some(group) {
            self.late[slot % GROUP].push(e);
        } else {
            self.groups[group].push(e);
        }
        self.occupied.set(slot);
    }

    /// Moves slot `slot`'s events, in the order they were placed, to `out`.
    /// Slots are taken in increasing order within a revolution.
    fn take(&mut self, slot: usize, out: &mut Vec<Stored>) {
        let group = slot >> GROUP_BITS;
        if self.sorted_group != Some(group) {
            self.sort_group(group);
        }
        let k = slot % GROUP;
        let start = if k == 0 { 0 } else { self.sorted_ends[k - 1] as usize };
        out.extend_from_slice(&self.sorted[start..self.sorted_ends[k] as usize]);
        out.append(&mut self.late[k]);
        self.occupied.clear(slot);
    }

    /// Splits a group into its slots. The group sorted before it is used up:
    /// the wheel only moves on past slots that are empty.
    fn sort_group(&mut self, group: usize) {
        debug_assert!(self.late.iter().all(Vec::is_empty));
        let events = std::mem::take(&mut self.groups[group]);
        let mut counts = [0u32; GROUP];
        for e in events.iter() {
            counts[Self::slot_in_group(e)] += 1;
        }
        // Counts become where each slot's run starts, and move to its end
        // as the run is written.
        let mut start = 0;
        for count in counts.iter_mut() {
            let n = *count;
            *count = start;
            start += n;
        }
        self.sorted.clear();
        self.sorted.resize(events.len(), Stored { time: 0, peer: 0, epoch: 0, kind: 0 });
        for &e in events.iter() {
            let at = &mut counts[Self::slot_in_group(&e)];
            self.sorted[*at as usize] = e;
            *at += 1;
        }
        self.sorted_ends = counts;
        self.sorted_group = Some(group);
    }

    fn slot_in_group(e: &Stored) -> usize {
        ((e.time as Millis >> BITS) as usize) % GROUP
    }

    /// The 4.7 h wheel moved on: the wheel starts a new revolution, empty.
    fn new_revolution(&mut self) {
        debug_assert!(self.occupied.next_set(0).is_none());
        self.sorted_group = None;
    }
}

/// No entry (an empty list, the end of a list).
const END: u32 = u32::MAX;

/// An event pushed into the 1 ms wheel, and the next one of its slot.
#[derive(Clone, Copy)]
struct Linked {
    event: Stored,
    next: u32,
}

enum NextSlot {
    CameDown(usize),
    Pushed(usize),
    None,
}

#[derive(Clone)]
pub struct EventQueue {
    /// Start of the 1 ms slot being drained; never decreases.
    now: Millis,
    /// The 4.1 s wheel and the 4.7 h wheel.
    seconds: SecondsWheel,
    hours: Wheel,
    /// The events of the 4.1 s slot coming down, in order (a buffer kept).
    coming_down: Vec<Stored>,
    /// The 1 ms wheel is the current 4.1 s window. The events of the 4.1 s
    /// slot that became the window, sorted by their 1 ms slot, keeping their
    /// order within it. They come before any event pushed into the same
    /// 1 ms slot, as they would had each been pushed into it, one by one,
    /// when they came down: the 1 ms wheel is empty then. One sorted run
    /// costs a pass over a few contiguous kilobytes instead of a push into
    /// one of 4096 slot vectors per event, and the events are then read in
    /// order.
    came_down: Vec<Stored>,
    /// Next of `came_down` to come out, and the end of its 1 ms slot's run
    /// (`came_down_next == came_down_end` when no run is being drained).
    came_down_next: usize,
    came_down_end: usize,
    /// For the sort: where each 1 ms slot's run starts, then where it ends.
    slot_ends: Box<[u32; SLOTS]>,
    /// Events pushed into the window (or placed there by the 4.7 h wheel),
    /// in push order, each linked to the next of its 1 ms slot. A window
    /// gets a few hundred such pushes at 1 M peers, so they stay in cache,
    /// where a vector per slot put each in a buffer of its own. Emptied
    /// when the window moves on.
    pushed: Vec<Linked>,
    /// First and last entry of each 1 ms slot's list in `pushed`.
    first: Box<[u32; SLOTS]>,
    last: Box<[u32; SLOTS]>,
    /// The 1 ms slots whose list is not empty.
    occupied: Bitmap,
    /// Next entry of the pushed list being drained (`END`: none). The slot
    /// was emptied when it was loaded, so pushes at its time while it is
    /// drained start a new list, which comes after.
    draining: u32,
    len: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl EventQueue {
    pub fn new() -> Self {
        EventQueue {
            now: 0,
            seconds: SecondsWheel::new(),
            hours: Wheel::new(),
            coming_down: Vec::new(),
            came_down: Vec::new(),
            came_down_next: 0,
            came_down_end: 0,
            slot_ends: Box::new([0; SLOTS]),
            pushed: Vec::new(),
            first: Box::new([END; SLOTS]),
            last: Box::new([END; SLOTS]),
            occupied: Bitmap([0; SLOTS / 64]),
            draining: END,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held on the heap (for the snapshot budget): the wheels' slots
    /// and chunks, the buffers and the boxed slot tables.
    pub fn heap_bytes(&self) -> usize {
        use crate::memory::vec_bytes;
        self.seconds.heap_bytes()
            + self.hours.heap_bytes()
            + vec_bytes(&self.coming_down)
            + vec_bytes(&self.came_down)
            + vec_bytes(&self.pushed)
            + 3 * std::mem::size_of::<[u32; SLOTS]>()
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
            self.put_in_window((t & MASK) as usize, e);
        } else if t >> (2 * BITS) == n >> (2 * BITS) {
            self.seconds.put(((t >> BITS) & MASK) as usize, e);
        } else {
            // Times fit in 32 bits, so every event is within the top wheel's
            // one revolution (2^36 ms).
            self.hours.put(((t >> (2 * BITS)) & MASK) as usize, e);
        }
    }

    /// Appends an event to its 1 ms slot's list.
    fn put_in_window(&mut self, slot: usize, event: Stored) {
        let i = u32::try_from(self.pushed.len()).expect("fewer than 2^32 pushes in one 4.1 s window");
        self.pushed.push(Linked { event, next: END });
        if self.first[slot] == END {
            self.first[slot] = i;
            self.occupied.set(slot);
        } else {
            self.pushed[self.last[slot] as usize].next = i;
        }
        self.last[slot] = i;
    }

    /// The event `pop` returns next, if its 1 ms slot is being drained.
    fn current(&self) -> Option<&Stored> {
        if self.came_down_next < self.came_down_end {
            Some(&self.came_down[self.came_down_next])
        } else {
            self.pushed.get(self.draining as usize).map(|l| &l.event)
        }
    }

    /// Time of the next event, without removing it.
    pub fn next_time(&mut self) -> Option<Millis> {
        if self.current().is_none() && !self.refill() {
            return None;
        }
        self.current().map(|e| e.time as Millis)
    }

    /// The peer of the event `pop` returns next, if it is already in the
    /// 1 ms wheel (`None` if not, and for an empty queue): a hint the engine
    /// uses to fetch that peer's record while it handles the event before.
    /// Events pushed later may still come first; the answer orders nothing.
    pub fn next_peer_hint(&self) -> Option<u32> {
        if let Some(e) = self.current() {
            return Some(e.peer);
        }
        match self.next_slot() {
            NextSlot::CameDown(_) => Some(self.came_down[self.came_down_next].peer),
            NextSlot::Pushed(s) => Some(self.pushed[self.first[s] as usize].event.peer),
            NextSlot::None => None,
        }
    }

    /// The peer of an event that came down and comes out `ahead` events
    /// after the next one, unless pushes come before it: a hint to fetch its
    /// record earlier still.
    pub fn peer_ahead(&self, ahead: usize) -> Option<u32> {
        self.came_down.get(self.came_down_next + ahead).map(|e| e.peer)
    }

    /// The next 1 ms slot in the current window that holds events, and
    /// which of its events come first: within a slot, those that came down.
    fn next_slot(&self) -> NextSlot {
        let down = self.came_down.get(self.came_down_next).map(|e| (e.time as Millis & MASK) as usize);
        let pushed = self.occupied.next_set((self.now & MASK) as usize);
        match (down, pushed) {
            (Some(d), p) if p.is_none_or(|p| d <= p) => NextSlot::CameDown(d),
            (_, Some(p)) => NextSlot::Pushed(p),
            _ => NextSlot::None,
        }
    }

    pub fn pop(&mut self) -> Option<Event> {
        if self.current().is_none() && !self.refill() {
            return None;
        }
        let e = if self.came_down_next < self.came_down_end {
            self.came_down_next += 1;
            self.came_down[self.came_down_next - 1]
        } else {
            let l = self.pushed[self.draining as usize];
            self.draining = l.next;
            l.event
        };
        self.len -= 1;
        Some(e.event())
    }

    /// Starts draining the next non-empty 1 ms slot: its run in `came_down`,
    /// or else its list of pushed events; false when the queue is empty.
    fn refill(&mut self) -> bool {
        loop {
            if self.len == 0 {
                return false;
            }
            match self.next_slot() {
                NextSlot::CameDown(down) => {
                    self.now = (self.now & !MASK) | down as u64;
                    self.came_down_end = self.slot_ends[down] as usize;
                    return true;
                }
                NextSlot::Pushed(s) => {
                    self.now = (self.now & !MASK) | s as u64;
                    self.draining = self.first[s];
                    self.first[s] = END;
                    self.occupied.clear(s);
                    return true;
                }
                NextSlot::None => {}
            }
            // Every event pushed into the window has come out.
            self.pushed.clear();
            let s1 = ((self.now >> BITS) & MASK) as usize;
            if let Some(s) = self.seconds.occupied.next_set(s1 + 1) {
                self.now = (self.now & !((1 << (2 * BITS)) - 1)) | (s as u64) << BITS;
                self.come_down(s);
                continue;
            }
            let s2 = ((self.now >> (2 * BITS)) & MASK) as usize;
            if let Some(s) = self.hours.occupied.next_set(s2 + 1) {
                self.now = (self.now & !((1 << (3 * BITS)) - 1)) | (s as u64) << (2 * BITS);
                self.hours.occupied.clear(s);
                self.seconds.new_revolution();
                for &e in std::mem::take(&mut self.hours.slots[s]).iter() {
                    self.place(e);
                }
                continue;
            }
            unreachable!("{} events queued but every wheel is empty", self.len);
        }
    }

    /// Brings the 4.1 s slot `slot` down into the 1 ms wheel, which is
    /// empty (its window has just moved on): a stable counting sort of its
    /// events by 1 ms slot into `came_down`.
    fn come_down(&mut self, slot: usize) {
        debug_assert!(self.came_down_next == self.came_down.len() && self.occupied.next_set(0).is_none());
        let mut events = std::mem::take(&mut self.coming_down);
        events.clear();
        self.seconds.take(slot, &mut events);
        let ends = &mut self.slot_ends;
        ends.fill(0);
        for e in &events {
            ends[(e.time as Millis & MASK) as usize] += 1;
        }
        // Counts become where each slot's run starts (the sum kept in a
        // register: a sum through memory waits on the store before it), and
        // `ends[s]` moves to the run's end as it is written.
        let mut start = 0;
        for end in ends.iter_mut() {
            let count = *end;
            *end = start;
            start += count;
        }
        self.came_down.clear();
        self.came_down.resize(events.len(), Stored { time: 0, peer: 0, epoch: 0, kind: 0 });
        for &e in &events {
            let end = &mut ends[(e.time as Millis & MASK) as usize];
            self.came_down[*end as usize] = e;
            *end += 1;
        }
        self.coming_down = events;
        self.came_down_next = 0;
        self.came_down_end = 0;
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
                drained_pushes += usize::from(q.current().is_none());
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

    /// The plain hierarchical wheel: a vector per slot on every wheel, each
    /// event pushed into its slot as it is pushed or comes down. Its order
    /// is the queue's definition; the queue must give exactly the same.
    struct PlainWheel {
        now: Millis,
        slots: [Vec<Vec<Stored>>; 3],
        len: usize,
    }

    impl PlainWheel {
        fn new() -> Self {
            let wheel = || (0..SLOTS).map(|_| Vec::new()).collect();
            PlainWheel { now: 0, slots: [wheel(), wheel(), wheel()], len: 0 }
        }
        fn push(&mut self, e: Event) {
            self.len += 1;
            self.place(Stored::of(Event { time: e.time.max(self.now), ..e }));
        }
        fn place(&mut self, e: Stored) {
            let (t, n) = (e.time as Millis, self.now);
            let level = if t >> BITS == n >> BITS {
                0
            } else if t >> (2 * BITS) == n >> (2 * BITS) {
                1
            } else {
                2
            };
            self.slots[level][((t >> (level as u32 * BITS)) & MASK) as usize].push(e);
        }
        /// Every event of the next non-empty 1 ms slot, in order, with the
        /// events pushed at that time while it is drained.
        fn pop(&mut self) -> Option<Event> {
            if self.len == 0 {
                return None;
            }
            loop {
                let from = (self.now & MASK) as usize;
                if let Some(s) = (from..SLOTS).find(|&s| !self.slots[0][s].is_empty()) {
                    self.now = (self.now & !MASK) | s as u64;
                    self.len -= 1;
                    return Some(self.slots[0][s].remove(0).event());
                }
                for level in 1..3 {
                    let shift = level as u32 * BITS;
                    let current = ((self.now >> shift) & MASK) as usize;
                    if let Some(s) = (current + 1..SLOTS).find(|&s| !self.slots[level][s].is_empty()) {
                        self.now = (self.now & !((1 << (shift + BITS)) - 1)) | (s as u64) << shift;
                        for e in std::mem::take(&mut self.slots[level][s]) {
                            self.place(e);
                        }
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn ties_come_out_as_the_plain_wheel_orders_them() {
        // Many pushes at equal times, on every wheel, directly and after
        // waiting on a coarser wheel, some at the time being drained.
        let (mut q, mut plain) = (EventQueue::new(), PlainWheel::new());
        let mut rng = Rng::new(5, Stream::Engine);
        let mut next_id = 0;
        let mut push = |q: &mut EventQueue, plain: &mut PlainWheel, t: Millis| {
            let e = ev(t, next_id);
            next_id += 1;
            q.push(e);
            plain.push(e);
        };
        for _ in 0..5_000 {
            let t = rng.below(3) as u64 * 5_000 + rng.below(4) as u64 * (1 << 24) + rng.below(8) as u64;
            push(&mut q, &mut plain, t);
        }
        let mut popped = 0;
        loop {
            let (got, want) = (q.pop(), plain.pop());
            assert_eq!(got, want, "pop {popped}");
            let Some(e) = got else { break };
            popped += 1;
            if popped < 40_000 {
                for _ in 0..rng.below(3) {
                    let delay = match rng.below(5) {
                        0 => 0,
                        1 => rng.below(4) as u64,
                        2 => rng.below(4) as u64 * 4_096,
                        3 => rng.below(3) as u64 * 3_000_000,
                        _ => rng.below(3) as u64 * (1 << 24),
                    };
                    push(&mut q, &mut plain, e.time + delay);
                }
            }
        }
        assert!(popped > 40_000, "{popped}");
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

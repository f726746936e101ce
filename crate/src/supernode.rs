//! Supernodes: the peers (and, in 2010, the operator's dedicated servers)
//! that carry the network.
//!
//! Facts behind it [P, `docs/reference/skype-outages.md`]: an ordinary node
//! attaches to one supernode; a supernode serves a star cluster of up to
//! several hundred clients; any client with a public address and enough
//! bandwidth can be promoted; about 48,000 were up at a time for about 9 M
//! online users. A supernode also accepts only so many new clients per
//! second (a token bucket here) and handles only so many connection attempts
//! per second before it is overloaded; supernodes differ, so each falls in
//! one of 16 overload classes spread from a quarter to four times the
//! median [H]; classes are dealt round-robin as supernodes are promoted.
//! The engine sets each second, per class, the share of requests answered
//! and whether new clients are taken.
//!
//! Slots are reused. Live supernodes, and those taking new clients, are
//! also counted by the 5-minute bucket in which they were promoted (Fenwick
//! trees), which is what the host-cache model needs: of the supernodes a
//! client learned about at time T, how many are still alive, and how many
//! would take it.

use crate::fenwick::Fenwick;
use crate::peer::{Peers, NONE};
use crate::time::{Millis, MINUTE};

pub const CLASSES: usize = 16;
/// Mega-supernodes are never overloaded.
pub const MEGA_CLASS: u8 = u8::MAX;
/// Host caches and promotions are grouped in buckets of this length.
pub const BUCKET: Millis = 5 * MINUTE;

/// Attempts per second class `c` handles, as a multiple of the median.
pub fn class_factor(c: usize) -> f64 {
    libm::pow(4.0, (c as f64 - 7.5) / 7.5)
}

#[derive(Clone, Debug)]
pub struct Supernode {
    pub host: u32,
    pub alive: bool,
    pub capacity: u32,
    pub accept_rate: f64,
    pub class: u8,
    pub bucket: u32,
    pub clients: Vec<u32>,
    live_pos: u32,
    class_pos: u32,
    open_pos: u32,
    tokens: f64,
    tokens_at: Millis,
    full: bool,
}

impl Supernode {
    pub fn is_mega(&self) -> bool {
        self.class == MEGA_CLASS
    }
    pub fn room(&self) -> u32 {
        self.capacity.saturating_sub(self.clients.len() as u32)
    }
}

/// Counts among the supernodes promoted up to some bucket and alive now.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Known {
    /// Supernodes alive at the end of that bucket.
    pub then: u64,
    /// Of those, alive now.
    pub alive: u64,
    /// Of those, taking new clients now.
    pub open: u64,
}

#[derive(Clone)]
pub struct Supernodes {
    pub slots: Vec<Supernode>,
    free: Vec<u32>,
    /// Live slots, any order.
    pub live: Vec<u32>,
    /// Live slots that take new clients now: room left and not overloaded.
    pub open: Vec<u32>,
    /// Live peer-hosted slots by overload class.
    pub classes: [Vec<u32>; CLASSES],
    /// Share of requests each class answers (1 unless overloaded).
    pub answer: [f64; CLASSES],
    /// Whether each class takes new clients.
    pub accepting: [bool; CLASSES],
    /// Clients attached to each class.
    pub class_clients: [u64; CLASSES],
    alive: Fenwick,
    open_by_bucket: Fenwick,
    /// Live count at the end of each closed bucket.
    snapshots: Vec<u64>,
    pub megas: u32,
    pub full_count: u32,
    pub clients_total: u64,
    /// Sums over the host classes that every host-cache walk asks for, kept
    /// up to date where the classes, their answers and the live list change
    /// (`sum_classes`), so a walk reads them instead of adding 16 terms.
    /// Live peer-hosted supernodes weighted by the share each class answers.
    answered_hosts: f64,
    /// Live supernodes that are not overloaded, megas included.
    calm_hosts: u64,
}

impl Supernodes {
    /// Bytes held on the heap (for the snapshot budget): the slots with
    /// their client lists, the live, open and class lists, the Fenwick trees.
    pub fn heap_bytes(&self) -> usize {
        use crate::memory::vec_bytes;
        vec_bytes(&self.slots)
            + self.slots.iter().map(|s| vec_bytes(&s.clients)).sum::<usize>()
            + vec_bytes(&self.free)
            + vec_bytes(&self.live)
            + vec_bytes(&self.open)
            + self.classes.iter().map(vec_bytes).sum::<usize>()
            + self.alive.heap_bytes()
            + self.open_by_bucket.heap_bytes()
            + vec_bytes(&self.snapshots)
    }

    pub fn new(buckets: usize) -> Supernodes {
        Supernodes {
            slots: Vec::new(),
            free: Vec::new(),
            live: Vec::new(),
            open: Vec::new(),
            classes: Default::default(),
            answer: [1.0; CLASSES],
            accepting: [true; CLASSES],
            class_clients: [0; CLASSES],
            alive: Fenwick::new(buckets),
            open_by_bucket: Fenwick::new(buckets),
            snapshots: Vec::new(),
            megas: 0,
            full_count: 0,
            clients_total: 0,
            answered_hosts: 0.0,
            calm_hosts: 0,
        }
    }

    /// Makes room for promotion buckets up to `buckets` (a run made longer);
    /// counts already kept are unchanged.
    pub fn grow_buckets(&mut self, buckets: usize) {
        self.alive.grow(buckets);
        self.open_by_bucket.grow(buckets);
    }

    pub fn live_count(&self) -> u32 {
        self.live.len() as u32
    }

    pub fn bucket_of(&self, t: Millis) -> u32 {
        ((t / BUCKET) as usize).min(self.alive.len() - 1) as u32
    }

    /// Records the live count at the end of the bucket that just closed.
    pub fn close_bucket(&mut self) {
        self.snapshots.push(self.live.len() as u64);
    }

    /// What a host cache refreshed in `bucket` knows now.
    pub fn known(&self, bucket: u32) -> Known {
        let b = bucket as usize;
        let then = self.snapshots.get(b).copied().unwrap_or(self.live.len() as u64);
        let count = |f: &Fenwick| f.prefix(b).max(0) as u64;
        Known { then, alive: count(&self.alive), open: count(&self.open_by_bucket) }
    }

    /// What a host cache refreshed now knows: `known` of the current
    /// bucket. No supernode is counted in a later bucket than the current
    /// one, so its prefix counts are the trees' totals, which are the live
    /// and open lists' lengths.
    pub fn known_now(&self, now: Millis) -> Known {
        let b = self.bucket_of(now) as usize;
        let then = self.snapshots.get(b).copied().unwrap_or(self.live.len() as u64);
        let k = Known { then, alive: self.live.len() as u64, open: self.open.len() as u64 };
        debug_assert_eq!(k, self.known(b as u32));
        k
    }

    pub fn create(&mut self, host: u32, capacity: u32, accept_rate: f64, class: u8, now: Millis) -> u32 {
        let bucket = self.bucket_of(now);
        let sn = Supernode {
            host,
            alive: true,
            capacity,
            accept_rate,
            class,
            bucket,
            clients: Vec::new(),
            live_pos: self.live.len() as u32,
            class_pos: NONE,
            open_pos: NONE,
            tokens: accept_rate.max(1.0),
            tokens_at: now,
            full: false,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = sn;
                s
            }
            None => {
                self.slots.push(sn);
                (self.slots.len() - 1) as u32
            }
        };
        self.live.push(slot);
        self.alive.add(bucket as usize, 1);
        if class == MEGA_CLASS {
            self.megas += 1;
        } else {
            let list = &mut self.classes[class as usize];
            self.slots[slot as usize].class_pos = list.len() as u32;
            list.push(slot);
        }
        self.sync_open(slot);
        self.sum_classes();
        slot
    }

    /// Removes a supernode and hands back its clients (their `home` still
    /// points at the dead slot; the caller reassigns them).
    pub fn remove(&mut self, slot: u32) -> Vec<u32> {
        let s = slot as usize;
        let clients = self.evict_all(slot);
        let (bucket, live_pos, class, class_pos) =
            (self.slots[s].bucket, self.slots[s].live_pos, self.slots[s].class, self.slots[s].class_pos);
        self.alive.add(bucket as usize, -1);
        let last = *self.live.last().expect("a live slot is in the live list");
        self.live.swap_remove(live_pos as usize);
        if last != slot {
            self.slots[last as usize].live_pos = live_pos;
        }
        if class == MEGA_CLASS {
            self.megas -= 1;
        } else {
            let list = &mut self.classes[class as usize];
            let last = *list.last().expect("a live host is in its class list");
            list.swap_remove(class_pos as usize);
            if last != slot {
                self.slots[last as usize].class_pos = class_pos;
            }
        }
        self.slots[s].alive = false;
        self.sync_open(slot);
        self.free.push(slot);
        self.sum_classes();
        clients
    }

    /// Empties a supernode's client list and hands the clients back (their
    /// `home` still points here; the caller reassigns them).
    pub fn evict_all(&mut self, slot: u32) -> Vec<u32> {
        let clients = std::mem::take(&mut self.slots[slot as usize].clients);
        self.count_clients(slot, -(clients.len() as i64));
        self.update_full(slot);
        clients
    }

    fn count_clients(&mut self, slot: u32, delta: i64) {
        self.clients_total = (self.clients_total as i64 + delta) as u64;
        let class = self.slots[slot as usize].class;
        if class != MEGA_CLASS {
            let c = &mut self.class_clients[class as usize];
            *c = (*c as i64 + delta) as u64;
        }
    }

    /// Share of requests supernode `slot` answers now.
    pub fn answer_of(&self, slot: u32) -> f64 {
        let class = self.slots[slot as usize].class;
        if class == MEGA_CLASS {
            1.0
        } else {
            self.answer[class as usize]
        }
    }

    /// Share of requests the live supernodes answer, on average.
    pub fn mean_answer(&self) -> f64 {
        if self.live.is_empty() {
            return 1.0;
        }
        (self.answered_hosts + self.megas as f64) / self.live.len() as f64
    }

    /// Of the refusals live supernodes give, the share that come from
    /// supernodes that are not overloaded (full, or out of admission tokens:
    /// the `1 - luck` of attaches to one with room), network-wide. `answer`
    /// is `mean_answer()`, which the caller has already computed.
    pub fn calm_refusal_share(&self, answer: f64, luck: f64) -> f64 {
        let calm = self.calm_hosts as f64;
        let heard = answer * self.live.len() as f64;
        let room = self.open.len() as f64 * luck;
        if heard - room <= 0.0 {
            return 1.0;
        }
        ((calm - room) / (heard - room)).clamp(0.0, 1.0)
    }

    /// Brings `answered_hosts` and `calm_hosts` up to date. The calm count
    /// is a sum of whole numbers, so it is the same in integers as the sum
    /// of their f64s it replaced.
    fn sum_classes(&mut self) {
        self.answered_hosts = (0..CLASSES).map(|c| self.classes[c].len() as f64 * self.answer[c]).sum();
        self.calm_hosts = u64::from(self.megas)
            + (0..CLASSES).filter(|&c| !self.class_overloaded(c)).map(|c| self.classes[c].len() as u64).sum::<u64>();
    }

    /// Live supernodes that are overloaded: answering only part of their
    /// requests, or refusing new clients.
    pub fn overloaded(&self) -> u32 {
        (0..CLASSES).filter(|&c| self.class_overloaded(c)).map(|c| self.classes[c].len() as u32).sum()
    }

    fn class_overloaded(&self, class: usize) -> bool {
        self.answer[class] < 1.0 || !self.accepting[class]
    }

    fn update_full(&mut self, slot: u32) {
        let sn = &mut self.slots[slot as usize];
        let full = sn.clients.len() as u32 >= sn.capacity;
        if full != sn.full {
            sn.full = full;
            self.full_count = if full { self.full_count + 1 } else { self.full_count - 1 };
            self.sync_open(slot);
        }
    }

    /// Puts a slot in or out of the `open` list to match its state.
    fn sync_open(&mut self, slot: u32) {
        let sn = &self.slots[slot as usize];
        let want = sn.alive && !sn.full && (sn.class == MEGA_CLASS || self.accepting[sn.class as usize]);
        let pos = sn.open_pos;
        let bucket = sn.bucket as usize;
        if want && pos == NONE {
            self.slots[slot as usize].open_pos = self.open.len() as u32;
            self.open.push(slot);
            self.open_by_bucket.add(bucket, 1);
        } else if !want && pos != NONE {
            self.open_by_bucket.add(bucket, -1);
            let last = *self.open.last().expect("an open slot is in the open list");
            self.open.swap_remove(pos as usize);
            if last != slot {
                self.slots[last as usize].open_pos = pos;
            }
            self.slots[slot as usize].open_pos = NONE;
        }
    }

    /// Sets the share of requests a host class answers and whether it takes
    /// new clients.
    pub fn set_class(&mut self, class: usize, share: f64, accepting: bool) {
        let was = self.accepting[class];
        self.answer[class] = share;
        self.accepting[class] = accepting;
        self.sum_classes();
        if was != accepting {
            for k in 0..self.classes[class].len() {
                let slot = self.classes[class][k];
                self.sync_open(slot);
            }
        }
    }

    /// The lists, counts and trees agree with the slots.
    pub fn check(&self) -> Result<(), String> {
        let mut class_clients = [0u64; CLASSES];
        let mut should_be_open = 0;
        for (k, &slot) in self.live.iter().enumerate() {
            let sn = &self.slots[slot as usize];
            if !sn.alive || sn.live_pos != k as u32 {
                return Err(format!("supernode {slot} is out of place in the live list"));
            }
            if sn.class != MEGA_CLASS {
                class_clients[sn.class as usize] += sn.clients.len() as u64;
                if self.classes[sn.class as usize].get(sn.class_pos as usize) != Some(&slot) {
                    return Err(format!("supernode {slot} is out of place in its class list"));
                }
            }
            let open = !sn.full && (sn.class == MEGA_CLASS || self.accepting[sn.class as usize]);
            if open != (sn.open_pos != NONE) || (open && self.open.get(sn.open_pos as usize) != Some(&slot)) {
                return Err(format!("supernode {slot} is out of place in the open list"));
            }
            should_be_open += u64::from(open);
            if sn.full != (sn.clients.len() as u32 >= sn.capacity) {
                return Err(format!("supernode {slot} has a stale full flag"));
            }
        }
        if class_clients != self.class_clients {
            return Err("clients per class differ from the supernodes' lists".into());
        }
        if should_be_open != self.open.len() as u64 {
            return Err("the open list has supernodes that should not be in it".into());
        }
        let all = self.known(self.alive.len() as u32 - 1);
        if all.alive != self.live.len() as u64 || all.open != self.open.len() as u64 {
            return Err(format!("promotion-time counts {all:?} differ from the lists"));
        }
        Ok(())
    }

    /// Takes one admission token; false when the supernode has used its
    /// accept rate for now.
    pub fn take_token(&mut self, slot: u32, now: Millis) -> bool {
        let sn = &mut self.slots[slot as usize];
        let burst = sn.accept_rate.max(1.0);
        sn.tokens = (sn.tokens + (now - sn.tokens_at) as f64 * sn.accept_rate / 1_000.0).min(burst);
        sn.tokens_at = now;
        if sn.tokens >= 1.0 {
            sn.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn attach(&mut self, slot: u32, peer: u32, peers: &mut Peers) {
        let sn = &mut self.slots[slot as usize];
        peers.hot[peer as usize].home = slot;
        peers.hot[peer as usize].pos = sn.clients.len() as u32;
        sn.clients.push(peer);
        self.count_clients(slot, 1);
        self.update_full(slot);
    }

    /// Detaches the client at `index` of the supernode's list, as `detach`
    /// does, without first reading its record for its place (the caller drew
    /// the place); returns the client.
    pub fn detach_at(&mut self, slot: u32, index: usize, peers: &mut Peers) -> u32 {
        let sn = &mut self.slots[slot as usize];
        let peer = sn.clients.swap_remove(index);
        debug_assert_eq!(peers.hot[peer as usize].pos, index as u32);
        if let Some(&moved) = sn.clients.get(index) {
            peers.hot[moved as usize].pos = index as u32;
        }
        peers.hot[peer as usize].home = NONE;
        peers.hot[peer as usize].pos = NONE;
        self.count_clients(slot, -1);
        self.update_full(slot);
        peer
    }

    pub fn detach(&mut self, slot: u32, peer: u32, peers: &mut Peers) {
        let sn = &mut self.slots[slot as usize];
        let pos = peers.hot[peer as usize].pos as usize;
        debug_assert_eq!(sn.clients[pos], peer);
        sn.clients.swap_remove(pos);
        if let Some(&moved) = sn.clients.get(pos) {
            peers.hot[moved as usize].pos = pos as u32;
        }
        peers.hot[peer as usize].home = NONE;
        peers.hot[peer as usize].pos = NONE;
        self.count_clients(slot, -1);
        self.update_full(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_counts_follow_promotions_and_deaths() {
        let mut sns = Supernodes::new(100);
        let mut peers = Peers::with_len(10);
        let a = sns.create(0, 2, 1.0, 3, 0);
        sns.close_bucket(); // bucket 0 closes with 1 alive
        let b = sns.create(1, 2, 1.0, 3, BUCKET + 1);
        assert_eq!(sns.known(0), Known { then: 1, alive: 1, open: 1 });
        assert_eq!(sns.known(1).alive, 2);
        sns.attach(a, 5, &mut peers);
        sns.attach(a, 6, &mut peers);
        assert_eq!(sns.full_count, 1);
        assert_eq!(sns.open, vec![b]);
        let orphans = sns.remove(a);
        assert_eq!(orphans, vec![5, 6]);
        assert_eq!(sns.known(0), Known { then: 1, alive: 0, open: 0 });
        assert_eq!(sns.known(1).alive, 1);
        assert_eq!(sns.full_count, 0);
        let c = sns.create(2, 2, 1.0, 3, 2 * BUCKET);
        assert_eq!(c, a, "slots are reused");
        assert_eq!(sns.live.len(), 2);
        assert_eq!(sns.classes[3].len(), 2);
        let _ = b;
    }

    #[test]
    fn tokens_limit_the_accept_rate() {
        let mut sns = Supernodes::new(10);
        let s = sns.create(0, 100, 2.0, 0, 0);
        let taken = (0..10).filter(|_| sns.take_token(s, 0)).count();
        assert_eq!(taken, 2, "a burst of one second's worth");
        assert!(!sns.take_token(s, 400));
        assert!(sns.take_token(s, 500));
    }

    /// Refusals come from full supernodes that answer everything (calm) and
    /// from overloaded ones in proportion to what they answer.
    #[test]
    fn calm_refusals_are_the_full_ones_among_all_that_refuse() {
        let mut sns = Supernodes::new(10);
        let mut peers = Peers::with_len(10);
        let full = sns.create(8, 1, 1.0, 0, 0);
        sns.create(9, 1, 1.0, 0, 0);
        sns.attach(full, 0, &mut peers);
        // One full and one open: every refusal is the full one's.
        assert_eq!(sns.calm_refusal_share(sns.mean_answer(), 1.0), 1.0);
        // Two overloaded supernodes answering half their traffic add one
        // supernode's worth of refusals.
        sns.create(7, 1, 1.0, 1, 0);
        sns.create(6, 1, 1.0, 1, 0);
        sns.set_class(1, 0.5, false);
        assert!((sns.calm_refusal_share(sns.mean_answer(), 1.0) - 0.5).abs() < 1e-12);
        // The open one out of tokens half the time refuses calmly too.
        assert!((sns.calm_refusal_share(sns.mean_answer(), 0.5) - 1.5 / 2.5).abs() < 1e-12);
    }

    #[test]
    fn detach_keeps_positions_right() {
        let mut sns = Supernodes::new(10);
        let mut peers = Peers::with_len(10);
        let s = sns.create(9, 10, 1.0, 0, 0);
        for p in 0..5 {
            sns.attach(s, p, &mut peers);
        }
        sns.detach(s, 1, &mut peers);
        sns.detach(s, 4, &mut peers);
        for (i, &p) in sns.slots[s as usize].clients.iter().enumerate() {
            assert_eq!(peers.hot[p as usize].pos, i as u32);
        }
        assert_eq!(sns.clients_total, 3);
    }
}

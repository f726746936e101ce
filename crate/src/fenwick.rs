//! A Fenwick (binary indexed) tree of counts: O(log n) point update and
//! prefix sum. The host-cache model keeps supernode counts by promotion time
//! in these, so "how many of the supernodes a peer learned about at time T
//! are still alive" is one prefix query.

#[derive(Clone, Debug)]
pub struct Fenwick {
    tree: Vec<i64>,
}

impl Fenwick {
    pub fn new(n: usize) -> Self {
        Fenwick { tree: vec![0; n + 1] }
    }

    /// Bytes held on the heap (for the snapshot budget).
    pub fn heap_bytes(&self) -> usize {
        crate::memory::vec_bytes(&self.tree)
    }

    pub fn len(&self) -> usize {
        self.tree.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn add(&mut self, index: usize, delta: i64) {
        let mut i = index + 1;
        while i < self.tree.len() {
            self.tree[i] += delta;
            i += i & i.wrapping_neg();
        }
    }

    /// Makes room for `n` entries (no-op if it has that many); the entries
    /// already there keep their values and the new ones are 0. O(n log n).
    pub fn grow(&mut self, n: usize) {
        if n <= self.len() {
            return;
        }
        let old = self.len();
        let values: Vec<i64> = (0..old).map(|i| self.prefix(i) - if i == 0 { 0 } else { self.prefix(i - 1) }).collect();
        *self = Fenwick::new(n);
        for (i, v) in values.into_iter().enumerate() {
            if v != 0 {
                self.add(i, v);
            }
        }
    }

    /// Sum of entries 0..=index (index clamped to the last entry).
    pub fn prefix(&self, index: usize) -> i64 {
        let mut i = (index + 1).min(self.tree.len() - 1);
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i &= i - 1;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_prefix_sum() {
        let mut f = Fenwick::new(37);
        let mut plain = [0i64; 37];
        for k in 0..500usize {
            let i = (k * 7919) % 37;
            let d = (k as i64 % 5) - 2;
            f.add(i, d);
            plain[i] += d;
            let j = (k * 31) % 40;
            let want: i64 = plain[..=j.min(36)].iter().sum();
            assert_eq!(f.prefix(j), want);
        }
    }

    #[test]
    fn growing_keeps_every_prefix_and_adds_zeros() {
        let mut f = Fenwick::new(13);
        let mut plain = vec![0i64; 13];
        for k in 0..60usize {
            let i = (k * 5) % 13;
            f.add(i, k as i64 - 20);
            plain[i] += k as i64 - 20;
        }
        f.grow(40);
        assert_eq!(f.len(), 40);
        plain.resize(40, 0);
        f.add(33, 7);
        plain[33] += 7;
        for j in 0..40 {
            assert_eq!(f.prefix(j), plain[..=j].iter().sum::<i64>(), "prefix {j}");
        }
        f.grow(10);
        assert_eq!(f.len(), 40, "growing to fewer entries changes nothing");
    }
}

//! What a value holds on the heap, counted for the snapshot budget
//! (`timeline.rs`): each domain type adds up its vectors' capacities. A
//! clone allocates each vector at its length, so a snapshot's count is
//! what it holds.

/// Bytes of a vector's buffer (its capacity, not its length).
#[allow(clippy::ptr_arg)] // the capacity is the point
pub fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Bytes of a vector of vectors: the outer buffer and every inner one.
#[allow(clippy::ptr_arg)]
pub fn nested_bytes<T>(v: &Vec<Vec<T>>) -> usize {
    vec_bytes(v) + v.iter().map(vec_bytes).sum::<usize>()
}

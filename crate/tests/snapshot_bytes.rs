//! `Simulation::heap_bytes`, the count the snapshot budget is kept by, is
//! what a snapshot takes from the allocator. This binary counts every
//! allocation, so it holds this one test alone.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use patchstorm::{Scenario, Simulation};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System`; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_snapshot_holds_what_heap_bytes_counts() {
    for (query, hours) in [
        ("preset=skype-2007&peers=20000&hours=48", [0, 20, 34, 48]),
        ("preset=skype-2010&peers=20000&hours=48", [0, 30, 42, 48]),
    ] {
        let mut sim = Simulation::new(&Scenario::from_query(query).unwrap());
        for h in hours {
            sim.run_until(h * 3_600_000);
            let before = LIVE.load(Ordering::Relaxed);
            let snapshot = sim.clone();
            let taken = LIVE.load(Ordering::Relaxed) - before;
            let counted = snapshot.heap_bytes();
            let off = (counted as f64 - taken as f64).abs() / taken as f64;
            assert!(off < 0.02, "{query} at {h} h: counted {counted} bytes, the allocator gave {taken}");
            // The run itself holds at least as much (its vectors have room to grow).
            assert!(sim.heap_bytes() >= counted);
        }
    }
}

//! Transparent huge pages for the tool's large tables.
//!
//! At 10 M peers the model's tables (peer records, timing wheels, supernode
//! client lists, the login pool) are hundreds of MiB, read at random: with
//! 4 KiB pages nearly every access also misses the TLB. Linux backs memory
//! with 2 MiB pages when asked (`madvise(MADV_HUGEPAGE)`; many machines,
//! this project's among them, run transparent huge pages in `madvise`
//! mode). This allocator is the system one, plus that request for every
//! allocation of `MIN` bytes or more. It changes where memory comes from,
//! never what the model computes: results and digests are the same.
//!
//! The browser build does not use it (the tool is native only).

use std::alloc::{GlobalAlloc, Layout, System};

/// Huge page size on x86-64 and most aarch64 Linux systems.
const HUGE: usize = 2 << 20;
/// Allocations below this stay on small pages: a half-used huge page
/// wastes memory, and small tables fit the TLB anyway.
const MIN: usize = 8 << 20;

pub struct HugePages;

/// Asks for huge pages on the whole 2 MiB-aligned part of `[p, p + len)`.
/// Only advice: if the kernel says no, the memory is used as it is.
fn advise(p: *mut u8, len: usize) {
    if p.is_null() || len < MIN {
        return;
    }
    let start = (p as usize).next_multiple_of(HUGE);
    let end = (p as usize + len) / HUGE * HUGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation just made; the
        // advice changes neither its contents nor its mapping's rights. A
        // refusal (a kernel without THP) sets errno, which the code that
        // allocated must not see, so it is put back.
        unsafe {
            let errno = libc::__errno_location();
            let saved = *errno;
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            *errno = saved;
        }
    }
}

// SAFETY: every method forwards to `System` with the same arguments and
// returns what it returns; `advise` only adds advice on memory it returned.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        advise(p, layout.size());
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        advise(p, layout.size());
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        advise(p, new_size);
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

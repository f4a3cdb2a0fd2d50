//! The global allocator: a bump allocator, because a contract call is short-lived and its
//! whole memory is thrown away when it ends.
//!
//! It hands out memory from `__heap_base` (the end of the stack and the static data, which
//! the linker places first) upwards and never frees: freeing would save memory that is
//! discarded moments later, and the code to do it would be deployed, and paid for, with
//! every contract. Resizing the most recent allocation happens in place — which is what a
//! growing `Vec` or `String` does — so growth costs no copies. Memory grows as needed (the
//! VM charges each new page); at the VM's memory cap allocation fails and the contract
//! panics, which reverts.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

const PAGE: usize = 65_536;

pub struct BumpAllocator {
    /// First free byte; 0 until the first allocation.
    next: Cell<usize>,
}

// SAFETY: a contract runs single-threaded (the VM profile refuses threads and atomics), so
// the cell is never accessed concurrently.
unsafe impl Sync for BumpAllocator {}

unsafe extern "C" {
    /// Placed by the linker after static data and the stack.
    static __heap_base: u8;
}

impl BumpAllocator {
    pub const fn new() -> Self {
        BumpAllocator { next: Cell::new(0) }
    }

    fn next(&self) -> usize {
        match self.next.get() {
            0 => &raw const __heap_base as usize,
            next => next,
        }
    }

    /// Makes memory reach `end`, growing it if needed; false if it cannot.
    fn reserve(end: usize) -> bool {
        let size = wasm32::memory_size(0) * PAGE;
        if end <= size {
            return true;
        }
        wasm32::memory_grow(0, (end - size).div_ceil(PAGE)) != usize::MAX
    }
}

impl Default for BumpAllocator {
    fn default() -> Self {
        Self::new()
    }
}

unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `align` is a power of two, so rounding up is a mask.
        let start = match self.next().checked_add(layout.align() - 1) {
            Some(n) => n & !(layout.align() - 1),
            None => return core::ptr::null_mut(),
        };
        match start.checked_add(layout.size()) {
            Some(end) if Self::reserve(end) => {
                self.next.set(end);
                start as *mut u8
            }
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start + layout.size() == self.next() {
            return match start.checked_add(new_size) {
                Some(end) if Self::reserve(end) => {
                    self.next.set(end);
                    ptr
                }
                _ => core::ptr::null_mut(),
            };
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: the caller guarantees `layout` with `new_size` is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid layout of non-zero size (it is larger than the old one).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both regions are valid for `layout.size()` bytes and do not overlap
            // (the new one starts at or after the old allocation's end).
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}

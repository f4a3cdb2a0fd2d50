//! Compiled modules kept for reuse, so calling a contract does not recompile it.
//!
//! A compiled module depends on the code, on how the deploy pipeline rewrote it (the cost
//! table and limits, see [`crate::Vm::fingerprint`]) and on the engine that compiled it, so
//! all of these form the key: changing any of them can never pick up stale machine code.
//! The cache only ever saves time: a miss runs the same deterministic pipeline a hit skipped,
//! and the tests compare outcomes with a cold and a warm cache.

use crate::engine::Compiled;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// What a compiled module depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// keccak-256 of the module as deployed (before instrumentation).
    pub code_hash: [u8; 32],
    /// [`crate::Vm::fingerprint`] of the pipeline that prepared it.
    pub config: u64,
    pub engine: &'static str,
    pub engine_version: &'static str,
}

/// A bounded map from [`CacheKey`] to compiled code; the oldest entry leaves first.
pub struct ModuleCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    modules: HashMap<CacheKey, Arc<dyn Compiled>>,
    order: VecDeque<CacheKey>,
    hits: u64,
    misses: u64,
}

impl ModuleCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, key: &CacheKey) -> Option<Arc<dyn Compiled>> {
        let mut entries = self.entries.lock();
        let found = entries.modules.get(key).cloned();
        match found {
            Some(_) => entries.hits += 1,
            None => entries.misses += 1,
        }
        found
    }

    pub fn insert(&self, key: CacheKey, module: Arc<dyn Compiled>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.modules.insert(key.clone(), module).is_none() {
            entries.order.push_back(key);
        }
        while entries.modules.len() > self.capacity {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            entries.modules.remove(&oldest);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lookups that found a module and lookups that did not, since creation.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let entries = self.entries.lock();
        (entries.hits, entries.misses)
    }
}

impl Default for ModuleCache {
    /// Room for a thousand modules.
    fn default() -> Self {
        Self::new(1_000)
    }
}

//! What this node serves to peers that sync, without making them wait on block commits.
//!
//! The chain sits behind one lock that a commit holds while it executes, and a follower
//! catching up holds it across a whole run of blocks. A sync answer must not wait for that:
//! the head is kept in a cell, refreshed whenever the lock is free, and reported from the cell
//! while it is not; a block is read from the store if the lock comes free within
//! [`BUSY_WAIT`], and otherwise the range stops there (the peer asks again, or asks another
//! node). Blocks already served with their finality proof are kept in a small cache, since a
//! proven block never changes: followers catching up ask for the same recent ranges, and
//! those are answered from the cache even while the chain is locked.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vnt_chain::chain::Chain;
use vnt_chain::node::Shared;
use vnt_hubble::block::LedgerBlock;
use vnt_net::{ChainStatus, SyncSource};

use super::FinalBlock;

/// How long a block read waits for a commit to release the chain before the range stops.
pub const BUSY_WAIT: Duration = Duration::from_millis(100);
/// Proven blocks kept for serving again: two full responses.
const CACHED_BLOCKS: usize = 256;
/// Bytes of proven blocks kept for serving again.
const CACHED_BYTES: usize = 32 * 1024 * 1024;

/// Serves this node's finalized chain.
pub struct ChainSource {
    shared: Arc<Shared>,
    head: Mutex<ChainStatus>,
    proven: Mutex<ProvenBlocks>,
}

impl ChainSource {
    /// Reads the head once (this may wait for a commit; the network is not running yet).
    pub fn new(shared: Arc<Shared>) -> Self {
        let head = status_of(&shared.chain.read());
        Self {
            shared,
            head: Mutex::new(head),
            proven: Mutex::new(ProvenBlocks::default()),
        }
    }

    fn remember_head(&self, chain: &Chain) {
        *self.head.lock().expect("the head cell holds no invariant") = status_of(chain);
    }
}

fn status_of(chain: &Chain) -> ChainStatus {
    ChainStatus {
        height: chain.head().number,
        hash: chain.head_hash().0,
    }
}

impl SyncSource for ChainSource {
    fn status(&self) -> ChainStatus {
        if let Some(chain) = self.shared.chain.try_read() {
            self.remember_head(&chain);
        }
        *self.head.lock().expect("the head cell holds no invariant")
    }

    fn block(&self, height: u64) -> Option<Vec<u8>> {
        if let Some(bytes) = self.proven.lock().expect("no invariant").get(height) {
            return Some(bytes);
        }
        let chain = self.shared.chain.try_read_for(BUSY_WAIT)?;
        self.remember_head(&chain);
        let stored = chain.block_by_number(height).ok()??;
        let proof = chain.store().finality_proof(&stored.hash).ok()?;
        drop(chain);
        let proven = proof.is_some();
        let bytes = FinalBlock {
            block: LedgerBlock::new(stored.block),
            proof,
        }
        .to_bytes();
        // An unproven block may gain its proof later; only a proven one is final as served.
        if proven {
            let mut cache = self.proven.lock().expect("no invariant");
            cache.insert(height, bytes.clone());
        }
        Some(bytes)
    }
}

/// Served bytes of proven blocks by height, oldest pushed out first.
#[derive(Default)]
struct ProvenBlocks {
    by_height: HashMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
    bytes: usize,
}

impl ProvenBlocks {
    fn get(&self, height: u64) -> Option<Vec<u8>> {
        self.by_height.get(&height).cloned()
    }

    fn insert(&mut self, height: u64, bytes: Vec<u8>) {
        if bytes.len() > CACHED_BYTES || self.by_height.contains_key(&height) {
            return;
        }
        while self.by_height.len() >= CACHED_BLOCKS || self.bytes + bytes.len() > CACHED_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(evicted) = self.by_height.remove(&oldest) {
                self.bytes -= evicted.len();
            }
        }
        self.bytes += bytes.len();
        self.order.push_back(height);
        self.by_height.insert(height, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_pushes_out_the_oldest_block_when_full() {
        let mut cache = ProvenBlocks::default();
        for height in 0..=CACHED_BLOCKS as u64 {
            cache.insert(height, vec![height as u8; 8]);
        }
        assert_eq!(cache.get(0), None);
        assert_eq!(cache.get(1), Some(vec![1; 8]));
        assert_eq!(cache.by_height.len(), CACHED_BLOCKS);
        assert_eq!(cache.bytes, CACHED_BLOCKS * 8);
        let huge = vec![0; CACHED_BYTES / 2 + 1];
        cache.insert(1000, huge.clone());
        cache.insert(1001, huge);
        assert_eq!(cache.get(1000), None, "two halves do not fit");
        assert!(cache.bytes <= CACHED_BYTES);
    }
}

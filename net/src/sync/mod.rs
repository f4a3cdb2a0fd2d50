//! Finalized-block sync: the wire format ([`wire`]), its libp2p codec ([`codec`]), and what a
//! node serves for a request given its [`crate::SyncSource`] ([`serve_blocks`]) and how often
//! it serves one peer ([`RateLimiter`]).

pub mod codec;
mod rate;
pub mod wire;

pub use rate::RateLimiter;

use crate::SyncSource;
use wire::{BLOCKS_HEADER_BYTES, PER_BLOCK_OVERHEAD};

/// Consecutive finalized blocks from `from`: at most `max` and `max_blocks` of them, never past
/// the head, stopping at the first block the source lacks or that would push the encoded
/// response beyond `max_response_bytes`.
pub fn serve_blocks(
    source: &dyn SyncSource,
    from: u64,
    max: u32,
    max_blocks: u32,
    max_response_bytes: usize,
) -> Vec<Vec<u8>> {
    let head = source.status().height;
    let count = max.min(max_blocks);
    let mut blocks = Vec::new();
    let mut size = BLOCKS_HEADER_BYTES;
    for offset in 0..u64::from(count) {
        let Some(height) = from.checked_add(offset) else {
            break;
        };
        if height > head {
            break;
        }
        let Some(block) = source.block(height) else {
            break;
        };
        if size + PER_BLOCK_OVERHEAD + block.len() > max_response_bytes {
            break;
        }
        size += PER_BLOCK_OVERHEAD + block.len();
        blocks.push(block);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChainStatus;

    struct Chain(Vec<Vec<u8>>);

    impl SyncSource for Chain {
        fn status(&self) -> ChainStatus {
            ChainStatus {
                height: self.0.len() as u64 - 1,
                hash: [0; 32],
            }
        }
        fn block(&self, height: u64) -> Option<Vec<u8>> {
            self.0.get(height as usize).cloned()
        }
    }

    fn chain() -> Chain {
        Chain((0..10u8).map(|height| vec![height; 10]).collect())
    }

    #[test]
    fn a_range_stops_at_the_head_at_max_and_at_the_server_cap() {
        let chain = chain();
        assert_eq!(serve_blocks(&chain, 8, 5, 100, 1 << 20).len(), 2);
        assert_eq!(serve_blocks(&chain, 0, 3, 100, 1 << 20).len(), 3);
        assert_eq!(serve_blocks(&chain, 0, 100, 4, 1 << 20).len(), 4);
        assert!(serve_blocks(&chain, 10, 5, 100, 1 << 20).is_empty());
        assert!(serve_blocks(&chain, u64::MAX, 5, 100, 1 << 20).is_empty());
    }

    #[test]
    fn a_range_stops_before_the_block_that_would_exceed_the_byte_cap() {
        let chain = chain();
        // Header 5 + three blocks of 4 + 10 bytes = 47; a 46-byte cap leaves room for two.
        let blocks = serve_blocks(&chain, 0, 10, 100, 46);
        assert_eq!(blocks, vec![vec![0u8; 10], vec![1u8; 10]]);
        assert_eq!(serve_blocks(&chain, 0, 10, 100, 47).len(), 3);
    }
}

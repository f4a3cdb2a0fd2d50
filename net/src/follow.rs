//! Catching up: a node that joins late or restarts pulls finalized blocks, in order, from the
//! connected peer with the highest head until it has that head. The node verifies and stores
//! each block through a [`BlockImporter`]; this module only moves bytes and keeps count.

use libp2p::PeerId;

use crate::{error::FollowError, handle::NetHandle};

/// The node's finalized store, as the follower sees it.
pub trait BlockImporter {
    /// Height of the next block the node needs (its finalized height plus one).
    fn next_height(&self) -> u64;
    /// Verifies and stores the block at `height`; an error names why it is not the block.
    fn import(&mut self, height: u64, block: &[u8]) -> Result<(), String>;
}

/// Bounds on one catch-up.
#[derive(Clone, Copy, Debug)]
pub struct FollowOptions {
    /// Blocks asked for per request (the peer may cap it lower).
    pub batch: u32,
    /// Requests (status and ranges) after which the follower gives up.
    pub max_requests: u32,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self {
            batch: 64,
            max_requests: 10_000,
        }
    }
}

/// Where a catch-up ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    pub peer: PeerId,
    /// The peer's head when the follower last asked, which the node now has.
    pub head: u64,
    pub imported: u64,
    pub requests: u32,
}

/// Imports finalized blocks from the best connected peer until the node has that peer's head,
/// asking once more for its status when the first head is reached (the chain moved meanwhile).
pub async fn catch_up(
    network: &NetHandle,
    importer: &mut dyn BlockImporter,
    options: FollowOptions,
) -> Result<CaughtUp, FollowError> {
    let (peer, status) = network
        .best_peer()
        .await
        .map_err(|_| FollowError::NoPeers)?
        .ok_or(FollowError::NoPeers)?;
    let mut head = status.height;
    let mut requests = 1u32;
    let mut imported = 0u64;
    loop {
        let next = importer.next_height();
        if next > head {
            if requests >= options.max_requests {
                return Ok(CaughtUp {
                    peer,
                    head,
                    imported,
                    requests,
                });
            }
            requests += 1;
            let latest = network.status(peer).await?.height;
            if latest <= head {
                return Ok(CaughtUp {
                    peer,
                    head,
                    imported,
                    requests,
                });
            }
            head = latest;
            continue;
        }
        if requests >= options.max_requests {
            return Err(FollowError::RequestBudgetExhausted {
                requests,
                next,
                head,
            });
        }
        requests += 1;
        let blocks = network.blocks(peer, next, options.batch).await?;
        if blocks.is_empty() {
            return Err(FollowError::EmptyRange {
                peer,
                from: next,
                head,
            });
        }
        for (height, block) in (next..).zip(&blocks) {
            importer
                .import(height, block)
                .map_err(|reason| FollowError::Rejected {
                    peer,
                    height,
                    reason,
                })?;
            imported += 1;
        }
    }
}

//! Catching up: a node that joins late or restarts pulls finalized blocks, in order, from the
//! connected peer with the highest head until it has that head. The node verifies and stores
//! each block through a [`BlockImporter`]; this module only moves bytes and keeps count.

use libp2p::PeerId;

use std::time::Duration;

use crate::{
    error::{FollowError, SyncError},
    handle::NetHandle,
};

/// Wait after a peer refuses a range for exceeding its request rate; doubled on each further
/// refusal up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The node's finalized store, as the follower sees it.
pub trait BlockImporter {
    /// Height of the next block the node needs (its finalized height plus one).
    fn next_height(&self) -> u64;
    /// Verifies and stores the block at `height`; an error names why it is not the block.
    fn import(&mut self, height: u64, block: &[u8]) -> Result<(), String>;
    /// Forgets whatever the importer holds from the peer that just failed (blocks it keeps
    /// until a later one proves them, say), so the next peer starts from the stored chain.
    fn reset(&mut self) {}
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

/// Imports finalized blocks until the node has the head of the best connected peer, asking
/// that peer once more for its status when the head is reached (the chain moved meanwhile).
///
/// Peers are tried from the highest head down: when one fails (it stops answering, serves
/// nothing below the head it claims, or serves a block the importer refuses), the follower
/// moves on to the next peer still ahead of the node. A peer that refuses a request for
/// exceeding its rate limit is waited for (backing off from 50 ms to 2 s), not abandoned. If every peer fails, the error of the
/// first is returned. The request budget covers all peers together.
pub async fn catch_up(
    network: &NetHandle,
    importer: &mut (dyn BlockImporter + Send),
    options: FollowOptions,
) -> Result<CaughtUp, FollowError> {
    let heads = network
        .peer_heads()
        .await
        .map_err(|_| FollowError::NoPeers)?;
    let Some(&(best, best_status)) = heads.first() else {
        return Err(FollowError::NoPeers);
    };
    let mut progress = Progress {
        requests: 1,
        imported: 0,
    };
    let mut first_error = None;
    for (peer, status) in heads {
        if status.height < importer.next_height() && first_error.is_some() {
            break;
        }
        match follow_peer(
            network,
            importer,
            peer,
            status.height,
            &mut progress,
            options,
        )
        .await
        {
            Ok(caught_up) => return Ok(caught_up),
            Err(error @ FollowError::RequestBudgetExhausted { .. }) => return Err(error),
            Err(error) => {
                tracing::warn!(%peer, %error, "catch-up from peer failed; trying the next");
                // Nothing that peer served may steer what is asked of the next one.
                importer.reset();
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(CaughtUp {
            peer: best,
            head: best_status.height,
            imported: progress.imported,
            requests: progress.requests,
        }),
    }
}

struct Progress {
    requests: u32,
    imported: u64,
}

async fn follow_peer(
    network: &NetHandle,
    importer: &mut (dyn BlockImporter + Send),
    peer: PeerId,
    mut head: u64,
    progress: &mut Progress,
    options: FollowOptions,
) -> Result<CaughtUp, FollowError> {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let next = importer.next_height();
        let caught_up = |progress: &Progress, head| CaughtUp {
            peer,
            head,
            imported: progress.imported,
            requests: progress.requests,
        };
        if next > head {
            if progress.requests >= options.max_requests {
                return Ok(caught_up(progress, head));
            }
            progress.requests += 1;
            let latest = match network.status(peer).await {
                Ok(status) => status.height,
                Err(SyncError::RateLimited { .. }) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            if latest <= head {
                return Ok(caught_up(progress, head));
            }
            head = latest;
            continue;
        }
        if progress.requests >= options.max_requests {
            return Err(FollowError::RequestBudgetExhausted {
                requests: progress.requests,
                next,
                head,
            });
        }
        progress.requests += 1;
        let blocks = match network.blocks(peer, next, options.batch).await {
            Ok(blocks) => {
                backoff = FIRST_BACKOFF;
                blocks
            }
            Err(SyncError::RateLimited { .. }) => {
                // The peer serves everyone a fair share; waiting is cheaper than starting over
                // with a peer that may be further behind.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
            Err(error) => return Err(error.into()),
        };
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
            progress.imported += 1;
        }
    }
}

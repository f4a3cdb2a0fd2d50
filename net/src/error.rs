//! Errors of the open network, one enum per thing a caller does: start and publish
//! ([`NetError`]), ask a peer for sync data ([`SyncError`]), catch up ([`FollowError`]).

use libp2p::{Multiaddr, PeerId};

/// Starting the network or publishing on it failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("bootnode address {0} does not end in /p2p/<peer id>")]
    BootnodeWithoutPeerId(Multiaddr),
    #[error("cannot build the libp2p transport: {0}")]
    Transport(String),
    #[error("cannot listen on {address}: {reason}")]
    Listen { address: Multiaddr, reason: String },
    #[error("the network task has stopped")]
    Stopped,
    #[error("transaction of {size} bytes exceeds the gossip limit of {max} bytes")]
    TransactionTooLarge { size: usize, max: usize },
    #[error("block of {size} bytes exceeds the gossip limit of {max} bytes")]
    BlockTooLarge { size: usize, max: usize },
    #[error("no connected peer subscribes to the topic yet")]
    NoGossipPeers,
    #[error("these bytes were already published")]
    AlreadyPublished,
    #[error("gossip refused the transaction: {0}")]
    Publish(String),
}

/// A sync request to one peer failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the network task has stopped")]
    Stopped,
    #[error("cannot reach peer {peer}")]
    Unreachable { peer: PeerId },
    #[error("peer {peer} did not answer in time")]
    Timeout { peer: PeerId },
    #[error("connection to peer {peer} closed before it answered")]
    ConnectionClosed { peer: PeerId },
    #[error("peer {peer} does not speak this chain's sync protocol")]
    UnsupportedProtocol { peer: PeerId },
    #[error("peer {peer} refused the request: too many requests")]
    RateLimited { peer: PeerId },
    #[error("peer {peer} sent a malformed response: {reason}")]
    MalformedResponse { peer: PeerId, reason: String },
    #[error("peer {peer} answered a {asked} request with a different kind of response")]
    WrongResponseKind { peer: PeerId, asked: &'static str },
    #[error("peer {peer} sent {got} blocks when at most {asked} were asked for")]
    TooManyBlocks {
        peer: PeerId,
        asked: u32,
        got: usize,
    },
    #[error("stream to peer {peer} failed: {reason}")]
    Io { peer: PeerId, reason: String },
}

/// Catching up with the network's finalized chain failed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("no connected peer serves sync")]
    NoPeers,
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("peer {peer} reports head {head} but served no block from height {from}")]
    EmptyRange { peer: PeerId, from: u64, head: u64 },
    #[error("block {height} from peer {peer} was rejected: {reason}")]
    Rejected {
        peer: PeerId,
        height: u64,
        reason: String,
    },
    #[error("gave up after {requests} requests at height {next} of {head}")]
    RequestBudgetExhausted { requests: u32, next: u64, head: u64 },
}

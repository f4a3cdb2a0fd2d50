//! The two seams where the node plugs into the open network: what it serves to peers that sync
//! ([`SyncSource`]) and what it thinks of a gossiped transaction ([`TransactionValidator`]).
//! Both are called from the network task, so they must be quick: read finalized data from
//! memory or a local store, check a transaction's encoding and signature.

pub use crate::sync::wire::ChainStatus;

/// Finalized blocks this node serves, as opaque bytes.
pub trait SyncSource: Send + Sync + 'static {
    /// The finalized head.
    fn status(&self) -> ChainStatus;
    /// The finalized block at `height`, encoded as the node stores it; `None` if unknown.
    fn block(&self, height: u64) -> Option<Vec<u8>>;
}

/// What the node makes of a gossiped transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: delivered to the node and forwarded to other peers.
    Accept,
    /// Invalid whoever sent it (bad encoding, bad signature): dropped, not forwarded, and the
    /// peer that sent it loses gossip score, enough to be ignored for a while.
    Reject,
    /// Not useful now but not the sender's fault (already known, nonce already used): dropped
    /// without forwarding or penalty.
    Ignore,
}

/// Judges gossiped transactions before they travel further.
pub trait TransactionValidator: Send + Sync + 'static {
    fn validate(&self, transaction: &[u8]) -> Verdict;
}

impl<F> TransactionValidator for F
where
    F: Fn(&[u8]) -> Verdict + Send + Sync + 'static,
{
    fn validate(&self, transaction: &[u8]) -> Verdict {
        self(transaction)
    }
}

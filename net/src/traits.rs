//! The two seams where the node plugs into the open network: what it serves to peers that sync
//! ([`SyncSource`]) and what it thinks of gossiped transactions and blocks
//! ([`GossipValidator`]). Neither is called on the network task: a source answers on tokio's
//! blocking pool, a validator on one worker thread that judges gossip in arrival order. They
//! may take a lock, but a validator that is slow delays every gossiped message behind it, and
//! past a bounded queue the network ignores new ones.

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

/// Judges gossip before it travels further.
pub trait GossipValidator: Send + Sync + 'static {
    /// A transaction a peer relayed.
    fn validate_transaction(&self, transaction: &[u8]) -> Verdict;

    /// A finalized block a peer announced (with whatever proof of finality the node's block
    /// encoding carries). The default ignores blocks: a node that does not check them neither
    /// receives nor forwards them.
    fn validate_block(&self, block: &[u8]) -> Verdict {
        let _ = block;
        Verdict::Ignore
    }
}

/// A closure judges transactions; blocks are ignored.
impl<F> GossipValidator for F
where
    F: Fn(&[u8]) -> Verdict + Send + Sync + 'static,
{
    fn validate_transaction(&self, transaction: &[u8]) -> Verdict {
        self(transaction)
    }
}

//! `vnt-net`: Hubble's open network, on rust-libp2p.
//!
//! Validators agree among themselves over consensus's own authenticated channels; everyone
//! else (full nodes, late joiners, restarting validators catching up) meets here: transactions
//! and newly finalized blocks travel by gossip, peers find each other through Kademlia, and
//! finalized blocks are served by height range to whoever is behind.
//!
//! The crate knows nothing of blocks or transactions: they are opaque bytes. The node plugs in
//! at two traits, [`SyncSource`] (what it serves) and [`GossipValidator`] (which gossiped
//! transactions and blocks it lets through), starts the network with [`Network::start`], and
//! then uses the returned [`NetHandle`] and [`NetEvent`] stream. [`follow::catch_up`] pulls the finalized chain from
//! the best peer into a [`follow::BlockImporter`].
//!
//! ```no_run
//! # async fn example(source: std::sync::Arc<dyn vnt_net::SyncSource>) -> Result<(), vnt_net::NetError> {
//! use std::sync::Arc;
//! use vnt_net::{NetConfig, Network, NetEvent, Verdict};
//!
//! let config = NetConfig::new(7, NetConfig::generate_identity());
//! let validator = Arc::new(|tx: &[u8]| if tx.is_empty() { Verdict::Reject } else { Verdict::Accept });
//! let (network, mut events) = Network::start(config, source, validator).await?;
//! network.publish_transaction(b"signed transaction".to_vec()).await.ok();
//! while let Some(NetEvent::Transaction { bytes, .. }) = events.recv().await {
//!     // hand `bytes` to the transaction pool
//! }
//! # Ok(()) }
//! ```
//!
//! The protocols, their names and limits are described in the book's "Open network" chapter.

mod behaviour;
mod config;
mod driver;
mod error;
pub mod follow;
mod handle;
mod sync;
mod traits;
mod validation;

pub use behaviour::{block_topic, sync_protocol, transaction_topic};
pub use config::{Limits, NetConfig, peer_id_from_ed25519_public, peer_id_from_identity};
pub use error::{FollowError, NetError, SyncError};
pub use handle::{EVENT_CAPACITY, NetEvent, NetHandle, Network};
pub use libp2p::{Multiaddr, PeerId};
pub use sync::wire::{Request as SyncRequest, Response as SyncResponse, WireError};
pub use traits::{ChainStatus, GossipValidator, SyncSource, Verdict};

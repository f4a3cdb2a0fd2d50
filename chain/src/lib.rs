//! The VNT ledger engine.
//!
//! Hubble, every sidechain and every Galileo channel are instances of this one engine,
//! configured by a [`Genesis`] and a [`ChainConfig`]. A transaction travels through the
//! modules in the order it lives: [`tx`] decodes and checks it statelessly, [`pool`] admits
//! it against the current state, [`producer`] picks it into a block, [`execution`] runs it
//! (revm over our [`state`]), [`chain`] commits the block and its receipts atomically to
//! [`store`], and [`rpc`] answers for it over Ethereum JSON-RPC.
//!
//! Start reading at [`Chain`], which owns the canonical head and the world state, and at
//! [`Node`], which wires the chain, the pool, block production and the RPC server together.

pub mod chain;
pub mod config;
pub mod execution;
pub mod genesis;
pub mod history;
pub mod node;
pub mod pool;
pub mod producer;
pub mod rpc;
pub mod shielded;
pub mod staking;
pub mod state;
pub mod statetest;
pub mod store;
pub mod system;
pub mod testing;
pub mod token;
pub mod tx;

pub use chain::{Chain, ChainError};
pub use config::ChainConfig;
pub use genesis::Genesis;
pub use node::{Node, NodeConfig, NodeHandle};

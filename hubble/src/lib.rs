//! `vnt-hubble`: Hubble's consensus engine, where the ledger meets the BFT protocol.
//!
//! `vnt-chain` executes and stores blocks; `vnt-vortex` decides, free of I/O, who validates
//! and what counts as misbehaviour; commonware's simplex orders blocks. This crate joins them:
//! it hands simplex the blocks the chain proposes, verifies the blocks others propose by
//! executing them, and commits blocks to the chain as they become final. It is generic over
//! commonware's runtime and network traits, so the same engine runs in the deterministic
//! simulator (tests) and on real sockets (the node).

pub mod application;
pub mod block;
pub mod engine;
pub mod epochs;
pub mod evidence_log;
pub mod ledger;
pub mod report;

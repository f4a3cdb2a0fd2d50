//! `vnt-vortex`: Hubble's proof-of-stake consensus logic, kept free of I/O.
//!
//! Everything here is a pure function of chain data — stake tables, VRF outputs, votes — so
//! every node computes the same answers, anyone can re-check them from the chain alone, and
//! the same code runs unchanged inside a deterministic network simulator. Networking,
//! storage and block execution live in `vnt-chain` and the node; they call into this crate.
//! Agreement itself is commonware's simplex; this crate decides who takes part and what
//! their misbehaviour proves.
//!
//! - [`committee`]: how an epoch's randomness is fixed from VRF outputs, how seats are drawn
//!   from bonded stake with it, and who becomes a voting member ([`committee::elect`]).
//! - [`keys`]: a validator's identity, BLS voting and VRF keys, and the proof of possession
//!   that registers the BLS key.
//! - [`scheme`]: the consensus signing scheme and an epoch's participant set on one chain.
//! - [`evidence`]: conflicting votes as bytes any node can check and attribute.
//! - [`finality`]: finalization certificates as proofs a syncing node checks.

pub mod committee;
pub mod evidence;
pub mod finality;
pub mod keys;
pub mod scheme;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

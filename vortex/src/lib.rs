//! `vnt-vortex`: Hubble's proof-of-stake consensus logic, kept free of I/O.
//!
//! Everything here is a pure function of chain data — stake tables, VRF outputs, votes — so
//! every node computes the same answers, anyone can re-check them from the chain alone, and
//! the same code runs unchanged inside a deterministic network simulator. Networking,
//! storage and block execution live in `vnt-chain` and the node; they call into this crate.
//!
//! Start at [`committee`]: how an epoch's randomness is fixed from VRF outputs and how the
//! committee's seats are drawn from bonded stake with it.

pub mod committee;

//! `vnt-zk`: the cryptography of VNT Chain's shielded pool — Groth16 over BLS12-381.
//!
//! A shielded value lives in a *note* (value, owner key, randomness). The chain stores only
//! the note's *commitment*, appended to a depth-32 Merkle tree; spending a note publishes its
//! *nullifier*, which only the owner can compute and which the chain accepts once. One circuit
//! serves shield, transfer and unshield: two input notes, two output notes and public amounts
//! in and out, proven to balance. This crate holds the native types and the R1CS gadgets; the
//! chain (`vnt-chain`) keeps the tree, roots and nullifier set and checks proofs with [`verify`].
//!
//! Start reading at [`note`] (what a note is), then [`circuit::SpendCircuit`] (what a proof
//! says). Every hash is [`poseidon`], with parameters derived, not copied.

pub mod circuit;
pub mod keys;
pub mod note;
pub mod poseidon;
pub mod testing;
pub mod tree;
pub mod verify;
pub mod wallet;

/// The scalar field of BLS12-381: every commitment, nullifier and tree node is one element.
pub use ark_bls12_381::Fr;

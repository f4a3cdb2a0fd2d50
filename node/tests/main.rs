//! One test binary for the crate's integration tests: every file beside this one is a
//! module here. Each separate binary would link its own copy of the VMs and revm (about
//! 250 MB apiece in the dev profile), which filled CI's disk and cost a link per file.

mod support;

mod contracts;
mod crash_safety;
mod devnet;
mod ethers_client;
mod evm_statetest;
mod hubble_node;
mod shielded;
mod solidity_client;

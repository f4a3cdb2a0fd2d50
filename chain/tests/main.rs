//! One test binary for the crate's integration tests: every file beside this one is a
//! module here. Each separate binary would link its own copy of the VMs and revm (about
//! 250 MB apiece in the dev profile), which filled CI's disk and cost a link per file.

mod support;

mod ledger;
mod pool;
mod rpc_bad_input;
mod rpc_blocks;
mod rpc_execution;
mod rpc_filters;
mod rpc_schema;
mod rpc_subscriptions;
mod rpc_tracing;
mod shielded_pool;
mod staking;
mod statetest;
mod wasm_calls;
mod wasm_contracts;

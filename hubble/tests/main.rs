//! The engine's integration tests, gathered into one binary (see the workspace's convention).

mod block_codec;
mod cluster;
mod epochs_sim;
mod ledger;
mod ledger_sim;
mod rewards_sim;
mod slashing_sim;

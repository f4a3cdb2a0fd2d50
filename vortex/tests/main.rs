//! Vortex integration tests: committees from this crate running simplex in commonware's
//! deterministic simulator. One binary (the repository's convention); each file a module.

mod cluster;
mod double_vote;
mod partition_and_crash;

//! Block production for a single producer (the dev chain, or a node until Vortex drives it).
//!
//! The producer wakes on a fixed interval, or — in instant mode — whenever a transaction
//! enters the pool, takes the pool's best transactions, has the [`Chain`](crate::Chain) build
//! and commit a block, and then drops from the pool what the block included or made
//! impossible.

use crate::node::Shared;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// When blocks are produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockTime {
    /// As soon as a transaction arrives.
    Instant,
    /// Every interval, empty or not.
    Interval(Duration),
}

/// Current unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs until `shutdown` flips to true or a block cannot be committed.
pub async fn run(shared: Arc<Shared>, block_time: BlockTime, mut shutdown: watch::Receiver<bool>) {
    let mut interval = match block_time {
        BlockTime::Interval(period) => {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
            Some(interval)
        }
        BlockTime::Instant => None,
    };
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = async {
                match interval.as_mut() {
                    Some(interval) => { interval.tick().await; }
                    None => shared.new_transactions.notified().await,
                }
            } => {}
        }
        loop {
            let producer = shared.clone();
            let result = tokio::task::spawn_blocking(move || producer.produce_block()).await;
            match result {
                Ok(Ok(more_waiting)) if more_waiting && interval.is_none() => continue,
                Ok(Ok(_)) => break,
                Ok(Err(error)) => {
                    tracing::error!(%error, "cannot commit block; stopping block production");
                    shared.fail(error.to_string());
                    return;
                }
                Err(panic) => {
                    tracing::error!(%panic, "block production panicked");
                    shared.fail(panic.to_string());
                    return;
                }
            }
        }
    }
}

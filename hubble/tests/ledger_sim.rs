//! The ledger under simplex in the deterministic simulator: seven validators executing and
//! storing real blocks, 1% loss, a 3|4 partition healed, a validator crashed (chain closed)
//! and restarted from disk. Every seed must end with no conflicting finalized block, every
//! validator at one head with the same state, balances that match the finalized transfers,
//! and a replay of the seed must end at the identical head.

use crate::cluster::{
    Cluster, TRANSFER_VALUE, VALIDATORS, everyone, lossy_link, recipient, simulate,
};
use alloy_primitives::{B256, U256};
use commonware_runtime::Clock;
use std::time::Duration;

/// Simulated time any one phase may take before the scenario fails.
const PHASE_LIMIT: Duration = Duration::from_secs(60);
/// The validator that crashes and restarts.
const CRASHED: usize = VALIDATORS - 1;

/// Every validator's final head, (height, hash, state root), and the runtime's audit of
/// everything that happened (a digest of every event, in order).
type Heads = (Vec<(u64, B256, B256)>, String);

/// One run of the scenario; returns the heads it ended at.
async fn scenario(mut cluster: Cluster) -> Heads {
    let all = everyone();
    for index in 0..VALIDATORS {
        cluster.start(index).await;
    }
    cluster.await_height(&all, 3, PHASE_LIMIT).await;

    // 3|4: neither side has a quorum of five, so finality stops until the links return.
    let across = |a: usize, b: usize| (a < 3) != (b < 3);
    let before = cluster.highest(&all);
    cluster.unlink(across).await;
    cluster.context.sleep(Duration::from_secs(10)).await;
    let during = cluster.highest(&all);
    assert!(
        during <= before + 2,
        "finality went from {before} to {during} without a quorum"
    );
    cluster.link(across, &lossy_link()).await;
    cluster.await_height(&all, during + 3, PHASE_LIMIT).await;

    // The crashed validator's chain is closed; the others carry on without it.
    cluster.crash(CRASHED).await;
    let others: Vec<usize> = (0..VALIDATORS).filter(|&i| i != CRASHED).collect();
    let at_crash = cluster.highest(&others);
    cluster
        .await_height(&others, at_crash + 3, PHASE_LIMIT)
        .await;
    cluster.start(CRASHED).await;
    let goal = cluster.highest(&others) + 2;
    cluster.await_height(&all, goal, PHASE_LIMIT).await;

    // Stop the clocks on one common height: let every validator reach the highest head.
    let top = cluster.highest(&all);
    cluster.await_height(&all, top, PHASE_LIMIT).await;
    check_agreement(&cluster);
    check_balances(&cluster);
    let heads = all
        .iter()
        .map(|&index| {
            let (hash, root) = *cluster.canonical(index).last().unwrap();
            (cluster.height(index), hash, root)
        })
        .collect();
    (heads, cluster.context.auditor().state())
}

/// No two validators finalized different blocks (or states) at any height both have.
fn check_agreement(cluster: &Cluster) {
    let chains: Vec<Vec<(B256, B256)>> = everyone().iter().map(|&i| cluster.canonical(i)).collect();
    for (index, chain) in chains.iter().enumerate().skip(1) {
        for (height, (block, other)) in chain.iter().zip(&chains[0]).enumerate() {
            assert_eq!(
                block, other,
                "validators 0 and {index} disagree at height {height}: (hash, state root)"
            );
        }
    }
}

/// Every validator's balances reflect exactly the transfers its finalized blocks hold, and
/// some transfers were finalized.
fn check_balances(cluster: &Cluster) {
    let mut included_anywhere = 0;
    for index in everyone() {
        for sender in everyone() {
            let included = cluster.included_transfers(index, sender);
            included_anywhere += included;
            assert_eq!(
                cluster.balance(index, recipient(sender)),
                U256::from(included * TRANSFER_VALUE),
                "validator {index}'s balance of validator {sender}'s recipient"
            );
        }
    }
    assert!(included_anywhere > 0, "no transfer was finalized");
}

fn run(seed: u64) -> Heads {
    simulate(seed, scenario)
}

/// Runs `seeds`, each checked by the scenario's own assertions.
fn run_seeds(seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let (heads, _) = run(seed);
        assert!(
            heads.iter().all(|head| head.0 >= 8),
            "seed {seed}: {heads:?}"
        );
        eprintln!(
            "seed {seed}: every validator finalized height {}",
            heads[0].0
        );
    }
}

#[test]
fn seeds_0_to_9() {
    run_seeds(0..10);
}

#[test]
fn seeds_10_to_19() {
    run_seeds(10..20);
}

#[test]
fn seeds_20_to_29() {
    run_seeds(20..30);
}

#[test]
fn seeds_30_to_39() {
    run_seeds(30..40);
}

#[test]
fn seeds_40_to_59() {
    run_seeds(40..60);
}

#[test]
fn seeds_60_to_79() {
    run_seeds(60..80);
}

#[test]
fn seeds_80_to_99() {
    run_seeds(80..100);
}

#[test]
fn a_seed_replays_to_the_same_head_and_state() {
    let first = run(42);
    let again = run(42);
    assert_eq!(first, again);
}

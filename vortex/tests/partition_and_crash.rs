//! Issue 7, must-show 1 (consensus only): seven validators over 1%-lossy links, a partition
//! that leaves neither side a quorum and then heals, one validator crashed and restarted —
//! over 100 seeds. No two validators may finalize different payloads for one view, progress
//! must resume after the heal, and a seed must replay to the identical final state.

use crate::cluster::{Observed, VALIDATORS, everyone, lossy_link, simulate};
use commonware_runtime::Clock;
use std::collections::BTreeMap;
use std::time::Duration;
use vnt_vortex::scheme::BlockDigest;

/// Views every phase must finalize before the next begins.
const VIEWS_PER_PHASE: u64 = 10;
/// How long the partition lasts (simulated).
const PARTITION: Duration = Duration::from_secs(20);
/// Longest a phase may take before the run counts as stuck (simulated).
const PHASE_LIMIT: Duration = Duration::from_secs(120);
/// Every tenth seed is run twice to check it replays.
const REPLAY_EVERY: u64 = 10;

/// What a run leaves behind, compared between two runs of one seed.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// The runtime's digest of every event it scheduled.
    auditor: String,
    /// Each validator's observations.
    observed: Vec<Observed>,
    /// Views validator 0 saw finalized after the heal (by the end of the run).
    finalized_after_heal: u64,
}

/// One seeded run of the scenario in the module docs, asserting as it goes.
fn run(seed: u64) -> Outcome {
    simulate(seed, |mut cluster| async move {
        for index in 0..VALIDATORS {
            cluster.start(index).await;
        }
        cluster
            .await_finalized(&everyone(), VIEWS_PER_PHASE, PHASE_LIMIT)
            .await;

        // Three validators (which three depends on the seed) against four: a quorum is five.
        let minority = |i: usize| (i + VALIDATORS - seed as usize % VALIDATORS) % VALIDATORS < 3;
        let across = |a: usize, b: usize| minority(a) != minority(b);
        cluster.unlink(across).await;
        // Let votes already in flight land before measuring the stall.
        cluster.context.sleep(Duration::from_secs(1)).await;
        let stalled_at = cluster.highest_finalized();
        cluster.context.sleep(PARTITION).await;
        let during = cluster.highest_finalized();
        assert!(
            during <= stalled_at + 1,
            "seed {seed}: finalized {stalled_at} -> {during} without a quorum"
        );
        cluster.link(across, &lossy_link()).await;
        cluster
            .await_finalizations_after(&everyone(), during, VIEWS_PER_PHASE as usize, PHASE_LIMIT)
            .await;

        // Crash one validator, finalize without it, restart it from its journal.
        let crashed = (seed as usize * 3 + 1) % VALIDATORS;
        cluster.crash(crashed).await;
        let survivors: Vec<usize> = everyone().into_iter().filter(|&i| i != crashed).collect();
        let target = cluster.highest_finalized() + VIEWS_PER_PHASE;
        cluster
            .await_finalized(&survivors, target, PHASE_LIMIT)
            .await;
        cluster.start(crashed).await;
        cluster
            .await_finalized(&everyone(), target + VIEWS_PER_PHASE, PHASE_LIMIT)
            .await;

        let finalized_after_heal = cluster.logs[0]
            .observed()
            .finalized
            .range(during + 1..)
            .count() as u64;
        Outcome {
            auditor: cluster.context.auditor().state(),
            observed: cluster.logs.iter().map(|log| log.observed()).collect(),
            finalized_after_heal,
        }
    })
}

/// Asserts the safety properties of one run and returns its agreed finalized chain.
fn assert_safe(seed: u64, outcome: &Outcome) -> BTreeMap<u64, BlockDigest> {
    let mut agreed: BTreeMap<u64, BlockDigest> = BTreeMap::new();
    for (index, observed) in outcome.observed.iter().enumerate() {
        assert!(
            observed.refinalized_differently.is_empty(),
            "seed {seed}: validator {index} finalized views {:?} twice differently",
            observed.refinalized_differently
        );
        assert!(
            observed.evidence.is_empty(),
            "seed {seed}: validator {index} saw a fault among honest validators"
        );
        for (view, payload) in &observed.finalized {
            let first = agreed.entry(*view).or_insert(*payload);
            assert_eq!(
                first, payload,
                "seed {seed}: conflicting finalized payloads at view {view}"
            );
        }
    }
    assert!(
        outcome.finalized_after_heal >= VIEWS_PER_PHASE,
        "seed {seed}: only {} views finalized after the heal",
        outcome.finalized_after_heal
    );
    agreed
}

fn run_seeds(seeds: std::ops::Range<u64>) {
    let (first, mut fewest_after_heal, mut fewest_agreed) = (seeds.start, u64::MAX, usize::MAX);
    for seed in seeds.clone() {
        let outcome = run(seed);
        let agreed = assert_safe(seed, &outcome);
        fewest_after_heal = fewest_after_heal.min(outcome.finalized_after_heal);
        fewest_agreed = fewest_agreed.min(agreed.len());
        if seed % REPLAY_EVERY == 0 {
            let replay = run(seed);
            assert_eq!(
                outcome.auditor, replay.auditor,
                "seed {seed}: replay diverged"
            );
            assert_eq!(
                outcome, replay,
                "seed {seed}: replay observed something else"
            );
        }
    }
    println!(
        "seeds {first}..{}: fewest views finalized per run {fewest_agreed}, fewest after the heal {fewest_after_heal}",
        seeds.end
    );
}

// 100 seeds in four tests, so the harness spreads them over the cores.

#[test]
fn seeds_0_to_24_finalize_without_conflict_through_partition_and_crash() {
    run_seeds(0..25);
}

#[test]
fn seeds_25_to_49_finalize_without_conflict_through_partition_and_crash() {
    run_seeds(25..50);
}

#[test]
fn seeds_50_to_74_finalize_without_conflict_through_partition_and_crash() {
    run_seeds(50..75);
}

#[test]
fn seeds_75_to_99_finalize_without_conflict_through_partition_and_crash() {
    run_seeds(75..100);
}

//! Consensus across epochs in the deterministic simulator: on a chain of validators each
//! staking epoch runs its own simplex engine with the committee the contract stored for it.
//! Seven validators cross three epoch boundaries over lossy links, one of them crashed in
//! the first epoch and restarted in the second; every block is finalized by a certificate
//! of its own epoch's committee, and every validator ends on one chain.

use crate::cluster::{Cluster, VALIDATORS, devnet_keys, everyone, lossy_link, run_seeded};
use alloy_primitives::{Address, B256};
use std::time::Duration;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::staking::StakingConfig;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::testing::validator_genesis;
use vnt_chain::token::vnt;
use vnt_hubble::epochs::consensus_epoch_of;
use vnt_vortex::finality::check_finalization;

/// Simulated time any one phase may take before the scenario fails.
const PHASE_LIMIT: Duration = Duration::from_secs(120);
/// The validator that crashes in epoch 0 and comes back in epoch 1.
const CRASHED: usize = 3;

#[test]
fn each_epoch_runs_its_own_committee_and_a_restarted_validator_follows_across_the_boundary() {
    run_seeded(11, |context| async move {
        let length = StakingConfig::dev().epoch_length;
        let account = |index: usize| Address::with_last_byte(0xC0 + index as u8);
        let keys = devnet_keys(7);
        let genesis = validator_genesis(
            keys.iter()
                .enumerate()
                .map(|(index, keys)| (keys, account(index), vnt(10_000))),
        );
        let mut cluster = Cluster::staked(context, lossy_link(), genesis, keys).await;
        let all = everyone();
        for index in 0..VALIDATORS {
            cluster.start(index).await;
        }
        cluster.await_height(&all, length / 2, PHASE_LIMIT).await;
        cluster.crash(CRASHED).await;
        let others: Vec<usize> = all.iter().copied().filter(|&i| i != CRASHED).collect();
        // The others cross into epoch 1 without it; it comes back before epoch 2.
        cluster.await_height(&others, length + 2, PHASE_LIMIT).await;
        cluster.start(CRASHED).await;
        let goal = 3 * length + 2;
        cluster.await_height(&all, goal, PHASE_LIMIT).await;

        let chains: Vec<Vec<(B256, B256)>> = all
            .iter()
            .map(|&i| cluster.canonical(i)[..=goal as usize].to_vec())
            .collect();
        assert!(
            chains.windows(2).all(|pair| pair[0] == pair[1]),
            "validators disagree below height {goal}"
        );

        // Every stored finality proof is a certificate of its block's epoch, signed by that
        // epoch's committee as this chain stores it; each epoch has some.
        let proven_epochs = cluster.with_chain(0, |chain| {
            let mut epochs = Vec::new();
            for height in 1..=goal {
                let hash = chain.hash_by_number(height).unwrap().unwrap();
                let Some(proof) = chain.store().finality_proof(&hash).unwrap() else {
                    continue;
                };
                let epoch = consensus_epoch_of(chain, height);
                let committee = consensus_committee(chain.state(), DEV_CHAIN_ID, epoch)
                    .expect("the committee of a past epoch is stored");
                let finalized = check_finalization(&proof, &committee).unwrap_or_else(|error| {
                    panic!("block {height}'s proof under epoch {epoch}'s committee: {error}")
                });
                assert_eq!(finalized.epoch, epoch);
                assert_eq!(B256::from(finalized.digest.0), hash);
                epochs.push(epoch);
            }
            epochs
        });
        for epoch in 0..=3 {
            assert!(
                proven_epochs.contains(&epoch),
                "no block of epoch {epoch} has a stored proof: {proven_epochs:?}"
            );
        }
    });
}

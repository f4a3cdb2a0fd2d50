//! Block rewards under real consensus (issue 7): seven validators bonded at genesis, a block
//! reward of 1 VNT, simplex finalizing blocks whose proposers carry the last final block's
//! certificate after their seal. Once every validator is past a height, the committee
//! members' balances are exactly what the certificates in the finalized headers pay them,
//! and the contract's bookkeeping adds up to what was minted.

use crate::cluster::{Cluster, VALIDATORS, devnet_keys, lossy_link, run_seeded};
use crate::slashing_sim::staked_genesis;
use alloy_primitives::{Address, U256};
use std::collections::BTreeMap;
use std::time::Duration;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::staking::rewards::{Claim, shares};
use vnt_chain::staking::seal::split_extra_data;
use vnt_chain::staking::{STAKING, hook};
use vnt_chain::token::vnt;
use vnt_chain::{Chain, Genesis};
use vnt_vortex::finality::check_finalization;
use vnt_vortex::keys::ValidatorKeys;

/// Seed of the validators' devnet keys (the slashing simulation's).
const KEY_SEED: u64 = 7;
/// Finalized height every validator must reach.
const HEIGHT: u64 = 20;
/// Simulated time reaching it may take.
const LIMIT: Duration = Duration::from_secs(120);

/// The slashing simulation's staked genesis with a block reward of 1 VNT.
fn rewarding_genesis(keys: &[ValidatorKeys]) -> Genesis {
    let mut genesis = staked_genesis(keys);
    let mut staking = genesis.config.staking.clone().expect("staking");
    staking.block_reward = vnt(1);
    genesis.enable_staking(staking);
    genesis
}

fn balance(chain: &Chain, account: Address) -> U256 {
    chain
        .state()
        .account(&account)
        .map_or(U256::ZERO, |a| a.balance)
}

/// What the certificates in `chain`'s finalized headers pay each member, from the headers
/// and the stored committees alone: every certificate checked against the committee of its
/// epoch, its span's committee share split by the signers' seats. Returns the payments, the last block paid for and the number of
/// certificates.
fn paid_by_headers(chain: &Chain) -> (BTreeMap<Address, U256>, u64, usize) {
    let per_block = shares(vnt(1)).committee;
    let mut paid = BTreeMap::new();
    let mut last = 0;
    let mut certificates = 0;
    for number in 1..=chain.head().number {
        let block = chain.block_by_number(number).unwrap().unwrap();
        let (_, certificate) = split_extra_data(&block.block.header.extra_data);
        if certificate.is_empty() {
            continue;
        }
        let claim = Claim::decode(certificate).unwrap();
        // The committee that served the epoch the certificate names.
        let committee =
            hook::consensus_committee(chain.state(), DEV_CHAIN_ID, claim.epoch()).unwrap();
        check_finalization(certificate, &committee).expect("a valid certificate");
        let certified = chain.block_by_hash(&claim.block()).unwrap().unwrap();
        let certified_number = certified.block.header.number;
        assert!(last < certified_number && certified_number < number);
        let owed = per_block * U256::from(certified_number - last);
        let signers = claim.signers(&committee);
        let seats: u64 = signers.iter().map(|(_, seats)| seats).sum();
        for (signer, signer_seats) in signers {
            *paid.entry(signer).or_insert(U256::ZERO) +=
                owed * U256::from(signer_seats) / U256::from(seats);
        }
        last = certified_number;
        certificates += 1;
    }
    (paid, last, certificates)
}

#[test]
fn committee_members_are_paid_exactly_what_the_finalized_certificates_say() {
    run_seeded(11, |context| async move {
        let keys = devnet_keys(KEY_SEED);
        let genesis = rewarding_genesis(&keys);
        let staked = genesis.config.staking.as_ref().unwrap().genesis_bonded();
        let mut cluster = Cluster::staked(context, lossy_link(), genesis, keys).await;
        let members: Vec<Address> = cluster.first_members();
        let everyone: Vec<usize> = (0..VALIDATORS).collect();
        for &index in &everyone {
            cluster.start(index).await;
        }
        cluster.await_height(&everyone, HEIGHT, LIMIT).await;

        for &index in &everyone {
            cluster.with_chain(index, |chain| {
                let (paid, last, certificates) = paid_by_headers(chain);
                assert!(
                    certificates > 0,
                    "validator {index}: no block carried a certificate"
                );
                let mut total = U256::ZERO;
                for member in &members {
                    // Staking accounts hold nothing else: their balance is their rewards.
                    let earned = paid.get(member).copied().unwrap_or_default();
                    assert_eq!(
                        balance(chain, *member),
                        earned,
                        "validator {index}: {member}"
                    );
                    total += earned;
                }
                let head = chain.head().number;
                let split = shares(vnt(1));
                let owed = split.committee * U256::from(last);
                let rewards = hook::reward_state(chain.state()).unwrap();
                assert_eq!(rewards.last_rewarded_block, last);
                assert_eq!(
                    rewards.unpaid_committee_reward,
                    split.committee * U256::from(head - last)
                );
                assert_eq!(
                    rewards.route_pool,
                    split.route * U256::from(head) + (owed - total)
                );
                assert_eq!(
                    balance(chain, STAKING),
                    staked + (split.route + split.committee) * U256::from(head) - total
                );
                if index == 0 {
                    eprintln!(
                        "rewards: {certificates} certificates in {head} blocks paid {total} wei \
                         for blocks 1 to {last}"
                    );
                }
            });
        }
    });
}

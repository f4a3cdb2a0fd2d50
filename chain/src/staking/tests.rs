//! Unit tests of the staking configuration, genesis state and epoch bookkeeping.

use super::*;
use alloy_primitives::U256;

#[test]
fn the_unbonding_period_must_outlast_the_evidence_window_and_three_epochs() {
    StakingConfig::dev().validate(1337).unwrap();
    let mut config = StakingConfig::dev();
    config.unbonding_period = config.evidence_window + 3 * config.epoch_length;
    let error = config.validate(1337).unwrap_err().to_string();
    assert!(
        error.starts_with(
            "staking unbondingPeriod (80) must be longer than evidenceWindow (32) plus three \
             epochs (48 blocks)"
        ),
        "{error}"
    );
    config.unbonding_period += 1;
    config.validate(1337).unwrap();
    let mut config = StakingConfig::dev();
    config.slash_share_bps = 10_001;
    assert_eq!(
        config.validate(1337).unwrap_err().to_string(),
        "staking slashShareBps is 10001 basis points, at most 10000 are allowed"
    );
    config = StakingConfig::dev();
    config.minimum_stake = U256::ZERO;
    assert_eq!(config.validate(1337), Err(StakingConfigError::ZeroMinimum));
    config = StakingConfig::dev();
    config.epoch_length = 0;
    assert_eq!(
        config.validate(1337),
        Err(StakingConfigError::ZeroEpochLength)
    );
}

#[test]
fn genesis_storage_holds_the_parameters_the_views_read() {
    let stored = storage::genesis_storage(&StakingConfig::dev());
    let read = |slot: U256| U256::from_be_bytes(stored[&alloy_primitives::B256::from(slot)].0);
    assert_eq!(read(storage::slot::MINIMUM_STAKE), crate::token::vnt(1_000));
    assert_eq!(read(storage::slot::UNBONDING_PERIOD), U256::from(96));
    assert_eq!(read(storage::slot::EVIDENCE_WINDOW), U256::from(32));
    assert_eq!(read(storage::slot::EPOCH_LENGTH), U256::from(16));
}

#[test]
fn shares_round_down_and_never_overflow() {
    use storage::share_of;
    assert_eq!(share_of(U256::from(1_000), 500), U256::from(50));
    assert_eq!(share_of(U256::from(19), 500), U256::ZERO);
    assert_eq!(share_of(U256::from(39), 500), U256::from(1));
    assert_eq!(share_of(U256::MAX, BPS), U256::MAX);
    assert_eq!(share_of(U256::MAX, 5_000), U256::MAX / U256::from(2));
}

use alloy_primitives::{B256, keccak256};
use storage::{MapSlots, Slots};
use vnt_vortex::committee::{Candidate, EpochSeed, elect};
use vnt_vortex::keys::ValidatorKeys;

const CHAIN: u64 = 1337;

fn account(index: u8) -> Address {
    Address::repeat_byte(0x10 + index)
}

/// Dev parameters with `count` genesis validators (devnet keys, seed 3), stakes 1,000 VNT
/// times their index + 1.
fn with_validators(count: u8) -> StakingConfig {
    let mut config = StakingConfig::dev();
    config.validators = (0..count)
        .map(|index| {
            let keys = ValidatorKeys::devnet(3, index.into());
            let stake = crate::token::vnt(1_000 * (u64::from(index) + 1));
            GenesisValidator::from_keys(&keys, CHAIN, account(index), stake)
        })
        .collect();
    config
}

fn genesis_slots(config: &StakingConfig) -> MapSlots {
    MapSlots(
        storage::genesis_storage(config)
            .into_iter()
            .map(|(slot, value)| (U256::from_be_bytes(slot.0), U256::from_be_bytes(value.0)))
            .collect(),
    )
}

fn members(s: &mut MapSlots, epoch: u64) -> Vec<Address> {
    epochs::stored_committee(s, epoch)
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|(account, _)| account)
        .collect()
}

#[test]
fn genesis_validators_form_the_committees_of_epochs_0_and_1() {
    let config = with_validators(3);
    config.validate(CHAIN).unwrap();
    assert_eq!(config.genesis_bonded(), crate::token::vnt(6_000));
    let mut s = genesis_slots(&config);
    let all = vec![account(0), account(1), account(2)];
    assert_eq!(members(&mut s, 0), all);
    assert_eq!(members(&mut s, 1), all);
    assert_eq!(epochs::seed(&mut s, 0).unwrap(), epochs::genesis_seed());
    assert_eq!(
        epochs::seed(&mut s, 1).unwrap(),
        keccak256(epochs::genesis_seed())
    );
    assert_eq!(epochs::stored_committee(&mut s, 2).unwrap(), None);
    assert_eq!(
        storage::total_bonded(&mut s).unwrap(),
        crate::token::vnt(6_000)
    );
    // Their consensus committee is buildable from what genesis stored.
    let committee = epochs::consensus_committee(&mut s, CHAIN, 0).unwrap();
    assert_eq!(committee.members().len(), 3);
}

#[test]
fn a_genesis_validator_with_a_bad_proof_or_stake_is_named() {
    let mut config = with_validators(2);
    config.validators[1].identity_signature = config.validators[0].identity_signature.clone();
    let error = config.validate(CHAIN).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "staking validator {}: identity signature does not verify",
            account(1)
        )),
        "{error}"
    );
    // Signed for another chain.
    assert!(
        with_validators(1)
            .validate(CHAIN + 1)
            .unwrap_err()
            .to_string()
            .contains("does not verify")
    );
    let mut config = with_validators(1);
    config.validators[0].stake = U256::from(1);
    let error = config.validate(CHAIN).unwrap_err().to_string();
    assert!(error.contains("below the minimum stake"), "{error}");
    let mut config = with_validators(2);
    config.validators[1] = config.validators[0].clone();
    let error = config.validate(CHAIN).unwrap_err().to_string();
    assert!(error.ends_with("is listed twice"), "{error}");
}

/// Runs the end-of-block step for blocks `from..=to`, block `n` with mix hash
/// `keccak256(n)`; returns the accumulated value of the last epoch ended.
fn run_blocks(s: &mut MapSlots, from: u64, to: u64) {
    for number in from..=to {
        epochs::end_block(s, number, keccak256(number.to_be_bytes())).unwrap();
    }
}

#[test]
fn each_epoch_end_fixes_the_seed_and_committee_two_epochs_ahead_from_the_blocks() {
    let config = with_validators(3);
    let length = config.epoch_length;
    let mut s = genesis_slots(&config);
    run_blocks(&mut s, 1, length - 2);
    assert_eq!(epochs::stored_committee(&mut s, 2).unwrap(), None);
    run_blocks(&mut s, length - 1, length - 1);
    // Recomputed from the blocks' mix hashes alone.
    let accumulated = (1..length).fold(B256::ZERO, |acc, n| {
        epochs::accumulate(acc, keccak256(n.to_be_bytes()))
    });
    let seed = epochs::next_seed(keccak256(epochs::genesis_seed()), accumulated);
    assert_eq!(epochs::seed(&mut s, 2).unwrap(), seed);
    let candidates: Vec<Candidate> = (0..3u8)
        .map(|i| Candidate {
            id: account(i).0.0,
            stake: crate::token::vnt(1_000 * (u64::from(i) + 1)).to(),
        })
        .collect();
    let expected = elect(&EpochSeed(seed.0), 2, &candidates, 16).unwrap();
    let stored = epochs::stored_committee(&mut s, 2).unwrap().unwrap();
    let expected: Vec<(Address, u64)> = expected
        .members
        .iter()
        .map(|(id, seats)| (Address::from(*id), *seats as u64))
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(s.load(storage::slot::ACCUMULATED).unwrap(), U256::ZERO);

    // Jailed in epoch 1: out of committee 3 (drawn at the end of epoch 1), and out of the
    // effective committee of epoch 2, though the stored one keeps it for evidence.
    run_blocks(&mut s, length, length + 3);
    epochs::jail(&mut s, account(1), 1).unwrap();
    run_blocks(&mut s, length + 4, 2 * length - 1);
    assert_eq!(members(&mut s, 3), vec![account(0), account(2)]);
    assert!(members(&mut s, 2).contains(&account(1)));
    let serving = epochs::effective_committee(&mut s, 2).unwrap().unwrap();
    assert!(serving.iter().all(|(a, _)| *a != account(1)));
    let serving = epochs::effective_committee(&mut s, 1).unwrap().unwrap();
    assert!(serving.iter().any(|(a, _)| *a == account(1)));
    // A second report, an epoch later, keeps the first jailing: epoch 2 stays without it.
    epochs::jail(&mut s, account(1), 2).unwrap();
    assert_eq!(epochs::jailed_in(&mut s, account(1)).unwrap(), Some(1));
    let serving = epochs::effective_committee(&mut s, 2).unwrap().unwrap();
    assert!(serving.iter().all(|(a, _)| *a != account(1)));
}

#[test]
fn the_end_of_block_step_does_nothing_without_staking() {
    let mut s = MapSlots::default();
    run_blocks(&mut s, 1, 40);
    assert!(s.0.is_empty());
}

#[test]
fn the_consensus_engine_reads_committees_from_a_world_state() {
    let genesis = {
        let mut genesis = crate::genesis::Genesis::dev(0);
        let mut config = with_validators(2);
        config.validators.iter_mut().for_each(|v| {
            // Re-sign for the dev chain's id.
            let index = (v.account.0[0] - 0x10) as u32;
            let keys = ValidatorKeys::devnet(3, index);
            *v =
                GenesisValidator::from_keys(&keys, crate::config::DEV_CHAIN_ID, v.account, v.stake);
        });
        genesis.enable_staking(config);
        genesis.validate().unwrap();
        genesis
    };
    let dir = tempfile::tempdir().unwrap();
    let chain = crate::chain::Chain::open(dir.path(), genesis).unwrap();
    let state = chain.state();
    let committee = hook::consensus_committee(state, crate::config::DEV_CHAIN_ID, 1).unwrap();
    let mut ids: Vec<_> = committee
        .members()
        .iter()
        .map(|m| Address::from(m.id))
        .collect();
    ids.sort();
    assert_eq!(ids, vec![account(0), account(1)]);
    let error = hook::consensus_committee(state, crate::config::DEV_CHAIN_ID, 2).unwrap_err();
    assert!(
        error.starts_with("no committee is known for epoch 2"),
        "{error}"
    );
    assert_eq!(hook::effective_committee(state, 0).unwrap().len(), 2);
    assert_eq!(
        state.account(&STAKING).unwrap().balance,
        crate::token::vnt(3_000)
    );
}

//! A double voter caught and punished end to end (issue 7): seven validators bonded in the
//! staking contract at genesis vote as the contract's committee of epoch 0, one of them as
//! commonware's byzantine `Conflicter`. An honest validator's reporter hands it the evidence;
//! it reports it in a `reportEvidence` transaction through its own pool, and once that is
//! final everywhere the chain's state shows the slash, the reporter's reward, and the
//! offender gone from the committees after the next epoch boundary.

use crate::cluster::{Cluster, VALIDATORS, lossy_link, run_seeded};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use commonware_consensus::types::Epoch;
use commonware_runtime::Clock;
use std::time::Duration;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::execution::{CallOutcome, CallRequest, call};
use vnt_chain::genesis::dev_signers;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::staking::{STAKING, StakingConfig, hook};
use vnt_chain::testing::{Transfer, validator_genesis};
use vnt_chain::token::vnt;
use vnt_chain::{Chain, ChainConfig, Genesis};
use vnt_vortex::evidence::{Evidence, Fault};
use vnt_vortex::keys::ValidatorKeys;

/// The validator that double-votes.
const OFFENDER: usize = 2;
/// The dev account the reporting validator pays gas from and is paid to (one no validator's
/// pre-signed transfers use, so its balance moves only by the report).
const REPORTER_ACCOUNT: usize = VALIDATORS;
/// Seed of the validators' devnet keys.
const KEY_SEED: u64 = 7;
/// Every validator's stake at genesis.
const STAKE_VNT: u64 = 10_000;
/// Simulated time any one phase may take before the scenario fails.
const PHASE_LIMIT: Duration = Duration::from_secs(120);

/// Validator `index`'s staking account (no dev account: it never signs a transaction).
fn staking_account(index: usize) -> Address {
    Address::with_last_byte(0xC0 + index as u8)
}

/// The dev genesis with the seven validators bonded, equal stakes, keys bound to the dev
/// chain's id (the consensus namespace's), blocks sealed by their proposers' VRF keys.
pub fn staked_genesis(keys: &[ValidatorKeys]) -> Genesis {
    validator_genesis(
        keys.iter()
            .enumerate()
            .map(|(index, keys)| (keys, staking_account(index), vnt(STAKE_VNT))),
    )
}

/// Runs a staking view against `chain`'s head state, as `eth_call` does.
fn view<C: SolCall>(chain: &Chain, request: C) -> C::Return {
    let context = chain.next_block_context(chain.head().timestamp, Address::ZERO);
    let request = CallRequest {
        to: Some(STAKING),
        input: Bytes::from(request.abi_encode()),
        ..Default::default()
    };
    match call(
        chain.ledger(),
        &context,
        chain.config(),
        &request,
        10_000_000,
    ) {
        Ok(CallOutcome::Success { output, .. }) => {
            C::abi_decode_returns(&output).expect("the view's answer decodes")
        }
        other => panic!("staking view failed: {other:?}"),
    }
}

fn committee_accounts(chain: &Chain, epoch: u64) -> Vec<Address> {
    view(chain, IStaking::committeeCall { epoch })
        .into_iter()
        .map(|member| member.validator)
        .collect()
}

fn balance(chain: &Chain, account: Address) -> U256 {
    chain
        .state()
        .account(&account)
        .map_or(U256::ZERO, |a| a.balance)
}

fn bonded(chain: &Chain, account: Address) -> U256 {
    view(chain, IStaking::validatorCall { account }).bonded
}

/// The committee the contract stored for epoch 0, as consensus uses it, and the validators'
/// keys in its participant order.
fn staked_committee(
    genesis: &Genesis,
    keys: Vec<ValidatorKeys>,
) -> (Vec<ValidatorKeys>, vnt_vortex::scheme::ConsensusCommittee) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let chain = Chain::open(directory.path(), genesis.clone()).expect("the genesis opens");
    let committee = hook::consensus_committee(chain.state(), DEV_CHAIN_ID, 0)
        .expect("genesis draws the committee of epoch 0");
    // The view `committee(0)` names the same members as the committee consensus runs.
    let mut members: Vec<Address> = committee
        .members()
        .iter()
        .map(|m| Address::from(m.id))
        .collect();
    members.sort();
    let mut viewed = committee_accounts(&chain, 0);
    viewed.sort();
    assert_eq!(members, viewed);
    let mut all: Vec<Address> = (0..VALIDATORS).map(staking_account).collect();
    all.sort();
    assert_eq!(members, all, "every bonded validator sits in epoch 0");
    let identities = committee.identities();
    let mut ordered = keys;
    ordered.sort_by_cached_key(|k| {
        let identity = k.public().identity;
        identities.iter().position(|member| *member == identity)
    });
    (ordered, committee)
}

/// The report's gas cost: gas used times the price the block charged.
fn gas_cost(chain: &Chain, hash: B256) -> (U256, bool) {
    let location = chain
        .tx_location(&hash)
        .expect("store reads")
        .expect("the report is included");
    let block = chain
        .block_by_number(location.block_number)
        .expect("store reads")
        .expect("a canonical block");
    let receipts = chain.receipts(&block.hash).expect("store reads");
    let index = location.index as usize;
    let cumulative = |i: usize| receipts[i].cumulative_gas_used();
    let used = cumulative(index) - if index == 0 { 0 } else { cumulative(index - 1) };
    let tx = &block.block.body.transactions[index];
    let base_fee = block.block.header.base_fee_per_gas.expect("a base fee");
    let price = tx.effective_gas_price(Some(base_fee));
    (
        U256::from(used) * U256::from(price),
        receipts[index].status(),
    )
}

#[test]
fn a_double_voter_is_reported_slashed_and_leaves_the_committee() {
    run_seeded(5, |context| async move {
        let keys: Vec<ValidatorKeys> = (0..VALIDATORS as u32)
            .map(|index| ValidatorKeys::devnet(KEY_SEED, index))
            .collect();
        let genesis = staked_genesis(&keys);
        let offender_account = staking_account(OFFENDER);
        let (keys, committee) = staked_committee(&genesis, keys);
        // Its index among the participants, which sort by identity.
        let offender = committee
            .members()
            .iter()
            .position(|m| Address::from(m.id) == offender_account)
            .expect("the offender is a member");
        let mut cluster =
            Cluster::with_committee(context, lossy_link(), genesis, keys, committee).await;
        let honest: Vec<usize> = (0..VALIDATORS).filter(|&i| i != offender).collect();
        for &index in &honest {
            cluster.start(index).await;
        }
        let _byzantine = cluster.start_conflicter(offender).await;

        // The first honest validator whose reporter saw the double vote reports it.
        let deadline = cluster.context.current() + PHASE_LIMIT;
        let (reporter, evidence) = loop {
            if let Some((index, evidence)) = honest
                .iter()
                .find_map(|&i| cluster.evidence(i).first().map(|e| (i, e.clone())))
            {
                break (index, evidence);
            }
            assert!(
                cluster.context.current() < deadline,
                "no evidence in {PHASE_LIMIT:?}"
            );
            cluster.context.sleep(Duration::from_millis(100)).await;
        };
        let decoded = Evidence::decode(&evidence).expect("reported evidence decodes");
        assert_eq!(decoded.fault(), Fault::ConflictingNotarize);
        assert_eq!(decoded.round().epoch(), Epoch::zero());
        assert_eq!(usize::from(decoded.signer()), offender);

        let signer = &dev_signers()[REPORTER_ACCOUNT];
        let reporter_account = signer.address();
        let (stake_before, balance_before, serving_before) = cluster.with_chain(reporter, |c| {
            (
                bonded(c, offender_account),
                balance(c, reporter_account),
                committee_accounts(c, 1),
            )
        });
        assert_eq!(stake_before, vnt(STAKE_VNT));
        assert!(serving_before.contains(&offender_account));
        let report = IStaking::reportEvidenceCall {
            evidence: Bytes::from(evidence),
        };
        let tx = Transfer::new(DEV_CHAIN_ID, 0, STAKING, U256::ZERO);
        let tx = Transfer {
            input: Bytes::from(report.abi_encode()),
            ..tx
        }
        .gas_limit(1_000_000)
        .verified(signer, &ChainConfig::new(DEV_CHAIN_ID));
        let hash = cluster
            .submit(reporter, tx)
            .expect("the pool admits the report");

        // Final on every honest validator.
        let deadline = cluster.context.current() + PHASE_LIMIT;
        let included = loop {
            let locations: Vec<Option<u64>> = honest
                .iter()
                .map(|&i| {
                    cluster.with_chain(i, |c| c.tx_location(&hash).unwrap().map(|l| l.block_number))
                })
                .collect();
            if let Some(Some(number)) = locations.first()
                && locations.iter().all(|l| l == &Some(*number))
            {
                break *number;
            }
            assert!(
                cluster.context.current() < deadline,
                "the report was not final everywhere in {PHASE_LIMIT:?}: {locations:?}"
            );
            cluster.context.sleep(Duration::from_millis(100)).await;
        };

        let config = StakingConfig::dev();
        let share = |amount: U256, bps: u16| amount * U256::from(bps) / U256::from(10_000);
        let slashed = share(stake_before, config.slash_share_bps);
        let reward = share(slashed, config.reporter_share_bps);
        assert!(!reward.is_zero());
        for &index in &honest {
            cluster.with_chain(index, |c| {
                let (cost, succeeded) = gas_cost(c, hash);
                assert!(succeeded, "validator {index}: the report reverted");
                assert_eq!(
                    bonded(c, offender_account),
                    stake_before - slashed,
                    "validator {index}: the offender's stake"
                );
                assert_eq!(
                    balance(c, reporter_account),
                    balance_before + reward - cost,
                    "validator {index}: the reporter's balance"
                );
                assert!(view(
                    c,
                    IStaking::jailedCall {
                        account: offender_account
                    }
                ));
            });
        }

        // Past the next epoch boundary the committees no longer hold the offender: the one
        // serving next (drawn before the offence, jailed member left out) and the one drawn
        // at the boundary. The epoch of the offence itself still lists it.
        let epoch_length = config.epoch_length;
        let epoch = included / epoch_length;
        let boundary = (epoch + 1) * epoch_length;
        cluster.await_height(&honest, boundary, PHASE_LIMIT).await;
        for &index in &honest {
            cluster.with_chain(index, |c| {
                assert!(committee_accounts(c, epoch).contains(&offender_account));
                for later in [epoch + 1, epoch + 2] {
                    let members = committee_accounts(c, later);
                    assert_eq!(
                        members.len(),
                        VALIDATORS - 1,
                        "validator {index}: committee of epoch {later}: {members:?}"
                    );
                    assert!(!members.contains(&offender_account));
                }
            });
        }
        eprintln!(
            "slashing: validator {reporter} reported at height {included}, {slashed} wei \
             slashed, {reward} wei paid; offender out of epochs {} and {}",
            epoch + 1,
            epoch + 2
        );
    });
}

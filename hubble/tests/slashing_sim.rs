//! A double voter caught and punished end to end (issue 7): seven validators bonded in the
//! staking contract at genesis vote as the contract's committee of epoch 0, one of them as
//! commonware's byzantine `Conflicter`. Every honest validator runs an evidence reporter
//! (`vnt_hubble::report`) with an account funded at genesis; no test code signs anything.
//! Once a report is final everywhere, the chain's state shows the slash, the reward of the
//! reporter whose transaction landed, and the offender gone from the committees after the
//! next epoch boundary. Reports are not coordinated: reporters that sent theirs before the
//! slash was final see them revert, and exactly one succeeds.

use crate::cluster::{Cluster, VALIDATORS, devnet_keys, lossy_link, run_seeded};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use commonware_consensus::types::Epoch;
use commonware_runtime::Clock;
use std::time::Duration;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::execution::{CallOutcome, CallRequest, call};
use vnt_chain::genesis::GenesisAccount;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::staking::{STAKING, StakingConfig};
use vnt_chain::testing::validator_genesis;
use vnt_chain::token::vnt;
use vnt_chain::{Chain, Genesis};
use vnt_vortex::evidence::{Evidence, Fault};
use vnt_vortex::finality::check_finalization;
use vnt_vortex::keys::ValidatorKeys;

/// The validator that double-votes.
const OFFENDER: usize = 2;
/// What each reporter account holds at genesis.
const REPORTER_FUNDS_VNT: u64 = 100;
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

/// Validator `index`'s evidence reporter key (an account nothing else uses, so its balance
/// moves only by its reports).
fn reporter_signer(index: usize) -> PrivateKeySigner {
    let secret = keccak256(format!("slashing-sim/reporter/{index}"));
    PrivateKeySigner::from_bytes(&secret).expect("a valid secp256k1 secret")
}

/// The dev genesis with the seven validators bonded, equal stakes, keys bound to the dev
/// chain's id (the consensus namespace's), blocks sealed by their proposers' VRF keys, and
/// every validator's reporter account funded.
pub fn staked_genesis(keys: &[ValidatorKeys]) -> Genesis {
    let mut genesis = validator_genesis(
        keys.iter()
            .enumerate()
            .map(|(index, keys)| (keys, staking_account(index), vnt(STAKE_VNT))),
    );
    for index in 0..VALIDATORS {
        let funded = GenesisAccount {
            balance: vnt(REPORTER_FUNDS_VNT),
            ..Default::default()
        };
        genesis
            .alloc
            .insert(reporter_signer(index).address(), funded);
    }
    genesis
}

/// Every `reportEvidence` transaction on `chain` up to its head: hash, sender, success.
fn reports(chain: &Chain) -> Vec<(B256, Address, bool)> {
    let mut found = Vec::new();
    for number in 1..=chain.head().number {
        let block = chain.block_by_number(number).unwrap().unwrap();
        let receipts = chain.receipts(&block.hash).unwrap();
        for (index, tx) in block.block.body.transactions.iter().enumerate() {
            let is_report = Transaction::to(tx) == Some(STAKING)
                && tx
                    .input()
                    .starts_with(&IStaking::reportEvidenceCall::SELECTOR);
            if is_report {
                let sender = alloy_consensus::transaction::SignerRecoverable::recover_signer(tx)
                    .expect("a stored transaction's signature recovers");
                found.push((*tx.tx_hash(), sender, receipts[index].status()));
            }
        }
    }
    found
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
fn a_double_voter_is_reported_by_the_validators_slashed_and_leaves_the_committee() {
    run_seeded(5, |context| async move {
        let keys = devnet_keys(KEY_SEED);
        let genesis = staked_genesis(&keys);
        let offender_account = staking_account(OFFENDER);
        let mut cluster = Cluster::staked(context, lossy_link(), genesis, keys).await;
        // The committee consensus runs in epoch 0 is every bonded validator, as the view
        // `committee(0)` names them; validator `i` is its participant `i`.
        let members: Vec<Address> = cluster.first_members();
        let mut sorted = members.clone();
        sorted.sort();
        let mut viewed = cluster.with_chain(0, |c| committee_accounts(c, 0));
        viewed.sort();
        assert_eq!(sorted, viewed);
        let mut all: Vec<Address> = (0..VALIDATORS).map(staking_account).collect();
        all.sort();
        assert_eq!(sorted, all, "every bonded validator sits in epoch 0");
        let offender = members
            .iter()
            .position(|m| *m == offender_account)
            .expect("the offender is a member");
        let honest: Vec<usize> = (0..VALIDATORS).filter(|&i| i != offender).collect();
        let reporter_accounts: Vec<Address> = (0..VALIDATORS)
            .map(|index| reporter_signer(index).address())
            .collect();
        let (stake_before, balances_before) = cluster.with_chain(honest[0], |c| {
            let balances: Vec<U256> = reporter_accounts.iter().map(|a| balance(c, *a)).collect();
            (bonded(c, offender_account), balances)
        });
        assert_eq!(stake_before, vnt(STAKE_VNT));
        for &index in &honest {
            cluster.report_evidence_with(index, reporter_signer(index));
            cluster.start(index).await;
        }
        let _byzantine = cluster.start_conflicter(offender).await;

        // A successful report final on every honest validator.
        let deadline = cluster.context.current() + PHASE_LIMIT;
        let (landed, sender) = loop {
            let succeeded: Vec<Option<(B256, Address)>> = honest
                .iter()
                .map(|&i| {
                    cluster.with_chain(i, |c| {
                        reports(c)
                            .into_iter()
                            .find(|(_, _, ok)| *ok)
                            .map(|(hash, from, _)| (hash, from))
                    })
                })
                .collect();
            if let Some(Some(first)) = succeeded.first()
                && succeeded.iter().all(|s| s == &Some(*first))
            {
                break *first;
            }
            assert!(
                cluster.context.current() < deadline,
                "no report final everywhere in {PHASE_LIMIT:?}: {succeeded:?}"
            );
            cluster.context.sleep(Duration::from_millis(100)).await;
        };
        let reporter = reporter_accounts
            .iter()
            .position(|account| *account == sender)
            .expect("the report was sent by a validator's reporter account");
        assert!(honest.contains(&reporter), "the offender did not report");
        let included = cluster.with_chain(honest[0], |c| {
            c.tx_location(&landed).unwrap().unwrap().block_number
        });
        // The evidence is what the reporters' consensus saw.
        let evidence = cluster.evidence(reporter);
        let decoded = Evidence::decode(&evidence[0]).expect("held evidence decodes");
        assert_eq!(decoded.fault(), Fault::ConflictingNotarize);
        assert_eq!(decoded.round().epoch(), Epoch::zero());
        assert_eq!(usize::from(decoded.signer()), offender);

        let config = StakingConfig::dev();
        let share = |amount: U256, bps: u16| amount * U256::from(bps) / U256::from(10_000);
        let slashed = share(stake_before, config.slash_share_bps);
        let reward = share(slashed, config.reporter_share_bps);
        assert!(!reward.is_zero());

        // Past the next epoch boundary the committees no longer hold the offender: the one
        // serving next (drawn before the offence, jailed member left out) and the one drawn
        // at the boundary. The epoch of the offence itself still lists it.
        let epoch_length = config.epoch_length;
        let epoch = included / epoch_length;
        let boundary = (epoch + 1) * epoch_length;
        // A few blocks into the next epoch, whose engine runs without the offender.
        cluster
            .await_height(&honest, boundary + 2, PHASE_LIMIT)
            .await;
        let mut duplicates = 0;
        for &index in &honest {
            cluster.with_chain(index, |c| {
                let all = reports(c);
                // Exactly one report succeeded; any other reporter's duplicate reverted.
                let succeeded: Vec<_> = all.iter().filter(|(_, _, ok)| *ok).collect();
                assert_eq!(succeeded.len(), 1, "validator {index}: reports {all:?}");
                duplicates = all.len() - 1;
                for (hash, from, ok) in &all {
                    assert!(reporter_accounts.contains(from), "{from} is no reporter");
                    if !ok {
                        assert_ne!(*hash, landed);
                    }
                }
                assert_eq!(
                    all.iter().filter(|(_, from, _)| *from == sender).count(),
                    1,
                    "validator {index}: the landing reporter sent one report"
                );
                let (cost, _) = gas_cost(c, landed);
                assert_eq!(
                    bonded(c, offender_account),
                    stake_before - slashed,
                    "validator {index}: the offender's stake"
                );
                assert_eq!(
                    balance(c, sender),
                    balances_before[reporter] + reward - cost,
                    "validator {index}: the reporter's balance"
                );
                assert!(view(
                    c,
                    IStaking::jailedCall {
                        account: offender_account
                    }
                ));
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
        // Consensus itself left the offender behind: the blocks of the next epoch are
        // finalized by certificates of a committee it is not in.
        let proven = cluster.with_chain(honest[0], |c| {
            let committee = consensus_committee(c.state(), DEV_CHAIN_ID, epoch + 1).unwrap();
            assert!(
                committee
                    .members()
                    .iter()
                    .all(|m| Address::from(m.id) != offender_account)
            );
            let mut proven = 0;
            for height in boundary..=boundary + 2 {
                let hash = c.hash_by_number(height).unwrap().unwrap();
                if let Some(proof) = c.store().finality_proof(&hash).unwrap() {
                    let finalized = check_finalization(&proof, &committee)
                        .unwrap_or_else(|error| panic!("block {height}: {error}"));
                    assert_eq!(finalized.epoch, epoch + 1);
                    proven += 1;
                }
            }
            proven
        });
        assert!(
            proven > 0,
            "no block of epoch {} has a stored proof",
            epoch + 1
        );
        eprintln!(
            "slashing: validator {reporter}'s reporter landed the report at height {included} \
             ({duplicates} duplicates reverted), {slashed} wei slashed, {reward} wei paid; \
             offender out of epochs {} and {}",
            epoch + 1,
            epoch + 2
        );
    });
}

//! Evidence on a running dev node: a committee member's conflicting votes, reported in a
//! block, slash its bonded and unbonding stake by the configured share, pay the reporter
//! its share, burn the rest and keep the member out of later committees.

use super::epochs::seal_until;
use super::*;
use crate::shielded_pool::{balance, gas_cost};
use IStaking::IStakingEvents as Event;
use vnt_vortex::keys::{decode_bls_public_key, decode_identity};
use vnt_vortex::scheme::{CommitteeMember, ConsensusCommittee};
use vnt_vortex::testing::double_notarize;

/// Dev parameters (`StakingConfig::dev`).
const EPOCH_LENGTH: u64 = 16;
const EVIDENCE_WINDOW: u64 = 32;
const SLASH_BPS: u64 = 500;
const REPORTER_BPS: u64 = 1_000;
/// The validator that double-votes, and the one that reports it.
const OFFENDER: usize = 1;
const REPORTER: usize = 3;

/// The consensus committee of `epoch` as the contract's view reports it, labelled `epoch`
/// (a committee under another label signs votes of that epoch).
async fn consensus_committee(node: &TestNode, epoch: u64, label: u64) -> ConsensusCommittee {
    let members = view(node, IStaking::committeeCall { epoch })
        .await
        .into_iter()
        .map(|m| CommitteeMember {
            id: m.validator.0.0,
            identity: decode_identity(m.identity.as_slice()).unwrap(),
            bls: decode_bls_public_key(&m.blsPublicKey).unwrap(),
            seats: m.seats as usize,
        })
        .collect();
    ConsensusCommittee::new(DEV_CHAIN_ID, label, members).unwrap()
}

fn evidence_of(signer: usize, committee: &ConsensusCommittee, view: u64) -> Vec<u8> {
    let keys = ValidatorKeys::devnet(SEED, signer as u32);
    double_notarize(&keys, committee, view)
        .expect("a member")
        .encode()
}

fn report(evidence: &[u8]) -> IStaking::reportEvidenceCall {
    IStaking::reportEvidenceCall {
        evidence: Bytes::copy_from_slice(evidence),
    }
}

async fn refusal(node: &TestNode, evidence: &[u8]) -> String {
    let data = report(evidence).abi_encode();
    revert_reason(node, "eth_call", staking_call(REPORTER, &data, U256::ZERO)).await
}

fn bps(amount: U256, share: u64) -> U256 {
    amount * U256::from(share) / U256::from(10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_voting_is_slashed_paid_burned_and_jailed_once() {
    let node = TestNode::start().await;
    let offender = signers()[OFFENDER].address();
    let reporter = signers()[REPORTER].address();
    register_two(&node).await;
    // Some of the offender's stake is unbonding when it offends: that is slashed too.
    let unbond = IStaking::unbondCall { amount: vnt(500) };
    let receipt = mine_one(&node, OFFENDER, 1, &unbond, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");

    // Committee 2 is drawn at the end of epoch 0; the offence is in epoch 2.
    seal_until(&node, 2 * EPOCH_LENGTH).await;
    let committee = consensus_committee(&node, 2, 2).await;
    assert!(committee.members().iter().any(|m| m.id == offender.0.0));
    let evidence = evidence_of(OFFENDER, &committee, 7);

    let before = validator(&node, offender).await;
    assert_eq!((before.bonded, before.unbonding), (vnt(1_500), vnt(500)));
    let reporter_before = balance(&node, reporter).await;
    let contract_before = balance(&node, STAKING).await;
    let total_before = view(&node, IStaking::totalBondedCall {}).await;

    let receipt = mine_one(&node, REPORTER, 0, &report(&evidence), U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let slashed = bps(vnt(1_500), SLASH_BPS) + bps(vnt(500), SLASH_BPS);
    let reward = bps(slashed, REPORTER_BPS);
    let burned = slashed - reward;
    assert_eq!((slashed, reward, burned), (vnt(100), vnt(10), vnt(90)));
    match &events(&receipt)[..] {
        [Event::Slashed(s)] => {
            assert_eq!((s.offender, s.reporter), (offender, reporter));
            assert_eq!((s.epoch, s.view, s.fault), (2, 7, 1));
            assert_eq!((s.slashed, s.reward, s.burned), (slashed, reward, burned));
        }
        other => panic!("reportEvidence emitted {other:?}"),
    }
    let after = validator(&node, offender).await;
    assert_eq!(after.bonded, before.bonded - bps(vnt(1_500), SLASH_BPS));
    assert_eq!(after.unbonding, before.unbonding - bps(vnt(500), SLASH_BPS));
    assert_eq!(
        view(&node, IStaking::totalBondedCall {}).await,
        total_before - bps(vnt(1_500), SLASH_BPS)
    );
    assert_eq!(
        balance(&node, reporter).await,
        reporter_before + reward - gas_cost(&receipt)
    );
    // The contract lost the whole slash; only the reward reached anyone: the rest is gone.
    assert_eq!(balance(&node, STAKING).await, contract_before - slashed);
    assert!(view(&node, IStaking::jailedCall { account: offender }).await);
    let used: U256 = serde_json::from_value(receipt["gasUsed"].clone()).unwrap();
    eprintln!("staking gas: reportEvidence: {used}");

    // The same offence again, and another offence of the same member in the same epoch.
    let again = refusal(&node, &evidence).await;
    let punished = format!("{offender} was already punished for epoch 2");
    assert_eq!(again, punished);
    assert_eq!(
        refusal(&node, &evidence_of(OFFENDER, &committee, 9)).await,
        punished
    );
    let receipt = mine_one(&node, REPORTER, 1, &report(&evidence), U256::ZERO).await;
    assert_eq!(receipt["status"], "0x0", "{receipt}");
    assert_eq!(validator(&node, offender).await.bonded, after.bonded);

    // Altered bytes: a flipped bit in the second signature, and a cut.
    let mut altered = evidence_of(2, &committee, 7);
    let last = altered.len() - 1;
    altered[last] ^= 1;
    let reason = refusal(&node, &altered).await;
    assert!(reason.starts_with("evidence refused: "), "{reason}");
    let reason = refusal(&node, &evidence[..evidence.len() - 10]).await;
    assert!(reason.starts_with("evidence refused: "), "{reason}");
    // An epoch with no committee yet.
    let future = consensus_committee(&node, 2, 9).await;
    let reason = refusal(&node, &evidence_of(2, &future, 3)).await;
    assert!(
        reason.starts_with("no committee is known for epoch 9"),
        "{reason}"
    );

    // Out of the committees after the current epoch: the effective one of epoch 3 (drawn
    // before the offence) and the one drawn at the end of epoch 2.
    seal_until(&node, 3 * EPOCH_LENGTH - 1).await;
    for epoch in [3, 4] {
        let members = view(&node, IStaking::committeeCall { epoch }).await;
        assert!(!members.is_empty());
        assert!(
            members.iter().all(|m| m.validator != offender),
            "epoch {epoch}"
        );
    }
    // Epoch 2's window closes `EVIDENCE_WINDOW` blocks after its last block: evidence of
    // the other member's double vote is then too late.
    let closes = 3 * EPOCH_LENGTH - 1 + EVIDENCE_WINDOW;
    seal_until(&node, closes).await;
    let late = evidence_of(2, &committee, 11);
    let reason = refusal(&node, &late).await;
    assert!(
        reason.starts_with(&format!(
            "evidence of epoch 2 is too late: its window closed at block {closes}"
        )),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraw_pays_the_matured_entries_and_leaves_the_rest_for_later() {
    let node = node_with_validator(2_000).await;
    let me = signers()[1].address();
    let period = view(&node, IStaking::unbondingPeriodCall {}).await;
    let first = IStaking::unbondCall { amount: vnt(100) };
    assert_eq!(
        mine_one(&node, 1, 1, &first, U256::ZERO).await["status"],
        "0x1"
    );
    let first_matures = head(&node).await + period;
    node.seal().await;
    let second = IStaking::unbondCall { amount: vnt(200) };
    assert_eq!(
        mine_one(&node, 1, 2, &second, U256::ZERO).await["status"],
        "0x1"
    );
    let second_matures = head(&node).await + period;

    seal_until(&node, first_matures - 1).await;
    let receipt = mine_one(&node, 1, 3, &IStaking::withdrawCall {}, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    match &events(&receipt)[..] {
        [Event::Withdrawn(w)] => assert_eq!(w.amount, vnt(100)),
        other => panic!("withdraw emitted {other:?}"),
    }
    let info = validator(&node, me).await;
    assert_eq!((info.unbonding, info.withdrawable), (vnt(200), U256::ZERO));
    let reason = revert_reason(
        &node,
        "eth_call",
        staking_call(1, &IStaking::withdrawCall {}.abi_encode(), U256::ZERO),
    )
    .await;
    assert!(
        reason.starts_with(&format!(
            "nothing has matured yet: {} wei unbonds at block {second_matures}",
            vnt(200)
        )),
        "{reason}"
    );

    seal_until(&node, second_matures - 1).await;
    let receipt = mine_one(&node, 1, 4, &IStaking::withdrawCall {}, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    match &events(&receipt)[..] {
        [Event::Withdrawn(w)] => assert_eq!(w.amount, vnt(200)),
        other => panic!("withdraw emitted {other:?}"),
    }
    let info = validator(&node, me).await;
    assert_eq!((info.bonded, info.unbonding), (vnt(1_700), U256::ZERO));
}

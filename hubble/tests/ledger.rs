//! One validator's ledger without consensus around it: blocks that arrive out of order wait
//! rather than fail, wrong blocks are refused for good, and a finalization that skips
//! heights commits the ancestors first.

use alloy_primitives::{Address, B256, U256};
use std::sync::Arc;
use tempfile::TempDir;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::node::Shared;
use vnt_chain::pool::PoolConfig;
use vnt_chain::staking::StakingConfig;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::staking::seal::{SEAL_LEN, Sealer};
use vnt_chain::testing::{Transfer, signers, temp_chain, validator_genesis};
use vnt_chain::token::vnt;
use vnt_chain::{ChainConfig, Genesis};
use vnt_hubble::block::LedgerBlock;
use vnt_hubble::block::digest_of;
use vnt_hubble::ledger::{Ledger, MAX_HEARD, MAX_HEARD_PER_PEER, Readiness};
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::testing::finality_proof;

/// A ledger over a fresh dev chain, crediting fees to `beneficiary`; the directory must
/// outlive it.
fn ledger(beneficiary: u8) -> (Ledger, TempDir) {
    let (chain, dir) = temp_chain(Genesis::dev(0));
    let beneficiary = Address::with_last_byte(beneficiary);
    let shared = Arc::new(Shared::new(chain, PoolConfig::default(), beneficiary));
    (Ledger::new(shared, None), dir)
}

/// The round leader these tests name: the dev chain carries no seals, so no block's
/// proposer is compared with it.
const UNSEALED: B256 = B256::ZERO;

fn head_hash(ledger: &Ledger) -> B256 {
    ledger.with_chain(|chain| chain.head_hash())
}

/// Three blocks proposed in a row by one ledger, each with one transfer.
fn three_blocks() -> Vec<LedgerBlock> {
    let (mut proposer, _dir) = ledger(1);
    let config = ChainConfig::new(DEV_CHAIN_ID);
    for nonce in 0..3 {
        let transfer = Transfer::new(
            DEV_CHAIN_ID,
            nonce,
            Address::with_last_byte(9),
            U256::from(7),
        )
        .verified(&signers()[0], &config);
        proposer.shared().submit(transfer).expect("admitted");
    }
    let mut parent = head_hash(&proposer);
    let mut blocks = Vec::new();
    for second in 1..=3 {
        let block = proposer
            .propose(parent, 0, second)
            .unwrap()
            .expect("parent executed");
        parent = block.hash();
        blocks.push(block);
    }
    blocks
}

#[test]
fn a_block_waits_for_its_missing_parent_then_verifies() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let (first, second) = (&blocks[0], &blocks[1]);
    assert_eq!(
        ledger
            .verify(first.hash(), second.hash(), 0, UNSEALED)
            .unwrap(),
        Readiness::Missing(second.hash())
    );
    ledger.hear(second.clone());
    assert_eq!(
        ledger
            .verify(first.hash(), second.hash(), 0, UNSEALED)
            .unwrap(),
        Readiness::Missing(first.hash())
    );
    ledger.hear(first.clone());
    assert_eq!(
        ledger
            .verify(first.hash(), second.hash(), 0, UNSEALED)
            .unwrap(),
        Readiness::Executed
    );
}

#[test]
fn a_block_on_another_parent_than_proposed_is_refused() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let genesis = head_hash(&ledger);
    ledger.hear(blocks[0].clone());
    ledger.hear(blocks[1].clone());
    // Block 2 extends block 1, but consensus says it was proposed on genesis.
    let verdict = ledger
        .verify(genesis, blocks[1].hash(), 0, UNSEALED)
        .unwrap();
    assert!(matches!(verdict, Readiness::Invalid(ref why) if why.contains("does not extend")));
}

#[test]
fn a_tampered_block_is_invalid_for_good() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let genesis = head_hash(&ledger);
    let mut forged = blocks[0].block().clone();
    forged.header.state_root = B256::repeat_byte(1);
    let forged = LedgerBlock::new(forged);
    ledger.hear(forged.clone());
    let verdict = ledger.verify(genesis, forged.hash(), 0, UNSEALED).unwrap();
    assert!(
        matches!(verdict, Readiness::Invalid(ref why) if why.contains("state")),
        "{verdict:?}"
    );
}

#[test]
fn a_finalization_that_skips_heights_commits_the_ancestors_first() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let last = blocks[2].hash();
    ledger.note_finalized(0, 9, last, b"proof of the third".to_vec());
    assert_eq!(ledger.advance().unwrap(), Some(last));
    ledger.hear(blocks[2].clone());
    ledger.hear(blocks[0].clone());
    assert_eq!(ledger.advance().unwrap(), Some(blocks[1].hash()));
    ledger.hear(blocks[1].clone());
    assert_eq!(ledger.advance().unwrap(), None);
    assert_eq!(head_hash(&ledger), last);
    for block in &blocks {
        let stored = ledger.with_chain(|chain| chain.block_by_number(block.number()));
        assert_eq!(stored.unwrap().unwrap().hash, block.hash());
    }
    // The proof is stored beside the block it proves; the ancestors carry none of their own.
    let proof = |ledger: &Ledger, hash| {
        ledger.with_chain(|chain| chain.store().finality_proof(&hash).unwrap())
    };
    assert_eq!(
        proof(&ledger, last).as_deref(),
        Some(&b"proof of the third"[..])
    );
    assert_eq!(proof(&ledger, blocks[1].hash()), None);
    // Reported again (as after a restart, or an epoch's last block finalized again):
    // nothing to do, and the first proof stays.
    ledger.note_finalized(0, 9, last, b"proof again".to_vec());
    assert_eq!(ledger.advance().unwrap(), None);
    assert_eq!(
        proof(&ledger, last).as_deref(),
        Some(&b"proof of the third"[..])
    );
}

#[test]
fn a_block_stamped_ahead_of_the_clock_waits() {
    let (mut proposer, _dir) = ledger(1);
    let genesis = head_hash(&proposer);
    let block = proposer
        .propose(genesis, 0, 1_000)
        .unwrap()
        .expect("genesis is executed");
    assert_eq!(block.block().header.timestamp, 1_000);

    let (mut ledger, _dir) = ledger(2);
    ledger.hear(block.clone());
    let drift = vnt_hubble::ledger::MAX_CLOCK_DRIFT_SECS;
    assert!(ledger.is_stamped_ahead(&block.hash(), 1_000 - drift - 1));
    assert!(!ledger.is_stamped_ahead(&block.hash(), 1_000 - drift));
    assert_eq!(
        ledger.verify(genesis, block.hash(), 0, UNSEALED).unwrap(),
        Readiness::Executed
    );
}

#[test]
fn proposals_take_pooled_transactions_and_a_commit_prunes_and_announces() {
    let (mut ledger, _dir) = ledger(1);
    let config = ChainConfig::new(DEV_CHAIN_ID);
    let transfer = Transfer::new(DEV_CHAIN_ID, 0, Address::with_last_byte(9), U256::from(7))
        .verified(&signers()[0], &config);
    ledger.shared().submit(transfer).expect("admitted");
    let mut announced = ledger.shared().new_blocks.subscribe();
    let genesis = head_hash(&ledger);
    let block = ledger
        .propose(genesis, 0, 1)
        .unwrap()
        .expect("genesis is executed");
    assert_eq!(block.block().body.transactions.len(), 1);
    // Pending is not final: the pool keeps the transaction until the block commits.
    assert_eq!(ledger.shared().pool.lock().len(), 1);
    assert!(ledger.held_bytes() > 0, "the proposal is held for peers");
    ledger.note_finalized(0, 1, block.hash(), Vec::new());
    assert_eq!(ledger.advance().unwrap(), None);
    assert!(ledger.shared().pool.lock().is_empty());
    assert_eq!(ledger.held_bytes(), 0, "a final block is no longer held");
    let committed = announced.try_recv().expect("the commit was announced");
    assert_eq!(committed.block.hash, block.hash());
    assert_eq!(committed.receipts.len(), 1);
}

#[test]
fn a_finalized_block_that_cannot_execute_is_an_error_not_a_panic() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let mut forged = blocks[0].block().clone();
    forged.header.state_root = B256::repeat_byte(1);
    let forged = LedgerBlock::new(forged);
    ledger.hear(forged.clone());
    ledger.note_finalized(0, 1, forged.hash(), Vec::new());
    let failure = ledger.advance().expect_err("the block is invalid");
    assert!(failure.to_string().contains("cannot execute"), "{failure}");
    assert_eq!(ledger.with_chain(|chain| chain.head().number), 0);
}

#[test]
fn a_block_consensus_waits_for_finds_room_in_a_store_full_of_junk() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let genesis = head_hash(&ledger);
    // A peer fills the store with distinct blocks nobody asked for.
    for index in 0..MAX_HEARD as u64 {
        let mut junk = blocks[0].block().clone();
        junk.header.extra_data = index.to_be_bytes().to_vec().into();
        ledger.hear(LedgerBlock::new(junk));
    }
    // A block nobody waits for finds no room...
    ledger.hear(blocks[0].clone());
    let first = blocks[0].hash();
    assert_eq!(
        ledger.verify(genesis, first, 0, UNSEALED).unwrap(),
        Readiness::Missing(first)
    );
    // ...but once consensus waits for it (the verification above), junk makes way.
    ledger.hear(blocks[0].clone());
    assert_eq!(
        ledger.verify(genesis, first, 0, UNSEALED).unwrap(),
        Readiness::Executed
    );
}

#[test]
fn one_peer_holds_at_most_its_quota_and_others_blocks_still_find_room() {
    let blocks = three_blocks();
    let (mut ledger, _dir) = ledger(2);
    let genesis = head_hash(&ledger);
    let (junk_sender, honest) = (B256::repeat_byte(0xBA), B256::repeat_byte(0x60));
    let junk = |index: u64| {
        let mut junk = blocks[0].block().clone();
        junk.header.extra_data = index.to_be_bytes().to_vec().into();
        LedgerBlock::new(junk)
    };
    for index in 0..MAX_HEARD_PER_PEER as u64 {
        ledger.hear_from(junk(index), junk_sender);
    }
    assert!(ledger.block(&junk(0).hash()).is_some());
    // Past its quota the junk sender's blocks are dropped...
    let over = junk(MAX_HEARD_PER_PEER as u64);
    ledger.hear_from(over.clone(), junk_sender);
    assert!(ledger.block(&over.hash()).is_none());
    // ...while another peer's block is kept, and verifies.
    ledger.hear_from(blocks[0].clone(), honest);
    assert_eq!(
        ledger
            .verify(genesis, blocks[0].hash(), 0, UNSEALED)
            .unwrap(),
        Readiness::Executed
    );
    // A block consensus waits for is kept even from a peer over its quota.
    let waited = junk(MAX_HEARD_PER_PEER as u64 + 1);
    assert_eq!(
        ledger.verify(genesis, waited.hash(), 0, UNSEALED).unwrap(),
        Readiness::Missing(waited.hash())
    );
    ledger.hear_from(waited.clone(), junk_sender);
    assert!(ledger.block(&waited.hash()).is_some());
}

#[test]
fn a_block_sealed_by_anyone_but_the_rounds_leader_is_refused() {
    let keys: Vec<ValidatorKeys> = (0..4)
        .map(|index| ValidatorKeys::devnet(7, index))
        .collect();
    // With a block reward, so the second block carries a certificate after its seal.
    let mut genesis = validator_genesis(keys.iter().enumerate().map(|(index, keys)| {
        (
            keys,
            Address::with_last_byte(0xC0 + index as u8),
            vnt(10_000),
        )
    }));
    let staking = genesis.config.staking.clone().unwrap();
    genesis.enable_staking(StakingConfig {
        block_reward: vnt(1),
        ..staking
    });
    let open = |sealer: Option<Sealer>| {
        let (chain, dir) = temp_chain(genesis.clone());
        let shared = Arc::new(Shared::new(chain, PoolConfig::default(), Address::ZERO));
        (Ledger::new(shared, sealer), dir)
    };
    let (mut proposer, _p) = open(Some(Sealer::new(&keys[1])));
    let (mut verifier, _v) = open(None);
    let identity = |index: usize| Sealer::new(&keys[index]).identity();
    let genesis_hash = head_hash(&proposer);

    let first = proposer
        .propose(genesis_hash, 0, 1)
        .unwrap()
        .expect("genesis is executed");
    // The first block final on the proposer, with a certificate the next block carries.
    let committee = proposer
        .with_chain(|chain| consensus_committee(chain.state(), DEV_CHAIN_ID, 0).expect("epoch 0"));
    let ordered = committee.in_participant_order(keys.clone());
    let proof = finality_proof(&ordered, &committee, 1, digest_of(first.hash()), 3).unwrap();
    proposer.note_finalized(0, 1, first.hash(), proof);
    proposer.advance().unwrap();
    let second = proposer
        .propose(first.hash(), 0, 2)
        .unwrap()
        .expect("the first block is executed");
    assert!(second.block().header.extra_data.len() > SEAL_LEN);

    for (parent, block) in [(genesis_hash, &first), (first.hash(), &second)] {
        verifier.hear(block.clone());
        match verifier
            .verify(parent, block.hash(), 0, identity(2))
            .unwrap()
        {
            Readiness::Invalid(reason) => assert!(
                reason.contains(&format!(
                    "sealed by {}, not by the round's leader",
                    identity(1)
                )),
                "{reason}"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            verifier
                .verify(parent, block.hash(), 0, identity(1))
                .unwrap(),
            Readiness::Executed
        );
    }
}

#[test]
fn an_epoch_orders_only_its_heights_and_proposes_its_last_block_again() {
    let keys: Vec<ValidatorKeys> = (0..4)
        .map(|index| ValidatorKeys::devnet(7, index))
        .collect();
    let genesis = validator_genesis(keys.iter().enumerate().map(|(index, keys)| {
        (
            keys,
            Address::with_last_byte(0xC0 + index as u8),
            vnt(10_000),
        )
    }));
    let length = genesis.config.staking.as_ref().unwrap().epoch_length;
    let open = |sealer: Option<Sealer>| {
        let (chain, dir) = temp_chain(genesis.clone());
        let shared = Arc::new(Shared::new(chain, PoolConfig::default(), Address::ZERO));
        (Ledger::new(shared, sealer), dir)
    };
    let (mut proposer, _p) = open(Some(Sealer::new(&keys[0])));
    let (mut verifier, _v) = open(None);
    let leader = Sealer::new(&keys[0]).identity();
    assert_eq!(proposer.epoch_heights(0), Some(1..=length - 1));
    assert_eq!(proposer.epoch_heights(1), Some(length..=2 * length - 1));

    // Epoch 0's blocks, up to its last.
    let mut parent = head_hash(&proposer);
    let mut chain = Vec::new();
    for second in 1..length {
        let block = proposer.propose(parent, 0, second).unwrap().unwrap();
        verifier.hear(block.clone());
        assert_eq!(
            verifier.verify(parent, block.hash(), 0, leader).unwrap(),
            Readiness::Executed
        );
        parent = block.hash();
        chain.push(block);
    }
    let last = chain.last().unwrap().clone();
    assert_eq!(last.number(), length - 1);

    // On its last block epoch 0 proposes that block again, and verifies it as such.
    let again = proposer.propose(last.hash(), 0, length).unwrap().unwrap();
    assert_eq!(again.hash(), last.hash());
    assert_eq!(
        verifier
            .verify(last.hash(), last.hash(), 0, leader)
            .unwrap(),
        Readiness::Executed
    );
    // Any other block proposed again is refused.
    let middle = &chain[3];
    assert!(matches!(
        verifier
            .verify(middle.hash(), middle.hash(), 0, leader)
            .unwrap(),
        Readiness::Invalid(_)
    ));

    // The next block belongs to epoch 1: epoch 0 refuses it, epoch 1 takes it.
    let next = proposer.propose(last.hash(), 1, length).unwrap().unwrap();
    assert_eq!(next.number(), length);
    verifier.hear(next.clone());
    match verifier
        .verify(last.hash(), next.hash(), 0, leader)
        .unwrap()
    {
        Readiness::Invalid(reason) => assert!(
            reason.contains("outside the heights") && reason.contains("epoch 0"),
            "{reason}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        verifier
            .verify(last.hash(), next.hash(), 1, leader)
            .unwrap(),
        Readiness::Executed
    );
    // And epoch 1 refuses epoch 0's blocks.
    assert!(matches!(
        verifier
            .verify(
                chain[0].block().header.parent_hash,
                chain[0].hash(),
                1,
                leader
            )
            .unwrap(),
        Readiness::Invalid(_)
    ));
}

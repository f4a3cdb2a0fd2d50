//! One validator's ledger without consensus around it: blocks that arrive out of order wait
//! rather than fail, wrong blocks are refused for good, and a finalization that skips
//! heights commits the ancestors first.

use alloy_primitives::{Address, B256, U256};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers, temp_chain};
use vnt_chain::{ChainConfig, Genesis};
use vnt_hubble::block::LedgerBlock;
use vnt_hubble::ledger::{Ledger, Readiness};

/// Three blocks proposed in a row by one ledger, each with one transfer.
fn three_blocks() -> Vec<LedgerBlock> {
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let mut proposer = Ledger::new(chain, Address::with_last_byte(1));
    let config = ChainConfig::new(DEV_CHAIN_ID);
    proposer.submit((0..3).map(|nonce| {
        Transfer::new(
            DEV_CHAIN_ID,
            nonce,
            Address::with_last_byte(9),
            U256::from(7),
        )
        .verified(&signers()[0], &config)
    }));
    let mut parent = proposer.chain().head_hash();
    let mut blocks = Vec::new();
    for second in 1..=3 {
        let block = proposer
            .propose(parent, second)
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
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let mut ledger = Ledger::new(chain, Address::with_last_byte(2));
    let (first, second) = (&blocks[0], &blocks[1]);
    assert_eq!(
        ledger.verify(first.hash(), second.hash()),
        Readiness::Missing(second.hash())
    );
    ledger.hear(second.clone());
    assert_eq!(
        ledger.verify(first.hash(), second.hash()),
        Readiness::Missing(first.hash())
    );
    ledger.hear(first.clone());
    assert_eq!(
        ledger.verify(first.hash(), second.hash()),
        Readiness::Executed
    );
}

#[test]
fn a_block_on_another_parent_than_proposed_is_refused() {
    let blocks = three_blocks();
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let genesis = chain.head_hash();
    let mut ledger = Ledger::new(chain, Address::with_last_byte(2));
    ledger.hear(blocks[0].clone());
    ledger.hear(blocks[1].clone());
    // Block 2 extends block 1, but consensus says it was proposed on genesis.
    let verdict = ledger.verify(genesis, blocks[1].hash());
    assert!(matches!(verdict, Readiness::Invalid(ref why) if why.contains("does not extend")));
}

#[test]
fn a_tampered_block_is_invalid_for_good() {
    let blocks = three_blocks();
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let genesis = chain.head_hash();
    let mut ledger = Ledger::new(chain, Address::with_last_byte(2));
    let mut forged = blocks[0].block().clone();
    forged.header.state_root = B256::repeat_byte(1);
    let forged = LedgerBlock::new(forged);
    ledger.hear(forged.clone());
    let verdict = ledger.verify(genesis, forged.hash());
    assert!(
        matches!(verdict, Readiness::Invalid(ref why) if why.contains("state")),
        "{verdict:?}"
    );
}

#[test]
fn a_finalization_that_skips_heights_commits_the_ancestors_first() {
    let blocks = three_blocks();
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let mut ledger = Ledger::new(chain, Address::with_last_byte(2));
    let last = blocks[2].hash();
    ledger.note_finalized(9, last);
    assert_eq!(ledger.advance(), Some(last));
    ledger.hear(blocks[2].clone());
    ledger.hear(blocks[0].clone());
    assert_eq!(ledger.advance(), Some(blocks[1].hash()));
    ledger.hear(blocks[1].clone());
    assert_eq!(ledger.advance(), None);
    assert_eq!(ledger.chain().head_hash(), last);
    for block in &blocks {
        let stored = ledger
            .chain()
            .block_by_number(block.number())
            .unwrap()
            .unwrap();
        assert_eq!(stored.hash, block.hash());
    }
    // Reported again (as after a restart): nothing to do.
    ledger.note_finalized(9, last);
    assert_eq!(ledger.advance(), None);
}

#[test]
fn a_block_stamped_ahead_of_the_clock_waits() {
    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let mut proposer = Ledger::new(chain, Address::with_last_byte(1));
    let genesis = proposer.chain().head_hash();
    let block = proposer
        .propose(genesis, 1_000)
        .unwrap()
        .expect("genesis is executed");
    assert_eq!(block.block().header.timestamp, 1_000);

    let (chain, _dir) = temp_chain(Genesis::dev(0));
    let mut ledger = Ledger::new(chain, Address::with_last_byte(2));
    ledger.hear(block.clone());
    let drift = vnt_hubble::ledger::MAX_CLOCK_DRIFT_SECS;
    assert!(ledger.is_stamped_ahead(&block.hash(), 1_000 - drift - 1));
    assert!(!ledger.is_stamped_ahead(&block.hash(), 1_000 - drift));
    assert_eq!(ledger.verify(genesis, block.hash()), Readiness::Executed);
}

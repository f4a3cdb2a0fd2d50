//! The follower trusts no peer: it commits served blocks only under a finality proof that
//! checks against the committee, for a block that extends its own chain.

use super::*;
use alloy_primitives::Address;
use vnt_chain::Genesis;
use vnt_chain::pool::PoolConfig;
use vnt_chain::testing::temp_chain;
use vnt_hubble::block::digest_of;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::testing::{committee, finality_proof};

const T0: u64 = 1_700_000_000;

/// `count` empty blocks built on the dev genesis stamped `T0`, from `start` seconds on.
fn blocks(count: u64, start: u64) -> Vec<LedgerBlock> {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    (1..=count)
        .map(|number| {
            let built = chain
                .build_block([], T0 + start + number, Address::ZERO)
                .unwrap();
            let stored = chain.block_by_hash(&built.hash).unwrap().unwrap();
            LedgerBlock::new(stored.block)
        })
        .collect()
}

/// A node on the same genesis, at height 0.
fn fresh_node() -> (Arc<Shared>, tempfile::TempDir) {
    let (chain, dir) = temp_chain(Genesis::dev(T0));
    (
        Arc::new(Shared::new(chain, PoolConfig::default(), Address::ZERO)),
        dir,
    )
}

fn served(block: &LedgerBlock, proof: Option<Vec<u8>>) -> Vec<u8> {
    FinalBlock {
        block: block.clone(),
        proof,
    }
    .to_bytes()
}

fn proof_of(keys: &[ValidatorKeys], members: &ConsensusCommittee, block: &LedgerBlock) -> Vec<u8> {
    finality_proof(keys, members, 5, digest_of(block.hash()), 3).unwrap()
}

fn head(shared: &Shared) -> (u64, B256) {
    let chain = shared.chain.read();
    (chain.head().number, chain.head_hash())
}

#[test]
fn unproven_blocks_wait_for_a_proven_descendant_then_commit_in_order() {
    let (keys, members) = committee(0, 4);
    let chain = blocks(3, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    follower.import(1, &served(&chain[0], None)).unwrap();
    follower.import(2, &served(&chain[1], None)).unwrap();
    assert_eq!(head(&shared).0, 0, "nothing is final without a proof");
    assert_eq!(follower.next_height(), 3);
    let proof = proof_of(&keys, &members, &chain[2]);
    follower
        .import(3, &served(&chain[2], Some(proof.clone())))
        .unwrap();
    assert_eq!(head(&shared), (3, chain[2].hash()));
    let stored = shared
        .chain
        .read()
        .store()
        .finality_proof(&chain[2].hash())
        .unwrap();
    assert_eq!(stored, Some(proof), "kept to serve other followers");
}

#[test]
fn a_proof_for_another_block_or_by_another_committee_commits_nothing() {
    let (keys, members) = committee(0, 4);
    let chain = blocks(2, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    let wrong_block = proof_of(&keys, &members, &chain[1]);
    let error = follower
        .import(1, &served(&chain[0], Some(wrong_block)))
        .unwrap_err();
    assert!(error.contains("for another block"), "{error}");
    let (other_keys, other_members) = committee(1, 4);
    let other_epoch = proof_of(&other_keys, &other_members, &chain[0]);
    let error = follower
        .import(1, &served(&chain[0], Some(other_epoch)))
        .unwrap_err();
    assert!(error.contains("epoch 1"), "{error}");
    assert_eq!(head(&shared).0, 0);
}

#[test]
fn a_block_off_the_chain_or_at_the_wrong_height_is_refused() {
    let (_, members) = committee(0, 4);
    let ours = blocks(2, 0);
    let fork = blocks(2, 100);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    let error = follower.import(1, &served(&ours[1], None)).unwrap_err();
    assert!(error.contains("was served block 2"), "{error}");
    follower.import(1, &served(&ours[0], None)).unwrap();
    let error = follower.import(2, &served(&fork[1], None)).unwrap_err();
    assert!(error.contains("does not extend"), "{error}");
    let error = follower.import(2, b"\x00\x00\x00\x09short").unwrap_err();
    assert!(error.contains("claims 9 bytes"), "{error}");
}

#[test]
fn a_long_unproven_run_is_refused_and_a_reset_forgets_it() {
    let (_, members) = committee(0, 4);
    let chain = blocks(MAX_UNPROVEN_RUN as u64 + 1, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    for (index, block) in chain[..MAX_UNPROVEN_RUN].iter().enumerate() {
        follower
            .import(index as u64 + 1, &served(block, None))
            .unwrap();
    }
    let height = MAX_UNPROVEN_RUN as u64 + 1;
    let error = follower
        .import(height, &served(&chain[MAX_UNPROVEN_RUN], None))
        .unwrap_err();
    assert!(error.contains("without a finality proof"), "{error}");
    // The next peer is asked from the stored head, not from what this one served.
    follower.reset();
    assert_eq!(follower.next_height(), 1);
    assert_eq!(head(&shared).0, 0);
}

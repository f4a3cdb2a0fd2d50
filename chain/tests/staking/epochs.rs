//! Epochs on a running dev node: the committee two epochs ahead is drawn at each epoch's
//! end, and anyone can recompute it from block headers and staking state alone.

use super::*;
use alloy_primitives::keccak256;
use vnt_vortex::committee::{Candidate, EpochSeed, elect};

/// Seals empty blocks until the head is block `number`.
pub async fn seal_until(node: &TestNode, number: u64) {
    while head(node).await < number {
        node.seal().await;
    }
}

/// The `mix_hash` (prevrandao) of block `number`, read over RPC.
async fn mix_hash(node: &TestNode, number: u64) -> B256 {
    let block = node
        .ok(
            "eth_getBlockByNumber",
            vec![json!(format!("{number:#x}")), json!(false)],
        )
        .await;
    serde_json::from_value(block["mixHash"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_is_drawn_two_epochs_ahead_and_recomputable_from_chain_data() {
    let node = TestNode::start().await;
    let length = view(&node, IStaking::epochLengthCall {}).await;
    assert_eq!(length, 16);
    // Dev genesis bonds nobody: the first two committees are known and empty.
    assert!(
        view(&node, IStaking::committeeCall { epoch: 0 })
            .await
            .is_empty()
    );
    assert!(
        view(&node, IStaking::committeeCall { epoch: 1 })
            .await
            .is_empty()
    );
    let not_drawn = revert_reason(
        &node,
        "eth_call",
        staking_call(
            0,
            &IStaking::committeeCall { epoch: 2 }.abi_encode(),
            U256::ZERO,
        ),
    )
    .await;
    assert!(
        not_drawn.starts_with("the committee of epoch 2 is not drawn yet"),
        "{not_drawn}"
    );

    register_two(&node).await;
    seal_until(&node, length - 2).await;
    assert_eq!(
        view(&node, IStaking::epochSeedCall { epoch: 2 }).await,
        B256::ZERO
    );
    seal_until(&node, length - 1).await;
    assert_eq!(view(&node, IStaking::currentEpochCall {}).await, 1);

    // The seed chain from genesis and the headers' mix hashes alone.
    let seed_0 = keccak256(b"VNT/staking/seed/0");
    assert_eq!(
        view(&node, IStaking::epochSeedCall { epoch: 0 }).await,
        seed_0
    );
    let seed_1 = keccak256(seed_0);
    assert_eq!(
        view(&node, IStaking::epochSeedCall { epoch: 1 }).await,
        seed_1
    );
    let mut accumulated = B256::ZERO;
    for number in 1..length {
        let mix = mix_hash(&node, number).await;
        accumulated = keccak256([accumulated.as_slice(), mix.as_slice()].concat());
    }
    let seed_2 = keccak256([seed_1.as_slice(), accumulated.as_slice()].concat());
    assert_eq!(
        view(&node, IStaking::epochSeedCall { epoch: 2 }).await,
        seed_2
    );

    // The candidates from the contract's storage (nothing changed them since block 1).
    let candidates: Vec<Candidate> = view(&node, IStaking::candidatesCall {})
        .await
        .into_iter()
        .map(|c| Candidate {
            id: c.validator.0.0,
            stake: c.stake.to(),
        })
        .collect();
    assert_eq!(candidates.len(), 2);
    let expected = elect(&EpochSeed(seed_2.0), 2, &candidates, 16).unwrap();
    let stored = view(&node, IStaking::committeeCall { epoch: 2 }).await;
    let drawn: Vec<(Address, u64)> = stored.iter().map(|m| (m.validator, m.seats)).collect();
    let recomputed: Vec<(Address, u64)> = expected
        .members
        .iter()
        .map(|(id, seats)| (Address::from(*id), *seats as u64))
        .collect();
    assert_eq!(drawn, recomputed);
    // Members carry the keys they registered.
    for member in &stored {
        let index = (1..=2)
            .find(|&i| signers()[i].address() == member.validator)
            .unwrap();
        let registered = registration(index as u32, DEV_CHAIN_ID);
        assert_eq!(member.identity, registered.identity);
        assert_eq!(member.blsPublicKey, registered.blsPublicKey);
    }
}

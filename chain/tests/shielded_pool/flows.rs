//! Value moving in, across and out of the pool, with everyone's balance accounted for.

use super::*;
use vnt_chain::shielded::abi::IShieldedPool::{IShieldedPoolEvents, NoteCommitted, NullifierSpent};
use vnt_chain::shielded::gas;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shield_transfer_and_unshield_add_up_beside_a_public_transfer() {
    let story = story();
    let node = TestNode::start().await;
    let [shielder, public_sender, relayer, submitter] = [0, 1, 2, 3];
    let payee = Address::repeat_byte(0x77);
    let at_start = |who: usize| signers()[who].address();
    let shielder_before = balance(&node, at_start(shielder)).await;
    let relayer_before = balance(&node, at_start(relayer)).await;
    let submitter_before = balance(&node, at_start(submitter)).await;

    // Block 1: the shield and a public transfer side by side.
    let one_vnt = U256::from(10u64).pow(U256::from(18));
    let public = Transfer::new(DEV_CHAIN_ID, 0, payee, one_vnt).sign(&signers()[public_sender]);
    let shield = pool_tx(shielder, 0, &story.shield.call(), story.shield.value());
    let receipts = mine(&node, vec![shield, public]).await;
    assert_eq!(receipts[0]["status"], "0x1", "shield: {}", receipts[0]);
    assert_eq!(receipts[1]["status"], "0x1");
    assert_eq!(receipts[0]["blockNumber"], receipts[1]["blockNumber"]);
    assert_eq!(balance(&node, payee).await, one_vnt);
    let gas_used: u64 = serde_json::from_value::<U256>(receipts[0]["gasUsed"].clone())
        .unwrap()
        .to();
    assert!(
        gas_used > gas::VERIFY + 32 * gas::TREE_HASH,
        "verification and the tree's hashes are charged: {gas_used}"
    );
    assert_eq!(
        balance(&node, at_start(shielder)).await,
        shielder_before - story.shield.value() - gas_cost(&receipts[0])
    );
    assert_eq!(
        balance(&node, SHIELDED_POOL).await,
        U256::from(1_000 * GWEI)
    );

    let events = pool_events(&receipts[0]);
    let call = story.shield.call();
    let expected = vec![
        IShieldedPoolEvents::NoteCommitted(NoteCommitted {
            position: 0,
            commitment: call.commitments[0],
            encryptedNote: call.encryptedNotes[0].clone(),
        }),
        IShieldedPoolEvents::NoteCommitted(NoteCommitted {
            position: 1,
            commitment: call.commitments[1],
            encryptedNote: call.encryptedNotes[1].clone(),
        }),
        IShieldedPoolEvents::NullifierSpent(NullifierSpent {
            nullifier: call.nullifiers[0],
        }),
        IShieldedPoolEvents::NullifierSpent(NullifierSpent {
            nullifier: call.nullifiers[1],
        }),
    ];
    assert_eq!(events, expected);

    // Block 2: a relayer submits Alice's private payment to Bob and earns the fee.
    let transfer = pool_tx(relayer, 0, &story.transfer.call(), U256::ZERO);
    let receipts = mine(&node, vec![transfer]).await;
    assert_eq!(receipts[0]["status"], "0x1", "transfer: {}", receipts[0]);
    assert_eq!(
        balance(&node, at_start(relayer)).await,
        relayer_before + U256::from(10 * GWEI) - gas_cost(&receipts[0])
    );
    assert_eq!(balance(&node, SHIELDED_POOL).await, U256::from(990 * GWEI));

    // Block 3: Bob's note leaves the pool for Carol; its submitter earns 5.
    let unshield = pool_tx(submitter, 0, &story.unshield.call(), U256::ZERO);
    let receipts = mine(&node, vec![unshield]).await;
    assert_eq!(receipts[0]["status"], "0x1", "unshield: {}", receipts[0]);
    assert_eq!(balance(&node, CAROL).await, U256::from(695 * GWEI));
    assert_eq!(
        balance(&node, at_start(submitter)).await,
        submitter_before + U256::from(5 * GWEI) - gas_cost(&receipts[0])
    );
    // What was shielded, minus what left: 1,000 - 10 - 695 - 5.
    assert_eq!(balance(&node, SHIELDED_POOL).await, U256::from(290 * GWEI));

    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 6);
    assert_eq!(
        view(&node, IShieldedPool::rootCall {}).await,
        root_of(&story.trees[2])
    );
    for spend in [&story.shield, &story.transfer, &story.unshield] {
        for index in 0..2 {
            let nullifier = spend.nullifier(index);
            assert!(view(&node, IShieldedPool::isSpentCall { nullifier }).await);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nullifier_is_spent_once_in_one_block_and_in_later_ones() {
    let story = story();
    let node = node_after(&[&story.shield]).await;
    let call = story.transfer.call();
    // The same spend submitted twice into one block, by two relayers; the higher tip runs
    // first.
    let mut first = Transfer::new(DEV_CHAIN_ID, 0, SHIELDED_POOL, U256::ZERO)
        .gas_limit(POOL_GAS)
        .fees(20 * GWEI as u128, 5 * GWEI as u128);
    first.input = call.abi_encode().into();
    let first = first.sign(&signers()[2]);
    let second = pool_tx(4, 0, &call, U256::ZERO);
    let receipts = mine(&node, vec![first, second]).await;
    assert_eq!(receipts[0]["blockNumber"], receipts[1]["blockNumber"]);
    assert_eq!(receipts[0]["status"], "0x1");
    assert_eq!(
        receipts[1]["status"], "0x0",
        "the second spend of a note fails"
    );
    assert!(receipts[1]["logs"].as_array().unwrap().is_empty());
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 4);
    assert_eq!(balance(&node, SHIELDED_POOL).await, U256::from(990 * GWEI));

    // And again in a later block.
    let third = pool_tx(5, 0, &call, U256::ZERO);
    let receipts = mine(&node, vec![third]).await;
    assert_eq!(receipts[0]["status"], "0x0");
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 4);
    let data = call.abi_encode();
    for method in ["eth_call", "eth_estimateGas"] {
        let reason = revert_reason(&node, method, pool_call(6, &data, U256::ZERO)).await;
        assert_eq!(reason, "nullifier already spent", "{method}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_report_the_tree_the_root_window_and_the_pinned_key() {
    let story = story();
    let node = TestNode::start().await;
    let empty = root_of(&NoteTree::new());
    assert_eq!(view(&node, IShieldedPool::rootCall {}).await, empty);
    assert!(view(&node, IShieldedPool::isKnownRootCall { root: empty }).await);
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 0);
    assert_eq!(
        view(&node, IShieldedPool::verifyingKeyHashCall {}).await,
        B256::from(vnt_zk::verify::key_hash(dev_keys().verifying_key())),
        "the dev chain pins the dev key"
    );
    let code = node.ok("eth_getCode", vec![json!(SHIELDED_POOL)]).await;
    assert_eq!(code, json!("0xfe"));

    let node = node_after(&[&story.shield, &story.transfer]).await;
    assert_eq!(
        view(&node, IShieldedPool::rootCall {}).await,
        root_of(&story.trees[1])
    );
    for root in [empty, root_of(&story.trees[0]), root_of(&story.trees[1])] {
        assert!(view(&node, IShieldedPool::isKnownRootCall { root }).await);
    }
    let unknown = root_of(&story.trees[2]);
    assert!(!view(&node, IShieldedPool::isKnownRootCall { root: unknown }).await);
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 4);
    let unspent = story.unshield.nullifier(0);
    assert!(!view(&node, IShieldedPool::isSpentCall { nullifier: unspent }).await);
    let spent = story.transfer.nullifier(1);
    assert!(view(&node, IShieldedPool::isSpentCall { nullifier: spent }).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_submits_a_spend_bound_to_it_and_earns_the_fee() {
    let story = story();
    let node = node_after(&[&story.shield, &story.transfer]).await;
    let receipts = mine(&node, vec![deploy(5, 0, &forwarder(0xf1))]).await;
    let proxy = created(&receipts[0]);

    // Bob's unshield as his wallet would make it for the contract as submitter: through
    // the pool's eyes the contract is `msg.sender`, whoever sent the transaction.
    let tree = &story.trees[1];
    let mut rng = ChaCha20Rng::from_seed([12; 32]);
    let notes: [&[u8]; 2] = [&[0xc1; 121], &[0xc2; 121]];
    let circuit = SpendCircuit::new(
        tree.root(),
        [
            SpendInput {
                sk: story.bob,
                note: story.bob_note,
                path: tree.path(Story::BOB_NOTE).unwrap(),
            },
            SpendInput::dummy(story.bob, Fr::from(3u64), Fr::from(4u64)),
        ],
        [
            Note::new(0, story.bob.owner(), &mut rng),
            Note::new(0, story.bob.owner(), &mut rng),
        ],
        0,
        695,
        5,
        recipient_field(&CAROL.0.0),
        DEV_CHAIN_ID,
        external_data_hash(&proxy.0.0, notes),
    )
    .unwrap();
    let spend = Spend {
        public: circuit.public.clone(),
        proof: Bytes::copy_from_slice(&dev_keys().prove(circuit, &mut rng).unwrap().to_bytes()),
        notes: notes.map(Bytes::copy_from_slice),
        recipient: CAROL,
        submitter: usize::MAX,
    };
    let through_proxy = |call: &Transact| {
        let mut tx = Transfer::new(DEV_CHAIN_ID, 0, proxy, U256::ZERO).gas_limit(POOL_GAS);
        tx.input = call.abi_encode().into();
        tx.sign(&signers()[Story::UNSHIELDER])
    };
    // The story's own unshield is bound to the account, not the contract: refused.
    let data = story.unshield.call().abi_encode();
    let request = json!({"from": signers()[Story::UNSHIELDER].address(), "to": proxy, "data": Bytes::from(data)});
    let error = node.call("eth_call", vec![request]).await.unwrap_err();
    assert_eq!(
        error.message(),
        "execution reverted: shielded pool: the proof does not verify against its public inputs"
    );

    let receipts = mine(&node, vec![through_proxy(&spend.call())]).await;
    assert_eq!(receipts[0]["status"], "0x1", "{}", receipts[0]);
    assert_eq!(balance(&node, CAROL).await, U256::from(695 * GWEI));
    assert_eq!(balance(&node, proxy).await, U256::from(5 * GWEI), "the fee");
    assert!(
        view(
            &node,
            IShieldedPool::isSpentCall {
                nullifier: spend.nullifier(0)
            }
        )
        .await
    );
}

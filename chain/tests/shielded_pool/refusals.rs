//! Every refusal of issue 6's list, each caused by one change to an otherwise valid spend,
//! answered through `eth_call` and `eth_estimateGas` as a code-3 revert with its reason.

use super::*;
use ark_bls12_381::{Bls12_381, Fq, G1Affine};
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use vnt_zk::circuit::SpendError;
use vnt_zk::verify::SpendProof;

/// A node where Alice's shield and her payment to Bob are mined, so Bob's unshield is the
/// next valid spend.
async fn ready() -> TestNode {
    let story = story();
    node_after(&[&story.shield, &story.transfer]).await
}

/// The proof of `spend`, rerandomised: different bytes, still valid for the same statement.
fn rerandomised(spend: &Spend) -> Bytes {
    let proof = SpendProof::from_bytes(&spend.proof).unwrap();
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let fresh =
        Groth16::<Bls12_381>::rerandomize_proof(dev_keys().verifying_key(), &proof.0, &mut rng);
    let bytes = Bytes::copy_from_slice(&SpendProof(fresh).to_bytes());
    assert_ne!(bytes, spend.proof);
    bytes
}

/// A compressed G1 point on BLS12-381's curve but outside its prime-order subgroup (the
/// curve's cofactor is about 2^126, so almost every point is).
fn point_outside_the_subgroup() -> [u8; 48] {
    let mut x = Fq::from(1u64);
    loop {
        if let Some(point) = G1Affine::get_point_from_x_unchecked(x, false)
            && point.is_on_curve()
            && !point.is_in_correct_subgroup_assuming_on_curve()
        {
            let mut out = [0u8; 48];
            point.serialize_compressed(&mut out[..]).unwrap();
            return out;
        }
        x += Fq::from(1u64);
    }
}

/// The scalar field's modulus: the smallest non-canonical encoding.
fn modulus() -> B256 {
    let largest = U256::from_be_bytes(field_to_bytes(-Fr::from(1u64)));
    B256::from(largest + U256::from(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_is_named_by_eth_call_and_eth_estimate_gas() {
    let story = story();
    let node = ready().await;
    let good = story.unshield.call();
    let zero = U256::ZERO;
    // The untouched spend passes, and so does its rerandomised proof: each refusal below
    // is caused by its one change.
    let mut fresh = good.clone();
    fresh.proof = rerandomised(&story.unshield);
    for call in [&good, &fresh] {
        for method in ["eth_call", "eth_estimateGas"] {
            node.ok(method, vec![pool_call(3, &call.abi_encode(), zero)])
                .await;
        }
    }

    let change = |edit: &dyn Fn(&mut Transact)| {
        let mut call = good.clone();
        edit(&mut call);
        call.abi_encode()
    };
    let mut cases: Vec<(&str, Vec<u8>, U256, String)> = Vec::new();
    let does_not_verify = "the proof does not verify against its public inputs".to_string();
    cases.push((
        "a tampered commitment",
        change(&|c| c.commitments[0] = B256::from(field_to_bytes(Fr::from(5u64)))),
        zero,
        does_not_verify.clone(),
    ));
    cases.push((
        "a tampered publicOut",
        change(&|c| c.publicOut = 600),
        zero,
        does_not_verify.clone(),
    ));
    cases.push((
        "a non-canonical nullifier",
        change(&|c| c.nullifiers[1] = modulus()),
        zero,
        "public input nullifiers[1] is not a canonical field element (it is not below the modulus)"
            .into(),
    ));
    cases.push((
        "a non-canonical root",
        change(&|c| c.root = B256::repeat_byte(0xff)),
        zero,
        "public input root is not a canonical field element (it is not below the modulus)".into(),
    ));
    let outside = point_outside_the_subgroup();
    cases.push((
        "proof point A outside the subgroup",
        change(&|c| {
            let mut proof = c.proof.to_vec();
            proof[..48].copy_from_slice(&outside);
            c.proof = proof.into();
        }),
        zero,
        "proof point A is not a valid compressed point of the BLS12-381 prime-order subgroup"
            .into(),
    ));
    cases.push((
        "proof point B that is no point",
        change(&|c| {
            let mut proof = c.proof.to_vec();
            proof[48..144].fill(0xff);
            c.proof = proof.into();
        }),
        zero,
        "proof point B is not a valid compressed point of the BLS12-381 prime-order subgroup"
            .into(),
    ));
    cases.push((
        "a rerandomised proof with another recipient",
        change(&|c| {
            c.proof = fresh.proof.clone();
            c.recipient = signers()[3].address();
        }),
        zero,
        does_not_verify.clone(),
    ));
    cases.push((
        "a ciphertext swapped for another",
        change(&|c| c.encryptedNotes[1] = vec![0x5a; 121].into()),
        zero,
        does_not_verify.clone(),
    ));
    cases.push((
        "a rerandomised proof with another fee",
        change(&|c| {
            c.proof = fresh.proof.clone();
            c.fee = 6;
        }),
        zero,
        does_not_verify.clone(),
    ));
    let mut overflow = good.abi_encode();
    // publicOut is head word 7 after the selector: set bit 64.
    overflow[4 + 7 * 32 + 23] = 1;
    cases.push((
        "a publicOut over 64 bits",
        overflow,
        zero,
        "publicOut does not fit in a uint64 (value overflow)".into(),
    ));
    cases.push((
        "more out than the pool holds",
        change(&|c| c.publicOut = 10_000),
        zero,
        "the pool's balance cannot cover publicOut + fee".into(),
    ));
    cases.push((
        "an unknown root",
        change(&|c| c.root = root_of(&story.trees[2])),
        zero,
        "unknown root".into(),
    ));
    cases.push((
        "an unshield to the pool itself",
        change(&|c| c.recipient = SHIELDED_POOL),
        zero,
        "the pool cannot pay itself".into(),
    ));
    cases.push((
        "one nullifier twice",
        change(&|c| c.nullifiers[1] = c.nullifiers[0]),
        zero,
        "duplicate nullifier in one transaction".into(),
    ));
    cases.push((
        "value without publicIn",
        good.abi_encode(),
        U256::from(GWEI),
        "value sent does not match publicIn".into(),
    ));
    cases.push((
        "a spent note",
        story.transfer.call().abi_encode(),
        zero,
        "nullifier already spent".into(),
    ));
    cases.push((
        "a 191-byte proof",
        change(&|c| c.proof = c.proof.slice(..191)),
        zero,
        "proof must be 192 bytes, got 191".into(),
    ));
    cases.push((
        "a 257-byte ciphertext",
        change(&|c| c.encryptedNotes[0] = vec![0u8; 257].into()),
        zero,
        "encryptedNotes[0] is 257 bytes, at most 256 are allowed".into(),
    ));
    cases.push((
        "truncated call data",
        good.abi_encode()[..300].to_vec(),
        zero,
        "malformed call data for transact(".into(),
    ));
    cases.push((
        "an unknown function",
        vec![0xde, 0xad, 0xbe, 0xef],
        zero,
        "unknown function selector 0xdeadbeef".into(),
    ));

    for (name, data, value, expected) in &cases {
        for method in ["eth_call", "eth_estimateGas"] {
            let reason = revert_reason(&node, method, pool_call(3, data, *value)).await;
            assert!(
                reason.starts_with(expected.as_str()),
                "{name} via {method}: {reason}"
            );
        }
    }
    // Sent by anyone but the submitter the proof is bound to (who would then take the
    // fee), the same call does not verify: a front-runner gains nothing by copying it.
    assert_eq!(story.unshield.submitter, 3);
    for thief in [1, 4] {
        for method in ["eth_call", "eth_estimateGas"] {
            let data = good.abi_encode();
            let reason = revert_reason(&node, method, pool_call(thief, &data, zero)).await;
            assert_eq!(reason, does_not_verify, "sent by {thief} via {method}");
        }
    }
    // Nothing above changed the pool.
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_without_bobs_key_can_spend_his_note() {
    let story = story();
    let node = ready().await;
    // Alice made Bob's note, so she knows everything in it but the key behind its owner.
    // Her wallet cannot even build the statement with her own key.
    let tree = &story.trees[1];
    let attempt = SpendCircuit::new(
        tree.root(),
        [
            SpendInput {
                sk: story.alice,
                note: story.bob_note,
                path: tree.path(Story::BOB_NOTE).unwrap(),
            },
            SpendInput::dummy(story.alice, Fr::from(1u64), Fr::from(2u64)),
        ],
        [
            Note::new(0, story.alice.owner(), &mut ChaCha20Rng::from_seed([1; 32])),
            Note::new(0, story.alice.owner(), &mut ChaCha20Rng::from_seed([2; 32])),
        ],
        0,
        700,
        0,
        recipient_field(&signers()[1].address().0.0),
        DEV_CHAIN_ID,
        bound_to(1, Story::UNSHIELD_NOTES),
    );
    assert_eq!(attempt.unwrap_err(), SpendError::NotOwner { index: 0 });
    // So no proof of it exists. What she can send is the statement with the nullifier her
    // key gives for that note, and some valid proof of another statement (Bob's own).
    let mut call = story.unshield.call();
    let her_nullifier = story
        .bob_note
        .nullifier(story.alice.nullifier_key(), Story::BOB_NOTE);
    call.nullifiers[0] = B256::from(field_to_bytes(her_nullifier));
    call.recipient = signers()[1].address();
    call.publicOut = 700;
    call.fee = 0;
    for method in ["eth_call", "eth_estimateGas"] {
        let reason =
            revert_reason(&node, method, pool_call(1, &call.abi_encode(), U256::ZERO)).await;
        assert_eq!(
            reason,
            "the proof does not verify against its public inputs"
        );
    }
    // Bob's own note is untouched and still his to spend.
    let bobs = story.unshield.nullifier(0);
    assert!(!view(&node, IShieldedPool::isSpentCall { nullifier: bobs }).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_gas_reverts_every_effect_of_a_mined_spend() {
    let story = story();
    let node = ready().await;
    let data = story.unshield.call().abi_encode();
    let estimate: U256 = serde_json::from_value(
        node.ok("eth_estimateGas", vec![pool_call(3, &data, U256::ZERO)])
            .await,
    )
    .unwrap();
    let mut short = pool_call(3, &data, U256::ZERO);
    short["gas"] = json!(estimate - U256::from(1));
    let error = node.call("eth_call", vec![short]).await.unwrap_err();
    assert_eq!(error.message(), "out of gas");

    let mut tx = Transfer::new(DEV_CHAIN_ID, 0, SHIELDED_POOL, U256::ZERO).gas_limit(300_000);
    tx.input = data.into();
    let receipts = mine(&node, vec![tx.sign(&signers()[3])]).await;
    assert_eq!(receipts[0]["status"], "0x0");
    assert_eq!(
        receipts[0]["gasUsed"],
        json!("0x493e0"),
        "all 300,000 gas is used"
    );
    assert_eq!(balance(&node, CAROL).await, U256::ZERO);
    let nullifier = story.unshield.nullifier(0);
    assert!(!view(&node, IShieldedPool::isSpentCall { nullifier }).await);
    assert_eq!(view(&node, IShieldedPool::noteCountCall {}).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_calls_of_transact_are_refused_and_views_answer_them() {
    let story = story();
    let node = ready().await;
    let receipts = mine(
        &node,
        vec![
            deploy(5, 0, &forwarder(0xfa)),
            deploy(5, 1, &forwarder(0xf4)),
        ],
    )
    .await;
    let (static_proxy, delegate_proxy) = (created(&receipts[0]), created(&receipts[1]));
    let through = |proxy: Address, data: Vec<u8>| json!({"from": signers()[3].address(), "to": proxy, "data": Bytes::from(data)});

    let transact = story.unshield.call().abi_encode();
    for method in ["eth_call", "eth_estimateGas"] {
        let error = node
            .call(method, vec![through(static_proxy, transact.clone())])
            .await
            .unwrap_err();
        assert_eq!(
            error.message(),
            "execution reverted: shielded pool: transact cannot run in a static call"
        );
    }
    let root = node
        .ok(
            "eth_call",
            vec![through(
                static_proxy,
                IShieldedPool::rootCall {}.abi_encode(),
            )],
        )
        .await;
    let root: Bytes = serde_json::from_value(root).unwrap();
    assert_eq!(
        IShieldedPool::rootCall::abi_decode_returns(&root).unwrap(),
        root_of(&story.trees[1])
    );
    let error = node
        .call(
            "eth_call",
            vec![through(
                delegate_proxy,
                IShieldedPool::rootCall {}.abi_encode(),
            )],
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "execution reverted: shielded pool: only a direct call runs the pool"
    );
}

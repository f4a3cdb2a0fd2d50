//! Every refusal, each caused by one change to an otherwise valid call, answered through
//! `eth_call` and `eth_estimateGas` as a code-3 revert with its reason.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_is_named_by_eth_call_and_eth_estimate_gas() {
    // Signer 1 is registered with 1,500 VNT and has 100 VNT unbonding.
    let node = node_with_validator(1_500).await;
    let unbond = IStaking::unbondCall { amount: vnt(100) };
    let receipt = mine_one(&node, 1, 1, &unbond, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let me = signers()[1].address();
    let minimum = vnt(1_000);

    // The untouched registration of signer 2 passes: each refusal below has one cause.
    let good = registration(2, DEV_CHAIN_ID);
    for method in ["eth_call", "eth_estimateGas"] {
        node.ok(method, vec![staking_call(2, &good.abi_encode(), minimum)])
            .await;
    }
    let change = |edit: &dyn Fn(&mut IStaking::registerCall)| {
        let mut call = good.clone();
        edit(&mut call);
        call.abi_encode()
    };
    let mine_1 = registration(1, DEV_CHAIN_ID);
    let no_pop = format!(
        "proof of possession does not verify for this BLS key, account and chain {DEV_CHAIN_ID}"
    );
    let no_binding = format!(
        "identity signature does not verify for this identity key, account, BLS key and chain \
         {DEV_CHAIN_ID}"
    );
    let zero = U256::ZERO;
    // (name, sender, call data, value, reason prefix)
    let cases: Vec<(&str, usize, Vec<u8>, U256, String)> = vec![
        (
            "a proof of possession of another key",
            2,
            change(&|c| {
                c.blsProofOfPossession = registration(3, DEV_CHAIN_ID).blsProofOfPossession
            }),
            minimum,
            no_pop.clone(),
        ),
        (
            "a key and proof lifted from another account's registration",
            2,
            change(&|c| {
                let theirs = registration(3, DEV_CHAIN_ID);
                c.blsPublicKey = theirs.blsPublicKey;
                c.blsProofOfPossession = theirs.blsProofOfPossession;
            }),
            minimum,
            no_pop.clone(),
        ),
        (
            "a proof of possession for another chain",
            2,
            change(&|c| c.blsProofOfPossession = registration(2, 1).blsProofOfPossession),
            minimum,
            no_pop.clone(),
        ),
        (
            "an identity signature by another identity key",
            2,
            change(&|c| c.identitySignature = registration(3, DEV_CHAIN_ID).identitySignature),
            minimum,
            no_binding.clone(),
        ),
        (
            "an identity signature made for another account",
            2,
            change(&|c| {
                let other = signers()[3].address();
                c.identitySignature = ValidatorKeys::devnet(SEED, 2)
                    .identity_binding(DEV_CHAIN_ID, &other.0.0)
                    .into();
            }),
            minimum,
            no_binding.clone(),
        ),
        (
            "an identity signature made for another chain",
            2,
            change(&|c| c.identitySignature = registration(2, 1).identitySignature),
            minimum,
            no_binding.clone(),
        ),
        (
            "a 63-byte identity signature",
            2,
            change(&|c| c.identitySignature = c.identitySignature.slice(..63)),
            minimum,
            "identity signature must be 64 bytes, got 63".into(),
        ),
        (
            "a registered account registering again",
            1,
            registration(4, DEV_CHAIN_ID).abi_encode(),
            minimum,
            format!("{me} is already registered; use addStake to bond more"),
        ),
        (
            "another validator's identity",
            2,
            change(&|c| c.identity = mine_1.identity),
            minimum,
            format!("identity {} is already registered by {me}", mine_1.identity),
        ),
        (
            "another validator's BLS key",
            2,
            change(&|c| {
                c.blsPublicKey = mine_1.blsPublicKey.clone();
                c.blsProofOfPossession = mine_1.blsProofOfPossession.clone();
            }),
            minimum,
            format!("this BLS public key is already registered by {me}"),
        ),
        (
            "a 95-byte BLS key",
            2,
            change(&|c| c.blsPublicKey = c.blsPublicKey.slice(..95)),
            minimum,
            "BLS public key must be 96 bytes, got 95".into(),
        ),
        (
            "a BLS key that is no point",
            2,
            change(&|c| c.blsPublicKey = vec![0xff; 96].into()),
            minimum,
            "BLS public key is not valid".into(),
        ),
        (
            "a 47-byte proof of possession",
            2,
            change(&|c| c.blsProofOfPossession = c.blsProofOfPossession.slice(..47)),
            minimum,
            "proof of possession must be 48 bytes, got 47".into(),
        ),
        (
            "a VRF key that is no point",
            2,
            change(&|c| c.vrfPublicKey = B256::repeat_byte(0xff)),
            minimum,
            "VRF public key is not valid".into(),
        ),
        (
            "the identity point as VRF key",
            2,
            change(&|c| c.vrfPublicKey = B256::ZERO),
            minimum,
            "VRF public key is not valid: it is the identity point".into(),
        ),
        (
            "a bond below the minimum",
            2,
            good.abi_encode(),
            minimum - U256::from(1),
            format!(
                "a bond of {} wei is below the minimum stake",
                minimum - U256::from(1)
            ),
        ),
        (
            "truncated call data",
            2,
            good.abi_encode()[..100].to_vec(),
            minimum,
            "malformed call data for register(bytes32,bytes,bytes,bytes,bytes32)".into(),
        ),
        (
            "addStake by an account that never registered",
            3,
            IStaking::addStakeCall {}.abi_encode(),
            minimum,
            format!("{} is not a registered validator", signers()[3].address()),
        ),
        (
            "addStake without value",
            1,
            IStaking::addStakeCall {}.abi_encode(),
            zero,
            "addStake bonds msg.value, and none was sent".into(),
        ),
        (
            "unbonding more than is bonded",
            1,
            IStaking::unbondCall { amount: vnt(1_401) }.abi_encode(),
            zero,
            format!(
                "cannot unbond {} wei: only {} wei is bonded",
                vnt(1_401),
                vnt(1_400)
            ),
        ),
        (
            "unbonding below the minimum",
            1,
            IStaking::unbondCall { amount: vnt(401) }.abi_encode(),
            zero,
            format!(
                "unbonding {} wei would leave {} wei bonded, below the minimum stake of {minimum} wei: unbond all {} wei or at most {} wei",
                vnt(401),
                vnt(999),
                vnt(1_400),
                vnt(400)
            ),
        ),
        (
            "unbonding zero",
            1,
            IStaking::unbondCall { amount: zero }.abi_encode(),
            zero,
            "cannot unbond zero".into(),
        ),
        (
            "withdrawing before maturity",
            1,
            IStaking::withdrawCall {}.abi_encode(),
            zero,
            format!("nothing has matured yet: {} wei unbonds at block", vnt(100)),
        ),
        (
            "withdrawing with nothing unbonding",
            2,
            IStaking::withdrawCall {}.abi_encode(),
            zero,
            format!(
                "nothing to withdraw: {} has no unbonding stake",
                signers()[2].address()
            ),
        ),
        (
            "value sent to a view",
            0,
            IStaking::totalBondedCall {}.abi_encode(),
            U256::from(1),
            "this function is not payable".into(),
        ),
        (
            "value sent to unbond",
            1,
            IStaking::unbondCall { amount: vnt(1) }.abi_encode(),
            U256::from(1),
            "this function is not payable".into(),
        ),
        (
            "value without call data",
            0,
            Vec::new(),
            U256::from(1),
            "value is bonded only through register or addStake".into(),
        ),
        (
            "an unknown function",
            0,
            vec![0xde, 0xad, 0xbe, 0xef],
            zero,
            "unknown function selector 0xdeadbeef".into(),
        ),
        (
            "a view with trailing bytes",
            0,
            [IStaking::totalBondedCall {}.abi_encode(), vec![0; 32]].concat(),
            zero,
            "malformed call data for totalBonded()".into(),
        ),
    ];
    for (name, signer, data, value, expected) in &cases {
        for method in ["eth_call", "eth_estimateGas"] {
            let reason = revert_reason(&node, method, staking_call(*signer, data, *value)).await;
            assert!(
                reason.starts_with(expected.as_str()),
                "{name} via {method}: {reason}"
            );
        }
    }
    // Nothing above changed the contract.
    assert_eq!(view(&node, IStaking::totalBondedCall {}).await, vnt(1_400));
    assert!(!validator(&node, signers()[2].address()).await.registered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mined_registration_that_reverts_leaves_no_trace() {
    let node = node_with_validator(1_000).await;
    let before = crate::shielded_pool::balance(&node, signers()[2].address()).await;
    // Signer 2 reuses signer 1's identity: refused after the key checks have run.
    let mut call = registration(2, DEV_CHAIN_ID);
    call.identity = registration(1, DEV_CHAIN_ID).identity;
    let receipt = mine_one(&node, 2, 0, &call, vnt(2_000)).await;
    assert_eq!(receipt["status"], "0x0", "{receipt}");
    assert!(receipt["logs"].as_array().unwrap().is_empty());
    let paid = crate::shielded_pool::gas_cost(&receipt);
    let after = crate::shielded_pool::balance(&node, signers()[2].address()).await;
    assert_eq!(after, before - paid, "only gas was paid");
    assert!(!validator(&node, signers()[2].address()).await.registered);
    assert_eq!(view(&node, IStaking::totalBondedCall {}).await, vnt(1_000));
    assert_eq!(
        crate::shielded_pool::balance(&node, STAKING).await,
        vnt(1_000)
    );
    // The refused registration reserved nothing: signer 2's own keys still register.
    let receipt = mine_one(&node, 2, 1, &registration(2, DEV_CHAIN_ID), vnt(1_000)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_calls_cannot_change_stake() {
    let node = node_with_validator(1_000).await;
    // The pool tests' STATICCALL forwarder, pointed at 0x7374 instead of the pool's 0x7a6b
    // (its `PUSH2` operand).
    use crate::shielded_pool::{created, deploy, forwarder};
    let runtime = forwarder(0xfa).replace("617a6b", "617374");
    let receipt = mine(&node, vec![deploy(5, 0, &runtime)]).await.remove(0);
    let proxy = created(&receipt);
    let through = |data: Vec<u8>| json!({"from": signers()[1].address(), "to": proxy, "data": Bytes::from(data)});
    let unbond = IStaking::unbondCall { amount: vnt(1_000) }.abi_encode();
    let error = node
        .call("eth_call", vec![through(unbond)])
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "execution reverted: staking: a static call cannot change stake"
    );
    let total = node
        .ok(
            "eth_call",
            vec![through(IStaking::totalBondedCall {}.abi_encode())],
        )
        .await;
    let total: Bytes = serde_json::from_value(total).unwrap();
    assert_eq!(
        IStaking::totalBondedCall::abi_decode_returns(&total).unwrap(),
        vnt(1_000)
    );
}

//! The staking contract on a running dev node, over JSON-RPC: a validator's whole life
//! (register, add stake, unbond, withdraw after the unbonding period) with balances that
//! add up to the wei, every refusal by its reason, the committees drawn each epoch (and
//! recomputed from chain data), and evidence that slashes and jails a double voter.
//!
//! Validator keys are the devnet keys of `vnt_vortex::keys` under [`SEED`]; dev signer `i`
//! registers the keys of index `i`.

mod epochs;
mod flows;
mod refusals;
mod rewards;
mod seals;
mod slashing;

use crate::support::TestNode;
use crate::support::system::{call_json, events_of, mine, revert_reason_of, view_of};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use commonware_codec::Encode;
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::staking::STAKING;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;
use vnt_vortex::keys::ValidatorKeys;

/// The devnet seed of the tests' validator keys.
pub const SEED: u64 = 7;
/// Gas given to every staking transaction: well above what one costs.
pub const STAKING_GAS: u64 = 1_000_000;

/// The registration of the devnet keys of `index` by dev signer `index`, with a proof of
/// possession for that account on `chain_id`.
pub fn registration(index: u32, chain_id: u64) -> IStaking::registerCall {
    let keys = ValidatorKeys::devnet(SEED, index);
    let account = signers()[index as usize].address();
    let public = keys.public();
    IStaking::registerCall {
        identity: B256::from_slice(public.identity.encode().as_ref()),
        identitySignature: Bytes::from(keys.identity_binding(chain_id, &account.0.0)),
        blsPublicKey: Bytes::from(public.bls.encode().to_vec()),
        blsProofOfPossession: Bytes::from(keys.proof_of_possession(chain_id, &account.0.0)),
        vrfPublicKey: B256::from(public.vrf),
    }
}

/// A signed staking transaction from dev signer `signer` at `nonce`.
pub fn staking_tx(signer: usize, nonce: u64, data: &[u8], value: U256) -> Bytes {
    let mut tx = Transfer::new(DEV_CHAIN_ID, nonce, STAKING, value).gas_limit(STAKING_GAS);
    tx.input = Bytes::copy_from_slice(data);
    tx.sign(&signers()[signer])
}

/// The JSON of a call to the contract from dev signer `signer`.
pub fn staking_call(signer: usize, data: &[u8], value: U256) -> Value {
    call_json(STAKING, signer, data, value)
}

/// Mines one staking transaction and returns its receipt.
pub async fn mine_one(
    node: &TestNode,
    signer: usize,
    nonce: u64,
    call: &impl SolCall,
    value: U256,
) -> Value {
    let tx = staking_tx(signer, nonce, &call.abi_encode(), value);
    mine(node, vec![tx]).await.remove(0)
}

/// Registers dev signers 1 and 2 as validators (their first transactions), bonding 2,000
/// and 1,000 VNT, in one block.
pub async fn register_two(node: &TestNode) {
    let txs = [(1, vnt(2_000)), (2, vnt(1_000))]
        .map(|(signer, bond)| {
            let registration = registration(signer as u32, DEV_CHAIN_ID).abi_encode();
            staking_tx(signer, 0, &registration, bond)
        })
        .to_vec();
    for receipt in mine(node, txs).await {
        assert_eq!(receipt["status"], "0x1", "{receipt}");
    }
}

/// A node where dev signer 1 registered with `bond` VNT (its nonce is then 1).
pub async fn node_with_validator(bond: u64) -> TestNode {
    let node = TestNode::start().await;
    let receipt = mine_one(&node, 1, 0, &registration(1, DEV_CHAIN_ID), vnt(bond)).await;
    assert_eq!(receipt["status"], "0x1", "registration failed: {receipt}");
    node
}

/// Calls a view of the contract and decodes its result.
pub async fn view<C: SolCall>(node: &TestNode, call: C) -> C::Return {
    view_of(node, STAKING, call).await
}

pub async fn validator(node: &TestNode, account: Address) -> IStaking::Validator {
    view(node, IStaking::validatorCall { account }).await
}

/// The reason a call to the contract reverts with through `method`, checking its shape.
pub async fn revert_reason(node: &TestNode, method: &str, call: Value) -> String {
    revert_reason_of(node, method, call, "staking").await
}

/// The decoded events of a receipt's logs, in order, all from the contract.
pub fn events(receipt: &Value) -> Vec<IStaking::IStakingEvents> {
    events_of(receipt, STAKING)
}

/// The head block's number.
pub async fn head(node: &TestNode) -> u64 {
    let number: U256 = serde_json::from_value(node.ok("eth_blockNumber", vec![]).await).unwrap();
    number.to()
}

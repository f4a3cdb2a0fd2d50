//! Talking to a system contract (the staking contract, the shielded pool) the way a client
//! does: call JSON, views decoded through the ABI, revert reasons, events, and mining.

use super::TestNode;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEventInterface};
use serde_json::{Value, json};
use vnt_chain::testing::signers;

/// The JSON of a call to the contract at `to` from dev signer `signer`.
pub fn call_json(to: Address, signer: usize, data: &[u8], value: U256) -> Value {
    json!({
        "from": signers()[signer].address(),
        "to": to,
        "data": Bytes::copy_from_slice(data),
        "value": value,
    })
}

/// Calls a view of the contract at `to` and decodes its result.
pub async fn view_of<C: SolCall>(node: &TestNode, to: Address, call: C) -> C::Return {
    let request = call_json(to, 0, &call.abi_encode(), U256::ZERO);
    let out = node.ok("eth_call", vec![request]).await;
    let bytes: Bytes = serde_json::from_value(out).unwrap();
    C::abi_decode_returns(&bytes).unwrap()
}

/// The reason a call reverts with through `method`, after the contract's `prefix`,
/// checking the error's shape (code 3, as Ethereum clients answer a revert).
pub async fn revert_reason_of(node: &TestNode, method: &str, call: Value, prefix: &str) -> String {
    let error = node.call(method, vec![call]).await.unwrap_err();
    assert_eq!(error.code(), 3, "{method}: {}", error.message());
    let message = error.message().to_string();
    message
        .strip_prefix(&format!("execution reverted: {prefix}: "))
        .unwrap_or_else(|| panic!("{method}: not a {prefix} revert: {message}"))
        .to_string()
}

/// The decoded events of a receipt's logs, in order, all from the contract at `address`.
pub fn events_of<E: SolEventInterface>(receipt: &Value, address: Address) -> Vec<E> {
    receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| {
            let from: Address = serde_json::from_value(log["address"].clone()).unwrap();
            assert_eq!(from, address);
            let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).unwrap();
            let data: Bytes = serde_json::from_value(log["data"].clone()).unwrap();
            E::decode_raw_log(&topics, &data).unwrap()
        })
        .collect()
}

/// Sends raw transactions and seals them into one block; returns their receipts.
pub async fn mine(node: &TestNode, raw: Vec<Bytes>) -> Vec<Value> {
    let mut hashes = Vec::new();
    for tx in raw {
        hashes.push(node.ok("eth_sendRawTransaction", vec![json!(tx)]).await);
    }
    node.seal().await;
    let mut receipts = Vec::new();
    for hash in hashes {
        receipts.push(node.ok("eth_getTransactionReceipt", vec![hash]).await);
    }
    receipts
}

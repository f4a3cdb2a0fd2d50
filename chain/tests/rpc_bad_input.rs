//! Bad input at the RPC boundary gets a specific, geth-worded error and changes nothing.

use crate::support::TestNode;
use alloy_consensus::{Signed, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;

/// What the node holds that a refused request must not change.
async fn snapshot(node: &TestNode, who: Address) -> (Value, Value, Value) {
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    let pending = node
        .ok(
            "eth_getTransactionCount",
            vec![json!(who), json!("pending")],
        )
        .await;
    let balance = node.ok("eth_getBalance", vec![json!(who)]).await;
    (block["stateRoot"].clone(), pending, balance)
}

async fn refused(node: &TestNode, raw: &Bytes, code: i32, message: &str) {
    let error = node
        .call("eth_sendRawTransaction", vec![json!(raw)])
        .await
        .expect_err("the transaction must be refused");
    assert_eq!(error.code(), code, "{}", error.message());
    assert!(
        error.message().starts_with(message),
        "expected `{message}`, got `{}`",
        error.message()
    );
}

fn transfer(nonce: u64) -> Transfer {
    Transfer::new(DEV_CHAIN_ID, nonce, Address::repeat_byte(0x55), vnt(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_get_specific_errors_and_change_nothing() {
    let node = TestNode::start().await;
    let key = &signers()[0];
    let who = key.address();
    // One good transaction mined, so "nonce too low" has something to be low against.
    node.ok("eth_sendRawTransaction", vec![json!(transfer(0).sign(key))])
        .await;
    node.seal().await;
    let before = snapshot(&node, who).await;

    refused(
        &node,
        &Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        -32000,
        "rlp:",
    )
    .await;
    refused(&node, &Bytes::new(), -32000, "rlp:").await;
    let mut good = transfer(1).sign(key).to_vec();
    good.push(0);
    refused(&node, &good.into(), -32000, "rlp:").await;

    let mut other_chain = transfer(1);
    other_chain.chain_id = 1;
    refused(
        &node,
        &other_chain.sign(key),
        -32000,
        "invalid chain id for signer: have 1 want 1337",
    )
    .await;

    let unprotected = TxEnvelope::Legacy(Signed::new_unhashed(
        TxLegacy {
            chain_id: None,
            nonce: 1,
            gas_price: 10_000_000_000,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(1),
            input: Bytes::new(),
        },
        Signature::test_signature(),
    ));
    refused(
        &node,
        &unprotected.encoded_2718().into(),
        -32000,
        "only replay-protected (EIP-155) transactions allowed over RPC",
    )
    .await;

    let TxEnvelope::Eip1559(signed) = transfer(1).envelope(key) else {
        unreachable!("transfers default to EIP-1559")
    };
    let bad_signature = Signature::new(U256::ZERO, signed.signature().s(), false);
    let forged = TxEnvelope::Eip1559(Signed::new_unhashed(signed.tx().clone(), bad_signature));
    refused(
        &node,
        &forged.encoded_2718().into(),
        -32000,
        "invalid sender",
    )
    .await;

    refused(
        &node,
        &transfer(0).sign(key),
        -32000,
        "nonce too low: next nonce 1, tx nonce 0",
    )
    .await;
    refused(&node, &transfer(66).sign(key), -32000, "nonce too high").await;

    let pauper = PrivateKeySigner::random();
    refused(
        &node,
        &transfer(0).sign(&pauper),
        -32000,
        "insufficient funds for gas * price + value",
    )
    .await;
    refused(
        &node,
        &transfer(1).gas_limit(30_000_001).sign(key),
        -32000,
        "exceeds block gas limit",
    )
    .await;
    refused(
        &node,
        &transfer(1).gas_limit(20_000).sign(key),
        -32000,
        "intrinsic gas too low",
    )
    .await;
    refused(
        &node,
        &transfer(1).fees(1, 2).sign(key),
        -32000,
        "max priority fee per gas higher than max fee per gas",
    )
    .await;
    refused(
        &node,
        &transfer(1).fees(7, 0).sign(key),
        -32000,
        "max fee per gas less than block base fee",
    )
    .await;

    let mut oversized = transfer(1).gas_limit(10_000_000);
    oversized.input = vec![1u8; 130 * 1024].into();
    refused(&node, &oversized.sign(key), -32000, "oversized data").await;

    let eip1559 = TxEip1559 {
        chain_id: DEV_CHAIN_ID,
        nonce: 1,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(Address::ZERO),
        ..Default::default()
    };
    let mut blob_typed = Signed::new_unhashed(eip1559, Signature::test_signature()).encoded_2718();
    blob_typed[0] = 0x03;
    refused(&node, &blob_typed.into(), -32000, "rlp:").await;

    assert_eq!(
        snapshot(&node, who).await,
        before,
        "refused transactions changed state or pool"
    );
    node.seal().await;
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    assert_eq!(
        block["transactions"],
        json!([]),
        "a refused transaction was mined"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_must_outbid_and_a_duplicate_is_already_known() {
    let node = TestNode::start().await;
    let key = &signers()[1];
    let first = transfer(0).sign(key);
    node.ok("eth_sendRawTransaction", vec![json!(first)]).await;
    refused(&node, &first, -32000, "already known").await;
    refused(
        &node,
        &transfer(0).fees(10_500_000_000, 1_050_000_000).sign(key),
        -32000,
        "replacement transaction underpriced",
    )
    .await;
    let better = transfer(0).fees(11_000_000_000, 1_100_000_000).sign(key);
    let hash = node.ok("eth_sendRawTransaction", vec![json!(better)]).await;
    node.seal().await;
    let receipt = node.ok("eth_getTransactionReceipt", vec![hash]).await;
    assert_eq!(receipt["status"], "0x1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_rpc_gets_standard_error_codes() {
    let node = TestNode::start().await;
    let parse = node.post_raw("{\"jsonrpc\":\"2.0\",").await;
    assert_eq!(parse["error"]["code"], -32700);
    let not_request = node.post_raw("[1]").await;
    assert_eq!(not_request[0]["error"]["code"], -32600, "{not_request}");
    let unknown = node
        .post_raw(r#"{"jsonrpc":"2.0","id":1,"method":"eth_nope","params":[]}"#)
        .await;
    assert_eq!(unknown["error"]["code"], -32601);
    let wrong_type = node
        .post_raw(r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[42]}"#)
        .await;
    assert_eq!(wrong_type["error"]["code"], -32602);
    assert!(
        wrong_type["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid address or block")
    );
    let too_many = node
        .post_raw(r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[1,2]}"#)
        .await;
    assert_eq!(too_many["error"]["code"], -32602);
    let object_params = node
        .post_raw(r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}"#)
        .await;
    assert_eq!(object_params["error"]["code"], -32602);
    let history = node
        .call("eth_getBalance", vec![json!(Address::ZERO), json!("0x5")])
        .await
        .unwrap_err();
    assert_eq!(history.message(), "header not found");
    let percentiles = node
        .call(
            "eth_feeHistory",
            vec![json!("0x1"), json!("latest"), json!([90, 10])],
        )
        .await
        .unwrap_err();
    assert_eq!(percentiles.code(), -32602);
}

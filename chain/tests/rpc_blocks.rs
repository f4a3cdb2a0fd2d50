//! Reads addressed by block (`eth_getBlockReceipts`, transaction counts, transactions by
//! position) answer as the execution-apis specification shapes them, agree with the
//! by-hash methods, and answer `null` for what does not exist; the CREATE2 factory of the
//! dev genesis deploys at the address CREATE2 defines.

use crate::support::{TestNode, schema::Spec};
use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::genesis::{CREATE2_FACTORY, CREATE2_FACTORY_CODE};
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;

/// Init code that emits one empty LOG0 and deploys nothing.
const LOG_ONCE: [u8; 6] = [0x60, 0, 0x60, 0, 0xa0, 0];
/// Init code that emits two empty LOG0s and deploys nothing.
const LOG_TWICE: [u8; 11] = [0x60, 0, 0x60, 0, 0xa0, 0x60, 0, 0x60, 0, 0xa0, 0];

/// A block of three transactions (one log, two logs, a transfer); their hashes in order.
async fn three_transaction_block(node: &TestNode) -> Vec<Value> {
    let keys = signers();
    let txs = [
        Transfer::deploy(DEV_CHAIN_ID, 0, Bytes::from_static(&LOG_ONCE)).sign(&keys[0]),
        Transfer::deploy(DEV_CHAIN_ID, 0, Bytes::from_static(&LOG_TWICE)).sign(&keys[1]),
        Transfer::new(DEV_CHAIN_ID, 0, Address::repeat_byte(0x42), vnt(1)).sign(&keys[2]),
    ];
    let mut hashes = Vec::new();
    for raw in txs {
        hashes.push(node.ok("eth_sendRawTransaction", vec![json!(raw)]).await);
    }
    node.seal().await;
    // The pool may order senders as it likes: read the block's own order back.
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("0x1"), json!(false)])
        .await;
    let order = block["transactions"].as_array().unwrap().clone();
    assert_eq!(order.len(), 3, "all three in block 1");
    for hash in &hashes {
        assert!(order.contains(hash), "{hash} in block 1");
    }
    order
}

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_receipts_match_each_receipt_and_number_logs_across_the_block() {
    let spec = Spec::load();
    let node = TestNode::start().await;
    let hashes = three_transaction_block(&node).await;
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("0x1"), json!(false)])
        .await;
    let by_number = node.ok("eth_getBlockReceipts", vec![json!("0x1")]).await;
    let by_hash = node
        .ok("eth_getBlockReceipts", vec![block["hash"].clone()])
        .await;
    let latest = node.ok("eth_getBlockReceipts", vec![json!("latest")]).await;
    assert_eq!(by_number, by_hash);
    assert_eq!(by_number, latest);
    assert!(
        spec.violations("eth_getBlockReceipts", &by_number)
            .is_empty()
    );
    let receipts = by_number.as_array().unwrap();
    assert_eq!(receipts.len(), 3);
    let mut log_indexes = Vec::new();
    for (i, (receipt, hash)) in receipts.iter().zip(&hashes).enumerate() {
        let single = node
            .ok("eth_getTransactionReceipt", vec![hash.clone()])
            .await;
        assert_eq!(receipt, &single, "receipt {i}");
        assert_eq!(quantity(&receipt["transactionIndex"]), i as u64);
        for log in receipt["logs"].as_array().unwrap() {
            log_indexes.push(quantity(&log["logIndex"]));
        }
    }
    assert_eq!(
        log_indexes,
        vec![0, 1, 2],
        "logIndex counts across the block"
    );

    let genesis = node.ok("eth_getBlockReceipts", vec![json!("0x0")]).await;
    assert_eq!(genesis, json!([]));
    for missing in [json!("0x99"), json!(B256::repeat_byte(7))] {
        let answer = node.ok("eth_getBlockReceipts", vec![missing]).await;
        assert_eq!(answer, Value::Null);
        assert!(spec.violations("eth_getBlockReceipts", &answer).is_empty());
    }
    let bad = node
        .call("eth_getBlockReceipts", vec![json!("0xnothex")])
        .await
        .unwrap_err();
    assert_eq!(bad.code(), -32602, "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_by_block_and_index_match_by_hash_and_counts_match_the_block() {
    let spec = Spec::load();
    let node = TestNode::start().await;
    let hashes = three_transaction_block(&node).await;
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("0x1"), json!(false)])
        .await;
    let block_hash = block["hash"].clone();

    let counts = [
        (
            "eth_getBlockTransactionCountByHash",
            block_hash.clone(),
            "0x3",
        ),
        ("eth_getBlockTransactionCountByNumber", json!("0x1"), "0x3"),
        (
            "eth_getBlockTransactionCountByNumber",
            json!("latest"),
            "0x3",
        ),
        (
            "eth_getBlockTransactionCountByNumber",
            json!("earliest"),
            "0x0",
        ),
    ];
    for (method, block, expected) in counts {
        let count = node.ok(method, vec![block]).await;
        assert_eq!(count, json!(expected), "{method}");
        assert!(spec.violations(method, &count).is_empty(), "{method}");
    }
    for method in [
        "eth_getUncleCountByBlockHash",
        "eth_getUncleCountByBlockNumber",
    ] {
        let block = if method.ends_with("Hash") {
            block_hash.clone()
        } else {
            json!("0x1")
        };
        assert_eq!(node.ok(method, vec![block]).await, json!("0x0"), "{method}");
    }

    for (i, hash) in hashes.iter().enumerate() {
        let index = json!(format!("{i:#x}"));
        let expected = node
            .ok("eth_getTransactionByHash", vec![hash.clone()])
            .await;
        let by_hash = node
            .ok(
                "eth_getTransactionByBlockHashAndIndex",
                vec![block_hash.clone(), index.clone()],
            )
            .await;
        let by_number = node
            .ok(
                "eth_getTransactionByBlockNumberAndIndex",
                vec![json!("0x1"), index],
            )
            .await;
        assert_eq!(by_hash, expected, "by hash and index {i}");
        assert_eq!(by_number, expected, "by number and index {i}");
        for method in [
            "eth_getTransactionByBlockHashAndIndex",
            "eth_getTransactionByBlockNumberAndIndex",
        ] {
            assert!(spec.violations(method, &by_hash).is_empty(), "{method}");
        }
    }

    let unknown = json!(B256::repeat_byte(7));
    let nulls: Vec<(&str, Vec<Value>)> = vec![
        (
            "eth_getTransactionByBlockHashAndIndex",
            vec![block_hash.clone(), json!("0x3")],
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x1"), json!("0x3")],
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x0"), json!("0x0")],
        ),
        (
            "eth_getTransactionByBlockHashAndIndex",
            vec![unknown.clone(), json!("0x0")],
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x99"), json!("0x0")],
        ),
        ("eth_getBlockTransactionCountByHash", vec![unknown.clone()]),
        ("eth_getBlockTransactionCountByNumber", vec![json!("0x99")]),
        ("eth_getUncleCountByBlockHash", vec![unknown]),
        ("eth_getUncleCountByBlockNumber", vec![json!("0x99")]),
    ];
    for (method, params) in nulls {
        let answer = node.ok(method, params.clone()).await;
        assert_eq!(answer, Value::Null, "{method}({params:?})");
        if spec.has(method) {
            assert!(spec.violations(method, &answer).is_empty(), "{method}");
        }
    }

    let bad_inputs: Vec<(&str, Vec<Value>)> = vec![
        (
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x1"), json!("one")],
        ),
        (
            "eth_getTransactionByBlockHashAndIndex",
            vec![json!("0x1234"), json!("0x0")],
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x1")],
        ),
        ("eth_getBlockTransactionCountByHash", vec![]),
    ];
    for (method, params) in bad_inputs {
        let error = node.call(method, params.clone()).await.unwrap_err();
        assert_eq!(error.code(), -32602, "{method}({params:?}): {error:?}");
    }
}

/// Init code that deploys `runtime` unchanged.
fn deployer(runtime: &[u8]) -> Vec<u8> {
    let len = runtime.len() as u8;
    let mut init = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(runtime);
    init
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create2_factory_deploys_at_the_address_create2_defines() {
    let node = TestNode::start().await;
    let code = node.ok("eth_getCode", vec![json!(CREATE2_FACTORY)]).await;
    assert_eq!(code, json!(Bytes::from_static(&CREATE2_FACTORY_CODE)));

    // Stores calldata word 0 into slot 0.
    let runtime = hex!("60003560005500");
    let init = deployer(&runtime);
    let salt = B256::repeat_byte(0x5a);
    let expected = CREATE2_FACTORY.create2(salt, keccak256(&init));
    let mut input = salt.to_vec();
    input.extend_from_slice(&init);
    let input = Bytes::from(input);

    let call = json!({"to": CREATE2_FACTORY, "data": input});
    let returned = node.ok("eth_call", vec![call]).await;
    assert_eq!(
        returned,
        json!(Bytes::from(expected.to_vec())),
        "the factory returns the new address"
    );

    let mut tx = Transfer::new(DEV_CHAIN_ID, 0, CREATE2_FACTORY, U256::ZERO).gas_limit(200_000);
    tx.input = input;
    let hash = node
        .ok(
            "eth_sendRawTransaction",
            vec![json!(tx.sign(&signers()[0]))],
        )
        .await;
    node.seal().await;
    let receipt = node.ok("eth_getTransactionReceipt", vec![hash]).await;
    assert_eq!(receipt["status"], "0x1");
    let deployed = node.ok("eth_getCode", vec![json!(expected)]).await;
    assert_eq!(deployed, json!(Bytes::from(runtime.to_vec())));

    // The same salt and code again: the address is taken, so the factory reverts.
    let again = json!({"to": CREATE2_FACTORY, "data": tx.input});
    let error = node.call("eth_call", vec![again]).await.unwrap_err();
    assert_eq!(error.code(), 3, "{error:?}");
}

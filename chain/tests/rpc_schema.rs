//! Every JSON-RPC method of the dev chain answers in the shape the Ethereum JSON-RPC
//! specification (execution-apis) defines, and `eth_getProof` proves what it claims.

use crate::support::{TestNode, mpt, schema::Spec};
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, TxKindOf, signers};
use vnt_chain::token::vnt;

/// Init code that stores 0x2a in slot 0 and 0x07 in slot 1 and deploys no code.
const STORE_TWO_SLOTS: &str = "602a600055600760015500";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_validates_against_the_execution_apis_schemas() {
    let spec = Spec::load();
    let node = TestNode::start().await;
    let keys = signers();
    let to = Address::repeat_byte(0x42);
    let mut hashes = Vec::new();
    for (i, kind) in [TxKindOf::Legacy, TxKindOf::AccessList, TxKindOf::DynamicFee]
        .iter()
        .enumerate()
    {
        let raw = Transfer::new(DEV_CHAIN_ID, 0, to, vnt(1))
            .kind(*kind)
            .gas_limit(30_000)
            .sign(&keys[i]);
        hashes.push(node.ok("eth_sendRawTransaction", vec![json!(raw)]).await);
    }
    // A creation whose init code logs (LOG0 of nothing), so eth_getLogs has a log to show:
    // an empty answer fits both shapes the schema allows and proves nothing.
    let logging = Transfer::deploy(
        DEV_CHAIN_ID,
        0,
        Bytes::from_static(&[0x60, 0, 0x60, 0, 0xa0, 0]),
    )
    .gas_limit(100_000)
    .sign(&keys[3]);
    node.ok("eth_sendRawTransaction", vec![json!(logging)])
        .await;
    let pending_tx = node
        .ok("eth_getTransactionByHash", vec![hashes[0].clone()])
        .await;
    assert_eq!(
        pending_tx["blockHash"],
        Value::Null,
        "a pooled transaction has no block yet"
    );
    node.seal().await;
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    let block_hash = block["hash"].clone();
    let logs_at_hash = json!({"blockHash": block_hash.clone()});

    let mut calls: Vec<(&str, Vec<Value>)> = vec![
        ("eth_chainId", vec![]),
        ("net_version", vec![]),
        ("eth_blockNumber", vec![]),
        ("eth_syncing", vec![]),
        ("eth_accounts", vec![]),
        ("eth_gasPrice", vec![]),
        ("eth_maxPriorityFeePerGas", vec![]),
        ("eth_getBlockByNumber", vec![json!("latest"), json!(true)]),
        ("eth_getBlockByNumber", vec![json!("0x0"), json!(false)]),
        ("eth_getBlockByNumber", vec![json!("0x99"), json!(false)]),
        ("eth_getBlockByHash", vec![block_hash.clone(), json!(true)]),
        ("eth_getBlockByHash", vec![block_hash, json!(false)]),
        ("eth_getBalance", vec![json!(to), json!("latest")]),
        (
            "eth_getTransactionCount",
            vec![json!(keys[0].address()), json!("pending")],
        ),
        (
            "eth_getTransactionCount",
            vec![json!(keys[0].address()), json!("latest")],
        ),
        ("eth_getCode", vec![json!(to), json!("latest")]),
        (
            "eth_feeHistory",
            vec![json!("0x2"), json!("latest"), json!([10, 50, 90])],
        ),
        (
            "eth_feeHistory",
            vec![json!("0x1"), json!("latest"), json!([])],
        ),
        (
            "eth_estimateGas",
            vec![json!({"from": keys[0].address(), "to": to, "value": "0x1"})],
        ),
        (
            "eth_call",
            vec![json!({"to": to, "data": "0x"}), json!("latest")],
        ),
        (
            "eth_getProof",
            vec![json!(keys[0].address()), json!([]), json!("latest")],
        ),
        (
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "toBlock": "latest"})],
        ),
        ("eth_getLogs", vec![logs_at_hash]),
        (
            "eth_getTransactionByHash",
            vec![json!(B256::repeat_byte(9))],
        ),
        (
            "eth_getTransactionReceipt",
            vec![json!(B256::repeat_byte(9))],
        ),
    ];
    for hash in &hashes {
        calls.push(("eth_getTransactionByHash", vec![hash.clone()]));
        calls.push(("eth_getTransactionReceipt", vec![hash.clone()]));
    }
    let raw = Transfer::new(DEV_CHAIN_ID, 1, to, vnt(1)).sign(&keys[0]);
    calls.push(("eth_sendRawTransaction", vec![json!(raw)]));

    let mut failures = Vec::new();
    let mut validated = std::collections::BTreeSet::new();
    for (method, params) in calls {
        let result = node.ok(method, params.clone()).await;
        for violation in spec.violations(method, &result) {
            failures.push(format!(
                "{method}({params:?}): {violation}\n  result: {result}"
            ));
        }
        validated.insert(method);
    }
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let required = [
        "eth_chainId",
        "net_version",
        "eth_blockNumber",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getBalance",
        "eth_getTransactionCount",
        "eth_getCode",
        "eth_gasPrice",
        "eth_maxPriorityFeePerGas",
        "eth_feeHistory",
        "eth_estimateGas",
        "eth_call",
        "eth_sendRawTransaction",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getProof",
        "eth_getLogs",
        "eth_syncing",
        "eth_accounts",
    ];
    for method in required {
        assert!(spec.has(method), "{method} missing from the specification");
        assert!(validated.contains(method), "{method} was not validated");
    }
    // web3_clientVersion is not part of execution-apis; it still names the client.
    let version = node.ok("web3_clientVersion", vec![]).await;
    assert!(version.as_str().unwrap().starts_with("vnt/v"), "{version}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_report_types_gas_and_fees_as_ethereum_clients_read_them() {
    let node = TestNode::start().await;
    let keys = signers();
    let to = Address::repeat_byte(0x43);
    let raw = Transfer::new(DEV_CHAIN_ID, 0, to, vnt(2))
        .kind(TxKindOf::Legacy)
        .sign(&keys[0]);
    let hash = node.ok("eth_sendRawTransaction", vec![json!(raw)]).await;
    let raw = Transfer::new(DEV_CHAIN_ID, 0, to, vnt(3)).sign(&keys[1]);
    let hash2 = node.ok("eth_sendRawTransaction", vec![json!(raw)]).await;
    node.seal().await;
    let first = node.ok("eth_getTransactionReceipt", vec![hash]).await;
    let second = node.ok("eth_getTransactionReceipt", vec![hash2]).await;
    let types = [
        first["type"].as_str().unwrap(),
        second["type"].as_str().unwrap(),
    ];
    assert!(
        types.contains(&"0x0") && types.contains(&"0x2"),
        "{types:?}"
    );
    for receipt in [&first, &second] {
        assert_eq!(receipt["status"], "0x1");
        assert_eq!(receipt["gasUsed"], "0x5208");
        assert_eq!(receipt["to"], json!(to).as_str().unwrap().to_lowercase());
    }
    let cumulative: Vec<u64> = [&first, &second]
        .iter()
        .map(|r| {
            u64::from_str_radix(
                r["cumulativeGasUsed"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("0x"),
                16,
            )
            .unwrap()
        })
        .collect();
    let mut sorted = cumulative.clone();
    sorted.sort();
    assert_eq!(sorted, vec![21_000, 42_000]);
    let balance = node.ok("eth_getBalance", vec![json!(to)]).await;
    assert_eq!(balance, json!(vnt(5)));
}

fn hex_u256(value: &Value) -> U256 {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_proof_answers_verify_against_the_block_state_root_independently() {
    let node = TestNode::start().await;
    let keys = signers();
    let deploy = Transfer::deploy(
        DEV_CHAIN_ID,
        0,
        Bytes::from(hex::decode(STORE_TWO_SLOTS).unwrap()),
    );
    node.ok("eth_sendRawTransaction", vec![json!(deploy.sign(&keys[0]))])
        .await;
    node.seal().await;
    let contract = keys[0].address().create(0);
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    let state_root: B256 = block["stateRoot"].as_str().unwrap().parse().unwrap();

    let slots = [B256::ZERO, B256::with_last_byte(1), B256::with_last_byte(2)];
    let proof = node
        .ok(
            "eth_getProof",
            vec![json!(contract), json!(slots), json!("latest")],
        )
        .await;
    let account_proof: Vec<Bytes> = serde_json::from_value(proof["accountProof"].clone()).unwrap();
    let leaf = mpt::verify(state_root, contract.as_slice(), &account_proof)
        .unwrap()
        .expect("the contract exists");
    let fields = mpt::account_fields(&leaf).unwrap();
    assert_eq!(
        U256::from_be_slice(&fields[0]),
        U256::from(1),
        "nonce of a new contract"
    );
    assert_eq!(U256::from_be_slice(&fields[1]), hex_u256(&proof["balance"]));
    let storage_root = B256::from_slice(&fields[2]);
    assert_eq!(json!(storage_root), proof["storageHash"]);
    assert_eq!(json!(B256::from_slice(&fields[3])), proof["codeHash"]);

    let expected = [U256::from(0x2a), U256::from(7), U256::ZERO];
    for (i, entry) in proof["storageProof"].as_array().unwrap().iter().enumerate() {
        let nodes: Vec<Bytes> = serde_json::from_value(entry["proof"].clone()).unwrap();
        let value = mpt::verify(storage_root, slots[i].as_slice(), &nodes).unwrap();
        let proven = value.map_or(U256::ZERO, |v| {
            U256::from_be_slice(&mpt::string_payload(&v).unwrap())
        });
        assert_eq!(proven, expected[i], "slot {i}");
        assert_eq!(
            hex_u256(&entry["value"]),
            expected[i],
            "slot {i} value field"
        );
    }

    let nobody = Address::repeat_byte(0x77);
    let absent = node
        .ok("eth_getProof", vec![json!(nobody), json!([])])
        .await;
    let nodes: Vec<Bytes> = serde_json::from_value(absent["accountProof"].clone()).unwrap();
    assert_eq!(
        mpt::verify(state_root, nobody.as_slice(), &nodes).unwrap(),
        None
    );

    let mut forged = account_proof.clone();
    let last = forged.last_mut().unwrap();
    let mut bytes = last.to_vec();
    let end = bytes.len() - 1;
    bytes[end] ^= 1;
    *last = bytes.into();
    assert!(
        mpt::verify(state_root, contract.as_slice(), &forged).is_err(),
        "a forged proof must fail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_check_catches_wrong_shapes() {
    let spec = Spec::load();
    assert!(!spec.violations("eth_chainId", &json!(1337)).is_empty());
    assert!(
        !spec
            .violations("eth_blockNumber", &json!("0x01"))
            .is_empty()
    );
    let node = TestNode::start().await;
    let mut block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    assert!(spec.violations("eth_getBlockByNumber", &block).is_empty());
    block.as_object_mut().unwrap().remove("stateRoot");
    assert!(!spec.violations("eth_getBlockByNumber", &block).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_responses_validate_against_the_execution_apis_schemas() {
    let spec = Spec::load();
    let node = TestNode::start().await;
    let keys = signers();
    let logs = node.ok("eth_newFilter", vec![json!({})]).await;
    let ranged = node
        .ok("eth_newFilter", vec![json!({"fromBlock": "0x0"})])
        .await;
    let blocks = node.ok("eth_newBlockFilter", vec![]).await;
    let pending = node.ok("eth_newPendingTransactionFilter", vec![]).await;
    // A creation whose init code logs, so the log filters have a log to show.
    let logging = Transfer::deploy(
        DEV_CHAIN_ID,
        0,
        Bytes::from_static(&[0x60, 0, 0x60, 0, 0xa0, 0]),
    )
    .sign(&keys[0]);
    node.ok("eth_sendRawTransaction", vec![json!(logging)])
        .await;
    node.seal().await;

    let calls: Vec<(&str, Value)> = vec![
        ("eth_newFilter", logs.clone()),
        ("eth_newBlockFilter", blocks.clone()),
        ("eth_newPendingTransactionFilter", pending.clone()),
        ("eth_getFilterChanges", logs.clone()),
        ("eth_getFilterChanges", blocks.clone()),
        ("eth_getFilterLogs", ranged.clone()),
        ("eth_uninstallFilter", pending.clone()),
    ];
    let mut failures = Vec::new();
    for (method, id) in calls {
        assert!(spec.has(method), "{method} missing from the specification");
        let result = if method.starts_with("eth_new") {
            id.clone()
        } else {
            node.ok(method, vec![id.clone()]).await
        };
        if method != "eth_newPendingTransactionFilter" && method != "eth_uninstallFilter" {
            assert_ne!(
                result,
                json!([]),
                "{method}: an empty answer proves nothing"
            );
        }
        for violation in spec.violations(method, &result) {
            failures.push(format!("{method}({id}): {violation}\n  result: {result}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        !spec
            .violations("eth_getFilterChanges", &json!([1]))
            .is_empty(),
        "the check sees wrong shapes"
    );
}

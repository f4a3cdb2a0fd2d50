//! `debug_traceTransaction` with geth's `callTracer` replays past transactions on the state
//! before their block, and `eth_createAccessList` finds what a call touches.

use crate::support::{TestNode, schema::Spec};
use alloy_primitives::{Address, Bytes, U256, hex};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};

/// Init code that deploys `runtime` unchanged.
fn deployer(runtime: &[u8]) -> Bytes {
    let len = runtime.len() as u8;
    let mut init = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(runtime);
    init.into()
}

/// Stores calldata word 0 into slot 0.
const STORE_ARGUMENT: [u8; 7] = hex!("60003560005500");
/// Reverts with the 4 bytes 0xdeadbeef.
const REVERT_DEADBEEF: [u8; 13] = hex!("63deadbeef6000526004601cfd");

/// Forwards its calldata to `callee` with all gas, then stores 1 in its own slot 1.
fn forwarder(callee: Address) -> Vec<u8> {
    // CALLDATACOPY all calldata to memory 0; CALL(gas, callee, 0, 0, size, 0, 0).
    let mut code = hex!("366000600037" "60006000366000600073").to_vec();
    code.extend_from_slice(callee.as_slice());
    code.extend_from_slice(&hex!("5af1" "6001600155" "00"));
    code
}

fn word(byte: u8) -> Bytes {
    Bytes::from(vec![byte; 32])
}

struct Contracts {
    store: Address,
    forward: Address,
    revert: Address,
    deploy_hash: Value,
}

/// Block 1 deploys the three contracts from account 0.
async fn deploy(node: &TestNode) -> Contracts {
    let key = &signers()[0];
    let store = key.address().create(0);
    let codes = [
        STORE_ARGUMENT.to_vec(),
        forwarder(store),
        REVERT_DEADBEEF.to_vec(),
    ];
    let mut hashes = Vec::new();
    for (nonce, code) in codes.iter().enumerate() {
        let tx = Transfer::deploy(DEV_CHAIN_ID, nonce as u64, deployer(code));
        hashes.push(
            node.ok("eth_sendRawTransaction", vec![json!(tx.sign(key))])
                .await,
        );
    }
    node.seal().await;
    Contracts {
        store,
        forward: key.address().create(1),
        revert: key.address().create(2),
        deploy_hash: hashes[0].clone(),
    }
}

async fn send_call(node: &TestNode, signer: usize, nonce: u64, to: Address, input: Bytes) -> Value {
    let mut tx = Transfer::new(DEV_CHAIN_ID, nonce, to, U256::ZERO).gas_limit(200_000);
    tx.input = input;
    node.ok(
        "eth_sendRawTransaction",
        vec![json!(tx.sign(&signers()[signer]))],
    )
    .await
}

fn call_tracer() -> Value {
    json!({"tracer": "callTracer"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_traces_replay_past_transactions_on_the_state_before_their_block() {
    let node = TestNode::start().await;
    let c = deploy(&node).await;
    // Block 2: a call through the forwarder; block 3: another, and a revert; block 4
    // overwrites the slots again, so tracing blocks 2 and 3 needs their past state rebuilt.
    let first = send_call(&node, 1, 0, c.forward, word(0x11)).await;
    node.seal().await;
    let second = send_call(&node, 2, 0, c.forward, word(0x22)).await;
    let reverting = send_call(&node, 3, 0, c.revert, Bytes::new()).await;
    node.seal().await;
    send_call(&node, 1, 1, c.forward, word(0x33)).await;
    node.seal().await;

    for hash in [&first, &second, &reverting, &c.deploy_hash] {
        let receipt = node
            .ok("eth_getTransactionReceipt", vec![hash.clone()])
            .await;
        let trace = node
            .ok("debug_traceTransaction", vec![hash.clone(), call_tracer()])
            .await;
        // Gas depends on the slots' values before the transaction (a fresh SSTORE costs
        // 20000, a rewrite 2900): equal gas means the replay saw the right past state.
        assert_eq!(trace["gasUsed"], receipt["gasUsed"], "{hash}: {trace}");
        assert_eq!(trace["from"], receipt["from"], "{hash}");
    }

    let trace = node
        .ok(
            "debug_traceTransaction",
            vec![second.clone(), call_tracer()],
        )
        .await;
    let forward = json!(c.forward).as_str().unwrap().to_lowercase();
    let store = json!(c.store).as_str().unwrap().to_lowercase();
    assert_eq!(trace["type"], "CALL");
    assert_eq!(trace["to"], forward);
    assert_eq!(trace["input"], json!(word(0x22)));
    assert_eq!(trace["value"], "0x0");
    assert!(trace.get("error").is_none(), "{trace}");
    let calls = trace["calls"].as_array().expect("a nested call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["type"], "CALL");
    assert_eq!(calls[0]["from"], forward);
    assert_eq!(calls[0]["to"], store);
    assert_eq!(calls[0]["input"], json!(word(0x22)));

    let top_only = node
        .ok(
            "debug_traceTransaction",
            vec![
                second,
                json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}),
            ],
        )
        .await;
    assert!(top_only.get("calls").is_none(), "{top_only}");

    let reverted = node
        .ok("debug_traceTransaction", vec![reverting, call_tracer()])
        .await;
    assert_eq!(reverted["error"], "execution reverted", "{reverted}");
    assert_eq!(reverted["output"], "0xdeadbeef");

    let created = node
        .ok("debug_traceTransaction", vec![c.deploy_hash, call_tracer()])
        .await;
    assert_eq!(created["type"], "CREATE");
    assert_eq!(created["to"], store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_refuses_unknown_tracers_and_unknown_transactions() {
    let node = TestNode::start().await;
    let c = deploy(&node).await;
    let refusals = [
        (json!({"tracer": "fooTracer"}), "fooTracer"),
        (json!({"tracer": "prestateTracer"}), "prestateTracer"),
        (json!({}), "opcode logger"),
    ];
    for (options, words) in refusals {
        let error = node
            .call(
                "debug_traceTransaction",
                vec![c.deploy_hash.clone(), options],
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), -32602, "{error:?}");
        assert!(error.message().contains(words), "{error:?}");
    }
    let bad_config = json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": "yes"}});
    let error = node
        .call("debug_traceTransaction", vec![c.deploy_hash, bad_config])
        .await
        .unwrap_err();
    assert_eq!(error.code(), -32602, "{error:?}");
    let unknown = json!(alloy_primitives::B256::repeat_byte(9));
    let error = node
        .call("debug_traceTransaction", vec![unknown, call_tracer()])
        .await
        .unwrap_err();
    assert!(error.message().contains("not found"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_access_list_names_the_slots_a_call_touches_and_reports_reverts() {
    let spec = Spec::load();
    let node = TestNode::start().await;
    let c = deploy(&node).await;
    let from = signers()[4].address();
    let request = json!({"from": from, "to": c.forward, "data": word(0x44)});
    let result = node
        .ok(
            "eth_createAccessList",
            vec![request.clone(), json!("latest")],
        )
        .await;
    assert!(
        spec.violations("eth_createAccessList", &result).is_empty(),
        "{result}"
    );
    let list = result["accessList"].as_array().unwrap();
    let store = json!(c.store).as_str().unwrap().to_lowercase();
    let entry = list
        .iter()
        .find(|item| item["address"] == store)
        .unwrap_or_else(|| panic!("the callee is listed: {result}"));
    assert_eq!(
        entry["storageKeys"],
        json!([format!("0x{}", "00".repeat(32))])
    );
    assert!(result.get("error").is_none(), "{result}");

    // With the list attached the call costs what createAccessList said it would.
    let mut with_list = request.clone();
    with_list["accessList"] = result["accessList"].clone();
    with_list["type"] = json!("0x1");
    let estimate = node.ok("eth_estimateGas", vec![with_list]).await;
    let used =
        |v: &Value| u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(
        used(&result["gasUsed"]) <= used(&estimate),
        "{result} vs {estimate}"
    );

    let reverting = json!({"from": from, "to": c.revert});
    let result = node.ok("eth_createAccessList", vec![reverting]).await;
    assert!(
        spec.violations("eth_createAccessList", &result).is_empty(),
        "{result}"
    );
    assert_eq!(result["error"], "execution reverted", "{result}");
    assert!(used(&result["gasUsed"]) > 21_000);
}

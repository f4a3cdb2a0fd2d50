//! WebAssembly contracts through standard JSON-RPC: deployment with constructor arguments,
//! calls, logs, reverts, out of gas, and deployments the VM refuses, named by its rule.
//!
//! The contract is hand-written WebAssembly so these tests depend on the chain and the VM
//! only; the SDK-built tokens are exercised end to end in `node/tests`.

use crate::support::TestNode;
use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::execution::wasm::revert_reason;
use vnt_chain::testing::{Transfer, signers};

const TOPIC: [u8; 32] = [0xaa; 32];

/// A one-slot register. `deploy` stores its 32-byte argument. `call` dispatches on the first
/// input byte: 1 stores the next 32 bytes and logs them, 2 returns the slot, 3 reverts with
/// `Error("nope")`, 4 writes slot 1 then loops until gas runs out.
fn register() -> Vec<u8> {
    let escape = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| format!("\\{b:02x}"))
            .collect::<String>()
    };
    let reason = revert_reason("nope");
    let wat = format!(
        r#"(module
  (import "vnt_v1" "input_size" (func $input_size (result i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "vnt_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "vnt_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (import "vnt_v1" "revert" (func $revert (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 63) "\01")
  (data (i32.const 128) "{topic}")
  (data (i32.const 2048) "{reason}")
  (func $load_input (call $input_copy (i32.const 256) (i32.const 0) (call $input_size)))
  (func (export "deploy")
    (call $load_input)
    (call $storage_write (i32.const 0) (i32.const 256)))
  (func (export "call")
    (local $command i32)
    (call $load_input)
    (local.set $command (i32.load8_u (i32.const 256)))
    (if (i32.eq (local.get $command) (i32.const 1))
      (then
        (call $storage_write (i32.const 0) (i32.const 257))
        (call $log (i32.const 128) (i32.const 1) (i32.const 257) (i32.const 32))
        (return)))
    (if (i32.eq (local.get $command) (i32.const 2))
      (then
        (call $storage_read (i32.const 0) (i32.const 512))
        (call $return_data (i32.const 512) (i32.const 32))))
    (if (i32.eq (local.get $command) (i32.const 3))
      (then (call $revert (i32.const 2048) (i32.const {reason_len}))))
    (if (i32.eq (local.get $command) (i32.const 4))
      (then
        (call $storage_write (i32.const 32) (i32.const 257))
        (loop $forever (br $forever))))))"#,
        topic = escape(&TOPIC),
        reason = escape(&reason),
        reason_len = reason.len(),
    );
    wat::parse_str(wat).unwrap()
}

fn word(n: u64) -> [u8; 32] {
    U256::from(n).to_be_bytes()
}

fn command(code: u8, argument: Option<u64>) -> Bytes {
    let mut input = vec![code];
    if let Some(n) = argument {
        input.extend_from_slice(&word(n));
    }
    input.into()
}

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

async fn deploy(node: &TestNode, init: Vec<u8>) -> (Value, Address) {
    let key = &signers()[0];
    let tx = Transfer::deploy(DEV_CHAIN_ID, 0, init.into()).gas_limit(5_000_000);
    let hash = node
        .ok("eth_sendRawTransaction", vec![json!(tx.sign(key))])
        .await;
    node.seal().await;
    let receipt = node.ok("eth_getTransactionReceipt", vec![hash]).await;
    (receipt, key.address().create(0))
}

async fn send(node: &TestNode, nonce: u64, to: Address, input: Bytes, gas: u64) -> Value {
    let mut tx = Transfer::new(DEV_CHAIN_ID, nonce, to, U256::ZERO).gas_limit(gas);
    tx.input = input;
    let hash = node
        .ok(
            "eth_sendRawTransaction",
            vec![json!(tx.sign(&signers()[1]))],
        )
        .await;
    node.seal().await;
    node.ok("eth_getTransactionReceipt", vec![hash]).await
}

async fn read_register(node: &TestNode, contract: Address) -> Value {
    let call = json!({"to": contract, "data": command(2, None)});
    node.ok("eth_call", vec![call]).await
}

async fn storage(node: &TestNode, contract: Address, slot: u64) -> Value {
    node.ok(
        "eth_getStorageAt",
        vec![json!(contract), json!(format!("{slot:#x}"))],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_with_constructor_arguments_calls_and_logs() {
    let node = TestNode::start().await;
    let module = register();
    let mut init = module.clone();
    init.extend_from_slice(&word(7));
    let (receipt, contract) = deploy(&node, init).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["contractAddress"], json!(contract));
    let code = node.ok("eth_getCode", vec![json!(contract)]).await;
    assert_eq!(
        code,
        json!(Bytes::from(module)),
        "the module is stored without its arguments"
    );
    assert_eq!(
        read_register(&node, contract).await,
        json!(B256::from(word(7)))
    );

    let call = json!({"from": signers()[1].address(), "to": contract, "data": command(1, Some(9))});
    let estimate = quantity(&node.ok("eth_estimateGas", vec![call]).await);
    let receipt = send(&node, 0, contract, command(1, Some(9)), estimate).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let used = quantity(&receipt["gasUsed"]);
    assert!(
        used <= estimate && estimate * 10 <= used * 11,
        "estimate {estimate} must cover and stay within 10% of {used}"
    );
    assert_eq!(
        read_register(&node, contract).await,
        json!(B256::from(word(9)))
    );

    let logs = receipt["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["address"], json!(contract));
    assert_eq!(logs[0]["topics"], json!([B256::from(TOPIC)]));
    assert_eq!(logs[0]["data"], json!(Bytes::from(word(9).to_vec())));
    let filter = json!({"fromBlock": "0x0", "toBlock": "latest", "address": contract, "topics": [B256::from(TOPIC)]});
    let found = node.ok("eth_getLogs", vec![filter]).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["transactionHash"], receipt["transactionHash"]);
    let at_block =
        json!({"blockHash": receipt["blockHash"], "topics": [[B256::ZERO, B256::from(TOPIC)]]});
    let found_at_block = node.ok("eth_getLogs", vec![at_block]).await;
    assert_eq!(
        found_at_block, found,
        "a topic alternative and a block hash find it too"
    );
    let other_topic = json!({"fromBlock": "0x0", "topics": [B256::ZERO]});
    assert_eq!(node.ok("eth_getLogs", vec![other_topic]).await, json!([]));

    let backwards = json!({"fromBlock": "0x2", "toBlock": "0x1"});
    let error = node.call("eth_getLogs", vec![backwards]).await.unwrap_err();
    assert!(
        error.message().contains("fromBlock 2 is after toBlock 1"),
        "{}",
        error.message()
    );
    let unknown = json!({"blockHash": B256::repeat_byte(7)});
    let error = node.call("eth_getLogs", vec![unknown]).await.unwrap_err();
    assert!(
        error.message().starts_with("unknown block"),
        "{}",
        error.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverts_and_out_of_gas_charge_gas_and_change_nothing() {
    let node = TestNode::start().await;
    let mut init = register();
    init.extend_from_slice(&word(5));
    let (_, contract) = deploy(&node, init).await;
    let from = signers()[1].address();

    let call = json!({"from": from, "to": contract, "data": command(3, None)});
    let error = node.call("eth_call", vec![call.clone()]).await.unwrap_err();
    assert_eq!(error.code(), 3);
    assert_eq!(error.message(), "execution reverted: nope");
    let data: Bytes = serde_json::from_str(error.data().unwrap().get()).unwrap();
    assert_eq!(data.as_ref(), revert_reason("nope").as_slice());
    let error = node.call("eth_estimateGas", vec![call]).await.unwrap_err();
    assert_eq!(error.code(), 3, "estimateGas reports the revert too");

    let balance = json!(from);
    let before = node.ok("eth_getBalance", vec![balance.clone()]).await;
    let receipt = send(&node, 0, contract, command(3, None), 200_000).await;
    assert_eq!(receipt["status"], "0x0");
    let reverted_gas = quantity(&receipt["gasUsed"]);
    assert!(
        reverted_gas > 21_000 && reverted_gas < 200_000,
        "a revert returns unused gas: {reverted_gas}"
    );
    let after = node.ok("eth_getBalance", vec![balance]).await;
    assert_ne!(after, before, "the revert was paid for");
    assert_eq!(receipt["logs"], json!([]));

    let receipt = send(&node, 1, contract, command(4, Some(1)), 300_000).await;
    assert_eq!(receipt["status"], "0x0");
    assert_eq!(
        quantity(&receipt["gasUsed"]),
        300_000,
        "out of gas uses all gas"
    );
    assert_eq!(
        storage(&node, contract, 1).await,
        json!(B256::ZERO),
        "the write before running out is undone"
    );
    assert_eq!(
        storage(&node, contract, 0).await,
        json!(B256::from(word(5)))
    );
}

/// Init code of a module in the text format.
fn module(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deployments_are_refused_with_the_rule_name() {
    let node = TestNode::start().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // A type section of three bytes that are no types.
        ("invalid", b"\0asm\x01\0\0\0\x01\x03\xff\xff\xff".to_vec()),
        (
            "disabled-feature",
            module(
                r#"(module (func (export "call") (drop (f32.add (f32.const 1) (f32.const 2)))))"#,
            ),
        ),
        (
            "memory-too-large",
            module(r#"(module (memory 300) (func (export "call")))"#),
        ),
        (
            "missing-export",
            module(r#"(module (func (export "deploy")))"#),
        ),
        (
            "entry-point-signature",
            module(r#"(module (func (export "call") (param i32)))"#),
        ),
    ];
    let key = &signers()[0];
    for (rule, init) in cases {
        let create = json!({"from": key.address(), "data": Bytes::from(init.clone())});
        let error = node
            .call("eth_estimateGas", vec![create])
            .await
            .unwrap_err();
        assert_eq!(error.code(), 3, "{rule}: {}", error.message());
        assert!(
            error.message().contains(&format!("rule `{rule}`")),
            "estimateGas names rule {rule}: {}",
            error.message()
        );
        let tx = Transfer::deploy(DEV_CHAIN_ID, 0, init.into()).gas_limit(5_000_000);
        let error = node
            .call("eth_sendRawTransaction", vec![json!(tx.sign(key))])
            .await
            .unwrap_err();
        assert!(
            error
                .message()
                .starts_with("invalid WASM contract: module rejected by rule")
                && error.message().contains(&format!("`{rule}`")),
            "sendRawTransaction names rule {rule}: {}",
            error.message()
        );
    }
}

//! `eth_call` and `eth_estimateGas` against contracts: the estimate is the smallest gas that
//! works, and reverts come back as code 3 with their data.

use crate::support::TestNode;
use alloy_primitives::{Address, Bytes, hex};
use serde_json::json;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};

/// Init code that deploys `runtime` (hex) unchanged.
fn deployer(runtime: &str) -> Bytes {
    let len = runtime.len() / 2;
    let init = format!("60{len:02x}600c60003960{len:02x}6000f3{runtime}");
    hex::decode(init).unwrap().into()
}

/// Stores calldata word 0 into slot 0.
const STORE_ARGUMENT: &str = "60003560005500";
/// Reverts with the 4 bytes 0xdeadbeef.
const REVERT_DEADBEEF: &str = "63deadbeef6000526004601cfd";

async fn deploy(node: &TestNode, nonce: u64, runtime: &str) -> Address {
    let key = &signers()[0];
    let tx = Transfer::deploy(DEV_CHAIN_ID, nonce, deployer(runtime));
    node.ok("eth_sendRawTransaction", vec![json!(tx.sign(key))])
        .await;
    node.seal().await;
    let address = key.address().create(nonce);
    let code = node.ok("eth_getCode", vec![json!(address)]).await;
    assert_eq!(code, json!(format!("0x{runtime}")), "deployed code");
    address
}

fn quantity(value: &serde_json::Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimate_gas_is_the_smallest_limit_that_succeeds() {
    let node = TestNode::start().await;
    let contract = deploy(&node, 0, STORE_ARGUMENT).await;
    let from = signers()[1].address();
    let data = format!("0x{}", "11".repeat(32));
    let call = json!({"from": from, "to": contract, "data": data});
    let estimate = quantity(&node.ok("eth_estimateGas", vec![call.clone()]).await);
    assert!(
        estimate > 21_000 + 20_000,
        "a fresh SSTORE costs over 20k: {estimate}"
    );

    let with_gas =
        |gas: u64| json!({"from": from, "to": contract, "data": data, "gas": format!("{gas:#x}")});
    node.ok("eth_call", vec![with_gas(estimate)]).await;
    let short = node
        .call("eth_call", vec![with_gas(estimate - 1)])
        .await
        .unwrap_err();
    assert_eq!(short.message(), "out of gas", "one gas less must fail");

    let mut tx = Transfer::new(DEV_CHAIN_ID, 0, contract, Default::default()).gas_limit(estimate);
    tx.input = hex::decode(&data[2..]).unwrap().into();
    let hash = node
        .ok(
            "eth_sendRawTransaction",
            vec![json!(tx.sign(&signers()[1]))],
        )
        .await;
    node.seal().await;
    let receipt = node.ok("eth_getTransactionReceipt", vec![hash]).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(quantity(&receipt["gasUsed"]), estimate);
    let slot = node
        .ok("eth_getStorageAt", vec![json!(contract), json!("0x0")])
        .await;
    assert_eq!(slot, json!(format!("0x{}", "11".repeat(32))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverts_answer_code_three_with_the_revert_data() {
    let node = TestNode::start().await;
    let contract = deploy(&node, 0, REVERT_DEADBEEF).await;
    let call = json!({"to": contract});
    for method in ["eth_call", "eth_estimateGas"] {
        let error = node.call(method, vec![call.clone()]).await.unwrap_err();
        assert_eq!(error.code(), 3, "{method}");
        assert_eq!(error.message(), "execution reverted", "{method}");
        let data: String = serde_json::from_str(error.data().unwrap().get()).unwrap();
        assert_eq!(data, "0xdeadbeef", "{method}");
    }
}

//! WebSocket subscriptions against a real node on loopback: `newHeads`, `logs` and
//! `newPendingTransactions` notify what happens, bad subscriptions are refused, and a
//! subscriber that stops reading is dropped without holding block production back.

use crate::support::TestNode;
use crate::support::ws::WsClient;
use alloy_primitives::{Address, B256, Bytes};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;

/// Creation code emitting one LOG1 per topic, deploying nothing.
fn emitting(topics: &[B256]) -> Bytes {
    let mut code = Vec::new();
    for topic in topics {
        code.push(0x7f);
        code.extend_from_slice(topic.as_slice());
        code.extend([0x60, 0x00, 0x60, 0x00, 0xa1]);
    }
    code.push(0x00);
    code.into()
}

async fn connect(node: &TestNode) -> WsClient {
    WsClient::connect(node.handle.rpc_addr()).await
}

async fn send(node: &TestNode, raw: Bytes) -> Value {
    node.ok("eth_sendRawTransaction", vec![json!(raw)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_heads_notifies_each_committed_header() {
    let node = TestNode::start().await;
    let mut ws = connect(&node).await;
    let id = ws.subscribe(json!(["newHeads"])).await;
    assert!(id.starts_with("0x"), "a hex id like geth's: {id}");
    for number in ["0x1", "0x2"] {
        node.seal().await;
        let head = ws.notification(&id).await["result"].clone();
        let block = node
            .ok("eth_getBlockByNumber", vec![json!(number), json!(false)])
            .await;
        assert_eq!(head["number"], number);
        for field in ["hash", "parentHash", "stateRoot", "logsBloom", "timestamp"] {
            assert_eq!(head[field], block[field], "{field}");
        }
    }
    assert_eq!(
        ws.call("eth_unsubscribe", json!([id])).await,
        Ok(json!(true))
    );
    assert_eq!(
        ws.call("eth_unsubscribe", json!([id])).await,
        Ok(json!(false)),
        "already gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_subscriptions_notify_matching_logs_with_their_place_in_the_block() {
    let node = TestNode::start().await;
    let keys = signers();
    let (t1, t2) = (B256::repeat_byte(1), B256::repeat_byte(2));
    let b = keys[1].address().create(0);
    let mut ws = connect(&node).await;
    let by_topic = ws.subscribe(json!(["logs", {"topics": [t2]}])).await;
    let by_address = ws.subscribe(json!(["logs", {"address": [b]}])).await;
    let everything = ws.subscribe(json!(["logs"])).await;

    let first =
        Transfer::deploy(DEV_CHAIN_ID, 0, emitting(&[t1, t2])).fees(10_000_000_000, 2_000_000_000);
    let tx_a = send(&node, first.sign(&keys[0])).await;
    let tx_b = send(
        &node,
        Transfer::deploy(DEV_CHAIN_ID, 0, emitting(&[t2])).sign(&keys[1]),
    )
    .await;
    node.seal().await;

    let mut all = Vec::new();
    for _ in 0..3 {
        all.push(ws.notification(&everything).await["result"].clone());
    }
    let indexes: Vec<_> = all.iter().map(|log| log["logIndex"].clone()).collect();
    assert_eq!(indexes, [json!("0x0"), json!("0x1"), json!("0x2")]);
    assert_eq!(all[0]["transactionHash"], tx_a);
    assert_eq!(all[2]["transactionHash"], tx_b);
    assert_eq!(all[2]["transactionIndex"], "0x1");
    assert_eq!(all[2]["removed"], false);
    assert_eq!(all[2]["blockNumber"], "0x1");

    let topic_logs = [
        ws.notification(&by_topic).await["result"].clone(),
        ws.notification(&by_topic).await["result"].clone(),
    ];
    assert_eq!(topic_logs, [all[1].clone(), all[2].clone()]);
    assert_eq!(ws.notification(&by_address).await["result"], all[2]);
    assert!(!ws.has_notification(&by_address), "one log came from B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_pending_transactions_notifies_hashes_or_full_transactions() {
    let node = TestNode::start().await;
    let key = &signers()[0];
    let mut ws = connect(&node).await;
    let hashes = ws.subscribe(json!(["newPendingTransactions"])).await;
    let full = ws.subscribe(json!(["newPendingTransactions", true])).await;
    let raw = Transfer::new(DEV_CHAIN_ID, 0, Address::repeat_byte(0x42), vnt(1)).sign(key);
    let hash = send(&node, raw).await;
    assert_eq!(ws.notification(&hashes).await["result"], hash);
    let tx = ws.notification(&full).await["result"].clone();
    assert_eq!(tx["hash"], hash);
    assert_eq!(tx["from"], json!(key.address()));
    assert_eq!(tx["blockHash"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_refused_with_invalid_params() {
    let node = TestNode::start().await;
    let mut ws = connect(&node).await;
    let bad = [
        json!(["newBlocks"]),
        json!([]),
        json!(["logs", {"address": "0x12"}]),
        json!(["logs", {"fromBlock": "0x0"}]),
        json!(["logs", {"blockHash": B256::ZERO}]),
        json!(["newHeads", {"full": true}]),
        json!(["newPendingTransactions", "yes"]),
    ];
    for params in bad {
        let error = ws.call("eth_subscribe", params.clone()).await.unwrap_err();
        assert_eq!(error["code"], -32602, "{params}: {error}");
    }
    // The connection still serves after refusals.
    ws.subscribe(json!(["newHeads"])).await;
}

/// Creation code emitting `count` logs of `size` zero bytes each, deploying nothing.
fn emitting_large(count: usize, size: u16) -> Bytes {
    let [high, low] = size.to_be_bytes();
    let mut code = Vec::new();
    for _ in 0..count {
        code.extend([0x61, high, low, 0x60, 0x00, 0xa0]);
    }
    code.push(0x00);
    code.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_is_dropped_and_blocks_keep_coming() {
    let node = TestNode::start().await;
    let keys = signers();
    let mut stalled = connect(&node).await;
    let id = stalled.subscribe(json!(["logs"])).await;
    // Far more notifications than the connection's queue (1024 messages) and the socket
    // buffers hold, none of them read: 3,600 logs of 10 KiB, 36 MiB (the queue holds about
    // 10 MiB, and the kernel's socket buffers may grow to several MiB each way, so half this
    // could fit). Every seal returns, so the stalled reader never held production back.
    let (blocks, senders, logs_per_tx) = (12u64, 3, 100);
    for nonce in 0..blocks {
        for key in &keys[..senders] {
            let tx = Transfer::deploy(DEV_CHAIN_ID, nonce, emitting_large(logs_per_tx, 10 * 1024))
                .gas_limit(9_000_000)
                .fees(100_000_000_000, 1_000_000_000);
            send(&node, tx.sign(key)).await;
        }
        node.seal().await;
    }
    let head = node.ok("eth_blockNumber", vec![]).await;
    assert_eq!(head, json!(format!("{blocks:#x}")));
    let last = node
        .ok("eth_getBlockByNumber", vec![head, json!(false)])
        .await;
    assert_eq!(
        last["transactions"].as_array().unwrap().len(),
        senders,
        "every block held its transactions"
    );
    // Reading now: the notifications that fit, then the closing error.
    let sent = blocks as usize * senders * logs_per_tx;
    let mut received = 0;
    loop {
        let notification = stalled.notification(&id).await;
        if let Some(error) = notification.get("error") {
            let error = error.to_string();
            assert!(error.contains("subscription dropped"), "{error}");
            break;
        }
        received += 1;
        assert!(received < sent, "the stalled subscriber was never dropped");
    }
    assert_eq!(
        stalled.call("eth_unsubscribe", json!([id])).await,
        Ok(json!(false)),
        "the dropped subscription is gone"
    );
    // The node still serves new subscribers.
    let mut fresh = connect(&node).await;
    let heads = fresh.subscribe(json!(["newHeads"])).await;
    node.seal().await;
    assert_eq!(
        fresh.notification(&heads).await["result"]["number"],
        format!("{:#x}", blocks + 1)
    );
}

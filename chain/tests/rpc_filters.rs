//! Polling filters against a real node on loopback: block, log and pending-transaction
//! filters report what arrived since the last poll, log filters match as `eth_getLogs` does
//! (address arrays, null topics, topic alternatives), and bad ids, filters and too many
//! filters get clear errors.

use crate::support::TestNode;
use alloy_primitives::{Address, B256, Bytes};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::rpc::filters::MAX_FILTERS;
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;

/// Creation code that emits one log per entry (topics, a one-word data value) and deploys
/// nothing, so a log's address is the address the creation would have had.
fn emitting(logs: &[(&[B256], u8)]) -> Bytes {
    let mut code = Vec::new();
    for (topics, data) in logs {
        code.extend([0x60, *data, 0x60, 0x00, 0x52]);
        for topic in topics.iter().rev() {
            code.push(0x7f);
            code.extend_from_slice(topic.as_slice());
        }
        code.extend([0x60, 0x20, 0x60, 0x00, 0xa0 + topics.len() as u8]);
    }
    code.push(0x00);
    code.into()
}

fn topic(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

async fn send(node: &TestNode, raw: Bytes) -> Value {
    node.ok("eth_sendRawTransaction", vec![json!(raw)]).await
}

async fn new_filter(node: &TestNode, filter: Value) -> Value {
    node.ok("eth_newFilter", vec![filter]).await
}

async fn changes(node: &TestNode, id: &Value) -> Vec<Value> {
    let found = node.ok("eth_getFilterChanges", vec![id.clone()]).await;
    found.as_array().expect("an array of changes").clone()
}

fn indexes(logs: &[Value]) -> Vec<&str> {
    logs.iter()
        .map(|log| log["logIndex"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_filter_reports_each_new_block_once() {
    let node = TestNode::start().await;
    let filter = node.ok("eth_newBlockFilter", vec![]).await;
    let id = filter.as_str().unwrap();
    assert!(
        id.starts_with("0x") && id.len() <= 34,
        "a 128-bit hex id: {id}"
    );
    assert!(changes(&node, &filter).await.is_empty(), "nothing new yet");

    node.seal().await;
    node.seal().await;
    let mut expected = Vec::new();
    for number in ["0x1", "0x2"] {
        let block = node
            .ok("eth_getBlockByNumber", vec![json!(number), json!(false)])
            .await;
        expected.push(block["hash"].clone());
    }
    assert_eq!(changes(&node, &filter).await, expected);
    assert!(changes(&node, &filter).await.is_empty(), "reported once");

    assert_eq!(
        node.ok("eth_uninstallFilter", vec![filter.clone()]).await,
        json!(true)
    );
    assert_eq!(
        node.ok("eth_uninstallFilter", vec![filter]).await,
        json!(false),
        "already gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_filters_match_addresses_null_topics_and_alternatives_across_a_block() {
    let node = TestNode::start().await;
    let keys = signers();
    let (t1, t2, t3, x) = (topic(1), topic(2), topic(3), topic(0x99));
    let a = keys[0].address().create(0);
    let b = keys[1].address().create(0);

    let everything = new_filter(&node, json!({})).await;
    let alternatives = new_filter(&node, json!({"topics": [[t2, t3]]})).await;
    let second_topic = new_filter(&node, json!({"topics": [null, x]})).await;
    let addresses = new_filter(&node, json!({"address": [b, Address::repeat_byte(7)]})).await;
    let by_address_from_genesis =
        new_filter(&node, json!({"fromBlock": "0x0", "address": b})).await;

    let first = emitting(&[(&[t1], 1), (&[t2], 2)]);
    let second = emitting(&[(&[t1, x], 3), (&[t3], 4)]);
    // A pays the higher tip, so it comes first in the block.
    let deploy_a = Transfer::deploy(DEV_CHAIN_ID, 0, first).fees(10_000_000_000, 2_000_000_000);
    let tx_a = send(&node, deploy_a.sign(&keys[0])).await;
    let tx_b = send(
        &node,
        Transfer::deploy(DEV_CHAIN_ID, 0, second).sign(&keys[1]),
    )
    .await;
    node.seal().await;
    let block = node
        .ok("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;

    let all = changes(&node, &everything).await;
    assert_eq!(
        indexes(&all),
        ["0x0", "0x1", "0x2", "0x3"],
        "numbered across the block"
    );
    for (log, (tx, tx_index, address)) in all.iter().zip([
        (&tx_a, "0x0", a),
        (&tx_a, "0x0", a),
        (&tx_b, "0x1", b),
        (&tx_b, "0x1", b),
    ]) {
        assert_eq!(log["transactionHash"], *tx);
        assert_eq!(log["transactionIndex"], tx_index);
        assert_eq!(log["address"], json!(address));
        assert_eq!(log["blockHash"], block["hash"]);
        assert_eq!(log["blockNumber"], "0x1");
        assert_eq!(log["removed"], false);
    }
    assert_eq!(
        all[2]["data"],
        json!(format!("0x{:064x}", 3)),
        "the log's data word"
    );
    assert_eq!(
        indexes(&changes(&node, &alternatives).await),
        ["0x1", "0x3"]
    );
    assert_eq!(indexes(&changes(&node, &second_topic).await), ["0x2"]);
    assert_eq!(indexes(&changes(&node, &addresses).await), ["0x2", "0x3"]);
    assert!(
        changes(&node, &everything).await.is_empty(),
        "reported once"
    );

    // eth_getFilterLogs answers the whole range again, as eth_getLogs does.
    let again = node
        .ok("eth_getFilterLogs", vec![by_address_from_genesis])
        .await;
    let direct = node
        .ok(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "address": b})],
        )
        .await;
    assert_eq!(again, direct);
    assert_eq!(again.as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_filter_with_a_past_to_block_reports_nothing_new() {
    let node = TestNode::start().await;
    let keys = signers();
    node.seal().await;
    let ended = new_filter(&node, json!({"fromBlock": "0x0", "toBlock": "0x1"})).await;
    let code = emitting(&[(&[topic(1)], 1)]);
    send(
        &node,
        Transfer::deploy(DEV_CHAIN_ID, 0, code).sign(&keys[0]),
    )
    .await;
    node.seal().await;
    assert!(
        changes(&node, &ended).await.is_empty(),
        "block 2 is past toBlock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_transaction_filter_reports_hashes_as_they_enter_the_pool() {
    let node = TestNode::start().await;
    let keys = signers();
    let filter = node.ok("eth_newPendingTransactionFilter", vec![]).await;
    let to = Address::repeat_byte(0x42);
    let first = send(
        &node,
        Transfer::new(DEV_CHAIN_ID, 0, to, vnt(1)).sign(&keys[0]),
    )
    .await;
    let second = send(
        &node,
        Transfer::new(DEV_CHAIN_ID, 1, to, vnt(1)).sign(&keys[0]),
    )
    .await;
    // The pool announces asynchronously: poll until both are in, within a bound.
    let mut seen = Vec::new();
    for _ in 0..1000 {
        seen.extend(changes(&node, &filter).await);
        if seen.len() >= 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(seen, [first, second]);
    node.seal().await;
    assert!(
        changes(&node, &filter).await.is_empty(),
        "nothing new entered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_wrong_filter_kinds_are_not_found() {
    let node = TestNode::start().await;
    let unknown = json!("0x1234567890abcdef1234567890abcdef");
    for method in ["eth_getFilterChanges", "eth_getFilterLogs"] {
        let error = node.call(method, vec![unknown.clone()]).await.unwrap_err();
        assert_eq!(error.message(), "filter not found", "{method}");
        assert_eq!(error.code(), -32000, "{method}");
    }
    assert_eq!(
        node.ok("eth_uninstallFilter", vec![unknown]).await,
        json!(false)
    );
    let blocks = node.ok("eth_newBlockFilter", vec![]).await;
    let error = node
        .call("eth_getFilterLogs", vec![blocks])
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "filter not found",
        "a block filter has no logs"
    );
    let error = node
        .call("eth_getFilterChanges", vec![json!(42)])
        .await
        .unwrap_err();
    assert_eq!(error.code(), -32602, "an id is a string: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_filter_objects_are_refused() {
    let node = TestNode::start().await;
    let bad = [
        json!({"address": "0x1234"}),
        json!({"topics": "0x01"}),
        json!({"topics": [["0x01"]]}),
        json!({"fromBlock": "yesterday"}),
        json!({"fromBlock": "0x5", "toBlock": "0x2"}),
        json!({"blockHash": B256::repeat_byte(1)}),
    ];
    for filter in bad {
        let error = node
            .call("eth_newFilter", vec![filter.clone()])
            .await
            .unwrap_err();
        assert_eq!(error.code(), -32602, "{filter}: {error:?}");
    }
    let error = node.call("eth_newFilter", vec![]).await.unwrap_err();
    assert_eq!(error.code(), -32602, "the filter is required: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installing_more_than_the_limit_of_filters_is_refused_until_one_is_removed() {
    let node = TestNode::start().await;
    let mut ids = Vec::new();
    for _ in 0..MAX_FILTERS {
        ids.push(node.ok("eth_newBlockFilter", vec![]).await);
    }
    let error = node
        .call("eth_newFilter", vec![json!({})])
        .await
        .unwrap_err();
    assert!(
        error.message().starts_with("too many filters"),
        "{}",
        error.message()
    );
    node.ok("eth_uninstallFilter", vec![ids.pop().unwrap()])
        .await;
    node.ok("eth_newFilter", vec![json!({})]).await;
}

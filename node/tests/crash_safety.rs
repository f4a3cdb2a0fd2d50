//! A `vnt dev` process killed with SIGKILL while transactions flow restarts on the same data
//! directory with every block it had reported, hashes still chained, and goes on producing.

use crate::support::{DevProcess, rpc};
use alloy_primitives::{Address, U256};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};

const DEADLINE: Duration = Duration::from_secs(120);

fn number(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn block(url: &str, n: u64) -> Value {
    rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("{n:#x}"), false]),
    )
    .unwrap()
}

/// Waits, polling, until the node reports a block above `above`; returns its number.
fn wait_for_block_above(url: &str, above: u64) -> u64 {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let head = number(&rpc(url, "eth_blockNumber", json!([])).unwrap());
        if head > above {
            return head;
        }
        assert!(
            Instant::now() < deadline,
            "no block above {above} within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_while_transactions_flow_loses_no_reported_block() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let args = ["--data-dir", data_dir, "--block-time", "100ms"];
    let node = DevProcess::spawn(&args);
    let key = &signers()[0];
    let to = Address::repeat_byte(0x31);
    let mut reported: BTreeMap<u64, Value> = BTreeMap::new();
    let mut mined: Vec<(Value, Value)> = Vec::new();
    let mut sent = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    let mut nonce = 0;
    while reported.len() < 20 || mined.len() < 10 {
        assert!(
            Instant::now() < deadline,
            "the chain did not make progress in time"
        );
        // Keep a few transactions in flight, well inside the pool's nonce window.
        if sent.len() < 8 {
            let raw = Transfer::new(DEV_CHAIN_ID, nonce, to, U256::from(1000 + nonce)).sign(key);
            sent.push(rpc(&node.rpc_url, "eth_sendRawTransaction", json!([raw])).unwrap());
            nonce += 1;
        }
        let head = number(&rpc(&node.rpc_url, "eth_blockNumber", json!([])).unwrap());
        for n in reported.keys().last().map_or(0, |last| last + 1)..=head {
            reported.insert(n, block(&node.rpc_url, n));
        }
        if let Some(hash) = sent.first() {
            let receipt = rpc(&node.rpc_url, "eth_getTransactionReceipt", json!([hash])).unwrap();
            if !receipt.is_null() {
                mined.push((sent.remove(0), receipt["blockHash"].clone()));
            }
        }
    }
    node.kill();

    let node = DevProcess::spawn(&args);
    let last = *reported.keys().last().unwrap();
    for (n, before) in &reported {
        let after = block(&node.rpc_url, *n);
        assert_eq!(
            after["hash"], before["hash"],
            "block {n} changed across the crash"
        );
        if *n > 0 {
            assert_eq!(
                after["parentHash"],
                reported[&(n - 1)]["hash"],
                "block {n} is not chained"
            );
        }
    }
    for (hash, block_hash) in &mined {
        let receipt = rpc(&node.rpc_url, "eth_getTransactionReceipt", json!([hash])).unwrap();
        assert_eq!(&receipt["blockHash"], block_hash, "receipt of {hash} lost");
    }
    let next = wait_for_block_above(&node.rpc_url, last);
    let after = block(&node.rpc_url, last + 1);
    assert_eq!(after["parentHash"], block(&node.rpc_url, last)["hash"]);
    assert!(next > last);
}

#[test]
fn ctrl_c_stops_cleanly_and_a_restart_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let args = ["--data-dir", data_dir, "--block-time", "100ms"];
    let node = DevProcess::spawn(&args);
    let head = wait_for_block_above(&node.rpc_url, 2);
    let hash = block(&node.rpc_url, head)["hash"].clone();
    node.interrupt();
    let node = DevProcess::spawn(&args);
    assert_eq!(block(&node.rpc_url, head)["hash"], hash);
    wait_for_block_above(&node.rpc_url, head);
}

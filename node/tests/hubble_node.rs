//! `vnt node` runs Hubble's genesis by default: its chain id and the white paper's allocation.

use crate::support::{DevProcess, rpc};
use alloy_primitives::U256;
use serde_json::json;
use vnt_chain::genesis::Custody;
use vnt_chain::token::vnt;

#[test]
fn vnt_node_starts_from_the_hubble_allocation() {
    let node = DevProcess::spawn_command("node", &["--tmp"]);
    let chain_id = rpc(&node.rpc_url, "eth_chainId", json!([])).unwrap();
    assert_eq!(chain_id, json!("0x564e54"));
    let custody = Custody::placeholder();
    let expected = [
        (custody.donors, 2_000_000_000u64),
        (custody.team, 2_000_000_000),
        (custody.ecosystem, 4_000_000_000),
        (custody.foundation, 2_000_000_000),
    ];
    let mut total = U256::ZERO;
    for (address, amount) in expected {
        let balance = rpc(&node.rpc_url, "eth_getBalance", json!([address])).unwrap();
        let balance: U256 = balance.as_str().unwrap().parse().unwrap();
        assert_eq!(balance, vnt(amount), "{address}");
        total += balance;
    }
    assert_eq!(total, vnt(10_000_000_000));
}

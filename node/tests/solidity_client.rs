//! Solidity through a real client: solc-js (npm) compiles an ERC-20 and a contract of
//! reverts, ethers v6 deploys them to a real `vnt dev`, reads `Transfer` events through a
//! polling filter and a WebSocket `logs` subscription, and decodes every kind of revert
//! from `eth_call` and `eth_estimateGas`.

use crate::support::{DevProcess, run_client};

#[test]
fn solidity_tokens_events_and_reverts_work_through_ethers() {
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let output = run_client("solidity.mjs", &[&node.rpc_url]);
    for marker in [
        "compiled with solc-js: Reverts, Token",
        "eth_getFilterChanges: 3 Transfer events",
        "polling filter (ethers): 3 Transfer events",
        "websocket logs subscription: 3 Transfer events",
        "revert reason string: code 3",
        "revert custom error: code 3",
        "revert panic (division by zero): code 3",
        "revert panic (assert): code 3",
        "revert empty revert: code 3, data 0x",
        "solidity client passed",
    ] {
        assert!(output.contains(marker), "missing `{marker}` in:\n{output}");
    }
}

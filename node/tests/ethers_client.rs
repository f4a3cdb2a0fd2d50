//! A real Ethereum client library (ethers v6 from npm) drives a real `vnt dev` process.

use crate::support::{DevProcess, run_client};

#[test]
fn ethers_sends_every_transaction_type_and_reads_receipts() {
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let output = run_client("transfers.mjs", &[&node.rpc_url]);
    for kind in ["type 0:", "type 1:", "type 2:", "ethers transfers passed"] {
        assert!(output.contains(kind), "missing `{kind}` in:\n{output}");
    }
}

//! WebAssembly contracts end to end, with the real `vnt` binary, compilers and clients:
//! the book's walkthrough (`vnt contract new`, `build`, `deploy`, `send`, `call`) in Rust
//! and in C, the ERC-20 tokens of `contracts/` driven by ethers with the standard ABI, and
//! Solidity (compiled by solc-js) and WebAssembly contracts calling each other.

use crate::support::{DevProcess, printed, run_client, vnt_ok};
use std::path::{Path, PathBuf};

/// Runs `vnt ARGS` in `dir` and returns its standard output; it must succeed.
fn vnt(dir: &Path, args: &[&str]) -> String {
    vnt_ok(Some(dir), args).0
}

fn walkthrough(lang: &str) {
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let work = tempfile::tempdir().unwrap();
    let rpc = ["--rpc-url", node.rpc_url.as_str()];

    vnt(work.path(), &["contract", "new", "counter", "--lang", lang]);
    let project = work.path().join("counter");
    let built = vnt(&project, &["contract", "build"]);
    assert!(built.contains("target/vnt/"), "{built}");

    let deployed = vnt(&project, &[&["contract", "deploy"][..], &rpc].concat());
    let address = printed(&deployed, "Contract:").to_string();

    let read = |project: &Path| {
        let args = [&["contract", "call", &address, "get()(uint256)"][..], &rpc].concat();
        vnt(project, &args).trim().to_string()
    };
    assert_eq!(read(&project), "0", "a new counter holds zero");
    let sent = vnt(
        &project,
        &[
            &["contract", "send", &address, "set(uint256)", "42"][..],
            &rpc,
        ]
        .concat(),
    );
    assert_eq!(printed(&sent, "Logs:"), "1", "set emits one event: {sent}");
    assert_eq!(read(&project), "42");
}

#[test]
fn book_walkthrough_in_rust() {
    walkthrough("rust");
}

#[test]
fn book_walkthrough_in_c() {
    walkthrough("c");
}

fn contract_project(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts")
        .join(name)
}

/// Builds a contract of `contracts/` with `vnt contract build` and returns its module.
fn build_contract(name: &str) -> String {
    let project = contract_project(name);
    let output = vnt(&project, &["contract", "build"]);
    let module = printed(&output, "Built")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(Path::new(&module).is_file(), "{output}");
    module
}

#[test]
fn rust_and_c_tokens_pass_the_erc20_suite_through_ethers() {
    let modules = [build_contract("erc20-rust"), build_contract("erc20-c")];
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    for module in &modules {
        let output = run_client("erc20.mjs", &[&node.rpc_url, module]);
        assert!(output.contains("erc20 suite passed"), "{module}:\n{output}");
        println!("{module}:\n{output}");
    }
}

#[test]
fn solidity_and_wasm_contracts_call_each_other() {
    let modules = [
        build_contract("erc20-rust"),
        build_contract("erc20-c"),
        build_contract("relay-rust"),
    ];
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let args: Vec<&str> = std::iter::once(node.rpc_url.as_str())
        .chain(modules.iter().map(String::as_str))
        .collect();
    let output = run_client("cross_vm.mjs", &args);
    assert!(output.contains("cross-vm suite passed"), "{output}");
    println!("{output}");
}

//! An ERC-20 `transfer` on the WebAssembly tokens of `contracts/`, Rust and C: the wall time
//! of executing it (revm set-up, the cached compiled module, instantiation, the contract and
//! its storage and log) and the gas it is charged.
//!
//! Build the tokens first (`vnt contract build` in `contracts/erc20-rust` and
//! `contracts/erc20-c`), then run `cargo bench -p vnt-chain --bench tokens`; figures go to
//! docs/performance.md.

use alloy_primitives::{Address, U256};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;
use vnt_chain::execution::{CallOutcome, CallRequest, call};
use vnt_chain::genesis::Genesis;
use vnt_chain::testing::{Transfer, signers, temp_chain};

mod common;

use common::{T0, constructor_args, transfer_calldata};

fn module(project: &str, file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts")
        .join(project)
        .join("target/vnt")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `vnt contract build` in contracts/{project} first",
            path.display()
        )
    })
}

fn bench_transfer(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_transfer");
    let tokens = [
        ("rust", module("erc20-rust", "erc20_rust.wasm")),
        ("c", module("erc20-c", "erc20-c.wasm")),
    ];
    for (lang, wasm) in tokens {
        let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
        let owner = &signers()[0];
        let mut init = wasm.clone();
        init.extend(constructor_args("Bench", "BCH", U256::from(1u64 << 60)));
        let deploy =
            Transfer::deploy(chain.config().chain_id, 0, init.into()).gas_limit(10_000_000);
        let token = owner.address().create(0);
        // The recipient holds tokens already: the common transfer, no new storage slot.
        let recipient = signers()[1].address();
        let seed = Transfer::new(chain.config().chain_id, 1, token, U256::ZERO).gas_limit(200_000);
        let seed = Transfer {
            input: transfer_calldata(recipient, 1),
            ..seed
        };
        let config = chain.config().clone();
        let txs = vec![
            deploy.verified(owner, &config),
            seed.verified(owner, &config),
        ];
        let built = chain.build_block(txs, T0 + 1, Address::ZERO).unwrap();
        assert!(built.rejected.is_empty(), "{:?}", built.rejected);

        let request = CallRequest {
            from: Some(owner.address()),
            to: Some(token),
            input: transfer_calldata(recipient, 5),
            ..Default::default()
        };
        let ctx = chain.next_block_context(T0 + 2, Address::ZERO);
        let run = || call(chain.ledger(), &ctx, chain.config(), &request, 1_000_000).unwrap();
        match run() {
            CallOutcome::Success { gas_used, .. } => println!(
                "{lang} token: {} bytes, transfer to a holder uses {gas_used} gas",
                wasm.len()
            ),
            other => panic!("{lang} transfer failed: {other:?}"),
        }
        group.bench_function(lang, |b| b.iter(run));
    }
    group.finish();
}

criterion_group!(benches, bench_transfer);
criterion_main!(benches);

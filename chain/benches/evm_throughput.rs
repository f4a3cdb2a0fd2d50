//! ERC-20 transfers per second on the Solidity token (`contracts/solidity/Token.sol`,
//! compiled by solc-js): through our whole stack, and through bare revm on an in-memory
//! database, in the same run, so the ratio shows what our layers cost.
//!
//! - `full_stack`: a block's worth of signed transfers as raw bytes: decode, signature
//!   recovery, execution in revm over our state (with the WebAssembly routing), state root,
//!   and the durable parity-db commit of block, receipts and state.
//! - `bare_revm`: the same transfers as ready-made transaction environments, executed and
//!   committed by revm's mainnet EVM over `CacheDB<EmptyDB>`: no signatures, no root, no disk.
//!
//! Needs Node.js and the client packages (`npm ci --prefix node/tests/clients`), then
//! `cargo bench -p vnt-chain --bench evm_throughput`; figures go to docs/performance.md.

use alloy_primitives::{Address, Bytes, TxKind, U256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use revm::context::{CfgEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use vnt_chain::genesis::Genesis;
use vnt_chain::testing::{Transfer, signers, temp_chain};
use vnt_chain::token::vnt;
use vnt_chain::tx::verify_raw;

mod common;

use common::{T0, constructor_args, transfer_calldata};

/// Transfers per measured block: 400 × at most 60,000 gas fits the 30M block limit.
const TRANSFERS: u64 = 400;
const GAS_PER_TRANSFER: u64 = 60_000;
/// Token holders the transfers pay to, so storage stops growing once all hold tokens.
const RECIPIENTS: u64 = 1_000;

fn recipient(i: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xee;
    bytes[12..].copy_from_slice(&(i % RECIPIENTS).to_be_bytes());
    Address::from(bytes)
}

/// The token's creation code, compiled by solc-js for Cancun.
fn token_bytecode() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new("node")
        .arg(root.join("node/tests/clients/solc.mjs"))
        .arg(root.join("contracts/solidity/Token.sol"))
        .output()
        .expect("node runs; install Node.js and `npm ci --prefix node/tests/clients`");
    assert!(
        output.status.success(),
        "solc.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let artifacts: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hex = artifacts["Token"]["bytecode"].as_str().unwrap();
    alloy_primitives::hex::decode(hex).unwrap()
}

fn init_code() -> Bytes {
    let mut init = token_bytecode();
    init.extend(constructor_args("Bench", "BNC", U256::from(1u128 << 100)));
    init.into()
}

/// Who sends the `n`th transfer of a block (senders take turns), with its nonce offset
/// within the block. Every sender sends `TRANSFERS / senders` per block.
fn sender_of(n: u64, senders: u64) -> (usize, u64) {
    assert_eq!(TRANSFERS % senders, 0, "senders share blocks evenly");
    ((n % senders) as usize, n / senders)
}

fn full_stack(c: &mut Criterion, init: &Bytes) {
    let keys = signers();
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let config = chain.config().clone();
    let owner = &keys[0];
    let token = owner.address().create(0);
    // Block 1: deploy, then give every dev account tokens to send.
    let mut setup = vec![
        Transfer::deploy(config.chain_id, 0, init.clone())
            .gas_limit(3_000_000)
            .verified(owner, &config),
    ];
    for (i, key) in keys.iter().enumerate().skip(1) {
        let tx = Transfer {
            input: transfer_calldata(key.address(), 1 << 40),
            ..Transfer::new(config.chain_id, i as u64, token, U256::ZERO)
        };
        setup.push(tx.gas_limit(GAS_PER_TRANSFER).verified(owner, &config));
    }
    let built = chain.build_block(setup, T0 + 1, Address::ZERO).unwrap();
    assert!(built.rejected.is_empty(), "{:?}", built.rejected);
    // The owner used a nonce for the deployment and one per seeded account.
    let mut nonces = vec![0u64; keys.len()];
    nonces[0] = keys.len() as u64;
    let mut timestamp = T0 + 1;
    let mut sent = 0u64;

    let mut group = c.benchmark_group("erc20_transfers");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(TRANSFERS));
    group.bench_function("full_stack", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let raws: Vec<Bytes> = (0..TRANSFERS)
                    .map(|n| {
                        let (who, offset) = sender_of(n, keys.len() as u64);
                        let tx = Transfer {
                            input: transfer_calldata(recipient(sent + n), 1),
                            ..Transfer::new(
                                config.chain_id,
                                nonces[who] + offset,
                                token,
                                U256::ZERO,
                            )
                        };
                        tx.gas_limit(GAS_PER_TRANSFER).sign(&keys[who])
                    })
                    .collect();
                for nonce in &mut nonces {
                    *nonce += TRANSFERS / keys.len() as u64;
                }
                sent += TRANSFERS;
                timestamp += 1;
                let start = Instant::now();
                let txs: Vec<_> = raws
                    .iter()
                    .map(|raw| verify_raw(raw, &config).unwrap())
                    .collect();
                let built = chain.build_block(txs, timestamp, Address::ZERO).unwrap();
                total += start.elapsed();
                assert!(built.rejected.is_empty(), "{:?}", built.rejected.first());
            }
            total
        });
    });
    let receipts = chain.receipts(&chain.head_hash()).unwrap();
    assert_eq!(receipts.len() as u64, TRANSFERS);
    assert!(
        receipts.iter().all(|r| r.status()),
        "every transfer succeeded"
    );
    group.finish();
}

fn bare_revm(c: &mut Criterion, init: &Bytes) {
    let keys = signers();
    let mut db = CacheDB::new(EmptyDB::default());
    for key in &keys {
        let funded = AccountInfo {
            balance: vnt(1_000_000),
            ..Default::default()
        };
        db.insert_account_info(key.address(), funded);
    }
    let mut evm = Context::mainnet()
        .with_db(db)
        .with_cfg(CfgEnv::new_with_spec(SpecId::CANCUN))
        .build_mainnet();
    let mut nonces = vec![0u64; keys.len()];
    let mut tx = |from: usize, kind: TxKind, data: Bytes, gas_limit: u64| {
        let env = TxEnv {
            caller: keys[from].address(),
            kind,
            data,
            gas_limit,
            nonce: nonces[from],
            ..Default::default()
        };
        nonces[from] += 1;
        env
    };
    let deploy = tx(0, TxKind::Create, init.clone(), 3_000_000);
    assert!(evm.transact_commit(deploy).unwrap().is_success());
    let token = keys[0].address().create(0);
    for key in keys.iter().skip(1) {
        let seed = tx(
            0,
            TxKind::Call(token),
            transfer_calldata(key.address(), 1 << 40),
            GAS_PER_TRANSFER,
        );
        assert!(evm.transact_commit(seed).unwrap().is_success());
    }
    let mut sent = 0u64;

    let mut group = c.benchmark_group("erc20_transfers");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(TRANSFERS));
    group.bench_function("bare_revm", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let envs: Vec<TxEnv> = (0..TRANSFERS)
                    .map(|n| {
                        let (who, _) = sender_of(n, keys.len() as u64);
                        let data = transfer_calldata(recipient(sent + n), 1);
                        tx(who, TxKind::Call(token), data, GAS_PER_TRANSFER)
                    })
                    .collect();
                sent += TRANSFERS;
                let start = Instant::now();
                for env in envs {
                    assert!(evm.transact_commit(env).unwrap().is_success());
                }
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn bench_throughput(c: &mut Criterion) {
    let init = init_code();
    full_stack(c, &init);
    bare_revm(c, &init);
}

criterion_group!(benches, bench_throughput);
criterion_main!(benches);

//! Transfers executed and committed per second on one node: decoding, signature recovery,
//! execution in revm, state root and the durable parity-db commit, all in the timing.
//!
//! Run with `cargo bench -p vnt-chain --bench transfers`; figures go to docs/src/performance.md.

use alloy_primitives::{Address, Bytes, U256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};
use vnt_chain::Chain;
use vnt_chain::genesis::{Genesis, GenesisAccount};
use vnt_chain::testing::{Transfer, signers, temp_chain};
use vnt_chain::token::vnt;
use vnt_chain::tx::verify_raw;

/// 700 transfers use 14.7M gas, just under the 15M EIP-1559 target, so the base fee holds.
const TRANSFERS_PER_BLOCK: u64 = 700;
const T0: u64 = 1_800_000_000;

/// Funded accounts that transfers pay to, so the state does not grow while measuring.
const RECIPIENTS: u64 = 1_000;

fn account(i: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&(i + 1).to_be_bytes());
    Address::from(bytes)
}

/// A dev genesis plus `extra` funded accounts (at least the recipients).
fn genesis_with_accounts(extra: u64) -> Genesis {
    let mut genesis = Genesis::dev(T0);
    for i in 0..extra.max(RECIPIENTS) {
        let funded = GenesisAccount {
            balance: vnt(1),
            ..Default::default()
        };
        genesis.alloc.insert(account(i), funded);
    }
    genesis
}

/// Signs the next block's worth of transfers: every dev account, consecutive nonces.
fn sign_batch(chain: &Chain, first_nonce: u64) -> Vec<Bytes> {
    let keys = signers();
    let per_sender = TRANSFERS_PER_BLOCK / keys.len() as u64;
    let chain_id = chain.config().chain_id;
    let mut raws = Vec::new();
    for offset in 0..per_sender {
        for (i, key) in keys.iter().enumerate() {
            let to = account(((first_nonce + offset) * keys.len() as u64 + i as u64) % RECIPIENTS);
            let tx = Transfer::new(chain_id, first_nonce + offset, to, U256::from(1));
            raws.push(tx.sign(key));
        }
    }
    raws
}

fn bench_transfers(c: &mut Criterion) {
    let mut group = c.benchmark_group("transfers_per_block");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(TRANSFERS_PER_BLOCK));
    for accounts in [RECIPIENTS, 50_000] {
        let (mut chain, _dir) = temp_chain(genesis_with_accounts(accounts));
        let mut nonce = 0;
        let mut timestamp = T0;
        group.bench_function(format!("state_of_{}_accounts", accounts + 10), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let raws = sign_batch(&chain, nonce);
                    nonce += TRANSFERS_PER_BLOCK / 10;
                    timestamp += 1;
                    let start = Instant::now();
                    let config = chain.config().clone();
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
    }
    group.finish();
}

/// The state root after one account changed, by state size: the account trie is rehashed.
fn bench_state_root(c: &mut Criterion) {
    let mut group = c.benchmark_group("state_root_after_one_change");
    group.sample_size(10);
    for accounts in [1_000u64, 50_000] {
        let mut state = vnt_chain::state::WorldState::default();
        for i in 0..accounts {
            let info = vnt_chain::state::AccountInfo {
                balance: vnt(1),
                ..Default::default()
            };
            state.set_account(account(i), info);
        }
        state.state_root();
        let mut nonce = 0;
        group.bench_function(format!("{accounts}_accounts"), |b| {
            b.iter(|| {
                nonce += 1;
                let info = vnt_chain::state::AccountInfo {
                    nonce,
                    ..Default::default()
                };
                state.set_account(account(0), info);
                state.state_root()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_transfers, bench_state_root);
criterion_main!(benches);

//! The pool orders transactions for blocks: best tip first, each sender in nonce order, and
//! nothing that cannot run yet.

use alloy_primitives::{Address, U256};
use std::collections::BTreeMap;
use vnt_chain::genesis::Genesis;
use vnt_chain::pool::{AdmissionContext, PoolConfig, TxPool};
use vnt_chain::testing::{Transfer, signers, temp_chain};
use vnt_chain::tx::VerifiedTx;

const T0: u64 = 1_800_000_000;

fn admission<'a>(
    chain: &'a vnt_chain::Chain,
    vesting: &'a BTreeMap<Address, vnt_chain::token::VestingSchedule>,
) -> AdmissionContext<'a> {
    AdmissionContext {
        state: chain.state(),
        base_fee: chain.next_base_fee(),
        vesting,
        now: T0,
    }
}

fn tx(sender: usize, nonce: u64, tip_gwei: u128) -> VerifiedTx {
    let config = Genesis::dev(T0).config;
    Transfer::new(
        config.chain_id,
        nonce,
        Address::repeat_byte(1),
        U256::from(1),
    )
    .fees(100_000_000_000, tip_gwei * 1_000_000_000)
    .verified(&signers()[sender], &config)
}

#[test]
fn best_takes_higher_tips_first_and_each_sender_in_nonce_order() {
    let (chain, _dir) = temp_chain(Genesis::dev(T0));
    let vesting = BTreeMap::new();
    let ctx = admission(&chain, &vesting);
    let mut pool = TxPool::new(PoolConfig::default());
    // Sender 0's second transaction tips most, but must wait for its first.
    for tx in [
        tx(0, 1, 50),
        tx(0, 0, 1),
        tx(1, 0, 5),
        tx(2, 0, 3),
        tx(2, 2, 90),
    ] {
        pool.add(tx, &ctx).unwrap();
    }
    assert_eq!(pool.pending_nonce(&signers()[0].address(), 0), 2);
    assert_eq!(pool.pending_nonce(&signers()[2].address(), 0), 1);

    let order: Vec<(usize, u64)> = pool
        .best(chain.state(), chain.next_base_fee())
        .iter()
        .map(|tx| {
            let sender = signers()
                .iter()
                .position(|k| k.address() == tx.sender)
                .unwrap();
            (sender, alloy_consensus::Transaction::nonce(&tx.envelope))
        })
        .collect();
    assert_eq!(
        order,
        vec![(1, 0), (2, 0), (0, 0), (0, 1)],
        "nonce 2 of sender 2 has a gap"
    );
}

#[test]
fn mined_transactions_leave_the_pool() {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let vesting = BTreeMap::new();
    let mut pool = TxPool::new(PoolConfig::default());
    {
        let ctx = admission(&chain, &vesting);
        pool.add(tx(3, 0, 2), &ctx).unwrap();
        pool.add(tx(3, 1, 2), &ctx).unwrap();
    }
    let first: Vec<_> = pool.best(chain.state(), chain.next_base_fee())[..1]
        .iter()
        .map(|tx| (**tx).clone())
        .collect();
    chain.build_block(first, T0 + 1, Address::ZERO).unwrap();
    pool.prune(chain.state());
    assert_eq!(pool.len(), 1);
    let next = pool.best(chain.state(), chain.next_base_fee());
    assert_eq!(alloy_consensus::Transaction::nonce(&next[0].envelope), 1);
}

#[test]
fn a_full_pool_refuses_newcomers() {
    let (chain, _dir) = temp_chain(Genesis::dev(T0));
    let vesting = BTreeMap::new();
    let ctx = admission(&chain, &vesting);
    let mut pool = TxPool::new(PoolConfig {
        max_transactions: 2,
        ..PoolConfig::default()
    });
    pool.add(tx(4, 0, 1), &ctx).unwrap();
    pool.add(tx(4, 1, 1), &ctx).unwrap();
    let error = pool.add(tx(5, 0, 1), &ctx).unwrap_err();
    assert_eq!(error.to_string(), "txpool is full");
    assert_eq!(pool.len(), 2);
}

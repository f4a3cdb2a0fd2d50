//! The ledger engine end to end in one process: transfers of every type, fees, chaining,
//! persistence and the team lock-up.

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256};
use vnt_chain::Chain;
use vnt_chain::genesis::{Custody, Genesis};
use vnt_chain::testing::{Transfer, TxKindOf, signers, temp_chain};
use vnt_chain::token::{SECONDS_PER_MONTH, vnt};
use vnt_chain::tx::TxError;

const T0: u64 = 1_800_000_000;

fn balance(chain: &Chain, who: &Address) -> U256 {
    chain.state().account(who).map_or(U256::ZERO, |a| a.balance)
}

#[test]
fn each_transaction_type_moves_value_burns_the_base_fee_and_tips_the_producer() {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let keys = signers();
    let config = chain.config().clone();
    let recipient = Address::repeat_byte(0x42);
    let producer = Address::repeat_byte(0xbe);
    let kinds = [TxKindOf::Legacy, TxKindOf::AccessList, TxKindOf::DynamicFee];
    let txs: Vec<_> = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            Transfer::new(config.chain_id, 0, recipient, vnt(1) * U256::from(i + 1))
                .kind(*kind)
                .gas_limit(30_000)
                .verified(&keys[i], &config)
        })
        .collect();
    let before: Vec<U256> = keys.iter().map(|k| balance(&chain, &k.address())).collect();
    let base_fee = chain.next_base_fee();

    let built = chain.build_block(txs.clone(), T0 + 1, producer).unwrap();

    assert!(built.rejected.is_empty(), "{:?}", built.rejected);
    assert_eq!(balance(&chain, &recipient), vnt(6));
    let receipts = chain.receipts(&built.hash).unwrap();
    assert_eq!(receipts.len(), 3);
    let mut tips = U256::ZERO;
    let mut previous = 0;
    for (i, (tx, receipt)) in txs.iter().zip(&receipts).enumerate() {
        assert!(receipt.status());
        let gas = receipt.cumulative_gas_used() - previous;
        previous = receipt.cumulative_gas_used();
        let price = tx.envelope.effective_gas_price(Some(base_fee));
        tips += U256::from(gas) * U256::from(price - base_fee as u128);
        let spent = before[i] - balance(&chain, &keys[i].address());
        assert_eq!(
            spent,
            tx.envelope.value() + U256::from(gas) * U256::from(price)
        );
    }
    assert_eq!(balance(&chain, &producer), tips);
    let head = chain.head().clone();
    assert_eq!(head.gas_used, previous);
    assert_eq!(head.base_fee_per_gas, Some(base_fee));
}

#[test]
fn blocks_chain_by_parent_hash_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let keys = signers();
    let mut hashes = Vec::new();
    let root;
    {
        let mut chain = Chain::open(dir.path(), Genesis::dev(T0)).unwrap();
        hashes.push(chain.head_hash());
        for nonce in 0..3 {
            let tx = Transfer::new(
                chain.config().chain_id,
                nonce,
                Address::repeat_byte(7),
                vnt(1),
            )
            .verified(&keys[0], chain.config());
            hashes.push(
                chain
                    .build_block([tx], T0 + 1 + nonce, Address::ZERO)
                    .unwrap()
                    .hash,
            );
        }
        root = chain.head().state_root;
    }
    let chain = Chain::open(dir.path(), Genesis::dev(T0)).unwrap();
    assert_eq!(chain.head().number, 3);
    assert_eq!(chain.head_hash(), hashes[3]);
    assert_eq!(chain.head().state_root, root);
    for number in 1..=3u64 {
        let block = chain.block_by_number(number).unwrap().unwrap();
        assert_eq!(block.hash, hashes[number as usize]);
        assert_eq!(block.block.header.parent_hash, hashes[number as usize - 1]);
        assert_eq!(block.block.header.hash_slow(), block.hash);
    }
    assert_eq!(balance(&chain, &Address::repeat_byte(7)), vnt(3));
}

#[test]
fn finality_proofs_are_kept_by_block_hash_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second);
    {
        let mut chain = Chain::open(dir.path(), Genesis::dev(T0)).unwrap();
        first = chain.build_block([], T0 + 1, Address::ZERO).unwrap().hash;
        second = chain.build_block([], T0 + 2, Address::ZERO).unwrap().hash;
        chain
            .store()
            .put_finality_proof(&second, b"proof of two")
            .unwrap();
    }
    let chain = Chain::open(dir.path(), Genesis::dev(T0)).unwrap();
    let store = chain.store();
    assert_eq!(
        store.finality_proof(&second).unwrap().as_deref(),
        Some(&b"proof of two"[..])
    );
    // A block finalized as an ancestor has no proof of its own.
    assert_eq!(store.finality_proof(&first).unwrap(), None);
}

#[test]
fn a_data_directory_refuses_a_different_genesis() {
    let dir = tempfile::tempdir().unwrap();
    drop(Chain::open(dir.path(), Genesis::dev(T0)).unwrap());
    let error = Chain::open(dir.path(), Genesis::dev(T0 + 1)).err().unwrap();
    assert!(error.to_string().contains("holds another chain"), "{error}");
}

#[test]
fn a_failing_transaction_is_left_out_and_changes_nothing() {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let keys = signers();
    let config = chain.config().clone();
    // Every block changes some state (staking's epoch randomness), so compare with an empty
    // block built on the same genesis at the same time.
    let (mut twin, _twin_dir) = temp_chain(Genesis::dev(T0));
    twin.build_block([], T0 + 1, Address::ZERO).unwrap();
    let root = twin.head().state_root;
    let broke = Transfer::new(config.chain_id, 0, Address::repeat_byte(1), vnt(2_000_000))
        .verified(&keys[0], &config);
    let built = chain.build_block([broke], T0 + 1, Address::ZERO).unwrap();
    assert!(matches!(
        built.rejected[0].1,
        TxError::InsufficientFunds { .. }
    ));
    assert_eq!(chain.head().transactions_root, alloy_trie::EMPTY_ROOT_HASH);
    assert_eq!(chain.head().state_root, root);
}

/// A Hubble genesis whose team allocation is held by a key the test controls.
fn hubble_with_team_key() -> (Genesis, alloy_signer_local::PrivateKeySigner) {
    let keys = signers();
    let custody = Custody {
        donors: keys[1].address(),
        team: keys[0].address(),
        ecosystem: keys[2].address(),
        foundation: keys[3].address(),
    };
    (Genesis::hubble_with_custody(T0, custody), keys[0].clone())
}

/// Largest value the team can send at `month` in one transfer paying `gas * fee`.
fn vested_value(month: u64, gas_cost: U256) -> U256 {
    let percent = match month {
        0..6 => 0,
        _ => 20 + 10 * ((month - 6) / 3),
    };
    (vnt(2_000_000_000) * U256::from(percent) / U256::from(100)).saturating_sub(gas_cost)
}

#[test]
fn team_allocation_is_locked_by_month_and_releases_exactly_the_vested_amount() {
    for month in [0u64, 5, 6, 9] {
        let (genesis, team) = hubble_with_team_key();
        let (mut chain, _dir) = temp_chain(genesis);
        let config = chain.config().clone();
        let now = T0 + month * SECONDS_PER_MONTH + 60;
        // An empty block moves the chain's clock to the month under test.
        chain.build_block([], now, Address::ZERO).unwrap();
        let fee = 2_000_000_000u128;
        let gas_cost = U256::from(21_000u64) * U256::from(fee);
        let allowed = vested_value(month, gas_cost);
        let to = Address::repeat_byte(0x99);

        let over = Transfer::new(config.chain_id, 0, to, allowed + U256::from(1))
            .fees(fee, 0)
            .verified(&team, &config);
        let built = chain.build_block([over], now + 1, Address::ZERO).unwrap();
        assert_eq!(
            built.rejected.len(),
            1,
            "month {month}: over the vested amount must fail"
        );
        let message = built.rejected[0].1.to_string();
        assert!(
            message.starts_with("insufficient vested funds"),
            "month {month}: {message}"
        );
        assert_eq!(balance(&chain, &to), U256::ZERO);

        if allowed.is_zero() {
            continue;
        }
        let exact = Transfer::new(config.chain_id, 0, to, allowed)
            .fees(fee, 0)
            .verified(&team, &config);
        let built = chain.build_block([exact], now + 2, Address::ZERO).unwrap();
        assert!(
            built.rejected.is_empty(),
            "month {month}: {:?}",
            built.rejected
        );
        assert_eq!(balance(&chain, &to), allowed, "month {month}");
    }
}

#[test]
fn receipts_and_transactions_are_indexed_by_hash() {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let keys = signers();
    let tx = Transfer::new(chain.config().chain_id, 0, Address::repeat_byte(5), vnt(1))
        .verified(&keys[4], chain.config());
    let built = chain
        .build_block([tx.clone()], T0 + 1, Address::ZERO)
        .unwrap();
    let location = chain.tx_location(&tx.hash).unwrap().unwrap();
    assert_eq!(location.block_number, built.number);
    assert_eq!(location.index, 0);
    assert_eq!(chain.tx_location(&B256::repeat_byte(1)).unwrap(), None);
}

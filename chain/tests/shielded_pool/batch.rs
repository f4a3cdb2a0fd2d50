//! A block's pool proofs are checked together before the block runs, and each `transact`
//! then takes its proof's verdict: valid and forged proofs side by side end as they would
//! one by one.

use super::*;
use vnt_chain::genesis::Genesis;
use vnt_chain::shielded::abi::statement;
use vnt_chain::shielded::batch::preverify;
use vnt_chain::shielded::keys::DEV_VERIFYING_KEY_HASH;
use vnt_chain::testing::temp_chain;

#[test]
fn a_blocks_proofs_are_checked_together_before_it_runs() {
    let story = story();
    let (mut chain, _dir) = temp_chain(Genesis::dev(crate::support::T0));
    let config = chain.config().clone();
    let pool_tx = |signer: usize, call: &Transact, value: U256| {
        let mut tx = Transfer::new(DEV_CHAIN_ID, 0, SHIELDED_POOL, value).gas_limit(POOL_GAS);
        tx.input = call.abi_encode().into();
        tx.verified(&signers()[signer], &config)
    };
    let shield = story.shield.call();
    // Alice's payment with the fee raised after proving: a forged statement.
    let mut forged = story.transfer.call();
    forged.fee = 11;
    let public =
        Transfer::new(DEV_CHAIN_ID, 0, CAROL, U256::from(1)).verified(&signers()[2], &config);
    let block = vec![
        pool_tx(0, &shield, story.shield.value()),
        pool_tx(1, &forged, U256::ZERO),
        public,
    ];

    let verdicts = preverify(chain.state(), DEV_CHAIN_ID, &block);
    assert_eq!(
        verdicts.len(),
        2,
        "the two pool transactions, not the public one"
    );
    let verdict = |call: &Transact| {
        let public = statement(call, DEV_CHAIN_ID).unwrap();
        verdicts.verdict(DEV_VERIFYING_KEY_HASH, &call.proof, &public)
    };
    assert_eq!(verdict(&shield), Some(true));
    assert_eq!(verdict(&forged), Some(false));
    assert_eq!(verdict(&story.unshield.call()), None, "not in this block");

    let built = chain
        .build_block(block, crate::support::T0 + 10, Address::ZERO)
        .unwrap();
    assert!(built.rejected.is_empty());
    let statuses: Vec<bool> = chain
        .receipts(&built.hash)
        .unwrap()
        .iter()
        .map(|receipt| receipt.status())
        .collect();
    assert_eq!(statuses, [true, false, true]);
    let pool = chain.state().account(&SHIELDED_POOL).unwrap();
    assert_eq!(pool.balance, U256::from(1_000 * GWEI));
}

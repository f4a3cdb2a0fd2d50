//! A block's pool proofs are checked together before the block runs, and each `transact`
//! then takes the verdict; a batch with a forged proof files nothing, and every spend
//! verifies alone: valid and forged proofs side by side end as they would one by one.

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
        Transfer::new(DEV_CHAIN_ID, 0, CAROL, U256::from(1)).verified(&signers()[5], &config);
    let block = vec![
        pool_tx(0, &shield, story.shield.value()),
        pool_tx(1, &forged, U256::ZERO),
        public,
    ];

    let gas_limit = chain.config().block_gas_limit;
    let verdict = |verdicts: &vnt_chain::shielded::Preverified, spend: &Spend| {
        let call = spend.call();
        let submitter = signers()[spend.submitter].address();
        let public = statement(&call, DEV_CHAIN_ID, submitter).unwrap();
        verdicts.verdict(DEV_VERIFYING_KEY_HASH, &call.proof, &public)
    };

    // All valid: both filed, the public transfer ignored.
    let transfer = story.transfer.call();
    let valid = vec![
        pool_tx(0, &shield, story.shield.value()),
        pool_tx(Story::RELAYER, &transfer, U256::ZERO),
        block[2].clone(),
    ];
    let verdicts = preverify(chain.state(), DEV_CHAIN_ID, gas_limit, &valid);
    assert_eq!(
        verdicts.len(),
        2,
        "the two pool transactions, not the public one"
    );
    assert_eq!(verdict(&verdicts, &story.shield), Some(true));
    assert_eq!(verdict(&verdicts, &story.transfer), Some(true));
    assert_eq!(
        verdict(&verdicts, &story.unshield),
        None,
        "not in this block"
    );

    // Unpaid work is bounded: a gas limit that cannot pay for verification is skipped, and
    // the block's gas caps how many proofs are checked.
    let mut cheap = Transfer::new(DEV_CHAIN_ID, 0, SHIELDED_POOL, U256::ZERO).gas_limit(100_000);
    cheap.input = transfer.abi_encode().into();
    let cheap = cheap.verified(&signers()[Story::RELAYER], &config);
    let verdicts = preverify(chain.state(), DEV_CHAIN_ID, gas_limit, &[cheap]);
    assert!(verdicts.is_empty());
    let verdicts = preverify(chain.state(), DEV_CHAIN_ID, 300_000, &valid);
    assert_eq!(verdicts.len(), 1, "room to verify one proof");

    // One forged proof: the batch fails and nothing is filed.
    let verdicts = preverify(chain.state(), DEV_CHAIN_ID, gas_limit, &block);
    assert!(verdicts.is_empty());
    assert_eq!(verdict(&verdicts, &story.shield), None);

    // A spend sent by an account other than its bound submitter is a different statement:
    // it fails the batch like a forgery.
    let hijacked = vec![pool_tx(4, &transfer, U256::ZERO)];
    assert!(preverify(chain.state(), DEV_CHAIN_ID, gas_limit, &hijacked).is_empty());

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

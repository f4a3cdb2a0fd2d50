use super::*;
use crate::config::DEV_CHAIN_ID;
use crate::genesis::Genesis;
use crate::testing::{Transfer, signers, temp_chain};

const T0: u64 = 1_800_000_000;

fn transfer(chain: &Chain, from: usize, nonce: u64, to: Address, value: u64) -> VerifiedTx {
    Transfer::new(DEV_CHAIN_ID, nonce, to, U256::from(value))
        .verified(&signers()[from], chain.config())
}

fn balance(chain: &Chain, address: Address) -> U256 {
    chain
        .state()
        .account(&address)
        .map_or(U256::ZERO, |a| a.balance)
}

fn propose(chain: &mut Chain, parent: B256, txs: Vec<VerifiedTx>, now: u64) -> B256 {
    let proposed = chain
        .propose(parent, txs, now, Address::ZERO, None)
        .unwrap();
    assert!(proposed.rejected.is_empty(), "{:?}", proposed.rejected);
    proposed.hash
}

#[test]
fn forks_on_a_pending_parent_leave_the_head_alone_and_only_the_finalized_branch_lands() {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let genesis = chain.head_hash();
    let root_before = chain.head().state_root;
    let (a, b, c) = (
        Address::repeat_byte(0x77),
        Address::repeat_byte(0x88),
        Address::repeat_byte(0x99),
    );

    let first = transfer(&chain, 0, 0, a, 1_000);
    let p1 = propose(&mut chain, genesis, vec![first], T0 + 1);
    // Two children of the pending block, spending the same nonce differently.
    let to_b = transfer(&chain, 0, 1, b, 5);
    let to_c = transfer(&chain, 0, 1, c, 7);
    let b1 = propose(&mut chain, p1, vec![to_b], T0 + 2);
    let b2 = propose(&mut chain, p1, vec![to_c], T0 + 2);
    assert_ne!(b1, b2);
    let pending = chain.pending_block(&b2).unwrap();
    assert_eq!(pending.block.header.number, 2);
    assert_eq!(pending.block.header.parent_hash, p1);

    // Nothing is final yet: the head, its state and the store are untouched.
    assert_eq!(chain.head_hash(), genesis);
    assert_eq!(chain.state().clone().state_root(), root_before);
    assert_eq!(balance(&chain, a), U256::ZERO);
    assert!(chain.block_by_number(1).unwrap().is_none());

    // A child cannot be finalized before its parent.
    assert!(matches!(
        chain.finalize(b2),
        Err(ChainError::NotChildOfHead { parent, .. }) if parent == p1
    ));
    chain.finalize(p1).unwrap();
    chain.finalize(b2).unwrap();
    assert_eq!(chain.head_hash(), b2);
    assert_eq!(balance(&chain, a), U256::from(1_000));
    assert_eq!(balance(&chain, c), U256::from(7));
    assert_eq!(balance(&chain, b), U256::ZERO);
    assert_eq!(chain.state().clone().state_root(), chain.head().state_root);
    // The losing branch is gone, and delivering a final block again changes nothing.
    assert!(matches!(chain.finalize(b1), Err(ChainError::NotPending(h)) if h == b1));
    chain.finalize(b2).unwrap();
    chain.finalize(p1).unwrap();
    assert_eq!(chain.head_hash(), b2);
}

#[test]
fn proposing_ahead_of_finality_gives_the_blocks_building_one_by_one_gives() {
    let to = Address::repeat_byte(0x42);
    let (mut one_by_one, _d1) = temp_chain(Genesis::dev(T0));
    let (mut ahead, _d2) = temp_chain(Genesis::dev(T0));
    let mut built = Vec::new();
    for nonce in 0..3u64 {
        let tx = transfer(&one_by_one, 1, nonce, to, 10 + nonce);
        built.push(
            one_by_one
                .build_block(vec![tx], T0 + 1 + nonce, Address::ZERO)
                .unwrap()
                .hash,
        );
    }
    let mut parent = ahead.head_hash();
    let mut proposed = Vec::new();
    for nonce in 0..3u64 {
        let tx = transfer(&ahead, 1, nonce, to, 10 + nonce);
        parent = propose(&mut ahead, parent, vec![tx], T0 + 1 + nonce);
        proposed.push(parent);
    }
    assert_eq!(proposed, built);
    for hash in &proposed {
        ahead.finalize(*hash).unwrap();
    }
    assert_eq!(ahead.head(), one_by_one.head());
    assert_eq!(balance(&ahead, to), U256::from(33));
}

#[test]
fn an_imported_block_is_executed_and_every_header_commitment_checked() {
    let to = Address::repeat_byte(0x42);
    let (mut maker, _d1) = temp_chain(Genesis::dev(T0));
    let (mut checker, _d2) = temp_chain(Genesis::dev(T0));
    let genesis = maker.head_hash();
    let (tx0, tx1) = (transfer(&maker, 2, 0, to, 1), transfer(&maker, 2, 1, to, 2));
    let first = propose(&mut maker, genesis, vec![tx0], T0 + 1);
    let second = propose(&mut maker, first, vec![tx1], T0 + 2);
    let block = |hash: &B256| maker.pending_block(hash).unwrap().block.clone();

    // Out of order: the parent is unknown until the first block is imported.
    let orphan = checker.import(block(&second)).unwrap_err();
    assert!(
        matches!(orphan, ImportError::Invalid(InvalidBlock::UnknownParent(p)) if p == first),
        "{orphan}"
    );
    assert_eq!(checker.import(block(&first)).unwrap(), first);

    let mut refusal = |edit: &dyn Fn(&mut StoredBlock)| {
        let mut bad = block(&second);
        edit(&mut bad);
        checker.clone_import(bad)
    };
    let why = refusal(&|b| b.header.state_root = B256::repeat_byte(1));
    assert!(why.starts_with("invalid block: its state root is"), "{why}");
    let why = refusal(&|b| b.header.gas_used += 1);
    assert!(why.starts_with("invalid block: its gas used is"), "{why}");
    let why = refusal(&|b| b.header.timestamp = T0 + 1);
    assert_eq!(
        why,
        format!(
            "invalid block: its timestamp {} is not after its parent's ({})",
            T0 + 1,
            T0 + 1
        )
    );
    let why = refusal(&|b| b.header.base_fee_per_gas = Some(1));
    assert!(why.starts_with("invalid block: its base fee is"), "{why}");
    // Fields this chain always leaves at their defaults are caught by the hash.
    let why = refusal(&|b| b.header.difficulty = U256::from(1));
    assert!(why.starts_with("invalid block: its hash is"), "{why}");
    // A transaction replayed from the first block: its nonce is used.
    let replayed = block(&first).body.transactions[0].clone();
    let why = refusal(&|b| b.body.transactions[0] = replayed.clone());
    assert!(
        why.starts_with("invalid block: transaction 0 is invalid: nonce too low"),
        "{why}"
    );

    assert_eq!(checker.import(block(&second)).unwrap(), second);
    checker.finalize(first).unwrap();
    checker.finalize(second).unwrap();
    maker.finalize(first).unwrap();
    maker.finalize(second).unwrap();
    assert_eq!(checker.head(), maker.head());
}

#[test]
fn blockhash_on_a_pending_branch_reads_the_branchs_own_blocks() {
    // Runtime: sstore(0, blockhash(number - 1)).
    let runtime = "436001900340600055 00".replace(' ', "");
    let len = runtime.len() / 2;
    let init =
        alloy_primitives::hex::decode(format!("60{len:02x}600c60003960{len:02x}6000f3{runtime}"))
            .unwrap();
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    let deploy =
        Transfer::deploy(DEV_CHAIN_ID, 0, init.into()).verified(&signers()[3], chain.config());
    let contract = signers()[3].address().create(0);
    chain
        .build_block(vec![deploy], T0 + 1, Address::ZERO)
        .unwrap();

    let head = chain.head_hash();
    let idle = propose(&mut chain, head, Vec::new(), T0 + 2);
    let call = Transfer::new(DEV_CHAIN_ID, 1, contract, U256::ZERO)
        .gas_limit(100_000)
        .verified(&signers()[3], chain.config());
    let calling = propose(&mut chain, idle, vec![call], T0 + 3);
    chain.finalize(idle).unwrap();
    chain.finalize(calling).unwrap();
    let stored = chain.state().storage(&contract, U256::ZERO);
    assert_eq!(B256::from(stored), idle, "BLOCKHASH saw the pending parent");
}

impl Chain {
    /// Imports `block` into a scratch copy of the pending set and reports the refusal.
    fn clone_import(&mut self, block: StoredBlock) -> String {
        let saved = self.pending.clone();
        let error = self
            .import(block)
            .expect_err("the block is refused")
            .to_string();
        self.pending = saved;
        error
    }
}

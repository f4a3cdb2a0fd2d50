//! The authenticated world state: accounts, storage and code, with Ethereum's state root.
//!
//! The state root is the root of Ethereum's Merkle-Patricia trie over `keccak(address)` →
//! `rlp([nonce, balance, storage_root, code_hash])`, each storage root the trie over
//! `keccak(slot)` → `rlp(value)`. Using Ethereum's exact trie means `eth_getProof` answers
//! are checkable by any Ethereum light client, and sidechains and Kepler Route can rely on
//! them.
//!
//! [`WorldState`] holds the latest state in memory, indexed by hashed key so the trie can be
//! hashed in key order; [`crate::store`] persists every change with its block. Storage roots
//! are cached per account and recomputed only for accounts whose storage changed; the account
//! trie is rehashed each block, which is linear in the number of accounts.

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieAccount, proof::ProofRetainer};
use std::collections::{BTreeMap, HashMap};

/// Balance, nonce and code of an account, without its storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    pub nonce: u64,
    pub balance: U256,
    pub code_hash: B256,
}

impl Default for AccountInfo {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK256_EMPTY,
        }
    }
}

impl AccountInfo {
    /// EIP-161: an account with no nonce, no balance and no code is as good as absent.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == KECCAK256_EMPTY
    }
}

/// The change a block makes to one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountChange {
    /// The account no longer exists (self-destructed or emptied); its storage is gone.
    Deleted,
    /// The account's new info and changed storage slots (a zero value removes the slot).
    Updated {
        info: AccountInfo,
        /// The account was (re)created: slots not listed are gone.
        storage_cleared: bool,
        storage: BTreeMap<U256, U256>,
    },
}

/// Everything one block changes in the state; applied to memory and disk together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDiff {
    pub accounts: BTreeMap<Address, AccountChange>,
    pub code: BTreeMap<B256, Bytes>,
}

#[derive(Clone, Debug, Default)]
struct AccountEntry {
    info: AccountInfo,
    /// keccak(slot) → (slot, value); ordered by hashed key for the trie.
    storage: BTreeMap<B256, (U256, U256)>,
    /// None while the storage changed since the root was last computed.
    storage_root: Option<B256>,
}

impl AccountEntry {
    fn storage_root(&mut self) -> B256 {
        *self
            .storage_root
            .get_or_insert_with(|| storage_trie_root(&self.storage, None).0)
    }
}

/// An account with its proofs against a state root (the body of `eth_getProof`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProof {
    pub address: Address,
    pub info: AccountInfo,
    pub storage_root: B256,
    pub account_proof: Vec<Bytes>,
    pub storage_proofs: Vec<StorageProof>,
}

/// One storage slot's value with its proof against the account's storage root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageProof {
    pub key: B256,
    pub value: U256,
    pub proof: Vec<Bytes>,
}

/// The latest world state.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    accounts: HashMap<Address, AccountEntry>,
    /// keccak(address) → address, in trie order.
    by_hashed_key: BTreeMap<B256, Address>,
    code: HashMap<B256, Bytes>,
}

impl WorldState {
    /// The account's info, if it exists.
    pub fn account(&self, address: &Address) -> Option<AccountInfo> {
        self.accounts.get(address).map(|entry| entry.info)
    }

    /// The value of a storage slot (zero when unset).
    pub fn storage(&self, address: &Address, slot: U256) -> U256 {
        self.accounts
            .get(address)
            .and_then(|entry| entry.storage.get(&keccak256(slot.to_be_bytes::<32>())))
            .map_or(U256::ZERO, |(_, value)| *value)
    }

    /// Code by its hash; the empty hash maps to empty code.
    pub fn code(&self, code_hash: &B256) -> Option<Bytes> {
        if *code_hash == KECCAK256_EMPTY {
            return Some(Bytes::new());
        }
        self.code.get(code_hash).cloned()
    }

    /// The set slots of an account.
    pub fn storage_slots(&self, address: &Address) -> Vec<U256> {
        self.accounts.get(address).map_or_else(Vec::new, |entry| {
            entry.storage.values().map(|(slot, _)| *slot).collect()
        })
    }

    /// Number of existing accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Applies a block's changes.
    pub fn apply(&mut self, diff: &StateDiff) {
        for (hash, code) in &diff.code {
            self.code.insert(*hash, code.clone());
        }
        for (address, change) in &diff.accounts {
            match change {
                AccountChange::Deleted => self.remove_account(address),
                AccountChange::Updated {
                    info,
                    storage_cleared,
                    storage,
                } => {
                    let entry = self.entry(*address);
                    entry.info = *info;
                    if *storage_cleared {
                        entry.storage.clear();
                        entry.storage_root = None;
                    }
                    for (slot, value) in storage {
                        set_slot(entry, *slot, *value);
                    }
                }
            }
        }
    }

    /// Inserts or replaces an account's info (used to load genesis and stored state).
    pub fn set_account(&mut self, address: Address, info: AccountInfo) {
        self.entry(address).info = info;
    }

    /// Sets one storage slot (used to load genesis and stored state).
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        set_slot(self.entry(address), slot, value);
    }

    /// Registers code under its hash.
    pub fn insert_code(&mut self, code: Bytes) -> B256 {
        let hash = keccak256(&code);
        self.code.insert(hash, code);
        hash
    }

    fn entry(&mut self, address: Address) -> &mut AccountEntry {
        self.accounts.entry(address).or_insert_with(|| {
            self.by_hashed_key.insert(keccak256(address), address);
            AccountEntry::default()
        })
    }

    fn remove_account(&mut self, address: &Address) {
        if self.accounts.remove(address).is_some() {
            self.by_hashed_key.remove(&keccak256(address));
        }
    }

    /// The state root; refreshes cached storage roots of changed accounts.
    pub fn state_root(&mut self) -> B256 {
        for entry in self.accounts.values_mut() {
            entry.storage_root();
        }
        self.account_trie(None).0
    }

    /// Proves an account and some of its storage slots against [`WorldState::state_root`].
    pub fn proof(&self, address: Address, slots: &[B256]) -> AccountProof {
        let (_, account_proof) = self.account_trie(Some(keccak256(address)));
        let entry = self.accounts.get(&address);
        let empty = BTreeMap::new();
        let storage = entry.map_or(&empty, |e| &e.storage);
        let storage_proofs = slots
            .iter()
            .map(|key| {
                let hashed = keccak256(key);
                let (_, proof) = storage_trie_root(storage, Some(hashed));
                let value = storage.get(&hashed).map_or(U256::ZERO, |(_, v)| *v);
                StorageProof {
                    key: *key,
                    value,
                    proof,
                }
            })
            .collect();
        AccountProof {
            address,
            info: entry.map(|e| e.info).unwrap_or_default(),
            storage_root: entry.map_or(EMPTY_ROOT_HASH, |e| {
                e.storage_root
                    .unwrap_or_else(|| storage_trie_root(&e.storage, None).0)
            }),
            account_proof,
            storage_proofs,
        }
    }

    fn account_trie(&self, target: Option<B256>) -> (B256, Vec<Bytes>) {
        let leaves = self.by_hashed_key.iter().map(|(hashed, address)| {
            let entry = &self.accounts[address];
            let storage_root = entry
                .storage_root
                .unwrap_or_else(|| storage_trie_root(&entry.storage, None).0);
            let account = TrieAccount {
                nonce: entry.info.nonce,
                balance: entry.info.balance,
                storage_root,
                code_hash: entry.info.code_hash,
            };
            (*hashed, alloy_rlp::encode(account))
        });
        trie_root(leaves, target)
    }
}

fn set_slot(entry: &mut AccountEntry, slot: U256, value: U256) {
    let hashed = keccak256(slot.to_be_bytes::<32>());
    if value.is_zero() {
        entry.storage.remove(&hashed);
    } else {
        entry.storage.insert(hashed, (slot, value));
    }
    entry.storage_root = None;
}

fn storage_trie_root(
    storage: &BTreeMap<B256, (U256, U256)>,
    target: Option<B256>,
) -> (B256, Vec<Bytes>) {
    let leaves = storage
        .iter()
        .map(|(hashed, (_, value))| (*hashed, alloy_rlp::encode(value)));
    trie_root(leaves, target)
}

/// Hashes a trie from leaves in ascending key order, keeping the proof of `target` if given.
fn trie_root(
    leaves: impl Iterator<Item = (B256, Vec<u8>)>,
    target: Option<B256>,
) -> (B256, Vec<Bytes>) {
    let target = target.map(Nibbles::unpack);
    let mut builder = HashBuilder::default();
    if let Some(target) = &target {
        builder = builder.with_proof_retainer(ProofRetainer::new(vec![*target]));
    }
    for (key, value) in leaves {
        builder.add_leaf(Nibbles::unpack(key), &value);
    }
    let root = builder.root();
    let proof = match &target {
        Some(target) => builder
            .take_proof_nodes()
            .matching_nodes_sorted(target)
            .into_iter()
            .map(|(_, node)| node)
            .collect(),
        None => Vec::new(),
    };
    (root, proof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::root::state_root_unhashed;

    fn funded(n: u8) -> WorldState {
        let mut state = WorldState::default();
        for i in 0..n {
            let info = AccountInfo {
                nonce: i as u64,
                balance: U256::from(1000 + i as u64),
                ..Default::default()
            };
            state.set_account(Address::repeat_byte(i + 1), info);
        }
        state
    }

    #[test]
    fn empty_state_has_the_empty_trie_root() {
        assert_eq!(WorldState::default().state_root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn state_root_matches_alloy_reference_computation() {
        let mut state = funded(20);
        let reference = state_root_unhashed((0..20u8).map(|i| {
            let account = TrieAccount {
                nonce: i as u64,
                balance: U256::from(1000 + i as u64),
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK256_EMPTY,
            };
            (Address::repeat_byte(i + 1), account)
        }));
        assert_eq!(state.state_root(), reference);
    }

    #[test]
    fn storage_changes_move_the_root_and_zero_values_remove_slots() {
        let mut state = funded(3);
        let before = state.state_root();
        let who = Address::repeat_byte(1);
        state.set_storage(who, U256::from(7), U256::from(9));
        let with_slot = state.state_root();
        assert_ne!(before, with_slot);
        assert_eq!(state.storage(&who, U256::from(7)), U256::from(9));
        state.set_storage(who, U256::from(7), U256::ZERO);
        assert_eq!(state.state_root(), before);
    }

    #[test]
    fn deleting_an_account_removes_it_from_the_root() {
        let mut state = funded(2);
        let before = state.state_root();
        let mut diff = StateDiff::default();
        diff.accounts.insert(
            Address::repeat_byte(9),
            AccountChange::Updated {
                info: AccountInfo {
                    balance: U256::from(1),
                    ..Default::default()
                },
                storage_cleared: false,
                storage: BTreeMap::new(),
            },
        );
        state.apply(&diff);
        assert_ne!(state.state_root(), before);
        let mut delete = StateDiff::default();
        delete
            .accounts
            .insert(Address::repeat_byte(9), AccountChange::Deleted);
        state.apply(&delete);
        assert_eq!(state.state_root(), before);
    }
}

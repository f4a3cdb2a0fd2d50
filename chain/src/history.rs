//! Past states, rebuilt from the latest one: what each block overwrote.
//!
//! The node keeps one world state, the latest. To replay a past block (for
//! `debug_traceTransaction`) it needs the state before that block, so every block also
//! stores a reverse changeset, a [`StateUndo`]: the info each changed account had before the
//! block (or that it did not exist), and the value each changed or cleared storage slot had.
//! It is written in the same atomic commit as the block, so a stored block always has it.
//!
//! The state before block `N` is the latest state with the undo records of blocks `N..=head`
//! laid over it ([`PastState`]). Where several blocks changed the same account or slot, the
//! record of the lowest block wins: it holds the value from before block `N`, since no block
//! between `N` and it touched that key. Keys no block since `N` changed still hold their
//! latest value. Code is stored by hash and never removed, so it needs no undo.

use crate::execution::{LedgerDb, StateReadError};
use crate::state::{AccountChange, AccountInfo, StateDiff, WorldState};
use alloy_primitives::{Address, B256, U256};
use revm::database_interface::DatabaseRef;
use revm::state::{AccountInfo as RevmAccountInfo, Bytecode};
use std::collections::{BTreeMap, HashMap};

/// What one block overwrote in the state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateUndo {
    pub accounts: BTreeMap<Address, AccountUndo>,
}

/// One account as it was before a block changed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountUndo {
    /// `None`: the account did not exist.
    pub info: Option<AccountInfo>,
    /// Previous values of the slots the block changed or cleared (zero: unset).
    pub storage: BTreeMap<U256, U256>,
}

impl StateUndo {
    /// What applying `diff` (and clearing `cleared`) to `state` is about to overwrite.
    pub fn capture(state: &WorldState, diff: &StateDiff, cleared: &[(Address, U256)]) -> Self {
        let mut accounts: BTreeMap<Address, AccountUndo> = diff
            .accounts
            .iter()
            .map(|(address, change)| {
                let storage = match change {
                    AccountChange::Updated { storage, .. } => storage
                        .keys()
                        .map(|slot| (*slot, state.storage(address, *slot)))
                        .collect(),
                    AccountChange::Deleted => BTreeMap::new(),
                };
                let info = state.account(address);
                (*address, AccountUndo { info, storage })
            })
            .collect();
        for (address, slot) in cleared {
            accounts
                .entry(*address)
                .or_insert_with(|| AccountUndo {
                    info: state.account(address),
                    storage: BTreeMap::new(),
                })
                .storage
                .insert(*slot, state.storage(address, *slot));
        }
        Self { accounts }
    }

    /// Puts back in `state` what the diff this undo was captured for overwrote, leaving
    /// `state` as it was before the diff (code, stored by hash, stays).
    pub fn revert(&self, state: &mut WorldState) {
        let mut diff = StateDiff::default();
        for (address, undo) in &self.accounts {
            let change = match undo.info {
                None => AccountChange::Deleted,
                Some(info) => AccountChange::Updated {
                    info,
                    storage_cleared: false,
                    storage: undo.storage.clone(),
                },
            };
            diff.accounts.insert(*address, change);
        }
        state.apply(&diff);
    }

    /// A compact, fixed-layout encoding: per account its address, a presence byte, the
    /// 72-byte info when present, a slot count and 64 bytes per slot.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.accounts.len() as u32).to_be_bytes());
        for (address, undo) in &self.accounts {
            out.extend_from_slice(address.as_slice());
            match &undo.info {
                None => out.push(0),
                Some(info) => {
                    out.push(1);
                    out.extend_from_slice(&info.nonce.to_be_bytes());
                    out.extend_from_slice(&info.balance.to_be_bytes::<32>());
                    out.extend_from_slice(info.code_hash.as_slice());
                }
            }
            out.extend_from_slice(&(undo.storage.len() as u32).to_be_bytes());
            for (slot, value) in &undo.storage {
                out.extend_from_slice(&slot.to_be_bytes::<32>());
                out.extend_from_slice(&value.to_be_bytes::<32>());
            }
        }
        out
    }

    /// Reads [`StateUndo::encode`]'s layout back; `Err` names what is malformed.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = Reader(bytes);
        let mut accounts = BTreeMap::new();
        for _ in 0..reader.u32()? {
            let address = Address::from_slice(reader.take(20)?);
            let info = match reader.take(1)?[0] {
                0 => None,
                1 => Some(AccountInfo {
                    nonce: u64::from_be_bytes(reader.take(8)?.try_into().expect("8 bytes")),
                    balance: U256::from_be_slice(reader.take(32)?),
                    code_hash: B256::from_slice(reader.take(32)?),
                }),
                other => return Err(format!("account presence byte {other}")),
            };
            let mut storage = BTreeMap::new();
            for _ in 0..reader.u32()? {
                let slot = U256::from_be_slice(reader.take(32)?);
                storage.insert(slot, U256::from_be_slice(reader.take(32)?));
            }
            accounts.insert(address, AccountUndo { info, storage });
        }
        if !reader.0.is_empty() {
            return Err(format!("{} trailing bytes", reader.0.len()));
        }
        Ok(Self { accounts })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "truncated: wanted {n} bytes, {} left",
                self.0.len()
            ));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

/// The accounts and slots whose values before some block differ from the latest state.
#[derive(Clone, Debug, Default)]
pub struct PastState {
    accounts: HashMap<Address, Option<AccountInfo>>,
    storage: HashMap<(Address, U256), U256>,
}

impl PastState {
    /// Lays the undo records of blocks `N..=head` over the latest state, given in order
    /// from block `N` upward: the first record of a key is the one that counts.
    pub fn from_undos(undos_from_oldest: impl IntoIterator<Item = StateUndo>) -> Self {
        let mut past = Self::default();
        for undo in undos_from_oldest {
            for (address, account) in undo.accounts {
                past.accounts.entry(address).or_insert(account.info);
                for (slot, value) in account.storage {
                    past.storage.entry((address, slot)).or_insert(value);
                }
            }
        }
        past
    }
}

/// revm's view of a past state: [`PastState`] over the latest [`LedgerDb`].
#[derive(Clone, Copy)]
pub struct HistoricalDb<'a> {
    pub latest: LedgerDb<'a>,
    pub past: &'a PastState,
}

impl DatabaseRef for HistoricalDb<'_> {
    type Error = StateReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<RevmAccountInfo>, Self::Error> {
        match self.past.accounts.get(&address) {
            Some(info) => Ok(info.map(|info| RevmAccountInfo {
                balance: info.balance,
                nonce: info.nonce,
                code_hash: info.code_hash,
                code: None,
                ..Default::default()
            })),
            None => self.latest.basic_ref(address),
        }
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.latest.code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        match self.past.storage.get(&(address, index)) {
            Some(value) => Ok(*value),
            None => self.latest.storage_ref(address, index),
        }
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.latest.block_hash_ref(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(nonce: u64) -> AccountInfo {
        AccountInfo {
            nonce,
            ..Default::default()
        }
    }

    fn updated(nonce: u64, slots: &[(u64, u64)], cleared: bool) -> AccountChange {
        AccountChange::Updated {
            info: info(nonce),
            storage_cleared: cleared,
            storage: slots
                .iter()
                .map(|(s, v)| (U256::from(*s), U256::from(*v)))
                .collect(),
        }
    }

    #[test]
    fn an_undo_record_survives_encoding() {
        let mut undo = StateUndo::default();
        undo.accounts
            .insert(Address::repeat_byte(1), AccountUndo::default());
        undo.accounts.insert(
            Address::repeat_byte(2),
            AccountUndo {
                info: Some(info(7)),
                storage: [(U256::from(1), U256::from(9))].into(),
            },
        );
        let bytes = undo.encode();
        assert_eq!(StateUndo::decode(&bytes).unwrap(), undo);
        assert!(StateUndo::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    /// Three blocks change one account; the state before the first is rebuilt exactly.
    #[test]
    fn undoing_blocks_from_the_head_down_restores_the_earlier_state() {
        let a = Address::repeat_byte(0xaa);
        let mut state = WorldState::default();
        let mut undos = Vec::new();
        let blocks = [
            updated(1, &[(1, 10), (2, 20)], false),
            updated(2, &[(1, 11), (3, 30)], false),
            AccountChange::Deleted,
            updated(1, &[(4, 40)], true),
        ];
        let mut snapshots = Vec::new();
        for change in blocks {
            snapshots.push(state.clone());
            let diff = StateDiff {
                accounts: [(a, change)].into(),
                ..Default::default()
            };
            let cleared: Vec<_> = match &diff.accounts[&a] {
                AccountChange::Deleted => state.storage_slots(&a),
                AccountChange::Updated {
                    storage_cleared: true,
                    storage,
                    ..
                } => state
                    .storage_slots(&a)
                    .into_iter()
                    .filter(|s| !storage.contains_key(s))
                    .collect(),
                AccountChange::Updated { .. } => Vec::new(),
            }
            .into_iter()
            .map(|slot| (a, slot))
            .collect();
            undos.push(StateUndo::capture(&state, &diff, &cleared));
            state.apply(&diff);
        }
        for (n, before) in snapshots.iter().enumerate() {
            let past = PastState::from_undos(undos[n..].iter().cloned());
            let account = past.accounts.get(&a).copied().unwrap_or(state.account(&a));
            assert_eq!(account, before.account(&a), "account before block {n}");
            for slot in 1..=4u64 {
                let slot = U256::from(slot);
                let value = past
                    .storage
                    .get(&(a, slot))
                    .copied()
                    .unwrap_or(state.storage(&a, slot));
                assert_eq!(
                    value,
                    before.storage(&a, slot),
                    "slot {slot} before block {n}"
                );
            }
        }
    }
}

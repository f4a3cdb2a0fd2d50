//! Durable storage of blocks, receipts, indexes and state in parity-db.
//!
//! One [`Store::commit_block`] writes a block, its receipts, its transaction index entries,
//! its state changes and the new head in one parity-db commit, so a block and its state are
//! never half written. parity-db applies commits on a background thread; a node that told a
//! client about a block must not lose it to `kill -9`, so the store runs with that thread off
//! and drives the pipeline (queue → write-ahead log → fsync → tables) itself before
//! `commit_block` returns.

use crate::genesis::Genesis;
use crate::history::StateUndo;
use crate::state::{AccountChange, AccountInfo, StateDiff, WorldState};
use alloy_consensus::{Block, ReceiptEnvelope, TxEnvelope};
use alloy_eips::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Decodable;
use parity_db::{ColumnOptions, Db, Options};
use std::path::Path;

/// A block as stored: transactions in network encoding, senders recovered at import.
pub type StoredBlock = Block<TxEnvelope>;

mod col {
    pub const META: u8 = 0;
    pub const BLOCKS: u8 = 1;
    pub const SENDERS: u8 = 2;
    pub const CANONICAL: u8 = 3;
    pub const RECEIPTS: u8 = 4;
    pub const TX_INDEX: u8 = 5;
    pub const ACCOUNTS: u8 = 6;
    pub const STORAGE: u8 = 7;
    pub const CODE: u8 = 8;
    pub const COUNT: u8 = 9;
}

const HEAD_KEY: &[u8] = b"head";
const GENESIS_KEY: &[u8] = b"genesis";
/// Prefix of a block's reverse changeset in the META column, followed by the block hash.
/// META rather than a column of its own, so data directories from before keep opening.
const UNDO_PREFIX: &[u8] = b"undo";

fn undo_key(hash: &B256) -> Vec<u8> {
    [UNDO_PREFIX, hash.as_slice()].concat()
}

/// Prefix of a block's finality proof in the META column, followed by the block hash.
const FINALITY_PREFIX: &[u8] = b"final";

fn finality_key(hash: &B256) -> Vec<u8> {
    [FINALITY_PREFIX, hash.as_slice()].concat()
}

/// Storage failures. Any of these means the data directory cannot be trusted as it is.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] parity_db::Error),
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
}

fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

/// Where a transaction sits in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub block_number: u64,
    pub index: u32,
}

/// What one block adds to the store.
pub struct BlockWrite<'a> {
    pub block: &'a StoredBlock,
    pub hash: B256,
    pub senders: &'a [Address],
    pub receipts: &'a [ReceiptEnvelope],
    pub diff: &'a StateDiff,
    /// Slots that vanish because their account was deleted or recreated.
    pub cleared_slots: &'a [(Address, U256)],
    /// What the block overwrote, to rebuild the state before it (none for genesis).
    pub undo: Option<&'a StateUndo>,
}

/// The parity-db database of one chain.
pub struct Store {
    db: Db,
}

impl Store {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(path).map_err(|source| StoreError::CreateDir {
            path: path.display().to_string(),
            source,
        })?;
        let mut options = Options::with_columns(path, col::COUNT);
        options.with_background_thread = false;
        for btree in [col::ACCOUNTS, col::STORAGE, col::CODE] {
            options.columns[btree as usize] = ColumnOptions {
                btree_index: true,
                ..Default::default()
            };
        }
        let db = Db::open_or_create(&options)?;
        Ok(Self { db })
    }

    /// The genesis this database was created with, if any.
    pub fn genesis(&self) -> Result<Option<Genesis>, StoreError> {
        let Some(bytes) = self.db.get(col::META, GENESIS_KEY)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| corrupt("genesis", e))
    }

    /// The canonical head: number and hash.
    pub fn head(&self) -> Result<Option<(u64, B256)>, StoreError> {
        let Some(bytes) = self.db.get(col::META, HEAD_KEY)? else {
            return Ok(None);
        };
        if bytes.len() != 40 {
            return Err(corrupt("head", format!("{} bytes", bytes.len())));
        }
        let number = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        Ok(Some((number, B256::from_slice(&bytes[8..]))))
    }

    /// Hash of the canonical block at `number`.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        Ok(self
            .db
            .get(col::CANONICAL, &number.to_be_bytes())?
            .map(|bytes| B256::from_slice(&bytes)))
    }

    /// A block by hash.
    pub fn block(&self, hash: &B256) -> Result<Option<StoredBlock>, StoreError> {
        let Some(bytes) = self.db.get(col::BLOCKS, hash.as_slice())? else {
            return Ok(None);
        };
        StoredBlock::decode(&mut bytes.as_slice())
            .map(Some)
            .map_err(|e| corrupt("block", e))
    }

    /// Encoded size of a block, for the RPC's `size` field.
    pub fn block_size(&self, hash: &B256) -> Result<Option<u32>, StoreError> {
        Ok(self.db.get_size(col::BLOCKS, hash.as_slice())?)
    }

    /// The senders of a block's transactions, in order.
    pub fn senders(&self, hash: &B256) -> Result<Vec<Address>, StoreError> {
        let bytes = self
            .db
            .get(col::SENDERS, hash.as_slice())?
            .unwrap_or_default();
        if bytes.len() % 20 != 0 {
            return Err(corrupt("senders", format!("{} bytes", bytes.len())));
        }
        Ok(bytes.chunks(20).map(Address::from_slice).collect())
    }

    /// A block's receipts, in transaction order.
    pub fn receipts(&self, hash: &B256) -> Result<Vec<ReceiptEnvelope>, StoreError> {
        let Some(bytes) = self.db.get(col::RECEIPTS, hash.as_slice())? else {
            return Ok(Vec::new());
        };
        let encoded =
            Vec::<Bytes>::decode(&mut bytes.as_slice()).map_err(|e| corrupt("receipts", e))?;
        encoded
            .iter()
            .map(|r| ReceiptEnvelope::decode_2718(&mut r.as_ref()))
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt("receipt", e))
    }

    /// Where a transaction was included.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, StoreError> {
        let Some(bytes) = self.db.get(col::TX_INDEX, hash.as_slice())? else {
            return Ok(None);
        };
        if bytes.len() != 12 {
            return Err(corrupt(
                "transaction index",
                format!("{} bytes", bytes.len()),
            ));
        }
        Ok(Some(TxLocation {
            block_number: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            index: u32::from_be_bytes(bytes[8..].try_into().expect("4 bytes")),
        }))
    }

    /// What a block overwrote in the state; `None` for genesis and for blocks stored before
    /// reverse changesets were kept.
    pub fn undo(&self, hash: &B256) -> Result<Option<StateUndo>, StoreError> {
        let Some(bytes) = self.db.get(col::META, &undo_key(hash))? else {
            return Ok(None);
        };
        StateUndo::decode(&bytes)
            .map(Some)
            .map_err(|e| corrupt("reverse changeset", e))
    }

    /// Consensus's proof that block `hash` is final, if one was recorded.
    pub fn finality_proof(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(col::META, &finality_key(hash))?)
    }

    /// Records consensus's proof that block `hash` is final; opaque here (the engine's
    /// certificate format). Written after the block itself: a crash in between leaves a
    /// final block without a proof, which a later block's proof covers.
    pub fn put_finality_proof(&self, hash: &B256, proof: &[u8]) -> Result<(), StoreError> {
        self.commit(vec![(col::META, finality_key(hash), Some(proof.to_vec()))])
    }

    /// Reads the whole latest state into memory.
    pub fn load_state(&self) -> Result<WorldState, StoreError> {
        let mut state = WorldState::default();
        let mut accounts = self.db.iter(col::ACCOUNTS)?;
        accounts.seek_to_first()?;
        while let Some((key, value)) = accounts.next()? {
            state.set_account(Address::from_slice(&key), decode_account(&value)?);
        }
        let mut storage = self.db.iter(col::STORAGE)?;
        storage.seek_to_first()?;
        while let Some((key, value)) = storage.next()? {
            if key.len() != 52 || value.len() != 32 {
                return Err(corrupt("storage slot", format!("key {} bytes", key.len())));
            }
            let address = Address::from_slice(&key[..20]);
            let slot = U256::from_be_slice(&key[20..]);
            state.set_storage(address, slot, U256::from_be_slice(&value));
        }
        let mut code = self.db.iter(col::CODE)?;
        code.seek_to_first()?;
        while let Some((_, value)) = code.next()? {
            state.insert_code(value.into());
        }
        Ok(state)
    }

    /// Writes genesis: its description, block zero and its state.
    pub fn commit_genesis(
        &self,
        genesis: &Genesis,
        block: &StoredBlock,
        hash: B256,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let mut ops = Vec::new();
        let json = serde_json::to_vec(genesis).expect("a genesis always serializes");
        ops.push((col::META, GENESIS_KEY.to_vec(), Some(json)));
        let write = BlockWrite {
            block,
            hash,
            senders: &[],
            receipts: &[],
            diff,
            cleared_slots: &[],
            undo: None,
        };
        self.block_ops(&write, &mut ops);
        self.commit(ops)
    }

    /// Writes one block with everything it changes and makes it the head, atomically and
    /// durably: when this returns, `kill -9` can no longer lose the block.
    pub fn commit_block(&self, write: &BlockWrite) -> Result<(), StoreError> {
        let mut ops = Vec::new();
        self.block_ops(write, &mut ops);
        self.commit(ops)
    }

    fn block_ops(&self, write: &BlockWrite, ops: &mut Vec<Op>) {
        let number = write.block.header.number;
        let hash = write.hash.as_slice().to_vec();
        ops.push((
            col::BLOCKS,
            hash.clone(),
            Some(alloy_rlp::encode(write.block)),
        ));
        let senders: Vec<u8> = write.senders.iter().flat_map(|a| a.0).collect();
        ops.push((col::SENDERS, hash.clone(), Some(senders)));
        let receipts: Vec<Bytes> = write
            .receipts
            .iter()
            .map(|r| r.encoded_2718().into())
            .collect();
        ops.push((
            col::RECEIPTS,
            hash.clone(),
            Some(alloy_rlp::encode(&receipts)),
        ));
        for (index, tx) in write.block.body.transactions.iter().enumerate() {
            let mut location = number.to_be_bytes().to_vec();
            location.extend_from_slice(&(index as u32).to_be_bytes());
            ops.push((col::TX_INDEX, tx.tx_hash().to_vec(), Some(location)));
        }
        state_ops(write, ops);
        if let Some(undo) = write.undo {
            ops.push((col::META, undo_key(&write.hash), Some(undo.encode())));
        }
        ops.push((
            col::CANONICAL,
            number.to_be_bytes().to_vec(),
            Some(hash.clone()),
        ));
        let mut head = number.to_be_bytes().to_vec();
        head.extend_from_slice(&hash);
        ops.push((col::META, HEAD_KEY.to_vec(), Some(head)));
    }

    /// The work parity-db's background threads would do, done here in order: queue the
    /// commit into the log, write and fsync the log, apply it to the tables, advance any
    /// index growth (reindex) the same way, and drop logs already applied.
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        self.db.commit(ops)?;
        self.db.process_commits()?;
        self.db.flush_logs()?;
        self.db.enact_logs()?;
        self.db.process_reindex()?;
        self.db.flush_logs()?;
        self.db.enact_logs()?;
        self.db.clean_logs()?;
        Ok(())
    }
}

type Op = (u8, Vec<u8>, Option<Vec<u8>>);

fn state_ops(write: &BlockWrite, ops: &mut Vec<Op>) {
    for (hash, code) in &write.diff.code {
        ops.push((col::CODE, hash.to_vec(), Some(code.to_vec())));
    }
    for (address, slot) in write.cleared_slots {
        ops.push((col::STORAGE, storage_key(address, *slot), None));
    }
    for (address, change) in &write.diff.accounts {
        match change {
            AccountChange::Deleted => ops.push((col::ACCOUNTS, address.to_vec(), None)),
            AccountChange::Updated { info, storage, .. } => {
                ops.push((col::ACCOUNTS, address.to_vec(), Some(encode_account(info))));
                for (slot, value) in storage {
                    let value = (!value.is_zero()).then(|| value.to_be_bytes::<32>().to_vec());
                    ops.push((col::STORAGE, storage_key(address, *slot), value));
                }
            }
        }
    }
}

fn storage_key(address: &Address, slot: U256) -> Vec<u8> {
    let mut key = address.to_vec();
    key.extend_from_slice(&slot.to_be_bytes::<32>());
    key
}

fn encode_account(info: &AccountInfo) -> Vec<u8> {
    let mut out = Vec::with_capacity(72);
    out.extend_from_slice(&info.nonce.to_be_bytes());
    out.extend_from_slice(&info.balance.to_be_bytes::<32>());
    out.extend_from_slice(info.code_hash.as_slice());
    out
}

fn decode_account(bytes: &[u8]) -> Result<AccountInfo, StoreError> {
    if bytes.len() != 72 {
        return Err(corrupt("account", format!("{} bytes", bytes.len())));
    }
    Ok(AccountInfo {
        nonce: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
        balance: U256::from_be_slice(&bytes[8..40]),
        code_hash: B256::from_slice(&bytes[40..]),
    })
}

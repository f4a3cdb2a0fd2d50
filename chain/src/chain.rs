//! The canonical chain: head, world state and the store behind them.
//!
//! [`Chain`] is the only writer of blocks. A block is first *proposed* ([`Chain::propose`],
//! or [`Chain::import`] for one made elsewhere): executed on its parent and sealed with a
//! header that commits to the transactions, receipts, logs bloom and state root, then kept
//! pending ([`pending`]). [`Chain::finalize`] commits it, block and state, to disk in one
//! atomic write before the new head becomes visible. A single node does both at once
//! ([`Chain::build_block`]); under BFT consensus the two steps are a round apart. On open it
//! checks that the stored state hashes to the head's state root, so a damaged data directory
//! is refused instead of served.

mod pending;
pub use pending::{ImportError, InvalidBlock, PendingBlock, ProposedBlock};

use crate::config::ChainConfig;
use crate::execution::{BlockContext, LedgerDb, WasmRuntime};
use crate::genesis::Genesis;
use crate::history::PastState;
use crate::state::{AccountChange, AccountInfo, StateDiff, WorldState};
use crate::store::{Store, StoreError, StoredBlock, TxLocation};
use crate::token::VestingSchedule;
use crate::tx::{TxError, VerifiedTx};
use alloy_consensus::{BlockBody, EMPTY_OMMER_ROOT_HASH, Header, ReceiptEnvelope};
use alloy_primitives::{Address, B256, U256, keccak256};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// How many blocks behind the head past state is rebuilt for (tracing).
pub const MAX_STATE_HISTORY: u64 = 1024;

/// Failures of the chain itself (not of a transaction).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Genesis(#[from] crate::genesis::GenesisError),
    #[error(
        "the data directory holds another chain (genesis {stored}), not the one requested (genesis {requested}); use another --data-dir"
    )]
    GenesisMismatch { stored: B256, requested: B256 },
    #[error(
        "stored state does not match the head's state root: computed {computed}, header says {expected}"
    )]
    StateRootMismatch { computed: B256, expected: B256 },
    #[error("stored head block {0} is missing")]
    MissingHead(B256),
    #[error("the state before block {number} cannot be rebuilt: {reason}")]
    NoStateBefore { number: u64, reason: String },
    #[error(transparent)]
    ShieldedPool(#[from] crate::shielded::PoolKeyError),
    #[error("block {number}'s end-of-block step failed: {reason}")]
    EndOfBlock { number: u64, reason: String },
    #[error("block {0} is neither the head nor a pending block")]
    UnknownParent(B256),
    #[error("block {0} is not pending (never proposed or imported, or pruned)")]
    NotPending(B256),
    #[error("block {block} cannot be finalized: its parent {parent} is not the head {head}")]
    NotChildOfHead {
        block: B256,
        parent: B256,
        head: B256,
    },
    #[error(
        "this chain's blocks carry their proposer's VRF seal (staking proposerVrf), and no \
         validator keys were given to seal with"
    )]
    SealerMissing,
    #[error(
        "validator keys were given to seal a block with, but this chain's blocks carry no seal \
         (staking proposerVrf is off)"
    )]
    SealNotTaken,
    #[error("block {number} cannot be sealed: {reason}")]
    Seal {
        number: u64,
        reason: crate::staking::seal::SealError,
    },
}

/// A block with its hash and the senders of its transactions.
#[derive(Clone, Debug)]
pub struct SealedBlock {
    pub hash: B256,
    pub block: StoredBlock,
    pub senders: Vec<Address>,
}

/// What building a block did.
#[derive(Debug)]
pub struct BuiltBlock {
    pub hash: B256,
    pub number: u64,
    /// Transactions that could not be included, with the reason.
    pub rejected: Vec<(VerifiedTx, TxError)>,
}

/// The canonical chain of one engine instance.
pub struct Chain {
    genesis: Genesis,
    vesting: BTreeMap<Address, VestingSchedule>,
    store: Store,
    state: WorldState,
    head: Header,
    head_hash: B256,
    /// Compiled WASM contracts stay cached across blocks and calls.
    wasm: Arc<WasmRuntime>,
    /// Blocks executed on the head or on each other, not yet final, by hash.
    pending: HashMap<B256, PendingBlock>,
}

impl Chain {
    /// Opens the chain in `path`, creating it from `genesis` if the directory is new.
    pub fn open(path: &Path, genesis: Genesis) -> Result<Self, ChainError> {
        genesis.validate()?;
        if let Some(pool) = &genesis.config.shielded_pool {
            crate::shielded::keys::load(pool, genesis.config.chain_id)?;
        }
        let store = Store::open(path)?;
        let (genesis_block, genesis_diff) = genesis_block(&genesis);
        let genesis_hash = genesis_block.header.hash_slow();
        if let Some(stored) = store.genesis()? {
            let stored_hash = genesis_block_hash(&stored);
            if stored_hash != genesis_hash {
                return Err(ChainError::GenesisMismatch {
                    stored: stored_hash,
                    requested: genesis_hash,
                });
            }
        } else {
            store.commit_genesis(&genesis, &genesis_block, genesis_hash, &genesis_diff)?;
        }
        let (_, head_hash) = store.head()?.ok_or(ChainError::MissingHead(genesis_hash))?;
        let head = store
            .block(&head_hash)?
            .ok_or(ChainError::MissingHead(head_hash))?
            .header;
        let mut state = store.load_state()?;
        let computed = state.state_root();
        if computed != head.state_root {
            return Err(ChainError::StateRootMismatch {
                computed,
                expected: head.state_root,
            });
        }
        Ok(Self {
            vesting: genesis.vesting(),
            genesis,
            store,
            state,
            head,
            head_hash,
            wasm: Arc::default(),
            pending: HashMap::new(),
        })
    }

    /// The genesis a data directory was created with, if it holds a chain.
    pub fn stored_genesis(path: &Path) -> Result<Option<Genesis>, ChainError> {
        if !path.exists() {
            return Ok(None);
        }
        Ok(Store::open(path)?.genesis()?)
    }

    pub fn config(&self) -> &ChainConfig {
        &self.genesis.config
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    pub fn vesting(&self) -> &BTreeMap<Address, VestingSchedule> {
        &self.vesting
    }

    pub fn head(&self) -> &Header {
        &self.head
    }

    pub fn head_hash(&self) -> B256 {
        self.head_hash
    }

    pub fn state(&self) -> &WorldState {
        &self.state
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// revm's view of the latest state.
    pub fn ledger(&self) -> LedgerDb<'_> {
        LedgerDb {
            state: &self.state,
            block_hashes: &self.store,
            wasm: &self.wasm,
        }
    }

    /// Base fee the next block will charge.
    pub fn next_base_fee(&self) -> u64 {
        self.config().next_base_fee(
            self.head.gas_used,
            self.head.base_fee_per_gas.unwrap_or_default(),
        )
    }

    /// The context the next block executes in, at unix time `now` by `beneficiary`.
    pub fn next_block_context(&self, now: u64, beneficiary: Address) -> BlockContext {
        self.child_context(&self.head, self.head_hash, now, beneficiary)
    }

    /// Executes `candidates` in order on the latest state, seals the block and commits it:
    /// [`Chain::propose`] on the head, then [`Chain::finalize`].
    pub fn build_block(
        &mut self,
        candidates: impl IntoIterator<Item = VerifiedTx>,
        now: u64,
        beneficiary: Address,
    ) -> Result<BuiltBlock, ChainError> {
        let candidates = candidates.into_iter().collect();
        let proposed = self.propose(self.head_hash, candidates, now, beneficiary, None)?;
        self.finalize(proposed.hash)?;
        Ok(BuiltBlock {
            hash: proposed.hash,
            number: proposed.number,
            rejected: proposed.rejected,
        })
    }

    /// Hash of the canonical block at `number`.
    pub fn hash_by_number(&self, number: u64) -> Result<Option<B256>, ChainError> {
        if number > self.head.number {
            return Ok(None);
        }
        Ok(self.store.canonical_hash(number)?)
    }

    /// A canonical or stored block by hash, with its senders.
    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<SealedBlock>, ChainError> {
        let Some(block) = self.store.block(hash)? else {
            return Ok(None);
        };
        let senders = self.store.senders(hash)?;
        Ok(Some(SealedBlock {
            hash: *hash,
            block,
            senders,
        }))
    }

    /// A canonical block by number.
    pub fn block_by_number(&self, number: u64) -> Result<Option<SealedBlock>, ChainError> {
        match self.hash_by_number(number)? {
            Some(hash) => self.block_by_hash(&hash),
            None => Ok(None),
        }
    }

    /// The receipts of a block.
    pub fn receipts(&self, hash: &B256) -> Result<Vec<ReceiptEnvelope>, ChainError> {
        Ok(self.store.receipts(hash)?)
    }

    /// What differs, before canonical block `number`, from the latest state: the reverse
    /// changesets of blocks `number..=head` (see [`crate::history`]).
    pub fn state_before(&self, number: u64) -> Result<PastState, ChainError> {
        if number == 0 || number > self.head.number {
            return Err(ChainError::NoStateBefore {
                number,
                reason: "there is no such block with a parent".into(),
            });
        }
        // Rebuilding reads every changeset up to the head under the chain's lock, so how far
        // back a request may reach is bounded, as geth bounds its re-execution.
        if self.head.number - number >= MAX_STATE_HISTORY {
            return Err(ChainError::NoStateBefore {
                number,
                reason: format!(
                    "it is more than {MAX_STATE_HISTORY} blocks behind the head (#{})",
                    self.head.number
                ),
            });
        }
        let mut undos = Vec::new();
        for n in number..=self.head.number {
            let hash = self
                .hash_by_number(n)?
                .ok_or(ChainError::MissingHead(self.head_hash))?;
            let undo = self
                .store
                .undo(&hash)?
                .ok_or_else(|| ChainError::NoStateBefore {
                    number,
                    reason: format!("block {n} was stored without its reverse changeset"),
                })?;
            undos.push(undo);
        }
        Ok(PastState::from_undos(undos))
    }

    /// Where an included transaction sits.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, ChainError> {
        Ok(self.store.tx_location(hash)?)
    }
}

/// Storage slots that disappear because the diff deletes or recreates their account
/// (slots the recreated account sets again are written by the diff itself).
fn slots_cleared_by(state: &WorldState, diff: &StateDiff) -> Vec<(Address, U256)> {
    let mut cleared = Vec::new();
    for (address, change) in &diff.accounts {
        let kept = match change {
            AccountChange::Deleted => None,
            AccountChange::Updated {
                storage_cleared: true,
                storage,
                ..
            } => Some(storage),
            AccountChange::Updated { .. } => continue,
        };
        for slot in state.storage_slots(address) {
            if kept.is_none_or(|storage| !storage.contains_key(&slot)) {
                cleared.push((*address, slot));
            }
        }
    }
    cleared
}

/// Block zero and the state it creates.
fn genesis_block(genesis: &Genesis) -> (StoredBlock, StateDiff) {
    let mut diff = StateDiff::default();
    for (address, account) in &genesis.alloc {
        let mut info = AccountInfo {
            nonce: account.nonce,
            balance: account.balance,
            ..Default::default()
        };
        if let Some(code) = &account.code {
            info.code_hash = keccak256(code);
            diff.code.insert(info.code_hash, code.clone());
        }
        let storage = account
            .storage
            .iter()
            .map(|(slot, value)| (U256::from_be_bytes(slot.0), U256::from_be_bytes(value.0)))
            .collect();
        diff.accounts.insert(
            *address,
            AccountChange::Updated {
                info,
                storage_cleared: false,
                storage,
            },
        );
    }
    let mut state = WorldState::default();
    state.apply(&diff);
    let header = Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        state_root: state.state_root(),
        transactions_root: alloy_trie::EMPTY_ROOT_HASH,
        receipts_root: alloy_trie::EMPTY_ROOT_HASH,
        gas_limit: genesis.config.block_gas_limit,
        timestamp: genesis.timestamp,
        extra_data: genesis.extra_data.clone(),
        base_fee_per_gas: Some(genesis.base_fee_per_gas),
        ..Default::default()
    };
    let block = StoredBlock {
        header,
        body: BlockBody {
            transactions: Vec::new(),
            ommers: Vec::new(),
            withdrawals: None,
        },
    };
    (block, diff)
}

/// The hash of the block a genesis produces; it identifies the chain.
pub fn genesis_block_hash(genesis: &Genesis) -> B256 {
    genesis_block(genesis).0.header.hash_slow()
}

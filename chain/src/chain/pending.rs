//! Blocks executed ahead of finality: proposing on, and verifying against, a parent that
//! consensus has not finalized yet.
//!
//! A BFT round proposes block `n + 1` while block `n` may still be only notarized, so the
//! chain must execute on parents other than its head. Such blocks are *pending*: executed,
//! sealed and kept in memory with the state they change, but not written to disk and
//! invisible to RPC. [`Chain::finalize`] commits one — its parent must be the head — and
//! drops every pending block that can no longer become final (those at or below the new
//! head). Only finalized blocks reach the store, so a restart loses pending blocks, which
//! consensus re-proposes or re-sends.
//!
//! No copy of the world state is made. To execute on a pending parent, the diffs of the
//! pending blocks between the head and that parent are laid over the head's state, each
//! with the reverse changeset that undoes it; after execution the changesets are applied
//! in reverse and the head's state is back exactly as it was. The work is proportional
//! to what the pending blocks changed, not to the size of the state.

use super::{Chain, ChainError, slots_cleared_by};
use crate::execution::{
    BlockContext, BlockExecutor, BlockHashes, ExecutedBlock, LedgerDb, StateReadError,
};
use crate::history::StateUndo;
use crate::staking::hook;
use crate::staking::rewards::{CertificateError, CertifiedBlock, Claim};
use crate::staking::seal::{Sealer, split_extra_data};
use crate::state::{StateDiff, WorldState};
use crate::store::{BlockWrite, StoredBlock};
use crate::tx::{TxError, VerifiedTx};
use alloy_consensus::proofs::{calculate_receipt_root, calculate_transaction_root};
use alloy_consensus::{BlockBody, EMPTY_OMMER_ROOT_HASH, Header, ReceiptEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

/// A block executed and sealed, waiting for finality.
#[derive(Clone, Debug)]
pub struct PendingBlock {
    pub hash: B256,
    pub block: StoredBlock,
    pub senders: Vec<Address>,
    pub receipts: Vec<ReceiptEnvelope>,
    diff: StateDiff,
}

/// What proposing a block did.
#[derive(Debug)]
pub struct ProposedBlock {
    pub hash: B256,
    pub number: u64,
    /// Transactions that could not be included, with the reason.
    pub rejected: Vec<(VerifiedTx, TxError)>,
}

/// Why a block received from elsewhere is refused.
#[derive(Debug, thiserror::Error)]
pub enum InvalidBlock {
    #[error("its parent {0} is neither the head nor a pending block")]
    UnknownParent(B256),
    #[error("its {field} is {got}, the chain's rules give {want}")]
    Header {
        field: &'static str,
        got: String,
        want: String,
    },
    #[error("its timestamp {got} is not after its parent's ({parent})")]
    Timestamp { got: u64, parent: u64 },
    #[error("transaction {index} is invalid: {reason}")]
    Transaction { index: usize, reason: Box<TxError> },
    #[error("it carries ommers or withdrawals, which this chain has none of")]
    UnexpectedBody,
    #[error("its seal does not prove its randomness: {0}")]
    Seal(#[from] crate::staking::seal::SealError),
    #[error("{0}")]
    Certificate(#[from] CertificateError),
}

/// Failures of [`Chain::import`]: the block's fault, or the chain's.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid block: {0}")]
    Invalid(#[from] InvalidBlock),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Block hashes for `BLOCKHASH` on a pending branch: the branch's own blocks by number,
/// the canonical chain below it.
struct BranchHashes<'a> {
    canonical: &'a dyn BlockHashes,
    /// (number, hash) of the pending blocks from the head's child to the parent.
    branch: Vec<(u64, B256)>,
}

impl BlockHashes for BranchHashes<'_> {
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        match self.branch.iter().find(|(n, _)| *n == number) {
            Some((_, hash)) => Ok(*hash),
            None => self.canonical.block_hash(number),
        }
    }
}

impl Chain {
    /// The header and hash of `hash` if it is the head or a pending block.
    fn parent_header(&self, hash: &B256) -> Option<Header> {
        if *hash == self.head_hash {
            return Some(self.head.clone());
        }
        self.pending.get(hash).map(|p| p.block.header.clone())
    }

    /// The context a child of `parent` (with hash `parent_hash`) executes in at unix time
    /// `now`, built by `beneficiary`.
    pub fn child_context(
        &self,
        parent: &Header,
        parent_hash: B256,
        now: u64,
        beneficiary: Address,
    ) -> BlockContext {
        BlockContext {
            number: parent.number + 1,
            // Block times strictly increase, even when blocks come faster than seconds.
            // Saturating: a parent stamped at the end of time has no later child, and the
            // import refuses it rather than wrapping around.
            timestamp: now.max(parent.timestamp.saturating_add(1)),
            beneficiary,
            gas_limit: self.config().block_gas_limit,
            base_fee: self
                .config()
                .next_base_fee(parent.gas_used, parent.base_fee_per_gas.unwrap_or_default()),
            prevrandao: keccak256(parent_hash),
        }
    }

    /// The pending blocks from the head's child down to `parent`, oldest first; `None` if
    /// `parent` is neither the head nor pending (or its branch does not reach the head).
    fn branch_to(&self, parent: B256) -> Option<Vec<&PendingBlock>> {
        let mut branch = Vec::new();
        let mut at = parent;
        while at != self.head_hash {
            let block = self.pending.get(&at)?;
            at = block.block.header.parent_hash;
            branch.push(block);
        }
        branch.reverse();
        Some(branch)
    }

    /// Executes `candidates` in order on `parent` (the head or a pending block), seals the
    /// block and keeps it pending. Transactions that cannot be included are returned with
    /// the reason; the block holds the rest. On a chain whose blocks carry their proposer's
    /// VRF seal (`crate::staking::seal`), `sealer` holds the validator's keys; elsewhere it
    /// must be `None`.
    pub fn propose(
        &mut self,
        parent: B256,
        candidates: Vec<VerifiedTx>,
        now: u64,
        beneficiary: Address,
        sealer: Option<&Sealer>,
    ) -> Result<ProposedBlock, ChainError> {
        let parent_header = self
            .parent_header(&parent)
            .ok_or(ChainError::UnknownParent(parent))?;
        let mut ctx = self.child_context(&parent_header, parent, now, beneficiary);
        let number = ctx.number;
        let mut certified = None;
        let extra_data = match (self.takes_seals(), sealer) {
            (false, None) => Bytes::new(),
            (true, Some(sealer)) => {
                let (randomness, seal) = self
                    .with_parent_state(parent, |state| hook::seal_block(state, number, sealer))?
                    .map_err(|reason| ChainError::Seal { number, reason })?;
                ctx.prevrandao = randomness;
                match self.certificate_to_carry(parent)? {
                    Some((certificate, checked)) => {
                        certified = Some(checked);
                        [seal.as_ref(), &certificate].concat().into()
                    }
                    None => seal,
                }
            }
            (true, None) => return Err(ChainError::SealerMissing),
            (false, Some(_)) => return Err(ChainError::SealNotTaken),
        };
        let mut rejected = Vec::new();
        let (executed, state_root) =
            self.execute_on(parent, ctx, certified.as_ref(), |executor| {
                executor.preverify_shielded(&candidates);
                for tx in candidates {
                    if let Err(reason) = executor.execute(tx.clone()) {
                        rejected.push((tx, reason));
                    }
                }
            })?;
        let pending = seal(parent, ctx, executed, state_root, extra_data);
        let hash = pending.hash;
        self.pending.insert(hash, pending);
        Ok(ProposedBlock {
            hash,
            number: ctx.number,
            rejected,
        })
    }

    /// Whether this chain's blocks carry their proposer's VRF seal.
    pub fn takes_seals(&self) -> bool {
        self.config()
            .staking
            .as_ref()
            .is_some_and(|staking| staking.proposer_vrf)
    }

    /// Whether this chain's blocks pay a block reward, and so may carry a finalization
    /// certificate after their seal (`crate::staking::rewards`).
    pub fn pays_rewards(&self) -> bool {
        self.takes_seals()
            && self
                .config()
                .staking
                .as_ref()
                .is_some_and(|staking| !staking.block_reward.is_zero())
    }

    /// The number of block `hash` if it is `parent` or an ancestor of it: a pending block
    /// on its branch or a final block.
    fn ancestor_number(&self, parent: B256, hash: B256) -> Result<Option<u64>, ChainError> {
        let branch = self
            .branch_to(parent)
            .ok_or(ChainError::UnknownParent(parent))?;
        if let Some(pending) = branch.iter().find(|block| block.hash == hash) {
            return Ok(Some(pending.block.header.number));
        }
        let Some(stored) = self.store.block(&hash)? else {
            return Ok(None);
        };
        let number = stored.header.number;
        let canonical = self.store.canonical_hash(number)? == Some(hash);
        Ok(canonical.then_some(number))
    }

    /// Checks the finalization certificate `bytes` that a child of `parent` carries after
    /// its seal.
    fn check_certificate(
        &mut self,
        parent: B256,
        bytes: &[u8],
    ) -> Result<Result<CertifiedBlock, CertificateError>, ChainError> {
        if !self.pays_rewards() {
            return Ok(Err(CertificateError::NotTaken(bytes.len())));
        }
        let claim = match Claim::decode(bytes) {
            Ok(claim) => claim,
            Err(error) => return Ok(Err(error)),
        };
        let Some(number) = self.ancestor_number(parent, claim.block())? else {
            return Ok(Err(CertificateError::NotOnBranch(claim.block())));
        };
        let chain_id = self.config().chain_id;
        self.with_parent_state(parent, |state| {
            hook::check_certificate(state, chain_id, &claim, number)
        })
    }

    /// The finalization certificate a block proposed on `parent` carries: the head's, which
    /// the engine stored beside it, while the head's committee is not paid yet. A stored
    /// proof that does not check is left out, so the reward keeps accruing, rather than
    /// stopping this validator's blocks.
    fn certificate_to_carry(
        &mut self,
        parent: B256,
    ) -> Result<Option<(Vec<u8>, CertifiedBlock)>, ChainError> {
        if !self.pays_rewards() || self.head.number == 0 {
            return Ok(None);
        }
        let head_hash = self.head_hash;
        let Some(bytes) = self.store.finality_proof(&head_hash)? else {
            return Ok(None);
        };
        match self.check_certificate(parent, &bytes)? {
            Ok(certified) => Ok(Some((bytes, certified))),
            Err(CertificateError::AlreadyRewarded { .. }) => Ok(None),
            Err(reason) => {
                tracing::warn!(block = %head_hash, %reason, "the stored finality proof is not carried");
                Ok(None)
            }
        }
    }

    /// Checks a block made elsewhere by executing it on its parent (the head or a pending
    /// block) and comparing everything its header commits to; keeps it pending if it holds.
    pub fn import(&mut self, block: StoredBlock) -> Result<B256, ImportError> {
        let header = &block.header;
        let parent = header.parent_hash;
        let parent_header = self
            .parent_header(&parent)
            .ok_or(InvalidBlock::UnknownParent(parent))?;
        if header.timestamp <= parent_header.timestamp {
            return Err(InvalidBlock::Timestamp {
                got: header.timestamp,
                parent: parent_header.timestamp,
            }
            .into());
        }
        if !block.body.ommers.is_empty() || block.body.withdrawals.is_some() {
            return Err(InvalidBlock::UnexpectedBody.into());
        }
        let mut ctx =
            self.child_context(&parent_header, parent, header.timestamp, header.beneficiary);
        let mut certified = None;
        if self.takes_seals() {
            let number = ctx.number;
            let (seal, certificate) = split_extra_data(&header.extra_data);
            ctx.prevrandao = self
                .with_parent_state(parent, |state| hook::open_seal(state, number, seal))?
                .map_err(InvalidBlock::Seal)?;
            if !certificate.is_empty() {
                certified = Some(
                    self.check_certificate(parent, certificate)?
                        .map_err(InvalidBlock::Certificate)?,
                );
            }
        }
        let mut transactions = Vec::with_capacity(block.body.transactions.len());
        for (index, envelope) in block.body.transactions.iter().enumerate() {
            let len = envelope.encode_2718_len();
            let tx = crate::tx::verify(envelope.clone(), len, self.config()).map_err(|reason| {
                InvalidBlock::Transaction {
                    index,
                    reason: Box::new(reason),
                }
            })?;
            transactions.push(tx);
        }
        let mut refused = None;
        let (executed, state_root) =
            self.execute_on(parent, ctx, certified.as_ref(), |executor| {
                executor.preverify_shielded(&transactions);
                for (index, tx) in transactions.into_iter().enumerate() {
                    if let Err(reason) = executor.execute(tx) {
                        refused = Some(InvalidBlock::Transaction {
                            index,
                            reason: Box::new(reason),
                        });
                        return;
                    }
                }
            })?;
        if let Some(invalid) = refused {
            return Err(invalid.into());
        }
        let pending = seal(parent, ctx, executed, state_root, header.extra_data.clone());
        check_header(&block.header, &pending.block.header)?;
        let hash = pending.hash;
        self.pending.insert(hash, pending);
        Ok(hash)
    }

    /// Runs `read` on the state after `parent` (the head or a pending block); the head's
    /// state is unchanged afterwards.
    fn with_parent_state<T>(
        &mut self,
        parent: B256,
        read: impl FnOnce(&WorldState) -> T,
    ) -> Result<T, ChainError> {
        let branch: Vec<B256> = self
            .branch_to(parent)
            .ok_or(ChainError::UnknownParent(parent))?
            .iter()
            .map(|b| b.hash)
            .collect();
        let undos: Vec<StateUndo> = branch
            .iter()
            .map(|hash| apply_undoable(&mut self.state, &self.pending[hash].diff))
            .collect();
        let value = read(&self.state);
        for undo in undos.iter().rev() {
            undo.revert(&mut self.state);
        }
        Ok(value)
    }

    /// Runs `work` on an executor over the state after `parent`, then the end-of-block
    /// step, paying the committee `certified` names if the block carries a certificate; then
    /// computes the state root after the block without keeping it. The head's state is
    /// unchanged afterwards.
    fn execute_on(
        &mut self,
        parent: B256,
        ctx: BlockContext,
        certified: Option<&CertifiedBlock>,
        work: impl FnOnce(&mut BlockExecutor<'_>),
    ) -> Result<(ExecutedBlock, B256), ChainError> {
        let branch = self
            .branch_to(parent)
            .ok_or(ChainError::UnknownParent(parent))?;
        let numbered: Vec<(u64, B256)> = branch
            .iter()
            .map(|b| (b.block.header.number, b.hash))
            .collect();
        let diffs: Vec<StateDiff> = branch.iter().map(|b| b.diff.clone()).collect();
        let mut undos = Vec::with_capacity(diffs.len() + 1);
        for diff in &diffs {
            undos.push(apply_undoable(&mut self.state, diff));
        }
        let executed = {
            let hashes = BranchHashes {
                canonical: &self.store,
                branch: numbered,
            };
            let view = LedgerDb {
                state: &self.state,
                block_hashes: &hashes,
                wasm: &self.wasm,
            };
            let mut executor = BlockExecutor::new(view, ctx, self.config(), &self.vesting);
            work(&mut executor);
            executor
                .end_block(certified)
                .map_err(|reason| ChainError::EndOfBlock {
                    number: ctx.number,
                    reason,
                })?;
            executor.finish()
        };
        undos.push(apply_undoable(&mut self.state, &executed.diff));
        let state_root = self.state.state_root();
        for undo in undos.iter().rev() {
            undo.revert(&mut self.state);
        }
        Ok((executed, state_root))
    }

    /// Makes the pending block `hash` final: writes it and its state to disk in one atomic
    /// commit and makes it the head. Its parent must be the head. Finalizing a block that
    /// is already canonical does nothing, so a consensus layer may deliver it again.
    pub fn finalize(&mut self, hash: B256) -> Result<(), ChainError> {
        if let Some(stored) = self.store.block(&hash)?
            && self.store.canonical_hash(stored.header.number)? == Some(hash)
        {
            return Ok(());
        }
        let pending = self
            .pending
            .remove(&hash)
            .ok_or(ChainError::NotPending(hash))?;
        if pending.block.header.parent_hash != self.head_hash {
            let parent = pending.block.header.parent_hash;
            self.pending.insert(hash, pending);
            return Err(ChainError::NotChildOfHead {
                block: hash,
                parent,
                head: self.head_hash,
            });
        }
        let cleared_slots = slots_cleared_by(&self.state, &pending.diff);
        let undo = StateUndo::capture(&self.state, &pending.diff, &cleared_slots);
        self.state.apply(&pending.diff);
        let write = BlockWrite {
            block: &pending.block,
            hash,
            senders: &pending.senders,
            receipts: &pending.receipts,
            diff: &pending.diff,
            cleared_slots: &cleared_slots,
            undo: Some(&undo),
        };
        if let Err(error) = self.store.commit_block(&write) {
            // Nothing was written: put the state back as the head has it.
            undo.revert(&mut self.state);
            self.pending.insert(hash, pending);
            return Err(error.into());
        }
        let number = pending.block.header.number;
        self.head = pending.block.header;
        self.head_hash = hash;
        // Blocks at or below the new head are on branches that can no longer be final.
        self.pending
            .retain(|_, block| block.block.header.number > number);
        Ok(())
    }

    /// A pending block by hash.
    pub fn pending_block(&self, hash: &B256) -> Option<&PendingBlock> {
        self.pending.get(hash)
    }
}

/// Applies `diff` to `state` and returns what undoes it.
fn apply_undoable(state: &mut WorldState, diff: &StateDiff) -> StateUndo {
    let cleared = slots_cleared_by(state, diff);
    let undo = StateUndo::capture(state, diff, &cleared);
    state.apply(diff);
    undo
}

/// Seals an executed block on `parent` into a pending block.
fn seal(
    parent: B256,
    ctx: BlockContext,
    executed: ExecutedBlock,
    state_root: B256,
    extra_data: Bytes,
) -> PendingBlock {
    let ExecutedBlock {
        transactions,
        receipts,
        gas_used,
        diff,
    } = executed;
    let envelopes: Vec<_> = transactions.iter().map(|tx| tx.envelope.clone()).collect();
    let senders: Vec<Address> = transactions.iter().map(|tx| tx.sender).collect();
    let header = Header {
        parent_hash: parent,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: ctx.beneficiary,
        state_root,
        transactions_root: calculate_transaction_root(&envelopes),
        receipts_root: calculate_receipt_root(&receipts),
        logs_bloom: crate::execution::block_bloom(&receipts),
        difficulty: U256::ZERO,
        number: ctx.number,
        gas_limit: ctx.gas_limit,
        gas_used,
        timestamp: ctx.timestamp,
        extra_data,
        mix_hash: ctx.prevrandao,
        nonce: Default::default(),
        base_fee_per_gas: Some(ctx.base_fee),
        ..Default::default()
    };
    let block = StoredBlock {
        header,
        body: BlockBody {
            transactions: envelopes,
            ommers: Vec::new(),
            withdrawals: None,
        },
    };
    PendingBlock {
        hash: block.header.hash_slow(),
        block,
        senders,
        receipts,
        diff,
    }
}

/// Compares a received header with the one re-execution produced, naming the first field
/// that differs (every field, so the two hashes are equal when this passes).
fn check_header(got: &Header, want: &Header) -> Result<(), InvalidBlock> {
    macro_rules! field {
        ($name:ident, $label:literal) => {
            if got.$name != want.$name {
                return Err(InvalidBlock::Header {
                    field: $label,
                    got: format!("{:?}", got.$name),
                    want: format!("{:?}", want.$name),
                });
            }
        };
    }
    field!(number, "number");
    field!(gas_limit, "gas limit");
    field!(base_fee_per_gas, "base fee");
    field!(mix_hash, "prevrandao");
    field!(transactions_root, "transactions root");
    field!(gas_used, "gas used");
    field!(receipts_root, "receipts root");
    field!(logs_bloom, "logs bloom");
    field!(state_root, "state root");
    if got.hash_slow() != want.hash_slow() {
        return Err(InvalidBlock::Header {
            field: "hash",
            got: got.hash_slow().to_string(),
            want: want.hash_slow().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

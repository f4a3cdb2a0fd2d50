//! One validator's ledger as consensus sees it: the chain, the blocks heard from peers that
//! are not executed yet, the transactions waiting for a proposal, and the highest block
//! consensus finalized.
//!
//! Everything here is synchronous and free of I/O beyond the chain's own store; the
//! application (`crate::application`) calls it from simplex's callbacks and from its network
//! tasks, and turns "I am missing block X" answers into requests to peers.

use crate::block::LedgerBlock;
use alloy_primitives::{Address, B256};
use std::collections::BTreeMap;
use vnt_chain::chain::{ImportError, InvalidBlock};
use vnt_chain::tx::VerifiedTx;
use vnt_chain::{Chain, ChainError};

/// How many seconds a block's timestamp may run ahead of this node's clock before the node
/// waits instead of voting (clocks differ a little; Ethereum's clients allow 15 s).
pub const MAX_CLOCK_DRIFT_SECS: u64 = 15;

/// How many queued transactions one proposal offers the chain.
const PROPOSAL_CANDIDATES: usize = 16;
/// How far above the head a heard block may be. Consensus never needs blocks much further
/// ahead than the finality gap, and a peer must not make us hold arbitrary amounts.
const MAX_HEARD_AHEAD: u64 = 1_024;
/// How many not-yet-final blocks from peers a validator holds at most.
const MAX_HEARD: usize = 4_096;

/// Whether a block can extend a chain: it is executed, or what is missing first.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The block is the head or a pending block: its state is known.
    Executed,
    /// The block, or one of its ancestors above the head, has not been received.
    Missing(B256),
    /// The block is permanently unusable (it or an ancestor is invalid, or it forks off
    /// below the finalized head).
    Invalid(String),
}

/// A validator's ledger: a [`Chain`] plus what consensus needs around it.
pub struct Ledger {
    chain: Chain,
    beneficiary: Address,
    /// Blocks received or proposed and not yet final, by hash (ordered for determinism).
    heard: BTreeMap<B256, LedgerBlock>,
    /// Blocks known to be invalid, with their number and the reason, so they are not
    /// executed twice.
    invalid: BTreeMap<B256, (u64, String)>,
    /// Pre-signed transactions this validator offers when it leads.
    queue: Vec<VerifiedTx>,
    /// The highest finalized block reported by consensus, with its view.
    finalized_goal: Option<(u64, B256)>,
}

impl Ledger {
    /// A ledger over `chain`, crediting fees to `beneficiary` when it proposes.
    pub fn new(chain: Chain, beneficiary: Address) -> Self {
        Self {
            chain,
            beneficiary,
            heard: BTreeMap::new(),
            invalid: BTreeMap::new(),
            queue: Vec::new(),
            finalized_goal: None,
        }
    }

    /// The chain (read-only: consensus alone moves it).
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Gives the chain back, dropping everything not final.
    pub fn into_chain(self) -> Chain {
        self.chain
    }

    /// Queues transactions to offer in this validator's proposals.
    pub fn submit(&mut self, transactions: impl IntoIterator<Item = VerifiedTx>) {
        self.queue.extend(transactions);
    }

    /// Records a block heard from a peer (or proposed here). Blocks at or below the head
    /// are final or dead, and blocks far ahead or beyond the cap are of no use yet: neither
    /// is kept (a block dropped here is asked for again when it is needed).
    pub fn hear(&mut self, block: LedgerBlock) {
        let head = self.chain.head().number;
        let useful = block.number() > head && block.number() <= head + MAX_HEARD_AHEAD;
        if useful && self.heard.len() < MAX_HEARD {
            self.heard.insert(block.hash(), block);
        }
    }

    /// Whether the heard block `hash` is stamped more than [`MAX_CLOCK_DRIFT_SECS`] after
    /// `now`. Such a block must wait, not be voted for: a leader that got a block stamped
    /// far ahead finalized would leave no later time for any child.
    pub fn is_stamped_ahead(&self, hash: &B256, now: u64) -> bool {
        self.heard.get(hash).is_some_and(|block| {
            block.block().header.timestamp > now.saturating_add(MAX_CLOCK_DRIFT_SECS)
        })
    }

    /// The block `hash` if this node has it in any form, to serve a peer's request.
    pub fn block(&self, hash: &B256) -> Option<LedgerBlock> {
        if let Some(block) = self.heard.get(hash) {
            return Some(block.clone());
        }
        if let Some(pending) = self.chain.pending_block(hash) {
            return Some(LedgerBlock::new(pending.block.clone()));
        }
        let stored = self.chain.block_by_hash(hash).ok().flatten()?;
        Some(LedgerBlock::new(stored.block))
    }

    /// Whether `hash` is on the finalized chain.
    fn is_final(&self, hash: &B256) -> bool {
        matches!(self.chain.block_by_hash(hash), Ok(Some(_)))
    }

    /// Whether `hash` has its state known (the head or a pending block).
    fn is_executed(&self, hash: &B256) -> bool {
        *hash == self.chain.head_hash() || self.chain.pending_block(hash).is_some()
    }

    /// Executes what is needed for `hash` to be executed: walks back through heard blocks
    /// to the head and imports them oldest first.
    pub fn execute_through(&mut self, hash: B256) -> Readiness {
        let mut branch = Vec::new();
        let mut at = hash;
        while !self.is_executed(&at) {
            if let Some((_, reason)) = self.invalid.get(&at) {
                return Readiness::Invalid(reason.clone());
            }
            if self.is_final(&at) {
                return Readiness::Invalid(format!(
                    "block {at} is final but below the head, so nothing new builds on it"
                ));
            }
            let Some(block) = self.heard.get(&at) else {
                return Readiness::Missing(at);
            };
            if block.number() <= self.chain.head().number {
                return Readiness::Invalid(format!(
                    "block {at} (number {}) forks off below the finalized head",
                    block.number()
                ));
            }
            branch.push(at);
            at = block.block().header.parent_hash;
        }
        for hash in branch.into_iter().rev() {
            let block = self.heard[&hash].block().clone();
            let number = block.header.number;
            match self.chain.import(block) {
                Ok(_) => {}
                // Its parent became unknown meanwhile; that is not the block's fault.
                Err(ImportError::Invalid(InvalidBlock::UnknownParent(parent))) => {
                    return Readiness::Missing(parent);
                }
                Err(ImportError::Invalid(invalid)) => {
                    let reason = format!("block {hash} is invalid: {invalid}");
                    self.invalid.insert(hash, (number, reason.clone()));
                    return Readiness::Invalid(reason);
                }
                Err(ImportError::Chain(error)) => {
                    panic!("the chain failed while importing {hash}: {error}")
                }
            }
        }
        Readiness::Executed
    }

    /// Proposes a block on `parent` at unix time `now`, offering the queued transactions
    /// the parent's state has not included yet; `None` while `parent` is not executed.
    pub fn propose(&mut self, parent: B256, now: u64) -> Result<Option<LedgerBlock>, ChainError> {
        if self.execute_through(parent) != Readiness::Executed {
            return Ok(None);
        }
        let state = self.chain.state();
        let candidates: Vec<VerifiedTx> = self
            .queue
            .iter()
            .filter(|tx| {
                let nonce = state.account(&tx.sender).map_or(0, |a| a.nonce);
                tx.envelope_nonce() >= nonce
            })
            .take(PROPOSAL_CANDIDATES)
            .cloned()
            .collect();
        let proposed = self
            .chain
            .propose(parent, candidates, now, self.beneficiary)?;
        let pending = self
            .chain
            .pending_block(&proposed.hash)
            .expect("a proposed block stays pending");
        let block = LedgerBlock::new(pending.block.clone());
        self.heard.insert(block.hash(), block.clone());
        Ok(Some(block))
    }

    /// Whether the block `hash`, proposed on `parent`, is valid; executes it if it is.
    pub fn verify(&mut self, parent: B256, hash: B256) -> Readiness {
        if self.is_final(&hash) || self.chain.pending_block(&hash).is_some() {
            return self.check_parent(parent, hash);
        }
        let Some(block) = self.heard.get(&hash) else {
            return Readiness::Missing(hash);
        };
        if block.block().header.parent_hash != parent {
            return self.check_parent(parent, hash);
        }
        self.execute_through(hash)
    }

    fn check_parent(&self, parent: B256, hash: B256) -> Readiness {
        let actual = self.block(&hash).map(|b| b.block().header.parent_hash);
        if actual == Some(parent) {
            Readiness::Executed
        } else {
            Readiness::Invalid(format!(
                "block {hash} does not extend the parent {parent} consensus proposed it on"
            ))
        }
    }

    /// Notes that consensus finalized `hash` in `view`.
    pub fn note_finalized(&mut self, view: u64, hash: B256) {
        if self.finalized_goal.is_none_or(|(seen, _)| view > seen) {
            self.finalized_goal = Some((view, hash));
        }
    }

    /// Commits every block up to the highest finalized one, ancestors first. Returns the
    /// block to fetch from peers if one is missing.
    pub fn advance(&mut self) -> Option<B256> {
        let (_, goal) = self.finalized_goal?;
        if self.is_final(&goal) {
            return None;
        }
        match self.execute_through(goal) {
            Readiness::Executed => {}
            Readiness::Missing(hash) => return Some(hash),
            Readiness::Invalid(reason) => {
                panic!("consensus finalized a block this node cannot execute: {reason}")
            }
        }
        let mut branch = Vec::new();
        let mut at = goal;
        while at != self.chain.head_hash() {
            let pending = self
                .chain
                .pending_block(&at)
                .expect("an executed block above the head is pending");
            branch.push(at);
            at = pending.block.header.parent_hash;
        }
        for hash in branch.into_iter().rev() {
            self.chain
                .finalize(hash)
                .unwrap_or_else(|error| panic!("finalizing {hash} failed: {error}"));
        }
        let head = self.chain.head().number;
        self.heard.retain(|_, block| block.number() > head);
        self.invalid.retain(|_, (number, _)| *number > head);
        let state = self.chain.state();
        self.queue
            .retain(|tx| tx.envelope_nonce() >= state.account(&tx.sender).map_or(0, |a| a.nonce));
        None
    }
}

/// The nonce a transaction carries.
trait EnvelopeNonce {
    fn envelope_nonce(&self) -> u64;
}

impl EnvelopeNonce for VerifiedTx {
    fn envelope_nonce(&self) -> u64 {
        use alloy_consensus::Transaction;
        self.envelope.nonce()
    }
}

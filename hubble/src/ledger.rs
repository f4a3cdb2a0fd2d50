//! One validator's ledger as consensus sees it: the node's chain and pool (shared with its
//! JSON-RPC server through [`Shared`]), the blocks heard from peers that are not executed
//! yet, and the highest block consensus finalized.
//!
//! Everything here is synchronous and free of I/O beyond the chain's own store; the
//! application (`crate::application`) calls it from simplex's callbacks and from its network
//! tasks, and turns "I am missing block X" answers into requests to peers. The chain is
//! locked only for one lookup, one import or one commit at a time, so RPC readers wait at
//! most one block's execution.

use crate::block::LedgerBlock;
use crate::epochs::{consensus_epoch_length, epoch_heights};
use alloy_consensus::Header;
use alloy_primitives::B256;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use vnt_chain::chain::{ImportError, InvalidBlock};
use vnt_chain::node::Shared;
use vnt_chain::staking::seal::{BlockSeal, Sealer, split_extra_data};
use vnt_chain::tx::VerifiedTx;
use vnt_chain::{Chain, ChainError};

/// How many seconds a block's timestamp may run ahead of this node's clock before the node
/// waits instead of voting (clocks differ a little; Ethereum's clients allow 15 s).
pub const MAX_CLOCK_DRIFT_SECS: u64 = 15;

/// How many pooled transactions one proposal offers the chain at most (the block gas limit
/// cuts a proposal shorter; this bounds the work of one that would not fit anyway).
const PROPOSAL_CANDIDATES: usize = 4_096;
/// How far above the head a heard block may be. Consensus never needs blocks much further
/// ahead than the finality gap, and a peer must not make us hold arbitrary amounts.
pub const MAX_HEARD_AHEAD: u64 = 1_024;
/// How many not-yet-final blocks from peers a validator holds at most.
pub const MAX_HEARD: usize = 4_096;
/// How many bytes of not-yet-final blocks a validator holds at most (count alone would let
/// peers fill memory with 4,096 blocks of 2 MiB).
pub const MAX_HEARD_BYTES: usize = 64 * 1024 * 1024;
/// How many of the held blocks one peer's may be, and how many bytes: a quarter of the
/// store, so one Byzantine validator sending junk cannot crowd out the blocks of the others
/// (blocks consensus waits for are held whoever sent them).
pub const MAX_HEARD_PER_PEER: usize = MAX_HEARD / 4;
pub const MAX_HEARD_BYTES_PER_PEER: usize = MAX_HEARD_BYTES / 4;
/// How many blocks consensus may be waiting for at once before the list starts over (the
/// waits that still matter name their blocks again on their next retry).
const MAX_WANTED: usize = 1_024;

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

/// Why a validator cannot go on: consensus finalized something this node cannot commit.
/// The node must stop (its chain would otherwise silently fall behind the network's).
#[derive(Debug, thiserror::Error)]
pub enum LedgerFailure {
    #[error("consensus finalized a block this node cannot execute: {0}")]
    FinalizedInvalid(String),
    #[error("the chain failed while executing block {hash}: {error}")]
    Chain {
        hash: B256,
        /// Boxed: failures are rare and the happy path should not carry their size.
        error: Box<ChainError>,
    },
}

/// A validator's ledger: the node's [`Shared`] chain and pool plus what consensus needs
/// around them.
pub struct Ledger {
    shared: Arc<Shared>,
    /// Blocks received or proposed and not yet final, by hash (ordered for determinism).
    heard: BTreeMap<B256, LedgerBlock>,
    /// Bytes of the blocks in `heard` (their RLP).
    heard_bytes: usize,
    /// Who sent each held block that came from a peer, with its size, for the per-peer
    /// quota.
    senders: BTreeMap<B256, (Peer, usize)>,
    /// Blocks consensus is waiting for (a proposal to verify, an ancestor to execute): they
    /// always find room, at the expense of held blocks nobody waits for, so a peer filling
    /// the store with junk cannot crowd out the blocks that matter.
    wanted: BTreeSet<B256>,
    /// Blocks known to be invalid, with their number and the reason, so they are not
    /// executed twice.
    invalid: BTreeMap<B256, (u64, String)>,
    /// The highest finalized block reported by consensus, with its round (epoch, view).
    finalized_goal: Option<((u64, u64), B256)>,
    /// Finality proofs (encoded finalization certificates) of blocks not committed yet;
    /// stored beside each block as it is committed, for peers that sync from this node.
    proofs: BTreeMap<B256, Vec<u8>>,
    /// The validator's keys its proposals are sealed with, on a chain whose blocks carry
    /// their proposer's VRF seal.
    sealer: Option<Sealer>,
}

/// A peer as the ledger knows it: its identity key's bytes.
pub type Peer = B256;

/// Proofs held for blocks not yet committed. A proof arrives with the finalization that
/// makes its block the goal, so only the blocks of one finality gap wait at a time.
const MAX_HELD_PROOFS: usize = 1_024;

impl Ledger {
    /// A ledger over the node's chain and pool; proposals credit fees to
    /// `shared.beneficiary` and, on a chain whose blocks carry their proposer's VRF seal,
    /// are sealed with `sealer` (the chain refuses to propose if it is missing there or
    /// given elsewhere).
    pub fn new(shared: Arc<Shared>, sealer: Option<Sealer>) -> Self {
        Self {
            shared,
            heard: BTreeMap::new(),
            heard_bytes: 0,
            senders: BTreeMap::new(),
            wanted: BTreeSet::new(),
            invalid: BTreeMap::new(),
            finalized_goal: None,
            proofs: BTreeMap::new(),
            sealer,
        }
    }

    /// The node's chain, pool and announcement channels.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Reads the chain under a brief read lock.
    pub fn with_chain<T>(&self, read: impl FnOnce(&Chain) -> T) -> T {
        read(&self.shared.chain.read())
    }

    /// Bytes of not-yet-final blocks held.
    pub fn held_bytes(&self) -> usize {
        self.heard_bytes
    }

    /// Records a block proposed here, or one whose sender is not known.
    pub fn hear(&mut self, block: LedgerBlock) {
        self.keep(block, None);
    }

    /// Records a block `peer` sent. Beyond the peer's quota ([`MAX_HEARD_PER_PEER`],
    /// [`MAX_HEARD_BYTES_PER_PEER`]) only blocks consensus waits for are kept.
    pub fn hear_from(&mut self, block: LedgerBlock, peer: Peer) {
        self.keep(block, Some(peer));
    }

    /// Keeps a heard block if it can be of use. Blocks at or below the head are final or
    /// dead, and blocks far ahead or beyond the caps are of no use yet: neither is kept (a
    /// block dropped here is asked for again when it is needed).
    ///
    /// A block consensus is waiting for is kept even when the store is full: held blocks
    /// nobody waits for make room, those furthest ahead first.
    fn keep(&mut self, block: LedgerBlock, sender: Option<Peer>) {
        let head = self.with_chain(|chain| chain.head().number);
        let hash = block.hash();
        let useful = block.number() > head && block.number() <= head + MAX_HEARD_AHEAD;
        if !useful || self.heard.contains_key(&hash) {
            return;
        }
        let size = block_bytes(&block);
        let wanted = self.wanted.contains(&hash);
        if !wanted && sender.is_some_and(|peer| !self.peer_fits(&peer, size)) {
            return;
        }
        if !self.fits(size) && wanted {
            self.make_room(size);
        }
        if self.fits(size) {
            self.wanted.remove(&hash);
            self.heard_bytes += size;
            self.heard.insert(hash, block);
            if let Some(peer) = sender {
                self.senders.insert(hash, (peer, size));
            }
        }
    }

    /// Whether a block of `size` bytes from `peer` stays within its quota.
    fn peer_fits(&self, peer: &Peer, size: usize) -> bool {
        let (count, bytes) = self
            .senders
            .values()
            .filter(|(sender, _)| sender == peer)
            .fold((0, 0), |(count, bytes), (_, held)| {
                (count + 1, bytes + held)
            });
        count < MAX_HEARD_PER_PEER && bytes + size <= MAX_HEARD_BYTES_PER_PEER
    }

    /// Whether a block of `size` bytes fits in the store.
    fn fits(&self, size: usize) -> bool {
        self.heard.len() < MAX_HEARD && self.heard_bytes + size <= MAX_HEARD_BYTES
    }

    /// Drops held blocks nobody waits for, furthest ahead first, until `size` bytes fit.
    fn make_room(&mut self, size: usize) {
        let mut unwanted: Vec<(u64, B256)> = self
            .heard
            .iter()
            .filter(|(hash, _)| !self.wanted.contains(*hash))
            .map(|(hash, block)| (block.number(), *hash))
            .collect();
        unwanted.sort_unstable();
        while !self.fits(size) {
            let Some((_, hash)) = unwanted.pop() else {
                return;
            };
            if let Some(dropped) = self.heard.remove(&hash) {
                self.heard_bytes -= block_bytes(&dropped);
                self.senders.remove(&hash);
            }
        }
    }

    /// Notes that consensus waits for `hash` and says so.
    fn want(&mut self, hash: B256) -> Readiness {
        if self.wanted.len() >= MAX_WANTED {
            self.wanted.clear();
        }
        self.wanted.insert(hash);
        Readiness::Missing(hash)
    }

    /// Drops held blocks and invalid marks at or below the head.
    fn forget_below(&mut self, head: u64) {
        self.heard.retain(|_, block| block.number() > head);
        // A proof for a block not held is dropped: a descendant's proof covers that block.
        let heard = &self.heard;
        self.proofs.retain(|hash, _| heard.contains_key(hash));
        self.heard_bytes = self.heard.values().map(block_bytes).sum();
        self.senders.retain(|hash, _| heard.contains_key(hash));
        self.invalid.retain(|_, (number, _)| *number > head);
    }

    /// Whether the block `parent` (executed) is stamped at or after `now + ahead`: a child
    /// proposed now would be stamped further ahead of the clock still (block times strictly
    /// increase), so the proposer waits rather than run the chain's time ahead of the clock.
    pub fn is_parent_stamped_ahead(&self, parent: &B256, now: u64, ahead: u64) -> bool {
        self.with_chain(|chain| {
            let stamp = if *parent == chain.head_hash() {
                Some(chain.head().timestamp)
            } else {
                chain
                    .pending_block(parent)
                    .map(|p| p.block.header.timestamp)
            };
            stamp.is_some_and(|stamp| stamp >= now.saturating_add(ahead))
        })
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
        self.with_chain(|chain| {
            if let Some(pending) = chain.pending_block(hash) {
                return Some(LedgerBlock::new(pending.block.clone()));
            }
            let stored = chain.block_by_hash(hash).ok().flatten()?;
            Some(LedgerBlock::new(stored.block))
        })
    }

    /// Whether `hash` is on the finalized chain.
    fn is_final(&self, hash: &B256) -> bool {
        self.with_chain(|chain| is_final(chain, hash))
    }

    /// Executes what is needed for `hash` to be executed: walks back through heard blocks
    /// to the head and imports them oldest first.
    pub fn execute_through(&mut self, hash: B256) -> Result<Readiness, LedgerFailure> {
        let shared = self.shared.clone();
        let mut chain = shared.chain.write();
        self.execute_through_locked(&mut chain, hash)
    }

    fn execute_through_locked(
        &mut self,
        chain: &mut Chain,
        hash: B256,
    ) -> Result<Readiness, LedgerFailure> {
        let mut branch = Vec::new();
        let mut at = hash;
        while !is_executed(chain, &at) {
            if let Some((_, reason)) = self.invalid.get(&at) {
                return Ok(Readiness::Invalid(reason.clone()));
            }
            if is_final(chain, &at) {
                return Ok(Readiness::Invalid(format!(
                    "block {at} is final but below the head, so nothing new builds on it"
                )));
            }
            let Some(block) = self.heard.get(&at) else {
                return Ok(self.want(at));
            };
            if block.number() <= chain.head().number {
                return Ok(Readiness::Invalid(format!(
                    "block {at} (number {}) forks off below the finalized head",
                    block.number()
                )));
            }
            branch.push(at);
            at = block.block().header.parent_hash;
        }
        for hash in branch.into_iter().rev() {
            let block = self.heard[&hash].block().clone();
            let number = block.header.number;
            match chain.import(block) {
                Ok(_) => {}
                // Its parent became unknown meanwhile; that is not the block's fault.
                Err(ImportError::Invalid(InvalidBlock::UnknownParent(parent))) => {
                    return Ok(self.want(parent));
                }
                Err(ImportError::Invalid(invalid)) => {
                    let reason = format!("block {hash} is invalid: {invalid}");
                    self.invalid.insert(hash, (number, reason.clone()));
                    return Ok(Readiness::Invalid(reason));
                }
                Err(ImportError::Chain(error)) => {
                    return Err(LedgerFailure::Chain {
                        hash,
                        error: Box::new(error),
                    });
                }
            }
        }
        Ok(Readiness::Executed)
    }

    /// Blocks per consensus epoch (`crate::epochs`).
    pub fn epoch_length(&self) -> Option<u64> {
        self.with_chain(consensus_epoch_length)
    }

    /// The heights consensus epoch `epoch` orders, if the chain has epochs.
    pub fn epoch_heights(&self, epoch: u64) -> Option<std::ops::RangeInclusive<u64>> {
        Some(epoch_heights(self.epoch_length()?, epoch))
    }

    /// Proposes a block on `parent` in consensus epoch `epoch` at unix time `now` from the
    /// pool's best transactions; `None` while `parent` is not executed.
    ///
    /// On the epoch's last block the proposal is that block again: an epoch's engine orders
    /// nothing past it, and proposing it again lets the engine finalize it even if its own
    /// round ended without a finalization (the next epoch's engine starts from it).
    ///
    /// The pool orders by the head's state: on a pending parent, transactions its branch
    /// already included are offered again and the chain rejects them (their nonce is used),
    /// which costs a lookup each and leaves them pooled until a commit prunes them.
    pub fn propose(
        &mut self,
        parent: B256,
        epoch: u64,
        now: u64,
    ) -> Result<Option<LedgerBlock>, LedgerFailure> {
        if let Some(heights) = self.epoch_heights(epoch)
            && let Some(number) = self.with_header(&parent, |header| header.number)
            && number >= *heights.end()
        {
            // Past the last block nothing is proposed (an engine never verifies a block
            // there, so an honest parent is never there).
            return Ok((number == *heights.end())
                .then(|| self.block(&parent))
                .flatten());
        }
        let shared = self.shared.clone();
        let mut chain = shared.chain.write();
        if self.execute_through_locked(&mut chain, parent)? != Readiness::Executed {
            return Ok(None);
        }
        let candidates: Vec<VerifiedTx> = shared
            .pool
            .lock()
            .best(chain.state(), chain.next_base_fee())
            .into_iter()
            .take(PROPOSAL_CANDIDATES)
            .map(|tx| (*tx).clone())
            .collect();
        let proposed = chain
            .propose(
                parent,
                candidates,
                now,
                shared.beneficiary,
                self.sealer.as_ref(),
            )
            .map_err(|error| LedgerFailure::Chain {
                hash: parent,
                error: Box::new(error),
            })?;
        let pending = chain
            .pending_block(&proposed.hash)
            .expect("a proposed block stays pending");
        let block = LedgerBlock::new(pending.block.clone());
        drop(chain);
        self.hear(block.clone());
        Ok(Some(block))
    }

    /// Whether the block `hash`, proposed on `parent` in consensus epoch `epoch` by the
    /// round's `leader` (its identity key), is valid; executes it if it is.
    pub fn verify(
        &mut self,
        parent: B256,
        hash: B256,
        epoch: u64,
        leader: B256,
    ) -> Result<Readiness, LedgerFailure> {
        let Some((number, sealed_by)) =
            self.with_header(&hash, |header| (header.number, seal_identity(header)))
        else {
            return Ok(self.want(hash));
        };
        if let Some(heights) = self.epoch_heights(epoch) {
            if hash == parent && number == *heights.end() {
                // The epoch's last block proposed again (see `propose`).
                if self.is_final(&hash) {
                    return Ok(Readiness::Executed);
                }
                return self.execute_through(hash);
            }
            if !heights.contains(&number) {
                return Ok(Readiness::Invalid(format!(
                    "block {hash} has number {number}, outside the heights {heights:?} of \
                     consensus epoch {epoch}"
                )));
            }
        }
        if let Some(proposer) = sealed_by.filter(|proposer| *proposer != leader) {
            // Only the leader may propose: were any registered validator's seal accepted,
            // a leader colluding with others could pick the randomness it likes best.
            return Ok(Readiness::Invalid(format!(
                "block {hash} is sealed by {proposer}, not by the round's leader {leader}"
            )));
        }
        let known =
            self.with_chain(|chain| is_final(chain, &hash) || chain.pending_block(&hash).is_some());
        if known {
            return Ok(self.check_parent(parent, hash));
        }
        let Some(block) = self.heard.get(&hash) else {
            return Ok(self.want(hash));
        };
        if block.block().header.parent_hash != parent {
            return Ok(self.check_parent(parent, hash));
        }
        self.execute_through(hash)
    }

    /// Reads the header of `hash` wherever this node holds the block; `None` if it does not.
    fn with_header<T>(&self, hash: &B256, read: impl FnOnce(&Header) -> T) -> Option<T> {
        if let Some(block) = self.heard.get(hash) {
            return Some(read(&block.block().header));
        }
        self.with_chain(|chain| {
            if let Some(pending) = chain.pending_block(hash) {
                return Some(read(&pending.block.header));
            }
            let stored = chain.block_by_hash(hash).ok().flatten()?;
            Some(read(&stored.block.header))
        })
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

    /// Notes that consensus finalized `hash` in the round (`epoch`, `view`); returns whether
    /// it is news (a later round than any noted before), so the caller knows to wake the
    /// committer.
    ///
    /// `proof` is the finalization certificate's encoding; it is stored beside the block.
    pub fn note_finalized(&mut self, epoch: u64, view: u64, hash: B256, proof: Vec<u8>) -> bool {
        let round = (epoch, view);
        if self.is_final(&hash) {
            // A final block keeps the first proof it got: an epoch's last block is finalized
            // again and again while its engine runs, and one proof is all a peer needs.
            let chain = self.shared.chain.read();
            if matches!(chain.store().finality_proof(&hash), Ok(None)) {
                store_proof(&chain, hash, &proof);
            }
        } else if self.proofs.len() < MAX_HELD_PROOFS {
            self.proofs.insert(hash, proof);
        }
        let news = self.finalized_goal.is_none_or(|(seen, _)| round > seen);
        if news {
            self.finalized_goal = Some((round, hash));
        }
        news
    }

    /// Commits every block up to the highest finalized one, ancestors first, pruning the
    /// pool and announcing each to subscribers. Returns the block to fetch from peers if one
    /// is missing; fails if a finalized block cannot be executed or committed.
    pub fn advance(&mut self) -> Result<Option<B256>, LedgerFailure> {
        let Some((_, goal)) = self.finalized_goal else {
            return Ok(None);
        };
        if self.is_final(&goal) {
            return Ok(None);
        }
        match self.execute_through(goal)? {
            Readiness::Executed => {}
            Readiness::Missing(hash) => return Ok(Some(hash)),
            Readiness::Invalid(reason) => return Err(LedgerFailure::FinalizedInvalid(reason)),
        }
        let shared = self.shared.clone();
        let mut chain = shared.chain.write();
        let mut branch = Vec::new();
        let mut at = goal;
        while at != chain.head_hash() {
            let pending = chain
                .pending_block(&at)
                .expect("an executed block above the head is pending");
            branch.push(at);
            at = pending.block.header.parent_hash;
        }
        for hash in branch.into_iter().rev() {
            chain.finalize(hash).map_err(|error| LedgerFailure::Chain {
                hash,
                error: Box::new(error),
            })?;
            shared.committed(&chain, hash);
            if let Some(proof) = self.proofs.remove(&hash) {
                store_proof(&chain, hash, &proof);
            }
        }
        let head = chain.head().number;
        drop(chain);
        self.forget_below(head);
        Ok(None)
    }
}

/// Stores `proof` beside the final block `hash`. A proof that cannot be stored costs only
/// this node's service to syncing peers, so it is logged, not fatal.
fn store_proof(chain: &Chain, hash: B256, proof: &[u8]) {
    if let Err(error) = chain.store().put_finality_proof(&hash, proof) {
        tracing::warn!(%hash, %error, "cannot store a finality proof");
    }
}

/// The identity a header's seal names, if its `extra_data` starts with a seal (a reward
/// certificate may follow it; the chain checks both when it executes the block).
fn seal_identity(header: &Header) -> Option<B256> {
    let (seal, _certificate) = split_extra_data(&header.extra_data);
    BlockSeal::decode(seal).ok().map(|seal| seal.identity)
}

/// Whether `hash` is on `chain`'s finalized chain.
fn is_final(chain: &Chain, hash: &B256) -> bool {
    matches!(chain.block_by_hash(hash), Ok(Some(_)))
}

/// Whether `hash` has its state known (the head or a pending block).
fn is_executed(chain: &Chain, hash: &B256) -> bool {
    *hash == chain.head_hash() || chain.pending_block(hash).is_some()
}

/// What a held block costs in memory, roughly: its encoded size.
fn block_bytes(block: &LedgerBlock) -> usize {
    commonware_codec::EncodeSize::encode_size(block)
}

//! The transaction pool: admission against the latest state, and ordering for blocks.
//!
//! A transaction is admitted only if it could become valid: its nonce is not already used,
//! is at most [`PoolConfig::max_nonce_gap`] ahead of the account's next nonce, its fee cap
//! covers the current base fee, its sender can pay `gas * fee cap + value`, and a locked
//! account does not spend into its lock. A same-nonce replacement must raise both fee
//! fields by [`PoolConfig::price_bump_percent`]. Blocks take transactions best tip first,
//! each sender's in nonce order ([`TxPool::best`]).

use crate::execution::vesting_check;
use crate::state::WorldState;
use crate::token::VestingSchedule;
use crate::tx::{TxError, VerifiedTx, max_cost};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

/// Node-local pool limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// How far ahead of an account's next nonce a transaction may be (geth queues 64).
    pub max_nonce_gap: u64,
    /// Transactions held at most.
    pub max_transactions: usize,
    /// Minimum fee increase, in percent, for a same-nonce replacement.
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_nonce_gap: 64,
            max_transactions: 10_000,
            price_bump_percent: 10,
        }
    }
}

/// What admission checks against.
pub struct AdmissionContext<'a> {
    pub state: &'a WorldState,
    pub base_fee: u64,
    pub vesting: &'a BTreeMap<Address, VestingSchedule>,
    /// Time of the latest block; locks only loosen later, so this is safe to check against.
    pub now: u64,
}

/// Pending transactions, by hash and by sender and nonce.
#[derive(Default)]
pub struct TxPool {
    config: PoolConfig,
    by_hash: HashMap<B256, Arc<VerifiedTx>>,
    by_sender: HashMap<Address, BTreeMap<u64, Arc<VerifiedTx>>>,
}

impl TxPool {
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    pub fn get(&self, hash: &B256) -> Option<Arc<VerifiedTx>> {
        self.by_hash.get(hash).cloned()
    }

    /// The nonce the sender's next transaction should use, counting pooled ones.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(queue) = self.by_sender.get(sender) {
            while queue.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Admits a transaction or says why not; a refused transaction changes nothing.
    pub fn add(&mut self, tx: VerifiedTx, ctx: &AdmissionContext) -> Result<B256, TxError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(TxError::AlreadyKnown);
        }
        let account = ctx.state.account(&tx.sender).unwrap_or_default();
        let nonce = tx.envelope.nonce();
        if nonce < account.nonce {
            return Err(TxError::NonceTooLow {
                expected: account.nonce,
                got: nonce,
            });
        }
        if nonce > account.nonce + self.config.max_nonce_gap {
            return Err(TxError::NonceTooHigh {
                expected: account.nonce,
                got: nonce,
                gap: self.config.max_nonce_gap,
            });
        }
        if tx.envelope.max_fee_per_gas() < ctx.base_fee as u128 {
            return Err(TxError::FeeCapBelowBaseFee {
                fee_cap: tx.envelope.max_fee_per_gas(),
                base_fee: ctx.base_fee,
            });
        }
        let want = max_cost(&tx.envelope);
        if want > account.balance {
            return Err(TxError::InsufficientFunds {
                address: tx.sender,
                have: account.balance,
                want,
            });
        }
        if let Some(schedule) = ctx.vesting.get(&tx.sender) {
            vesting_check(&tx, schedule, account.balance, ctx.now)?;
        }
        let replaced = self
            .by_sender
            .get(&tx.sender)
            .and_then(|queue| queue.get(&nonce))
            .cloned();
        match &replaced {
            Some(old) if !self.outbids(&tx, old) => return Err(TxError::ReplacementUnderpriced),
            None if self.by_hash.len() >= self.config.max_transactions => {
                return Err(TxError::PoolFull);
            }
            _ => {}
        }
        if let Some(old) = replaced {
            self.by_hash.remove(&old.hash);
        }
        let hash = tx.hash;
        let tx = Arc::new(tx);
        self.by_hash.insert(hash, tx.clone());
        self.by_sender
            .entry(tx.sender)
            .or_default()
            .insert(nonce, tx);
        Ok(hash)
    }

    fn outbids(&self, new: &VerifiedTx, old: &VerifiedTx) -> bool {
        let bump = |value: u128| value * (100 + self.config.price_bump_percent as u128) / 100;
        let tip = |tx: &VerifiedTx| {
            tx.envelope
                .max_priority_fee_per_gas()
                .unwrap_or(tx.envelope.max_fee_per_gas())
        };
        new.envelope.max_fee_per_gas() >= bump(old.envelope.max_fee_per_gas())
            && tip(new) >= bump(tip(old))
    }

    /// Executable transactions, best effective tip first, each sender's in nonce order.
    pub fn best(&self, state: &WorldState, base_fee: u64) -> Vec<Arc<VerifiedTx>> {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        struct Head {
            tip: u128,
            // Earlier nonces, then lower hashes, first among equal tips: deterministic order.
            order: std::cmp::Reverse<(u64, B256)>,
            sender: Address,
        }
        let head = |tx: &VerifiedTx| Head {
            tip: tx.envelope.effective_tip_per_gas(base_fee).unwrap_or(0),
            order: std::cmp::Reverse((tx.envelope.nonce(), tx.hash)),
            sender: tx.sender,
        };
        let mut next_nonce: HashMap<Address, u64> = HashMap::new();
        let mut heap = BinaryHeap::new();
        for (sender, queue) in &self.by_sender {
            let nonce = state.account(sender).map_or(0, |a| a.nonce);
            if let Some(tx) = queue.get(&nonce)
                && tx.envelope.max_fee_per_gas() >= base_fee as u128
            {
                heap.push(head(tx));
                next_nonce.insert(*sender, nonce + 1);
            }
        }
        let mut best = Vec::new();
        while let Some(Head { sender, order, .. }) = heap.pop() {
            let queue = &self.by_sender[&sender];
            best.push(queue[&order.0.0].clone());
            let nonce = next_nonce[&sender];
            if let Some(tx) = queue.get(&nonce)
                && tx.envelope.max_fee_per_gas() >= base_fee as u128
            {
                heap.push(head(tx));
                next_nonce.insert(sender, nonce + 1);
            }
        }
        best
    }

    /// Drops transactions whose nonce the state has passed (included, or replaced on chain).
    pub fn prune(&mut self, state: &WorldState) {
        let by_hash = &mut self.by_hash;
        self.by_sender.retain(|sender, queue| {
            let nonce = state.account(sender).map_or(0, |a| a.nonce);
            let kept = queue.split_off(&nonce);
            for stale in queue.values() {
                by_hash.remove(&stale.hash);
            }
            *queue = kept;
            !queue.is_empty()
        });
    }

    /// Removes one transaction and every later one of its sender (they can no longer run).
    pub fn evict(&mut self, tx: &VerifiedTx) {
        let Some(queue) = self.by_sender.get_mut(&tx.sender) else {
            return;
        };
        let dropped = queue.split_off(&tx.envelope.nonce());
        for gone in dropped.values() {
            self.by_hash.remove(&gone.hash);
        }
        if queue.is_empty() {
            self.by_sender.remove(&tx.sender);
        }
    }
}

//! The node on Hubble's open network (`vnt-net`): what it serves to peers that sync, which
//! gossiped transactions it lets through, and how a node that is not a validator follows the
//! chain.
//!
//! A block is served with its finality proof when this node recorded one (the finalization
//! certificate simplex produced for it). A follower trusts no peer: it checks each proof
//! against the committee and takes the blocks below a proven block on the strength of their
//! parent hashes, executing every one of them itself before it is stored.

use alloy_consensus::Transaction;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, U256};
use commonware_codec::{Decode, Encode};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use vnt_chain::ChainConfig;
use vnt_chain::chain::ImportError;
use vnt_chain::node::Shared;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::tx::verify_raw;
use vnt_hubble::block::{LedgerBlock, MAX_BLOCK_BYTES};
use vnt_hubble::epochs::consensus_epoch_of;
use vnt_net::follow::{BlockImporter, FollowOptions, catch_up};
use vnt_net::{GossipValidator, NetConfig, NetEvent, NetHandle, Network, Verdict};
use vnt_vortex::finality::check_finalization;
use vnt_vortex::scheme::ConsensusCommittee;

/// How long a follower waits between catch-ups once it has the head.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// Unproven blocks a follower holds while it waits for a proven descendant (at most this
/// many times the 2 MiB block cap in memory). Validators record a proof for nearly every
/// block, so a long unproven run means a peer serving junk.
const MAX_UNPROVEN_RUN: usize = 64;
/// Upper bound on a proof's bytes (a certificate is a proposal, a bitmap and one signature).
const MAX_PROOF_BYTES: usize = 4 * 1024;

/// A finalized block as served to syncing peers: the block and, when its server has one,
/// the proof that it is final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalBlock {
    pub block: LedgerBlock,
    pub proof: Option<Vec<u8>>,
}

impl FinalBlock {
    /// `u32` length of the block, the block, then the proof (absent when nothing follows).
    pub fn to_bytes(&self) -> Vec<u8> {
        let block = self.block.encode();
        let length = u32::try_from(block.len()).expect("blocks are capped far below 4 GiB");
        let proof = self.proof.as_deref().unwrap_or_default();
        [&length.to_be_bytes()[..], &block, proof].concat()
    }

    /// Parses a peer's bytes, refusing anything malformed or oversized.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let (length, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or("a served block is shorter than its length prefix")?;
        let length = u32::from_be_bytes(*length) as usize;
        if length > rest.len() {
            return Err(format!(
                "a served block claims {length} bytes but only {} follow",
                rest.len()
            ));
        }
        let (block, proof) = rest.split_at(length);
        let block = LedgerBlock::decode_cfg(block.to_vec(), &MAX_BLOCK_BYTES)
            .map_err(|error| format!("a served block does not decode: {error}"))?;
        if proof.len() > MAX_PROOF_BYTES {
            return Err(format!(
                "a served finality proof has {} bytes, more than {MAX_PROOF_BYTES}",
                proof.len()
            ));
        }
        let proof = (!proof.is_empty()).then(|| proof.to_vec());
        Ok(Self { block, proof })
    }
}

/// Lets through gossiped transactions that are well formed and signed for this chain, and
/// that their sender could pay for at this node's head. Runs on the network's validation
/// worker, so waiting for a block commit to release the chain delays gossip, not sync.
pub struct TransactionGate {
    shared: Arc<Shared>,
    config: ChainConfig,
}

impl TransactionGate {
    pub fn new(shared: Arc<Shared>) -> Self {
        let config = shared.chain.read().config().clone();
        Self { shared, config }
    }
}

impl GossipValidator for TransactionGate {
    fn validate_transaction(&self, transaction: &[u8]) -> Verdict {
        // The encoding and signature need no chain state: junk is rejected without the lock.
        let tx = match verify_raw(transaction, &self.config) {
            Ok(tx) => tx,
            // Malformed or badly signed whoever relays it: the relayer pays in score.
            Err(_) => return Verdict::Reject,
        };
        if self.shared.pool.lock().get(&tx.hash).is_some() {
            return Verdict::Ignore;
        }
        let chain = self.shared.chain.read();
        // Signed transactions cost nothing to make: forward only those the sender could
        // still pay for at this node's head. Not the relayer's fault (its head may differ),
        // so no penalty.
        let (nonce, balance) = chain
            .state()
            .account(&tx.sender)
            .map_or((0, U256::ZERO), |account| (account.nonce, account.balance));
        let envelope = &tx.envelope;
        let most = U256::from(envelope.gas_limit())
            .saturating_mul(U256::from(envelope.max_fee_per_gas()))
            .saturating_add(envelope.value());
        if envelope.nonce() < nonce || balance < most {
            return Verdict::Ignore;
        }
        Verdict::Accept
    }
}

/// Starts the open network for this node: serves its finalized chain, and relays
/// transactions both ways between the pool and gossip.
pub async fn join(settings: NetConfig, shared: &Arc<Shared>) -> Result<NetHandle, String> {
    let source = Arc::new(ChainSource::new(shared.clone()));
    let gate = Arc::new(TransactionGate::new(shared.clone()));
    let config = gate.config.clone();
    let listen = settings.listen.clone();
    let (network, events) = Network::start(settings, source, gate)
        .await
        .map_err(|error| format!("cannot join the open network on {listen}: {error}"))?;
    tokio::spawn(relay_transactions(
        shared.clone(),
        config,
        network.clone(),
        events,
    ));
    Ok(network)
}

/// Publishes the transactions this node admits (over RPC or from gossip) and admits those
/// peers gossip. Runs until the network's event stream ends.
pub async fn relay_transactions(
    shared: Arc<Shared>,
    config: ChainConfig,
    network: NetHandle,
    mut events: mpsc::Receiver<NetEvent>,
) {
    let mut admitted = shared.pending_transactions.subscribe();
    loop {
        tokio::select! {
            hash = admitted.recv() => match hash {
                Ok(hash) => publish(&shared, &network, hash).await,
                // Missed announcements are missed gossip; peers still learn them from others.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            event = events.recv() => match event {
                Some(NetEvent::Transaction { bytes, .. }) => {
                    // Admission reads the chain, which a commit may hold for a while: wait on
                    // the blocking pool, in order, rather than on a runtime worker.
                    let (shared, config) = (shared.clone(), config.clone());
                    let _ = tokio::task::spawn_blocking(move || admit(&shared, &config, &bytes))
                        .await;
                }
                Some(_) => {}
                None => return,
            },
        }
    }
}

async fn publish(shared: &Shared, network: &NetHandle, hash: B256) {
    let raw = shared
        .pool
        .lock()
        .get(&hash)
        .map(|tx| tx.envelope.encoded_2718());
    if let Some(raw) = raw {
        // Gossip refuses what it already carried (a transaction that came from a peer).
        let _ = network.publish_transaction(raw).await;
    }
}

fn admit(shared: &Shared, config: &ChainConfig, raw: &[u8]) {
    if let Ok(tx) = verify_raw(raw, config)
        && let Err(reason) = shared.submit(tx)
    {
        tracing::debug!(%reason, "a gossiped transaction was not admitted");
    }
}

/// Follows the finalized chain from peers until the node stops: catches up, then keeps
/// asking for what is new.
pub async fn follow(shared: Arc<Shared>, network: NetHandle, committee: ConsensusCommittee) {
    loop {
        let mut importer = Follower::new(shared.clone(), &committee);
        match catch_up(&network, &mut importer, FollowOptions::default()).await {
            Ok(caught_up) if caught_up.imported > 0 => {
                tracing::info!(
                    head = caught_up.head,
                    imported = caught_up.imported,
                    "caught up"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "no peer to follow yet"),
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

/// How long a validator looks for open-network peers to catch up from before it joins
/// consensus (at a network's start nobody is ahead, and waiting longer only delays it).
const PEERS_BEFORE_VOTING: Duration = Duration::from_secs(3);
/// How often it looks.
const PEER_POLL: Duration = Duration::from_millis(100);

/// Brings a validator's chain up to what its open-network peers have finalized, before it
/// joins consensus. Consensus fetches a missing block only within
/// `vnt_hubble::ledger::MAX_HEARD_AHEAD` blocks of the head, so a validator further behind
/// (a long outage, a fresh disk) would otherwise never catch up. Returns the blocks
/// imported; a failure is logged and consensus's own fetching takes over.
pub async fn catch_up_before_voting(
    shared: &Arc<Shared>,
    network: &NetHandle,
    committee: &ConsensusCommittee,
) -> u64 {
    let deadline = tokio::time::Instant::now() + PEERS_BEFORE_VOTING;
    while network
        .connected_peers()
        .await
        .is_ok_and(|peers| peers.is_empty())
    {
        if tokio::time::Instant::now() >= deadline {
            tracing::info!("no open-network peer yet; joining consensus as the chain is");
            return 0;
        }
        tokio::time::sleep(PEER_POLL).await;
    }
    let mut importer = Follower::new(shared.clone(), committee);
    match catch_up(network, &mut importer, FollowOptions::default()).await {
        Ok(caught_up) => {
            tracing::info!(
                head = caught_up.head,
                imported = caught_up.imported,
                "caught up over the open network before voting"
            );
            caught_up.imported
        }
        Err(error) => {
            tracing::info!(%error, "no catch-up over the open network before voting");
            0
        }
    }
}

/// How often a validator compares its head with its open-network peers'.
const KEEP_UP_EVERY: Duration = Duration::from_secs(5);

/// Keeps a running validator within reach of consensus: whenever an open-network peer has
/// finalized more than `behind` blocks past this node's head, catches up over sync. A
/// validator that fell more than an epoch behind (a long partition, a stalled machine) would
/// otherwise stay behind for good: the engines of the epochs it missed are gone from its
/// peers. Runs until the node stops.
pub async fn keep_up(
    shared: Arc<Shared>,
    network: NetHandle,
    committee: ConsensusCommittee,
    behind: u64,
) {
    loop {
        tokio::time::sleep(KEEP_UP_EVERY).await;
        catch_up_if_behind(&shared, &network, &committee, behind).await;
    }
}

/// One round of [`keep_up`]: catches up if the best peer is more than `behind` blocks ahead;
/// returns the blocks imported.
pub async fn catch_up_if_behind(
    shared: &Arc<Shared>,
    network: &NetHandle,
    committee: &ConsensusCommittee,
    behind: u64,
) -> u64 {
    let head = shared.chain.read().head().number;
    let Ok(Some((_, status))) = network.best_peer().await else {
        return 0;
    };
    if status.height <= head.saturating_add(behind) {
        return 0;
    }
    tracing::info!(
        head,
        peer = status.height,
        "far behind the open network; catching up over sync"
    );
    let mut importer = Follower::new(shared.clone(), committee);
    match catch_up(network, &mut importer, FollowOptions::default()).await {
        Ok(caught_up) => caught_up.imported,
        Err(error) => {
            tracing::info!(%error, "catching up over the open network failed");
            0
        }
    }
}

/// Stores finalized blocks from peers: holds unproven ones until a proven descendant arrives,
/// then executes and commits them all in order.
pub struct Follower<'a> {
    shared: Arc<Shared>,
    committee: &'a ConsensusCommittee,
    unproven: Vec<LedgerBlock>,
}

impl<'a> Follower<'a> {
    pub fn new(shared: Arc<Shared>, committee: &'a ConsensusCommittee) -> Self {
        Self {
            shared,
            committee,
            unproven: Vec::new(),
        }
    }

    /// Executes and commits `blocks`, oldest first, and keeps `proof` beside the last one so
    /// this node serves it to others in turn.
    fn commit(&self, blocks: Vec<LedgerBlock>, proof: &[u8]) -> Result<(), String> {
        let mut chain = self.shared.chain.write();
        let proven = blocks.last().map(LedgerBlock::hash);
        for block in blocks {
            let hash = block.hash();
            let number = block.number();
            match chain.import(block.into_block()) {
                Ok(_) => {}
                Err(ImportError::Invalid(invalid)) => {
                    return Err(format!("block {number} ({hash}) is invalid: {invalid}"));
                }
                Err(ImportError::Chain(error)) => {
                    // The store failed, not the peer: stop the node rather than go on.
                    self.shared
                        .fail(format!("storing block {number} failed: {error}"));
                    return Err(error.to_string());
                }
            }
            if let Err(error) = chain.finalize(hash) {
                self.shared
                    .fail(format!("finalizing block {number} failed: {error}"));
                return Err(error.to_string());
            }
            self.shared.committed(&chain, hash);
        }
        if let Some(hash) = proven
            && let Err(error) = chain.store().put_finality_proof(&hash, proof)
        {
            tracing::warn!(%hash, %error, "cannot store a finality proof");
        }
        Ok(())
    }
}

impl Follower<'_> {
    /// The committee whose certificate finalizes block `height`: the first one in epoch 0,
    /// the staking contract's serving committee after (read from this node's chain, which
    /// holds each committee two epochs ahead).
    fn committee_for(&self, height: u64) -> Result<Cow<'_, ConsensusCommittee>, String> {
        let chain = self.shared.chain.read();
        let epoch = consensus_epoch_of(&chain, height);
        if epoch == self.committee.epoch() {
            return Ok(Cow::Borrowed(self.committee));
        }
        let chain_id = chain.config().chain_id;
        consensus_committee(chain.state(), chain_id, epoch)
            .map(Cow::Owned)
            .map_err(|reason| format!("block {height}: no committee of epoch {epoch}: {reason}"))
    }
}

impl BlockImporter for Follower<'_> {
    fn next_height(&self) -> u64 {
        self.shared.chain.read().head().number + 1 + self.unproven.len() as u64
    }

    fn import(&mut self, height: u64, bytes: &[u8]) -> Result<(), String> {
        let served = FinalBlock::from_bytes(bytes)?;
        if served.block.number() != height {
            return Err(format!(
                "asked for block {height}, was served block {}",
                served.block.number()
            ));
        }
        let parent = match self.unproven.last() {
            Some(block) => block.hash(),
            None => self.shared.chain.read().head_hash(),
        };
        if served.block.block().header.parent_hash != parent {
            return Err(format!(
                "block {height} does not extend {parent}, the block below it here"
            ));
        }
        let Some(proof) = served.proof else {
            if self.unproven.len() >= MAX_UNPROVEN_RUN {
                return Err(format!(
                    "{MAX_UNPROVEN_RUN} blocks in a row came without a finality proof"
                ));
            }
            self.unproven.push(served.block);
            return Ok(());
        };
        let committee = self.committee_for(height)?;
        let finalized = check_finalization(&proof, &committee)
            .map_err(|error| format!("block {height}: {error}"))?;
        if finalized.digest.0 != served.block.hash().0 {
            return Err(format!(
                "block {height}'s finality proof is for another block"
            ));
        }
        let mut blocks = std::mem::take(&mut self.unproven);
        blocks.push(served.block);
        self.commit(blocks, &proof)
    }

    fn reset(&mut self) {
        self.unproven.clear();
    }
}

mod source;
pub use source::ChainSource;

#[cfg(test)]
mod tests;

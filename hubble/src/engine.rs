//! simplex over the ledger, one engine per consensus epoch.
//!
//! On a chain of validators (sealed blocks, staking epochs) every epoch has its own
//! committee, drawn by the staking contract two epochs ahead, and so its own simplex engine:
//! votes name their epoch, and an engine accepts only its own. [`EpochEngines`] starts the
//! engine of an epoch once this node has committed the last block of the epoch before,
//! reading the committee from that state; the node votes if it is a member and observes
//! (checks certificates, commits what they finalize) if it is not. The previous epoch's
//! engine keeps running until this node has committed a few blocks of the next one, so peers
//! still finishing that epoch can fetch its certificates meanwhile; a node that falls further
//! behind catches up over the open network (the node's `open_network::keep_up`), and the
//! task then jumps to the epoch of its next block. The vote, certificate and resolver channels are multiplexed by
//! epoch (`commonware_p2p::utils::mux`); the ledger's block channel is not (a block is a
//! block in any epoch).
//!
//! Within an epoch the ledger orders nothing past the epoch's last block and proposes that
//! block again instead (`Ledger::propose`), so the engine keeps finalizing it until the
//! next one takes over: the next engine starts from it as its genesis. commonware's
//! marshal re-proposes epoch boundaries the same way.
//!
//! On a chain without epochs (the dev genesis) one engine runs epoch 0 for ever.

use crate::application::{Application, Identity};
use crate::block::digest_of;
use alloy_primitives::B256;
use commonware_consensus::simplex::config::{Config, Floor, ForwardPolicy, SkipBudget, SkipPolicy};
use commonware_consensus::simplex::{self, elector::RoundRobin};
use commonware_consensus::types::{Epoch, ViewDelta};
use commonware_cryptography::Sha256;
use commonware_p2p::utils::mux::{MuxHandle, Muxer};
use commonware_p2p::{Blocker, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage};
use commonware_utils::{NZDuration, NZUsize};
use rand_core::CryptoRng;
use std::time::Duration;
use vnt_chain::staking::hook::consensus_committee;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::{BlockDigest, ConsensusCommittee};

/// How often the task looks whether the node committed its epoch's last block.
const EPOCH_POLL: Duration = Duration::from_millis(100);
/// Blocks of a new epoch this node commits before it stops the previous epoch's engine.
const RETIRE_AFTER: u64 = 4;

/// How an engine waits, and where it keeps its journal.
#[derive(Clone)]
pub struct EngineSettings {
    /// How long a view waits for its leader's proposal.
    pub leader_timeout: Duration,
    /// How long a view waits for a certificate once it has a proposal.
    pub certification_timeout: Duration,
    /// How often a timed-out view re-broadcasts its nullify vote.
    pub timeout_retry: Duration,
    /// After this long without progress, silent leaders are skipped.
    pub skip_timeout: Duration,
    /// The journal's page cache.
    pub page_cache: CacheRef,
    /// Prefix of the engines' storage partitions; each epoch's is `<prefix>-epoch-<e>`.
    pub partition: String,
}

/// The engine of one epoch over `app`, voting with `keys` if they belong to `committee`
/// and observing otherwise, started from `floor` on the given channels.
#[allow(clippy::too_many_arguments)]
pub fn start_engine<E, BS, B, S, R>(
    context: E,
    settings: &EngineSettings,
    committee: &ConsensusCommittee,
    keys: &ValidatorKeys,
    app: &Application<E, BS>,
    blocker: B,
    floor: BlockDigest,
    channels: [(S, R); 3],
) -> Handle<()>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    BS: Sender<PublicKey = Identity>,
    B: Blocker<PublicKey = Identity>,
    S: Sender<PublicKey = Identity>,
    R: Receiver<PublicKey = Identity>,
{
    let epoch = committee.epoch();
    let scheme = committee
        .signer(keys)
        .unwrap_or_else(|| committee.verifier());
    let config = Config {
        scheme,
        elector: RoundRobin::<Sha256>::default(),
        blocker,
        automaton: app.clone(),
        relay: app.clone(),
        reporter: app.clone(),
        // Conflicting votes are evidence for slashing; keep them to report them.
        track_historical_votes: true,
        strategy: Sequential,
        partition: format!("{}-epoch-{epoch}", settings.partition),
        mailbox_size: NZUsize!(1024),
        epoch: Epoch::new(epoch),
        floor: Floor::Genesis(floor),
        replay_buffer: NZUsize!(1024 * 1024),
        write_buffer: NZUsize!(1024 * 1024),
        page_cache: settings.page_cache.clone(),
        leader_timeout: settings.leader_timeout,
        certification_timeout: settings.certification_timeout,
        timeout_retry: settings.timeout_retry,
        view_retention: ViewDelta::new(10),
        skip: SkipPolicy::Enabled {
            timeout: settings.skip_timeout,
            budget: SkipBudget::Participants,
        },
        fetch_timeout: NZDuration!(Duration::from_secs(1)),
        fetch_retry_delay: Duration::from_millis(100),
        forward: ForwardPolicy::Disabled,
    };
    let [votes, certificates, resolver] = channels;
    simplex::Engine::new(context, config).start(votes, certificates, resolver)
}

/// The task that runs one engine per epoch for a validator (module docs).
pub struct EpochEngines<E, BS, B> {
    pub context: E,
    pub settings: EngineSettings,
    pub app: Application<E, BS>,
    pub keys: ValidatorKeys,
    pub blocker: B,
    /// The committee of epoch 0 (checked against the node's configuration by the caller);
    /// later committees come from the staking contract.
    pub first_committee: ConsensusCommittee,
    /// The genesis block's digest: epoch 0's floor.
    pub genesis: BlockDigest,
}

impl<E, BS, B> EpochEngines<E, BS, B>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    BS: Sender<PublicKey = Identity>,
    B: Blocker<PublicKey = Identity> + Clone,
{
    /// The same task on `context` (the one its spawn hands it, so that aborting the task
    /// aborts the engines it started).
    pub fn with_context(self, context: E) -> Self {
        Self { context, ..self }
    }

    /// Runs engines on the vote, certificate and resolver channels until aborted, or until
    /// the node fails (a committee that cannot be read stops it with the reason).
    pub async fn run<S, R>(self, votes: (S, R), certificates: (S, R), resolver: (S, R))
    where
        S: Sender<PublicKey = Identity>,
        R: Receiver<PublicKey = Identity>,
    {
        let mut muxes: Vec<MuxHandle<S>> = Vec::with_capacity(3);
        for (sender, receiver) in [votes, certificates, resolver] {
            let (muxer, handle) = Muxer::new(self.context.child("mux"), sender, receiver);
            muxer.start();
            muxes.push(handle);
        }
        let length = self.app.ledger().lock().epoch_length();
        // The epoch of the next block to commit (a node restarting mid-epoch rejoins it).
        let mut epoch = length.map_or(0, |length| (self.head() + 1) / length);
        let mut retiring: Option<Handle<()>> = None;
        loop {
            let Some(engine) = self.start_epoch(epoch, &mut muxes).await else {
                return;
            };
            let Some(length) = length else {
                // One engine for ever.
                let _ = engine.await;
                return;
            };
            let first = epoch * length;
            let last = first + length - 1;
            loop {
                let head = self.head();
                // Peers still finishing the epoch before fetch its certificates from the old
                // engine; once this one has ordered a few blocks, a quorum has moved on and
                // the old engine would only re-finalize the boundary block.
                if head >= first + RETIRE_AFTER
                    && let Some(old) = retiring.take()
                {
                    old.abort();
                }
                if head >= last {
                    break;
                }
                self.context.sleep(EPOCH_POLL).await;
            }
            // The node may have jumped epochs (caught up over the open network meanwhile):
            // the next engine is the one of the next block to commit.
            let next = ((self.head() + 1) / length).max(epoch + 1);
            if let Some(old) = retiring.take() {
                old.abort();
            }
            if next == epoch + 1 {
                retiring = Some(engine);
            } else {
                engine.abort();
            }
            epoch = next;
        }
    }

    /// Starts the engine of `epoch` on its subchannels; `None` if the node is stopping
    /// (network gone) or failed (committee unreadable, reason given to the node).
    async fn start_epoch<S>(&self, epoch: u64, muxes: &mut [MuxHandle<S>]) -> Option<Handle<()>>
    where
        S: Sender<PublicKey = Identity>,
    {
        let (committee, floor) = match self
            .committee(epoch)
            .and_then(|c| Ok((c, self.floor(epoch)?)))
        {
            Ok(found) => found,
            Err(reason) => {
                let shared = self.app.ledger().lock().shared().clone();
                shared.fail(format!("cannot run consensus epoch {epoch}: {reason}"));
                return None;
            }
        };
        let mut channels = Vec::with_capacity(3);
        for mux in muxes.iter_mut() {
            // An error means the network is gone: the node is stopping.
            channels.push(mux.register(epoch).await.ok()?);
        }
        let channels: [_; 3] = channels.try_into().ok()?;
        tracing::info!(
            epoch,
            members = committee.members().len(),
            voting = committee.signer(&self.keys).is_some(),
            "consensus epoch starts"
        );
        Some(start_engine(
            self.context.child("engine").with_attribute("epoch", epoch),
            &self.settings,
            &committee,
            &self.keys,
            &self.app,
            self.blocker.clone(),
            floor,
            channels,
        ))
    }

    /// This node's committed height.
    fn head(&self) -> u64 {
        self.app
            .ledger()
            .lock()
            .with_chain(|chain| chain.head().number)
    }

    /// The committee of `epoch`: the configured one for epoch 0, the staking contract's
    /// after.
    fn committee(&self, epoch: u64) -> Result<ConsensusCommittee, String> {
        if epoch == 0 {
            return Ok(self.first_committee.clone());
        }
        let chain_id = self.first_committee.chain_id();
        self.app
            .ledger()
            .lock()
            .with_chain(|chain| consensus_committee(chain.state(), chain_id, epoch))
    }

    /// Where `epoch`'s engine starts: the genesis block, or the last block of the epoch
    /// before (committed: the task waits for it).
    fn floor(&self, epoch: u64) -> Result<BlockDigest, String> {
        let Some(heights) = self.app.ledger().lock().epoch_heights(epoch) else {
            return Ok(self.genesis);
        };
        if epoch == 0 {
            return Ok(self.genesis);
        }
        let boundary = heights.start() - 1;
        let hash: B256 = self
            .app
            .ledger()
            .lock()
            .with_chain(|chain| chain.hash_by_number(boundary))
            .map_err(|error| format!("reading block {boundary}: {error}"))?
            .ok_or_else(|| format!("block {boundary}, the epoch's floor, is not committed"))?;
        Ok(digest_of(hash))
    }
}

//! A running engine instance: chain, pool, block production and JSON-RPC wired together.
//!
//! [`Node::start`] opens (or creates) the chain in a data directory, starts the producer and
//! binds the RPC server; the returned [`NodeHandle`] stops them in order, so the database is
//! closed cleanly on Ctrl-C.
//!
//! [`Shared`] announces committed blocks and newly pooled transactions on broadcast channels
//! ([`Shared::new_blocks`], [`Shared::pending_transactions`]) for RPC filters and
//! subscriptions. Broadcasting never waits for a receiver: a slow one misses messages and
//! learns it lagged, so no subscriber can hold block production back.

use crate::chain::{Chain, ChainError, SealedBlock};
use crate::genesis::Genesis;
use crate::pool::{AdmissionContext, PoolConfig, TxPool};
use crate::producer::{self, BlockTime, unix_now};
use crate::tx::{TxError, VerifiedTx};
use alloy_consensus::ReceiptEnvelope;
use alloy_primitives::{Address, B256};
use parking_lot::{Mutex, RwLock};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Notify, broadcast, watch};

/// Announcements buffered per receiver before a slow one starts missing them.
pub const EVENT_CAPACITY: usize = 1024;

/// How to run a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub data_dir: PathBuf,
    pub genesis: Genesis,
    pub rpc_addr: SocketAddr,
    pub block_time: BlockTime,
    /// Receives priority fees of produced blocks.
    pub beneficiary: Address,
    pub pool: PoolConfig,
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("cannot serve JSON-RPC on {addr}: {source}")]
    Rpc {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A block just committed, with its receipts, as announced to subscribers.
#[derive(Debug)]
pub struct CommittedBlock {
    pub block: SealedBlock,
    pub receipts: Vec<ReceiptEnvelope>,
}

/// State shared by the producer and the RPC handlers.
pub struct Shared {
    pub chain: RwLock<Chain>,
    pub pool: Mutex<TxPool>,
    pub new_transactions: Notify,
    /// Every committed block, in order (sent only while someone listens).
    pub new_blocks: broadcast::Sender<Arc<CommittedBlock>>,
    /// The hash of every transaction admitted to the pool.
    pub pending_transactions: broadcast::Sender<B256>,
    pub beneficiary: Address,
    failure: Mutex<Option<String>>,
    failed: watch::Sender<bool>,
}

impl Shared {
    pub fn new(chain: Chain, pool: PoolConfig, beneficiary: Address) -> Self {
        Self {
            chain: RwLock::new(chain),
            pool: Mutex::new(TxPool::new(pool)),
            new_transactions: Notify::new(),
            new_blocks: broadcast::channel(EVENT_CAPACITY).0,
            pending_transactions: broadcast::channel(EVENT_CAPACITY).0,
            beneficiary,
            failure: Mutex::new(None),
            failed: watch::channel(false).0,
        }
    }

    /// Admits a verified transaction to the pool and wakes the producer.
    pub fn submit(&self, tx: VerifiedTx) -> Result<B256, TxError> {
        let chain = self.chain.read();
        let ctx = AdmissionContext {
            state: chain.state(),
            base_fee: chain.next_base_fee(),
            vesting: chain.vesting(),
            now: chain.head().timestamp,
        };
        let hash = self.pool.lock().add(tx, &ctx)?;
        self.new_transactions.notify_one();
        // No receiver is not an error: nobody is listening.
        let _ = self.pending_transactions.send(hash);
        Ok(hash)
    }

    /// Builds one block from the pool; says whether executable transactions remain.
    pub fn produce_block(&self) -> Result<bool, ChainError> {
        let mut chain = self.chain.write();
        let candidates: Vec<VerifiedTx> = self
            .pool
            .lock()
            .best(chain.state(), chain.next_base_fee())
            .into_iter()
            .map(|tx| (*tx).clone())
            .collect();
        let built = chain.build_block(candidates, unix_now(), self.beneficiary)?;
        let mut pool = self.pool.lock();
        for (tx, reason) in &built.rejected {
            // Out of block gas is not the transaction's fault: it waits for the next block.
            if !matches!(reason, TxError::GasLimitExceedsBlock { .. }) {
                tracing::debug!(hash = %tx.hash, %reason, "dropping transaction");
                pool.evict(tx);
            }
        }
        drop(pool);
        self.committed(&chain, built.hash);
        let more_waiting = !self
            .pool
            .lock()
            .best(chain.state(), chain.next_base_fee())
            .is_empty();
        Ok(more_waiting)
    }

    /// What follows every block commit, whoever made it (the dev producer or consensus):
    /// drops from the pool what the new head's state included or made impossible, and
    /// announces the block to subscribers. `hash` must be `chain`'s new head.
    pub fn committed(&self, chain: &Chain, hash: B256) {
        self.pool.lock().prune(chain.state());
        tracing::info!(number = chain.head().number, %hash, "block committed");
        self.announce_block(chain, hash);
    }

    /// Sends the committed block to subscribers; reads it back only if someone listens.
    fn announce_block(&self, chain: &Chain, hash: B256) {
        if self.new_blocks.receiver_count() == 0 {
            return;
        }
        let read = || -> Result<Option<CommittedBlock>, ChainError> {
            let Some(block) = chain.block_by_hash(&hash)? else {
                return Ok(None);
            };
            let receipts = chain.receipts(&hash)?;
            Ok(Some(CommittedBlock { block, receipts }))
        };
        match read() {
            Ok(Some(committed)) => {
                let _ = self.new_blocks.send(Arc::new(committed));
            }
            Ok(None) => {}
            // The block is committed; only its announcement is lost.
            Err(error) => tracing::error!(%error, "cannot read back a committed block"),
        }
    }

    /// Records why the node cannot go on and wakes whoever waits on [`NodeHandle::failed`]
    /// (or [`Shared::failure`]).
    pub fn fail(&self, reason: String) {
        *self.failure.lock() = Some(reason);
        self.failed.send_replace(true);
    }
}

impl Shared {
    /// Resolves when [`Shared::fail`] is called, with the reason.
    pub async fn failure(&self) -> String {
        let mut failed = self.failed.subscribe();
        let _ = failed.wait_for(|failed| *failed).await;
        self.failure.lock().clone().unwrap_or_default()
    }
}

/// Starts nodes.
pub struct Node;

impl Node {
    /// Opens the chain, starts block production and the RPC server.
    pub async fn start(config: NodeConfig) -> Result<NodeHandle, NodeError> {
        let chain = Chain::open(&config.data_dir, config.genesis.clone())?;
        let shared = Arc::new(Shared::new(chain, config.pool.clone(), config.beneficiary));
        let (rpc_addr, rpc) = crate::rpc::start(config.rpc_addr, shared.clone())
            .await
            .map_err(|source| NodeError::Rpc {
                addr: config.rpc_addr,
                source,
            })?;
        let (stop, stopped) = watch::channel(false);
        let producer = tokio::spawn(producer::run(shared.clone(), config.block_time, stopped));
        Ok(NodeHandle {
            shared,
            rpc_addr,
            rpc,
            producer,
            stop,
        })
    }
}

/// A running node.
pub struct NodeHandle {
    shared: Arc<Shared>,
    rpc_addr: SocketAddr,
    rpc: jsonrpsee::server::ServerHandle,
    producer: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl NodeHandle {
    /// Where JSON-RPC listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Resolves when the node fails on its own, with the reason.
    pub async fn failed(&self) -> String {
        self.shared.failure().await
    }

    /// Stops RPC first (no new work), then the producer, then closes the database.
    pub async fn stop(self) {
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
        self.stop.send_replace(true);
        let _ = self.producer.await;
    }
}

//! Fixtures shared by the integration tests: an in-memory finalized chain, a validator that
//! remembers what it judged, in-process nodes on 127.0.0.1, deadline-bounded polling, and a
//! rogue client that writes raw bytes on the sync protocol.

use std::{
    future::Future,
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder,
    futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt},
    noise,
    request_response::{self, ProtocolSupport},
    swarm::SwarmEvent,
    tcp, yamux,
};
use tokio::sync::mpsc;
use vnt_net::{
    ChainStatus, GossipValidator, Limits, Multiaddr, NetConfig, NetError, NetEvent, NetHandle,
    Network, PeerId, SyncSource, Verdict, sync_protocol,
};

pub const CHAIN_ID: u64 = 7;
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A finalized chain of opaque blocks; block `h` is `h` as 8 bytes followed by `pad` bytes.
pub struct MemoryChain {
    pub blocks: Vec<Vec<u8>>,
}

impl MemoryChain {
    pub fn new(count: u64, pad: usize) -> Self {
        Self {
            blocks: (0..count).map(|height| block_at(height, pad)).collect(),
        }
    }
}

pub fn block_at(height: u64, pad: usize) -> Vec<u8> {
    let mut block = height.to_be_bytes().to_vec();
    block.resize(8 + pad, height as u8);
    block
}

pub fn hash_of_height(height: u64) -> [u8; 32] {
    let mut hash = [0xAB; 32];
    hash[..8].copy_from_slice(&height.to_be_bytes());
    hash
}

impl SyncSource for MemoryChain {
    fn status(&self) -> ChainStatus {
        let height = self.blocks.len().saturating_sub(1) as u64;
        ChainStatus {
            height,
            hash: hash_of_height(height),
        }
    }

    fn block(&self, height: u64) -> Option<Vec<u8>> {
        self.blocks.get(usize::try_from(height).ok()?).cloned()
    }
}

/// Claims a head far above the blocks it has: serves the first `has` blocks of a
/// `MemoryChain` and then nothing.
pub struct LyingChain {
    pub chain: MemoryChain,
    pub claimed: u64,
}

impl SyncSource for LyingChain {
    fn status(&self) -> ChainStatus {
        ChainStatus {
            height: self.claimed,
            hash: hash_of_height(self.claimed),
        }
    }

    fn block(&self, height: u64) -> Option<Vec<u8>> {
        self.chain.block(height)
    }
}

/// Accepts every transaction and block except those starting with `bad`, and remembers what
/// it saw (transactions and blocks alike).
#[derive(Clone, Default)]
pub struct RecordingValidator {
    pub seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RecordingValidator {
    pub fn saw(&self, transaction: &[u8]) -> bool {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .any(|seen| seen == transaction)
    }
}

impl RecordingValidator {
    fn judge(&self, bytes: &[u8]) -> Verdict {
        self.seen.lock().unwrap().push(bytes.to_vec());
        if bytes.starts_with(b"bad") {
            Verdict::Reject
        } else {
            Verdict::Accept
        }
    }
}

impl GossipValidator for RecordingValidator {
    fn validate_transaction(&self, transaction: &[u8]) -> Verdict {
        self.judge(transaction)
    }

    fn validate_block(&self, block: &[u8]) -> Verdict {
        self.judge(block)
    }
}

pub struct Node {
    pub handle: NetHandle,
    pub events: mpsc::Receiver<NetEvent>,
    pub validator: RecordingValidator,
    pub address: Multiaddr,
}

impl Node {
    pub fn peer_id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    /// Waits for an accepted transaction event carrying `bytes`; panics at the deadline.
    pub async fn receive_transaction(&mut self, bytes: &[u8]) -> PeerId {
        let what = format!("transaction {bytes:?}");
        self.receive(&what, |event| match event {
            NetEvent::Transaction { source, bytes: got } if got == bytes => Some(source),
            _ => None,
        })
        .await
    }

    /// Waits for an accepted block event carrying `bytes`; panics at the deadline.
    pub async fn receive_block(&mut self, bytes: &[u8]) -> PeerId {
        let what = format!("block {bytes:?}");
        self.receive(&what, |event| match event {
            NetEvent::Block { source, bytes: got } if got == bytes => Some(source),
            _ => None,
        })
        .await
    }

    /// Waits until the node bans a peer; returns the peer and the reason given.
    pub async fn receive_ban(&mut self) -> (PeerId, String) {
        self.receive("a peer ban", |event| match event {
            NetEvent::PeerBanned { peer, reason } => Some((peer, reason)),
            _ => None,
        })
        .await
    }

    /// Skips events until `pick` takes one; panics naming `what` at the deadline.
    async fn receive<T>(&mut self, what: &str, mut pick: impl FnMut(NetEvent) -> Option<T>) -> T {
        let wait = async {
            while let Some(event) = self.events.recv().await {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            panic!("event stream ended");
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .unwrap_or_else(|_| panic!("{what} did not arrive"))
    }

    /// Transactions delivered so far, without waiting.
    pub fn drain_transactions(&mut self) -> Vec<Vec<u8>> {
        let mut delivered = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            if let NetEvent::Transaction { bytes, .. } = event {
                delivered.push(bytes);
            }
        }
        delivered
    }
}

pub struct NodeSpec {
    pub bootnodes: Vec<Multiaddr>,
    pub chain: Arc<dyn SyncSource>,
    pub limits: Limits,
    pub chain_id: u64,
    /// Whether the node judges blocks; if not, it neither receives nor forwards them.
    pub judges_blocks: bool,
}

impl NodeSpec {
    pub fn new(bootnodes: &[&Node]) -> Self {
        Self {
            bootnodes: bootnodes.iter().map(|node| node.address.clone()).collect(),
            chain: Arc::new(MemoryChain::new(1, 0)),
            limits: Limits::default(),
            chain_id: CHAIN_ID,
            judges_blocks: true,
        }
    }

    pub fn chain(mut self, chain: impl SyncSource) -> Self {
        self.chain = Arc::new(chain);
        self
    }

    pub fn chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Blocks are left to the validator trait's default, which ignores them.
    pub fn transactions_only(mut self) -> Self {
        self.judges_blocks = false;
        self
    }

    pub async fn start(self) -> Node {
        let mut config = NetConfig::new(self.chain_id, NetConfig::generate_identity());
        config.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
        config.bootnodes = self.bootnodes;
        config.discovery_interval = Duration::from_millis(500);
        config.limits = self.limits;
        let validator = RecordingValidator::default();
        let gossip_validator: Arc<dyn GossipValidator> = if self.judges_blocks {
            Arc::new(validator.clone())
        } else {
            Arc::new(TransactionsOnly(validator.clone()))
        };
        let (handle, events) = Network::start(config, self.chain, gossip_validator)
            .await
            .expect("node starts");
        let address = handle.listen_addrs().await.unwrap().remove(0);
        Node {
            handle,
            events,
            validator,
            address,
        }
    }

    /// Starts this node and a default one bootstrapped to it, returned once the second is
    /// connected to the first: (this node, its peer).
    pub async fn start_with_peer(self) -> (Node, Node) {
        let node = self.start().await;
        let peer = NodeSpec::new(&[&node]).start().await;
        wait_connected(&peer, node.peer_id(), "the peer connects to the node").await;
        (node, peer)
    }
}

/// Judges transactions through the recorder and leaves blocks to the trait's default.
struct TransactionsOnly(RecordingValidator);

impl GossipValidator for TransactionsOnly {
    fn validate_transaction(&self, transaction: &[u8]) -> Verdict {
        self.0.validate_transaction(transaction)
    }
}

/// Polls `check` until it returns `Some`, panicking with `what` at the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let poll = async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(DEADLINE, poll)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"))
}

pub async fn wait_connected(node: &Node, peer: PeerId, what: &str) {
    eventually(what, || async {
        let peers = node.handle.connected_peers().await.unwrap();
        peers.contains(&peer).then_some(())
    })
    .await
}

/// Publishes once some peer subscribes to the topic (publishing earlier has no one to go to).
pub async fn publish_when_subscribed(node: &Node, transaction: &[u8]) {
    retry_until_subscribed(|| node.handle.publish_transaction(transaction.to_vec())).await
}

/// Publishes a finalized block once some peer subscribes to the block topic.
pub async fn publish_block_when_subscribed(node: &Node, block: &[u8]) {
    retry_until_subscribed(|| node.handle.publish_block(block.to_vec())).await
}

async fn retry_until_subscribed<F, Fut>(mut publish: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), NetError>>,
{
    eventually("a gossip peer subscribes", || {
        let published = publish();
        async move {
            match published.await {
                Ok(()) => Some(()),
                Err(NetError::NoGossipPeers) => None,
                Err(error) => panic!("publish failed: {error}"),
            }
        }
    })
    .await
}

/// Writes whatever bytes it is given as a sync request and reads the raw reply.
#[derive(Clone)]
pub struct RawCodec;

#[async_trait]
impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut bytes = Vec::new();
        io.take(1 << 20).read_to_end(&mut bytes).await?;
        Ok(bytes)
    }

    async fn read_response<T>(&mut self, p: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read_request(p, io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        r: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&r).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        r: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&r).await
    }
}

/// A swarm of a new identity whose only behaviour is the sync protocol, in raw bytes.
fn raw_sync_swarm(support: ProtocolSupport) -> Swarm<request_response::Behaviour<RawCodec>> {
    SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                RawCodec,
                [(sync_protocol(CHAIN_ID), support)],
                request_response::Config::default(),
            )
        })
        .unwrap()
        .build()
}

/// A bare libp2p client speaking only the sync protocol, with no validation of its own.
pub struct RogueClient {
    swarm: Swarm<request_response::Behaviour<RawCodec>>,
}

impl RogueClient {
    pub fn new() -> Self {
        Self {
            swarm: raw_sync_swarm(ProtocolSupport::Outbound),
        }
    }

    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Sends `bytes` to the node at `address` and returns its raw reply or the failure.
    pub async fn send(&mut self, target: &Node, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        let mut transport = target.address.clone();
        transport.pop();
        #[allow(deprecated)]
        self.swarm
            .behaviour_mut()
            .add_address(&target.peer_id(), transport);
        let id = self
            .swarm
            .behaviour_mut()
            .send_request(&target.peer_id(), bytes);
        let wait = async {
            loop {
                if let SwarmEvent::Behaviour(event) = self.swarm.select_next_some().await {
                    match event {
                        request_response::Event::Message {
                            message:
                                request_response::Message::Response {
                                    request_id,
                                    response,
                                },
                            ..
                        } if request_id == id => return Ok(response),
                        request_response::Event::OutboundFailure {
                            request_id, error, ..
                        } if request_id == id => return Err(error.to_string()),
                        _ => {}
                    }
                }
            }
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .expect("rogue request settles before the deadline")
    }
}

/// A peer that answers every sync request with the same fixed bytes, valid or not.
pub struct RogueServer {
    pub peer_id: PeerId,
    pub address: Multiaddr,
}

impl RogueServer {
    pub async fn spawn(reply: Vec<u8>) -> Self {
        let mut swarm = raw_sync_swarm(ProtocolSupport::Full);
        swarm
            .listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap())
            .unwrap();
        let peer_id = *swarm.local_peer_id();
        let address = loop {
            if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
                break address.with(libp2p::multiaddr::Protocol::P2p(peer_id));
            }
        };
        // Runs until the test's runtime shuts down.
        tokio::spawn(async move {
            loop {
                if let SwarmEvent::Behaviour(request_response::Event::Message {
                    message: request_response::Message::Request { channel, .. },
                    ..
                }) = swarm.select_next_some().await
                {
                    let _ = swarm.behaviour_mut().send_response(channel, reply.clone());
                }
            }
        });
        Self { peer_id, address }
    }
}

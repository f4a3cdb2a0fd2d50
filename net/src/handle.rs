//! The node's side of the open network: [`Network::start`] spawns the network task and returns
//! a [`NetHandle`] (cheap to clone; every method talks to the task through a channel) and the
//! stream of [`NetEvent`]s. The task stops when every handle is dropped.

use std::{sync::Arc, time::Duration};

use libp2p::{Multiaddr, PeerId, futures::future::join_all, swarm::SwarmEvent};
use tokio::sync::{mpsc, oneshot};

use crate::{
    ChainStatus, GossipValidator, SyncSource,
    behaviour::build_swarm,
    config::NetConfig,
    driver::Driver,
    error::{NetError, SyncError},
    sync::wire::{Request, Response},
};

/// How long [`Network::start`] waits for the listener to come up.
const LISTEN_DEADLINE: Duration = Duration::from_secs(10);

/// Capacity of the event stream; when the node falls this far behind, further events are
/// dropped (and logged) rather than stalling the network.
pub const EVENT_CAPACITY: usize = 4096;

/// What happens on the network that the node may care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// A gossiped transaction the validator accepted (and that is now being forwarded).
    Transaction {
        source: PeerId,
        bytes: Vec<u8>,
    },
    /// A gossiped finalized block the validator accepted (and that is now being forwarded).
    Block {
        source: PeerId,
        bytes: Vec<u8>,
    },
    PeerConnected(PeerId),
    PeerDisconnected(PeerId),
    /// A peer sent malformed protocol bytes and is disconnected for the ban duration.
    PeerBanned {
        peer: PeerId,
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GossipKind {
    Transaction,
    Block,
}

pub(crate) enum Command {
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    ConnectedPeers(oneshot::Sender<Vec<PeerId>>),
    Publish(GossipKind, Vec<u8>, oneshot::Sender<Result<(), NetError>>),
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, SyncError>>,
    },
    Dial(Multiaddr, oneshot::Sender<Result<(), NetError>>),
    GossipScore(PeerId, oneshot::Sender<Option<f64>>),
}

/// Entry point of the crate.
pub struct Network;

impl Network {
    /// Builds the swarm, starts listening, dials the bootnodes and spawns the network task on
    /// the current tokio runtime. Returns once the listener is up.
    pub async fn start(
        config: NetConfig,
        source: Arc<dyn SyncSource>,
        validator: Arc<dyn GossipValidator>,
    ) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
        let bootnodes = config.bootnode_peers()?;
        let mut swarm = build_swarm(&config)?;
        let local_peer_id = *swarm.local_peer_id();
        let listen_error = |reason: String| NetError::Listen {
            address: config.listen.clone(),
            reason,
        };
        swarm
            .listen_on(config.listen.clone())
            .map_err(|error| listen_error(error.to_string()))?;
        let first_address = tokio::time::timeout(LISTEN_DEADLINE, async {
            loop {
                use libp2p::futures::StreamExt;
                match swarm.select_next_some().await {
                    SwarmEvent::NewListenAddr { address, .. } => return Ok(address),
                    SwarmEvent::ListenerError { error, .. } => return Err(error.to_string()),
                    SwarmEvent::ListenerClosed { reason, .. } => {
                        return Err(match reason {
                            Ok(()) => "listener closed".to_string(),
                            Err(error) => error.to_string(),
                        });
                    }
                    _ => {}
                }
            }
        })
        .await
        .map_err(|_| listen_error("no listen address within 10 s".to_string()))?
        .map_err(listen_error)?;
        tracing::info!(peer = %local_peer_id, address = %first_address, "open network listening");

        let (commands, command_receiver) = mpsc::channel(256);
        let (events, event_receiver) = mpsc::channel(EVENT_CAPACITY);
        let driver = Driver::new(swarm, config, bootnodes, source, validator, events);
        tokio::spawn(driver.run(command_receiver));
        Ok((
            NetHandle {
                local_peer_id,
                commands,
            },
            event_receiver,
        ))
    }
}

/// Talks to the running network task.
#[derive(Clone)]
pub struct NetHandle {
    local_peer_id: PeerId,
    commands: mpsc::Sender<Command>,
}

impl NetHandle {
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Addresses the node listens on, each with `/p2p/<peer id>` appended so that other nodes
    /// can use them as bootnodes.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.ask(Command::ListenAddrs).await
    }

    pub async fn connected_peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.ask(Command::ConnectedPeers).await
    }

    /// Dials an address (which may name the peer with `/p2p/<id>`).
    pub async fn dial(&self, address: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Dial(address, reply)).await?
    }

    /// This node's gossip score for `peer` (`None` if the peer is unknown to gossip). Below
    /// -80 the node ignores the peer's gossip; each rejected message costs 1000.
    pub async fn gossip_score(&self, peer: PeerId) -> Result<Option<f64>, NetError> {
        self.ask(|reply| Command::GossipScore(peer, reply)).await
    }

    /// Gossips a transaction to the chain's topic. The node's own validator is not consulted:
    /// the caller publishes what it already checked.
    pub async fn publish_transaction(&self, bytes: Vec<u8>) -> Result<(), NetError> {
        self.ask(|reply| Command::Publish(GossipKind::Transaction, bytes, reply))
            .await?
    }

    /// Gossips a finalized block (as the node encodes it, with its proof of finality) to the
    /// chain's block topic, so that peers at the head receive it without asking. Peers judge it
    /// with [`crate::GossipValidator::validate_block`].
    pub async fn publish_block(&self, bytes: Vec<u8>) -> Result<(), NetError> {
        self.ask(|reply| Command::Publish(GossipKind::Block, bytes, reply))
            .await?
    }

    /// Asks `peer` for its finalized head.
    pub async fn status(&self, peer: PeerId) -> Result<ChainStatus, SyncError> {
        match self.request(peer, Request::Status).await? {
            Response::Status(status) => Ok(status),
            _ => Err(SyncError::WrongResponseKind {
                peer,
                asked: "status",
            }),
        }
    }

    /// Asks `peer` for up to `max` consecutive finalized blocks from height `from`. The peer
    /// may send fewer (its head, its count and byte caps); none means it has nothing there.
    pub async fn blocks(
        &self,
        peer: PeerId,
        from: u64,
        max: u32,
    ) -> Result<Vec<Vec<u8>>, SyncError> {
        match self.request(peer, Request::Blocks { from, max }).await? {
            Response::Blocks(blocks) if blocks.len() > max as usize => {
                Err(SyncError::TooManyBlocks {
                    peer,
                    asked: max,
                    got: blocks.len(),
                })
            }
            Response::Blocks(blocks) => Ok(blocks),
            _ => Err(SyncError::WrongResponseKind {
                peer,
                asked: "blocks",
            }),
        }
    }

    /// Every connected peer that answers a status request, highest finalized head first.
    pub async fn peer_heads(&self) -> Result<Vec<(PeerId, ChainStatus)>, NetError> {
        let peers = self.connected_peers().await?;
        let answers =
            join_all(peers.into_iter().map(|peer| async move {
                self.status(peer).await.ok().map(|status| (peer, status))
            }))
            .await;
        let mut heads: Vec<_> = answers.into_iter().flatten().collect();
        heads.sort_by_key(|(_, status)| std::cmp::Reverse(status.height));
        Ok(heads)
    }

    /// The connected peer with the highest finalized head, `None` if no peer answered.
    pub async fn best_peer(&self) -> Result<Option<(PeerId, ChainStatus)>, NetError> {
        Ok(self.peer_heads().await?.into_iter().next())
    }

    async fn request(&self, peer: PeerId, request: Request) -> Result<Response, SyncError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Request {
            peer,
            request,
            reply,
        };
        self.commands
            .send(command)
            .await
            .map_err(|_| SyncError::Stopped)?;
        let response = answer.await.map_err(|_| SyncError::Stopped)??;
        match response {
            Response::Refused(_) => Err(SyncError::RateLimited { peer }),
            response => Ok(response),
        }
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| NetError::Stopped)?;
        answer.await.map_err(|_| NetError::Stopped)
    }
}

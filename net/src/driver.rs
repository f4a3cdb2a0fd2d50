//! The network task: one loop that owns the swarm and reacts to three things, in turn —
//! swarm events (gossip to validate, sync requests to serve, peers found or lost), commands
//! from [`crate::NetHandle`]s, and a discovery tick (Kademlia lookup, bootnode redial, expiry
//! of bans and of refilled rate buckets). The task never calls the node's code itself: sync
//! answers are read on tokio's blocking pool and gossip is judged by the validation worker
//! ([`crate::validation`]), so a node whose chain is busy does not stall the network; answers
//! and verdicts come back to the loop through channels.

use std::{
    collections::HashMap,
    io,
    sync::Arc,
    time::{Duration, Instant},
};

use libp2p::{
    Multiaddr, PeerId, Swarm,
    futures::StreamExt,
    gossipsub, identify, kad,
    multiaddr::Protocol,
    request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel},
    swarm::SwarmEvent,
};
use tokio::sync::{mpsc, oneshot};

use crate::{
    GossipValidator, SyncSource, Verdict,
    behaviour::{Behaviour, BehaviourEvent, block_topic, transaction_topic},
    config::{Limits, NetConfig, split_peer_id},
    error::{NetError, SyncError},
    handle::{Command, GossipKind, NetEvent},
    sync::{
        RateLimiter,
        codec::Inbound,
        serve_blocks,
        wire::{Refusal, Request, Response},
    },
    validation::{Gossiped, ValidationQueue},
};

/// Listen addresses taken from one peer's identify message; more is either a misconfigured
/// node or a peer trying to fill the routing table with junk.
const MAX_ADDRESSES_PER_PEER: usize = 8;

type ServedResponse = (ResponseChannel<Response>, Response);

pub(crate) struct Driver {
    swarm: Swarm<Behaviour>,
    limits: Limits,
    discovery_interval: Duration,
    transaction_topic: gossipsub::TopicHash,
    block_topic: gossipsub::TopicHash,
    bootnodes: Vec<(PeerId, Multiaddr)>,
    source: Arc<dyn SyncSource>,
    validation: ValidationQueue,
    judged: mpsc::UnboundedReceiver<(Gossiped, Verdict)>,
    events: mpsc::Sender<NetEvent>,
    pending: HashMap<OutboundRequestId, (PeerId, oneshot::Sender<Result<Response, SyncError>>)>,
    rate: RateLimiter,
    bans: HashMap<PeerId, Instant>,
    served_sender: mpsc::UnboundedSender<ServedResponse>,
    served: mpsc::UnboundedReceiver<ServedResponse>,
}

impl Driver {
    pub fn new(
        swarm: Swarm<Behaviour>,
        config: NetConfig,
        bootnodes: Vec<(PeerId, Multiaddr)>,
        source: Arc<dyn SyncSource>,
        validator: Arc<dyn GossipValidator>,
        events: mpsc::Sender<NetEvent>,
    ) -> Self {
        let (served_sender, served) = mpsc::unbounded_channel();
        let (validation, judged) = ValidationQueue::start(validator);
        Self {
            swarm,
            rate: RateLimiter::new(config.limits.requests_per_second),
            limits: config.limits,
            discovery_interval: config.discovery_interval,
            transaction_topic: transaction_topic(config.chain_id).hash(),
            block_topic: block_topic(config.chain_id).hash(),
            bootnodes,
            source,
            validation,
            judged,
            events,
            pending: HashMap::new(),
            bans: HashMap::new(),
            served_sender,
            served,
        }
    }

    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        for (peer, address) in self.bootnodes.clone() {
            self.swarm
                .behaviour_mut()
                .kademlia
                .add_address(&peer, address.clone());
            self.dial_bootnode(peer, address);
        }
        let mut discovery = tokio::time::interval(self.discovery_interval);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                Some((channel, response)) = self.served.recv() => {
                    // The requester may have gone; nothing to do then.
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
                }
                Some((message, verdict)) = self.judged.recv() => self.on_judged(message, verdict),
                _ = discovery.tick() => self.discover(),
            }
        }
        tracing::debug!("open network task stopped: every handle was dropped");
    }

    fn emit(&self, event: NetEvent) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            // The event itself may carry a whole block; its kind is enough to diagnose.
            let kind = match event {
                NetEvent::Transaction { .. } => "transaction",
                NetEvent::Block { .. } => "block",
                NetEvent::PeerConnected(_) => "peer connected",
                NetEvent::PeerDisconnected(_) => "peer disconnected",
                NetEvent::PeerBanned { .. } => "peer banned",
            };
            tracing::warn!(
                kind,
                "network event dropped: the node is not reading events"
            );
        }
    }

    fn dial_bootnode(&mut self, peer: PeerId, address: Multiaddr) {
        if let Err(error) = self.swarm.dial(address.with(Protocol::P2p(peer))) {
            tracing::debug!(%peer, %error, "cannot dial bootnode");
        }
    }

    fn discover(&mut self) {
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.bans.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
        }
        // A peer's rate outlives its connections; only what has refilled is dropped.
        self.rate.forget_refilled(now);
        if self.swarm.connected_peers().next().is_none() {
            for (peer, address) in self.bootnodes.clone() {
                self.dial_bootnode(peer, address);
            }
        }
        // Fails only while the routing table is empty; the next tick tries again.
        let _ = self.swarm.behaviour_mut().kademlia.bootstrap();
    }

    fn ban(&mut self, peer: PeerId, reason: String) {
        tracing::warn!(%peer, %reason, "banning peer");
        self.bans
            .insert(peer, Instant::now() + self.limits.ban_duration);
        self.swarm.behaviour_mut().blocked.block_peer(peer);
        self.swarm.behaviour_mut().kademlia.remove_peer(&peer);
        self.emit(NetEvent::PeerBanned { peer, reason });
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs(reply) => {
                let local = *self.swarm.local_peer_id();
                let addresses = self
                    .swarm
                    .listeners()
                    .map(|address| address.clone().with(Protocol::P2p(local)))
                    .collect();
                let _ = reply.send(addresses);
            }
            Command::ConnectedPeers(reply) => {
                let _ = reply.send(self.swarm.connected_peers().copied().collect());
            }
            Command::GossipScore(peer, reply) => {
                let _ = reply.send(self.swarm.behaviour().gossipsub.peer_score(&peer));
            }
            Command::Dial(address, reply) => {
                let result = self
                    .swarm
                    .dial(address)
                    .map_err(|error| NetError::Transport(error.to_string()));
                let _ = reply.send(result);
            }
            Command::Publish(kind, bytes, reply) => {
                let _ = reply.send(self.publish(kind, bytes));
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer, Ok(request));
                self.pending.insert(id, (peer, reply));
            }
        }
    }

    fn publish(&mut self, kind: GossipKind, bytes: Vec<u8>) -> Result<(), NetError> {
        let (size, max) = (bytes.len(), self.max_gossip_bytes(kind));
        if size > max {
            return Err(match kind {
                GossipKind::Transaction => NetError::TransactionTooLarge { size, max },
                GossipKind::Block => NetError::BlockTooLarge { size, max },
            });
        }
        let topic = match kind {
            GossipKind::Transaction => self.transaction_topic.clone(),
            GossipKind::Block => self.block_topic.clone(),
        };
        match self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
            Ok(_) => Ok(()),
            Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => Err(NetError::NoGossipPeers),
            Err(gossipsub::PublishError::Duplicate) => Err(NetError::AlreadyPublished),
            Err(error) => Err(NetError::Publish(error.to_string())),
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                // Kademlia only learns dialable addresses from outbound connections; a peer
                // that dialled us is reachable at the listen addresses it announces.
                for address in info.listen_addrs.into_iter().take(MAX_ADDRESSES_PER_PEER) {
                    self.swarm
                        .behaviour_mut()
                        .kademlia
                        .add_address(&peer_id, address);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kademlia(kad::Event::RoutingUpdated {
                peer,
                addresses,
                ..
            })) => self.maybe_connect(peer, addresses.first().clone()),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } if num_established.get() == 1 => {
                self.emit(NetEvent::PeerConnected(peer_id));
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => self.emit(NetEvent::PeerDisconnected(peer_id)),
            _ => {}
        }
    }

    /// Dials a peer Kademlia found while the node has fewer connections than it aims for.
    fn maybe_connect(&mut self, peer: PeerId, address: Multiaddr) {
        let connected = self.swarm.connected_peers().count() as u32;
        if connected >= self.limits.target_peers
            || self.swarm.is_connected(&peer)
            || self.bans.contains_key(&peer)
        {
            return;
        }
        let address = match split_peer_id(&address) {
            Some(_) => address,
            None => address.with(Protocol::P2p(peer)),
        };
        if let Err(error) = self.swarm.dial(address) {
            tracing::debug!(%peer, %error, "cannot dial discovered peer");
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let kind = if message.topic == self.transaction_topic {
            GossipKind::Transaction
        } else if message.topic == self.block_topic {
            GossipKind::Block
        } else {
            return self.report(&message_id, &propagation_source, Verdict::Ignore);
        };
        if message.data.len() > self.max_gossip_bytes(kind) {
            return self.report(&message_id, &propagation_source, Verdict::Reject);
        }
        let gossiped = Gossiped {
            id: message_id,
            source: propagation_source,
            kind,
            bytes: message.data,
        };
        if let Err(shed) = self.validation.submit(gossiped) {
            tracing::debug!(peer = %shed.source, "gossip ignored: the validator is behind");
            self.report(&shed.id, &shed.source, Verdict::Ignore);
        }
    }

    /// Reports the validator's verdict to gossipsub and delivers accepted messages.
    fn on_judged(&mut self, message: Gossiped, verdict: Verdict) {
        self.report(&message.id, &message.source, verdict);
        if verdict != Verdict::Accept {
            return;
        }
        let (source, bytes) = (message.source, message.bytes);
        self.emit(match message.kind {
            GossipKind::Transaction => NetEvent::Transaction { source, bytes },
            GossipKind::Block => NetEvent::Block { source, bytes },
        });
    }

    fn report(&mut self, id: &gossipsub::MessageId, source: &PeerId, verdict: Verdict) {
        let acceptance = match verdict {
            Verdict::Accept => gossipsub::MessageAcceptance::Accept,
            Verdict::Reject => gossipsub::MessageAcceptance::Reject,
            Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
        };
        // False when gossipsub no longer holds the message (it waited past the cache).
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    fn max_gossip_bytes(&self, kind: GossipKind) -> usize {
        match kind {
            GossipKind::Transaction => self.limits.max_message_bytes,
            GossipKind::Block => self.limits.max_block_bytes,
        }
    }

    fn on_sync(&mut self, event: request_response::Event<Inbound, Response>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => match request {
                Ok(request) => self.serve(peer, request, channel),
                // Dropping the channel closes the stream unanswered.
                Err(error) => self.ban(peer, format!("sent a malformed sync request: {error}")),
            },
            request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some((_, reply)) = self.pending.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                let Some((peer, reply)) = self.pending.remove(&request_id) else {
                    return;
                };
                let error = match error {
                    OutboundFailure::DialFailure => SyncError::Unreachable { peer },
                    OutboundFailure::Timeout => SyncError::Timeout { peer },
                    OutboundFailure::ConnectionClosed => SyncError::ConnectionClosed { peer },
                    OutboundFailure::UnsupportedProtocols => {
                        SyncError::UnsupportedProtocol { peer }
                    }
                    OutboundFailure::Io(error) if error.kind() == io::ErrorKind::InvalidData => {
                        self.ban(peer, format!("sent a malformed sync response: {error}"));
                        SyncError::MalformedResponse {
                            peer,
                            reason: error.to_string(),
                        }
                    }
                    OutboundFailure::Io(error) => SyncError::Io {
                        peer,
                        reason: error.to_string(),
                    },
                };
                let _ = reply.send(Err(error));
            }
            _ => {}
        }
    }

    fn serve(&mut self, peer: PeerId, request: Request, channel: ResponseChannel<Response>) {
        if !self.rate.admit(peer, Instant::now()) {
            let refusal = Response::Refused(Refusal::RateLimited);
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, refusal);
            return;
        }
        match request {
            Request::Status => {
                let source = self.source.clone();
                let served = self.served_sender.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = served.send((channel, Response::Status(source.status())));
                });
            }
            Request::Blocks { from, max } => {
                let source = self.source.clone();
                let served = self.served_sender.clone();
                let (max_blocks, max_bytes) = (
                    self.limits.max_blocks_per_response,
                    self.limits.max_response_bytes,
                );
                tokio::task::spawn_blocking(move || {
                    let blocks = serve_blocks(source.as_ref(), from, max, max_blocks, max_bytes);
                    let _ = served.send((channel, Response::Blocks(blocks)));
                });
            }
        }
    }
}

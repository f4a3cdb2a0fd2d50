//! The one libp2p swarm a node runs: its protocols, their names, and their configuration.
//!
//! Every protocol name carries the chain id, so nodes of different chains that meet (a
//! misconfigured bootnode, a shared machine) speak past each other instead of mixing data.

use std::{
    collections::HashSet,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder, allow_block_list, connection_limits, gossipsub, identify,
    kad, noise,
    request_response::{self, ProtocolSupport},
    swarm::NetworkBehaviour,
    tcp, yamux,
};
use sha2::{Digest, Sha256};

use crate::{config::NetConfig, error::NetError, sync::codec::SyncCodec};

/// Gossip room for transactions; one per chain.
pub fn transaction_topic(chain_id: u64) -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(format!("/vnt/{chain_id}/tx/1"))
}

/// Gossip room for finalized blocks; one per chain.
pub fn block_topic(chain_id: u64) -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(format!("/vnt/{chain_id}/block/1"))
}

/// Room for the protobuf envelope, signature and key around a gossiped payload.
const GOSSIP_ENVELOPE_BYTES: usize = 1024;

/// Request-response protocol serving chain status and finalized blocks.
pub fn sync_protocol(chain_id: u64) -> StreamProtocol {
    StreamProtocol::try_from_owned(format!("/vnt/{chain_id}/sync/1")).expect("starts with a slash")
}

fn kademlia_protocol(chain_id: u64) -> StreamProtocol {
    StreamProtocol::try_from_owned(format!("/vnt/{chain_id}/kad/1")).expect("starts with a slash")
}

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    // Refusals first, so a banned or surplus peer is turned away before any protocol sees it.
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub identify: identify::Behaviour,
    pub kademlia: kad::Behaviour<kad::store::MemoryStore>,
    pub gossipsub: gossipsub::Behaviour,
    pub sync: request_response::Behaviour<SyncCodec>,
}

pub fn build_swarm(config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let keypair = config.keypair();
    let behaviour = build_behaviour(config, &keypair)?;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|error| NetError::Transport(error.to_string()))?
        .with_behaviour(|_| behaviour)
        .expect("an infallible behaviour constructor")
        .with_swarm_config(|swarm| swarm.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    Ok(swarm)
}

fn build_behaviour(
    config: &NetConfig,
    keypair: &libp2p::identity::Keypair,
) -> Result<Behaviour, NetError> {
    let local = keypair.public().to_peer_id();
    let limits = &config.limits;

    let connection_limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(limits.max_peers))
        .with_max_established_per_peer(Some(2))
        .with_max_pending_incoming(Some(limits.max_peers));

    let identify = identify::Behaviour::new(identify::Config::new(
        format!("/vnt/{}/1", config.chain_id),
        keypair.public(),
    ));

    let mut kad_config = kad::Config::new(kademlia_protocol(config.chain_id));
    // The driver runs its own lookups on `discovery_interval`.
    kad_config.set_periodic_bootstrap_interval(None);
    // The network stores no records; leaving inbound PUTs unfiltered would let any peer fill
    // this node's memory store.
    kad_config.set_record_filtering(kad::StoreInserts::FilterBoth);
    let mut kademlia =
        kad::Behaviour::with_config(local, kad::store::MemoryStore::new(local), kad_config);
    // Without a confirmed public address libp2p would keep kad in client mode, and nodes on a
    // private network or loopback would never answer each other's lookups.
    kademlia.set_mode(Some(kad::Mode::Server));

    let gossipsub = build_gossipsub(config, keypair)?;

    let sync_config =
        request_response::Config::default().with_request_timeout(limits.request_timeout);
    let sync = request_response::Behaviour::with_codec(
        SyncCodec::new(limits.max_response_bytes),
        [(sync_protocol(config.chain_id), ProtocolSupport::Full)],
        sync_config,
    );

    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        limits: connection_limits::Behaviour::new(connection_limits),
        identify,
        kademlia,
        gossipsub,
        sync,
    })
}

fn build_gossipsub(
    config: &NetConfig,
    keypair: &libp2p::identity::Keypair,
) -> Result<gossipsub::Behaviour, NetError> {
    let limits = &config.limits;
    let transactions = transaction_topic(config.chain_id);
    let blocks = block_topic(config.chain_id);
    let gossip_config = gossipsub::ConfigBuilder::default()
        .max_transmit_size(
            limits.max_message_bytes.max(limits.max_block_bytes) + GOSSIP_ENVELOPE_BYTES,
        )
        .max_transmit_size_for_topic(
            limits.max_message_bytes + GOSSIP_ENVELOPE_BYTES,
            transactions.hash(),
        )
        .max_transmit_size_for_topic(
            limits.max_block_bytes + GOSSIP_ENVELOPE_BYTES,
            blocks.hash(),
        )
        // Hold each message until the node's validator has judged it.
        .validate_messages()
        .validation_mode(gossipsub::ValidationMode::Strict)
        // The same transaction or block from two senders is one message.
        .message_id_fn(|message: &gossipsub::Message| {
            gossipsub::MessageId::from(Sha256::digest(&message.data).to_vec())
        })
        .build()
        .map_err(|error| NetError::Transport(format!("gossipsub config: {error}")))?;
    let mut gossipsub = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(keypair.clone()),
        gossip_config,
    )
    .map_err(|error| NetError::Transport(format!("gossipsub: {error}")))?;

    let mut score = gossipsub::PeerScoreParams {
        // Many nodes share one address on a devnet or behind one NAT; that is not Sybil evidence
        // on loopback.
        ip_colocation_factor_whitelist: HashSet::from([
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]),
        ..Default::default()
    };
    for topic in [&transactions, &blocks] {
        score.topics.insert(topic.hash(), topic_score());
    }
    gossipsub
        .with_peer_score(score, gossipsub::PeerScoreThresholds::default())
        .map_err(|error| NetError::Transport(format!("gossipsub scoring: {error}")))?;
    for topic in [&transactions, &blocks] {
        gossipsub
            .subscribe(topic)
            .map_err(|error| NetError::Transport(format!("gossipsub subscribe: {error}")))?;
    }
    Ok(gossipsub)
}

fn topic_score() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        // Transactions are bursty and blocks come once per height; a quiet mesh peer is
        // not at fault, so delivery-rate penalties stay off and only invalid messages
        // cost score.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        // One rejected message puts the sender below the graylist threshold (-80);
        // the count decays by a tenth a second, so it recovers after a dozen seconds.
        invalid_message_deliveries_weight: -1000.0,
        invalid_message_deliveries_decay: 0.9,
        ..Default::default()
    }
}

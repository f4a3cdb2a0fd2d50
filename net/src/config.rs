//! What a node tells the open network before it starts: which chain, which key, where to listen,
//! whom to ask first, and how much it is willing to do for strangers.

use std::time::Duration;

use libp2p::{Multiaddr, PeerId, identity, multiaddr::Protocol};

use crate::error::NetError;

/// Configuration of one node on the open network. [`NetConfig::new`] fills in the defaults.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Chain the node belongs to; it is part of every protocol name, so nodes of different
    /// chains never exchange gossip, routing entries or blocks.
    pub chain_id: u64,
    /// ed25519 secret key. Validators reuse their identity key so that their peer id is the
    /// same on both networks; other nodes use [`NetConfig::generate_identity`].
    pub identity: [u8; 32],
    /// Address to listen on, e.g. `/ip4/0.0.0.0/tcp/30400` (port 0 picks a free port).
    pub listen: Multiaddr,
    /// Peers dialled at start and redialled while the node has no peer; each address must end
    /// in `/p2p/<peer id>` so that the node knows whom it reaches.
    pub bootnodes: Vec<Multiaddr>,
    /// How often the node asks Kademlia for more peers and retries its bootnodes.
    pub discovery_interval: Duration,
    /// Bounds on what the node accepts from and does for other peers.
    pub limits: Limits,
}

/// Bounds on messages, responses, request rates and connections.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest transaction accepted on gossip (bytes).
    pub max_message_bytes: usize,
    /// Largest finalized block accepted on gossip (bytes).
    pub max_block_bytes: usize,
    /// Largest encoded sync response served or accepted (bytes). It must exceed the largest
    /// block, or that block cannot be served.
    pub max_response_bytes: usize,
    /// Most blocks served in one response, whatever the request asks for.
    pub max_blocks_per_response: u32,
    /// Sync requests a single peer may make per second (also the burst size); more are refused.
    pub requests_per_second: u32,
    /// How long an outbound sync request may take before it fails.
    pub request_timeout: Duration,
    /// Most established connections in total.
    pub max_peers: u32,
    /// Below this many connections, peers found by Kademlia are dialled.
    pub target_peers: u32,
    /// How long a peer that sent malformed protocol bytes stays disconnected.
    pub ban_duration: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 128 * 1024,
            max_block_bytes: 4 * 1024 * 1024,
            max_response_bytes: 8 * 1024 * 1024,
            max_blocks_per_response: 128,
            requests_per_second: 20,
            request_timeout: Duration::from_secs(10),
            max_peers: 64,
            target_peers: 16,
            ban_duration: Duration::from_secs(600),
        }
    }
}

impl NetConfig {
    /// A configuration with default limits, listening on all interfaces at port 30400 and
    /// without bootnodes.
    pub fn new(chain_id: u64, identity: [u8; 32]) -> Self {
        Self {
            chain_id,
            identity,
            listen: "/ip4/0.0.0.0/tcp/30400"
                .parse()
                .expect("a valid literal multiaddr"),
            bootnodes: Vec::new(),
            discovery_interval: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }

    /// A fresh random ed25519 secret, for nodes that have no validator key.
    pub fn generate_identity() -> [u8; 32] {
        let keypair = identity::ed25519::Keypair::generate();
        let mut secret = [0u8; 32];
        secret.copy_from_slice(keypair.secret().as_ref());
        secret
    }

    /// Peer id this configuration's node will have.
    pub fn peer_id(&self) -> PeerId {
        peer_id_from_identity(&self.identity)
    }

    pub(crate) fn keypair(&self) -> identity::Keypair {
        keypair_from_identity(&self.identity)
    }

    /// Each bootnode with the peer id its address names.
    pub(crate) fn bootnode_peers(&self) -> Result<Vec<(PeerId, Multiaddr)>, NetError> {
        self.bootnodes
            .iter()
            .map(|address| {
                split_peer_id(address)
                    .ok_or_else(|| NetError::BootnodeWithoutPeerId(address.clone()))
            })
            .collect()
    }
}

/// The libp2p peer id of the node whose ed25519 secret is `secret`.
pub fn peer_id_from_identity(secret: &[u8; 32]) -> PeerId {
    keypair_from_identity(secret).public().to_peer_id()
}

/// The libp2p peer id of the node whose ed25519 public key is `public` (a validator's identity
/// key as registered on chain), or `None` if those bytes are not a curve point.
pub fn peer_id_from_ed25519_public(public: &[u8; 32]) -> Option<PeerId> {
    let key = identity::ed25519::PublicKey::try_from_bytes(public).ok()?;
    Some(identity::PublicKey::from(key).to_peer_id())
}

fn keypair_from_identity(secret: &[u8; 32]) -> identity::Keypair {
    // `SecretKey::try_from_bytes` zeroes the buffer it is given, so hand it a copy.
    let mut copy = *secret;
    let secret = identity::ed25519::SecretKey::try_from_bytes(&mut copy)
        .expect("every 32-byte string is an ed25519 secret");
    identity::Keypair::from(identity::ed25519::Keypair::from(secret))
}

/// Splits `/ip4/…/tcp/…/p2p/<id>` into the peer id and the address without it.
pub(crate) fn split_peer_id(address: &Multiaddr) -> Option<(PeerId, Multiaddr)> {
    let mut transport = address.clone();
    match transport.pop() {
        Some(Protocol::P2p(peer)) => Some((peer, transport)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_of_a_secret_matches_the_public_key_ed25519_dalek_derives() {
        let secret = [7u8; 32];
        let dalek_public = ed25519_dalek::SigningKey::from_bytes(&secret)
            .verifying_key()
            .to_bytes();
        let libp2p_public = keypair_from_identity(&secret)
            .public()
            .try_into_ed25519()
            .expect("an ed25519 key")
            .to_bytes();
        assert_eq!(libp2p_public, dalek_public);
        assert_eq!(
            peer_id_from_identity(&secret),
            peer_id_from_ed25519_public(&dalek_public).expect("a valid point")
        );
    }

    #[test]
    fn generated_identities_differ_and_round_trip_to_their_peer_id() {
        let first = NetConfig::generate_identity();
        let second = NetConfig::generate_identity();
        assert_ne!(first, second);
        let public = ed25519_dalek::SigningKey::from_bytes(&first)
            .verifying_key()
            .to_bytes();
        assert_eq!(
            peer_id_from_identity(&first),
            peer_id_from_ed25519_public(&public).unwrap()
        );
    }

    #[test]
    fn a_bootnode_without_peer_id_is_refused_by_name() {
        let mut config = NetConfig::new(1, [1u8; 32]);
        let address: Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
        config.bootnodes.push(address.clone());
        match config.bootnode_peers() {
            Err(NetError::BootnodeWithoutPeerId(refused)) => assert_eq!(refused, address),
            other => panic!("expected BootnodeWithoutPeerId, got {other:?}"),
        }
    }

    #[test]
    fn a_bootnode_address_splits_into_peer_and_transport() {
        let peer = peer_id_from_identity(&[2u8; 32]);
        let address: Multiaddr = format!("/ip4/127.0.0.1/tcp/5/p2p/{peer}").parse().unwrap();
        let (found, transport) = split_peer_id(&address).unwrap();
        assert_eq!(found, peer);
        assert_eq!(
            transport,
            "/ip4/127.0.0.1/tcp/5".parse::<Multiaddr>().unwrap()
        );
    }
}

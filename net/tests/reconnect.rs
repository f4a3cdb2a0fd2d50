//! A peer's request allowance outlives its connection: dropping it and dialling again at once
//! does not refill the tokens it spent.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::mpsc;
use vnt_net::{Limits, NetConfig, NetEvent, NetHandle, Network, SyncError, Verdict};

use crate::support::{CHAIN_ID, MemoryChain, Node, NodeSpec, eventually};

/// The limiter refills one token a second at this rate, so a reconnect that takes less than
/// this window must find the bucket still empty.
const REFILL_WINDOW: Duration = Duration::from_secs(1);
/// Attempts at the scenario; one that outlasts the refill window proves nothing and is rerun.
const ATTEMPTS: usize = 5;

/// A client of `server` under the identity `secret`, returned once it is connected.
async fn connect(secret: [u8; 32], server: &Node) -> (NetHandle, mpsc::Receiver<NetEvent>) {
    let mut config = NetConfig::new(CHAIN_ID, secret);
    config.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    config.bootnodes = vec![server.address.clone()];
    let accept_all = Arc::new(|_: &[u8]| Verdict::Accept);
    let (handle, events) = Network::start(config, Arc::new(MemoryChain::new(1, 0)), accept_all)
        .await
        .expect("client starts");
    let client = handle.local_peer_id();
    eventually("the server sees the client", || async {
        let peers = server.handle.connected_peers().await.unwrap();
        peers.contains(&client).then_some(())
    })
    .await;
    (handle, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_reconnects_at_once_finds_its_allowance_still_spent() {
    let limits = Limits {
        requests_per_second: 1,
        ..Limits::default()
    };
    let server = NodeSpec::new(&[]).limits(limits).start().await;
    let server_id = server.peer_id();
    for _ in 0..ATTEMPTS {
        let secret = NetConfig::generate_identity();
        let (client, events) = connect(secret, &server).await;
        let client_id = client.local_peer_id();
        let spent_at = Instant::now();
        client
            .status(server_id)
            .await
            .expect("the first request is within the allowance");

        drop((client, events));
        eventually("the server sees the client go", || async {
            let peers = server.handle.connected_peers().await.unwrap();
            (!peers.contains(&client_id)).then_some(())
        })
        .await;
        let (client, _events) = connect(secret, &server).await;
        assert_eq!(client.local_peer_id(), client_id, "same key, same peer");
        let answer = client.status(server_id).await;
        if spent_at.elapsed() >= REFILL_WINDOW {
            continue;
        }
        assert!(
            matches!(answer, Err(SyncError::RateLimited { peer }) if peer == server_id),
            "a reconnected peer must not get a fresh allowance: {answer:?}"
        );
        return;
    }
    panic!("no attempt reconnected within {REFILL_WINDOW:?}; the machine is too loaded");
}

//! Ethereum JSON-RPC over HTTP and WebSocket on one port (jsonrpsee).
//!
//! [`eth`] implements the `eth_*`, `net_*` and `web3_*` methods with the field shapes of the
//! execution-apis schemas and geth's error wording; [`convert`] maps our stored types to
//! those shapes; [`logs`] answers `eth_getLogs`; [`filters`] keeps polling filters;
//! [`subscriptions`] serves `eth_subscribe` over WebSocket; [`error`] holds the error codes.

pub mod convert;
pub mod error;
pub mod eth;
pub mod fees;
pub mod filters;
pub mod logs;
pub mod params;
pub mod subscriptions;

use crate::node::Shared;
use filters::{FilterLimits, Filters};
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest request body accepted (a maximal transaction, hex encoded, fits with room).
pub const MAX_REQUEST_BYTES: u32 = 5 * 1024 * 1024;

/// Binds `addr` and serves the node's methods; returns the bound address.
pub async fn start(
    addr: SocketAddr,
    shared: Arc<Shared>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .set_id_provider(subscriptions::HexIds)
        .build();
    let server = Server::builder().set_config(config).build(addr).await?;
    let bound = server.local_addr()?;
    let filters = Arc::new(Filters::new(shared.clone(), FilterLimits::default()));
    let mut methods = eth::EthRpc::new(shared.clone()).into_module();
    methods
        .merge(filters.clone().into_module())
        .expect("filter method names are unique");
    methods
        .merge(subscriptions::module(shared.clone()))
        .expect("subscription method names are unique");
    let handle = server.start(methods);
    let admitted = shared.pending_transactions.subscribe();
    let stopped = handle.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = stopped.stopped() => {}
            _ = filters.follow_pool(admitted) => {}
        }
    });
    Ok((bound, handle))
}

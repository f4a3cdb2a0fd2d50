//! WebSocket subscriptions: `eth_subscribe` and `eth_unsubscribe` for `newHeads`, `logs`
//! and `newPendingTransactions`, notified as `eth_subscription` messages.
//!
//! Each subscription follows one of the node's broadcast channels ([`Shared::new_blocks`],
//! [`Shared::pending_transactions`]). Broadcasting never waits, so a subscriber can only hurt
//! itself: one that falls more than [`EVENT_CAPACITY`](crate::node::EVENT_CAPACITY) behind
//! the node, or whose connection stops taking notifications, is dropped with a closing
//! error notification; it may subscribe again. Subscription ids are random 128-bit hex
//! quantities, like filter ids.

use super::error::{RpcResult, invalid_params};
use super::filters::random_id;
use super::logs;
use super::params::parse;
use crate::node::{CommittedBlock, Shared};
use alloy_primitives::B256;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Header};
use jsonrpsee::core::server::{PendingSubscriptionSink, SubscriptionMessage, SubscriptionSink};
use jsonrpsee::core::{SubscriptionError, SubscriptionResult};
use jsonrpsee::server::IdProvider;
use jsonrpsee::types::SubscriptionId;
use jsonrpsee::{RpcModule, TrySendError};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// Gives subscriptions geth-style ids.
#[derive(Debug)]
pub struct HexIds;

impl IdProvider for HexIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(random_id().into())
    }
}

/// What a client subscribed to.
enum Topic {
    NewHeads,
    Logs(Box<Filter>),
    PendingTransactions { full: bool },
}

impl Topic {
    /// Reads `eth_subscribe`'s parameters: a kind and, for some kinds, an option.
    fn parse(params: &jsonrpsee::types::Params) -> RpcResult<Self> {
        let (kind, option): (String, Option<Value>) = parse(params, 2, "subscription")?;
        match (kind.as_str(), option) {
            ("newHeads", None) => Ok(Self::NewHeads),
            ("newHeads", Some(_)) => Err(invalid_params("newHeads takes no options")),
            ("logs", option) => {
                let filter: Filter = match option {
                    None => Filter::default(),
                    Some(value) => serde_json::from_value(value)
                        .map_err(|e| invalid_params(format!("invalid filter: {e}")))?,
                };
                let ranged = match &filter.block_option {
                    FilterBlockOption::AtBlockHash(_) => true,
                    FilterBlockOption::Range {
                        from_block,
                        to_block,
                    } => from_block.is_some() || to_block.is_some(),
                };
                if ranged {
                    return Err(invalid_params(
                        "a logs subscription follows new blocks and takes address and topics only; use eth_getLogs for past blocks",
                    ));
                }
                Ok(Self::Logs(Box::new(filter)))
            }
            ("newPendingTransactions", option) => {
                let full = match option {
                    None => false,
                    Some(value) => serde_json::from_value(value).map_err(|_| {
                        invalid_params(
                            "newPendingTransactions takes one option: true for full transactions",
                        )
                    })?,
                };
                Ok(Self::PendingTransactions { full })
            }
            (other, _) => Err(invalid_params(format!(
                "unsupported subscription {other:?}: expected newHeads, logs or newPendingTransactions"
            ))),
        }
    }
}

/// The node whose announcements subscriptions follow.
pub struct Subscriptions {
    shared: Arc<Shared>,
}

/// The subscription methods, over the node's shared state.
pub fn module(shared: Arc<Shared>) -> RpcModule<Subscriptions> {
    let mut module = RpcModule::new(Subscriptions { shared });
    module
        .register_subscription(
            "eth_subscribe",
            "eth_subscription",
            "eth_unsubscribe",
            |params, pending, node, _| async move {
                subscribe(params, pending, node.shared.clone()).await
            },
        )
        .expect("method names are unique");
    module
}

async fn subscribe(
    params: jsonrpsee::types::Params<'static>,
    pending: PendingSubscriptionSink,
    shared: Arc<Shared>,
) -> SubscriptionResult {
    let topic = match Topic::parse(&params) {
        Ok(topic) => topic,
        Err(error) => {
            pending.reject(error).await;
            return Ok(());
        }
    };
    // Listen before accepting, so nothing announced in between is missed.
    match topic {
        Topic::NewHeads => {
            let blocks = shared.new_blocks.subscribe();
            forward(pending.accept().await?, blocks, |block| vec![head(&block)]).await
        }
        Topic::Logs(filter) => {
            let blocks = shared.new_blocks.subscribe();
            forward(pending.accept().await?, blocks, move |block| {
                logs::matching(&block.block, &block.receipts, &filter)
                    .iter()
                    .map(to_json)
                    .collect()
            })
            .await
        }
        Topic::PendingTransactions { full } => {
            let hashes = shared.pending_transactions.subscribe();
            let pool = shared.clone();
            forward(pending.accept().await?, hashes, move |hash: B256| {
                if !full {
                    return vec![to_json(&hash)];
                }
                // Already mined or evicted: there is nothing left to show.
                let tx = pool.pool.lock().get(&hash);
                tx.map(|tx| to_json(&super::convert::pending_tx(tx.envelope.clone(), tx.sender)))
                    .into_iter()
                    .collect()
            })
            .await
        }
    }
}

/// Sends what `render` makes of each announcement until the client unsubscribes or falls
/// behind.
async fn forward<T: Clone>(
    mut sink: SubscriptionSink,
    mut announcements: broadcast::Receiver<T>,
    mut render: impl FnMut(T) -> Vec<Value>,
) -> SubscriptionResult {
    loop {
        let item = tokio::select! {
            _ = sink.closed() => return Ok(()),
            item = announcements.recv() => item,
        };
        let item = match item {
            Ok(item) => item,
            Err(RecvError::Closed) => return Ok(()),
            Err(RecvError::Lagged(missed)) => {
                return Err(dropped(format!("it fell {missed} notifications behind")));
            }
        };
        for value in render(item) {
            let message = SubscriptionMessage::from(
                serde_json::value::to_raw_value(&value).map_err(|e| e.to_string())?,
            );
            match sink.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Closed(_)) => return Ok(()),
                Err(TrySendError::Full(_)) => {
                    return Err(dropped("the connection is not reading its notifications"));
                }
            }
        }
    }
}

fn dropped(why: impl std::fmt::Display) -> SubscriptionError {
    format!("subscription dropped: {why}; subscribe again").into()
}

/// A block header as `newHeads` shows it.
fn head(block: &CommittedBlock) -> Value {
    to_json(&Header {
        hash: block.block.hash,
        inner: block.block.block.header.clone(),
        total_difficulty: None,
        size: None,
    })
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("RPC types serialize")
}

//! Polling filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs` and `eth_uninstallFilter`.
//!
//! A block or log filter is a cursor: the next block number it has not reported. A poll
//! reads the blocks committed since then from the chain, so these filters buffer nothing and
//! miss nothing; one poll reports at most [`MAX_FILTER_ITEMS`] block hashes (or a little over
//! that many logs, whole blocks at a time) and the rest on the next poll. Pending-transaction
//! filters buffer the hashes the pool announces ([`Filters::follow_pool`] fans them out), at
//! most [`MAX_FILTER_ITEMS`] each: a filter that overflows reports it once and is removed.
//!
//! Ids are random 128-bit hex quantities, as geth makes them. A filter nobody polls for
//! [`FILTER_TIMEOUT`] is removed, as in geth, and at most [`MAX_FILTERS`] are installed.

use super::error::{RpcResult, chain_error, invalid_params, server_error};
use super::logs::{self, logs_at};
use super::params::{arity, parse};
use crate::node::Shared;
use alloy_primitives::{B128, B256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use jsonrpsee::RpcModule;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Most filters installed at once, across all clients.
pub const MAX_FILTERS: usize = 1024;
/// Most items one filter reports per poll, and most transaction hashes a pending-transaction
/// filter holds between polls (1,024 such filters hold at most 32 MiB).
pub const MAX_FILTER_ITEMS: usize = 1_000;
/// A filter not polled for this long is removed (geth's default).
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A fresh random 128-bit id as a hex quantity (no leading zeros), as geth writes ids.
pub fn random_id() -> String {
    format!("{:#x}", u128::from_be_bytes(B128::random().0))
}

/// How many filters there may be, how much each holds, and how long an idle one lives.
#[derive(Clone, Copy, Debug)]
pub struct FilterLimits {
    pub max_filters: usize,
    pub max_items: usize,
    pub timeout: Duration,
}

impl Default for FilterLimits {
    fn default() -> Self {
        Self {
            max_filters: MAX_FILTERS,
            max_items: MAX_FILTER_ITEMS,
            timeout: FILTER_TIMEOUT,
        }
    }
}

/// What a filter watches, with its progress.
enum Kind {
    /// New blocks; `next` is the first block not yet reported.
    Blocks { next: u64 },
    /// Logs of new blocks matching `filter`.
    Logs { filter: Box<Filter>, next: u64 },
    /// Transactions entering the pool, buffered until polled.
    Pending { hashes: Vec<B256>, overflowed: bool },
}

struct Installed {
    kind: Kind,
    last_poll: Instant,
}

/// An installed filter in the table; pending-transaction filters are marked so the pool's
/// announcements never wait on a long log poll's lock.
#[derive(Clone)]
struct Entry {
    pending: bool,
    filter: Arc<Mutex<Installed>>,
}

/// The installed filters of one node.
pub struct Filters {
    shared: Arc<Shared>,
    limits: FilterLimits,
    installed: Mutex<HashMap<String, Entry>>,
}

impl Filters {
    pub fn new(shared: Arc<Shared>, limits: FilterLimits) -> Self {
        Self {
            shared,
            limits,
            installed: Mutex::new(HashMap::new()),
        }
    }

    /// The filter methods, registered under their Ethereum names.
    pub fn into_module(self: Arc<Self>) -> RpcModule<Arc<Filters>> {
        let mut module = RpcModule::new(self);
        macro_rules! method {
            ($name:literal, $what:literal, |$filters:ident, $p:ident: $ty:ty| $body:expr) => {
                module
                    .register_blocking_method($name, |params, filters, _| {
                        let $filters: &Filters = &filters;
                        let $p: $ty = parse(&params, arity::<$ty>(), $what)?;
                        let result = $body?;
                        serde_json::to_value(result).map_err(|e| server_error(e.to_string()))
                    })
                    .expect("method names are unique");
            };
        }
        method!("eth_newFilter", "filter", |filters, p: (Filter,)| filters
            .new_log_filter(p.0));
        method!(
            "eth_newBlockFilter",
            "parameters",
            |filters, _p: [u8; 0]| {
                let next = filters.head() + 1;
                filters.install(Kind::Blocks { next })
            }
        );
        method!(
            "eth_newPendingTransactionFilter",
            "parameters",
            |filters, _p: [u8; 0]| filters.install(Kind::Pending {
                hashes: Vec::new(),
                overflowed: false
            })
        );
        method!(
            "eth_getFilterChanges",
            "filter id",
            |filters, p: (String,)| { filters.changes(&p.0) }
        );
        method!("eth_getFilterLogs", "filter id", |filters, p: (String,)| {
            filters.filter_logs(&p.0)
        });
        method!(
            "eth_uninstallFilter",
            "filter id",
            |filters, p: (String,)| {
                RpcResult::Ok(filters.installed.lock().remove(&key(&p.0)).is_some())
            }
        );
        module
    }

    /// Copies every transaction the pool admits into the pending-transaction filters, until
    /// the node stops announcing.
    pub async fn follow_pool(&self, mut admitted: broadcast::Receiver<B256>) {
        loop {
            let hash = admitted.recv().await;
            let mut installed = self.installed.lock();
            self.expire(&mut installed);
            for entry in installed.values().filter(|entry| entry.pending) {
                let mut filter = entry.filter.lock();
                let Kind::Pending { hashes, overflowed } = &mut filter.kind else {
                    continue;
                };
                match hash {
                    Ok(hash) if hashes.len() < self.limits.max_items => hashes.push(hash),
                    // Missed hashes cannot be recovered: the filter says so when polled.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => *overflowed = true,
                    Err(broadcast::error::RecvError::Closed) => {}
                }
            }
            if matches!(hash, Err(broadcast::error::RecvError::Closed)) {
                return;
            }
        }
    }

    fn head(&self) -> u64 {
        self.shared.chain.read().head().number
    }

    fn new_log_filter(&self, filter: Filter) -> RpcResult<String> {
        if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
            return Err(invalid_params(
                "eth_newFilter does not take blockHash: a filter follows new blocks; use eth_getLogs for one block",
            ));
        }
        if let (Some(from), Some(to)) = (filter.get_from_block(), filter.get_to_block())
            && from > to
        {
            return Err(invalid_params(format!(
                "invalid block range: fromBlock {from} is after toBlock {to}"
            )));
        }
        let next = self.head() + 1;
        self.install(Kind::Logs {
            filter: Box::new(filter),
            next,
        })
    }

    fn install(&self, kind: Kind) -> RpcResult<String> {
        let mut installed = self.installed.lock();
        self.expire(&mut installed);
        if installed.len() >= self.limits.max_filters {
            return Err(server_error(format!(
                "too many filters: at most {} may be installed; remove unused ones with eth_uninstallFilter",
                self.limits.max_filters
            )));
        }
        let id = random_id();
        let pending = matches!(kind, Kind::Pending { .. });
        let last_poll = Instant::now();
        let filter = Arc::new(Mutex::new(Installed { kind, last_poll }));
        installed.insert(id.clone(), Entry { pending, filter });
        Ok(id)
    }

    fn expire(&self, installed: &mut HashMap<String, Entry>) {
        let timeout = self.limits.timeout;
        // A filter locked right now is being polled: it is alive.
        installed.retain(|_, entry| {
            entry
                .filter
                .try_lock()
                .is_none_or(|filter| filter.last_poll.elapsed() < timeout)
        });
    }

    /// The filter named `id`; polling it keeps it alive.
    fn get(&self, id: &str) -> RpcResult<Arc<Mutex<Installed>>> {
        let mut installed = self.installed.lock();
        self.expire(&mut installed);
        installed
            .get(&key(id))
            .map(|entry| entry.filter.clone())
            .ok_or_else(|| server_error("filter not found"))
    }

    fn changes(&self, id: &str) -> RpcResult<Value> {
        let filter = self.get(id)?;
        // Polls of one filter take turns, so none reports the same items twice.
        let mut filter = filter.lock();
        filter.last_poll = Instant::now();
        if let Kind::Pending {
            overflowed: true, ..
        } = filter.kind
        {
            // Its gaps cannot be filled: the client must start over.
            drop(filter);
            self.installed.lock().remove(&key(id));
            return Err(server_error(format!(
                "filter removed: more than {} transactions arrived between polls; install a new one",
                self.limits.max_items
            )));
        }
        match &mut filter.kind {
            Kind::Blocks { next } => {
                let hashes = self.new_block_hashes(next)?;
                to_json(hashes)
            }
            Kind::Logs { filter, next } => {
                let logs = self.new_logs(filter, next)?;
                to_json(logs)
            }
            Kind::Pending { hashes, .. } => to_json(std::mem::take(hashes)),
        }
    }

    /// Hashes of the blocks from `next` on, at most `max_items` of them; moves the cursor.
    fn new_block_hashes(&self, next: &mut u64) -> RpcResult<Vec<B256>> {
        let chain = self.shared.chain.read();
        let mut hashes = Vec::new();
        while *next <= chain.head().number && hashes.len() < self.limits.max_items {
            if let Some(hash) = chain.hash_by_number(*next).map_err(chain_error)? {
                hashes.push(hash);
            }
            *next += 1;
        }
        Ok(hashes)
    }

    /// Logs of the blocks from `next` on that match, whole blocks at a time, until about
    /// `max_items` logs or a range's worth of blocks; moves the cursor.
    fn new_logs(&self, filter: &Filter, next: &mut u64) -> RpcResult<Vec<Log>> {
        let last = self
            .head()
            .min(next.saturating_add(logs::MAX_BLOCK_RANGE - 1));
        let from = filter.get_from_block().unwrap_or(0);
        let to = filter.get_to_block().unwrap_or(u64::MAX);
        let mut found = Vec::new();
        while *next <= last && found.len() < self.limits.max_items {
            if (from..=to).contains(next) {
                // Locked per block, so a long catch-up never holds block production back.
                found.extend(logs_at(&self.shared.chain.read(), *next, filter)?);
            }
            *next += 1;
        }
        Ok(found)
    }

    fn filter_logs(&self, id: &str) -> RpcResult<Value> {
        let filter = self.get(id)?;
        let criteria = {
            let mut filter = filter.lock();
            filter.last_poll = Instant::now();
            match &filter.kind {
                Kind::Logs { filter, .. } => filter.clone(),
                // geth answers the same for a block or transaction filter's id.
                _ => return Err(server_error("filter not found")),
            }
        };
        to_json(logs::get_logs(&self.shared.chain, &criteria)?)
    }
}

/// Ids are hex: `0xAB` and `0xab` name the same filter.
fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

fn to_json(value: impl serde::Serialize) -> RpcResult<Value> {
    serde_json::to_value(value).map_err(|e| server_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::Genesis;
    use crate::pool::PoolConfig;
    use alloy_primitives::Address;

    fn filters(limits: FilterLimits) -> (Filters, tempfile::TempDir) {
        let (chain, dir) = crate::testing::temp_chain(Genesis::dev(1_800_000_000));
        let shared = Shared::new(chain, PoolConfig::default(), Address::ZERO);
        (Filters::new(Arc::new(shared), limits), dir)
    }

    fn limits(max_items: usize, timeout: Duration) -> FilterLimits {
        FilterLimits {
            max_items,
            timeout,
            ..FilterLimits::default()
        }
    }

    #[test]
    fn ids_are_random_128_bit_hex_quantities() {
        let (a, b) = (random_id(), random_id());
        assert_ne!(a, b);
        for id in [a, b] {
            let digits = id.strip_prefix("0x").expect("0x prefix");
            assert!(digits.len() <= 32 && !digits.starts_with('0'), "{id}");
            assert!(u128::from_str_radix(digits, 16).is_ok(), "{id}");
        }
    }

    #[test]
    fn a_filter_not_polled_within_the_timeout_is_gone() {
        let (filters, _dir) = filters(limits(MAX_FILTER_ITEMS, Duration::ZERO));
        let id = filters.install(Kind::Blocks { next: 1 }).unwrap();
        let error = filters.changes(&id).unwrap_err();
        assert_eq!(error.message(), "filter not found");
    }

    #[test]
    fn a_block_filter_reports_at_most_max_items_per_poll_and_the_rest_next_time() {
        let (filters, _dir) = filters(limits(2, FILTER_TIMEOUT));
        let id = filters.install(Kind::Blocks { next: 1 }).unwrap();
        for _ in 0..3 {
            filters.shared.produce_block().unwrap();
        }
        let first = filters.changes(&id).unwrap();
        let second = filters.changes(&id).unwrap();
        assert_eq!(first.as_array().unwrap().len(), 2);
        assert_eq!(second.as_array().unwrap().len(), 1);
        assert_eq!(
            filters
                .changes(&id.to_uppercase().replace("0X", "0x"))
                .unwrap(),
            Value::Array(vec![])
        );
    }

    #[tokio::test]
    async fn a_pending_filter_that_overflows_says_so_once_and_is_removed() {
        let (filters, _dir) = filters(limits(2, FILTER_TIMEOUT));
        let id = filters
            .install(Kind::Pending {
                hashes: Vec::new(),
                overflowed: false,
            })
            .unwrap();
        let (admit, admitted) = broadcast::channel(16);
        for byte in 1..=3 {
            admit.send(B256::repeat_byte(byte)).unwrap();
        }
        drop(admit);
        filters.follow_pool(admitted).await;
        let error = filters.changes(&id).unwrap_err();
        assert!(
            error.message().starts_with("filter removed"),
            "{}",
            error.message()
        );
        assert_eq!(
            filters.changes(&id).unwrap_err().message(),
            "filter not found"
        );
    }
}

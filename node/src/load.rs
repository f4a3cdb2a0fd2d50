//! `vnt bench transfers`: how many value transfers a running network finalizes per second,
//! and how long each one waits from submission to finality, measured from outside over
//! JSON-RPC as a wallet sees it.
//!
//! The senders are fresh accounts derived from a fixed seed and funded by the dev accounts
//! first: the pool holds at most 64 transactions ahead of an account's nonce, so one account
//! could not offer a block more than that. Each sender talks to one node only, so its nonces
//! arrive there in order. A watcher reads every new block from the first node and stamps each
//! transaction when it first appears. Hubble's nodes serve a block only once it is final, so
//! that stamp is the moment of finality (on `vnt dev`, it is the moment of inclusion).

use crate::contract::client::{http_client, sign_eip1559};
use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use clap::Args;
use jsonrpsee::core::client::{BatchResponse, ClientT};
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vnt_chain::genesis::dev_signers;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Gas of a plain value transfer.
const TRANSFER_GAS: u64 = 21_000;
/// Raw transactions per JSON-RPC batch: large enough that HTTP round trips do not limit the
/// offered load, small enough to stay far below the server's request size limit.
const BATCH: usize = 64;
/// How often the watcher asks for the head.
const POLL: Duration = Duration::from_millis(20);
/// At most this many transactions in flight per funder: below the pool's nonce window of 64.
const FUNDING_WINDOW: usize = 60;

#[derive(Args)]
pub struct TransfersArgs {
    /// JSON-RPC URL of a node; repeat to spread the senders over several nodes.
    #[arg(long = "rpc", default_value = "http://127.0.0.1:8545")]
    rpc_urls: Vec<String>,
    /// Accounts sending transfers at once.
    #[arg(long, default_value_t = 100)]
    senders: usize,
    /// Transfers each sender makes.
    #[arg(long, default_value_t = 40)]
    per_sender: usize,
    /// Give up waiting for funding or finality after this long, e.g. `300s`.
    #[arg(long, default_value = "300s", value_parser = crate::parse_duration)]
    timeout: Duration,
    /// Print the result as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// What one run measured.
#[derive(Debug, PartialEq)]
pub struct Measurement {
    pub submitted: usize,
    pub finalized: usize,
    pub rejected: usize,
    /// From the first submission to the last transaction's finality.
    pub elapsed: Duration,
    pub latency_p50: Duration,
    pub latency_p99: Duration,
    pub latency_max: Duration,
    /// Blocks that carried at least one of the transfers.
    pub blocks: usize,
    pub largest_block: usize,
}

impl Measurement {
    /// Finalized transfers per second over the run.
    pub fn per_second(&self) -> f64 {
        self.finalized as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// `vnt bench transfers`.
pub async fn transfers(args: TransfersArgs) -> Result<(), Error> {
    if args.rpc_urls.is_empty() || args.senders == 0 || args.per_sender == 0 {
        return Err("nothing to measure: give at least one --rpc, sender and transfer".into());
    }
    if args.per_sender > FUNDING_WINDOW {
        return Err(format!(
            "--per-sender {} is above {FUNDING_WINDOW}: the pool holds at most 64 \
             transactions ahead of an account, so add senders instead",
            args.per_sender
        )
        .into());
    }
    let nodes = args
        .rpc_urls
        .iter()
        .map(|url| http_client(url).map_err(|e| Error::from(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let deadline = Instant::now() + args.timeout;
    let fees = Fees::read(&nodes[0]).await?;
    let senders = derived_senders(args.senders);
    eprintln!(
        "Funding {} senders from the dev accounts ...",
        senders.len()
    );
    fund(&nodes[0], &fees, &senders, args.per_sender, deadline).await?;
    eprintln!(
        "Sending {} transfers to {} node(s) ...",
        senders.len() * args.per_sender,
        nodes.len()
    );
    let measurement = measure(&nodes, &fees, &senders, args.per_sender, deadline).await?;
    if args.json {
        println!("{}", summary_json(&measurement));
    } else {
        print_table(&measurement);
    }
    Ok(())
}

/// A JSON-RPC quantity as a number (the client's parser, with an error that may cross tasks).
fn number(value: &Value) -> Result<u128, Error> {
    crate::contract::client::quantity(value).map_err(|error| error.to_string().into())
}

/// The fee fields every transaction of a run uses.
struct Fees {
    chain_id: u64,
    tip: u128,
    max_fee: u128,
}

impl Fees {
    async fn read(node: &HttpClient) -> Result<Self, Error> {
        let chain_id = number(&node.request("eth_chainId", rpc_params![]).await?)? as u64;
        let tip = number(
            &node
                .request("eth_maxPriorityFeePerGas", rpc_params![])
                .await?,
        )?;
        let head: Value = node
            .request("eth_getBlockByNumber", rpc_params!["latest", false])
            .await?;
        let base_fee = number(&head["baseFeePerGas"])?;
        // Room for the base fee to quadruple while the load raises it.
        Ok(Self {
            chain_id,
            tip,
            max_fee: 4 * base_fee + tip,
        })
    }

    fn transfer(&self, signer: &PrivateKeySigner, nonce: u64, to: Address, value: U256) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: TRANSFER_GAS,
            max_fee_per_gas: self.max_fee,
            max_priority_fee_per_gas: self.tip,
            to: TxKind::Call(to),
            value,
            access_list: Default::default(),
            input: Bytes::new(),
        };
        sign_eip1559(signer, tx).expect("a local key signs any hash")
    }
}

/// `count` accounts whose keys follow from a published seed (never use them for value).
fn derived_senders(count: usize) -> Vec<PrivateKeySigner> {
    (0..count as u64)
        .map(|index| {
            let secret = keccak256([b"vnt bench sender".as_slice(), &index.to_be_bytes()].concat());
            PrivateKeySigner::from_bytes(&secret)
                .expect("a hash is a valid key but with odds 2^-128")
        })
        .collect()
}

/// Where the transfers go: an account nobody holds a key for.
fn sink() -> Address {
    Address::from_word(keccak256(b"vnt bench sink"))
}

/// Pays every sender enough for `per_sender` transfers, each dev account paying its share,
/// and waits until every payment is in a block.
async fn fund(
    node: &HttpClient,
    fees: &Fees,
    senders: &[PrivateKeySigner],
    per_sender: usize,
    deadline: Instant,
) -> Result<(), Error> {
    let funders = dev_signers();
    let allowance = U256::from(per_sender as u128 * (TRANSFER_GAS as u128 * fees.max_fee + 1));
    let mut payments: Vec<Vec<Address>> = vec![Vec::new(); funders.len()];
    for (index, sender) in senders.iter().enumerate() {
        payments[index % funders.len()].push(sender.address());
    }
    let rounds = payments
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .div_ceil(FUNDING_WINDOW);
    for round in 0..rounds {
        let mut batch = Vec::new();
        let mut awaited = Vec::new();
        for (funder, recipients) in funders.iter().zip(&payments) {
            let chunk = recipients
                .iter()
                .skip(round * FUNDING_WINDOW)
                .take(FUNDING_WINDOW);
            let start = number(
                &node
                    .request(
                        "eth_getTransactionCount",
                        rpc_params![funder.address(), "latest"],
                    )
                    .await?,
            )? as u64;
            let mut nonce = start;
            for recipient in chunk {
                batch.push(fees.transfer(funder, nonce, *recipient, allowance));
                nonce += 1;
            }
            if nonce > start {
                awaited.push((funder.address(), nonce));
            }
        }
        let (_, rejected) = send_all(node, &batch).await?;
        if let Some(reason) = rejected.first() {
            return Err(format!("the node refused a funding transfer: {reason}").into());
        }
        for (funder, nonce) in awaited {
            wait_for_nonce(node, funder, nonce, deadline).await?;
        }
    }
    Ok(())
}

/// Waits until `account` has sent `nonce` transactions in blocks.
async fn wait_for_nonce(
    node: &HttpClient,
    account: Address,
    nonce: u64,
    deadline: Instant,
) -> Result<(), Error> {
    loop {
        let sent = number(
            &node
                .request("eth_getTransactionCount", rpc_params![account, "latest"])
                .await?,
        )? as u64;
        if sent >= nonce {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("funding from {account} was not finalized in time").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Sends raw transactions in batches; returns their hashes, each with the moment its batch
/// was sent, and the node's refusals.
async fn send_all(
    node: &HttpClient,
    raw: &[Bytes],
) -> Result<(Vec<(B256, Instant)>, Vec<String>), Error> {
    let mut hashes = Vec::with_capacity(raw.len());
    let mut rejected = Vec::new();
    for chunk in raw.chunks(BATCH) {
        let sent_at = Instant::now();
        let mut batch = BatchRequestBuilder::new();
        for tx in chunk {
            batch.insert("eth_sendRawTransaction", rpc_params![tx])?;
        }
        let answers: BatchResponse<B256> = node.batch_request(batch).await?;
        for answer in answers.into_iter() {
            match answer {
                Ok(hash) => hashes.push((hash, sent_at)),
                Err(error) => rejected.push(error.message().to_string()),
            }
        }
    }
    Ok((hashes, rejected))
}

/// Sends every sender's transfers to its node and stamps each one's finality.
async fn measure(
    nodes: &[HttpClient],
    fees: &Fees,
    senders: &[PrivateKeySigner],
    per_sender: usize,
    deadline: Instant,
) -> Result<Measurement, Error> {
    // Senders left over from an earlier run continue from their nonce.
    let mut batch = BatchRequestBuilder::new();
    for sender in senders {
        batch.insert(
            "eth_getTransactionCount",
            rpc_params![sender.address(), "latest"],
        )?;
    }
    let counts: BatchResponse<Value> = nodes[0].batch_request(batch).await?;
    let first_nonces = counts
        .into_iter()
        .map(|count| number(&count.map_err(|e| e.message().to_string())?).map(|n| n as u64))
        .collect::<Result<Vec<u64>, Error>>()?;
    // Nonce-major order: each sender's transfers reach its node in nonce order.
    let mut per_node: Vec<Vec<Bytes>> = vec![Vec::new(); nodes.len()];
    for offset in 0..per_sender as u64 {
        for (index, sender) in senders.iter().enumerate() {
            let nonce = first_nonces[index] + offset;
            per_node[index % nodes.len()].push(fees.transfer(sender, nonce, sink(), U256::from(1)));
        }
    }
    // A typed transaction's hash is the hash of its bytes: the watcher knows what to look
    // for before anything is sent, and runs while the load is offered.
    let awaited: HashSet<B256> = per_node.iter().flatten().map(keccak256).collect();
    let from_block = number(&nodes[0].request("eth_blockNumber", rpc_params![]).await?)? as u64;
    // Lowered by each refusal, so the watcher does not wait for what will never come.
    let expected = Arc::new(AtomicUsize::new(awaited.len()));
    let watcher = tokio::spawn(watch_blocks(
        nodes[0].clone(),
        from_block,
        awaited,
        expected.clone(),
        deadline,
    ));
    let started = Instant::now();
    let sends: Vec<_> = per_node
        .into_iter()
        .zip(nodes.iter().cloned())
        .map(|(raw, node)| tokio::spawn(async move { send_all(&node, &raw).await }))
        .collect();
    let mut submitted_at: HashMap<B256, Instant> = HashMap::new();
    let mut rejected = 0;
    for send in sends {
        let (hashes, refusals) = send.await??;
        rejected += refusals.len();
        expected.fetch_sub(refusals.len(), Ordering::Relaxed);
        if let Some(reason) = refusals.first() {
            eprintln!(
                "the node refused {} transfers, e.g.: {reason}",
                refusals.len()
            );
        }
        submitted_at.extend(hashes);
    }
    let submitted = submitted_at.len() + rejected;
    let finality = watcher.await??;
    let mut latencies: Vec<Duration> = finality
        .stamps
        .iter()
        .filter_map(|(hash, at)| Some(at.saturating_duration_since(*submitted_at.get(hash)?)))
        .collect();
    latencies.sort();
    let last = finality.stamps.values().max().copied().unwrap_or(started);
    Ok(Measurement {
        submitted,
        finalized: latencies.len(),
        rejected,
        elapsed: last.saturating_duration_since(started),
        latency_p50: percentile(&latencies, 50),
        latency_p99: percentile(&latencies, 99),
        latency_max: latencies.last().copied().unwrap_or_default(),
        blocks: finality.blocks,
        largest_block: finality.largest_block,
    })
}

/// When each awaited transaction first appeared in a block.
struct Finality {
    stamps: HashMap<B256, Instant>,
    blocks: usize,
    largest_block: usize,
}

/// Reads blocks after `from_block` until every awaited transaction appeared or time is up.
async fn watch_blocks(
    node: HttpClient,
    from_block: u64,
    awaited: HashSet<B256>,
    expected: Arc<AtomicUsize>,
    deadline: Instant,
) -> Result<Finality, Error> {
    let mut finality = Finality {
        stamps: HashMap::new(),
        blocks: 0,
        largest_block: 0,
    };
    let mut next = from_block + 1;
    while finality.stamps.len() < expected.load(Ordering::Relaxed) && Instant::now() < deadline {
        let head = number(&node.request("eth_blockNumber", rpc_params![]).await?)? as u64;
        if head < next {
            tokio::time::sleep(POLL).await;
            continue;
        }
        let seen = Instant::now();
        for number in next..=head {
            let block: Value = node
                .request(
                    "eth_getBlockByNumber",
                    rpc_params![format!("{number:#x}"), false],
                )
                .await?;
            let ours = block["transactions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|hash| hash.as_str()?.parse::<B256>().ok())
                .filter(|hash| awaited.contains(hash))
                .map(|hash| finality.stamps.insert(hash, seen))
                .count();
            if ours > 0 {
                finality.blocks += 1;
                finality.largest_block = finality.largest_block.max(ours);
            }
        }
        next = head + 1;
    }
    Ok(finality)
}

/// The `p`th percentile of sorted `values` (nearest rank); zero for none.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn summary_json(m: &Measurement) -> Value {
    json!({
        "submitted": m.submitted,
        "finalized": m.finalized,
        "rejected": m.rejected,
        "elapsedSeconds": m.elapsed.as_secs_f64(),
        "transfersPerSecond": m.per_second(),
        "latencyP50Ms": m.latency_p50.as_millis() as u64,
        "latencyP99Ms": m.latency_p99.as_millis() as u64,
        "latencyMaxMs": m.latency_max.as_millis() as u64,
        "blocks": m.blocks,
        "largestBlock": m.largest_block,
    })
}

fn print_table(m: &Measurement) {
    println!("transfers submitted   {}", m.submitted);
    println!(
        "finalized             {} ({} refused)",
        m.finalized, m.rejected
    );
    println!("elapsed               {:.2} s", m.elapsed.as_secs_f64());
    println!("transfers per second  {:.1}", m.per_second());
    println!(
        "finality latency      p50 {} ms, p99 {} ms, max {} ms",
        m.latency_p50.as_millis(),
        m.latency_p99.as_millis(),
        m.latency_max.as_millis()
    );
    println!(
        "blocks                {} (largest: {} transfers)",
        m.blocks, m.largest_block
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&ms(&hundred), 50), Duration::from_millis(50));
        assert_eq!(percentile(&ms(&hundred), 99), Duration::from_millis(99));
        assert_eq!(percentile(&ms(&[7]), 99), Duration::from_millis(7));
        assert_eq!(percentile(&ms(&[1, 2, 3]), 50), Duration::from_millis(2));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[test]
    fn senders_are_distinct_and_stable() {
        let a = derived_senders(3);
        let b = derived_senders(3);
        assert_eq!(
            a.iter().map(|s| s.address()).collect::<Vec<_>>(),
            b.iter().map(|s| s.address()).collect::<Vec<_>>()
        );
        assert_ne!(a[0].address(), a[1].address());
        assert_ne!(a[1].address(), a[2].address());
    }
}

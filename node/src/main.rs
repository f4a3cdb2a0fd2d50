//! `vnt`: the VNT Chain command line.
//!
//! `vnt dev` runs a single-node development chain with funded accounts, in the spirit of
//! anvil and `substrate --dev`; `vnt node` runs a node of Hubble from its genesis, or with
//! `--config` one validator of a Hubble network; `vnt devnet` starts a network of
//! validators on loopback.

mod config;
mod contract;
mod devnet;
mod evm;
mod link_delay;
mod load;
mod open_network;
mod validator;
mod zk;

use alloy_primitives::Address;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::genesis::{DEV_BALANCE_VNT, Genesis, dev_signers};
use vnt_chain::pool::PoolConfig;
use vnt_chain::producer::{BlockTime, unix_now};
use vnt_chain::{Chain, Node, NodeConfig};

#[derive(Parser)]
#[command(
    name = "vnt",
    version,
    about = "VNT Chain: run nodes and development chains"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a single-node development chain with ten funded accounts.
    Dev(DevArgs),
    /// Run a Hubble node (the white paper's genesis allocation and team lock-up), or with
    /// `--config` one validator of a Hubble network.
    Node(NodeArgs),
    /// Start a network of validators on loopback, each a `vnt node --config` process.
    Devnet(devnet::DevnetArgs),
    /// Create, build, deploy and call WebAssembly contracts.
    #[command(subcommand)]
    Contract(contract::ContractCommand),
    /// Tools for the EVM: run Ethereum's state tests through our state and execution.
    #[command(subcommand)]
    Evm(evm::EvmCommand),
    /// The shielded pool: keys, a shielded wallet, shield, private send and unshield.
    #[command(subcommand)]
    Zk(zk::ZkCommand),
    /// Measure a running network from outside: transfers per second and finality latency.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fund fresh senders, send value transfers over JSON-RPC, time each one's finality.
    Transfers(load::TransfersArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Directory of the chain database; the chain continues from it on restart
    /// [default: ~/.vnt/dev for `vnt dev`, ~/.vnt/hubble for `vnt node`].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Keep the chain in a temporary directory, deleted on exit.
    #[arg(long, conflicts_with = "data_dir")]
    tmp: bool,
    /// Address for JSON-RPC over HTTP and WebSocket.
    #[arg(long, default_value = "127.0.0.1:8545")]
    rpc_addr: SocketAddr,
    /// Seal a block as soon as a transaction arrives instead of on an interval.
    #[arg(long)]
    instant: bool,
    /// Time between blocks, e.g. `2s` or `500ms`.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    block_time: Duration,
}

#[derive(Args)]
struct DevArgs {
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct NodeArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Genesis JSON file; Hubble's genesis when omitted.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Receives the priority fees of the blocks this node produces.
    #[arg(long)]
    beneficiary: Option<Address>,
    /// Run a validator of a Hubble network from this TOML file (see docs/network.md);
    /// the file gives the genesis, data directory, addresses, keys and validators.
    #[arg(
        long,
        conflicts_with_all = ["genesis", "beneficiary", "data_dir", "tmp", "instant"]
    )]
    config: Option<PathBuf>,
}

/// Hubble's genesis time: 2026-12-01T00:00:00Z.
const HUBBLE_GENESIS_TIME: u64 = 1_796_083_200;

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 2s or 500ms"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        _ => return Err(format!("unknown unit `{unit}` in `{text}`: use s or ms")),
    };
    if duration.is_zero() {
        return Err("block time must be above zero".into());
    }
    Ok(duration)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,jsonrpsee=warn".into()),
        )
        // Colours only on a terminal: `vnt devnet` sends each node's output to a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let cli = Cli::parse();
    // A validator runs inside commonware's runtime, which builds its own tokio runtime.
    if let Command::Node(NodeArgs {
        config: Some(config),
        ..
    }) = &cli.command
    {
        return exit_code(validator::run(config));
    }
    // Blocks and calls execute on the runtime's threads; WASM contracts need a deep stack.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(vnt_chain::execution::EXECUTION_STACK_BYTES)
        .build()
        .expect("a tokio runtime starts");
    exit_code(runtime.block_on(run(cli)))
}

fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (run, genesis, beneficiary) = match cli.command {
        Command::Dev(mut args) => {
            print_dev_accounts(&dev_signers());
            args.run
                .data_dir
                .get_or_insert_with(|| default_data_dir("dev"));
            let genesis = dev_genesis(&args.run)?;
            // Like anvil, the dev producer is the zero address, so dev accounts see only their
            // own spending in their balances.
            (args.run, genesis, Address::ZERO)
        }
        Command::Contract(command) => return contract::run(command).await,
        // CPU-bound on threads of its own; the async runtime only waits for it.
        Command::Evm(command) => return evm::run(command),
        Command::Zk(command) => return zk::run(command).await,
        Command::Devnet(args) => return devnet::run(args, default_data_dir("devnet")).await,
        Command::Bench(BenchCommand::Transfers(args)) => {
            return load::transfers(args)
                .await
                .map_err(|error| error.to_string().into());
        }
        Command::Node(mut args) => {
            args.run
                .data_dir
                .get_or_insert_with(|| default_data_dir("hubble"));
            let genesis = match &args.genesis {
                Some(path) => Genesis::from_file(path)?,
                None => Genesis::hubble(HUBBLE_GENESIS_TIME),
            };
            (args.run, genesis, args.beneficiary.unwrap_or_default())
        }
    };
    let tmp = run.tmp.then(tempfile::tempdir).transpose()?;
    let data_dir = match &tmp {
        Some(tmp) => tmp.path().to_path_buf(),
        None => run
            .data_dir
            .clone()
            .expect("resolved before the node starts"),
    };
    let config = NodeConfig {
        data_dir: data_dir.clone(),
        genesis,
        rpc_addr: run.rpc_addr,
        block_time: if run.instant {
            BlockTime::Instant
        } else {
            BlockTime::Interval(run.block_time)
        },
        beneficiary,
        pool: PoolConfig::default(),
    };
    let node = Node::start(config).await?;
    println!("Data directory: {}", data_dir.display());
    println!("JSON-RPC (HTTP and WebSocket): http://{}", node.rpc_addr());
    let failure = tokio::select! {
        signal = tokio::signal::ctrl_c() => { signal?; None }
        reason = node.failed() => Some(reason),
    };
    println!("Shutting down");
    node.stop().await;
    match failure {
        Some(reason) => Err(reason.into()),
        None => Ok(()),
    }
}

/// `~/.vnt/NAME`, or `.vnt/NAME` where there is no home directory.
fn default_data_dir(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".vnt").join(name)
}

/// A restarted dev chain continues from the genesis it was created with.
fn dev_genesis(run: &RunArgs) -> Result<Genesis, Box<dyn std::error::Error>> {
    if run.tmp {
        return Ok(Genesis::dev(unix_now()));
    }
    let data_dir = run.data_dir.as_deref().expect("resolved by the caller");
    match Chain::stored_genesis(data_dir)? {
        None => Ok(Genesis::dev(unix_now())),
        Some(stored) if stored.config.chain_id == DEV_CHAIN_ID => Ok(stored),
        Some(stored) => Err(format!(
            "{} holds a chain with id {}, not a dev chain; use `vnt node` or another --data-dir",
            data_dir.display(),
            stored.config.chain_id
        )
        .into()),
    }
}

pub(crate) fn print_dev_accounts(signers: &[alloy_signer_local::PrivateKeySigner]) {
    println!("Development accounts ({DEV_BALANCE_VNT} VNT each):");
    for (index, signer) in signers.iter().enumerate() {
        let key = alloy_primitives::hex::encode_prefixed(signer.to_bytes());
        println!("  ({index}) {}  private key {key}", signer.address());
    }
    println!("Mnemonic: {}", vnt_chain::genesis::DEV_MNEMONIC);
}

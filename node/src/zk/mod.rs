//! `vnt zk`: the shielded pool from the command line — keys, a wallet, and the three ways
//! value moves (shield, private send, unshield).
//!
//! A wallet is one spending key in a file ([`wallet_file`]); its notes live on chain,
//! encrypted to it, and every command that needs them scans the pool's `NoteCommitted` logs
//! again ([`pool::Pool::scan`]), decrypts what it can, and asks the pool which of its notes
//! are spent. Spends are built by `vnt_zk::wallet`, proven here with the proving key of
//! `--keys` (after checking its verifying key is the one the pool pins), and submitted by a
//! public account (`--from-key`) that pays the gas and, as a relayer, earns the fee.
//!
//! The chapter `docs/shielded-wallet.md` describes the commands and the formats.

mod amount;
mod commands;
mod pool;
mod wallet_file;

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ZkCommand {
    /// Make the spend circuit's proving and verifying keys (single-party: UNSAFE for value).
    Setup {
        /// Directory to write `spend.pk` and `spend.vk` into [default: ~/.vnt/zk/keys].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The dev keys `vnt dev` pins, derived from a public seed (anyone can forge proofs).
        #[arg(long)]
        dev: bool,
        /// Replace keys already in the directory.
        #[arg(long)]
        force: bool,
    },
    /// Print the wallet's shielded address, creating the wallet if there is none.
    Address {
        #[command(flatten)]
        wallet: WalletArgs,
    },
    /// Scan the chain for the wallet's notes and print the unspent ones and their sum.
    Balance {
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Move public VNT from an account into the wallet's shielded balance.
    Shield {
        /// Amount in VNT, up to 9 decimals.
        amount: String,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        spend: SpendArgs,
    },
    /// Pay shielded VNT to a shielded address.
    Send {
        /// Amount in VNT, up to 9 decimals.
        amount: String,
        /// The recipient's shielded address (`vntzk1…`).
        #[arg(long)]
        to: String,
        /// Paid to the submitting account (a relayer), in VNT.
        #[arg(long, default_value = "0")]
        fee: String,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        spend: SpendArgs,
    },
    /// Move shielded VNT out of the pool to a public account.
    Unshield {
        /// Amount in VNT, up to 9 decimals.
        amount: String,
        /// The public account receiving it (`0x…`).
        #[arg(long)]
        to: String,
        /// Paid to the submitting account (a relayer), in VNT.
        #[arg(long, default_value = "0")]
        fee: String,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        spend: SpendArgs,
    },
}

/// Which wallet.
#[derive(Args)]
pub struct WalletArgs {
    /// The wallet file [default: ~/.vnt/zk/wallet.json].
    #[arg(long, env = "VNT_ZK_WALLET")]
    wallet: Option<PathBuf>,
}

/// Which node.
#[derive(Args)]
pub struct NodeArgs {
    /// JSON-RPC endpoint of the node.
    #[arg(
        long,
        visible_alias = "rpc",
        env = "VNT_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc_url: String,
}

/// What a command that proves and submits needs.
#[derive(Args)]
pub struct SpendArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Directory holding `spend.pk` (as `vnt zk setup` writes it) [default: ~/.vnt/zk/keys].
    #[arg(long, env = "VNT_ZK_KEYS")]
    keys: Option<PathBuf>,
    /// Hex private key of the public account that submits the transaction and pays its
    /// gas (for `shield`, also the value); it receives the fee.
    #[arg(long, env = "VNT_PRIVATE_KEY", hide_env_values = true)]
    from_key: String,
}

/// `~/.vnt/zk/NAME`.
fn default_path(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".vnt").join("zk").join(name)
}

impl WalletArgs {
    fn path(&self) -> PathBuf {
        self.wallet
            .clone()
            .unwrap_or_else(|| default_path("wallet.json"))
    }
}

impl SpendArgs {
    fn keys(&self) -> PathBuf {
        self.keys.clone().unwrap_or_else(|| default_path("keys"))
    }
}

/// Runs one `vnt zk` command.
pub async fn run(command: ZkCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        ZkCommand::Setup { out, dev, force } => {
            let out = out.unwrap_or_else(|| default_path("keys"));
            commands::setup(&out, dev, force).await
        }
        ZkCommand::Address { wallet } => commands::address(&wallet.path()),
        ZkCommand::Balance { wallet, node } => {
            commands::balance(&wallet.path(), &node.rpc_url).await
        }
        ZkCommand::Shield {
            amount,
            wallet,
            spend,
        } => commands::shield(&wallet.path(), &spend, &amount).await,
        ZkCommand::Send {
            amount,
            to,
            fee,
            wallet,
            spend,
        } => commands::send(&wallet.path(), &spend, &amount, &to, &fee).await,
        ZkCommand::Unshield {
            amount,
            to,
            fee,
            wallet,
            spend,
        } => commands::unshield(&wallet.path(), &spend, &amount, &to, &fee).await,
    }
}

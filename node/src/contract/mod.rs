//! `vnt contract`: create, build, deploy and call WebAssembly contracts.
//!
//! A project is a directory holding either a Cargo package (a Rust contract on the
//! `vnt-sdk` crate) or C files (on the `vnt.h` header). `build` compiles it to
//! `target/vnt/NAME.wasm` and checks the module against the VM's deploy rules, so a
//! contract the chain would refuse fails here, with the same rule named. `deploy`, `call`
//! and `send` are JSON-RPC clients of any node, signing locally like `cast` does.

pub(crate) mod client;
mod project;

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ContractCommand {
    /// Create a contract project from a template.
    New {
        /// Name of the project directory and the contract.
        name: String,
        #[arg(long, value_enum, default_value_t = Lang::Rust)]
        lang: Lang,
    },
    /// Compile the project to WebAssembly and check it against the VM's rules.
    Build {
        /// Project directory.
        #[arg(long, default_value = ".")]
        project: PathBuf,
    },
    /// Deploy the built contract, with constructor arguments if it takes any.
    Deploy {
        /// Module to deploy [default: the project's build output].
        #[arg(long)]
        wasm: Option<PathBuf>,
        /// Project directory whose build output to deploy.
        #[arg(long, default_value = ".")]
        project: PathBuf,
        /// Constructor parameter types, e.g. `constructor(string,uint256)`.
        #[arg(long)]
        constructor: Option<String>,
        /// Constructor arguments, one per parameter.
        args: Vec<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// Call a function without a transaction (eth_call) and print what it returns.
    Call {
        /// The contract's address.
        address: String,
        /// Function and return types, e.g. `balanceOf(address)(uint256)`.
        function: String,
        /// Arguments, one per parameter.
        args: Vec<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// Send a transaction calling a function and wait for its receipt.
    Send {
        /// The contract's address.
        address: String,
        /// Function, e.g. `transfer(address,uint256)`.
        function: String,
        /// Arguments, one per parameter.
        args: Vec<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Rust,
    C,
}

/// Where to send requests and who signs them.
#[derive(Args, Clone)]
pub struct ChainArgs {
    /// JSON-RPC endpoint of the node.
    #[arg(long, env = "VNT_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub rpc_url: String,
    /// Hex private key that signs transactions [default: the first `vnt dev` account].
    #[arg(long, env = "VNT_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
}

/// Runs one `vnt contract` command.
pub async fn run(command: ContractCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        ContractCommand::New { name, lang } => project::create(&name, lang),
        ContractCommand::Build { project } => project::build(&project).map(drop),
        ContractCommand::Deploy {
            wasm,
            project,
            constructor,
            args,
            chain,
        } => {
            let wasm = match wasm {
                Some(path) => path,
                None => project::artifact(&project)?,
            };
            client::deploy(&chain, &wasm, constructor.as_deref(), &args).await
        }
        ContractCommand::Call {
            address,
            function,
            args,
            chain,
        } => client::call(&chain, &address, &function, &args).await,
        ContractCommand::Send {
            address,
            function,
            args,
            chain,
        } => client::send(&chain, &address, &function, &args).await,
    }
}

//! `vnt devnet --validators N`: an N-validator Hubble network on loopback in one command.
//!
//! The first run writes a devnet directory: one genesis (the dev chain: chain id 1337 and
//! the funded accounts `vnt dev` prints), and per validator `node-i/keys.toml` (its secret
//! keys) and `node-i/config.toml` (what `vnt node --config` reads). Later runs on the same
//! directory start the same network again from its data. Each validator is a child process
//! `vnt node --config node-i/config.toml` logging to `node-i/node.log`, its pid in
//! `node-i/pid`; validator i listens for validators on port P+2i and for JSON-RPC on
//! P+2i+1. Ctrl-C or SIGTERM stops every child. A child that dies before it serves RPC
//! stops the whole devnet with an error; one that dies later (killed by hand, say) is
//! reported and the others keep running, as a real network would.
//!
//! Devnet keys follow from a seed picked at creation and written beside them: UNSAFE for
//! anything of value.

use crate::config::{ConfigFile, KeyFile, OpenNetworkFile, Role, ValidatorEntry, identity_secret};
use alloy_primitives::{hex, keccak256};
use alloy_signer_local::PrivateKeySigner;
use clap::Args;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vnt_chain::Genesis;
use vnt_chain::genesis::{GenesisAccount, dev_signers};
use vnt_chain::producer::unix_now;
use vnt_chain::staking::{GenesisValidator, StakingConfig};
use vnt_chain::token::vnt;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::devnet_address;

/// How long a validator may take to serve RPC after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopped validator may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Args)]
pub struct DevnetArgs {
    /// Number of validators (four tolerate one failure).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    validators: u32,
    /// Directory of the devnet's files and data; an existing devnet there is restarted
    /// [default: ~/.vnt/devnet].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// First port: validator i uses P+2i (validator network), P+2i+1 (JSON-RPC) and P+2N+i
    /// (open network); the follower's configuration uses P+3N (JSON-RPC) and P+3N+1; with
    /// --link-delay, validator i is reached through a relay on P+3N+2+i.
    #[arg(long, default_value_t = 30300)]
    base_port: u16,
    /// Hold consensus traffic this long in each direction between validators (e.g. `50ms`),
    /// as links between distant machines would; fixed when the devnet is created.
    #[arg(long, value_parser = crate::parse_duration)]
    link_delay: Option<Duration>,
}

/// What each devnet validator has bonded at genesis.
const DEVNET_STAKE_VNT: u64 = 10_000;

/// What each validator's evidence reporter account holds at genesis: a report costs about
/// 0.001 VNT of gas, so this pays for tens of thousands.
const DEVNET_REPORTER_VNT: u64 = 100;

/// The file in a devnet directory that records its link delay, in milliseconds.
const LINK_DELAY_FILE: &str = "link-delay-ms";

/// One running validator.
struct Validator {
    name: String,
    child: Child,
    rpc_addr: SocketAddr,
    log: PathBuf,
}

pub async fn run(args: DevnetArgs, default_dir: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let dir = args.dir.unwrap_or(default_dir);
    let count = args.validators as usize;
    let last_port = u32::from(args.base_port) + 4 * args.validators + 1;
    if last_port > u32::from(u16::MAX) {
        return Err(format!(
            "--base-port {} leaves no room for {count} validators (three ports each) and a follower",
            args.base_port
        )
        .into());
    }
    if dir.join("genesis.json").exists() {
        println!("Restarting the devnet in {}", dir.display());
    } else {
        write_devnet(&dir, args.validators, args.base_port, args.link_delay)?;
        println!(
            "Created a devnet of {count} validators in {}",
            dir.display()
        );
    }
    let relays = start_relays(&dir).await?;
    let mut validators = Vec::new();
    for index in 0..count {
        match spawn(&dir, index) {
            Ok(validator) => validators.push(validator),
            Err(error) => {
                stop_all(&mut validators);
                return Err(error);
            }
        }
    }
    if let Err(error) = await_started(&mut validators).await {
        stop_all(&mut validators);
        return Err(error.into());
    }
    crate::print_dev_accounts(&dev_signers());
    for validator in &validators {
        println!(
            "{}: JSON-RPC http://{}  (pid {}, log {})",
            validator.name,
            validator.rpc_addr,
            validator.child.id(),
            validator.log.display()
        );
    }
    println!("Devnet running; Ctrl-C stops it");
    watch_until_signal(&mut validators).await;
    say("Stopping the devnet");
    stop_all(&mut validators);
    relays.into_iter().for_each(|relay| relay.abort());
    Ok(())
}

/// Starts the relays that delay consensus traffic, if the devnet was created with a delay:
/// one in front of each validator's consensus port, where the configurations list it.
async fn start_relays(
    dir: &Path,
) -> Result<Vec<tokio::task::JoinHandle<()>>, Box<dyn std::error::Error>> {
    let path = dir.join(LINK_DELAY_FILE);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let millis: u64 = text
        .trim()
        .parse()
        .map_err(|e| format!("{}: not a number of milliseconds: {e}", path.display()))?;
    let delay = Duration::from_millis(millis);
    let mut relays = Vec::new();
    for index in 0.. {
        let config_path = dir.join(format!("node-{index}")).join("config.toml");
        let Ok(text) = fs::read_to_string(&config_path) else {
            break;
        };
        let config: ConfigFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", config_path.display()))?;
        // The list names where peers dial this validator: its relay.
        let listed = config.validators[index].p2p_addr;
        let listener = tokio::net::TcpListener::bind(listed)
            .await
            .map_err(|e| format!("cannot relay validator {index} on {listed}: {e}"))?;
        relays.push(tokio::spawn(crate::link_delay::relay(
            listener,
            config.p2p_addr,
            delay,
        )));
    }
    println!("Consensus links delayed by {millis} ms each way");
    Ok(relays)
}

/// Prints a line, ignoring a closed output: whoever started the devnet may have stopped
/// reading, and the validators must be stopped all the same.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Writes genesis, keys and configurations for `count` validators.
fn write_devnet(
    dir: &Path,
    count: u32,
    base_port: u16,
    link_delay: Option<Duration>,
) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    // Not secret: devnet keys are for loopback play (see the module docs).
    let seed = unix_now() ^ (u64::from(std::process::id()) << 32);
    let keys: Vec<ValidatorKeys> = (0..count).map(|i| ValidatorKeys::devnet(seed, i)).collect();
    let mut genesis = Genesis::dev(unix_now());
    let chain_id = genesis.config.chain_id;
    // The validators are bonded at genesis, so the staking contract's committee of epoch 0
    // is exactly this set (every candidate sits when there are no more than the places).
    let mut staking = StakingConfig::dev();
    staking.committee_size = staking.committee_size.max(u64::from(count));
    // Validators seal their blocks' randomness with their VRF keys (chain::staking::seal).
    staking.proposer_vrf = true;
    // Blocks mint 1 VNT, shared by the producer, the signers and the route pool (token.md).
    staking.block_reward = vnt_chain::token::vnt(1);
    staking.validators = (0..count)
        .zip(&keys)
        .map(|(index, key)| {
            let account = devnet_address(index).into();
            GenesisValidator::from_keys(key, chain_id, account, vnt(DEVNET_STAKE_VNT))
        })
        .collect();
    genesis.enable_staking(staking);
    let reporters = (0..count)
        .map(|index| reporter_signer(seed, index))
        .collect::<Result<Vec<_>, _>>()?;
    for reporter in &reporters {
        let funded = GenesisAccount {
            balance: vnt(DEVNET_REPORTER_VNT),
            ..Default::default()
        };
        genesis.alloc.insert(reporter.address(), funded);
    }
    let genesis_path = dir.join("genesis.json");
    fs::write(&genesis_path, serde_json::to_string_pretty(&genesis)?)?;
    // The nodes read the file back: it must give the very chain written.
    let reread = Genesis::from_file(&genesis_path)?;
    let genesis_hash = vnt_chain::chain::genesis_block_hash(&genesis);
    if vnt_chain::chain::genesis_block_hash(&reread) != genesis_hash {
        return Err("the genesis file does not read back as the genesis written".into());
    }
    fs::write(dir.join("seed"), format!("{seed}\n"))?;
    if let Some(delay) = link_delay {
        fs::write(
            dir.join(LINK_DELAY_FILE),
            format!("{}\n", delay.as_millis()),
        )?;
    }
    let port = |index: u32, offset: u32| -> Result<SocketAddr, String> {
        let port = u16::try_from(u32::from(base_port) + 2 * index + offset)
            .map_err(|_| format!("port of validator {index} is above 65535"))?;
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    };
    let mut entries = Vec::new();
    for (index, key) in (0..count).zip(&keys) {
        let account = devnet_address(index).into();
        // With a link delay, peers reach validator i through its relay.
        let listed = match link_delay {
            Some(_) => port(count, count + 2 + index)?,
            None => port(index, 0)?,
        };
        entries.push(ValidatorEntry::of(key, chain_id, account, listed));
    }
    // Past the validators' pairs (P+2N on): one open-network port each, then the follower's.
    let open_address = |index: u32, key: &ValidatorKeys| -> Result<String, String> {
        let port = port(count, index)?.port();
        let peer = vnt_net::peer_id_from_identity(&identity_secret(key));
        Ok(format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer}"))
    };
    let bootnodes = (0..count)
        .zip(&keys)
        .map(|(index, key)| open_address(index, key))
        .collect::<Result<Vec<_>, _>>()?;
    let node = |name: String,
                keys: &ValidatorKeys,
                config: ConfigFile|
     -> Result<(), Box<dyn std::error::Error>> {
        let node_dir = dir.join(name);
        fs::create_dir_all(&node_dir)?;
        write_secret(
            &node_dir.join("keys.toml"),
            &toml::to_string(&KeyFile::of(keys))?,
        )?;
        // A validator's configuration holds its evidence reporter's secret.
        write_secret(&node_dir.join("config.toml"), &toml::to_string(&config)?)?;
        Ok(())
    };
    let config = |rpc_addr, p2p_addr, role, listen: &str, bootnodes: Vec<String>| ConfigFile {
        genesis: PathBuf::from("../genesis.json"),
        data_dir: PathBuf::from("data"),
        rpc_addr,
        p2p_addr,
        key_file: PathBuf::from("keys.toml"),
        validators: entries.clone(),
        role,
        open_network: Some(OpenNetworkFile {
            listen: listen.to_string(),
            bootnodes,
        }),
        evidence_reporter_key: None,
    };
    for (index, key) in (0..count).zip(&keys) {
        let listen = open_address(index, key)?;
        let listen = listen.split("/p2p/").next().unwrap_or_default().to_string();
        let others = bootnodes
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index as usize)
            .map(|(_, address)| address.clone())
            .collect();
        let mut settings = config(
            port(index, 1)?,
            port(index, 0)?,
            Role::Validator,
            &listen,
            others,
        );
        let reporter_secret = reporters[index as usize].to_bytes();
        settings.evidence_reporter_key = Some(hex::encode_prefixed(reporter_secret));
        node(format!("node-{index}"), key, settings)?;
    }
    // A follower that no command starts: `vnt node --config follower/config.toml` joins
    // the running devnet late and syncs it (its validator port is unused).
    let follower_keys = ValidatorKeys::devnet(seed, count);
    let follower_rpc = port(count, count)?;
    let follower_net = port(count, count + 1)?.port();
    let settings = config(
        follower_rpc,
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Role::Follower,
        &format!("/ip4/127.0.0.1/tcp/{follower_net}"),
        bootnodes,
    );
    node("follower".into(), &follower_keys, settings)?;
    Ok(())
}

/// Validator `index`'s evidence reporter key, derived from the devnet's seed like its
/// other keys (UNSAFE in the same way).
fn reporter_signer(seed: u64, index: u32) -> Result<PrivateKeySigner, String> {
    let secret = keccak256(
        [
            b"VNT/devnet/evidence-reporter/".as_slice(),
            &seed.to_be_bytes(),
            &index.to_be_bytes(),
        ]
        .concat(),
    );
    PrivateKeySigner::from_bytes(&secret)
        .map_err(|error| format!("validator {index}'s reporter key: {error}"))
}

/// Writes a file only its owner can read.
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Starts `vnt node --config node-INDEX/config.toml`, logging to its directory.
fn spawn(dir: &Path, index: usize) -> Result<Validator, Box<dyn std::error::Error>> {
    let name = format!("node-{index}");
    let node_dir = dir.join(&name);
    let config_path = node_dir.join("config.toml");
    let config: ConfigFile = toml::from_str(&fs::read_to_string(&config_path).map_err(|e| {
        format!(
            "{} is missing ({e}); the devnet in {} has fewer validators than asked",
            config_path.display(),
            dir.display()
        )
    })?)
    .map_err(|e| format!("{}: {e}", config_path.display()))?;
    let log = node_dir.join("node.log");
    let output = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)?;
    let child = Command::new(std::env::current_exe()?)
        .arg("node")
        .arg("--config")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .spawn()?;
    fs::write(node_dir.join("pid"), format!("{}\n", child.id()))?;
    Ok(Validator {
        name,
        child,
        rpc_addr: config.rpc_addr,
        log,
    })
}

/// Waits until every validator serves RPC; fails if one exits or takes too long.
async fn await_started(validators: &mut [Validator]) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    for validator in validators.iter_mut() {
        loop {
            if let Ok(Some(status)) = validator.child.try_wait() {
                return Err(format!(
                    "{} exited at startup ({status}); see {}",
                    validator.name,
                    validator.log.display()
                ));
            }
            if answers_json_rpc(validator.rpc_addr) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not serve JSON-RPC on {} within {START_TIMEOUT:?}; see {}",
                    validator.name,
                    validator.rpc_addr,
                    validator.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// Whether a JSON-RPC server answers `eth_chainId` at `addr`. An open port alone proves
/// nothing: another process may hold it, and the validator then exits.
fn answers_json_rpc(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let timeout = Duration::from_millis(500);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut response = Vec::new();
    stream.set_read_timeout(Some(timeout)).is_ok()
        && stream.set_write_timeout(Some(timeout)).is_ok()
        && stream.write_all(request.as_bytes()).is_ok()
        && stream.take(64 * 1024).read_to_end(&mut response).is_ok()
        && String::from_utf8_lossy(&response).contains("\"result\"")
}

/// Reports validators that exit, until Ctrl-C or SIGTERM.
async fn watch_until_signal(validators: &mut [Validator]) {
    let signal = crate::validator::shutdown_signal();
    tokio::pin!(signal);
    let mut reported = vec![false; validators.len()];
    loop {
        tokio::select! {
            _ = &mut signal => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for (validator, reported) in validators.iter_mut().zip(&mut reported) {
            if !*reported && let Ok(Some(status)) = validator.child.try_wait() {
                say(&format!(
                    "{} exited ({status}); the others go on",
                    validator.name
                ));
                *reported = true;
            }
        }
    }
}

/// Asks every validator to stop (SIGTERM), then kills those still running after a while.
fn stop_all(validators: &mut [Validator]) {
    for validator in validators.iter_mut() {
        // One that exited was reaped already; its pid may belong to another process now.
        if matches!(validator.child.try_wait(), Ok(None)) {
            let pid = validator.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    for validator in validators.iter_mut() {
        while matches!(validator.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = validator.child.kill();
        let _ = validator.child.wait();
    }
}

//! `vnt devnet --validators 4` on loopback: four `vnt node --config` processes finalize
//! blocks together; a transfer sent to one is final on all four in the same block; with one
//! validator killed (SIGKILL) the other three go on; restarted with `vnt node --config`, it
//! catches up and agrees on every block hash; a fifth node that does not vote joins late over
//! the open network, syncs to the head and relays a transfer by gossip; the whole devnet,
//! stopped with SIGTERM and started again on its directory, goes on with the same chain, and
//! crosses into the next consensus epoch, whose certificates pay the signers' rewards.
//!
//! Every process started here is stopped when the test ends, pass or fail: the devnet by
//! SIGTERM (it stops its children), then any validator still alive by its pid file.

use crate::support::{DevProcess, StdoutLines, rpc};
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::staking::STAKING;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::testing::{Transfer, signers};
use vnt_vortex::scheme::devnet_address;

const VALIDATORS: usize = 4;
/// Bound of every wait on the network (start, a height, a receipt, a catch-up).
const DEADLINE: Duration = Duration::from_secs(120);

/// A running `vnt devnet` and the RPC URL of each validator.
struct Devnet {
    child: Child,
    dir: tempfile::TempDir,
    urls: Vec<String>,
}

impl Devnet {
    /// Starts `vnt devnet --validators N` in a temporary directory on free ports; returns
    /// once it says it runs.
    fn start(validators: usize) -> Self {
        Self::launch(tempfile::tempdir().unwrap(), validators)
    }

    /// Stops the devnet as Ctrl-C would (it must exit cleanly) and starts it again on the
    /// same directory, which holds its configuration and data.
    fn restart(mut self) -> Self {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "vnt devnet exited with {exit} after SIGTERM"
        );
        let validators = self.urls.len();
        // The directory moves to the new devnet; the old handle keeps an empty one.
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        self.urls.clear();
        drop(self);
        Self::launch(dir, validators)
    }

    /// Runs `vnt devnet` on `dir` (a new devnet on free ports, or the one it holds).
    fn launch(dir: tempfile::TempDir, validators: usize) -> Self {
        let base_port = free_ports(4 * validators + 2);
        let child = devnet_command(dir.path(), validators, base_port)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the vnt binary starts");
        let mut devnet = Self {
            child,
            dir,
            urls: Vec::new(),
        };
        let stdout = StdoutLines::read(&mut devnet.child);
        // URLs go straight into the devnet, so that a failed start still stops every
        // validator it reported.
        let urls = &mut devnet.urls;
        stdout.wait_for(DEADLINE, "vnt devnet did not report running", |line| {
            if let Some((_, rest)) = line.split_once(": JSON-RPC ") {
                urls.push(rest.split_whitespace().next().unwrap().to_string());
            }
            line.starts_with("Devnet running").then_some(())
        });
        assert_eq!(devnet.urls.len(), validators, "one RPC URL per validator");
        devnet
    }

    fn node_dir(&self, index: usize) -> PathBuf {
        self.dir.path().join(format!("node-{index}"))
    }

    /// The pid `vnt devnet` wrote for validator `index`.
    fn pid(&self, index: usize) -> u32 {
        let text = std::fs::read_to_string(self.node_dir(index).join("pid")).unwrap();
        text.trim().parse().unwrap()
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        // Unless it already exited and was reaped (its pid may be another process's now).
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        stop_validators(self.dir.path(), self.urls.len());
    }
}

/// `vnt devnet` of `validators` on `dir` from `base_port`, logging warnings only.
fn devnet_command(dir: &Path, validators: usize, base_port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vnt"));
    command
        .args(["devnet", "--validators", &validators.to_string()])
        .args(["--base-port", &base_port.to_string()])
        .arg("--dir")
        .arg(dir)
        .env("RUST_LOG", "warn");
    command
}

/// Should a devnet have died without stopping its children, stops them (only a process that
/// still runs this devnet's configuration: pids are reused).
fn stop_validators(dir: &Path, validators: usize) {
    for index in 0..validators {
        let node_dir = dir.join(format!("node-{index}"));
        let Ok(text) = std::fs::read_to_string(node_dir.join("pid")) else {
            continue;
        };
        let pid = text.trim();
        if runs_config(pid, &node_dir.join("config.toml")) {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
}

/// Whether process `pid` is a `vnt node` running `config`.
fn runs_config(pid: &str, config: &Path) -> bool {
    let Ok(command_line) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let command_line = String::from_utf8_lossy(&command_line);
    command_line.contains(config.to_str().unwrap())
}

/// A first port of `count` consecutive free ports on loopback (a devnet of N validators
/// takes up to 4N + 2 from its base port: see `vnt devnet --help`), below Linux's
/// ephemeral range (32768 and up), so outgoing connections do not take them before a
/// validator binds them or while a killed one is down.
fn free_ports(count: usize) -> u16 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut start = 10_000 + ((nanos ^ std::process::id()) % 22_000) as u16;
    for _ in 0..100 {
        let free = (0..count as u16).all(|i| TcpListener::bind(("127.0.0.1", start + i)).is_ok());
        if free {
            return start;
        }
        start = 10_000 + (start - 10_000 + 997) % 22_000;
    }
    panic!("no {count} consecutive free ports on 127.0.0.1");
}

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn height(url: &str) -> u64 {
    quantity(&rpc(url, "eth_blockNumber", json!([])).unwrap())
}

fn block(url: &str, number: u64) -> Value {
    rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    )
    .unwrap()
}

/// Polls until every node in `urls` is above `goal`; panics with the heights at the deadline.
fn await_all_above(urls: &[String], goal: u64, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let heights: Vec<u64> = urls.iter().map(|url| height(url)).collect();
        if heights.iter().all(|&h| h > goal) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: heights {heights:?} not all above {goal} within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `url` until the transaction `hash` has a receipt; returns it.
fn await_receipt(url: &str, hash: &Value) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let receipt = rpc(url, "eth_getTransactionReceipt", json!([hash])).unwrap();
        if !receipt.is_null() {
            return receipt;
        }
        assert!(
            Instant::now() < deadline,
            "{url} has no receipt for {hash} within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn four_validators_finalize_survive_a_kill_catch_up_serve_a_late_follower_and_restart() {
    let devnet = Devnet::start(VALIDATORS);
    await_all_above(&devnet.urls, 2, "start");

    // Stake decides who votes: the four are bonded at genesis, and the staking contract's
    // committee of epoch 0, which the nodes run consensus with, is exactly them.
    let members = view(&devnet.urls[0], IStaking::committeeCall { epoch: 0 });
    let mut accounts: Vec<Address> = members.iter().map(|m| m.validator).collect();
    accounts.sort();
    let mut expected: Vec<Address> = (0..VALIDATORS as u32)
        .map(|index| devnet_address(index).into())
        .collect();
    expected.sort();
    assert_eq!(accounts, expected);

    // A transfer sent to node 0 is final on all four, in the same block, same state root.
    let recipient = Address::repeat_byte(0x42);
    let value = U256::from(123_456_789u64);
    let raw = Transfer::new(DEV_CHAIN_ID, 0, recipient, value).sign(&signers()[0]);
    let hash = rpc(&devnet.urls[0], "eth_sendRawTransaction", json!([raw])).unwrap();
    let receipts: Vec<Value> = devnet
        .urls
        .iter()
        .map(|url| await_receipt(url, &hash))
        .collect();
    let included_in = &receipts[0]["blockHash"];
    for (url, receipt) in devnet.urls.iter().zip(&receipts) {
        assert_eq!(&receipt["blockHash"], included_in, "{url}");
        assert_eq!(receipt["status"], json!("0x1"), "{url}");
        let number = quantity(&receipt["blockNumber"]);
        let first = block(&devnet.urls[0], number);
        assert_eq!(block(url, number)["stateRoot"], first["stateRoot"], "{url}");
        let balance = rpc(url, "eth_getBalance", json!([recipient, "latest"])).unwrap();
        assert_eq!(balance.as_str().unwrap().parse::<U256>().unwrap(), value);
    }

    // SIGKILL validator 3: the other three keep finalizing.
    let killed = devnet.pid(3).to_string();
    let status = Command::new("kill")
        .args(["-KILL", &killed])
        .status()
        .unwrap();
    assert!(status.success(), "kill -KILL {killed}");
    let survivors = &devnet.urls[..3];
    let at_kill = survivors.iter().map(|url| height(url)).max().unwrap();
    await_all_above(survivors, at_kill + 5, "after the kill");

    // Restarted from its configuration, it catches up and agrees on every block.
    let config = devnet.node_dir(3).join("config.toml");
    let restarted = DevProcess::spawn_args(&["node", "--config", config.to_str().unwrap()]);
    assert_eq!(restarted.rpc_url, devnet.urls[3], "the same RPC address");
    let goal = height(&devnet.urls[0]);
    await_all_above(std::slice::from_ref(&restarted.rpc_url), goal, "catch-up");
    for number in 1..=goal {
        let expected = block(&devnet.urls[0], number)["hash"].clone();
        for url in &devnet.urls[1..] {
            assert_eq!(
                block(url, number)["hash"],
                expected,
                "block {number} on {url}"
            );
        }
    }

    // A fifth node, not a validator, joins late over the open network: it syncs to the head
    // (checking finality proofs and executing every block) and agrees on every block, and a
    // transfer sent to it travels by gossip to the validators and comes back final.
    let follower_config = devnet.dir.path().join("follower").join("config.toml");
    let follower = DevProcess::spawn_args(&["node", "--config", follower_config.to_str().unwrap()]);
    let head = height(&devnet.urls[0]);
    await_all_above(
        std::slice::from_ref(&follower.rpc_url),
        head,
        "the follower's sync",
    );
    for number in 1..=head {
        let expected = block(&devnet.urls[0], number)["hash"].clone();
        assert_eq!(
            block(&follower.rpc_url, number)["hash"],
            expected,
            "block {number} on the follower"
        );
    }
    let raw = Transfer::new(DEV_CHAIN_ID, 1, recipient, value).sign(&signers()[0]);
    let hash = rpc(&follower.rpc_url, "eth_sendRawTransaction", json!([raw])).unwrap();
    let on_validator = await_receipt(&devnet.urls[1], &hash);
    let on_follower = await_receipt(&follower.rpc_url, &hash);
    assert_eq!(on_follower["blockHash"], on_validator["blockHash"]);
    follower.interrupt();

    // Stopped with SIGTERM (as Ctrl-C), the whole devnet restarts from its directory and
    // goes on with the same chain.
    restarted.interrupt();
    let block_before = block(&devnet.urls[0], goal)["hash"].clone();
    let devnet = devnet.restart();
    await_all_above(&devnet.urls, goal + 2, "after the devnet restarted");
    for url in &devnet.urls {
        assert_eq!(
            block(url, goal)["hash"],
            block_before,
            "block {goal} on {url}"
        );
    }

    // Consensus changes epochs on real processes: past the first boundary the next
    // epoch's engine finalizes, and its certificates, carried in later blocks and checked
    // on chain against that epoch's committee, pay the signers' rewards.
    let epoch_length = view(&devnet.urls[0], IStaking::epochLengthCall {});
    await_all_above(&devnet.urls, epoch_length + 3, "past the first epoch");
    let rewarded = view(&devnet.urls[0], IStaking::lastRewardedBlockCall {});
    assert!(
        rewarded >= epoch_length,
        "the last block paid for by a certificate is {rewarded}, in epoch 0"
    );
    assert!(view(&devnet.urls[0], IStaking::currentEpochCall {}) >= 1);
}

/// Calls the staking contract's view `call` on `url`'s latest state.
fn view<C: SolCall>(url: &str, call: C) -> C::Return {
    let data = alloy_primitives::hex::encode_prefixed(call.abi_encode());
    let request = json!({"to": STAKING, "data": data});
    let answer = rpc(url, "eth_call", json!([request, "latest"])).unwrap();
    let answer = alloy_primitives::hex::decode(answer.as_str().unwrap()).unwrap();
    C::abi_decode_returns(&answer).unwrap()
}

/// A configuration naming a genesis, keys of devnet validator 0 (seed 7) and the
/// validators `listed` (indices of devnet keys under the same seed), in `dir`.
fn write_config(dir: &Path, listed: &[u32], identity_override: Option<&str>) -> PathBuf {
    use commonware_codec::Encode;
    use vnt_vortex::keys::ValidatorKeys;
    let hex = |bytes: &[u8]| alloy_primitives::hex::encode(bytes);
    let genesis = vnt_chain::Genesis::dev(0);
    std::fs::write(
        dir.join("genesis.json"),
        serde_json::to_string(&genesis).unwrap(),
    )
    .unwrap();
    let own = ValidatorKeys::devnet(7, 0);
    let keys = format!(
        "identity_secret = \"{}\"\nbls_secret = \"{}\"\nvrf_secret = \"{}\"\n",
        hex(&own.identity().encode()),
        hex(&own.bls().encode()),
        hex(&own.vrf_seed())
    );
    std::fs::write(dir.join("keys.toml"), keys).unwrap();
    let mut config = String::from(
        "genesis = \"genesis.json\"\ndata_dir = \"data\"\nrpc_addr = \"127.0.0.1:0\"\n\
         p2p_addr = \"127.0.0.1:0\"\nkey_file = \"keys.toml\"\n",
    );
    for &index in listed {
        let keys = ValidatorKeys::devnet(7, index);
        let account = Address::with_last_byte(index as u8 + 1);
        let public = keys.public();
        let identity = identity_override.map_or(hex(&public.identity.encode()), str::to_string);
        config += &format!(
            "\n[[validators]]\nidentity = \"{identity}\"\nbls = \"{}\"\npop = \"{}\"\n\
             p2p_addr = \"127.0.0.1:1\"\naccount = \"{account}\"\n",
            hex(&public.bls.encode()),
            hex(&keys.proof_of_possession(DEV_CHAIN_ID, &account.0.0)),
        );
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn a_bad_validator_configuration_is_refused_with_a_readable_reason() {
    use crate::support::vnt_fails;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.toml");
    let error = vnt_fails(&["node", "--config", missing.to_str().unwrap()]);
    assert!(
        error.contains("cannot read") && error.contains("nowhere.toml"),
        "{error}"
    );

    let config = write_config(dir.path(), &[0, 1], Some("zz"));
    let error = vnt_fails(&["node", "--config", config.to_str().unwrap()]);
    assert!(
        error.contains("validators[0].identity is not hex"),
        "{error}"
    );

    // Its own key is not listed: it would be a follower, which is refused for now.
    let config = write_config(dir.path(), &[1, 2, 3], None);
    let error = vnt_fails(&["node", "--config", config.to_str().unwrap()]);
    assert!(error.contains("not in the validator list"), "{error}");
    assert!(!error.contains("panicked"), "refused, not crashed: {error}");
}

#[test]
fn a_devnet_whose_validator_cannot_start_exits_with_an_error_and_stops_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let base_port = free_ports(4 * 2 + 2);
    // Validator 1's JSON-RPC port is taken, so it exits at startup.
    let _taken = TcpListener::bind(("127.0.0.1", base_port + 3)).unwrap();
    let mut devnet = devnet_command(dir.path(), 2, base_port)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the vnt binary runs");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = devnet.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = devnet.kill();
            let _ = devnet.wait();
            stop_validators(dir.path(), 2);
            panic!("vnt devnet did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut devnet.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "the devnet must fail: {stderr}");
    assert!(
        stderr.contains("node-1 exited at startup"),
        "names the validator: {stderr}"
    );
    // Validator 0 was stopped with it.
    let pid = std::fs::read_to_string(dir.path().join("node-0/pid")).unwrap();
    let config = dir.path().join("node-0/config.toml");
    assert!(!runs_config(pid.trim(), &config), "validator 0 still runs");
}

//! Real `vnt` processes on loopback for end-to-end tests: started on an ephemeral port,
//! killed when dropped, and driven over JSON-RPC.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a node may take to start serving RPC.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `vnt` process serving JSON-RPC.
pub struct DevProcess {
    child: Child,
    pub rpc_url: String,
}

impl DevProcess {
    /// Starts `vnt dev` with `args` and waits until it prints its RPC address.
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_command("dev", args)
    }

    /// Starts `vnt SUBCOMMAND` with `args` and waits until it prints its RPC address.
    pub fn spawn_command(subcommand: &str, args: &[&str]) -> Self {
        let mut all = vec![subcommand, "--rpc-addr", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Self::spawn_args(&all)
    }

    /// Starts `vnt ARGS` as given (the RPC address comes from them or a file they name) and
    /// waits until it prints its RPC address.
    pub fn spawn_args(args: &[&str]) -> Self {
        let subcommand = args.first().copied().unwrap_or_default();
        let child = Command::new(env!("CARGO_BIN_EXE_vnt"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the vnt binary starts");
        // Owned by the handle from here on, so a failed start still kills the process.
        let mut process = Self {
            child,
            rpc_url: String::new(),
        };
        let stdout = StdoutLines::read(&mut process.child);
        let missing = format!("vnt {subcommand} printed no RPC address");
        process.rpc_url = stdout.wait_for(START_TIMEOUT, &missing, |line| {
            let url = line.strip_prefix("JSON-RPC (HTTP and WebSocket): ")?;
            Some(url.trim().to_string())
        });
        process
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Asks the process to stop as Ctrl-C would and waits for it to exit cleanly.
    pub fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "vnt dev exited with {exit} after Ctrl-C");
    }
}

/// The lines a child process prints on stdout, as they come.
pub struct StdoutLines {
    received: mpsc::Receiver<String>,
}

impl StdoutLines {
    /// Takes `child`'s piped stdout and reads it on a thread to the end, even once nobody
    /// listens: a process writing to a closed pipe would fail at its next line (its shutdown
    /// message, say).
    pub fn read(child: &mut Child) -> Self {
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        Self { received }
    }

    /// Hands each line to `pick` until it returns a value; panics with `missing` if none
    /// does within `timeout` or the output ends first.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        missing: &str,
        mut pick: impl FnMut(&str) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .received
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{missing} within {timeout:?}"));
            if let Some(found) = pick(&line) {
                return found;
            }
        }
    }
}

impl Drop for DevProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `vnt` binary with `args` (in `dir`, if given) and waits for it.
pub fn run_vnt(dir: Option<&Path>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vnt"));
    command.args(args).env("RUST_LOG", "warn");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("the vnt binary runs")
}

/// Runs `vnt ARGS` (in `dir`, if given), which must succeed; returns (stdout, stderr).
pub fn vnt_ok(dir: Option<&Path>, args: &[&str]) -> (String, String) {
    let output = run_vnt(dir, args);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        output.status.success(),
        "vnt {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// Runs `vnt ARGS`, which must fail; returns its error output.
pub fn vnt_fails(args: &[&str]) -> String {
    let output = run_vnt(None, args);
    assert!(
        !output.status.success(),
        "vnt {args:?} succeeded:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// The value printed after `label` on its own line of a command's output.
pub fn printed<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{output}"))
        .trim()
}

/// A blocking JSON-RPC call over plain HTTP/1.1; returns the result or the error object.
pub fn rpc(url: &str, method: &str, params: Value) -> Result<Value, Value> {
    use std::io::{Read, Write};
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("{method}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let json = response.split("\r\n\r\n").nth(1).expect("an HTTP body");
    let response: Value = serde_json::from_str(json).unwrap();
    match response.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(response["result"].clone()),
    }
}

/// The directory of the Node.js client tests, with its packages installed.
pub fn client_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    if !dir.join("node_modules").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) is needed for the client tests");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    dir
}

/// Runs `node SCRIPT ARGS...` in the client directory and asserts it succeeds.
pub fn run_client(script: &str, args: &[&str]) -> String {
    let output = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(client_dir())
        .output()
        .expect("node (Node.js 18 or later) is needed for the client tests");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

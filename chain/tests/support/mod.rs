//! Shared fixtures of the chain's integration tests: an in-process node on loopback whose
//! blocks are sealed only when a test asks, a JSON-RPC client, and independent checkers.
#![allow(dead_code)]

pub mod mpt;
pub mod schema;
pub mod system;
pub mod ws;

use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;
use std::time::Duration;
use vnt_chain::genesis::Genesis;
use vnt_chain::pool::PoolConfig;
use vnt_chain::producer::BlockTime;
use vnt_chain::{Node, NodeConfig, NodeHandle};

pub const T0: u64 = 1_800_000_000;

/// A dev node serving RPC on an ephemeral loopback port.
pub struct TestNode {
    pub handle: NodeHandle,
    pub client: HttpClient,
    _dir: tempfile::TempDir,
}

impl TestNode {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            genesis: Genesis::dev(T0),
            rpc_addr: "127.0.0.1:0".parse().unwrap(),
            // Blocks come only from `seal`: tests decide what each block holds.
            block_time: BlockTime::Interval(Duration::from_secs(24 * 3600)),
            beneficiary: alloy_primitives::Address::repeat_byte(0xbe),
            pool: PoolConfig::default(),
        };
        let handle = Node::start(config).await.unwrap();
        let client = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(format!("http://{}", handle.rpc_addr()))
            .unwrap();
        Self {
            handle,
            client,
            _dir: dir,
        }
    }

    /// Seals one block from the pool.
    pub async fn seal(&self) {
        let shared = self.handle.shared().clone();
        tokio::task::spawn_blocking(move || shared.produce_block().unwrap())
            .await
            .unwrap();
    }

    /// Calls a method, returning its result or its error object.
    pub async fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, ErrorObjectOwned> {
        let mut array = ArrayParams::new();
        for param in params {
            array.insert(param).unwrap();
        }
        match self.client.request::<Value, _>(method, array).await {
            Ok(value) => Ok(value),
            Err(ClientError::Call(error)) => Err(error),
            Err(other) => panic!("{method}: transport failure: {other}"),
        }
    }

    /// Calls a method that must succeed.
    pub async fn ok(&self, method: &str, params: Vec<Value>) -> Value {
        self.call(method, params)
            .await
            .unwrap_or_else(|e| panic!("{method} failed: {e:?}"))
    }

    /// Sends raw bytes as an HTTP body, for malformed requests no client would send.
    pub async fn post_raw(&self, body: &str) -> Value {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.handle.rpc_addr())
            .await
            .unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let json = response.split("\r\n\r\n").nth(1).expect("an HTTP body");
        serde_json::from_str(json).unwrap_or_else(|e| panic!("response is not JSON ({e}): {json}"))
    }
}

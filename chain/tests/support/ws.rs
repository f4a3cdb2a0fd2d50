//! A small WebSocket JSON-RPC client for subscription tests, over soketto (the WebSocket
//! library the server itself uses): requests, responses, and `eth_subscription`
//! notifications kept in arrival order until a test asks for them.

use serde_json::{Value, json};
use soketto::connection::{Receiver, Sender};
use soketto::handshake::{Client, ServerResponse};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// How long a test waits for any one message before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

type Socket = Compat<TcpStream>;

pub struct WsClient {
    sender: Sender<Socket>,
    receiver: Receiver<Socket>,
    next_id: u64,
    notifications: VecDeque<Value>,
}

impl WsClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        let socket = TcpStream::connect(addr).await.unwrap().compat();
        let host = addr.to_string();
        let mut client = Client::new(socket, &host, "/");
        match client.handshake().await.unwrap() {
            ServerResponse::Accepted { .. } => {}
            other => panic!("WebSocket handshake refused: {other:?}"),
        }
        let (sender, receiver) = client.into_builder().finish();
        Self {
            sender,
            receiver,
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }

    /// Calls a method; returns its result or its error object. Notifications arriving
    /// meanwhile are kept for [`WsClient::notification`].
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.sender.send_text(request.to_string()).await.unwrap();
        self.sender.flush().await.unwrap();
        loop {
            let message = self.receive().await;
            if message["id"] == json!(id) {
                return match message.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(message["result"].clone()),
                };
            }
            self.notifications.push_back(message);
        }
    }

    /// Subscribes and returns the subscription id.
    pub async fn subscribe(&mut self, params: Value) -> String {
        let id = self
            .call("eth_subscribe", params.clone())
            .await
            .unwrap_or_else(|e| panic!("eth_subscribe {params}: {e}"));
        id.as_str().expect("a string id").to_string()
    }

    /// The next notification of `subscription`: its `params` object (`result` or `error`).
    pub async fn notification(&mut self, subscription: &str) -> Value {
        let matches = |message: &Value| message["params"]["subscription"] == json!(subscription);
        if let Some(at) = self.notifications.iter().position(matches) {
            return self.notifications.remove(at).unwrap()["params"].clone();
        }
        loop {
            let message = self.receive().await;
            if matches(&message) {
                return message["params"].clone();
            }
            self.notifications.push_back(message);
        }
    }

    /// Whether a notification of `subscription` is already waiting, without waiting.
    pub fn has_notification(&self, subscription: &str) -> bool {
        self.notifications
            .iter()
            .any(|message| message["params"]["subscription"] == json!(subscription))
    }

    async fn receive(&mut self) -> Value {
        let mut data = Vec::new();
        tokio::time::timeout(WAIT, self.receiver.receive_data(&mut data))
            .await
            .unwrap_or_else(|_| panic!("no WebSocket message within {WAIT:?}"))
            .unwrap();
        serde_json::from_slice(&data).unwrap()
    }
}

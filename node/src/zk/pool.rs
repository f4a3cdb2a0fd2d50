//! The shielded pool as a client sees it over JSON-RPC: its view functions, its note log,
//! and `transact`.
//!
//! [`Pool::scan`] reads every `NoteCommitted` log up to one block, rebuilds the note tree
//! from the commitments in position order, and checks the result against the pool at that
//! same block (note count and root), so a wallet never proves against a tree the pool does
//! not have.

use crate::contract::client::{http_client, quantity, send_transaction, wait_for_receipt};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use vnt_chain::rpc::logs::MAX_BLOCK_RANGE;
use vnt_chain::shielded::abi::IShieldedPool;
use vnt_chain::shielded::{POOL_UNIT_WEI, SHIELDED_POOL};
use vnt_zk::Fr;
use vnt_zk::circuit::PublicInputs;
use vnt_zk::tree::NoteTree;
use vnt_zk::verify::{SpendProof, field_from_bytes, field_to_bytes};

pub type Error = Box<dyn std::error::Error>;

/// Gas added to a pool transaction's estimate, in percent of it (see [`Pool::send_transact`]).
pub const POOL_GAS_HEADROOM_PERCENT: u64 = 20;

/// A node's error as a person reads it: the JSON-RPC error's message (for a revert,
/// `execution reverted: shielded pool: …`), a failure to reach the node with its address,
/// anything else as it is.
fn readable(error: Error, url: &str) -> Error {
    match error.downcast::<ClientError>() {
        Ok(client) => match *client {
            ClientError::Call(object) => object.message().to_string().into(),
            other => format!("the node at {url} did not answer: {other}").into(),
        },
        Err(other) => other,
    }
}

/// One `NoteCommitted` log.
pub struct LoggedNote {
    pub position: u64,
    pub commitment: Fr,
    pub ciphertext: Bytes,
}

/// The pool's notes as of one block, with the tree they form.
pub struct Ledger {
    pub block: u64,
    pub notes: Vec<LoggedNote>,
    pub tree: NoteTree,
}

/// The pool of the node at one endpoint.
pub struct Pool {
    rpc: HttpClient,
    url: String,
}

fn block_tag(block: Option<u64>) -> Value {
    match block {
        Some(number) => json!(format!("{number:#x}")),
        None => json!("latest"),
    }
}

impl Pool {
    pub fn connect(url: &str) -> Result<Self, Error> {
        Ok(Self {
            rpc: http_client(url)?,
            url: url.to_string(),
        })
    }

    async fn request(
        &self,
        method: &str,
        params: jsonrpsee::core::params::ArrayParams,
    ) -> Result<Value, Error> {
        self.rpc
            .request(method, params)
            .await
            .map_err(|e| readable(e.into(), &self.url))
    }

    /// Calls a view function of the pool at `block` (latest if `None`).
    async fn view<C: SolCall>(&self, call: C, block: Option<u64>) -> Result<C::Return, Error> {
        let request = json!({"to": SHIELDED_POOL, "data": Bytes::from(call.abi_encode())});
        let output = self
            .request("eth_call", rpc_params![request, block_tag(block)])
            .await?;
        let output: Bytes = serde_json::from_value(output)?;
        C::abi_decode_returns(&output).map_err(|_| {
            format!(
                "the node at {} has no shielded pool at {SHIELDED_POOL} (its {} answered {output})",
                self.url,
                C::SIGNATURE
            )
            .into()
        })
    }

    pub async fn chain_id(&self) -> Result<u64, Error> {
        Ok(quantity(&self.request("eth_chainId", rpc_params![]).await?)? as u64)
    }

    pub async fn block_number(&self) -> Result<u64, Error> {
        Ok(quantity(&self.request("eth_blockNumber", rpc_params![]).await?)? as u64)
    }

    pub async fn verifying_key_hash(&self) -> Result<B256, Error> {
        self.view(IShieldedPool::verifyingKeyHashCall {}, None)
            .await
    }

    pub async fn root(&self, block: Option<u64>) -> Result<Fr, Error> {
        let root = self.view(IShieldedPool::rootCall {}, block).await?;
        field_from_bytes(&root.0)
            .ok_or_else(|| format!("the pool's root {root} is not a field element").into())
    }

    pub async fn is_known_root(&self, root: Fr) -> Result<bool, Error> {
        let root = B256::from(field_to_bytes(root));
        self.view(IShieldedPool::isKnownRootCall { root }, None)
            .await
    }

    pub async fn is_spent(&self, nullifier: Fr) -> Result<bool, Error> {
        let nullifier = B256::from(field_to_bytes(nullifier));
        self.view(IShieldedPool::isSpentCall { nullifier }, None)
            .await
    }

    async fn note_count(&self, block: u64) -> Result<u64, Error> {
        self.view(IShieldedPool::noteCountCall {}, Some(block))
            .await
    }

    /// The NoteCommitted logs of blocks `from..=to`.
    async fn logs(&self, from: u64, to: u64) -> Result<Vec<LoggedNote>, ClientError> {
        let filter = json!({
            "address": SHIELDED_POOL,
            "topics": [IShieldedPool::NoteCommitted::SIGNATURE_HASH],
            "fromBlock": block_tag(Some(from)),
            "toBlock": block_tag(Some(to)),
        });
        let logs: Vec<Value> = self.rpc.request("eth_getLogs", rpc_params![filter]).await?;
        logs.iter()
            .map(|log| {
                decode_log(log).map_err(|e| {
                    ClientError::Custom(format!("a NoteCommitted log does not decode: {e}"))
                })
            })
            .collect()
    }

    /// Every note the pool holds as of the latest block, checked against the pool.
    pub async fn scan(&self) -> Result<Ledger, Error> {
        let head = self.block_number().await?;
        let mut notes = Vec::new();
        let (mut from, mut span) = (0u64, MAX_BLOCK_RANGE);
        while from <= head {
            let to = head.min(from + span - 1);
            match self.logs(from, to).await {
                Ok(batch) => {
                    notes.extend(batch);
                    from = to + 1;
                }
                // Too many logs in the range: the node refused the query, ask for less.
                Err(ClientError::Call(_)) if span > 1 => span /= 2,
                Err(e) => return Err(readable(e.into(), &self.url)),
            }
        }
        notes.sort_by_key(|n| n.position);
        let mut tree = NoteTree::new();
        for note in &notes {
            let position = tree
                .append(note.commitment)
                .map_err(|e| format!("rebuilding the note tree: {e}"))?;
            if position != note.position {
                return Err(format!(
                    "the pool's logs skip or repeat note position {position} (found {})",
                    note.position
                )
                .into());
            }
        }
        let count = self.note_count(head).await?;
        if count != tree.len() {
            return Err(format!(
                "the pool holds {count} notes at block {head} but its logs show {}",
                tree.len()
            )
            .into());
        }
        if self.root(Some(head)).await? != tree.root() {
            return Err(format!(
                "the note tree rebuilt from the logs does not have the pool's root at block {head}"
            )
            .into());
        }
        Ok(Ledger {
            block: head,
            notes,
            tree,
        })
    }

    /// Public balance of an account, in wei.
    pub async fn balance(&self, account: Address) -> Result<u128, Error> {
        quantity(
            &self
                .request("eth_getBalance", rpc_params![account, "latest"])
                .await?,
        )
    }

    /// Sends `transact` from `signer`, with `public_in` units of value; returns the hash.
    /// The gas limit is the estimate plus [`POOL_GAS_HEADROOM_PERCENT`]: what a spend costs
    /// depends on the pool's state (which tree slots its append fills for the first time), and
    /// other spends may land between the estimate and this one.
    pub async fn send_transact(
        &self,
        signer: &PrivateKeySigner,
        call: &IShieldedPool::transactCall,
        public: &PublicInputs,
    ) -> Result<B256, Error> {
        let value = U256::from(public.public_in) * U256::from(POOL_UNIT_WEI);
        let input = Bytes::from(call.abi_encode());
        let to = TxKind::Call(SHIELDED_POOL);
        send_transaction(
            &self.rpc,
            signer,
            to,
            value,
            input,
            POOL_GAS_HEADROOM_PERCENT,
        )
        .await
        .map_err(|e| readable(e, &self.url))
    }

    /// Waits for a transaction's receipt; returns (block, gas used).
    pub async fn confirm(&self, hash: B256) -> Result<(u64, u64), Error> {
        let receipt = wait_for_receipt(&self.rpc, hash)
            .await
            .map_err(|e| readable(e, &self.url))?;
        Ok((
            quantity(&receipt["blockNumber"])? as u64,
            quantity(&receipt["gasUsed"])? as u64,
        ))
    }
}

fn decode_log(log: &Value) -> Result<LoggedNote, Error> {
    let topics: Vec<B256> = serde_json::from_value(log["topics"].clone())?;
    let data: Bytes = serde_json::from_value(log["data"].clone())?;
    let event = IShieldedPool::NoteCommitted::decode_raw_log(topics, &data)?;
    let commitment = field_from_bytes(&event.commitment.0)
        .ok_or("its commitment is not a canonical field element")?;
    Ok(LoggedNote {
        position: event.position,
        commitment,
        ciphertext: event.encryptedNote,
    })
}

/// The `transact` call carrying a proven spend.
pub fn transact_call(
    proof: &SpendProof,
    public: &PublicInputs,
    recipient: Address,
    encrypted_notes: &[Vec<u8>; 2],
) -> IShieldedPool::transactCall {
    let word = |x: Fr| B256::from(field_to_bytes(x));
    IShieldedPool::transactCall {
        proof: Bytes::copy_from_slice(&proof.to_bytes()),
        root: word(public.root),
        nullifiers: public.nullifiers.map(word),
        commitments: public.commitments.map(word),
        publicIn: public.public_in,
        publicOut: public.public_out,
        fee: public.fee,
        recipient,
        encryptedNotes: encrypted_notes.clone().map(Bytes::from),
    }
}

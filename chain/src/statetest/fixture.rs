//! The JSON shape of a state-test fixture file, as ethereum/tests (now ethereum/legacytests)
//! fills them: test name → pre-state, block environment, transaction and expected post
//! states per fork.
//!
//! Only what the runner reads is typed. The transaction matrix (`data`, `gasLimit`, `value`
//! lists) is left out on purpose: each post entry carries `txbytes`, the signed transaction
//! its indexes select, and the runner decodes that as a block's transaction is decoded.
//! Other forks' post entries are skipped unparsed.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fork whose expectations the runner checks: the rule set our chain runs
/// ([`crate::tx::SPEC`]).
pub const FORK: &str = "Cancun";

/// One fixture file: tests by name.
pub type FixtureFile = BTreeMap<String, TestCase>;

/// One state test: a pre-state, a block and the post-states of its transaction variants.
#[derive(Clone, Debug, Deserialize)]
pub struct TestCase {
    pub env: Env,
    pub pre: BTreeMap<Address, PreAccount>,
    pub post: Post,
    pub transaction: Transaction,
}

/// The block the transaction executes in.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    pub current_coinbase: Address,
    pub current_difficulty: U256,
    pub current_gas_limit: U256,
    pub current_number: U256,
    pub current_timestamp: U256,
    #[serde(default)]
    pub current_base_fee: Option<U256>,
    #[serde(default)]
    pub current_random: Option<B256>,
    #[serde(default)]
    pub current_excess_blob_gas: Option<U256>,
}

/// An account of the pre-state.
#[derive(Clone, Debug, Deserialize)]
pub struct PreAccount {
    pub balance: U256,
    pub code: Bytes,
    pub nonce: U256,
    pub storage: BTreeMap<U256, U256>,
}

/// The post entries of the fork we check; the other forks' are not read.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Post {
    #[serde(rename = "Cancun", default)]
    pub cancun: Vec<PostEntry>,
}

/// The expected outcome of one transaction variant.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry {
    /// The state root after the transaction.
    pub hash: B256,
    /// keccak256 of the RLP list of the transaction's logs.
    pub logs: B256,
    pub indexes: Indexes,
    /// The signed transaction these indexes select, as a block would carry it.
    pub txbytes: Bytes,
    /// Set when the transaction is invalid: it must be refused and change nothing.
    #[serde(default)]
    pub expect_exception: Option<String>,
}

/// Which entries of the transaction matrix a post entry is for.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Indexes {
    pub data: usize,
    pub gas: usize,
    pub value: usize,
}

impl std::fmt::Display for Indexes {
    /// The `d0g1v2` form other runners (geth, revme) print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "d{}g{}v{}", self.data, self.gas, self.value)
    }
}

/// Who signs the transaction: the fixture names the sender and gives its key.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[serde(default)]
    pub sender: Option<Address>,
    #[serde(default)]
    pub secret_key: Option<B256>,
}

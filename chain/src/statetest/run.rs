//! Running one fixture's tests through the ledger's own execution path.
//!
//! For each post entry: the pre-state is loaded into a [`WorldState`] as a [`StateDiff`]
//! (the way a block's changes are), the entry's signed transaction is decoded and its
//! sender recovered as a block's transaction is, a [`BlockExecutor`] runs it and finishes
//! the block, the block's diff is applied and the state root computed. The root and the
//! hash of the logs are then compared with the fixture's.

use super::fixture::{Env, FixtureFile, Indexes, PostEntry, TestCase};
use crate::execution::{BlockExecutor, BlockHashes, LedgerDb, StateReadError, WasmRuntime};
use crate::state::{AccountChange, AccountInfo, StateDiff, WorldState};
use crate::tx::{SPEC, VerifiedTx};
use alloy_consensus::{TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::Decodable2718;
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, Log, U256, keccak256};
use revm::context::{BlockEnv, CfgEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::primitives::eip4844::{
    BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN, MAX_BLOB_NUMBER_PER_BLOCK_CANCUN,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// State tests are filled for Ethereum mainnet's chain id.
const CHAIN_ID: u64 = 1;

/// The block hashes state tests assume: `keccak256` of the block number written in decimal,
/// as geth's and revm's runners define them (the tests have no real chain to hash).
pub struct FixtureBlockHashes;

impl BlockHashes for FixtureBlockHashes {
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        Ok(keccak256(number.to_string()))
    }
}

/// A fixture file that could not be read or does not have the shape of a state test.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a state-test fixture: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: test `{test}`: {reason}")]
    Invalid {
        path: PathBuf,
        test: String,
        reason: String,
    },
}

/// Why a case failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("state root mismatch: expected {expected}, got {got}")]
    RootMismatch { expected: B256, got: B256 },
    #[error("logs hash mismatch: expected {expected}, got {got}")]
    LogsMismatch { expected: B256, got: B256 },
    #[error("expected exception not raised: {expected}")]
    ExceptionNotRaised { expected: String },
    #[error("unexpected error: {0}")]
    UnexpectedError(String),
}

/// The outcome of one post entry of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    pub test: String,
    /// Position of the entry in the fork's post list.
    pub entry: usize,
    pub indexes: Indexes,
    pub failure: Option<Failure>,
}

/// Reads and parses a fixture file.
pub fn read_file(path: &Path) -> Result<FixtureFile, FixtureError> {
    let text = std::fs::read(path).map_err(|source| FixtureError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&text).map_err(|source| FixtureError::Parse {
        path: path.to_owned(),
        source,
    })
}

/// Reads a fixture file and runs every test in it.
pub fn run_file(path: &Path, wasm: &Arc<WasmRuntime>) -> Result<Vec<CaseResult>, FixtureError> {
    let mut results = Vec::new();
    for (name, case) in read_file(path)? {
        let test = PreparedTest::new(name, case).map_err(|e| e.at(path))?;
        results.extend((0..test.entries()).map(|entry| test.run(entry, wasm)));
    }
    Ok(results)
}

/// Runs every `Cancun` post entry of one test, each from the same pre-state.
pub fn run_test(
    name: &str,
    case: &TestCase,
    wasm: &Arc<WasmRuntime>,
) -> Result<Vec<CaseResult>, String> {
    let test = PreparedTest::new(name.to_owned(), case.clone()).map_err(|e| e.reason)?;
    Ok((0..test.entries())
        .map(|entry| test.run(entry, wasm))
        .collect())
}

/// A test whose fields are read, pre-state loaded and block built, ready to run any of its
/// entries; entries are independent, so they may run on different threads.
pub struct PreparedTest {
    name: String,
    case: TestCase,
    pre: WorldState,
    sender: Option<Address>,
    block: BlockEnv,
    cfg: CfgEnv,
}

/// A test whose fields cannot be used (a number too large, a bad key).
#[derive(Debug)]
pub struct InvalidTest {
    pub test: String,
    pub reason: String,
}

impl InvalidTest {
    /// The error for the file holding the test.
    pub fn at(self, path: &Path) -> FixtureError {
        FixtureError::Invalid {
            path: path.to_owned(),
            test: self.test,
            reason: self.reason,
        }
    }
}

impl PreparedTest {
    pub fn new(name: String, case: TestCase) -> Result<Self, InvalidTest> {
        let prepared = (|| -> Result<_, String> {
            let mut cfg = CfgEnv::new_with_spec(SPEC);
            cfg.chain_id = CHAIN_ID;
            // Our chain refuses blob transactions before execution, so its config leaves
            // the per-transaction limit unset; a Cancun block holds at most six blobs.
            cfg.max_blobs_per_tx = Some(MAX_BLOB_NUMBER_PER_BLOCK_CANCUN);
            Ok((
                block_env(&case.env)?,
                pre_state(&case)?,
                fixture_sender(&case)?,
                cfg,
            ))
        })();
        match prepared {
            Ok((block, pre, sender, cfg)) => Ok(Self {
                name,
                case,
                pre,
                sender,
                block,
                cfg,
            }),
            Err(reason) => Err(InvalidTest { test: name, reason }),
        }
    }

    /// Number of `Cancun` post entries.
    pub fn entries(&self) -> usize {
        self.case.post.cancun.len()
    }

    /// Runs post entry `entry` from the pre-state.
    pub fn run(&self, entry: usize, wasm: &Arc<WasmRuntime>) -> CaseResult {
        let post = &self.case.post.cancun[entry];
        CaseResult {
            failure: run_entry(post, &self.pre, self.sender, &self.block, &self.cfg, wasm).err(),
            ..self.skeleton(entry)
        }
    }

    /// The result of entry `entry` before it has run: which case it is, no failure yet.
    pub fn skeleton(&self, entry: usize) -> CaseResult {
        CaseResult {
            test: self.name.clone(),
            entry,
            indexes: self.case.post.cancun[entry].indexes,
            failure: None,
        }
    }
}

/// What executing an entry's transaction did.
struct Executed {
    /// The transaction was refused (decoding, signature or validation): why.
    refused: Option<String>,
    root: B256,
    logs_hash: B256,
}

fn run_entry(
    post: &PostEntry,
    pre: &WorldState,
    sender: Option<Address>,
    block: &BlockEnv,
    cfg: &CfgEnv,
    wasm: &Arc<WasmRuntime>,
) -> Result<(), Failure> {
    let executed = execute(post, pre, sender, block, cfg, wasm);
    match (&post.expect_exception, &executed.refused) {
        (Some(expected), None) => {
            return Err(Failure::ExceptionNotRaised {
                expected: expected.clone(),
            });
        }
        (None, Some(reason)) => return Err(Failure::UnexpectedError(reason.clone())),
        _ => {}
    }
    // A refused transaction must leave the pre-state as it was, so its root is still checked.
    if executed.root != post.hash {
        return Err(Failure::RootMismatch {
            expected: post.hash,
            got: executed.root,
        });
    }
    if executed.logs_hash != post.logs {
        return Err(Failure::LogsMismatch {
            expected: post.logs,
            got: executed.logs_hash,
        });
    }
    Ok(())
}

/// Runs the entry's transaction as the only one of a block on top of `pre`.
fn execute(
    post: &PostEntry,
    pre: &WorldState,
    sender: Option<Address>,
    block: &BlockEnv,
    cfg: &CfgEnv,
    wasm: &Arc<WasmRuntime>,
) -> Executed {
    let mut state = pre.clone();
    let no_vesting = BTreeMap::new();
    let (refused, logs) = match decode(post, sender) {
        Err(reason) => (Some(reason), Vec::new()),
        Ok(tx) => {
            let view = LedgerDb {
                state: pre,
                block_hashes: &FixtureBlockHashes,
                wasm,
            };
            let mut executor =
                BlockExecutor::with_env(view, block.clone(), cfg.clone(), &no_vesting);
            let outcome = executor.execute(tx);
            let executed = executor.finish();
            state.apply(&executed.diff);
            match outcome {
                Err(error) => (Some(error.to_string()), Vec::new()),
                Ok(()) => {
                    let logs: Vec<Log> = executed
                        .receipts
                        .iter()
                        .flat_map(|receipt| receipt.logs().iter().cloned())
                        .collect();
                    (None, logs)
                }
            }
        }
    };
    Executed {
        refused,
        root: state.state_root(),
        logs_hash: keccak256(alloy_rlp::encode(&logs)),
    }
}

/// Decodes the signed transaction and recovers its sender, as a block's transaction is.
fn decode(post: &PostEntry, sender: Option<Address>) -> Result<VerifiedTx, String> {
    let envelope = TxEnvelope::decode_2718_exact(&post.txbytes)
        .map_err(|e| format!("transaction does not decode: {e}"))?;
    let recovered = envelope
        .recover_signer()
        .map_err(|e| format!("invalid signature: {e}"))?;
    // The fixture's own sender guards against decoding the wrong transaction silently.
    if let Some(sender) = sender
        && sender != recovered
    {
        return Err(format!(
            "signature recovers {recovered}, the fixture's sender is {sender}"
        ));
    }
    Ok(VerifiedTx {
        hash: *envelope.tx_hash(),
        sender: recovered,
        encoded_len: post.txbytes.len(),
        envelope,
    })
}

/// The sender the fixture names, or the address of the key it gives.
fn fixture_sender(case: &TestCase) -> Result<Option<Address>, String> {
    if let Some(sender) = case.transaction.sender {
        return Ok(Some(sender));
    }
    case.transaction
        .secret_key
        .map(|key| {
            alloy_signer_local::PrivateKeySigner::from_bytes(&key)
                .map(|signer| signer.address())
                .map_err(|e| format!("secretKey is not a secp256k1 key: {e}"))
        })
        .transpose()
}

fn block_env(env: &Env) -> Result<BlockEnv, String> {
    let excess_blob_gas = u64_field("currentExcessBlobGas", env.current_excess_blob_gas)?;
    Ok(BlockEnv {
        number: env.current_number,
        beneficiary: env.current_coinbase,
        timestamp: env.current_timestamp,
        gas_limit: u64_field("currentGasLimit", Some(env.current_gas_limit))?,
        basefee: u64_field("currentBaseFee", env.current_base_fee)?,
        difficulty: env.current_difficulty,
        // After the merge DIFFICULTY reads the beacon chain's randomness instead.
        prevrandao: Some(env.current_random.unwrap_or_default()),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
            excess_blob_gas,
            BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN,
        )),
        ..Default::default()
    })
}

fn u64_field(name: &str, value: Option<U256>) -> Result<u64, String> {
    value
        .unwrap_or_default()
        .try_into()
        .map_err(|_| format!("{name} does not fit in 64 bits"))
}

/// The pre-state, loaded the way a block's changes are applied.
fn pre_state(case: &TestCase) -> Result<WorldState, String> {
    let mut diff = StateDiff::default();
    for (address, account) in &case.pre {
        let code_hash = if account.code.is_empty() {
            KECCAK256_EMPTY
        } else {
            let hash = keccak256(&account.code);
            diff.code.insert(hash, account.code.clone());
            hash
        };
        let nonce = account
            .nonce
            .try_into()
            .map_err(|_| format!("nonce of {address} does not fit in 64 bits"))?;
        let change = AccountChange::Updated {
            info: AccountInfo {
                nonce,
                balance: account.balance,
                code_hash,
            },
            storage_cleared: true,
            storage: account.storage.clone(),
        };
        diff.accounts.insert(*address, change);
    }
    let mut state = WorldState::default();
    state.apply(&diff);
    Ok(state)
}

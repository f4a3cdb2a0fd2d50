//! Executing transactions with revm over the ledger's state.
//!
//! [`LedgerDb`] is the one seam between revm and our state: it reads the latest
//! [`WorldState`] and, through [`BlockHashes`], recent block hashes (the store's canonical
//! chain; a fixed rule in Ethereum's state tests). A [`BlockExecutor`] runs a block's transactions
//! one after another in a revm journal over that view, applies the rules revm does not know
//! (the team lock-up), and turns the result into receipts and a [`StateDiff`]. [`call`] runs a
//! read-only call for `eth_call` and `eth_estimateGas`.
//!
//! WebAssembly contracts run in the same journal as EVM code: [`handler`] hands revm's
//! frames whose code is a module to [`wasm`].
//!
//! Fees: the base fee is burned (revm credits nobody with it) and the priority fee goes to
//! the block's beneficiary, as `docs/src/token.md` sets out.

use crate::config::ChainConfig;
use crate::state::{AccountChange, AccountInfo, StateDiff, WorldState};
use crate::store::Store;
use crate::token::VestingSchedule;
use crate::tx::{SPEC, TxError, VerifiedTx, max_cost, tx_env};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, TxType};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, U256};
use revm::context::result::{EVMError, ExecutionResult, InvalidTransaction};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::database::{AccountState, CacheDB};
use revm::database_interface::{DBErrorMarker, DatabaseRef};
use revm::handler::{EthFrame, EvmTr, Handler, instructions::EthInstructions};
use revm::interpreter::interpreter::EthInterpreter;
use revm::state::{AccountInfo as RevmAccountInfo, Bytecode};
use revm::{Context, DatabaseCommit, ExecuteEvm, MainBuilder, MainContext};
use std::collections::BTreeMap;

mod handler;
mod inspect;
mod nested;
pub mod wasm;

use handler::{VntHandler, VntPrecompiles};
pub use inspect::{AccessListOutcome, BlockTx, CallFailure, access_list, trace_transaction};
pub use vnt_vm::EXECUTION_STACK_BYTES;
pub use wasm::WasmRuntime;

/// A state read that failed (only block-hash lookups touch the disk).
#[derive(Debug, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateReadError(String);

impl DBErrorMarker for StateReadError {}

/// Where `BLOCKHASH` finds the hashes of earlier blocks. A chain answers from its store;
/// Ethereum's state tests, which have no chain, fix a rule of their own
/// ([`crate::statetest`]).
pub trait BlockHashes: Sync {
    /// The hash of block `number`, zero when there is no such block.
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError>;
}

impl BlockHashes for Store {
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        self.canonical_hash(number)
            .map(Option::unwrap_or_default)
            .map_err(|e| StateReadError(e.to_string()))
    }
}

/// Read-only view of the latest state and chain for revm, and the runtime its WASM
/// contracts run in.
#[derive(Clone, Copy)]
pub struct LedgerDb<'a> {
    pub state: &'a WorldState,
    pub block_hashes: &'a dyn BlockHashes,
    pub wasm: &'a std::sync::Arc<WasmRuntime>,
}

impl DatabaseRef for LedgerDb<'_> {
    type Error = StateReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<RevmAccountInfo>, Self::Error> {
        Ok(self.state.account(&address).map(|info| RevmAccountInfo {
            balance: info.balance,
            nonce: info.nonce,
            code_hash: info.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        let code = self
            .state
            .code(&code_hash)
            .ok_or_else(|| StateReadError(format!("no code for hash {code_hash}")))?;
        Ok(Bytecode::new_raw(code))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.state.storage(&address, index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.block_hashes.block_hash(number)
    }
}

/// The block-level context transactions execute in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockContext {
    pub number: u64,
    pub timestamp: u64,
    pub beneficiary: Address,
    pub gas_limit: u64,
    pub base_fee: u64,
    pub prevrandao: B256,
}

impl BlockContext {
    fn env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            blob_excess_gas_and_price: Some(
                revm::context_interface::block::BlobExcessGasAndPrice::new(
                    0,
                    revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN,
                ),
            ),
            ..Default::default()
        }
    }
}

fn cfg(config: &ChainConfig) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = config.chain_id;
    cfg
}

type LedgerContext<'a> = revm::handler::MainnetContext<CacheDB<LedgerDb<'a>>>;
type LedgerEvm<'a> = revm::context::Evm<
    LedgerContext<'a>,
    (),
    EthInstructions<EthInterpreter, LedgerContext<'a>>,
    VntPrecompiles,
    EthFrame,
>;

fn build_evm<'a>(view: LedgerDb<'a>, block: BlockEnv, cfg: CfgEnv) -> LedgerEvm<'a> {
    let wasm = view.wasm.clone();
    Context::mainnet()
        .with_db(CacheDB::new(view))
        .with_block(block)
        .with_cfg(cfg)
        .build_mainnet()
        .with_precompiles(VntPrecompiles::new(wasm))
}

/// Executes `tx`, leaving its effects in the journal (see [`ExecuteEvm::finalize`]).
fn transact(evm: &mut LedgerEvm, tx: TxEnv) -> Result<ExecutionResult, EVMError<StateReadError>> {
    revm::context::ContextSetters::set_tx(evm.ctx_mut(), tx);
    VntHandler::default().run(evm)
}

/// The result of executing a block's transactions.
#[derive(Debug)]
pub struct ExecutedBlock {
    pub transactions: Vec<VerifiedTx>,
    pub receipts: Vec<ReceiptEnvelope>,
    pub gas_used: u64,
    pub diff: StateDiff,
}

/// Runs transactions one by one on top of the latest state, for one block.
pub struct BlockExecutor<'a> {
    /// Holds the block's environment too: its gas limit and timestamp are read from there.
    evm: LedgerEvm<'a>,
    vesting: &'a BTreeMap<Address, VestingSchedule>,
    executed: ExecutedBlock,
}

impl<'a> BlockExecutor<'a> {
    pub fn new(
        view: LedgerDb<'a>,
        block: BlockContext,
        config: &ChainConfig,
        vesting: &'a BTreeMap<Address, VestingSchedule>,
    ) -> Self {
        Self::with_env(view, block.env(), cfg(config), vesting)
    }

    /// An executor for a block revm describes directly; Ethereum's state tests give fields
    /// (difficulty, excess blob gas) our own blocks leave at their defaults.
    pub fn with_env(
        view: LedgerDb<'a>,
        block: BlockEnv,
        cfg: CfgEnv,
        vesting: &'a BTreeMap<Address, VestingSchedule>,
    ) -> Self {
        Self {
            evm: build_evm(view, block, cfg),
            vesting,
            executed: ExecutedBlock {
                transactions: Vec::new(),
                receipts: Vec::new(),
                gas_used: 0,
                diff: StateDiff::default(),
            },
        }
    }

    /// Checks the shielded-pool proofs of the transactions the block is about to run, in
    /// one batch, so that each `transact` takes the verdict instead of verifying alone.
    pub fn preverify_shielded(&mut self, transactions: &[VerifiedTx]) {
        let state = self.evm.ctx.journaled_state.database.db.state;
        let chain_id = self.evm.ctx.cfg.chain_id;
        let gas_limit = self.evm.ctx.block.gas_limit;
        self.evm.precompiles.shielded =
            crate::shielded::batch::preverify(state, chain_id, gas_limit, transactions);
    }

    /// Gas still available in the block.
    pub fn gas_left(&self) -> u64 {
        self.evm.ctx.block.gas_limit - self.executed.gas_used
    }

    /// Executes one transaction and keeps its effects, or refuses it and changes nothing.
    pub fn execute(&mut self, tx: VerifiedTx) -> Result<(), TxError> {
        if alloy_consensus::Transaction::gas_limit(&tx.envelope) > self.gas_left() {
            return Err(TxError::GasLimitExceedsBlock {
                gas: alloy_consensus::Transaction::gas_limit(&tx.envelope),
                limit: self.gas_left(),
            });
        }
        self.check_vesting(&tx)?;
        let result =
            transact(&mut self.evm, tx_env(&tx.envelope, tx.sender)).map_err(to_tx_error)?;
        let changes = self.evm.finalize();
        self.evm.ctx.journaled_state.database.commit(changes);
        self.executed.gas_used += result.tx_gas_used();
        let success = result.is_success();
        // A reverted or halted transaction leaves no logs in its receipt.
        let logs = if success {
            result.into_logs()
        } else {
            Vec::new()
        };
        let receipt = Receipt {
            status: Eip658Value::Eip658(success),
            cumulative_gas_used: self.executed.gas_used,
            logs,
        };
        let receipt = envelope_receipt(tx.envelope.tx_type(), receipt);
        self.executed.receipts.push(receipt);
        self.executed.transactions.push(tx);
        Ok(())
    }

    fn check_vesting(&mut self, tx: &VerifiedTx) -> Result<(), TxError> {
        let Some(schedule) = self.vesting.get(&tx.sender) else {
            return Ok(());
        };
        let balance = revm::Database::basic(&mut self.evm.ctx.journaled_state.database, tx.sender)
            .map_err(|e| TxError::Rejected(e.to_string()))?
            .map_or(U256::ZERO, |info| info.balance);
        let now = self.evm.ctx.block.timestamp.saturating_to();
        vesting_check(tx, schedule, balance, now)
    }

    /// The chain's own end-of-block work, after the last transaction and before
    /// [`BlockExecutor::finish`]: the staking contract folds the block's `prevrandao` into
    /// its epoch's randomness and, at an epoch's last block, draws a committee
    /// ([`crate::staking::epochs`]); on a chain with a block reward it pays the block's
    /// rewards, and the committee's through `certified`, the finalization certificate the
    /// block carries, checked before the block ran ([`crate::staking::rewards`]). It does
    /// nothing on a chain without staking. State tests, which model no chain, skip it.
    /// `Err` is a ledger failure.
    pub fn end_block(
        &mut self,
        certified: Option<&crate::staking::rewards::CertifiedBlock>,
    ) -> Result<(), String> {
        let block = &self.evm.ctx.block;
        let end = crate::staking::hook::BlockEnd {
            number: block.number.saturating_to(),
            mix_hash: block.prevrandao.unwrap_or_default(),
            beneficiary: block.beneficiary,
            certified,
        };
        crate::staking::hook::end_block(&mut self.evm.ctx.journaled_state.database, &end)
    }

    /// Ends the block: the executed transactions, their receipts and the state they change.
    pub fn finish(mut self) -> ExecutedBlock {
        let cache = &self.evm.ctx.journaled_state.database.cache;
        let mut diff = StateDiff::default();
        for (address, account) in &cache.accounts {
            let change = match account.account_state {
                AccountState::None => continue,
                AccountState::NotExisting => AccountChange::Deleted,
                AccountState::Touched | AccountState::StorageCleared => {
                    let info = AccountInfo {
                        nonce: account.info.nonce,
                        balance: account.info.balance,
                        code_hash: account.info.code_hash,
                    };
                    let storage_cleared = account.account_state == AccountState::StorageCleared;
                    let storage: BTreeMap<U256, U256> =
                        account.storage.iter().map(|(k, v)| (*k, *v)).collect();
                    if info.is_empty() && storage.values().all(U256::is_zero) {
                        AccountChange::Deleted
                    } else {
                        AccountChange::Updated {
                            info,
                            storage_cleared,
                            storage,
                        }
                    }
                }
            };
            diff.accounts.insert(*address, change);
        }
        for (hash, code) in &cache.contracts {
            if !code.is_empty() {
                diff.code.insert(*hash, code.original_bytes());
            }
        }
        self.executed.diff = diff;
        self.executed
    }
}

/// The team lock-up: a locked account may not spend into its still-locked balance.
pub fn vesting_check(
    tx: &VerifiedTx,
    schedule: &VestingSchedule,
    balance: U256,
    now: u64,
) -> Result<(), TxError> {
    let locked = schedule.locked(now);
    let spendable = balance.saturating_sub(locked);
    let want = max_cost(&tx.envelope);
    if want > spendable {
        return Err(TxError::VestingLocked {
            address: tx.sender,
            locked,
            spendable,
            want,
        });
    }
    Ok(())
}

fn envelope_receipt(ty: TxType, receipt: Receipt) -> ReceiptEnvelope {
    let with_bloom = receipt.with_bloom();
    match ty {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
        TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
        TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
        TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
    }
}

fn to_tx_error(error: EVMError<StateReadError>) -> TxError {
    match error {
        EVMError::Transaction(invalid) => match invalid {
            InvalidTransaction::NonceTooLow { tx, state } => TxError::NonceTooLow {
                expected: state,
                got: tx,
            },
            InvalidTransaction::NonceTooHigh { tx, state } => TxError::NonceTooHigh {
                expected: state,
                got: tx,
                gap: 0,
            },
            InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
                TxError::InsufficientFunds {
                    address: Address::ZERO,
                    have: *balance,
                    want: *fee,
                }
            }
            other => TxError::Rejected(other.to_string()),
        },
        other => TxError::Rejected(other.to_string()),
    }
}

/// What a read-only call asks for (the fields of `eth_call`'s transaction object).
#[derive(Clone, Debug, Default)]
pub struct CallRequest {
    pub from: Option<Address>,
    pub to: Option<Address>,
    pub gas: Option<u64>,
    pub gas_price: Option<u128>,
    pub max_fee_per_gas: Option<u128>,
    pub max_priority_fee_per_gas: Option<u128>,
    pub value: Option<U256>,
    pub input: Bytes,
    pub nonce: Option<u64>,
    pub access_list: Option<alloy_eips::eip2930::AccessList>,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Success {
        output: Bytes,
        gas_used: u64,
        logs: Vec<Log>,
    },
    Revert {
        output: Bytes,
        gas_used: u64,
    },
    Halt {
        reason: String,
        gas_used: u64,
    },
}

impl CallOutcome {
    pub fn gas_used(&self) -> u64 {
        match self {
            Self::Success { gas_used, .. }
            | Self::Revert { gas_used, .. }
            | Self::Halt { gas_used, .. } => *gas_used,
        }
    }
}

/// The configuration and transaction of a read-only call (`eth_call`, `eth_estimateGas`,
/// `eth_createAccessList`).
fn call_setup(config: &ChainConfig, request: &CallRequest, gas_limit: u64) -> (CfgEnv, TxEnv) {
    let mut cfg = cfg(config);
    let fee_given = request.gas_price.is_some() || request.max_fee_per_gas.is_some();
    // As in geth, a call that names no fee pays none and ignores the base fee and nonce.
    cfg.disable_base_fee = !fee_given;
    cfg.disable_nonce_check = true;
    cfg.tx_chain_id_check = false;
    let env = TxEnv {
        tx_type: if request.max_fee_per_gas.is_some() {
            2
        } else if request.access_list.is_some() {
            1
        } else {
            0
        },
        caller: request.from.unwrap_or_default(),
        gas_limit,
        gas_price: request
            .max_fee_per_gas
            .or(request.gas_price)
            .unwrap_or_default(),
        gas_priority_fee: request.max_priority_fee_per_gas,
        kind: request.to.map_or(
            revm::primitives::TxKind::Create,
            revm::primitives::TxKind::Call,
        ),
        value: request.value.unwrap_or_default(),
        data: request.input.clone(),
        nonce: request.nonce.unwrap_or_default(),
        chain_id: Some(config.chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        ..Default::default()
    };
    (cfg, env)
}

/// Runs a call against the latest state without keeping its effects.
pub fn call(
    view: LedgerDb,
    block: &BlockContext,
    config: &ChainConfig,
    request: &CallRequest,
    gas_limit: u64,
) -> Result<CallOutcome, TxError> {
    let (cfg, env) = call_setup(config, request, gas_limit);
    let mut evm = build_evm(view, block.env(), cfg);
    let result = transact(&mut evm, env).map_err(to_tx_error)?;
    Ok(match result {
        ExecutionResult::Success {
            gas, logs, output, ..
        } => CallOutcome::Success {
            output: output.into_data(),
            gas_used: gas.tx_gas_used(),
            logs,
        },
        ExecutionResult::Revert { gas, output, .. } => CallOutcome::Revert {
            output,
            gas_used: gas.tx_gas_used(),
        },
        ExecutionResult::Halt { reason, gas, .. } => CallOutcome::Halt {
            reason: match reason {
                // A WASM trap's own words (see `handler::interpreter_result`).
                revm::context::result::HaltReason::PrecompileErrorWithContext(reason) => reason,
                other => format!("{other:?}"),
            },
            gas_used: gas.tx_gas_used(),
        },
    })
}

/// Bloom of all logs of a block's receipts.
pub fn block_bloom(receipts: &[ReceiptEnvelope]) -> Bloom {
    receipts
        .iter()
        .fold(Bloom::ZERO, |acc, r| acc | *r.logs_bloom())
}

//! Plumbing shared by the native system contracts (the shielded pool, staking): a call frame
//! over revm's journal that charges gas as the EVM would for the same work, and the
//! conversion of a contract's outcome into the interpreter result revm expects.
//!
//! A system contract runs in the precompile slot ([`crate::execution::handler`]): revm has
//! already taken the frame's journal checkpoint and moved the call's value, so every storage
//! write, log and payment made through a [`Frame`] is undone when the call reverts. A
//! contract reports a refusal as [`Stop::Revert`]; [`finish`] turns it into an
//! `Error(string)` revert whose reason starts with the contract's name, so a wallet shows
//! which contract refused and why.

pub mod gas;

use crate::execution::wasm::{FrameContext, revert_reason};
use alloy_primitives::{Address, Bytes, Log, LogData, U256};
use revm::context::journaled_state::account::JournaledAccountTr;
use revm::context::{Block, Cfg, ContextTr, JournalTr};
use revm::interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult};

/// Why a system-contract call stopped early.
#[derive(Debug)]
pub enum Stop {
    /// A refusal: the reason, without the contract-name prefix the revert data carries.
    Revert(String),
    OutOfGas,
    /// The database could not be read: the whole transaction stops.
    Ledger(String),
}

impl Stop {
    pub(crate) fn revert(reason: impl Into<String>) -> Self {
        Self::Revert(reason.into())
    }
}

/// A step of a system-contract call.
pub type Step<T> = Result<T, Stop>;

/// A system contract's view of one call frame: the journal, scoped to the contract's own
/// account, and the frame's gas.
pub struct Frame<'c, CTX> {
    ctx: &'c mut CTX,
    /// The contract's account: the only storage this frame reads or writes.
    address: Address,
    pub(crate) gas: Gas,
    pub(crate) caller: Address,
    pub(crate) value: U256,
    pub(crate) is_static: bool,
}

impl<'c, CTX: FrameContext> Frame<'c, CTX> {
    /// The frame of `inputs`, for the contract at `address`.
    pub fn new(ctx: &'c mut CTX, inputs: &CallInputs, address: Address) -> Self {
        Self {
            ctx,
            address,
            gas: Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir),
            caller: inputs.caller,
            value: inputs.value.get(),
            is_static: inputs.is_static,
        }
    }

    /// Spends `amount` gas, or stops the call out of gas.
    pub fn charge(&mut self, amount: u64) -> Step<()> {
        if self.gas.record_regular_cost(amount) {
            Ok(())
        } else {
            Err(Stop::OutOfGas)
        }
    }

    pub fn chain_id(&self) -> u64 {
        self.ctx.cfg().chain_id()
    }

    /// The number of the block this call runs in.
    pub fn block_number(&self) -> u64 {
        self.ctx.block().number().saturating_to()
    }

    /// The contract's balance, which already includes this call's value.
    pub fn own_balance(&mut self) -> Step<U256> {
        match self.ctx.journal_mut().load_account(self.address) {
            Ok(account) => Ok(account.data.info.balance),
            Err(error) => Err(Stop::Ledger(error.to_string())),
        }
    }

    /// Pays `amount` wei from the contract to `to`, charged as a value-carrying `CALL` to an
    /// account without code would be.
    pub fn pay(&mut self, to: Address, amount: U256) -> Step<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let (cold, empty) = match self.ctx.journal_mut().load_account(to) {
            Ok(account) => (account.is_cold, account.data.is_empty()),
            Err(error) => return Err(Stop::Ledger(error.to_string())),
        };
        self.charge(gas::payment(cold, empty))?;
        match self.ctx.journal_mut().transfer(self.address, to, amount) {
            Ok(None) => Ok(()),
            Ok(Some(error)) => Err(Stop::revert(format!("paying {to} failed: {error:?}"))),
            Err(error) => Err(Stop::Ledger(error.to_string())),
        }
    }

    /// Burns `amount` wei of the contract's balance: it leaves the supply (the sum of all
    /// balances), as a burned base fee does. Charged as a storage write that changes a
    /// set value (`SSTORE`'s 5,000), the closest EVM price for rewriting a balance.
    pub fn burn(&mut self, amount: U256) -> Step<()> {
        if amount.is_zero() {
            return Ok(());
        }
        self.charge(gas::BURN)?;
        let mut account = self
            .ctx
            .journal_mut()
            .load_account_mut(self.address)
            .map_err(|error| Stop::Ledger(error.to_string()))?;
        if account.data.decr_balance(amount) {
            Ok(())
        } else {
            Err(Stop::Ledger(format!(
                "{} holds less than the {amount} wei it burns",
                self.address
            )))
        }
    }

    /// Emits a log from the contract, charged as `LOGn` is.
    pub fn log(&mut self, data: LogData) -> Step<()> {
        self.charge(gas::log(data.topics().len(), data.data.len()))?;
        let address = self.address;
        self.ctx.journal_mut().log(Log { address, data });
        Ok(())
    }

    /// Reads a slot of the contract's storage, charged as `SLOAD`.
    pub fn load(&mut self, slot: U256) -> Step<U256> {
        let loaded = self
            .ctx
            .journal_mut()
            .sload(self.address, slot)
            .map_err(|error| Stop::Ledger(error.to_string()))?;
        self.charge(gas::sload(loaded.is_cold))?;
        Ok(loaded.data)
    }

    /// Writes a slot of the contract's storage, charged and refunded as `SSTORE`.
    pub fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        let stored = self
            .ctx
            .journal_mut()
            .sstore(self.address, slot, value)
            .map_err(|error| Stop::Ledger(error.to_string()))?;
        let result = &stored.data;
        let (cost, refund) = gas::sstore(
            result.original_value,
            result.present_value,
            result.new_value,
            stored.is_cold,
        );
        self.charge(cost)?;
        self.gas.record_refund(refund);
        Ok(())
    }

    /// Refuses a DELEGATECALL or CALLCODE: it would run the contract's rules on the caller's
    /// own storage and balance, which means nothing, since only the contract's account
    /// holds its state.
    pub fn require_direct_call(&self, target: Address, name: &str) -> Step<()> {
        if target == self.address {
            Ok(())
        } else {
            Err(Stop::revert(format!("only a direct call runs the {name}")))
        }
    }
}

/// The interpreter result of a call that ended with `outcome`; `Err` is a ledger failure,
/// which stops the transaction. A refusal reverts with `Error("<name>: <reason>")`.
pub fn finish<CTX>(
    frame: Frame<'_, CTX>,
    outcome: Step<Vec<u8>>,
    name: &str,
) -> Result<InterpreterResult, String> {
    let mut gas = frame.gas;
    let (result, output) = match outcome {
        Ok(output) => (InstructionResult::Return, output),
        Err(Stop::Revert(reason)) => {
            gas.set_refund(0);
            let reason = format!("{name}: {reason}");
            (InstructionResult::Revert, revert_reason(&reason))
        }
        Err(Stop::OutOfGas) => {
            gas.spend_all();
            gas.set_refund(0);
            (InstructionResult::OutOfGas, Vec::new())
        }
        Err(Stop::Ledger(error)) => return Err(error),
    };
    Ok(InterpreterResult::new(result, Bytes::from(output), gas))
}

/// The refusal of a selector a contract does not have.
pub fn unknown_selector(selector: [u8; 4]) -> Stop {
    Stop::revert(format!(
        "unknown function selector 0x{}",
        alloy_primitives::hex::encode(selector)
    ))
}

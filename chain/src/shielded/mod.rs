//! The shielded pool: a system contract at [`SHIELDED_POOL`], native Rust behind a Solidity
//! ABI ([`abi::IShieldedPool`]), that keeps the note tree, its recent roots and the
//! nullifier set of Groth16 confidential transactions (issue 6; the cryptography is
//! `vnt-zk`).
//!
//! # Protocol
//!
//! Value in the pool lives in notes the chain never sees: it stores only their commitments,
//! as leaves of an append-only depth-32 Merkle tree ([`storage`]). One call, `transact`,
//! serves every movement of value. Its proof says: "I own two notes under one of your recent
//! roots, whose nullifiers are `nf1`, `nf2`; I create notes with commitments `cm1`, `cm2`;
//! and inputs plus `publicIn` equal outputs plus `publicOut` plus `fee`". Shielding is
//! `publicIn > 0` (with zero-value dummy inputs), unshielding is `publicOut > 0` paid to
//! `recipient`; both may happen alongside a private transfer. Amounts are in pool units of
//! [`POOL_UNIT_WEI`] (one gwei), so a `u64` note can hold all the VNT there is.
//!
//! [`transact`] refuses, each with an `Error(string)` revert reason starting
//! `shielded pool: `, in this order (cheap checks first, the pairing last):
//!
//! 1. a static call, malformed or non-canonical ABI encoding, a `uint64` word that
//!    overflows, a proof that is not 192 bytes, a ciphertext over 256 bytes;
//! 2. a public input (root, nullifier, commitment) that is not a canonical field element;
//! 3. `msg.value` other than `publicIn` gwei; `publicOut` paid to the pool itself;
//! 4. the same nullifier twice in one call; a root not among the last [`ROOT_HISTORY`];
//!    a nullifier already spent;
//! 5. `publicOut + fee` beyond the pool's balance (the circuit already forbids creating
//!    value; this keeps a forged proof from draining more than the pool holds);
//! 6. a proof point that is not a non-identity point of the prime-order subgroup, then a
//!    proof that does not verify against the public inputs (the chain id, the submitter and
//!    the ciphertexts among them).
//!
//! Then it marks both nullifiers spent, appends `cm1`, `cm2` at positions `n`, `n+1`,
//! records the new root, emits `NoteCommitted` twice and `NullifierSpent` twice, pays
//! `publicOut` to `recipient` and `fee` to `msg.sender` (the submitter, often a relayer).
//! Every effect sits in the call's journal checkpoint, so a revert leaves nothing behind.
//!
//! The verifying key is pinned by the chain's configuration and recorded, by its SHA-256,
//! in the pool's storage at genesis ([`keys`]); [`batch`] checks a block's proofs together
//! before the block runs so that `transact` need not check them one by one.
//!
//! Start reading at [`run`], then [`transact`].

pub mod abi;
pub mod batch;
pub mod gas;
pub mod keys;
pub mod storage;
mod transact;

use crate::execution::wasm::{FrameContext, revert_reason};
use abi::IShieldedPool;
use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, address};
use alloy_sol_types::SolCall;
use revm::context::{Cfg, ContextTr, JournalTr};
use revm::interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult};

pub use batch::Preverified;
pub use keys::{PoolKeyError, ShieldedPoolConfig};

/// Where the pool lives: "zk" in ASCII.
pub const SHIELDED_POOL: Address = address!("0x0000000000000000000000000000000000007a6b");

/// Wei in one pool unit (1 gwei): note values are `u64`, so a unit of one wei would cap a
/// note at about 18 VNT.
pub const POOL_UNIT_WEI: u64 = 1_000_000_000;

/// How many of the latest tree roots `transact` accepts. Every spend moves the root, and a
/// full block holds about 50 spends, so this keeps a proof valid for about 20 full blocks —
/// time to prove and propagate — and makes invalidating proofs in flight cost about 600M gas.
pub const ROOT_HISTORY: u64 = 1_000;

/// Largest note ciphertext `transact` accepts, in bytes.
pub const MAX_NOTE_CIPHERTEXT: usize = 256;

/// The pool account's code: one `INVALID` byte. The chain runs the pool natively and never
/// executes it, but a Solidity caller checks `extcodesize` before a call, and
/// `eth_getCode` should show that something lives here.
pub const SHIELDED_POOL_CODE: [u8; 1] = [0xfe];

/// Why a pool call stopped early.
#[derive(Debug)]
pub enum Stop {
    /// A refusal: the reason, without the `shielded pool: ` prefix the revert data carries.
    Revert(String),
    OutOfGas,
    /// The database could not be read: the whole transaction stops.
    Ledger(String),
}

impl Stop {
    fn revert(reason: impl Into<String>) -> Self {
        Self::Revert(reason.into())
    }
}

/// A step of a pool call.
pub type Step<T> = Result<T, Stop>;

/// The pool's view of one call frame: the journal, scoped to the pool's own account, and
/// the frame's gas.
pub struct Frame<'c, CTX> {
    ctx: &'c mut CTX,
    gas: Gas,
    caller: Address,
    value: U256,
    is_static: bool,
}

impl<CTX: FrameContext> Frame<'_, CTX> {
    /// Spends `amount` gas, or stops the call out of gas.
    pub fn charge(&mut self, amount: u64) -> Step<()> {
        if self.gas.record_regular_cost(amount) {
            Ok(())
        } else {
            Err(Stop::OutOfGas)
        }
    }

    fn chain_id(&self) -> u64 {
        self.ctx.cfg().chain_id()
    }

    /// The pool's balance, which already includes this call's value.
    fn pool_balance(&mut self) -> Step<U256> {
        match self.ctx.journal_mut().load_account(SHIELDED_POOL) {
            Ok(account) => Ok(account.data.info.balance),
            Err(error) => Err(Stop::Ledger(error.to_string())),
        }
    }

    /// Pays `amount` wei from the pool to `to`, charged as a value-carrying `CALL` to an
    /// account without code would be.
    fn pay(&mut self, to: Address, amount: U256) -> Step<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let (cold, empty) = match self.ctx.journal_mut().load_account(to) {
            Ok(account) => (account.is_cold, account.data.is_empty()),
            Err(error) => return Err(Stop::Ledger(error.to_string())),
        };
        self.charge(gas::payment(cold, empty))?;
        match self.ctx.journal_mut().transfer(SHIELDED_POOL, to, amount) {
            Ok(None) => Ok(()),
            Ok(Some(error)) => Err(Stop::revert(format!("paying {to} failed: {error:?}"))),
            Err(error) => Err(Stop::Ledger(error.to_string())),
        }
    }

    /// Emits a log from the pool, charged as `LOGn` is.
    fn log(&mut self, data: LogData) -> Step<()> {
        self.charge(gas::log(data.topics().len(), data.data.len()))?;
        self.ctx.journal_mut().log(Log {
            address: SHIELDED_POOL,
            data,
        });
        Ok(())
    }
}

impl<CTX: FrameContext> storage::PoolStorage for Frame<'_, CTX> {
    fn load(&mut self, slot: U256) -> Step<U256> {
        let loaded = self
            .ctx
            .journal_mut()
            .sload(SHIELDED_POOL, slot)
            .map_err(|error| Stop::Ledger(error.to_string()))?;
        self.charge(gas::sload(loaded.is_cold))?;
        Ok(loaded.data)
    }

    fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        let stored = self
            .ctx
            .journal_mut()
            .sstore(SHIELDED_POOL, slot, value)
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

    fn charge_hashes(&mut self, count: u64) -> Step<()> {
        self.charge(gas::TREE_HASH.saturating_mul(count))
    }
}

/// Runs a call whose code address is [`SHIELDED_POOL`]. `Err` is a ledger failure, which
/// stops the transaction; every refusal is an `Ok` revert.
pub fn run<CTX: FrameContext>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    preverified: &Preverified,
) -> Result<InterpreterResult, String> {
    let input = inputs.input.bytes(ctx);
    let mut frame = Frame {
        ctx,
        gas: Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir),
        caller: inputs.caller,
        value: inputs.value.get(),
        is_static: inputs.is_static,
    };
    // A DELEGATECALL or CALLCODE would run the pool's rules on the caller's own storage
    // and balance, which means nothing: only the pool's account holds pool state.
    let outcome = if inputs.target_address != SHIELDED_POOL {
        Err(Stop::revert("only a direct call runs the pool"))
    } else {
        frame
            .charge(gas::CALL_BASE)
            .and_then(|()| dispatch(&mut frame, &input, preverified))
    };
    let mut gas = frame.gas;
    let (result, output) = match outcome {
        Ok(output) => (InstructionResult::Return, output),
        Err(Stop::Revert(reason)) => {
            gas.set_refund(0);
            let reason = format!("shielded pool: {reason}");
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

/// Picks the function by selector; returns the ABI-encoded result.
fn dispatch<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    input: &[u8],
    preverified: &Preverified,
) -> Step<Vec<u8>> {
    let Some((selector, args)) = input.split_first_chunk::<4>() else {
        return Err(Stop::revert(if frame.value.is_zero() {
            "no function selector in the call data"
        } else {
            "value enters the pool only through transact"
        }));
    };
    use storage::PoolStorage as _;
    let key_hash: B256 = frame.load(storage::slot::VERIFYING_KEY_HASH)?.into();
    if key_hash.is_zero() {
        return Err(Stop::revert(
            "not enabled on this chain: its configuration pins no verifying key",
        ));
    }
    if *selector == IShieldedPool::transactCall::SELECTOR {
        if frame.is_static {
            return Err(Stop::revert("transact cannot run in a static call"));
        }
        let call = abi::decode_transact(args)?;
        return transact::transact(frame, &call, key_hash, preverified);
    }
    // Views are not payable, as Solidity's are not.
    if !frame.value.is_zero() {
        return Err(Stop::revert("value enters the pool only through transact"));
    }
    match *selector {
        IShieldedPool::rootCall::SELECTOR => {
            abi::decode_view::<IShieldedPool::rootCall>(args)?;
            let root = storage::current_root(frame)?;
            Ok(IShieldedPool::rootCall::abi_encode_returns(&root))
        }
        IShieldedPool::isKnownRootCall::SELECTOR => {
            let call = abi::decode_view::<IShieldedPool::isKnownRootCall>(args)?;
            let known = storage::is_known_root(frame, call.root)?;
            Ok(IShieldedPool::isKnownRootCall::abi_encode_returns(&known))
        }
        IShieldedPool::isSpentCall::SELECTOR => {
            let call = abi::decode_view::<IShieldedPool::isSpentCall>(args)?;
            let spent = storage::is_spent(frame, call.nullifier)?;
            Ok(IShieldedPool::isSpentCall::abi_encode_returns(&spent))
        }
        IShieldedPool::noteCountCall::SELECTOR => {
            abi::decode_view::<IShieldedPool::noteCountCall>(args)?;
            let count = storage::note_count(frame)?;
            Ok(IShieldedPool::noteCountCall::abi_encode_returns(&count))
        }
        IShieldedPool::verifyingKeyHashCall::SELECTOR => {
            abi::decode_view::<IShieldedPool::verifyingKeyHashCall>(args)?;
            Ok(IShieldedPool::verifyingKeyHashCall::abi_encode_returns(
                &key_hash,
            ))
        }
        other => Err(Stop::revert(format!(
            "unknown function selector 0x{}",
            alloy_primitives::hex::encode(other)
        ))),
    }
}

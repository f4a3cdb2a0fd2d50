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

use crate::execution::wasm::FrameContext;
use abi::IShieldedPool;
use alloy_primitives::{Address, B256, U256, address};
use alloy_sol_types::SolCall;
use revm::interpreter::{CallInputs, InterpreterResult};

pub use crate::system::{Frame, Step, Stop};
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

impl<CTX: FrameContext> Frame<'_, CTX> {
    /// The pool's balance, which already includes this call's value.
    fn pool_balance(&mut self) -> Step<U256> {
        self.own_balance()
    }
}

impl<CTX: FrameContext> storage::PoolStorage for Frame<'_, CTX> {
    fn load(&mut self, slot: U256) -> Step<U256> {
        Frame::load(self, slot)
    }

    fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        Frame::store(self, slot, value)
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
    let mut frame = Frame::new(ctx, inputs, SHIELDED_POOL);
    let outcome = frame
        .require_direct_call(inputs.target_address, "pool")
        .and_then(|()| frame.charge(gas::CALL_BASE))
        .and_then(|()| dispatch(&mut frame, &input, preverified));
    crate::system::finish(frame, outcome, "shielded pool")
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
        other => Err(crate::system::unknown_selector(other)),
    }
}

//! Calls between contracts: `call`, `static_call`, `delegate_call`, `create`, and reading
//! what the last of them returned.
//!
//! The VM, not the host, enforces what must hold whoever implements [`Host`]: the depth
//! limit, the static-call rules and gas forwarding. A caller may forward at most all but one
//! 64th of the gas it has left (Ethereum's EIP-150 rule), so every frame keeps enough to
//! finish after its callee; the forwarded gas is charged before the call and what the callee
//! did not use is refunded after. A callee that traps (rather than returning or reverting)
//! consumes everything it was given, as in Ethereum.

use super::{Exit, Guest, Host, HostFunction, MODULE, Ty, charge, charge_call, word};
use crate::costs::host as cost;
use crate::engine::{Outcome, Status};

/// Frames deeper than this cannot call: the call fails (returns [`CallStatus::Failure`])
/// without running anything and without using the forwarded gas.
///
/// Each nested frame runs on the native stack of the thread executing the outermost call,
/// so the limit is small; see [`crate::EXECUTION_STACK_BYTES`].
pub const CALL_DEPTH_LIMIT: u32 = 32;

/// How a contract calls another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// Runs the target's code on the target's storage, optionally sending value.
    Call,
    /// Like `Call` without value, and nothing below it may change state.
    Static,
    /// Runs the target's code as the calling frame: its storage, caller and value.
    Delegate,
}

/// A call the VM asks the host to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRequest {
    pub kind: CallKind,
    pub target: [u8; 20],
    /// Value to move from the calling account to the target, 32 bytes big-endian.
    pub value: [u8; 32],
    pub input: Vec<u8>,
    /// Gas forwarded to the callee (already charged to the caller).
    pub gas: u64,
}

/// A contract creation the VM asks the host to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateRequest {
    /// The WebAssembly module to deploy.
    pub code: Vec<u8>,
    pub value: [u8; 32],
    pub gas: u64,
}

/// How a call or creation ended, as the guest sees it (the `i32` the host function returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStatus {
    Success = 0,
    /// The callee reverted; its revert data is the result.
    Revert = 1,
    /// The callee trapped, the depth limit was reached, the balance did not cover the value,
    /// or the code could not be deployed.
    Failure = 2,
}

/// What the host reports back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    pub status: CallStatus,
    /// Return or revert data.
    pub output: Vec<u8>,
    /// Gas the callee used, at most the gas forwarded.
    pub gas_used: u64,
    /// The new contract's address, for a successful creation.
    pub created: Option<[u8; 20]>,
}

impl CallResult {
    /// A failure before anything ran: no output, no gas used.
    pub fn failed() -> Self {
        Self {
            status: CallStatus::Failure,
            output: Vec::new(),
            gas_used: 0,
            created: None,
        }
    }

    /// The result of running a callee that was given `gas`: a trap consumes all of it.
    pub fn from_outcome(outcome: Outcome, gas: u64) -> Self {
        let (status, output, gas_used) = match outcome.status {
            Status::Returned(data) => (CallStatus::Success, data, outcome.gas_used),
            Status::Reverted(data) => (CallStatus::Revert, data, outcome.gas_used),
            Status::Trapped(_) => (CallStatus::Failure, Vec::new(), gas),
        };
        Self {
            status,
            output,
            gas_used: gas_used.min(gas),
            created: None,
        }
    }
}

fn address(guest: &mut dyn Guest, ptr: u64) -> Result<[u8; 20], Exit> {
    Ok(guest
        .read(ptr as u32, 20)?
        .try_into()
        .expect("read returns exactly 20 bytes"))
}

/// Charges up to `requested` gas (capped by the 63/64 rule) for a callee, lets the host run
/// it and refunds what it did not use. Returns the status for the guest.
fn forward(
    guest: &mut dyn Guest,
    requested: u64,
    run: impl FnOnce(&mut dyn Host, u64) -> CallResult,
) -> Result<Option<u64>, Exit> {
    if guest.host().context().depth >= CALL_DEPTH_LIMIT {
        guest.last_result().clear();
        return Ok(Some(CallStatus::Failure as u64));
    }
    let left = guest.gas_left();
    let gas = requested.min(left - left / 64);
    charge(guest, gas)?;
    let result = run(guest.host(), gas);
    let refund = gas - result.gas_used.min(gas);
    let left = guest.gas_left();
    guest.set_gas_left(left + refund);
    *guest.last_result() = result.output;
    Ok(Some(result.status as u64))
}

/// Arguments of a call as the guest passed them (pointers into its memory).
struct CallArgs {
    target_ptr: u64,
    /// Only `call` sends value; the other kinds send none.
    value_ptr: Option<u64>,
    input_ptr: u64,
    input_len: u64,
    gas: u64,
}

/// Every call kind: charge, read the arguments, forward gas, run.
fn call_contract(
    guest: &mut dyn Guest,
    kind: CallKind,
    args: CallArgs,
) -> Result<Option<u64>, Exit> {
    charge_call(guest, cost::CALL, args.input_len)?;
    let target = address(guest, args.target_ptr)?;
    let value = match args.value_ptr {
        Some(ptr) => word(guest, ptr)?,
        None => [0; 32],
    };
    if value != [0; 32] {
        super::forbid_in_static(guest)?;
    }
    let input = guest.read(args.input_ptr as u32, args.input_len as u32)?;
    forward(guest, args.gas, |host, gas| {
        host.call(CallRequest {
            kind,
            target,
            value,
            input,
            gas,
        })
    })
}

/// `(target_ptr, input_ptr, input_len, gas) -> status` for calls without value.
fn call_without_value(
    guest: &mut dyn Guest,
    args: &[u64],
    kind: CallKind,
) -> Result<Option<u64>, Exit> {
    let args = CallArgs {
        target_ptr: args[0],
        value_ptr: None,
        input_ptr: args[1],
        input_len: args[2],
        gas: args[3],
    };
    call_contract(guest, kind, args)
}

/// `call(target_ptr, value_ptr, input_ptr, input_len, gas) -> status`.
pub const CALL: HostFunction = HostFunction {
    module: MODULE,
    name: "call",
    params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I32, Ty::I64],
    results: &[Ty::I32],
    call: |guest, args| {
        let args = CallArgs {
            target_ptr: args[0],
            value_ptr: Some(args[1]),
            input_ptr: args[2],
            input_len: args[3],
            gas: args[4],
        };
        call_contract(guest, CallKind::Call, args)
    },
};

/// `static_call(target_ptr, input_ptr, input_len, gas) -> status`.
pub const STATIC_CALL: HostFunction = HostFunction {
    module: MODULE,
    name: "static_call",
    params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I64],
    results: &[Ty::I32],
    call: |guest, args| call_without_value(guest, args, CallKind::Static),
};

/// `delegate_call(target_ptr, input_ptr, input_len, gas) -> status`.
pub const DELEGATE_CALL: HostFunction = HostFunction {
    module: MODULE,
    name: "delegate_call",
    params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I64],
    results: &[Ty::I32],
    call: |guest, args| call_without_value(guest, args, CallKind::Delegate),
};

/// `create(code_ptr, code_len, value_ptr, gas, address_out_ptr) -> status`; the code's
/// compilation is charged per byte up front, whether or not it deploys.
pub const CREATE: HostFunction = HostFunction {
    module: MODULE,
    name: "create",
    params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I64, Ty::I32],
    results: &[Ty::I32],
    call: |guest, args| {
        super::forbid_in_static(guest)?;
        charge_call(guest, cost::CREATE, args[1])?;
        let code = guest.read(args[0] as u32, args[1] as u32)?;
        let value = word(guest, args[2])?;
        let mut created = None;
        let status = forward(guest, args[3], |host, gas| {
            let result = host.create(CreateRequest { code, value, gas });
            created = result.created;
            result
        })?;
        if let Some(address) = created {
            guest.write(args[4] as u32, &address)?;
        }
        Ok(status)
    },
};

/// `result_size() -> len` of the last call's return or revert data.
pub const RESULT_SIZE: HostFunction = HostFunction {
    module: MODULE,
    name: "result_size",
    params: &[],
    results: &[Ty::I32],
    call: |guest, _| {
        charge_call(guest, cost::INPUT_SIZE, 0)?;
        Ok(Some(guest.last_result().len() as u64))
    },
};

/// `result_copy(ptr, offset, len)`: copies part of the last call's return or revert data.
pub const RESULT_COPY: HostFunction = HostFunction {
    module: MODULE,
    name: "result_copy",
    params: &[Ty::I32, Ty::I32, Ty::I32],
    results: &[],
    call: |guest, args| {
        charge_call(guest, cost::INPUT_COPY, args[2])?;
        let part = super::part_of(guest.last_result(), args)?;
        guest.write(args[0] as u32, &part).map(|()| None)
    },
};

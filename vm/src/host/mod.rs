//! The host ABI contracts import (module `vnt_v1`), written once for both engines.
//!
//! Each [`HostFunction`] is a name, a signature of `i32`/`i64` values and a plain function
//! over a [`Guest`] — the engine's view of the running instance (its memory and gas). An
//! engine adapter only turns its native call into that shape, so both engines run the very
//! same host code and charge the very same gas. Every pointer and length from the guest is
//! bounds-checked by [`Guest::read`] / [`Guest::write`]. Ending a call early (return data,
//! revert, out of gas) travels as an [`Exit`] error through the engine back to [`crate::Vm`].

use crate::costs::HostCosts;
use wasmparser::ValType;

/// Versioned import module of the host ABI.
pub const MODULE: &str = "vnt_v1";

/// A value type in host signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
}

impl Ty {
    pub fn wasm(self) -> ValType {
        match self {
            Ty::I32 => ValType::I32,
            Ty::I64 => ValType::I64,
        }
    }
}

/// The call's surroundings: who calls, with what value, in which block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub caller: [u8; 20],
    pub origin: [u8; 20],
    pub address: [u8; 20],
    /// Value sent with the call, 32 bytes big-endian.
    pub value: [u8; 32],
    pub block_number: u64,
    pub timestamp: u64,
    pub chain_id: u64,
    /// How many calls deep this frame is; the outermost call is 0.
    pub depth: u32,
    /// Inside a static call no frame may change state (storage, logs, value, creation).
    pub is_static: bool,
}

impl Context {
    /// The context of a frame called from this one.
    pub fn child(&self, kind: CallKind, target: [u8; 20], value: [u8; 32]) -> Context {
        let (caller, address, value) = match kind {
            CallKind::Call => (self.address, target, value),
            CallKind::Static => (self.address, target, [0; 32]),
            // Delegated code runs as this frame: same account, same caller, same value.
            CallKind::Delegate => (self.caller, self.address, self.value),
        };
        Context {
            caller,
            address,
            value,
            depth: self.depth + 1,
            is_static: self.is_static || kind == CallKind::Static,
            ..self.clone()
        }
    }
}

/// What the contract's world looks like from inside the VM. The chain implements it over
/// its state; tests use [`crate::testing::MemoryHost`].
pub trait Host: Send + std::any::Any {
    fn context(&self) -> &Context;
    /// Balance of an account, 32 bytes big-endian.
    fn balance(&mut self, address: &[u8; 20]) -> [u8; 32];
    fn input(&self) -> &[u8];
    fn storage_read(&mut self, key: &[u8; 32]) -> [u8; 32];
    /// Writes a storage word and returns the value it replaced.
    fn storage_write(&mut self, key: [u8; 32], value: [u8; 32]) -> [u8; 32];
    fn log(&mut self, topics: Vec<[u8; 32]>, data: Vec<u8>);
    /// Runs another contract (or moves value to an account without code). The VM has
    /// already checked depth, static rules and charged the forwarded gas.
    fn call(&mut self, request: CallRequest) -> CallResult;
    /// Deploys `code` as a new contract; [`CallResult::created`] names it on success.
    fn create(&mut self, request: CreateRequest) -> CallResult;
}

pub use calls::{CALL_DEPTH_LIMIT, CallKind, CallRequest, CallResult, CallStatus, CreateRequest};

/// Why a call ended before its export returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Exit {
    #[error("returned")]
    Return(Vec<u8>),
    #[error("reverted")]
    Revert(Vec<u8>),
    #[error("out of gas")]
    OutOfGas,
    #[error("guest pointer out of bounds: {ptr}+{len}")]
    OutOfBounds { ptr: u32, len: u32 },
    #[error("too many log topics: {0}, at most 4")]
    TooManyTopics(u32),
    #[error("state change inside a static call")]
    StaticStateChange,
}

/// The engine's view of a running instance, as host functions need it.
pub trait Guest {
    /// Copies `len` bytes at `ptr` out of linear memory.
    fn read(&mut self, ptr: u32, len: u32) -> Result<Vec<u8>, Exit>;
    /// Copies `data` into linear memory at `ptr`.
    fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Exit>;
    fn gas_left(&mut self) -> u64;
    fn set_gas_left(&mut self, gas: u64);
    fn host(&mut self) -> &mut dyn Host;
    /// Output of the last call or creation this frame made (empty before the first).
    fn last_result(&mut self) -> &mut Vec<u8>;
}

/// Charges `amount` from the instance's gas, or ends the call out of gas.
pub fn charge(guest: &mut dyn Guest, amount: u64) -> Result<(), Exit> {
    let left = guest.gas_left();
    if amount > left {
        guest.set_gas_left(0);
        return Err(Exit::OutOfGas);
    }
    guest.set_gas_left(left - amount);
    Ok(())
}

/// The body of a host function: arguments in, at most one result out, or an early exit.
pub type HostCall = fn(&mut dyn Guest, &[u64]) -> Result<Option<u64>, Exit>;

/// A function of the host ABI.
pub struct HostFunction {
    pub module: &'static str,
    pub name: &'static str,
    pub params: &'static [Ty],
    pub results: &'static [Ty],
    pub call: HostCall,
}

fn word(guest: &mut dyn Guest, ptr: u64) -> Result<[u8; 32], Exit> {
    let bytes = guest.read(ptr as u32, 32)?;
    Ok(bytes.try_into().expect("read returns exactly 32 bytes"))
}

/// `source[offset..offset + len]` for `(ptr, offset, len)` arguments; a range outside
/// `source` ends the call like a bad pointer.
fn part_of(source: &[u8], args: &[u64]) -> Result<Vec<u8>, Exit> {
    let (offset, len) = (args[1] as usize, args[2] as usize);
    let end = offset.checked_add(len).filter(|end| *end <= source.len());
    match end {
        Some(end) => Ok(source[offset..end].to_vec()),
        None => Err(Exit::OutOfBounds {
            ptr: offset as u32,
            len: len as u32,
        }),
    }
}

/// Charges a host function's base cost plus its per-byte cost for `bytes`.
fn charge_call(guest: &mut dyn Guest, cost: HostCosts, bytes: u64) -> Result<(), Exit> {
    charge(
        guest,
        cost.base
            .saturating_add(cost.per_byte.saturating_mul(bytes)),
    )
}

use crate::costs::host as cost;
use crate::crypto;

mod calls;

/// Ends the call if this frame is inside a static call.
fn forbid_in_static(guest: &mut dyn Guest) -> Result<(), Exit> {
    if guest.host().context().is_static {
        return Err(Exit::StaticStateChange);
    }
    Ok(())
}

/// A host function writing a fixed-size piece of the [`Context`] to `ptr`.
macro_rules! context_bytes {
    ($name:literal, |$ctx:ident| $bytes:expr) => {
        HostFunction {
            module: MODULE,
            name: $name,
            params: &[Ty::I32],
            results: &[],
            call: |guest, args| {
                charge_call(guest, cost::CONTEXT, 0)?;
                let $ctx = guest.host().context().clone();
                guest.write(args[0] as u32, &$bytes)?;
                Ok(None)
            },
        }
    };
}

/// A host function returning a number from the [`Context`].
macro_rules! context_number {
    ($name:literal, |$ctx:ident| $number:expr) => {
        HostFunction {
            module: MODULE,
            name: $name,
            params: &[],
            results: &[Ty::I64],
            call: |guest, _| {
                charge_call(guest, cost::CONTEXT, 0)?;
                let $ctx = guest.host().context();
                Ok(Some($number))
            },
        }
    };
}

/// A hash host function: `(data_ptr, data_len, out_ptr)`, writing a 32-byte digest.
macro_rules! hash {
    ($name:literal, $cost:expr, $digest:path) => {
        HostFunction {
            module: MODULE,
            name: $name,
            params: &[Ty::I32, Ty::I32, Ty::I32],
            results: &[],
            call: |guest, args| {
                charge_call(guest, $cost, args[1])?;
                let data = guest.read(args[0] as u32, args[1] as u32)?;
                guest.write(args[2] as u32, &$digest(&data))?;
                Ok(None)
            },
        }
    };
}

/// Every function of `vnt_v1`.
pub const FUNCTIONS: &[HostFunction] = &[
    HostFunction {
        module: MODULE,
        name: "input_size",
        params: &[],
        results: &[Ty::I32],
        call: |guest, _| {
            charge_call(guest, cost::INPUT_SIZE, 0)?;
            Ok(Some(guest.host().input().len() as u64))
        },
    },
    HostFunction {
        module: MODULE,
        name: "input_copy",
        params: &[Ty::I32, Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            charge_call(guest, cost::INPUT_COPY, args[2])?;
            let part = part_of(guest.host().input(), args)?;
            guest.write(args[0] as u32, &part).map(|()| None)
        },
    },
    HostFunction {
        module: MODULE,
        name: "return_data",
        params: &[Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            charge_call(guest, cost::RETURN_DATA, args[1])?;
            let data = guest.read(args[0] as u32, args[1] as u32)?;
            Err(Exit::Return(data))
        },
    },
    HostFunction {
        module: MODULE,
        name: "revert",
        params: &[Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            charge_call(guest, cost::RETURN_DATA, args[1])?;
            let data = guest.read(args[0] as u32, args[1] as u32)?;
            Err(Exit::Revert(data))
        },
    },
    HostFunction {
        module: MODULE,
        name: "storage_read",
        params: &[Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            charge_call(guest, cost::STORAGE_READ, 0)?;
            let key = word(guest, args[0])?;
            let value = guest.host().storage_read(&key);
            guest.write(args[1] as u32, &value)?;
            Ok(None)
        },
    },
    HostFunction {
        module: MODULE,
        name: "storage_write",
        params: &[Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            forbid_in_static(guest)?;
            charge_call(guest, cost::STORAGE_WRITE, 0)?;
            let key = word(guest, args[0])?;
            let value = word(guest, args[1])?;
            let previous = guest.host().storage_write(key, value);
            // A new slot grows the state every node keeps forever; it pays for that here.
            if previous == [0; 32] && value != [0; 32] {
                charge_call(guest, cost::STORAGE_NEW_SLOT, 0)?;
            }
            Ok(None)
        },
    },
    HostFunction {
        module: MODULE,
        name: "log",
        params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            let (topics_ptr, topic_count, data_ptr, data_len) = (
                args[0] as u32,
                args[1] as u32,
                args[2] as u32,
                args[3] as u32,
            );
            forbid_in_static(guest)?;
            if topic_count > 4 {
                return Err(Exit::TooManyTopics(topic_count));
            }
            charge_call(guest, cost::LOG, data_len as u64 + 32 * topic_count as u64)?;
            let topics = guest
                .read(topics_ptr, topic_count * 32)?
                .chunks(32)
                .map(|c| c.try_into().expect("32-byte chunks"))
                .collect();
            let data = guest.read(data_ptr, data_len)?;
            guest.host().log(topics, data);
            Ok(None)
        },
    },
    context_bytes!("caller", |ctx| ctx.caller),
    context_bytes!("origin", |ctx| ctx.origin),
    context_bytes!("address", |ctx| ctx.address),
    context_bytes!("call_value", |ctx| ctx.value),
    context_number!("block_number", |ctx| ctx.block_number),
    context_number!("timestamp", |ctx| ctx.timestamp),
    context_number!("chain_id", |ctx| ctx.chain_id),
    HostFunction {
        module: MODULE,
        name: "balance",
        params: &[Ty::I32, Ty::I32],
        results: &[],
        call: |guest, args| {
            charge_call(guest, cost::BALANCE, 0)?;
            let address: [u8; 20] = guest
                .read(args[0] as u32, 20)?
                .try_into()
                .expect("read returns exactly 20 bytes");
            let balance = guest.host().balance(&address);
            guest.write(args[1] as u32, &balance)?;
            Ok(None)
        },
    },
    hash!("keccak256", cost::KECCAK256, crypto::keccak256),
    hash!("sha256", cost::SHA256, crypto::sha256),
    hash!("blake2b_256", cost::BLAKE2B, crypto::blake2b_256),
    HostFunction {
        module: MODULE,
        name: "ecrecover",
        params: &[Ty::I32, Ty::I32, Ty::I32],
        results: &[Ty::I32],
        call: |guest, args| {
            charge_call(guest, cost::ECRECOVER, 0)?;
            let hash = word(guest, args[0])?;
            let signature: [u8; 65] = guest
                .read(args[1] as u32, 65)?
                .try_into()
                .expect("read returns exactly 65 bytes");
            match crypto::ecrecover(&hash, &signature) {
                Some(address) => {
                    guest.write(args[2] as u32, &address)?;
                    Ok(Some(1))
                }
                None => Ok(Some(0)),
            }
        },
    },
    HostFunction {
        module: MODULE,
        name: "ed25519_verify",
        params: &[Ty::I32, Ty::I32, Ty::I32, Ty::I32],
        results: &[Ty::I32],
        call: |guest, args| {
            charge_call(guest, cost::ED25519_VERIFY, args[1])?;
            let message = guest.read(args[0] as u32, args[1] as u32)?;
            let signature: [u8; 64] = guest
                .read(args[2] as u32, 64)?
                .try_into()
                .expect("read returns exactly 64 bytes");
            let key = word(guest, args[3])?;
            Ok(Some(
                crypto::ed25519_verify(&message, &signature, &key) as u64
            ))
        },
    },
    HostFunction {
        module: MODULE,
        name: "gas_left",
        params: &[],
        results: &[Ty::I64],
        call: |guest, _| {
            charge_call(guest, cost::GAS_LEFT, 0)?;
            Ok(Some(guest.gas_left()))
        },
    },
    calls::CALL,
    calls::STATIC_CALL,
    calls::DELEGATE_CALL,
    calls::CREATE,
    calls::RESULT_SIZE,
    calls::RESULT_COPY,
];

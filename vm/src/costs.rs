//! Gas costs: one table for instructions, one for host functions.
//!
//! One unit of VM gas is about a tenth of a nanosecond of execution on the reference machine
//! (the time of one simple instruction). Every cost below was set from the calibration
//! benchmark (`cargo bench -p vnt-vm --bench calibration`), which measures nanoseconds per
//! gas for each instruction class and compute-bound host function; `docs/performance.md`
//! lists the band. Storage, logs, balance, calls and creation are priced for the ledger's
//! persistent state rather than measured on the in-memory test host. The table's
//! [`CostTable::fingerprint`] is part of every compiled-module cache key, so changing a cost
//! can never reuse code instrumented with the old one.

use wasmparser::Operator;

/// Cost of a host function: a base plus a per-byte part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostCosts {
    pub base: u64,
    pub per_byte: u64,
}

/// Host function costs.
pub mod host {
    use super::HostCosts;

    pub const INPUT_SIZE: HostCosts = HostCosts {
        base: 800,
        per_byte: 0,
    };
    pub const INPUT_COPY: HostCosts = HostCosts {
        base: 1_000,
        per_byte: 1,
    };
    pub const RETURN_DATA: HostCosts = HostCosts {
        base: 1_000,
        per_byte: 1,
    };
    // Ledger resources are priced as Ethereum prices them (at `VM gas per Ethereum gas` =
    // 100, see docs/vm.md), not by CPU time: what they cost is state every node keeps.
    /// A storage read (Ethereum: 2,100 cold, 100 warm; state here lives in memory).
    pub const STORAGE_READ: HostCosts = HostCosts {
        base: 50_000,
        per_byte: 0,
    };
    /// A storage write to an existing slot (Ethereum: 2,900 for a dirty warm slot).
    pub const STORAGE_WRITE: HostCosts = HostCosts {
        base: 250_000,
        per_byte: 0,
    };
    /// Added when a write makes a zero slot non-zero (Ethereum: 20,000).
    pub const STORAGE_NEW_SLOT: HostCosts = HostCosts {
        base: 2_000_000,
        per_byte: 0,
    };
    /// A log, per byte of data and topics (Ethereum: 375 + 375 per topic + 8 per byte).
    pub const LOG: HostCosts = HostCosts {
        base: 37_500,
        per_byte: 800,
    };
    pub const GAS_LEFT: HostCosts = HostCosts {
        base: 800,
        per_byte: 0,
    };
    pub const CONTEXT: HostCosts = HostCosts {
        base: 800,
        per_byte: 0,
    };
    pub const BALANCE: HostCosts = HostCosts {
        base: 50_000,
        per_byte: 0,
    };
    pub const KECCAK256: HostCosts = HostCosts {
        base: 5_000,
        per_byte: 26,
    };
    pub const SHA256: HostCosts = HostCosts {
        base: 1_400,
        per_byte: 6,
    };
    pub const BLAKE2B: HostCosts = HostCosts {
        base: 2_500,
        per_byte: 10,
    };
    /// A call to another contract, per byte of input; the callee's own gas is forwarded.
    pub const CALL: HostCosts = HostCosts {
        base: 30_000,
        per_byte: 1,
    };
    /// Creating a contract, per byte of code: profile check, instrumentation and compilation
    /// all grow linearly with the module, and all of it happens before the constructor runs.
    pub const CREATE: HostCosts = HostCosts {
        base: 300_000,
        per_byte: 16_000,
    };
    pub const ECRECOVER: HostCosts = HostCosts {
        base: 1_900_000,
        per_byte: 0,
    };
    pub const ED25519_VERIFY: HostCosts = HostCosts {
        base: 420_000,
        per_byte: 10,
    };
}

/// Costs of instructions, by class, and of the dynamic parts of instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CostTable {
    /// Constants, locals, globals, simple arithmetic and comparisons, `drop`, `select`.
    pub simple: u64,
    /// Multiplication.
    pub multiply: u64,
    /// Division and remainder.
    pub divide: u64,
    /// Loads and stores.
    pub memory: u64,
    /// Branches and block structure.
    pub control: u64,
    /// A direct call.
    pub call: u64,
    /// An indirect call (table lookup and signature check).
    pub call_indirect: u64,
    /// Per 4-byte word copied or filled by bulk memory instructions (rounded up).
    pub bulk_per_word: u64,
    /// Per table element copied, filled or grown.
    pub table_per_element: u64,
    /// Per 64 KiB page `memory.grow` adds (zeroing it costs real time).
    pub grow_per_page: u64,
}

impl Default for CostTable {
    fn default() -> Self {
        Self {
            simple: 1,
            multiply: 6,
            divide: 24,
            memory: 3,
            control: 4,
            call: 20,
            call_indirect: 30,
            bulk_per_word: 1,
            table_per_element: 4,
            grow_per_page: 15_000,
        }
    }
}

impl CostTable {
    /// The static cost of one instruction (dynamic parts are charged separately).
    pub fn of(&self, op: &Operator) -> u64 {
        use Operator::*;
        match op {
            Call { .. } => self.call,
            CallIndirect { .. } => self.call_indirect,
            Block { .. }
            | Loop { .. }
            | If { .. }
            | Else
            | End
            | Br { .. }
            | BrIf { .. }
            | BrTable { .. }
            | Return
            | Unreachable
            | Nop => self.control,
            I32Mul | I64Mul => self.multiply,
            I32DivS | I32DivU | I32RemS | I32RemU | I64DivS | I64DivU | I64RemS | I64RemU => {
                self.divide
            }
            I32Load { .. }
            | I64Load { .. }
            | I32Load8S { .. }
            | I32Load8U { .. }
            | I32Load16S { .. }
            | I32Load16U { .. }
            | I64Load8S { .. }
            | I64Load8U { .. }
            | I64Load16S { .. }
            | I64Load16U { .. }
            | I64Load32S { .. }
            | I64Load32U { .. }
            | I32Store { .. }
            | I64Store { .. }
            | I32Store8 { .. }
            | I32Store16 { .. }
            | I64Store8 { .. }
            | I64Store16 { .. }
            | I64Store32 { .. }
            | MemorySize { .. }
            | MemoryGrow { .. }
            | MemoryCopy { .. }
            | MemoryFill { .. }
            | MemoryInit { .. }
            | DataDrop { .. }
            | TableGet { .. }
            | TableSet { .. }
            | TableSize { .. }
            | TableGrow { .. }
            | TableFill { .. }
            | TableCopy { .. }
            | TableInit { .. }
            | ElemDrop { .. } => self.memory,
            _ => self.simple,
        }
    }

    /// A stable digest of the table, for compiled-code cache keys.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = Fnv::default();
        std::hash::Hash::hash(self, &mut hasher);
        std::hash::Hasher::finish(&hasher)
    }
}

/// FNV-1a: a tiny hasher whose output does not change between Rust releases, unlike the
/// standard library's, so fingerprints stay comparable across builds.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= *byte as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

//! What the pool charges, in Ethereum gas.
//!
//! Two prices are the pool's own, set from measured native cost at the rate the WASM VM is
//! priced at (one gas per ~10 ns, about what Ethereum clients sustain) and checked against
//! what Ethereum charges for the same work in precompiles; `docs/zk.md` gives the
//! measurements. Everything else the pool does is priced as the EVM prices it, by the shared
//! system-contract frame ([`crate::system::gas`]).

/// Any call to the pool, before it reads anything: a precompile-style base fee.
pub const CALL_BASE: u64 = 2_000;

/// Checking one spend proof: decoding its three points with their subgroup checks (0.30 ms
/// measured) and the Groth16 verification with eleven public inputs (2.45 ms), about 2.75 ms
/// of one core, i.e. 275,000 gas at 10 ns a gas, rounded up. Ethereum prices the same check
/// on BN254 at about 242,500 gas (EIP-1108: a four-pair pairing at 45,000 + 4 × 34,000 and
/// ten scalar multiplications and additions for the inputs). Charged whether or not the
/// block checked the proof in a batch, so a transaction's gas does not depend on its
/// neighbours.
pub const VERIFY: u64 = 300_000;

/// One Poseidon node hash of the note tree: 33.4 µs measured, 3,340 gas, rounded up.
pub const TREE_HASH: u64 = 3_400;

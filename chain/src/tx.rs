//! Decoding and stateless checks of incoming transactions.
//!
//! The first step of a transaction's life: raw bytes from `eth_sendRawTransaction` (or a
//! peer) become a [`VerifiedTx`] — decoded, signature recovered, chain id, size, type, gas
//! and fee fields checked — or a [`TxError`] worded as geth words it, so Ethereum tools and
//! their users recognise it. Checks that need state (nonce, balance, vesting) live in
//! [`crate::pool`] and [`crate::execution`].

use crate::config::ChainConfig;
use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::Decodable2718;
use alloy_primitives::{Address, B256, TxKind, U256};
use revm::context::TxEnv;
use revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx;
use revm::primitives::hardfork::SpecId;

/// The EVM rule set every chain kind runs.
pub const SPEC: SpecId = SpecId::CANCUN;
/// EIP-3860 limit on init code.
pub const MAX_INITCODE_SIZE: usize = 2 * 24_576;

/// A decoded transaction whose signature and static fields have been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    pub envelope: TxEnvelope,
    pub sender: Address,
    pub hash: B256,
    pub encoded_len: usize,
}

/// Why a transaction is refused. Messages follow geth's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("rlp: {0}")]
    Malformed(String),
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized { size: usize, limit: usize },
    #[error("transaction type not supported")]
    TypeNotSupported,
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    NotReplayProtected,
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId { have: u64, want: u64 },
    #[error("invalid sender: {0}")]
    InvalidSignature(String),
    #[error("exceeds block gas limit: gas {gas} limit {limit}")]
    GasLimitExceedsBlock { gas: u64, limit: u64 },
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow { gas: u64, needed: u64 },
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    InitCodeTooLarge { size: usize, limit: usize },
    /// WASM init code whose module the VM would refuse; the message names the VM's rule.
    #[error("invalid WASM contract: {0}")]
    InvalidContract(String),
    #[error("nonce too low: next nonce {expected}, tx nonce {got}")]
    NonceTooLow { expected: u64, got: u64 },
    #[error(
        "nonce too high: account nonce {expected}, tx nonce {got}, the pool holds at most {gap} ahead of it"
    )]
    NonceTooHigh { expected: u64, got: u64, gap: u64 },
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        address: Address,
        have: U256,
        want: U256,
    },
    #[error(
        "insufficient vested funds: address {address} has {locked} wei locked until its vesting releases it, can spend {spendable} wei, transaction needs {want} wei"
    )]
    VestingLocked {
        address: Address,
        locked: U256,
        spendable: U256,
        want: U256,
    },
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {fee_cap}, baseFee: {base_fee}"
    )]
    FeeCapBelowBaseFee { fee_cap: u128, base_fee: u64 },
    #[error("already known")]
    AlreadyKnown,
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    #[error("txpool is full")]
    PoolFull,
    #[error("{0}")]
    Rejected(String),
}

/// Decodes raw bytes in the EIP-2718 envelope and runs every check that needs no state.
pub fn verify_raw(raw: &[u8], config: &ChainConfig) -> Result<VerifiedTx, TxError> {
    if raw.len() > config.max_tx_size {
        return Err(TxError::Oversized {
            size: raw.len(),
            limit: config.max_tx_size,
        });
    }
    let envelope =
        TxEnvelope::decode_2718_exact(raw).map_err(|e| TxError::Malformed(e.to_string()))?;
    verify(envelope, raw.len(), config)
}

/// Stateless checks of a decoded transaction.
pub fn verify(
    envelope: TxEnvelope,
    encoded_len: usize,
    config: &ChainConfig,
) -> Result<VerifiedTx, TxError> {
    match &envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
        _ => return Err(TxError::TypeNotSupported),
    }
    match envelope.chain_id() {
        None => return Err(TxError::NotReplayProtected),
        Some(have) if have != config.chain_id => {
            return Err(TxError::WrongChainId {
                have,
                want: config.chain_id,
            });
        }
        Some(_) => {}
    }
    if envelope.gas_limit() > config.block_gas_limit {
        return Err(TxError::GasLimitExceedsBlock {
            gas: envelope.gas_limit(),
            limit: config.block_gas_limit,
        });
    }
    if let Some(tip) = envelope.max_priority_fee_per_gas()
        && tip > envelope.max_fee_per_gas()
    {
        return Err(TxError::TipAboveFeeCap);
    }
    if envelope.kind().is_create() && envelope.input().len() > MAX_INITCODE_SIZE {
        return Err(TxError::InitCodeTooLarge {
            size: envelope.input().len(),
            limit: MAX_INITCODE_SIZE,
        });
    }
    let sender = envelope
        .recover_signer()
        .map_err(|e| TxError::InvalidSignature(e.to_string()))?;
    let needed = intrinsic_gas(&envelope, sender);
    if envelope.gas_limit() < needed {
        return Err(TxError::IntrinsicGasTooLow {
            gas: envelope.gas_limit(),
            needed,
        });
    }
    // Last: checking a module is the dearest check, so only signed, paid-for creations get it.
    if envelope.kind().is_create() {
        crate::execution::wasm::check_init_code(envelope.input())
            .map_err(|e| TxError::InvalidContract(e.to_string()))?;
    }
    Ok(VerifiedTx {
        hash: *envelope.tx_hash(),
        envelope,
        sender,
        encoded_len,
    })
}

/// Gas a transaction costs before its first instruction runs.
pub fn intrinsic_gas(envelope: &TxEnvelope, sender: Address) -> u64 {
    let gas = calculate_initial_tx_gas_for_tx(tx_env(envelope, sender), SPEC, None);
    (gas.initial_regular_gas + gas.initial_state_gas).max(gas.floor_gas)
}

/// Most a transaction can take from its sender: `gas_limit * max_fee + value`.
pub fn max_cost(envelope: &TxEnvelope) -> U256 {
    U256::from(envelope.gas_limit()) * U256::from(envelope.max_fee_per_gas()) + envelope.value()
}

/// The revm view of a transaction.
pub fn tx_env(envelope: &TxEnvelope, sender: Address) -> TxEnv {
    TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: sender,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        // Blob transactions reach execution only from Ethereum's state tests; the pool
        // refuses them (see `verify`).
        blob_hashes: envelope
            .blob_versioned_hashes()
            .map(<[B256]>::to_vec)
            .unwrap_or_default(),
        max_fee_per_blob_gas: envelope.max_fee_per_blob_gas().unwrap_or_default(),
        ..Default::default()
    }
}

/// The recipient, or `None` for a contract creation.
pub fn recipient(envelope: &TxEnvelope) -> Option<Address> {
    match envelope.kind() {
        TxKind::Call(to) => Some(to),
        TxKind::Create => None,
    }
}

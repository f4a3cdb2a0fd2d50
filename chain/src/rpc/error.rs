//! JSON-RPC error objects, with the codes and wording Ethereum tools expect.

use crate::chain::ChainError;
use crate::tx::TxError;
use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;

/// geth's code for most server-side failures.
pub const SERVER_ERROR: i32 = -32000;
/// JSON-RPC: invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// EIP-1474 / geth: execution reverted, with the revert data in `data`.
pub const EXECUTION_REVERTED: i32 = 3;

pub type RpcResult<T> = Result<T, ErrorObjectOwned>;

pub fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR, message.into(), None::<()>)
}

pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

pub fn tx_error(error: TxError) -> ErrorObjectOwned {
    server_error(error.to_string())
}

pub fn chain_error(error: ChainError) -> ErrorObjectOwned {
    tracing::error!(%error, "chain read failed while answering RPC");
    ErrorObjectOwned::owned(-32603, format!("internal error: {error}"), None::<()>)
}

/// `execution reverted`, with the reason decoded when it is a Solidity `Error(string)`.
pub fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let message = match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(output.to_string()))
}

/// Decodes `Error(string)` revert data (selector `0x08c379a0`).
pub fn decode_revert_reason(output: &[u8]) -> Option<String> {
    let body = output.strip_prefix(&[0x08, 0xc3, 0x79, 0xa0])?;
    let word = |at: usize| -> Option<usize> {
        let bytes = body.get(at..at + 32)?;
        if bytes[..24].iter().any(|b| *b != 0) {
            return None;
        }
        Some(u64::from_be_bytes(bytes[24..].try_into().ok()?) as usize)
    };
    let offset = word(0)?;
    let len = word(offset)?;
    let start = offset.checked_add(32)?;
    let text = body.get(start..start.checked_add(len)?)?;
    String::from_utf8(text.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_string(reason: &str) -> Vec<u8> {
        let mut out = vec![0x08, 0xc3, 0x79, 0xa0];
        let mut word = [0u8; 32];
        word[31] = 32;
        out.extend_from_slice(&word);
        word[31] = reason.len() as u8;
        out.extend_from_slice(&word);
        let mut text = reason.as_bytes().to_vec();
        text.resize(reason.len().div_ceil(32) * 32, 0);
        out.extend_from_slice(&text);
        out
    }

    #[test]
    fn solidity_error_strings_are_decoded() {
        let data = error_string("balance too low");
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("balance too low")
        );
        let error = reverted(&Bytes::from(data));
        assert_eq!(error.code(), EXECUTION_REVERTED);
        assert_eq!(error.message(), "execution reverted: balance too low");
    }

    #[test]
    fn truncated_or_foreign_revert_data_is_left_undecoded() {
        let data = error_string("x");
        assert_eq!(decode_revert_reason(&data[..40]), None);
        assert_eq!(decode_revert_reason(&[0xde, 0xad]), None);
        assert_eq!(reverted(&Bytes::new()).message(), "execution reverted");
    }
}

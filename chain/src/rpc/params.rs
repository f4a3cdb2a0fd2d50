//! Positional JSON-RPC parameters into typed tuples, with Ethereum's optional trailing ones.

use super::error::{RpcResult, invalid_params};
use jsonrpsee::types::Params;

/// Parses positional parameters into a tuple of `arity` elements; trailing optional ones
/// may be left out, as Ethereum clients do with the block parameter.
pub fn parse<T: serde::de::DeserializeOwned>(
    params: &Params,
    arity: usize,
    what: &str,
) -> RpcResult<T> {
    let mut values: Vec<serde_json::Value> = match params.as_str() {
        None => Vec::new(),
        Some(_) => params
            .parse()
            .map_err(|e| invalid_params(format!("parameters must be an array: {}", e.message())))?,
    };
    if values.len() > arity {
        return Err(invalid_params(format!(
            "too many parameters: got {}, expected at most {arity}",
            values.len()
        )));
    }
    values.resize(arity, serde_json::Value::Null);
    serde_json::from_value(serde_json::Value::Array(values))
        .map_err(|e| invalid_params(format!("invalid {what}: {e}")))
}

/// Parameters of a method that takes none.
pub type Empty = [u8; 0];

/// Number of positional parameters a parameter tuple takes.
pub trait Arity {
    const ARITY: usize;
}
impl Arity for [u8; 0] {
    const ARITY: usize = 0;
}
impl<A> Arity for (A,) {
    const ARITY: usize = 1;
}
impl<A, B> Arity for (A, B) {
    const ARITY: usize = 2;
}
impl<A, B, C> Arity for (A, B, C) {
    const ARITY: usize = 3;
}

pub const fn arity<T: Arity>() -> usize {
    T::ARITY
}

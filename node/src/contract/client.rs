//! The JSON-RPC side of `vnt contract`: deploy, call and send, signing locally.

use super::ChainArgs;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

/// How long `deploy` and `send` wait for the transaction's receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// A function as `cast` writes it: `name(inputs)` with optional `(outputs)` after.
struct Signature {
    selector: [u8; 4],
    inputs: Vec<DynSolType>,
    outputs: Option<DynSolType>,
}

fn parse_signature(text: &str) -> Result<Signature, Error> {
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or_else(|| format!("`{text}` is not a function like `transfer(address,uint256)`"))?;
    let name = &text[..open];
    let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Err(format!("`{name}` is not a function name (in `{text}`)").into());
    }
    let close =
        matching_paren(text, open).ok_or_else(|| format!("unbalanced parentheses in `{text}`"))?;
    let inputs = parse_tuple(&text[open..=close])?;
    let rest = text[close + 1..].trim();
    let outputs = if rest.is_empty() {
        None
    } else {
        Some(DynSolType::Tuple(parse_tuple(rest)?))
    };
    // Not `DynSolType::Tuple(..).sol_type_name()`: it writes a one-element tuple `(T,)`.
    let canonical: Vec<String> = inputs
        .iter()
        .map(|t| t.sol_type_name().into_owned())
        .collect();
    let hash = keccak256(format!("{name}({})", canonical.join(",")));
    Ok(Signature {
        selector: hash[..4].try_into().expect("four bytes"),
        inputs,
        outputs,
    })
}

/// The byte index of the `)` closing the `(` at byte `open`.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Types of a parenthesised list such as `(string,uint256)`.
fn parse_tuple(text: &str) -> Result<Vec<DynSolType>, Error> {
    match DynSolType::parse(text).map_err(|e| format!("`{text}`: {e}"))? {
        DynSolType::Tuple(types) => Ok(types),
        single => Ok(vec![single]),
    }
}

/// ABI-encodes `args` as values of `types`.
fn encode_args(types: &[DynSolType], args: &[String]) -> Result<Vec<u8>, Error> {
    if types.len() != args.len() {
        return Err(format!(
            "{} arguments given, the function takes {}",
            args.len(),
            types.len()
        )
        .into());
    }
    let values = types
        .iter()
        .zip(args)
        .map(|(ty, arg)| {
            ty.coerce_str(arg)
                .map_err(|e| format!("argument `{arg}` is not a {}: {e}", ty.sol_type_name()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DynSolValue::Tuple(values).abi_encode_params())
}

fn calldata(signature: &Signature, args: &[String]) -> Result<Bytes, Error> {
    let mut data = signature.selector.to_vec();
    data.extend(encode_args(&signature.inputs, args)?);
    Ok(data.into())
}

/// A value as a person reads it: numbers in decimal, addresses checksummed.
fn show(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Uint(n, _) => n.to_string(),
        DynSolValue::Int(n, _) => n.to_string(),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::String(s) => s.clone(),
        DynSolValue::Bytes(b) => Bytes::copy_from_slice(b).to_string(),
        DynSolValue::FixedBytes(word, size) => Bytes::copy_from_slice(&word[..*size]).to_string(),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn parse_address(text: &str) -> Result<Address, Error> {
    text.parse()
        .map_err(|e| format!("`{text}` is not an address: {e}").into())
}

fn client(chain: &ChainArgs) -> Result<HttpClient, Error> {
    http_client(&chain.rpc_url)
}

/// A JSON-RPC client of the node at `url`.
pub(crate) fn http_client(url: &str) -> Result<HttpClient, Error> {
    Ok(HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)?)
}

/// A signer from a hex private key.
pub(crate) fn parse_private_key(key: &str) -> Result<PrivateKeySigner, Error> {
    key.trim()
        .parse()
        .map_err(|e| format!("the private key is not a 32-byte hex key: {e}").into())
}

fn signer(chain: &ChainArgs) -> Result<PrivateKeySigner, Error> {
    match &chain.private_key {
        Some(key) => parse_private_key(key),
        None => {
            let signer = vnt_chain::genesis::dev_signers().swap_remove(0);
            eprintln!(
                "Signing as {} (the first dev account; pass --private-key for another)",
                signer.address()
            );
            Ok(signer)
        }
    }
}

pub(crate) fn quantity(value: &Value) -> Result<u128, Error> {
    let text = value
        .as_str()
        .ok_or("the node answered a non-string quantity")?;
    Ok(u128::from_str_radix(text.trim_start_matches("0x"), 16)?)
}

/// Signs a transaction to `to` (or a creation) carrying `input`, sends it and waits for
/// its receipt; a transaction that fails is an error.
async fn submit(chain: &ChainArgs, to: TxKind, input: Bytes) -> Result<Value, Error> {
    let rpc = client(chain)?;
    let hash = send_transaction(&rpc, &signer(chain)?, to, U256::ZERO, input, 0).await?;
    let receipt = wait_for_receipt(&rpc, hash).await?;
    let block = quantity(&receipt["blockNumber"])?;
    let used = quantity(&receipt["gasUsed"])?;
    println!("Transaction: {hash} (block {block}, gas used {used})");
    Ok(receipt)
}

/// Signs a transaction from `signer` to `to` (or a creation) carrying `value` wei and
/// `input`, with the gas the node estimates (raised by `gas_headroom_percent` for calls whose
/// cost depends on state that may change before inclusion), and sends it; returns its hash. A call the
/// node expects to revert fails here, at the estimate, with the node's revert reason.
pub(crate) async fn send_transaction(
    rpc: &HttpClient,
    signer: &PrivateKeySigner,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_headroom_percent: u64,
) -> Result<B256, Error> {
    let from = signer.address();
    let request = match to {
        TxKind::Call(to) => json!({"from": from, "to": to, "value": value, "data": input}),
        TxKind::Create => json!({"from": from, "value": value, "data": input}),
    };
    let chain_id = quantity(&rpc.request("eth_chainId", rpc_params![]).await?)? as u64;
    let nonce = quantity(
        &rpc.request("eth_getTransactionCount", rpc_params![from, "pending"])
            .await?,
    )? as u64;
    let estimate = quantity(&rpc.request("eth_estimateGas", rpc_params![request]).await?)? as u64;
    let tip = quantity(
        &rpc.request("eth_maxPriorityFeePerGas", rpc_params![])
            .await?,
    )?;
    let head: Value = rpc
        .request("eth_getBlockByNumber", rpc_params!["latest", false])
        .await?;
    let base_fee = quantity(&head["baseFeePerGas"])?;
    // The headroom never asks for more than a block holds, which the node would refuse.
    let block_gas_limit = quantity(&head["gasLimit"])? as u64;
    let gas = estimate
        .saturating_add(estimate / 100 * gas_headroom_percent)
        .min(block_gas_limit.max(estimate));
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        // Room for the base fee to double before the transaction is included.
        max_fee_per_gas: 2 * base_fee + tip,
        max_priority_fee_per_gas: tip,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let raw = sign_eip1559(signer, tx)?;
    Ok(rpc
        .request("eth_sendRawTransaction", rpc_params![raw])
        .await?)
}

/// `tx` signed by `signer`, in the bytes `eth_sendRawTransaction` takes.
pub(crate) fn sign_eip1559(signer: &PrivateKeySigner, tx: TxEip1559) -> Result<Bytes, Error> {
    let signature = signer.sign_hash_sync(&tx.signature_hash())?;
    Ok(TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into())
}

/// Waits for the receipt of `hash`; a transaction that failed is an error.
pub(crate) async fn wait_for_receipt(rpc: &HttpClient, hash: B256) -> Result<Value, Error> {
    let deadline = Instant::now() + RECEIPT_TIMEOUT;
    let receipt = loop {
        let receipt: Value = rpc
            .request("eth_getTransactionReceipt", rpc_params![hash])
            .await?;
        if !receipt.is_null() {
            break receipt;
        }
        if Instant::now() > deadline {
            return Err(
                format!("transaction {hash} not included within {RECEIPT_TIMEOUT:?}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let block = quantity(&receipt["blockNumber"])?;
    let used = quantity(&receipt["gasUsed"])?;
    if receipt["status"] != "0x1" {
        return Err(format!("transaction {hash} failed in block {block} (gas used {used})").into());
    }
    Ok(receipt)
}

/// `vnt contract deploy`.
pub async fn deploy(
    chain: &ChainArgs,
    wasm: &Path,
    constructor: Option<&str>,
    args: &[String],
) -> Result<(), Error> {
    let mut init = std::fs::read(wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?;
    match constructor {
        Some(constructor) => {
            let params = constructor.trim().trim_start_matches("constructor");
            init.extend(encode_args(&parse_tuple(params)?, args)?);
        }
        None if !args.is_empty() => {
            return Err("constructor arguments need their types: pass --constructor 'constructor(string,uint256)'".into());
        }
        None => {}
    }
    let receipt = submit(chain, TxKind::Create, init.into()).await?;
    let address: Address = serde_json::from_value(receipt["contractAddress"].clone())?;
    println!("Contract: {address}");
    Ok(())
}

/// `vnt contract call`.
pub async fn call(
    chain: &ChainArgs,
    address: &str,
    function: &str,
    args: &[String],
) -> Result<(), Error> {
    let signature = parse_signature(function)?;
    let mut request = json!({
        "to": parse_address(address)?,
        "data": calldata(&signature, args)?,
    });
    // A call signs nothing; it comes from the key's account only when one is given.
    if chain.private_key.is_some() {
        request["from"] = json!(signer(chain)?.address());
    }
    let output: Bytes = client(chain)?
        .request("eth_call", rpc_params![request, "latest"])
        .await?;
    match &signature.outputs {
        None => println!("{output}"),
        Some(types) => {
            let decoded = types.abi_decode_params(&output).map_err(|e| {
                format!(
                    "the contract returned {output}, not {}: {e}",
                    types.sol_type_name()
                )
            })?;
            let DynSolValue::Tuple(values) = decoded else {
                unreachable!("outputs are parsed as a tuple")
            };
            for value in &values {
                println!("{}", show(value));
            }
        }
    }
    Ok(())
}

/// `vnt contract send`.
pub async fn send(
    chain: &ChainArgs,
    address: &str,
    function: &str,
    args: &[String],
) -> Result<(), Error> {
    let signature = parse_signature(function)?;
    let to = TxKind::Call(parse_address(address)?);
    let receipt = submit(chain, to, calldata(&signature, args)?).await?;
    let logs = receipt["logs"].as_array().map_or(0, Vec::len);
    println!("Logs: {logs}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_give_solidity_selectors_and_encodings() {
        let transfer = parse_signature("transfer(address, uint256)").unwrap();
        assert_eq!(transfer.selector, [0xa9, 0x05, 0x9c, 0xbb]);
        assert!(transfer.outputs.is_none());
        let balance = parse_signature("balanceOf(address)(uint256)").unwrap();
        assert_eq!(balance.selector, [0x70, 0xa0, 0x82, 0x31]);
        assert_eq!(balance.outputs.unwrap().sol_type_name(), "(uint256,)");
        let get = parse_signature("get()").unwrap();
        assert_eq!(get.selector, [0x6d, 0x4c, 0xe6, 0x3c]);
        let data = calldata(
            &transfer,
            &[
                "0x00000000000000000000000000000000000000aa".into(),
                "5".into(),
            ],
        )
        .unwrap();
        assert_eq!(data.len(), 4 + 64);
        assert_eq!(data[4 + 31], 0xaa);
        assert_eq!(data[4 + 63], 5);
        assert!(calldata(&transfer, &["5".into()]).is_err(), "wrong arity");
        assert!(parse_signature("transfer(address").is_err());
        assert!(parse_signature("nothing").is_err());
        assert!(
            parse_signature("balanceOf (address)").is_err(),
            "a space in the name"
        );
        assert!(parse_signature("é)(").is_err(), "a non-ASCII name");
        assert!(parse_signature("f())(").is_err(), "unbalanced outputs");
    }
}

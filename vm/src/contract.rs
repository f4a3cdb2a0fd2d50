//! What makes a module a contract, and how a deployment's init code is laid out.
//!
//! A contract exports `call`, run for every message call, and may export `deploy`, its
//! constructor, run once at creation; both are `() -> ()` functions that read their input
//! through the host. Deployment init code is the module followed by the ABI-encoded
//! constructor arguments, the way Solidity tools append arguments to EVM init code, so
//! ethers' or viem's contract factories deploy a WebAssembly contract unchanged.

use crate::profile::Rule;
use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef};

/// The export every message call runs.
pub const CALL_EXPORT: &str = "call";
/// The optional constructor export, run once when the contract is created.
pub const DEPLOY_EXPORT: &str = "deploy";
/// The first bytes of every WebAssembly module; init code starting with them deploys WASM.
pub const WASM_MAGIC: [u8; 4] = *b"\0asm";

/// Whether `code` is a WebAssembly module (as opposed to EVM bytecode).
pub fn is_wasm(code: &[u8]) -> bool {
    code.starts_with(&WASM_MAGIC)
}

/// Splits init code into the module and the constructor arguments after it.
///
/// The module ends after its last well-framed section: sections are read while the next
/// byte is a known section id in the order the format requires (custom sections anywhere)
/// and its declared size fits in what is left; a custom section must also carry a name of
/// printable ASCII (as compilers' `name`, `producers` or `.debug_info` do). ABI-encoded
/// arguments begin with a 32-byte word; an address, a string offset or any number below
/// 2^240 starts with two zero bytes, which would frame an empty custom section and so
/// cannot be taken for part of the module. Only a first argument that is a `bytes32` or a
/// number of 2^240 or more could, by chance, look like a section; put another first.
pub fn split_init_code(init: &[u8]) -> (&[u8], &[u8]) {
    const HEADER: usize = 8;
    if init.len() < HEADER {
        return (init, &[]);
    }
    let mut end = HEADER;
    let mut last_order = 0u8;
    while let Some((next, order)) = section_after(init, end, last_order) {
        end = next;
        last_order = order;
    }
    init.split_at(end)
}

/// The end of the section starting at `at` and its place in the section order, if a
/// well-framed section starts there and may follow a section of order `last_order`.
fn section_after(bytes: &[u8], at: usize, last_order: u8) -> Option<(usize, u8)> {
    let id = *bytes.get(at)?;
    let (size, size_len) = leb128_u32(&bytes[at + 1..])?;
    let body_start = at + 1 + size_len;
    let end = body_start.checked_add(size as usize)?;
    let body = bytes.get(body_start..end)?;
    if id == 0 {
        let (name_len, name_len_size) = leb128_u32(body)?;
        let name = body.get(name_len_size..name_len_size + name_len as usize)?;
        let printable = |b: &u8| (0x21..=0x7e).contains(b);
        if name.is_empty() || !name.iter().all(printable) {
            return None;
        }
        return Some((end, last_order));
    }
    let order = section_order(id)?;
    (order > last_order).then_some((end, order))
}

/// The position of a known section id in the order modules must follow.
fn section_order(id: u8) -> Option<u8> {
    // type, import, function, table, memory, tag, global, export, start, element,
    // data count, code, data.
    const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
    ORDER
        .iter()
        .position(|&known| known == id)
        .map(|i| i as u8 + 1)
}

/// An unsigned LEB128 number of at most five bytes, and how many bytes it took.
fn leb128_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// Checks that a (profile-valid) module exports `call`, and `deploy` if at all, as
/// `() -> ()` functions.
pub fn check_entry_points(wasm: &[u8]) -> Result<(), Rule> {
    let invalid = |e: wasmparser::BinaryReaderError| Rule::Invalid(e.message().to_string());
    let mut types: Vec<bool> = Vec::new();
    let mut functions: Vec<u32> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(invalid)?.types() {
                        types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                f.params().is_empty() && f.results().is_empty()
                            }
                            _ => false,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    if let TypeRef::Func(ty) = import.map_err(invalid)?.ty {
                        functions.push(ty);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(ty.map_err(invalid)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(invalid)?;
                    if export.kind == ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    let takes_nothing = |function: u32| {
        functions
            .get(function as usize)
            .and_then(|ty| types.get(*ty as usize))
            .copied()
            .unwrap_or(false)
    };
    let export = |name: &str| exports.iter().find(|(n, _)| n == name).map(|(_, f)| *f);
    for (name, required) in [(CALL_EXPORT, true), (DEPLOY_EXPORT, false)] {
        match export(name) {
            None if required => return Err(Rule::MissingExport(name.to_string())),
            Some(function) if !takes_nothing(function) => {
                return Err(Rule::EntryPointSignature(name.to_string()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a (checked) contract module has a constructor.
pub fn has_constructor(wasm: &[u8]) -> bool {
    Parser::new(0).parse_all(wasm).any(|payload| {
        let Ok(Payload::ExportSection(reader)) = payload else {
            return false;
        };
        reader
            .into_iter()
            .flatten()
            .any(|e| e.kind == ExternalKind::Func && e.name == DEPLOY_EXPORT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    fn with_custom_section(mut wasm: Vec<u8>) -> Vec<u8> {
        // A trailing `name`-like custom section, as compilers emit.
        wasm.extend_from_slice(&[0, 6, 5]);
        wasm.extend_from_slice(b"hello");
        wasm
    }

    #[test]
    fn init_code_splits_where_the_module_ends() {
        let plain =
            module(r#"(module (memory 1) (data (i32.const 0) "x") (func (export "call")))"#);
        let framed = with_custom_section(plain.clone());
        let mut max = [0xff; 32].to_vec();
        max.extend_from_slice(&[0; 32]);
        // An empty-named custom section (`00 03 00 ..`) is no section: arguments.
        let mut empty_name = vec![0, 3, 0, 1, 2];
        empty_name.resize(64, 0);
        let words: [&[u8]; 5] = [&[], &[0; 32], &max, &[0x0b; 64], &empty_name];
        for wasm in [&plain, &framed] {
            for args in words {
                let init = [wasm.as_slice(), args].concat();
                assert_eq!(
                    split_init_code(&init),
                    (wasm.as_slice(), args),
                    "args {args:x?}"
                );
            }
        }
        // Garbage after the header is not a module section: it is left as arguments.
        let header_only = b"\0asm\x01\0\0\0\x01\xff\xff";
        assert_eq!(
            split_init_code(header_only),
            (&header_only[..8], &header_only[8..])
        );
        assert_eq!(split_init_code(b"\0as"), (&b"\0as"[..], &[][..]));
    }

    #[test]
    fn entry_points_must_exist_and_take_nothing() {
        let ok = module(r#"(module (func (export "call")) (func (export "deploy")))"#);
        assert_eq!(check_entry_points(&ok), Ok(()));
        assert!(has_constructor(&ok));
        let no_constructor = module(r#"(module (func (export "call")))"#);
        assert_eq!(check_entry_points(&no_constructor), Ok(()));
        assert!(!has_constructor(&no_constructor));
        let missing = module(r#"(module (func (export "deploy")))"#);
        assert_eq!(
            check_entry_points(&missing),
            Err(Rule::MissingExport("call".into()))
        );
        let takes = module(r#"(module (func (export "call") (param i32)))"#);
        let deploy_returns = module(
            r#"(module (func (export "call")) (func (export "deploy") (result i32) i32.const 0))"#,
        );
        for (wasm, name) in [(takes, "call"), (deploy_returns, "deploy")] {
            let refused = check_entry_points(&wasm).unwrap_err();
            assert_eq!(refused, Rule::EntryPointSignature(name.into()));
            assert_eq!(refused.name(), "entry-point-signature");
        }
        // An imported function exported as `call` is checked by its import's type.
        let imported = module(
            r#"(module (import "vnt_v1" "gas_left" (func $g (result i64))) (export "call" (func $g)))"#,
        );
        assert_eq!(
            check_entry_points(&imported),
            Err(Rule::EntryPointSignature("call".into()))
        );
    }
}

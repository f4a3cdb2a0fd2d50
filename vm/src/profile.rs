//! The determinism profile: which WebAssembly a contract may use, checked once at deploy.
//!
//! Enabled: the MVP integer instruction set, mutable globals, sign extension, multi-value,
//! bulk memory and reference types (Rust's default wasm32 output needs the last two).
//! Disabled: **floating point** (every `f32`/`f64` type and instruction — rejected rather
//! than canonicalised, so no NaN bit pattern can ever differ between engines), SIMD, relaxed
//! SIMD, threads, tail calls, exceptions, memory64, multiple memories, GC and the component
//! model. A module must also stay within [`Limits`]; the first rule it breaks is reported by
//! name in [`Rule`].

use crate::host::HostFunction;
use wasmparser::{
    FuncValidatorAllocations, Operator, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

/// Deploy-time limits. Every one bounds compile time, memory or per-call work.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    pub module_bytes: usize,
    pub functions: u32,
    pub locals_per_function: u32,
    pub params: u32,
    pub results: u32,
    pub blocks_per_function: u32,
    pub body_bytes: usize,
    pub br_table_targets: u32,
    pub tables: u32,
    pub table_elements: u64,
    pub element_segments: u32,
    pub data_segments: u32,
    pub memory_pages: u64,
    pub globals: u32,
    pub exports: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            module_bytes: 512 * 1024,
            functions: 10_000,
            locals_per_function: 4_096,
            params: 64,
            results: 8,
            blocks_per_function: 16_384,
            body_bytes: 128 * 1024,
            br_table_targets: 4_096,
            tables: 1,
            table_elements: 8_192,
            element_segments: 512,
            data_segments: 1_024,
            memory_pages: 256,
            globals: 512,
            exports: 256,
        }
    }
}

/// The rule a rejected module broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("module is {size} bytes, the limit is {limit}")]
    ModuleTooLarge { size: usize, limit: usize },
    #[error("invalid WebAssembly: {0}")]
    Invalid(String),
    #[error("uses a disabled WebAssembly feature: {0}")]
    DisabledFeature(String),
    #[error("{found} functions, the limit is {limit}")]
    TooManyFunctions { found: u32, limit: u32 },
    #[error("function {function} declares {found} locals, the limit is {limit}")]
    TooManyLocals {
        function: u32,
        found: u32,
        limit: u32,
    },
    #[error("a function type has {found} parameters, the limit is {limit}")]
    TooManyParams { found: u32, limit: u32 },
    #[error("a function type has {found} results, the limit is {limit}")]
    TooManyResults { found: u32, limit: u32 },
    #[error("function {function} has {found} blocks, the limit is {limit}")]
    TooManyBlocks {
        function: u32,
        found: u32,
        limit: u32,
    },
    #[error("function {function} body is {found} bytes, the limit is {limit}")]
    BodyTooLarge {
        function: u32,
        found: usize,
        limit: usize,
    },
    #[error("a br_table in function {function} has {found} targets, the limit is {limit}")]
    BrTableTooLarge {
        function: u32,
        found: u32,
        limit: u32,
    },
    #[error("{found} tables, the limit is {limit}")]
    TooManyTables { found: u32, limit: u32 },
    #[error("a table starts with {found} elements, the limit is {limit}")]
    TableTooLarge { found: u64, limit: u64 },
    #[error("{found} element segments, the limit is {limit}")]
    TooManyElementSegments { found: u32, limit: u32 },
    #[error("{found} data segments, the limit is {limit}")]
    TooManyDataSegments { found: u32, limit: u32 },
    #[error("memory starts with {found} pages, the limit is {limit}")]
    MemoryTooLarge { found: u64, limit: u64 },
    #[error("{found} globals, the limit is {limit}")]
    TooManyGlobals { found: u32, limit: u32 },
    #[error("{found} exports, the limit is {limit}")]
    TooManyExports { found: u32, limit: u32 },
    #[error("imports {module}.{name}, which the host does not provide")]
    UnknownImport { module: String, name: String },
    #[error("imports {module}.{name} with the wrong signature")]
    ImportSignature { module: String, name: String },
    #[error("imports a {kind}; only functions may be imported")]
    ImportKind { kind: &'static str },
    #[error("has a start function; contracts run only through their exports")]
    StartFunction,
    #[error("exports `{0}`, a name reserved for the VM")]
    ReservedExport(String),
    #[error("does not export `{0}`, the function every call runs")]
    MissingExport(String),
    #[error("exports `{0}` with parameters or results; entry points are `() -> ()`")]
    EntryPointSignature(String),
}

impl Rule {
    /// The rule's stable name, as errors and the book cite it.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::ModuleTooLarge { .. } => "module-too-large",
            Rule::Invalid { .. } => "invalid",
            Rule::DisabledFeature { .. } => "disabled-feature",
            Rule::TooManyFunctions { .. } => "too-many-functions",
            Rule::TooManyLocals { .. } => "too-many-locals",
            Rule::TooManyParams { .. } => "too-many-params",
            Rule::TooManyResults { .. } => "too-many-results",
            Rule::TooManyBlocks { .. } => "too-many-blocks",
            Rule::BodyTooLarge { .. } => "body-too-large",
            Rule::BrTableTooLarge { .. } => "br-table-too-large",
            Rule::TooManyTables { .. } => "too-many-tables",
            Rule::TableTooLarge { .. } => "table-too-large",
            Rule::TooManyElementSegments { .. } => "too-many-element-segments",
            Rule::TooManyDataSegments { .. } => "too-many-data-segments",
            Rule::MemoryTooLarge { .. } => "memory-too-large",
            Rule::TooManyGlobals { .. } => "too-many-globals",
            Rule::TooManyExports { .. } => "too-many-exports",
            Rule::UnknownImport { .. } => "unknown-import",
            Rule::ImportSignature { .. } => "import-signature",
            Rule::ImportKind { .. } => "import-kind",
            Rule::StartFunction => "start-function",
            Rule::ReservedExport { .. } => "reserved-export",
            Rule::MissingExport { .. } => "missing-export",
            Rule::EntryPointSignature { .. } => "entry-point-signature",
        }
    }
}

/// Prefix of the names the instrumentation adds; contracts may not use it.
pub const RESERVED_PREFIX: &str = "__vnt";

/// What the profile learns about a module that instrumentation needs.
#[derive(Clone, Debug, Default)]
pub struct ModuleFacts {
    /// Highest operand stack height of each defined function, in values.
    pub max_operand_stack: Vec<u32>,
}

/// The WebAssembly features contracts may use.
pub fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
}

/// Checks a module against the profile.
pub fn check(wasm: &[u8], limits: &Limits, host: &[HostFunction]) -> Result<ModuleFacts, Rule> {
    if wasm.len() > limits.module_bytes {
        return Err(Rule::ModuleTooLarge {
            size: wasm.len(),
            limit: limits.module_bytes,
        });
    }
    // Valid under every feature but not under ours: a disabled feature, named as such.
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(wasm)
        .map_err(|e| Rule::Invalid(e.message().to_string()))?;
    let mut validator = Validator::new_with_features(features());
    let mut facts = ModuleFacts::default();
    let mut allocations = FuncValidatorAllocations::default();
    let mut function_count = 0u32;
    let mut body_index = 0u32;
    let disabled =
        |e: wasmparser::BinaryReaderError| Rule::DisabledFeature(e.message().to_string());
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| Rule::Invalid(e.message().to_string()))?;
        let valid = validator.payload(&payload).map_err(disabled)?;
        match &payload {
            Payload::TypeSection(reader) => {
                for group in reader.clone() {
                    let group = group.map_err(disabled)?;
                    for sub in group.types() {
                        if let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner {
                            at_most(f.params().len() as u32, limits.params, |found, limit| {
                                Rule::TooManyParams { found, limit }
                            })?;
                            at_most(f.results().len() as u32, limits.results, |found, limit| {
                                Rule::TooManyResults { found, limit }
                            })?;
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone() {
                    let import = import.map_err(disabled)?;
                    check_import(&import, &validator, host)?;
                    if matches!(import.ty, TypeRef::Func(_)) {
                        function_count += 1;
                    }
                }
            }
            Payload::FunctionSection(reader) => function_count += reader.count(),
            Payload::TableSection(reader) => {
                at_most(reader.count(), limits.tables, |found, limit| {
                    Rule::TooManyTables { found, limit }
                })?;
                for table in reader.clone() {
                    let table = table.map_err(disabled)?;
                    if table.ty.initial > limits.table_elements {
                        return Err(Rule::TableTooLarge {
                            found: table.ty.initial,
                            limit: limits.table_elements,
                        });
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.clone() {
                    let memory = memory.map_err(disabled)?;
                    if memory.initial > limits.memory_pages {
                        return Err(Rule::MemoryTooLarge {
                            found: memory.initial,
                            limit: limits.memory_pages,
                        });
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                at_most(reader.count(), limits.globals, |found, limit| {
                    Rule::TooManyGlobals { found, limit }
                })?;
            }
            Payload::ExportSection(reader) => {
                at_most(reader.count(), limits.exports, |found, limit| {
                    Rule::TooManyExports { found, limit }
                })?;
                for export in reader.clone() {
                    let export = export.map_err(disabled)?;
                    if export.name.starts_with(RESERVED_PREFIX) {
                        return Err(Rule::ReservedExport(export.name.to_string()));
                    }
                }
            }
            Payload::StartSection { .. } => return Err(Rule::StartFunction),
            Payload::ElementSection(reader) => {
                at_most(reader.count(), limits.element_segments, |found, limit| {
                    Rule::TooManyElementSegments { found, limit }
                })?;
            }
            Payload::DataSection(reader) => {
                at_most(reader.count(), limits.data_segments, |found, limit| {
                    Rule::TooManyDataSegments { found, limit }
                })?;
            }
            Payload::CodeSectionStart { .. } => {
                at_most(function_count, limits.functions, |found, limit| {
                    Rule::TooManyFunctions { found, limit }
                })?;
            }
            Payload::CodeSectionEntry(_) => {
                let wasmparser::ValidPayload::Func(to_validate, body) = valid else {
                    unreachable!("a code entry validates into a function");
                };
                let function = body_index;
                body_index += 1;
                let size = body.range().len();
                if size > limits.body_bytes {
                    return Err(Rule::BodyTooLarge {
                        function,
                        found: size,
                        limit: limits.body_bytes,
                    });
                }
                let mut locals = 0u32;
                for local in body.get_locals_reader().map_err(disabled)? {
                    let (count, _) = local.map_err(disabled)?;
                    locals = locals.saturating_add(count);
                }
                at_most(locals, limits.locals_per_function, |found, limit| {
                    Rule::TooManyLocals {
                        function,
                        found,
                        limit,
                    }
                })?;
                let mut func = to_validate.into_validator(std::mem::take(&mut allocations));
                func.read_locals(&mut body.get_binary_reader())
                    .map_err(disabled)?;
                let mut operators = body.get_operators_reader().map_err(disabled)?;
                let (mut blocks, mut max_stack) = (0u32, 0u32);
                while !operators.eof() {
                    let (op, offset) = operators.read_with_offset().map_err(disabled)?;
                    func.op(offset, &op).map_err(disabled)?;
                    max_stack = max_stack.max(func.operand_stack_height());
                    match &op {
                        Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                            blocks += 1;
                            at_most(blocks, limits.blocks_per_function, |found, limit| {
                                Rule::TooManyBlocks {
                                    function,
                                    found,
                                    limit,
                                }
                            })?;
                        }
                        Operator::BrTable { targets } => {
                            at_most(targets.len(), limits.br_table_targets, |found, limit| {
                                Rule::BrTableTooLarge {
                                    function,
                                    found,
                                    limit,
                                }
                            })?;
                        }
                        _ => {}
                    }
                }
                allocations = func.into_allocations();
                facts.max_operand_stack.push(max_stack);
            }
            _ => {}
        }
    }
    Ok(facts)
}

fn at_most(found: u32, limit: u32, rule: impl FnOnce(u32, u32) -> Rule) -> Result<(), Rule> {
    if found > limit {
        return Err(rule(found, limit));
    }
    Ok(())
}

fn check_import(
    import: &wasmparser::Import,
    validator: &Validator,
    host: &[HostFunction],
) -> Result<(), Rule> {
    let type_index = match import.ty {
        TypeRef::Func(index) => index,
        TypeRef::Table(_) => return Err(Rule::ImportKind { kind: "table" }),
        TypeRef::Memory(_) => return Err(Rule::ImportKind { kind: "memory" }),
        TypeRef::Global(_) => return Err(Rule::ImportKind { kind: "global" }),
        TypeRef::Tag(_) => return Err(Rule::ImportKind { kind: "tag" }),
    };
    let unknown = || Rule::UnknownImport {
        module: import.module.to_string(),
        name: import.name.to_string(),
    };
    let expected = host
        .iter()
        .find(|f| f.module == import.module && f.name == import.name)
        .ok_or_else(unknown)?;
    let types = validator
        .types(0)
        .expect("the type section was validated before imports");
    let sub = &types[types.core_type_at_in_module(type_index)];
    let wasmparser::CompositeInnerType::Func(ty) = &sub.composite_type.inner else {
        return Err(unknown());
    };
    let same = ty.params()
        == expected
            .params
            .iter()
            .map(|t| t.wasm())
            .collect::<Vec<ValType>>()
        && ty.results()
            == expected
                .results
                .iter()
                .map(|t| t.wasm())
                .collect::<Vec<ValType>>();
    if !same {
        return Err(Rule::ImportSignature {
            module: import.module.to_string(),
            name: import.name.to_string(),
        });
    }
    Ok(())
}

//! The one instrumentation pass every module goes through at deploy, before any engine.
//!
//! It adds three globals — gas left (`i64`, exported as [`GAS_EXPORT`]), stack height (`i32`)
//! and trap reason (`i32`, exported as [`TRAP_EXPORT`]) — and three functions at the end of
//! the function index space (so no existing index moves):
//!
//! - **gas**: each basic block (a run of instructions up to the next block, loop, if, else,
//!   end, branch, return or unreachable) is charged its whole [`CostTable`] cost on entry;
//!   running short sets the trap reason to out-of-gas, zeroes the gas and traps. Bulk memory
//!   and table instructions are charged per byte or element, `memory.grow` per page, from
//!   the operand itself, before they run.
//! - **stack**: each function adds its frame size (params, locals, deepest operand stack
//!   and a fixed overhead) to the stack height on entry and removes it on exit; passing
//!   [`STACK_LIMIT`] traps with the stack-overflow reason. The body is wrapped in a block so
//!   every exit — falling off the end, `return` (rewritten to a branch) or a branch to the
//!   function label — passes the decrement.
//!
//! Memory and tables are capped by rewriting their declared maxima, so `memory.grow` and
//! `table.grow` past the cap return -1 on every engine. Both engines run exactly this output: gas and stack behaviour cannot
//! depend on the engine.

use crate::costs::CostTable;
use crate::profile::{Limits, ModuleFacts};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, Instruction, MemorySection, MemoryType, Module, RawSection,
    TableSection, TypeSection, ValType,
};
use wasmparser::{FuncType, Operator, Parser, Payload};

/// Export name of the gas-left global the host reads and sets.
pub const GAS_EXPORT: &str = "__vnt_gas_left";
/// Export name of the trap-reason global.
pub const TRAP_EXPORT: &str = "__vnt_trap";
/// Export name of the stack-height global, reset before each invocation.
pub const STACK_EXPORT: &str = "__vnt_stack";
/// Trap reason: the gas ran out.
pub const TRAP_OUT_OF_GAS: i32 = 1;
/// Trap reason: the stack height limit was passed.
pub const TRAP_STACK_OVERFLOW: i32 = 2;
/// Stack height limit, in value slots.
pub const STACK_LIMIT: u32 = 32_768;
/// Slots every frame costs on top of its own values (return address, spills).
pub const FRAME_OVERHEAD: u32 = 32;
/// Largest table maximum every engine accepts.
pub const MAX_TABLE_ELEMENTS: u64 = 1 << 27;

/// A module the instrumentation could not rewrite (the profile should have refused it).
#[derive(Debug, thiserror::Error)]
#[error("cannot instrument module: {0}")]
pub struct InstrumentError(String);

impl<E: std::fmt::Debug> From<wasm_encoder::reencode::Error<E>> for InstrumentError {
    fn from(e: wasm_encoder::reencode::Error<E>) -> Self {
        Self(format!("{e:?}"))
    }
}

impl From<wasmparser::BinaryReaderError> for InstrumentError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Self(e.message().to_string())
    }
}

/// Indices of what the pass adds.
struct Injected {
    gas: u32,
    stack: u32,
    trap: u32,
    charge: u32,
    out_of_gas: u32,
    stack_overflow: u32,
}

/// Rewrites a profile-checked module with gas metering, stack limiting and the memory cap.
pub fn instrument(
    wasm: &[u8],
    facts: &ModuleFacts,
    costs: &CostTable,
    limits: &Limits,
) -> Result<Vec<u8>, InstrumentError> {
    let memory_cap_pages = limits.memory_pages;
    // Engines refuse tables whose declared maximum they cannot honour (wasmer above 2^27),
    // so every table gets a maximum both accept: growth past it fails the same everywhere.
    let table_cap = limits.table_elements.min(MAX_TABLE_ELEMENTS);
    let mut types: Vec<FuncType> = Vec::new();
    let mut imported_functions = 0u32;
    let mut defined_types: Vec<u32> = Vec::new();
    let mut global_count = 0u32;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => imported_functions = reader.count(),
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    defined_types.push(ty?);
                }
            }
            Payload::GlobalSection(reader) => global_count = reader.count(),
            _ => {}
        }
    }
    let first_injected = imported_functions + defined_types.len() as u32;
    let injected = Injected {
        gas: global_count,
        stack: global_count + 1,
        trap: global_count + 2,
        charge: first_injected,
        out_of_gas: first_injected + 1,
        stack_overflow: first_injected + 2,
    };

    let mut encoder = RoundtripReencoder;
    let mut type_section = TypeSection::new();
    let mut extra_types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let type_index = |params: Vec<ValType>, results: Vec<ValType>, extra: &mut Vec<_>| {
        let position = extra
            .iter()
            .position(|t| *t == (params.clone(), results.clone()));
        types.len() as u32
            + position.unwrap_or_else(|| {
                extra.push((params, results));
                extra.len() - 1
            }) as u32
    };
    let void_type = type_index(vec![], vec![], &mut extra_types);
    let charge_type = type_index(vec![ValType::I64], vec![], &mut extra_types);

    let mut module = Module::new();
    let mut bodies = Vec::new();
    let mut raw_after_code: Vec<RawSection> = Vec::new();
    let mut sections_before_code: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut saw_global = false;
    let mut saw_export = false;
    let mut function_section = FunctionSection::new();
    let mut code_index = 0usize;

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        match payload {
            Payload::TypeSection(reader) => {
                encoder.parse_type_section(&mut type_section, reader)?;
            }
            Payload::ImportSection(reader) => {
                sections_before_code.push((2, wasm[reader.range()].to_vec()));
            }
            Payload::FunctionSection(reader) => {
                encoder.parse_function_section(&mut function_section, reader)?;
            }
            Payload::TableSection(reader) => {
                let mut tables = TableSection::new();
                for table in reader {
                    let table = table?;
                    let mut ty = encoder.table_type(table.ty)?;
                    ty.maximum = Some(ty.maximum.map_or(table_cap, |m| m.min(table_cap)));
                    match table.init {
                        wasmparser::TableInit::RefNull => tables.table(ty),
                        wasmparser::TableInit::Expr(init) => {
                            tables.table_with_init(ty, &encoder.const_expr(init)?)
                        }
                    };
                }
                sections_before_code.push((4, encode_section(&tables)));
            }
            Payload::MemorySection(reader) => {
                let mut memories = MemorySection::new();
                for memory in reader {
                    let memory = memory?;
                    let cap = memory
                        .maximum
                        .map_or(memory_cap_pages, |m| m.min(memory_cap_pages));
                    memories.memory(MemoryType {
                        minimum: memory.initial,
                        maximum: Some(cap),
                        memory64: false,
                        shared: false,
                        page_size_log2: None,
                    });
                }
                sections_before_code.push((5, encode_section(&memories)));
            }
            Payload::GlobalSection(reader) => {
                saw_global = true;
                let mut globals = GlobalSection::new();
                encoder.parse_global_section(&mut globals, reader)?;
                add_globals(&mut globals);
                sections_before_code.push((6, encode_section(&globals)));
            }
            Payload::ExportSection(reader) => {
                if !saw_global {
                    saw_global = true;
                    let mut globals = GlobalSection::new();
                    add_globals(&mut globals);
                    sections_before_code.push((6, encode_section(&globals)));
                }
                saw_export = true;
                let mut exports = ExportSection::new();
                encoder.parse_export_section(&mut exports, reader)?;
                add_exports(&mut exports, &injected);
                sections_before_code.push((7, encode_section(&exports)));
            }
            Payload::ElementSection(reader) => {
                sections_before_code.push((9, wasm[reader.range()].to_vec()))
            }
            Payload::DataCountSection { range, .. } => {
                sections_before_code.push((12, wasm[range].to_vec()))
            }
            Payload::CodeSectionEntry(body) => {
                let type_of = defined_types[code_index];
                let ty = &types[type_of as usize];
                let max_stack = facts
                    .max_operand_stack
                    .get(code_index)
                    .copied()
                    .unwrap_or(0);
                code_index += 1;
                let results: Vec<ValType> = ty
                    .results()
                    .iter()
                    .map(|t| encoder.val_type(*t))
                    .collect::<Result<_, _>>()?;
                let wrapper = match results.as_slice() {
                    [] => BlockType::Empty,
                    [one] => BlockType::Result(*one),
                    _ => BlockType::FunctionType(type_index(
                        vec![],
                        results.clone(),
                        &mut extra_types,
                    )),
                };
                bodies.push(instrument_body(
                    &body, ty, max_stack, wrapper, costs, &injected,
                )?);
            }
            Payload::DataSection(reader) => raw_after_code.push(RawSection {
                id: 11,
                data: &wasm[reader.range()],
            }),
            _ => {}
        }
    }
    if !saw_global {
        let mut globals = GlobalSection::new();
        add_globals(&mut globals);
        sections_before_code.push((6, encode_section(&globals)));
    }
    if !saw_export {
        let mut exports = ExportSection::new();
        add_exports(&mut exports, &injected);
        sections_before_code.push((7, encode_section(&exports)));
    }
    for (params, results) in &extra_types {
        type_section.ty().function(params.clone(), results.clone());
    }
    function_section.function(charge_type);
    function_section.function(void_type);
    function_section.function(void_type);

    // Canonical section order: type, import, function, table, memory, global, export,
    // element, data count, code, data.
    module.section(&type_section);
    let mut ordered = sections_before_code;
    ordered.sort_by_key(|(id, _)| section_rank(*id));
    let mut function_written = false;
    for (id, data) in &ordered {
        if !function_written && section_rank(*id) > section_rank(3) {
            module.section(&function_section);
            function_written = true;
        }
        module.section(&RawSection { id: *id, data });
    }
    if !function_written {
        module.section(&function_section);
    }
    let mut code = CodeSection::new();
    for body in &bodies {
        code.function(body);
    }
    for body in injected_bodies(&injected) {
        code.function(&body);
    }
    module.section(&code);
    for raw in &raw_after_code {
        module.section(raw);
    }
    Ok(module.finish())
}

fn section_rank(id: u8) -> u8 {
    match id {
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 5,
        6 => 6,
        7 => 7,
        9 => 9,
        12 => 10,
        _ => 11,
    }
}

fn encode_section(section: &impl wasm_encoder::Encode) -> Vec<u8> {
    let mut bytes = Vec::new();
    section.encode(&mut bytes);
    // `Encode` for a section writes its size first; a raw section wants only the contents.
    let mut reader = wasmparser::BinaryReader::new(&bytes, 0);
    let size = reader.read_var_u32().expect("we just wrote the size") as usize;
    let start = reader.original_position();
    bytes[start..start + size].to_vec()
}

fn add_globals(globals: &mut GlobalSection) {
    let mutable = |val_type| GlobalType {
        val_type,
        mutable: true,
        shared: false,
    };
    globals.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
    globals.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
    globals.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
}

fn add_exports(exports: &mut ExportSection, injected: &Injected) {
    exports.export(GAS_EXPORT, ExportKind::Global, injected.gas);
    exports.export(TRAP_EXPORT, ExportKind::Global, injected.trap);
    exports.export(STACK_EXPORT, ExportKind::Global, injected.stack);
}

/// The bodies of `charge(i64)`, `out_of_gas()` and `stack_overflow()`.
fn injected_bodies(injected: &Injected) -> [Function; 3] {
    let mut charge = Function::new([]);
    charge
        .instruction(&Instruction::GlobalGet(injected.gas))
        .instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::I64LtU)
        .instruction(&Instruction::If(BlockType::Empty))
        .instruction(&Instruction::Call(injected.out_of_gas))
        .instruction(&Instruction::End)
        .instruction(&Instruction::GlobalGet(injected.gas))
        .instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::I64Sub)
        .instruction(&Instruction::GlobalSet(injected.gas))
        .instruction(&Instruction::End);
    let mut out_of_gas = Function::new([]);
    out_of_gas
        .instruction(&Instruction::I32Const(TRAP_OUT_OF_GAS))
        .instruction(&Instruction::GlobalSet(injected.trap))
        .instruction(&Instruction::I64Const(0))
        .instruction(&Instruction::GlobalSet(injected.gas))
        .instruction(&Instruction::Unreachable)
        .instruction(&Instruction::End);
    let mut stack_overflow = Function::new([]);
    stack_overflow
        .instruction(&Instruction::I32Const(TRAP_STACK_OVERFLOW))
        .instruction(&Instruction::GlobalSet(injected.trap))
        .instruction(&Instruction::Unreachable)
        .instruction(&Instruction::End);
    [charge, out_of_gas, stack_overflow]
}

/// Whether an instruction ends a metered basic block.
fn ends_block(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
    )
}

/// How an instruction's dynamic part is charged from its top operand (a count).
struct DynamicCost {
    per_unit: u64,
    /// The count is rounded up to units of `1 << unit_shift` (bulk memory charges per
    /// 4-byte word: one gas per byte would overcharge a byte copy several times).
    unit_shift: u32,
}

fn dynamic_cost(op: &Operator, costs: &CostTable) -> Option<DynamicCost> {
    let (per_unit, unit_shift) = match op {
        Operator::MemoryGrow { .. } => (costs.grow_per_page, 0),
        Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } | Operator::MemoryInit { .. } => {
            (costs.bulk_per_word, 2)
        }
        Operator::TableGrow { .. }
        | Operator::TableFill { .. }
        | Operator::TableCopy { .. }
        | Operator::TableInit { .. } => (costs.table_per_element, 0),
        _ => return None,
    };
    Some(DynamicCost {
        per_unit,
        unit_shift,
    })
}

fn instrument_body(
    body: &wasmparser::FunctionBody,
    ty: &FuncType,
    max_stack: u32,
    wrapper: BlockType,
    costs: &CostTable,
    injected: &Injected,
) -> Result<Function, InstrumentError> {
    let mut encoder = RoundtripReencoder;
    let mut locals: Vec<(u32, ValType)> = Vec::new();
    let mut local_count = ty.params().len() as u32;
    for local in body.get_locals_reader()? {
        let (count, val_type) = local?;
        local_count += count;
        locals.push((count, encoder.val_type(val_type)?));
    }
    let scratch = local_count;
    locals.push((1, ValType::I32));
    let frame = FRAME_OVERHEAD + local_count + max_stack;

    let mut operators = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        operators.push(reader.read()?);
    }
    // Cost of the basic block starting at each index.
    let mut block_cost = vec![0u64; operators.len()];
    let mut start = 0;
    for (i, op) in operators.iter().enumerate() {
        block_cost[start] += costs.of(op);
        if ends_block(op) {
            start = i + 1;
        }
    }

    let mut f = Function::new(locals);
    let emit = |f: &mut Function, i: &Instruction| {
        f.instruction(i);
    };
    // Enter the frame.
    emit(&mut f, &Instruction::GlobalGet(injected.stack));
    emit(&mut f, &Instruction::I32Const(frame as i32));
    emit(&mut f, &Instruction::I32Add);
    emit(&mut f, &Instruction::GlobalSet(injected.stack));
    emit(&mut f, &Instruction::GlobalGet(injected.stack));
    emit(&mut f, &Instruction::I32Const(STACK_LIMIT as i32));
    emit(&mut f, &Instruction::I32GtU);
    emit(&mut f, &Instruction::If(BlockType::Empty));
    emit(&mut f, &Instruction::Call(injected.stack_overflow));
    emit(&mut f, &Instruction::End);
    emit(&mut f, &Instruction::Block(wrapper));

    let last = operators.len() - 1;
    let mut depth = 0u32;
    for (i, op) in operators.iter().enumerate() {
        if block_cost[i] > 0 && (i == 0 || ends_block(&operators[i - 1])) {
            charge_static(&mut f, block_cost[i], injected);
        }
        if i == last {
            break; // the function's own `end` closes the wrapper below
        }
        if let Some(cost) = dynamic_cost(op, costs) {
            charge_dynamic(&mut f, &cost, scratch, injected);
        }
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
            Operator::End => depth -= 1,
            _ => {}
        }
        if matches!(op, Operator::Return) {
            f.instruction(&Instruction::Br(depth));
        } else {
            f.instruction(&encoder.instruction(op.clone())?);
        }
    }
    // Leave the frame.
    emit(&mut f, &Instruction::End);
    emit(&mut f, &Instruction::GlobalGet(injected.stack));
    emit(&mut f, &Instruction::I32Const(frame as i32));
    emit(&mut f, &Instruction::I32Sub);
    emit(&mut f, &Instruction::GlobalSet(injected.stack));
    emit(&mut f, &Instruction::End);
    Ok(f)
}

/// Charges a basic block's cost on entry, trapping out of gas if it does not fit. (With
/// Winch and singlepass, both single-pass compilers, the branch costs no compile time; a
/// branchless trap by division was tried and costs ~3 ns per block at run time.)
fn charge_static(f: &mut Function, cost: u64, injected: &Injected) {
    f.instruction(&Instruction::GlobalGet(injected.gas))
        .instruction(&Instruction::I64Const(cost as i64))
        .instruction(&Instruction::I64LtU)
        .instruction(&Instruction::If(BlockType::Empty))
        .instruction(&Instruction::Call(injected.out_of_gas))
        .instruction(&Instruction::End)
        .instruction(&Instruction::GlobalGet(injected.gas))
        .instruction(&Instruction::I64Const(cost as i64))
        .instruction(&Instruction::I64Sub)
        .instruction(&Instruction::GlobalSet(injected.gas));
}

/// Charges for the count on top of the stack (in `cost`'s units), leaving the stack as it was.
fn charge_dynamic(f: &mut Function, cost: &DynamicCost, scratch: u32, injected: &Injected) {
    f.instruction(&Instruction::LocalTee(scratch))
        .instruction(&Instruction::LocalGet(scratch))
        .instruction(&Instruction::I64ExtendI32U);
    if cost.unit_shift > 0 {
        f.instruction(&Instruction::I64Const((1 << cost.unit_shift) - 1))
            .instruction(&Instruction::I64Add)
            .instruction(&Instruction::I64Const(cost.unit_shift as i64))
            .instruction(&Instruction::I64ShrU);
    }
    f.instruction(&Instruction::I64Const(cost.per_unit as i64))
        .instruction(&Instruction::I64Mul)
        .instruction(&Instruction::Call(injected.charge));
}

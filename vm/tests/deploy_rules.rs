//! Modules that break the determinism profile are refused at deploy with the rule's name;
//! modules at every limit still deploy and compile on both engines.

use crate::support::{call_agreeing, compile_all, engines};
use vnt_vm::profile::{Limits, Rule};
use vnt_vm::testing::MemoryHost;
use vnt_vm::{DeployError, Status, Vm};
use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

fn rejected(wat: &str) -> Rule {
    let wasm = wat::parse_str(wat).unwrap();
    match Vm::default().prepare(&wasm) {
        Err(DeployError::Rejected(rule)) => rule,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn disabled_features_are_named() {
    for (wat, needle) in [
        ("(module (func (result f32) (f32.const 1)))", "float"),
        ("(module (func (param f64)))", "float"),
        ("(module (func (drop (v128.const i64x2 0 0))))", "SIMD"),
        (
            "(module (memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))))",
            "threads",
        ),
        ("(module (func $f (return_call $f)))", "tail"),
        ("(module (memory i64 1))", "memory64"),
    ] {
        match rejected(wat) {
            Rule::DisabledFeature(message) => {
                assert!(
                    message.to_lowercase().contains(&needle.to_lowercase()),
                    "{wat}: {message}"
                );
            }
            other => panic!("{wat}: expected a disabled feature, got {other:?}"),
        }
    }
}

#[test]
fn invalid_modules_are_invalid() {
    assert!(matches!(
        Vm::default().prepare(b"\0asm\x01\0\0\0\x01"),
        Err(DeployError::Rejected(Rule::Invalid(_)))
    ));
    assert!(matches!(
        rejected("(module (func (result i32)))"),
        Rule::Invalid(_)
    ));
}

#[test]
fn structural_rules_are_enforced() {
    assert_eq!(
        rejected("(module (func $s) (start $s))"),
        Rule::StartFunction
    );
    assert_eq!(
        rejected(r#"(module (import "env" "abort" (func)))"#),
        Rule::UnknownImport {
            module: "env".into(),
            name: "abort".into()
        }
    );
    assert_eq!(
        rejected(r#"(module (import "vnt_v1" "gas_left" (func (result i32))))"#),
        Rule::ImportSignature {
            module: "vnt_v1".into(),
            name: "gas_left".into()
        }
    );
    assert_eq!(
        rejected(r#"(module (import "vnt_v1" "mem" (memory 1)))"#),
        Rule::ImportKind { kind: "memory" }
    );
    assert_eq!(
        rejected(r#"(module (func (export "__vnt_gas_left")))"#),
        Rule::ReservedExport("__vnt_gas_left".into())
    );
    assert_eq!(
        rejected("(module (memory 257))"),
        Rule::MemoryTooLarge {
            found: 257,
            limit: 256
        }
    );
    assert_eq!(
        rejected("(module (table 1 funcref) (table 1 funcref))"),
        Rule::TooManyTables { found: 2, limit: 1 }
    );
}

fn module_with_body(locals: u32, body: impl FnOnce(&mut Function)) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0);
    module.section(&functions);
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memory);
    let mut exports = ExportSection::new();
    exports.export("call", ExportKind::Func, 0);
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut f = Function::new([(locals, ValType::I64)]);
    body(&mut f);
    f.instruction(&Instruction::End);
    code.function(&f);
    module.section(&code);
    module.finish()
}

fn br_table(targets: u32) -> Vec<u8> {
    module_with_body(0, |f| {
        f.instruction(&Instruction::Block(BlockType::Empty));
        f.instruction(&Instruction::I32Const(7));
        let labels: Vec<u32> = vec![0; targets as usize];
        f.instruction(&Instruction::BrTable(labels.into(), 0));
        f.instruction(&Instruction::End);
    })
}

fn rejects(wasm: &[u8]) -> Rule {
    match Vm::default().prepare(wasm) {
        Err(DeployError::Rejected(rule)) => rule,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn limits_are_inclusive_and_one_more_is_refused() {
    let limits = Limits::default();
    let deployable = [
        module_with_body(limits.locals_per_function, |_| {}),
        br_table(limits.br_table_targets),
    ];
    for wasm in &deployable {
        let compiled = compile_all(wasm);
        let (outcome, _) = call_agreeing(&compiled, &MemoryHost::default(), 1_000_000);
        assert_eq!(outcome.status, Status::Returned(Vec::new()));
    }
    assert_eq!(
        rejects(&module_with_body(limits.locals_per_function + 1, |_| {})),
        Rule::TooManyLocals {
            function: 0,
            found: limits.locals_per_function + 1,
            limit: limits.locals_per_function
        }
    );
    assert_eq!(
        rejects(&br_table(limits.br_table_targets + 1)),
        Rule::BrTableTooLarge {
            function: 0,
            found: limits.br_table_targets + 1,
            limit: limits.br_table_targets
        }
    );
    let mut huge = module_with_body(0, |_| {});
    huge.resize(limits.module_bytes + 1, 0);
    assert!(matches!(rejects(&huge), Rule::ModuleTooLarge { .. }));
}

/// The compile-time bomb: a module at the function and body limits still compiles on both
/// engines (singlepass and Cranelift both take it in bounded time).
#[test]
fn a_module_at_the_size_limits_compiles_on_both_engines() {
    let limits = Limits::default();
    // One function body of nested blocks near the body-size limit.
    let wasm = module_with_body(0, |f| {
        let depth = 4_000;
        for _ in 0..depth {
            f.instruction(&Instruction::Block(BlockType::Empty));
        }
        for _ in 0..depth {
            f.instruction(&Instruction::I64Const(1));
            f.instruction(&Instruction::Drop);
            f.instruction(&Instruction::End);
        }
    });
    assert!(wasm.len() < limits.module_bytes);
    let instrumented = Vm::default().prepare(&wasm).unwrap();
    for engine in engines() {
        engine
            .compile(&instrumented)
            .unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
    }
}

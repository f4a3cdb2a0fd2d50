//! Compile-time bombs: a module at each deploy-time maximum, and one at all of them at
//! once, deploys, compiles on both engines and runs to the same end; one more of anything
//! is refused. Compile times are printed (`--nocapture`) for the record, not asserted.

use crate::support::{call_agreeing, engines};
use std::fmt::Write;
use std::time::Instant;
use vnt_vm::profile::Limits;
use vnt_vm::testing::MemoryHost;
use vnt_vm::{DeployError, Status, Vm};

/// How big each part of a generated module is.
#[derive(Clone, Copy, Debug)]
struct Shape {
    functions: u32,
    params: u32,
    results: u32,
    locals: u32,
    nested_blocks: u32,
    /// Bytes of straight-line code (`i64.const 1; drop` pairs) in the called function.
    body_bytes: usize,
    br_table_targets: u32,
    table_elements: u64,
    element_segments: u32,
    data_segments: u32,
    memory_pages: u64,
    globals: u32,
    exports: u32,
}

impl Shape {
    fn small() -> Self {
        Self {
            functions: 3,
            params: 1,
            results: 1,
            locals: 1,
            nested_blocks: 1,
            body_bytes: 0,
            br_table_targets: 1,
            table_elements: 1,
            element_segments: 1,
            data_segments: 1,
            memory_pages: 1,
            globals: 1,
            exports: 2,
        }
    }

    fn maximal(limits: &Limits) -> Self {
        Self {
            functions: limits.functions,
            params: limits.params,
            results: limits.results,
            locals: limits.locals_per_function,
            // br_table's block and the blocks here share the per-function count.
            nested_blocks: limits.blocks_per_function - 1,
            // What the body limit leaves after the rest of the function: two bytes per local,
            // three per block, one per br_table target, and a little for the rest.
            body_bytes: limits.body_bytes
                - 2 * limits.locals_per_function as usize
                - 3 * limits.blocks_per_function as usize
                - limits.br_table_targets as usize
                - 1_000,
            br_table_targets: limits.br_table_targets,
            table_elements: limits.table_elements,
            element_segments: limits.element_segments,
            data_segments: limits.data_segments,
            memory_pages: limits.memory_pages,
            globals: limits.globals,
            exports: limits.exports,
        }
    }

    /// The module as WebAssembly text. Function 0 is `call` (exported), 1 is `$wide` (all
    /// parameters and results, called once), the rest are empty fillers.
    fn wat(&self) -> String {
        let mut w = String::from("(module\n");
        let pages = self.memory_pages;
        writeln!(w, "(memory (export \"memory\") {pages} {pages})").unwrap();
        let per_segment = (self.table_elements / self.element_segments as u64).max(1);
        let table = self
            .table_elements
            .max(per_segment * self.element_segments as u64);
        writeln!(w, "(table {table} funcref)").unwrap();
        for i in 0..self.globals {
            writeln!(w, "(global $g{i} (mut i64) (i64.const {i}))").unwrap();
        }
        w.push_str("(func $call (export \"call\")");
        w.push_str(&" (local i64)".repeat(self.locals as usize));
        w.push('\n');
        w.push_str(&"block\n".repeat(self.nested_blocks as usize));
        w.push_str(&"end\n".repeat(self.nested_blocks as usize));
        w.push_str(&"i64.const 1 drop\n".repeat(self.body_bytes / 3));
        let targets = "0 ".repeat(self.br_table_targets as usize);
        writeln!(w, "block i32.const 0 br_table {targets}0 end").unwrap();
        w.push_str(&"i64.const 2\n".repeat(self.params as usize));
        w.push_str("call $wide\n");
        w.push_str(&"drop\n".repeat(self.results as usize));
        w.push_str(")\n");
        let params = " i64".repeat(self.params as usize);
        let results = " i64".repeat(self.results as usize);
        let body = "local.get 0\n".repeat(self.results as usize);
        writeln!(w, "(func $wide (param{params}) (result{results})\n{body})").unwrap();
        for i in 2..self.functions {
            writeln!(w, "(func $f{i})").unwrap();
        }
        for i in 0..self.exports - 2 {
            writeln!(
                w,
                "(export \"e{i}\" (func $f{}))",
                2 + i % (self.functions - 2)
            )
            .unwrap();
        }
        for i in 0..self.element_segments as u64 {
            let funcs = "$wide ".repeat(per_segment as usize);
            writeln!(w, "(elem (i32.const {}) func {funcs})", i * per_segment).unwrap();
        }
        for i in 0..self.data_segments {
            writeln!(w, "(data (i32.const {i}) \"x\")").unwrap();
        }
        w.push(')');
        w
    }

    fn wasm(&self) -> Vec<u8> {
        wat::parse_str(self.wat()).expect("generated text is valid")
    }
}

/// Deploys on both engines, reports how long compiling took and runs `call`.
fn deploys_and_runs(name: &str, wasm: &[u8]) {
    let started = Instant::now();
    let instrumented = Vm::default()
        .prepare(wasm)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let prepared = started.elapsed();
    let compiled: Vec<_> = engines()
        .iter()
        .map(|engine| {
            let started = Instant::now();
            let compiled = engine
                .compile(&instrumented)
                .unwrap_or_else(|e| panic!("{name}: {} refused it: {e}", engine.name()));
            println!(
                "{name}: {} bytes, pipeline {prepared:?}, {} {:?}",
                wasm.len(),
                engine.name(),
                started.elapsed()
            );
            compiled
        })
        .collect();
    let (outcome, _) = call_agreeing(&compiled, &MemoryHost::default(), 100_000_000);
    assert_eq!(outcome.status, Status::Returned(Vec::new()), "{name}");
}

/// Each dimension of the shape, at its limit and one past it.
fn one_at_a_time(limits: &Limits) -> Vec<(&'static str, Shape, Shape)> {
    let max = Shape::maximal(limits);
    let small = Shape::small();
    let mut cases = Vec::new();
    macro_rules! case {
        ($field:ident) => {
            let mut at = small;
            at.$field = max.$field;
            let mut past = at;
            past.$field += 1;
            cases.push((stringify!($field), at, past));
        };
    }
    case!(functions);
    case!(params);
    case!(results);
    case!(locals);
    case!(nested_blocks);
    case!(br_table_targets);
    case!(table_elements);
    case!(element_segments);
    case!(data_segments);
    case!(memory_pages);
    case!(globals);
    case!(exports);
    cases
}

#[test]
fn every_limit_at_its_maximum_deploys_and_one_more_is_refused() {
    let limits = Limits::default();
    for (name, at, past) in one_at_a_time(&limits) {
        deploys_and_runs(name, &at.wasm());
        match Vm::default().prepare(&past.wasm()) {
            Err(DeployError::Rejected(rule)) => println!("{name} + 1: {rule}"),
            other => panic!("{name} + 1: expected a rejection, got {other:?}"),
        }
    }
}

#[test]
fn a_module_at_every_maximum_at_once_deploys_and_runs() {
    let limits = Limits::default();
    let wasm = Shape::maximal(&limits).wasm();
    assert!(
        wasm.len() <= limits.module_bytes,
        "{} bytes over the module limit",
        wasm.len()
    );
    deploys_and_runs("everything", &wasm);
}

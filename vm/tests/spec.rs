//! The WebAssembly specification test suite through our pipeline on both engines.
//!
//! Every script in `../shared/data/wasm-spec-testsuite` is read. Each module goes through the
//! deploy pipeline (profile + instrumentation, with size limits lifted so the scripts' own
//! memory and table sizes apply); modules using a disabled feature must be refused at deploy,
//! and every assertion about a deployed module must hold on wasmtime and on wasmer alike.
//! Assertions the VM cannot express (float or reference arguments and results, reading
//! exported globals, imports from the spec's `spectest` module or from other modules, start
//! functions) are counted as skipped; the counts are printed.

use crate::support::engines;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use vnt_vm::engine::{Instance, Invocation};
use vnt_vm::profile::{Limits, Rule};
use vnt_vm::testing::MemoryHost;
use vnt_vm::{DeployError, Status, TrapKind, Value, Vm};
use wast::core::{WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// Enough that the per-element and per-byte charges of the suite's largest bulk operations
/// (up to 2^32 elements) never run out before the operation's own bounds check.
const GAS: u64 = 100_000_000_000_000;

#[derive(Default, Debug)]
struct Tally {
    scripts: usize,
    unparsed_scripts: Vec<String>,
    modules_deployed: usize,
    modules_refused_disabled_feature: usize,
    modules_refused_other: BTreeMap<String, usize>,
    assertions_passed: usize,
    assertions_skipped: usize,
    failures: Vec<String>,
}

fn spec_vm() -> Vm {
    Vm {
        limits: Limits {
            module_bytes: usize::MAX,
            functions: u32::MAX,
            locals_per_function: u32::MAX,
            params: u32::MAX,
            results: u32::MAX,
            blocks_per_function: u32::MAX,
            body_bytes: usize::MAX,
            br_table_targets: u32::MAX,
            tables: u32::MAX,
            table_elements: 10_000_000,
            element_segments: u32::MAX,
            data_segments: u32::MAX,
            memory_pages: 65_536,
            globals: u32::MAX,
            exports: u32::MAX,
        },
        ..Vm::default()
    }
}

fn rule_name(rule: &Rule) -> String {
    format!("{rule:?}")
        .split(['{', '(', ' '])
        .next()
        .unwrap_or_default()
        .to_string()
}

type Pair = Vec<Box<dyn Instance>>;

struct Runner<'t> {
    vm: Vm,
    tally: &'t mut Tally,
    script: String,
    instances: HashMap<String, Pair>,
    current: Option<String>,
    /// Set once a module that links to another (through imports) is refused: the script's
    /// later assertions may depend on effects that link would have had.
    linking_refused: bool,
    /// Names modules were registered under in this script.
    registered: Vec<String>,
}

/// The module names a module imports from.
fn imports_from(wasm: &[u8]) -> Vec<String> {
    let mut modules = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        if let wasmparser::Payload::ImportSection(reader) = payload {
            modules.extend(reader.into_iter().flatten().map(|i| i.module.to_string()));
        }
    }
    modules
}

enum Deploy {
    Instances(Pair),
    Refused(Rule),
    NotInstantiated(TrapKind),
}

impl Runner<'_> {
    fn fail(&mut self, what: String) {
        self.tally.failures.push(format!("{}: {what}", self.script));
    }

    fn deploy(&mut self, wasm: &[u8]) -> Deploy {
        let instrumented = match self.vm.prepare(wasm) {
            Ok(instrumented) => instrumented,
            Err(DeployError::Rejected(rule)) => {
                if imports_from(wasm)
                    .iter()
                    .any(|m| self.registered.contains(m))
                {
                    self.linking_refused = true;
                }
                return Deploy::Refused(rule);
            }
            Err(other) => panic!("{}: instrumentation failed: {other}", self.script),
        };
        let mut pair = Vec::new();
        for engine in engines() {
            let compiled = match engine.compile(&instrumented) {
                Ok(compiled) => compiled,
                Err(e) => panic!(
                    "{}: {} cannot compile an instrumented module: {e}",
                    self.script,
                    engine.name()
                ),
            };
            match compiled.instantiate(Box::new(MemoryHost::default())) {
                Ok(instance) => pair.push(instance),
                Err((kind, _)) => {
                    if !pair.is_empty() {
                        panic!(
                            "{}: only {} failed to instantiate: {kind:?}",
                            self.script,
                            engine.name()
                        );
                    }
                    return Deploy::NotInstantiated(kind);
                }
            }
        }
        Deploy::Instances(pair)
    }

    fn module(&mut self, mut module: QuoteWat) {
        let name = match &module {
            QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
            _ => None,
        };
        let key = name.unwrap_or_else(|| format!("#{}", self.instances.len()));
        self.current = None;
        let Ok(wasm) = module.encode() else {
            self.fail("a module does not encode".into());
            return;
        };
        match self.deploy(&wasm) {
            Deploy::Instances(pair) => {
                self.tally.modules_deployed += 1;
                self.instances.insert(key.clone(), pair);
                self.current = Some(key);
            }
            Deploy::Refused(Rule::DisabledFeature(_)) => {
                self.tally.modules_refused_disabled_feature += 1
            }
            Deploy::Refused(rule) => {
                *self
                    .tally
                    .modules_refused_other
                    .entry(rule_name(&rule))
                    .or_default() += 1
            }
            Deploy::NotInstantiated(kind) => {
                self.fail(format!("module failed to instantiate: {kind:?}"))
            }
        }
    }

    /// Runs an invocation on both engines; `None` when it cannot be expressed here.
    fn invoke(&mut self, invoke: &WastInvoke) -> Option<Invocation> {
        let key = match invoke.module {
            Some(id) => id.name().to_string(),
            None => self.current.clone()?,
        };
        let args = invoke
            .args
            .iter()
            .map(|arg| match arg {
                WastArg::Core(WastArgCore::I32(x)) => Some(Value::I32(*x)),
                WastArg::Core(WastArgCore::I64(x)) => Some(Value::I64(*x)),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let pair = self.instances.get_mut(&key)?;
        let runs: Vec<Invocation> = pair
            .iter_mut()
            .map(|i| i.invoke(invoke.name, &args, GAS))
            .collect();
        if runs[0].outcome.status
            == Status::Trapped(TrapKind::MissingExport(invoke.name.to_string()))
        {
            return None; // float or reference results, which the VM does not return
        }
        if runs[1] != runs[0] {
            self.fail(format!(
                "engines disagree on {}: {:?} vs {:?}",
                invoke.name, runs[0], runs[1]
            ));
        }
        Some(runs.into_iter().next().expect("two engines"))
    }

    fn directive(&mut self, directive: WastDirective) {
        if self.linking_refused && !matches!(directive, WastDirective::Module(_)) {
            self.tally.assertions_skipped += 1;
            return;
        }
        match directive {
            WastDirective::Module(module) => self.module(module),
            WastDirective::Register { name, .. } => {
                self.registered.push(name.to_string());
                self.tally.assertions_skipped += 1;
            }
            WastDirective::Invoke(invoke) => {
                if self.invoke(&invoke).is_none() {
                    self.tally.assertions_skipped += 1;
                }
            }
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(invoke),
                results,
                ..
            } => {
                let expected = results
                    .iter()
                    .map(|r| match r {
                        WastRet::Core(WastRetCore::I32(x)) => Some(Value::I32(*x)),
                        WastRet::Core(WastRetCore::I64(x)) => Some(Value::I64(*x)),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>();
                match (expected, self.invoke(&invoke)) {
                    (Some(expected), Some(run)) => {
                        if run.outcome.status == Status::Returned(Vec::new())
                            && run.results == expected
                        {
                            self.tally.assertions_passed += 1;
                        } else {
                            self.fail(format!(
                                "{} returned {:?}, expected {expected:?}",
                                invoke.name, run
                            ));
                        }
                    }
                    _ => self.tally.assertions_skipped += 1,
                }
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Invoke(invoke),
                message,
                ..
            } => match self.invoke(&invoke) {
                Some(run) => match &run.outcome.status {
                    Status::Trapped(kind) if trap_matches(kind, message) => {
                        self.tally.assertions_passed += 1
                    }
                    other => self.fail(format!(
                        "{} ended {other:?}, expected trap `{message}`",
                        invoke.name
                    )),
                },
                None => self.tally.assertions_skipped += 1,
            },
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(mut wat),
                message,
                ..
            } => {
                let Ok(wasm) = wat.encode() else {
                    self.fail("a module does not encode".into());
                    return;
                };
                match self.deploy(&wasm) {
                    Deploy::NotInstantiated(kind)
                        if trap_matches(&kind, message) || kind == TrapKind::Instantiation =>
                    {
                        self.tally.assertions_passed += 1
                    }
                    Deploy::Refused(_) => self.tally.assertions_skipped += 1,
                    _ => self.fail(format!("module instantiated, expected trap `{message}`")),
                }
            }
            WastDirective::AssertExhaustion { call, .. } => match self.invoke(&call) {
                Some(run) if run.outcome.status == Status::Trapped(TrapKind::StackOverflow) => {
                    self.tally.assertions_passed += 1
                }
                Some(run) => self.fail(format!(
                    "{} ended {:?}, expected stack exhaustion",
                    call.name, run.outcome
                )),
                None => self.tally.assertions_skipped += 1,
            },
            WastDirective::AssertInvalid { mut module, .. }
            | WastDirective::AssertMalformed { mut module, .. } => {
                match module.encode() {
                    Err(_) => self.tally.assertions_passed += 1, // refused before it is bytes
                    Ok(wasm) => match self.vm.prepare(&wasm) {
                        Err(_) => self.tally.assertions_passed += 1,
                        Ok(_) => self.fail("an invalid or malformed module was accepted".into()),
                    },
                }
            }
            WastDirective::AssertUnlinkable { mut module, .. } => match module.encode() {
                Ok(wasm) => match self.deploy(&wasm) {
                    Deploy::Instances(_) => self.fail("an unlinkable module linked".into()),
                    _ => self.tally.assertions_passed += 1,
                },
                Err(_) => self.tally.assertions_skipped += 1,
            },
            _ => self.tally.assertions_skipped += 1,
        }
    }
}

/// Whether our trap kind is the one the script's message names.
fn trap_matches(kind: &TrapKind, message: &str) -> bool {
    match kind {
        TrapKind::Unreachable => message.contains("unreachable"),
        TrapKind::MemoryOutOfBounds => message.contains("out of bounds memory access"),
        TrapKind::TableOutOfBounds => {
            message.contains("undefined element") || message.contains("out of bounds table access")
        }
        TrapKind::IndirectCallToNull => {
            message.contains("uninitialized element") || message.contains("undefined element")
        }
        TrapKind::BadSignature => message.contains("indirect call type mismatch"),
        TrapKind::IntegerOverflow => message.contains("integer overflow"),
        TrapKind::DivisionByZero => message.contains("integer divide by zero"),
        TrapKind::StackOverflow => message.contains("call stack exhausted"),
        TrapKind::Instantiation => message.contains("out of bounds"),
        _ => false,
    }
}

#[test]
fn the_spec_suite_passes_on_both_engines_or_is_refused_at_deploy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/wasm-spec-testsuite");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .collect();
    scripts.sort();
    let mut tally = Tally::default();
    for path in &scripts {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(buffer) = ParseBuffer::new(&text) else {
            tally.unparsed_scripts.push(name);
            continue;
        };
        let Ok(wast) = parser::parse::<Wast>(&buffer) else {
            tally.unparsed_scripts.push(name);
            continue;
        };
        tally.scripts += 1;
        let mut runner = Runner {
            vm: spec_vm(),
            tally: &mut tally,
            script: name,
            instances: HashMap::new(),
            current: None,
            linking_refused: false,
            registered: Vec::new(),
        };
        for directive in wast.directives {
            runner.directive(directive);
        }
    }
    println!(
        "spec suite: {} scripts run ({} unparsed), {} modules deployed, {} refused for disabled features, \
         {:?} refused by other rules; {} assertions passed on both engines, {} skipped",
        tally.scripts,
        tally.unparsed_scripts.len(),
        tally.modules_deployed,
        tally.modules_refused_disabled_feature,
        tally.modules_refused_other,
        tally.assertions_passed,
        tally.assertions_skipped,
    );
    assert!(
        tally.failures.is_empty(),
        "{} failures:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.assertions_passed > 10_000,
        "too few assertions ran: {}",
        tally.assertions_passed
    );
}

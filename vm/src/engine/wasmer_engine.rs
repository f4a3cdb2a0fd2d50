//! The second engine: wasmer with its singlepass compiler (linear-time compilation).

use super::{
    CompileError, Compiled, Engine, Instance, Invocation, RawEnd, TrapKind, Value, settle,
};
use crate::host::{Exit, FUNCTIONS, Guest, Host, Ty};
use crate::instrument::{GAS_EXPORT, STACK_EXPORT, TRAP_EXPORT};
use wasmer::sys::{EngineBuilder, Features, Singlepass};
use wasmer::{
    Function, FunctionEnv, FunctionEnvMut, FunctionType, Global, Imports, Memory, Module,
    RuntimeError, Store, Type, Value as WasmValue,
};

/// The wasmer version pinned in the workspace `Cargo.toml` (a test holds them together).
pub const VERSION: &str = "7.4.2";

/// wasmer, singlepass backend.
pub struct Wasmer {
    engine: wasmer::Engine,
}

impl Default for Wasmer {
    fn default() -> Self {
        Self::new()
    }
}

impl Wasmer {
    pub fn new() -> Self {
        let mut compiler = Singlepass::default();
        compiler.canonicalize_nans(true);
        let mut features = Features::new();
        features
            .simd(false)
            .threads(false)
            .multi_memory(false)
            .memory64(false)
            .tail_call(false)
            .exceptions(false)
            .reference_types(true)
            .bulk_memory(true)
            .multi_value(true);
        let engine = EngineBuilder::new(compiler)
            .set_features(Some(features))
            .engine();
        Self {
            engine: engine.into(),
        }
    }
}

impl Engine for Wasmer {
    fn name(&self) -> &'static str {
        "wasmer"
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn compile(&self, instrumented: &[u8]) -> Result<Box<dyn Compiled>, CompileError> {
        let module = Module::new(&self.engine, instrumented).map_err(|e| CompileError {
            engine: "wasmer",
            reason: e.to_string(),
        })?;
        Ok(Box::new(WasmerModule {
            engine: self.engine.clone(),
            module,
        }))
    }
}

struct WasmerModule {
    engine: wasmer::Engine,
    module: Module,
}

struct Env {
    host: Option<Box<dyn Host>>,
    memory: Option<Memory>,
    gas: Option<Global>,
    last_result: Vec<u8>,
}

fn wasm_type(ty: Ty) -> Type {
    match ty {
        Ty::I32 => Type::I32,
        Ty::I64 => Type::I64,
    }
}

fn imports(store: &mut Store, env: &FunctionEnv<Env>) -> Imports {
    let mut imports = Imports::new();
    for function in FUNCTIONS {
        let ty = FunctionType::new(
            function
                .params
                .iter()
                .map(|t| wasm_type(*t))
                .collect::<Vec<_>>(),
            function
                .results
                .iter()
                .map(|t| wasm_type(*t))
                .collect::<Vec<_>>(),
        );
        let (call, result_types) = (function.call, function.results);
        let native = Function::new_with_env(
            store,
            env,
            ty,
            move |env: FunctionEnvMut<Env>, params: &[WasmValue]| {
                let args: Vec<u64> = params
                    .iter()
                    .map(|v| match v {
                        WasmValue::I32(x) => *x as u32 as u64,
                        WasmValue::I64(x) => *x as u64,
                        _ => 0,
                    })
                    .collect();
                let mut guest = WasmerGuest { env };
                match call(&mut guest, &args) {
                    Ok(Some(value)) => Ok(vec![match result_types[0] {
                        Ty::I32 => WasmValue::I32(value as i32),
                        Ty::I64 => WasmValue::I64(value as i64),
                    }]),
                    Ok(None) => Ok(Vec::new()),
                    Err(exit) => Err(RuntimeError::user(Box::new(exit))),
                }
            },
        );
        imports.define(function.module, function.name, native);
    }
    imports
}

fn classify(error: RuntimeError) -> RawEnd {
    if let Some(exit) = error.downcast_ref::<Exit>() {
        return RawEnd::Exited(exit.clone());
    }
    use wasmer_types::TrapCode;
    let kind = match error.clone().to_trap() {
        Some(TrapCode::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(TrapCode::HeapAccessOutOfBounds) => TrapKind::MemoryOutOfBounds,
        Some(TrapCode::TableAccessOutOfBounds) => TrapKind::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => TrapKind::IndirectCallToNull,
        Some(TrapCode::BadSignature) => TrapKind::BadSignature,
        Some(TrapCode::IntegerOverflow) => TrapKind::IntegerOverflow,
        Some(TrapCode::IntegerDivisionByZero) => TrapKind::DivisionByZero,
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        Some(other) => TrapKind::Other(format!("{other:?}")),
        None => TrapKind::Other(error.message()),
    };
    RawEnd::Trap(kind)
}

impl Compiled for WasmerModule {
    fn instantiate(
        &self,
        host: Box<dyn Host>,
    ) -> Result<Box<dyn Instance>, (TrapKind, Box<dyn Host>)> {
        let mut store = Store::new(self.engine.clone());
        let env = FunctionEnv::new(
            &mut store,
            Env {
                host: Some(host),
                memory: None,
                gas: None,
                last_result: Vec::new(),
            },
        );
        let imports = imports(&mut store, &env);
        let instance = match wasmer::Instance::new(&mut store, &self.module, &imports) {
            Ok(instance) => instance,
            Err(_) => {
                let host = env
                    .as_mut(&mut store)
                    .host
                    .take()
                    .expect("the host is given back once");
                return Err((TrapKind::Instantiation, host));
            }
        };
        let global = |name: &str| {
            instance
                .exports
                .get_global(name)
                .expect("instrumented modules export their globals")
                .clone()
        };
        let (gas, trap, stack) = (
            global(GAS_EXPORT),
            global(TRAP_EXPORT),
            global(STACK_EXPORT),
        );
        let state = env.as_mut(&mut store);
        state.memory = instance.exports.get_memory("memory").ok().cloned();
        state.gas = Some(gas.clone());
        Ok(Box::new(WasmerInstance {
            store,
            env,
            instance,
            gas,
            trap,
            stack,
        }))
    }
}

struct WasmerInstance {
    store: Store,
    env: FunctionEnv<Env>,
    instance: wasmer::Instance,
    gas: Global,
    trap: Global,
    stack: Global,
}

impl Instance for WasmerInstance {
    fn invoke(&mut self, export: &str, args: &[Value], gas_limit: u64) -> Invocation {
        let store = &mut self.store;
        self.gas
            .set(store, WasmValue::I64(gas_limit as i64))
            .expect("mutable i64");
        self.trap
            .set(store, WasmValue::I32(0))
            .expect("mutable i32");
        self.stack
            .set(store, WasmValue::I32(0))
            .expect("mutable i32");
        let mut results = Vec::new();
        let end = match self.instance.exports.get_function(export) {
            Err(_) => RawEnd::Trap(TrapKind::MissingExport(export.to_string())),
            Ok(function) => {
                let ty = function.ty(store);
                let params: Vec<WasmValue> = args
                    .iter()
                    .map(|v| match v {
                        Value::I32(x) => WasmValue::I32(*x),
                        Value::I64(x) => WasmValue::I64(*x),
                    })
                    .collect();
                let well_typed = ty.params().len() == params.len()
                    && ty.params().iter().zip(&params).all(|(t, v)| *t == v.ty())
                    && ty
                        .results()
                        .iter()
                        .all(|t| matches!(t, Type::I32 | Type::I64));
                if !well_typed {
                    RawEnd::Trap(TrapKind::MissingExport(export.to_string()))
                } else {
                    match function.call(store, &params) {
                        Ok(out) => {
                            results = out
                                .iter()
                                .map(|v| match v {
                                    WasmValue::I64(x) => Value::I64(*x),
                                    WasmValue::I32(x) => Value::I32(*x),
                                    _ => Value::I32(0),
                                })
                                .collect();
                            RawEnd::Finished
                        }
                        Err(error) => classify(error),
                    }
                }
            }
        };
        let gas_left = self.gas.get(store).unwrap_i64() as u64;
        let reason = self.trap.get(store).unwrap_i32();
        Invocation {
            outcome: settle(end, reason, gas_left, gas_limit),
            results,
        }
    }

    fn into_host(mut self: Box<Self>) -> Box<dyn Host> {
        self.env
            .as_mut(&mut self.store)
            .host
            .take()
            .expect("the host is given back once")
    }
}

struct WasmerGuest<'a> {
    env: FunctionEnvMut<'a, Env>,
}

impl Guest for WasmerGuest<'_> {
    fn read(&mut self, ptr: u32, len: u32) -> Result<Vec<u8>, Exit> {
        let out_of_bounds = Exit::OutOfBounds { ptr, len };
        let (data, store) = self.env.data_and_store_mut();
        let Some(memory) = &data.memory else {
            return if len == 0 {
                Ok(Vec::new())
            } else {
                Err(out_of_bounds)
            };
        };
        let view = memory.view(&store);
        let end = (ptr as u64)
            .checked_add(len as u64)
            .filter(|end| *end <= view.data_size());
        if end.is_none() {
            return Err(out_of_bounds);
        }
        let mut buffer = vec![0u8; len as usize];
        view.read(ptr as u64, &mut buffer)
            .map_err(|_| out_of_bounds)?;
        Ok(buffer)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Exit> {
        let out_of_bounds = Exit::OutOfBounds {
            ptr,
            len: bytes.len() as u32,
        };
        let (data, store) = self.env.data_and_store_mut();
        let Some(memory) = &data.memory else {
            return if bytes.is_empty() {
                Ok(())
            } else {
                Err(out_of_bounds)
            };
        };
        let view = memory.view(&store);
        let end = (ptr as u64)
            .checked_add(bytes.len() as u64)
            .filter(|end| *end <= view.data_size());
        if end.is_none() {
            return Err(out_of_bounds);
        }
        view.write(ptr as u64, bytes).map_err(|_| out_of_bounds)
    }

    fn gas_left(&mut self) -> u64 {
        let (data, mut store) = self.env.data_and_store_mut();
        let gas = data.gas.as_ref().expect("set before the call");
        gas.get(&mut store).unwrap_i64() as u64
    }

    fn set_gas_left(&mut self, left: u64) {
        let (data, mut store) = self.env.data_and_store_mut();
        let gas = data.gas.as_ref().expect("set before the call");
        gas.set(&mut store, WasmValue::I64(left as i64))
            .expect("the gas global is a mutable i64");
    }

    fn host(&mut self) -> &mut dyn Host {
        &mut **self
            .env
            .data_mut()
            .host
            .as_mut()
            .expect("the host is present during calls")
    }

    fn last_result(&mut self) -> &mut Vec<u8> {
        &mut self.env.data_mut().last_result
    }
}

//! The default engine: wasmtime with its Winch baseline compiler, configured to the
//! determinism profile.

use super::{
    CompileError, Compiled, Engine, Instance, Invocation, Outcome, RawEnd, TrapKind, Value, settle,
};
use crate::host::{Exit, FUNCTIONS, Guest, Host, Ty};
use crate::instrument::{GAS_EXPORT, STACK_EXPORT, TRAP_EXPORT};
use wasmtime::{Caller, Config, FuncType, Linker, Module, Store, Strategy, Trap, Val, ValType};

/// The wasmtime version pinned in the workspace `Cargo.toml` (a test holds them together).
pub const VERSION: &str = "48.0.8";

struct StoreData {
    host: Box<dyn Host>,
    last_result: Vec<u8>,
    /// The instance's exports host functions use, looked up once at instantiation rather
    /// than by name on every call.
    memory: Option<wasmtime::Memory>,
    gas: Option<wasmtime::Global>,
}

/// wasmtime, Winch backend.
pub struct Wasmtime {
    engine: wasmtime::Engine,
    linker: Linker<StoreData>,
}

impl Default for Wasmtime {
    fn default() -> Self {
        Self::new()
    }
}

fn val_type(ty: Ty) -> ValType {
    match ty {
        Ty::I32 => ValType::I32,
        Ty::I64 => ValType::I64,
    }
}

impl Wasmtime {
    pub fn new() -> Self {
        let mut config = Config::new();
        // Winch, wasmtime's baseline compiler, compiles in time linear in the module's size.
        // Cranelift optimises better but its time grows faster than linearly with the
        // number of basic blocks in a function (a 48 KB function of 16,000 empty blocks
        // took 3.5 s against Winch's 44 ms here), and deploying must not be a bomb.
        config
            .strategy(Strategy::Winch)
            .cranelift_nan_canonicalization(true)
            .wasm_simd(false)
            .wasm_relaxed_simd(false)
            .wasm_multi_memory(false)
            .wasm_memory64(false)
            .wasm_tail_call(false)
            .wasm_bulk_memory(true)
            .wasm_multi_value(true)
            .max_wasm_stack(1 << 20)
            .wasm_backtrace_max_frames(None);
        let engine = wasmtime::Engine::new(&config).expect("the wasmtime configuration is valid");
        let mut linker = Linker::new(&engine);
        for function in FUNCTIONS {
            let ty = FuncType::new(
                &engine,
                function.params.iter().map(|t| val_type(*t)),
                function.results.iter().map(|t| val_type(*t)),
            );
            let (call, result_types) = (function.call, function.results);
            linker
                .func_new(
                    function.module,
                    function.name,
                    ty,
                    move |mut caller, params, results| {
                        let args: Vec<u64> = params
                            .iter()
                            .map(|v| match v {
                                Val::I32(x) => *x as u32 as u64,
                                Val::I64(x) => *x as u64,
                                _ => 0,
                            })
                            .collect();
                        let mut guest = WasmtimeGuest {
                            caller: &mut caller,
                        };
                        match call(&mut guest, &args) {
                            Ok(Some(value)) => {
                                results[0] = match result_types[0] {
                                    Ty::I32 => Val::I32(value as i32),
                                    Ty::I64 => Val::I64(value as i64),
                                };
                                Ok(())
                            }
                            Ok(None) => Ok(()),
                            Err(exit) => Err(wasmtime::Error::new(exit)),
                        }
                    },
                )
                .expect("host function names are unique");
        }
        Self { engine, linker }
    }
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn compile(&self, instrumented: &[u8]) -> Result<Box<dyn Compiled>, CompileError> {
        let module = Module::new(&self.engine, instrumented).map_err(|e| CompileError {
            engine: "wasmtime",
            reason: e.to_string(),
        })?;
        Ok(Box::new(WasmtimeModule {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            module,
        }))
    }
}

struct WasmtimeModule {
    engine: wasmtime::Engine,
    linker: Linker<StoreData>,
    module: Module,
}

fn classify(error: &wasmtime::Error) -> RawEnd {
    if let Some(exit) = error.downcast_ref::<Exit>() {
        return RawEnd::Exited(exit.clone());
    }
    let kind = match error.downcast_ref::<Trap>() {
        Some(Trap::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(Trap::MemoryOutOfBounds) => TrapKind::MemoryOutOfBounds,
        Some(Trap::TableOutOfBounds) => TrapKind::TableOutOfBounds,
        Some(Trap::IndirectCallToNull) => TrapKind::IndirectCallToNull,
        Some(Trap::BadSignature) => TrapKind::BadSignature,
        Some(Trap::IntegerOverflow) => TrapKind::IntegerOverflow,
        Some(Trap::IntegerDivisionByZero) => TrapKind::DivisionByZero,
        Some(Trap::StackOverflow) => TrapKind::StackOverflow,
        Some(other) => TrapKind::Other(format!("{other:?}")),
        None => TrapKind::Other(error.to_string()),
    };
    RawEnd::Trap(kind)
}

impl Compiled for WasmtimeModule {
    fn instantiate(
        &self,
        host: Box<dyn Host>,
    ) -> Result<Box<dyn Instance>, (TrapKind, Box<dyn Host>)> {
        let mut store = Store::new(
            &self.engine,
            StoreData {
                host,
                last_result: Vec::new(),
                memory: None,
                gas: None,
            },
        );
        match self.linker.instantiate(&mut store, &self.module) {
            Ok(instance) => {
                let memory = instance.get_memory(&mut store, "memory");
                let gas = instance.get_global(&mut store, GAS_EXPORT);
                let data = store.data_mut();
                data.memory = memory;
                data.gas = gas;
                Ok(Box::new(WasmtimeInstance { store, instance }))
            }
            Err(_) => Err((TrapKind::Instantiation, store.into_data().host)),
        }
    }
}

struct WasmtimeInstance {
    store: Store<StoreData>,
    instance: wasmtime::Instance,
}

impl WasmtimeInstance {
    fn global(&mut self, name: &str) -> wasmtime::Global {
        self.instance
            .get_global(&mut self.store, name)
            .expect("instrumented modules export their globals")
    }
}

impl Instance for WasmtimeInstance {
    fn invoke(&mut self, export: &str, args: &[Value], gas_limit: u64) -> Invocation {
        let gas = self.global(GAS_EXPORT);
        let trap = self.global(TRAP_EXPORT);
        let stack = self.global(STACK_EXPORT);
        gas.set(&mut self.store, Val::I64(gas_limit as i64))
            .expect("mutable i64");
        trap.set(&mut self.store, Val::I32(0)).expect("mutable i32");
        stack
            .set(&mut self.store, Val::I32(0))
            .expect("mutable i32");
        let mut results = Vec::new();
        let end = match self.instance.get_func(&mut self.store, export) {
            None => RawEnd::Trap(TrapKind::MissingExport(export.to_string())),
            Some(function) => {
                let ty = function.ty(&self.store);
                let is_int = |t: &ValType| matches!(t, ValType::I32 | ValType::I64);
                let params: Vec<Val> = args
                    .iter()
                    .map(|v| match v {
                        Value::I32(x) => Val::I32(*x),
                        Value::I64(x) => Val::I64(*x),
                    })
                    .collect();
                let well_typed = ty.params().len() == params.len()
                    && ty.params().zip(&params).all(|(t, v)| match v {
                        Val::I32(_) => matches!(t, ValType::I32),
                        _ => matches!(t, ValType::I64),
                    })
                    && ty.results().all(|t| is_int(&t));
                if !well_typed {
                    return Invocation {
                        outcome: Outcome {
                            status: super::Status::Trapped(TrapKind::MissingExport(
                                export.to_string(),
                            )),
                            gas_used: 0,
                        },
                        results,
                    };
                }
                let mut out: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
                match function.call(&mut self.store, &params, &mut out) {
                    Ok(()) => {
                        results = out
                            .iter()
                            .map(|v| match v {
                                Val::I32(x) => Value::I32(*x),
                                Val::I64(x) => Value::I64(*x),
                                _ => Value::I32(0),
                            })
                            .collect();
                        RawEnd::Finished
                    }
                    Err(error) => classify(&error),
                }
            }
        };
        let gas_left = gas.get(&mut self.store).unwrap_i64() as u64;
        let reason = trap.get(&mut self.store).unwrap_i32();
        Invocation {
            outcome: settle(end, reason, gas_left, gas_limit),
            results,
        }
    }

    fn into_host(self: Box<Self>) -> Box<dyn Host> {
        self.store.into_data().host
    }
}

struct WasmtimeGuest<'a, 'b> {
    caller: &'a mut Caller<'b, StoreData>,
}

impl WasmtimeGuest<'_, '_> {
    fn memory(&mut self) -> Option<wasmtime::Memory> {
        self.caller.data().memory
    }

    fn gas(&mut self) -> wasmtime::Global {
        self.caller
            .data()
            .gas
            .expect("instrumented modules export their gas global")
    }
}

impl Guest for WasmtimeGuest<'_, '_> {
    fn read(&mut self, ptr: u32, len: u32) -> Result<Vec<u8>, Exit> {
        let out_of_bounds = Exit::OutOfBounds { ptr, len };
        let Some(memory) = self.memory() else {
            return if len == 0 {
                Ok(Vec::new())
            } else {
                Err(out_of_bounds)
            };
        };
        let data = memory.data(&*self.caller);
        let end = (ptr as usize)
            .checked_add(len as usize)
            .filter(|end| *end <= data.len());
        end.map(|end| data[ptr as usize..end].to_vec())
            .ok_or(out_of_bounds)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Exit> {
        let out_of_bounds = Exit::OutOfBounds {
            ptr,
            len: bytes.len() as u32,
        };
        let Some(memory) = self.memory() else {
            return if bytes.is_empty() {
                Ok(())
            } else {
                Err(out_of_bounds)
            };
        };
        let data = memory.data_mut(&mut *self.caller);
        let end = (ptr as usize)
            .checked_add(bytes.len())
            .filter(|end| *end <= data.len());
        let end = end.ok_or(out_of_bounds)?;
        data[ptr as usize..end].copy_from_slice(bytes);
        Ok(())
    }

    fn gas_left(&mut self) -> u64 {
        let gas = self.gas();
        gas.get(&mut *self.caller).unwrap_i64() as u64
    }

    fn set_gas_left(&mut self, left: u64) {
        let gas = self.gas();
        gas.set(&mut *self.caller, Val::I64(left as i64))
            .expect("the gas global is a mutable i64");
    }

    fn host(&mut self) -> &mut dyn Host {
        &mut *self.caller.data_mut().host
    }

    fn last_result(&mut self) -> &mut Vec<u8> {
        &mut self.caller.data_mut().last_result
    }
}

//! The compiled-module cache only saves time: cold, warm and disabled caches give identical
//! results, and anything that changes the compiled code changes the key.

use crate::support::{corpus, engines};
use vnt_vm::cache::ModuleCache;
use vnt_vm::engine;
use vnt_vm::testing::MemoryHost;
use vnt_vm::{Outcome, Vm};

fn run(vm: &Vm, cache: &ModuleCache, engine: &dyn vnt_vm::Engine) -> (Outcome, MemoryHost) {
    let compiled = vm.load(engine, cache, &corpus("counter.wat")).unwrap();
    let (outcome, host) = engine::call(
        compiled.as_ref(),
        Box::<MemoryHost>::default(),
        "call",
        10_000_000,
    );
    let any: Box<dyn std::any::Any> = host;
    (outcome, *any.downcast::<MemoryHost>().unwrap())
}

#[test]
fn cold_warm_and_disabled_caches_give_the_same_result() {
    let vm = Vm::default();
    for engine in engines() {
        let cache = ModuleCache::default();
        let cold = run(&vm, &cache, engine.as_ref());
        let warm = run(&vm, &cache, engine.as_ref());
        let disabled = run(&vm, &ModuleCache::new(0), engine.as_ref());
        assert_eq!(cold, warm, "{}", engine.name());
        assert_eq!(cold, disabled, "{}", engine.name());
        assert_eq!(cache.hits_and_misses(), (1, 1), "{}", engine.name());
        assert_eq!(cache.len(), 1);
    }
}

#[test]
fn the_key_covers_the_engine_and_the_cost_table() {
    let cache = ModuleCache::default();
    let vm = Vm::default();
    for engine in engines() {
        run(&vm, &cache, engine.as_ref());
    }
    assert_eq!(cache.len(), 2, "one entry per engine");

    let mut dearer = Vm::default();
    dearer.costs.simple += 1;
    assert_ne!(dearer.fingerprint(), vm.fingerprint());
    let (cheap, _) = run(&vm, &cache, engines()[0].as_ref());
    let (dear, _) = run(&dearer, &cache, engines()[0].as_ref());
    assert_eq!(cache.len(), 3, "a new table compiles anew");
    assert!(
        dear.gas_used > cheap.gas_used,
        "and charges by the new table"
    );

    let mut tighter = Vm::default();
    tighter.limits.memory_pages -= 1;
    assert_ne!(tighter.fingerprint(), vm.fingerprint());
}

#[test]
fn the_cache_drops_its_oldest_entry_when_full() {
    let cache = ModuleCache::new(1);
    let vm = Vm::default();
    let engine = engines()[0].as_ref();
    vm.load(engine, &cache, &corpus("counter.wat")).unwrap();
    vm.load(engine, &cache, &corpus("echo.wat")).unwrap();
    vm.load(engine, &cache, &corpus("counter.wat")).unwrap();
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.hits_and_misses(), (0, 3));
}

#[test]
fn engine_versions_in_cache_keys_match_the_lockfile() {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
    for engine in engines() {
        let entry = format!(
            "name = \"{}\"\nversion = \"{}\"\n",
            engine.name(),
            engine.version()
        );
        assert!(lock.contains(&entry), "Cargo.lock has no {entry:?}");
    }
}

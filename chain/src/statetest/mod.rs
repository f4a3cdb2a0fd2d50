//! Ethereum's state tests, run through the ledger's own state and execution.
//!
//! A state test gives a pre-state, a block environment and signed transactions, and for
//! each fork the state root and logs hash every transaction must leave (or that it must be
//! refused). The runner checks the `Cancun` expectations, the rule set our chain runs,
//! through the path a block takes: the pre-state goes into a [`crate::state::WorldState`]
//! as a state diff, the transaction is decoded and its sender recovered, a
//! [`crate::execution::BlockExecutor`] executes it in revm with our handler and
//! precompiles, the block's diff is applied and [`crate::state::WorldState::state_root`]
//! hashes the result. Passing them shows that our state, diff and trie agree with Ethereum,
//! not only that revm does.
//!
//! Start at [`run_paths`] (what `vnt evm statetest` calls) or [`run::run_file`]. The fixture
//! shape is in [`fixture`]. Block hashes follow the state tests' convention
//! ([`run::FixtureBlockHashes`]).

pub mod fixture;
pub mod run;

pub use fixture::{FORK, Indexes};
pub use run::{CaseResult, Failure, FixtureBlockHashes, FixtureError, PreparedTest, run_file};

use crate::execution::WasmRuntime;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The results of one fixture file, or why it could not be run.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub results: Result<Vec<CaseResult>, FixtureError>,
}

/// Every `*.json` file under `paths` (a file is taken as it is, a directory recursively),
/// in a stable order.
pub fn fixture_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_json(path, &mut files)?;
        } else {
            // A missing file surfaces here rather than as a silently empty run.
            std::fs::metadata(path)?;
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect_json(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_json(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    Ok(())
}

/// Runs `files` on `threads` threads and returns their reports in the order of `files`;
/// `progress` is called with each file's path as the file ends.
///
/// Files are read and prepared first, then every post entry is a job of its own: a few
/// fixtures hold most of the work in a handful of entries (`vmPerformance/loopMul.json`),
/// and spreading those over the threads is what keeps the run short.
pub fn run_paths(
    files: &[PathBuf],
    threads: usize,
    progress: &(dyn Fn(&Path) + Sync),
) -> Vec<FileReport> {
    let wasm = Arc::new(WasmRuntime::default());
    let prepared = parallel_map(files.len(), threads, |index| prepare_file(&files[index]));
    let mut jobs = Vec::new();
    let mut remaining = Vec::new();
    for (file, tests) in prepared.iter().enumerate() {
        let tests = tests.as_deref().unwrap_or_default();
        let mut count = 0;
        for (test, prepared_test) in tests.iter().enumerate() {
            for entry in 0..prepared_test.entries() {
                jobs.push((file, test, entry));
                count += 1;
            }
        }
        if count == 0 {
            progress(&files[file]);
        }
        remaining.push(AtomicUsize::new(count));
    }
    let mut results = parallel_map(jobs.len(), threads, |job| {
        let (file, test, entry) = jobs[job];
        let tests = prepared[file]
            .as_ref()
            .expect("only prepared files have jobs");
        let result = run_guarded(&tests[test], entry, &wasm);
        if remaining[file].fetch_sub(1, Ordering::AcqRel) == 1 {
            progress(&files[file]);
        }
        result
    })
    .into_iter();
    // Jobs were listed file by file, so each file's results are the next ones in order.
    files
        .iter()
        .zip(prepared)
        .map(|(path, tests)| FileReport {
            path: path.clone(),
            results: tests.map(|tests| {
                let count = tests.iter().map(PreparedTest::entries).sum();
                results.by_ref().take(count).collect()
            }),
        })
        .collect()
}

fn prepare_file(path: &Path) -> Result<Vec<PreparedTest>, FixtureError> {
    run::read_file(path)?
        .into_iter()
        .map(|(name, case)| PreparedTest::new(name, case).map_err(|e| e.at(path)))
        .collect()
}

/// `f(0..count)` on `threads` threads, each with the stack WASM execution needs, in order.
/// Indexes are handed out one at a time, so a slow one does not leave other threads idle.
fn parallel_map<T: Send>(count: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, count.max(1)))
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(crate::execution::EXECUTION_STACK_BYTES)
                    .spawn_scoped(scope, || {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            if index >= count {
                                return done;
                            }
                            done.push((index, f(index)));
                        }
                    })
                    .expect("the operating system starts a thread")
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a state-test thread does not panic"))
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, value)| value).collect()
}

/// Runs one entry, turning a panic in execution into that case's failure so one bad case
/// does not end the whole run.
fn run_guarded(test: &PreparedTest, entry: usize, wasm: &Arc<WasmRuntime>) -> CaseResult {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.run(entry, wasm))).unwrap_or_else(
        |panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let mut result = test.skeleton(entry);
            result.failure = Some(Failure::UnexpectedError(format!(
                "execution panicked: {message}"
            )));
            result
        },
    )
}

#[cfg(test)]
mod tests;

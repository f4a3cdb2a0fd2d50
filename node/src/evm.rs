//! `vnt evm`: tools for the EVM side of the ledger.
//!
//! `statetest` runs Ethereum's state-test fixtures through our own state and execution
//! (see `vnt_chain::statetest`) and prints every failing case with its reason, then the
//! pass count. Failing cases are findings, not errors: the exit status is non-zero only
//! when a fixture cannot be read, unless `--strict` is given.

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use vnt_chain::statetest::{self, FORK};

#[derive(Subcommand)]
pub enum EvmCommand {
    /// Run Ethereum state-test fixtures (their Cancun expectations) through our state and
    /// EVM, and count the cases that pass.
    Statetest {
        /// Fixture files or directories (searched recursively for *.json).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Threads to run fixtures on [default: the machine's cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Exit with failure when any case fails, not only when a fixture cannot be read.
        #[arg(long)]
        strict: bool,
    },
}

/// Runs one `vnt evm` command.
pub fn run(command: EvmCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        EvmCommand::Statetest {
            paths,
            threads,
            strict,
        } => statetest(&paths, threads, strict),
    }
}

fn statetest(
    paths: &[PathBuf],
    threads: Option<usize>,
    strict: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let files = statetest::fixture_files(paths)?;
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // indicatif draws nothing when stderr is not a terminal, so piped output stays clean.
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} {wide_msg}")
            .expect("the template is valid"),
    );
    let reports = statetest::run_paths(&files, threads, &|path: &Path| {
        bar.set_message(path.display().to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();

    let (mut passed, mut total, mut unreadable) = (0usize, 0usize, 0usize);
    for report in &reports {
        match &report.results {
            Err(error) => {
                unreadable += 1;
                println!("ERROR {error}");
            }
            Ok(results) => {
                for case in results {
                    total += 1;
                    match &case.failure {
                        None => passed += 1,
                        Some(failure) => println!(
                            "FAIL {} {} {}: {failure}",
                            report.path.display(),
                            case.test,
                            case.indexes
                        ),
                    }
                }
            }
        }
    }
    let percent = if total == 0 {
        0.0
    } else {
        100.0 * passed as f64 / total as f64
    };
    println!("{FORK}: passed {passed} of {total} ({percent:.2}%)");
    if unreadable > 0 {
        return Err(format!("{unreadable} fixture files could not be run").into());
    }
    if strict && passed < total {
        return Err(format!("{} cases failed", total - passed).into());
    }
    Ok(())
}

//! `vnt evm statetest` as a user runs it: counts on the last line, failures one per line
//! with their reason, and a failing exit only for fixtures it cannot read (or `--strict`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ethereum-state-tests/Cancun/GeneralStateTests")
        .join(relative)
}

fn statetest(args: &[&Path], extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vnt"))
        .args(["evm", "statetest"])
        .args(extra)
        .args(args)
        .output()
        .expect("the vnt binary runs")
}

#[test]
fn a_directory_of_fixtures_is_run_and_counted() {
    let output = statetest(&[&fixtures("stExample")], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("Cancun: passed 39 of 39 (100.00%)")
    );
}

#[test]
fn a_failing_case_is_listed_with_its_reason_and_fails_only_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let mut fixture: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures("stExample/add11.json")).unwrap()).unwrap();
    fixture["add11"]["post"]["Cancun"][0]["hash"] = format!("0x{}", "ab".repeat(32)).into();
    let path = dir.path().join("tampered.json");
    std::fs::write(&path, fixture.to_string()).unwrap();

    let output = statetest(&[&path], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("FAIL ")
                && line.contains("add11 d0g0v0: state root mismatch")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("Cancun: passed 0 of 1 (0.00%)"));
    assert!(!statetest(&[&path], &["--strict"]).status.success());
}

#[test]
fn an_unreadable_fixture_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{ not json").unwrap();
    let output = statetest(&[&path], &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("ERROR "));
}

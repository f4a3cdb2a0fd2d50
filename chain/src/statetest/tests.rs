//! The runner reports what it should: a fixture that agrees with our execution passes, and
//! each kind of disagreement is named.

use super::fixture::FixtureFile;
use super::run::{FixtureBlockHashes, run_test};
use super::*;
use crate::execution::BlockHashes;
use alloy_primitives::{B256, b256};

fn fixture(relative: &str) -> FixtureFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ethereum-state-tests/Cancun/GeneralStateTests")
        .join(relative);
    serde_json::from_slice(&std::fs::read(&path).expect("the shared fixtures are beside the repo"))
        .expect("a state-test fixture")
}

/// Runs the single test of `file` after `tamper` changed it.
fn run_tampered(file: &str, tamper: impl FnOnce(&mut fixture::PostEntry)) -> Vec<CaseResult> {
    let mut file = fixture(file);
    let (name, case) = file.iter_mut().next().expect("one test in the file");
    tamper(&mut case.post.cancun[0]);
    run_test(name, case, &Arc::new(WasmRuntime::default())).expect("a well-formed test")
}

#[test]
fn a_fixture_that_agrees_with_our_execution_passes() {
    let results = run_tampered("stExample/add11.json", |_| {});
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|case| case.failure.is_none()),
        "{results:?}"
    );
}

#[test]
fn a_changed_post_state_root_fails_as_a_root_mismatch() {
    let wrong = B256::repeat_byte(0xab);
    let results = run_tampered("stExample/add11.json", |post| post.hash = wrong);
    assert!(matches!(
        &results[0].failure,
        Some(Failure::RootMismatch { expected, .. }) if *expected == wrong
    ));
}

#[test]
fn a_changed_logs_hash_fails_as_a_logs_mismatch() {
    let results = run_tampered("stExample/add11.json", |post| post.logs = B256::ZERO);
    assert!(matches!(
        results[0].failure,
        Some(Failure::LogsMismatch { .. })
    ));
}

#[test]
fn a_valid_transaction_where_an_exception_is_expected_fails() {
    let results = run_tampered("stExample/add11.json", |post| {
        post.expect_exception = Some("TR_NoFunds".into())
    });
    assert!(matches!(
        results[0].failure,
        Some(Failure::ExceptionNotRaised { .. })
    ));
}

#[test]
fn an_undecodable_transaction_where_none_is_expected_fails_as_an_error() {
    let results = run_tampered("stExample/add11.json", |post| {
        post.txbytes = vec![0xf8].into()
    });
    assert!(matches!(
        results[0].failure,
        Some(Failure::UnexpectedError(_))
    ));
}

#[test]
fn state_test_block_hashes_are_the_hash_of_the_decimal_number() {
    // The value geth's and revm's state-test runners give block 0.
    let expected = b256!("0x044852b2a670ade5407e78fb2863c51de9fcb96542a07186fe3aeda6bb8a116d");
    assert_eq!(FixtureBlockHashes.block_hash(0).unwrap(), expected);
}

#[test]
fn directories_are_searched_recursively_for_json_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.json"), "{}").unwrap();
    std::fs::write(dir.path().join("a.json"), "{}").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    let files = fixture_files(&[dir.path().to_owned()]).unwrap();
    assert_eq!(
        files,
        vec![dir.path().join("a.json"), dir.path().join("sub/b.json")]
    );
}

//! An in-memory [`Host`] for tests, benchmarks and differential runs: input, storage and
//! logs in plain collections, so two runs can be compared field by field.

use crate::host::{Context, Host};
use std::collections::BTreeMap;

/// A log as the host recorded it.
pub type RecordedLog = (Vec<[u8; 32]>, Vec<u8>);

/// Storage, writes and logs of one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryHost {
    pub context: Context,
    pub balances: BTreeMap<[u8; 20], [u8; 32]>,
    pub input: Vec<u8>,
    pub storage: BTreeMap<[u8; 32], [u8; 32]>,
    /// Every write, in order (a differential run compares these, not just the final map).
    pub writes: Vec<([u8; 32], [u8; 32])>,
    pub logs: Vec<RecordedLog>,
}

impl MemoryHost {
    pub fn with_input(input: impl Into<Vec<u8>>) -> Self {
        Self {
            input: input.into(),
            ..Default::default()
        }
    }
}

impl Host for MemoryHost {
    fn context(&self) -> &Context {
        &self.context
    }

    fn balance(&mut self, address: &[u8; 20]) -> [u8; 32] {
        self.balances.get(address).copied().unwrap_or([0; 32])
    }

    fn input(&self) -> &[u8] {
        &self.input
    }

    fn storage_read(&mut self, key: &[u8; 32]) -> [u8; 32] {
        self.storage.get(key).copied().unwrap_or([0; 32])
    }

    fn storage_write(&mut self, key: [u8; 32], value: [u8; 32]) {
        self.storage.insert(key, value);
        self.writes.push((key, value));
    }

    fn log(&mut self, topics: Vec<[u8; 32]>, data: Vec<u8>) {
        self.logs.push((topics, data));
    }
}

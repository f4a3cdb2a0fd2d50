//! Validates JSON-RPC results against the execution-apis method definitions and schemas in
//! `../shared/data/execution-apis` (the Ethereum JSON-RPC specification).

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/execution-apis/src")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The result schema of every method, each able to resolve `#/components/schemas/*`.
pub struct Spec {
    results: BTreeMap<String, Value>,
    components: Value,
}

impl Spec {
    pub fn load() -> Self {
        let mut schemas = Map::new();
        for file in yaml_files(&spec_dir().join("schemas")) {
            if let Value::Object(map) = read_yaml(&file) {
                schemas.extend(map);
            }
        }
        let mut results = BTreeMap::new();
        for file in yaml_files(&spec_dir().join("eth")) {
            for method in read_yaml(&file).as_array().unwrap() {
                let name = method["name"].as_str().unwrap().to_string();
                results.insert(name, method["result"]["schema"].clone());
            }
        }
        let components = serde_json::json!({ "schemas": Value::Object(schemas) });
        Self {
            results,
            components,
        }
    }

    pub fn has(&self, method: &str) -> bool {
        self.results.contains_key(method)
    }

    /// Every way `result` breaks the schema of `method`'s result.
    pub fn violations(&self, method: &str, result: &Value) -> Vec<String> {
        let mut schema = self
            .results
            .get(method)
            .unwrap_or_else(|| panic!("{method} is not in the specification"))
            .clone();
        schema["components"] = self.components.clone();
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("schema of {method} does not compile: {e}"));
        validator
            .iter_errors(result)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

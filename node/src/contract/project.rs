//! Contract projects on disk: creating one from a template and building it.

use super::Lang;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use vnt_chain::execution::wasm::to_gas;
use vnt_vm::Vm;

type Error = Box<dyn std::error::Error>;

/// The SDKs of the checkout this binary was built from.
const SDK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

const RUST_MANIFEST: &str = include_str!("../../../sdk/rust/template/Cargo.toml.tmpl");
const RUST_CONTRACT: &str = include_str!("../../../sdk/rust/template/src/lib.rs");
const C_CONTRACT: &str = include_str!("../../../sdk/c/template/contract.c");
const C_HEADER: &str = include_str!("../../../sdk/c/vnt.h");

/// Where `build` puts modules, inside the project.
const OUTPUT_DIR: &str = "target/vnt";

/// Creates project `name` in the current directory.
pub fn create(name: &str, lang: Lang) -> Result<(), Error> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "`{name}` is not a contract name: use lowercase letters, digits, `-` and `_`, starting with a letter"
        )
        .into());
    }
    let dir = Path::new(name);
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()).into());
    }
    match lang {
        Lang::Rust => {
            let sdk = std::fs::canonicalize(Path::new(SDK_DIR).join("rust")).map_err(|e| {
                format!(
                    "the Rust SDK is not at {SDK_DIR}/rust ({e}): `vnt contract new` uses the \
                     source checkout this binary was built from"
                )
            })?;
            let manifest = RUST_MANIFEST
                .replace("{{name}}", name)
                .replace("{{sdk_path}}", &sdk.display().to_string());
            write(&dir.join("Cargo.toml"), &manifest)?;
            write(&dir.join("src/lib.rs"), RUST_CONTRACT)?;
        }
        Lang::C => {
            write(&dir.join(format!("{name}.c")), C_CONTRACT)?;
            write(&dir.join("vnt.h"), C_HEADER)?;
        }
    }
    write(&dir.join(".gitignore"), "target/\n")?;
    println!("Created {name}/ ({} contract). Next:", lang_name(lang));
    println!("  cd {name}");
    println!("  vnt contract build");
    println!("  vnt contract deploy");
    Ok(())
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::C => "C",
    }
}

fn write(path: &Path, contents: &str) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).map_err(|e| format!("writing {}: {e}", path.display()).into())
}

/// Compiles the project in `dir`, checks the module against the VM's deploy rules and
/// returns its path.
pub fn build(dir: &Path) -> Result<PathBuf, Error> {
    let dir = &std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lang = detect(dir)?;
    let progress = ProgressBar::new_spinner();
    progress.set_style(ProgressStyle::with_template(
        "{spinner} {elapsed:>3} {msg}",
    )?);
    progress.enable_steady_tick(Duration::from_millis(120));
    let built = match lang {
        Lang::Rust => build_rust(dir, &progress),
        Lang::C => build_c(dir, &progress),
    };
    let module = match built {
        Ok(module) => module,
        Err(error) => {
            progress.finish_and_clear();
            return Err(error);
        }
    };
    progress.set_message("checking the module against the VM's deploy rules");
    let bytes = std::fs::read(&module)?;
    let checked = Vm::default().prepare_contract(&bytes);
    progress.finish_and_clear();
    checked.map_err(|e| format!("{} would be refused: {e}", module.display()))?;
    let creation = vnt_vm::costs::host::CREATE;
    let gas = to_gas(creation.base + creation.per_byte * bytes.len() as u64);
    println!(
        "Built {} ({} bytes; creating it costs {gas} gas before its constructor runs)",
        module.display(),
        bytes.len()
    );
    Ok(module)
}

/// The module `build` produced in `dir`.
pub fn artifact(dir: &Path) -> Result<PathBuf, Error> {
    let output = dir.join(OUTPUT_DIR);
    let modules: Vec<PathBuf> = std::fs::read_dir(&output)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect()
        })
        .unwrap_or_default();
    match modules.as_slice() {
        [module] => Ok(module.clone()),
        [] => Err(format!(
            "nothing built in {}: run `vnt contract build` first, or pass --wasm",
            output.display()
        )
        .into()),
        _ => Err(format!(
            "several modules in {}: pick one with --wasm",
            output.display()
        )
        .into()),
    }
}

fn detect(dir: &Path) -> Result<Lang, Error> {
    if dir.join("Cargo.toml").is_file() {
        return Ok(Lang::Rust);
    }
    if !c_sources(dir)?.is_empty() {
        return Ok(Lang::C);
    }
    Err(format!(
        "{} holds no contract: expected a Cargo.toml (Rust) or .c files (C)",
        dir.display()
    )
    .into())
}

fn c_sources(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    Ok(sources)
}

/// Builds with cargo, following its JSON messages to show which crate it is on and to
/// find the module it wrote.
fn build_rust(dir: &Path, progress: &ProgressBar) -> Result<PathBuf, Error> {
    progress.set_message("cargo: starting");
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut module = None;
    let mut compiled = 0;
    for line in BufReader::new(child.stdout.take().expect("stdout is piped")).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line?) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        compiled += 1;
        let target = message["target"]["name"].as_str().unwrap_or("?");
        progress.set_message(format!("cargo: compiled {target} ({compiled} crates)"));
        let wasm = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"));
        if let Some(wasm) = wasm {
            module = Some(PathBuf::from(wasm));
        }
    }
    let status = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("cargo build failed:\n{errors}").into());
    }
    let built = module.ok_or("cargo built no .wasm: is the crate a `cdylib`?")?;
    let name = built.file_name().expect("a module file name").to_owned();
    let output = dir.join(OUTPUT_DIR).join(name);
    std::fs::create_dir_all(dir.join(OUTPUT_DIR))?;
    std::fs::copy(&built, &output)?;
    Ok(output)
}

/// Builds with clang, as `sdk/c/vnt.h` documents, into `NAME.wasm` after the directory.
fn build_c(dir: &Path, progress: &ProgressBar) -> Result<PathBuf, Error> {
    progress.set_message("clang: compiling");
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the project directory has no name")?;
    std::fs::create_dir_all(dir.join(OUTPUT_DIR))?;
    let output = dir.join(OUTPUT_DIR).join(format!("{name}.wasm"));
    let clang = std::env::var("VNT_CLANG").unwrap_or_else(|_| "clang".into());
    let result = Command::new(&clang)
        .args([
            "--target=wasm32",
            "-std=c11",
            "-Oz",
            "-ffreestanding",
            "-nostdlib",
            "-mbulk-memory",
            "-msign-ext",
            "-Wall",
            "-Wextra",
        ])
        .arg("-I")
        .arg(dir)
        .arg("-I")
        .arg(Path::new(SDK_DIR).join("c"))
        .args([
            "-Wl,--no-entry",
            "-Wl,--stack-first",
            "-Wl,-z,stack-size=65536",
            "-Wl,--strip-all",
        ])
        .arg("-o")
        .arg(&output)
        .args(c_sources(dir)?)
        .output()
        .map_err(|e| {
            format!(
                "cannot run {clang}: {e} (install clang and lld, e.g. `apt-get install clang lld`)"
            )
        })?;
    if !result.status.success() {
        return Err(format!("clang failed:\n{}", String::from_utf8_lossy(&result.stderr)).into());
    }
    Ok(output)
}

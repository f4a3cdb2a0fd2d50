//! The wallet file: one spending key, as JSON, readable by its owner only.
//!
//! ```json
//! {"version": 1, "spendingKey": "0x…32 bytes…"}
//! ```
//!
//! Notes are not stored: they are found again by scanning the chain, so the key alone
//! restores a wallet. Whoever reads the file can spend its notes, so it is created with mode
//! 0600 and never overwritten.

use alloy_primitives::hex;
use ark_std::rand::{CryptoRng, RngCore};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use vnt_zk::note::SpendingKey;
use vnt_zk::verify::{field_from_bytes, field_to_bytes};

const VERSION: u64 = 1;

/// A wallet loaded from, or just written to, its file.
pub struct WalletFile {
    pub key: SpendingKey,
}

impl WalletFile {
    /// Reads the wallet at `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no wallet at {}: `vnt zk address` creates one (or pass --wallet)",
                    path.display()
                )
            } else {
                format!("reading the wallet {}: {e}", path.display())
            }
        })?;
        let key = parse(&text).map_err(|e| format!("{} is not a wallet: {e}", path.display()))?;
        Ok(Self { key })
    }

    /// Reads the wallet at `path`, creating it with a fresh key if there is none.
    pub fn load_or_create<R: RngCore + CryptoRng>(
        path: &Path,
        rng: &mut R,
    ) -> Result<(Self, bool), String> {
        if path.exists() {
            return Ok((Self::load(path)?, false));
        }
        let key = SpendingKey::random(rng);
        write_new(path, &render(&key)).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok((Self { key }, true))
    }
}

fn render(key: &SpendingKey) -> String {
    let text = json!({
        "version": VERSION,
        "spendingKey": hex::encode_prefixed(field_to_bytes(key.0)),
    });
    format!("{text:#}\n")
}

fn parse(text: &str) -> Result<SpendingKey, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(other) => return Err(format!("version {other}; this vnt reads version {VERSION}")),
        None => return Err("no \"version\" number".into()),
    }
    let key = value
        .get("spendingKey")
        .and_then(Value::as_str)
        .ok_or("no \"spendingKey\" string")?;
    let bytes: [u8; 32] = hex::decode(key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("\"spendingKey\" is not 32 bytes of hex")?;
    let sk = field_from_bytes(&bytes).ok_or("\"spendingKey\" is not below the field modulus")?;
    Ok(SpendingKey(sk))
}

/// Writes a file that must not exist yet, readable and writable by its owner only.
fn write_new(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn a_created_wallet_loads_back_with_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/wallet.json");
        let mut rng = StdRng::seed_from_u64(1);
        let (created, fresh) = WalletFile::load_or_create(&path, &mut rng).unwrap();
        assert!(fresh);
        let (again, fresh) = WalletFile::load_or_create(&path, &mut rng).unwrap();
        assert!(!fresh, "an existing wallet is never replaced");
        assert_eq!(again.key, created.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn broken_wallet_files_are_refused_with_the_reason() {
        let missing = WalletFile::load(Path::new("/nonexistent/wallet.json"))
            .err()
            .unwrap();
        assert!(
            missing.contains("`vnt zk address` creates one"),
            "{missing}"
        );
        let cases = [
            ("[]", "no \"version\""),
            ("{\"version\": 2}", "version 2"),
            ("{\"version\": 1}", "no \"spendingKey\""),
            (
                "{\"version\": 1, \"spendingKey\": \"0x12\"}",
                "not 32 bytes",
            ),
            ("not json", "not JSON"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        let above = format!(
            "{{\"version\": 1, \"spendingKey\": \"0x{}\"}}",
            "ff".repeat(32)
        );
        assert!(parse(&above).unwrap_err().contains("modulus"));
    }
}

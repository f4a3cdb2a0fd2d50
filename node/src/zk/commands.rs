//! The `vnt zk` commands: each loads what it needs, talks to the node through
//! [`Pool`], and prints a result a person (or a script reading `Label: value` lines) can use.

use super::SpendArgs;
use super::amount::{format_vnt, format_wei, parse_vnt};
use super::pool::{Ledger, Pool, transact_call};
use super::wallet_file::WalletFile;
use crate::contract::client::parse_private_key;
use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use ark_std::rand::RngCore;
use ark_std::rand::rngs::OsRng;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Duration;
use vnt_chain::shielded::POOL_UNIT_WEI;
use vnt_chain::shielded::abi::statement;
use vnt_chain::shielded::keys::DEV_VERIFYING_KEY_HASH;
use vnt_zk::keys::{PROVING_KEY_FILE, SpendKeys, VERIFYING_KEY_FILE, dev_keys};
use vnt_zk::note::SpendingKey;
use vnt_zk::verify::{SpendVerifier, key_hash};
use vnt_zk::wallet::{
    IncomingViewingKey, OwnedNote, Payment, PreparedSpend, ShieldedAddress, Submission,
    WalletError, prover, recipient_field,
};

type Error = Box<dyn std::error::Error>;

const DEV_KEYS_WARNING: &str = "UNSAFE: the dev keys come from a public seed, so anyone can forge proofs under them and mint shielded value; for development chains only";
const SETUP_WARNING: &str = "UNSAFE for real value: a single-party setup; whoever learns the randomness this machine used can forge proofs. A chain holding value needs keys from a multi-party ceremony";

/// A spinner on standard error naming the step under way, `[3/6] prove (4s)`. Hidden when
/// standard error is not a terminal; cleared when dropped, so errors print on a clean line.
struct Progress {
    bar: ProgressBar,
    steps: &'static [&'static str],
}

impl Progress {
    fn new(steps: &'static [&'static str]) -> Self {
        let bar = ProgressBar::new(steps.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} ({elapsed})")
                .expect("the template is valid"),
        );
        // Ticks from a thread of its own, so the spinner turns while proving holds a core.
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar, steps }
    }

    fn step(&self, name: &'static str) {
        let index = self.steps.iter().position(|s| *s == name).unwrap_or(0);
        self.bar.set_position(index as u64 + 1);
        self.bar.set_message(name);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// 32 bytes from the operating system's random source.
fn os_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    seed
}

/// Runs circuit synthesis (setup, proving) with tracing switched off on this thread.
/// arkworks' gadgets open a tracing span per call at INFO level and the constraint system
/// captures the current span for every constraint when a subscriber is active: under the
/// command line's subscriber a setup took minutes and gigabytes instead of seconds.
fn untraced<T>(work: impl FnOnce() -> T) -> T {
    tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), work)
}

/// `vnt zk setup`.
pub async fn setup(out: &Path, dev: bool, force: bool) -> Result<(), Error> {
    let pk_path = out.join(PROVING_KEY_FILE);
    if pk_path.exists() && !force {
        return Err(format!(
            "{} already holds keys; pass --force to replace them (a chain pinned to the old verifying key refuses proofs made with new ones)",
            out.display()
        )
        .into());
    }
    let progress = Progress::new(&["setup", "write"]);
    progress.step("setup");
    let keys = tokio::task::spawn_blocking(move || {
        untraced(|| {
            if dev {
                dev_keys()
            } else {
                prover::setup(os_seed())
            }
        })
    })
    .await?;
    progress.step("write");
    keys.write(out)?;
    drop(progress);
    println!("Proving key: {}", pk_path.display());
    println!("Verifying key: {}", out.join(VERIFYING_KEY_FILE).display());
    println!(
        "Verifying-key hash: {}",
        B256::from(key_hash(keys.verifying_key()))
    );
    println!("{}", if dev { DEV_KEYS_WARNING } else { SETUP_WARNING });
    Ok(())
}

/// `vnt zk address`: the address alone on standard output, so scripts can take it.
pub fn address(path: &Path) -> Result<(), Error> {
    let (wallet, created) = WalletFile::load_or_create(path, &mut OsRng)?;
    if created {
        eprintln!(
            "Created the wallet {} (keep it secret: it spends the notes)",
            path.display()
        );
    }
    println!("{}", ShieldedAddress::of(&wallet.key));
    Ok(())
}

/// A node with a pool, its chain id and the verifying key it pins.
struct Session {
    pool: Pool,
    chain_id: u64,
    key_hash: B256,
}

impl Session {
    /// What a spend sent by `signer` to this chain's pool is bound to.
    fn submission(&self, signer: &PrivateKeySigner) -> Submission {
        Submission {
            chain_id: self.chain_id,
            submitter: signer.address().0.0,
        }
    }
}

async fn connect(url: &str) -> Result<Session, Error> {
    let pool = Pool::connect(url)?;
    let key_hash = pool.verifying_key_hash().await?;
    if key_hash == DEV_VERIFYING_KEY_HASH {
        eprintln!(
            "warning: this chain's shielded pool verifies with the dev keys. {DEV_KEYS_WARNING}."
        );
    }
    let chain_id = pool.chain_id().await?;
    Ok(Session {
        pool,
        chain_id,
        key_hash,
    })
}

/// Reads the proving key and checks it is the pool's: a proof under another key would only
/// be refused after the work of proving it.
async fn load_keys(dir: &Path, pool_hash: B256) -> Result<SpendKeys, Error> {
    let owned = dir.to_path_buf();
    let keys = tokio::task::spawn_blocking(move || SpendKeys::read(&owned))
        .await?
        .map_err(|e| {
            format!("reading the proving key: {e} (make keys with `vnt zk setup`, `--dev` for a `vnt dev` chain, or pass --keys)")
        })?;
    let hash = B256::from(key_hash(keys.verifying_key()));
    if hash != pool_hash {
        let hint = if pool_hash == DEV_VERIFYING_KEY_HASH {
            " This chain uses the dev keys: `vnt zk setup --dev` writes them."
        } else {
            ""
        };
        return Err(format!(
            "the keys in {} (verifying-key hash {hash}) are not the ones this chain's pool verifies with ({pool_hash}): the pool would refuse their proofs.{hint}",
            dir.display()
        )
        .into());
    }
    Ok(keys)
}

/// The wallet's unspent notes of `ledger`: those its key decrypts, of non-zero value, whose
/// nullifiers the pool has not seen.
async fn unspent_notes(
    pool: &Pool,
    sk: &SpendingKey,
    ledger: &Ledger,
) -> Result<Vec<OwnedNote>, Error> {
    let ivk = IncomingViewingKey::new(sk);
    let mut notes = Vec::new();
    for logged in &ledger.notes {
        // Every failure means "not this wallet's note"; most notes are someone else's.
        let Ok(note) = ivk.decrypt_note(&logged.ciphertext, logged.commitment) else {
            continue;
        };
        let owned = OwnedNote {
            note,
            position: logged.position,
        };
        if note.value > 0 && !pool.is_spent(owned.nullifier(sk)).await? {
            notes.push(owned);
        }
    }
    Ok(notes)
}

fn sum(notes: &[OwnedNote]) -> u128 {
    notes.iter().map(|n| u128::from(n.note.value)).sum()
}

/// `vnt zk balance`.
pub async fn balance(path: &Path, url: &str) -> Result<(), Error> {
    let wallet = WalletFile::load(path)?;
    let session = connect(url).await?;
    let progress = Progress::new(&["scan", "check spent"]);
    progress.step("scan");
    let ledger = session.pool.scan().await?;
    progress.step("check spent");
    let notes = unspent_notes(&session.pool, &wallet.key, &ledger).await?;
    drop(progress);
    let total = sum(&notes);
    println!("Address: {}", ShieldedAddress::of(&wallet.key));
    println!("Balance: {} VNT ({total} units)", format_vnt(total));
    println!(
        "Unspent notes: {} (of {} in the pool at block {})",
        notes.len(),
        ledger.notes.len(),
        ledger.block
    );
    for owned in &notes {
        println!(
            "  position {}: {} VNT",
            owned.position,
            format_vnt(owned.note.value)
        );
    }
    Ok(())
}

/// Wallet errors with amounts in VNT.
fn describe(error: WalletError) -> Error {
    match error {
        WalletError::NoNotes => {
            "this wallet has no spendable shielded notes (`vnt zk balance` lists its notes)".into()
        }
        WalletError::Insufficient { needed, available } => format!(
            "not enough shielded value: {} VNT needed (amount and fee), {} VNT unspent",
            format_vnt(needed),
            format_vnt(available)
        )
        .into(),
        WalletError::Fragmented {
            needed,
            largest_two,
        } => format!(
            "no two notes cover {} VNT (a spend takes at most two; the largest two hold {} VNT): send part of the balance to your own address first to merge notes",
            format_vnt(needed),
            format_vnt(largest_two)
        )
        .into(),
        other => other.to_string().into(),
    }
}

/// What a submitted spend came to.
struct Submitted {
    hash: B256,
    block: u64,
    gas: u64,
}

/// The tail every spend shares: prove, submit, wait for the receipt.
async fn prove_and_submit(
    session: &Session,
    keys: SpendKeys,
    prepared: &PreparedSpend,
    signer: &PrivateKeySigner,
    recipient: Address,
    progress: &Progress,
) -> Result<Submitted, Error> {
    progress.step("prove");
    let circuit = prepared.circuit.clone();
    let proof = tokio::task::spawn_blocking(move || {
        let public = circuit.public.clone();
        let proof =
            untraced(|| prover::prove(&keys, circuit, os_seed())).map_err(|e| e.to_string())?;
        // A few milliseconds to be sure: a proof the pool would refuse (a corrupted key
        // file, a bug) is caught here, before it costs gas and reveals the nullifiers.
        SpendVerifier::new(keys.verifying_key())
            .verify(&proof, &public)
            .map_err(|e| format!("the proof made here does not verify, so it was not sent: {e}"))?;
        Ok::<_, String>(proof)
    })
    .await??;
    progress.step("submit");
    let public = &prepared.circuit.public;
    // The pool rebuilds the statement from the call and its sender; a wallet that encoded
    // the call differently from what it proved would only learn it from a revert.
    let call = transact_call(&proof, public, recipient, &prepared.encrypted_notes);
    let rebuilt = statement(&call, session.chain_id, signer.address());
    if rebuilt.as_ref().ok() != Some(public) {
        return Err(format!(
            "internal error: the pool would read this spend as another statement ({rebuilt:?}); it was not sent"
        )
        .into());
    }
    let hash = session.pool.send_transact(signer, &call, public).await?;
    progress.step("confirm");
    let (block, gas) = session.pool.confirm(hash).await?;
    Ok(Submitted { hash, block, gas })
}

fn print_submitted(done: &Submitted) {
    println!(
        "Transaction: {} (block {}, gas used {})",
        done.hash, done.block, done.gas
    );
}

/// `vnt zk shield`.
pub async fn shield(path: &Path, args: &SpendArgs, amount: &str) -> Result<(), Error> {
    let amount = parse_vnt(amount)?;
    if amount == 0 {
        return Err("the amount must be above zero".into());
    }
    let wallet = WalletFile::load(path)?;
    let signer = parse_private_key(&args.from_key)?;
    let session = connect(&args.node.rpc_url).await?;
    // Refused before the seconds of proving rather than by the node afterwards.
    let wei = u128::from(amount) * u128::from(POOL_UNIT_WEI);
    let public = session.pool.balance(signer.address()).await?;
    if public < wei {
        return Err(format!(
            "{} holds {} VNT, less than the {} VNT to shield (and gas)",
            signer.address(),
            format_wei(public),
            format_vnt(amount)
        )
        .into());
    }
    let progress = Progress::new(&["load keys", "build witness", "prove", "submit", "confirm"]);
    progress.step("load keys");
    let keys = load_keys(&args.keys(), session.key_hash).await?;
    progress.step("build witness");
    let root = session.pool.root(None).await?;
    let submission = session.submission(&signer);
    let prepared = vnt_zk::wallet::shield(&wallet.key, root, amount, &submission, &mut OsRng)
        .map_err(describe)?;
    let done =
        prove_and_submit(&session, keys, &prepared, &signer, Address::ZERO, &progress).await?;
    drop(progress);
    print_submitted(&done);
    println!(
        "Shielded {} VNT from {} to {}",
        format_vnt(amount),
        signer.address(),
        ShieldedAddress::of(&wallet.key)
    );
    Ok(())
}

/// Scans, picks notes and builds a transfer or unshield; then proves and submits it.
async fn spend(
    path: &Path,
    args: &SpendArgs,
    payment: Payment,
    recipient: Address,
) -> Result<(Submitted, PreparedSpend, PrivateKeySigner), Error> {
    let wallet = WalletFile::load(path)?;
    let signer = parse_private_key(&args.from_key)?;
    let session = connect(&args.node.rpc_url).await?;
    let progress = Progress::new(&[
        "load keys",
        "scan",
        "build witness",
        "prove",
        "submit",
        "confirm",
    ]);
    progress.step("load keys");
    let keys = load_keys(&args.keys(), session.key_hash).await?;
    progress.step("scan");
    let ledger = session.pool.scan().await?;
    let notes = unspent_notes(&session.pool, &wallet.key, &ledger).await?;
    progress.step("build witness");
    let prepared = vnt_zk::wallet::spend(
        &wallet.key,
        &ledger.tree,
        &notes,
        &payment,
        &session.submission(&signer),
        &mut OsRng,
    )
    .map_err(describe)?;
    // The scan matched the pool's root at its block; the root must still be among the
    // recent ones the pool accepts when the transaction lands.
    if !session.pool.is_known_root(ledger.tree.root()).await? {
        return Err("the pool moved on past the scanned note tree; run the command again".into());
    }
    let done = prove_and_submit(&session, keys, &prepared, &signer, recipient, &progress).await?;
    Ok((done, prepared, signer))
}

fn parse_fee_and_amount(amount: &str, fee: &str) -> Result<(u64, u64), Error> {
    let amount = parse_vnt(amount)?;
    let fee = parse_vnt(fee).map_err(|e| format!("--fee: {e}"))?;
    Ok((amount, fee))
}

/// `vnt zk send`.
pub async fn send(
    path: &Path,
    args: &SpendArgs,
    amount: &str,
    to: &str,
    fee: &str,
) -> Result<(), Error> {
    let (amount, fee) = parse_fee_and_amount(amount, fee)?;
    let to: ShieldedAddress = to.parse().map_err(|e| format!("--to: {e}"))?;
    let payment = Payment::Transfer { to, amount, fee };
    let (done, prepared, signer) = spend(path, args, payment, Address::ZERO).await?;
    print_submitted(&done);
    println!(
        "Sent {} VNT to {to}; fee {} VNT to {}; change {} VNT",
        format_vnt(amount),
        format_vnt(fee),
        signer.address(),
        format_vnt(prepared.change)
    );
    Ok(())
}

/// A public account, strictly: `0x` and 40 hex digits, checksummed if in mixed case.
fn parse_account(text: &str) -> Result<Address, Error> {
    if text.starts_with("vntzk") {
        return Err(format!(
            "`{text}` is a shielded address; unshield pays a public account (0x…), `vnt zk send` pays a shielded address"
        )
        .into());
    }
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 40 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("`{text}` is not an account address (0x and 40 hex digits)"))?;
    let mixed = digits.bytes().any(|b| b.is_ascii_lowercase())
        && digits.bytes().any(|b| b.is_ascii_uppercase());
    if mixed {
        Address::parse_checksummed(text, None).map_err(|_| {
            format!("`{text}` has a wrong EIP-55 checksum (mistyped?); check it or write it in lower case").into()
        })
    } else {
        Ok(text.parse()?)
    }
}

/// `vnt zk unshield`.
pub async fn unshield(
    path: &Path,
    args: &SpendArgs,
    amount: &str,
    to: &str,
    fee: &str,
) -> Result<(), Error> {
    let (amount, fee) = parse_fee_and_amount(amount, fee)?;
    let account = parse_account(to).map_err(|e| format!("--to: {e}"))?;
    let payment = Payment::Unshield {
        recipient: recipient_field(&account.0.0),
        amount,
        fee,
    };
    let (done, prepared, signer) = spend(path, args, payment, account).await?;
    print_submitted(&done);
    println!(
        "Unshielded {} VNT to {account}; fee {} VNT to {}; change {} VNT",
        format_vnt(amount),
        format_vnt(fee),
        signer.address(),
        format_vnt(prepared.change)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse_strictly() {
        let lower = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
        let checksummed = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        assert_eq!(
            parse_account(lower).unwrap(),
            parse_account(checksummed).unwrap()
        );
        let typo = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267";
        assert!(
            parse_account(typo)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        for bad in [
            "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "0x1234",
            "0xzz9fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "",
        ] {
            let err = parse_account(bad).unwrap_err().to_string();
            assert!(err.contains("not an account address"), "{bad}: {err}");
        }
        let err = parse_account("vntzk1qqqq").unwrap_err().to_string();
        assert!(err.contains("`vnt zk send`"), "{err}");
    }

    #[test]
    fn wallet_errors_speak_in_vnt() {
        let err = describe(WalletError::Insufficient {
            needed: 2_010_000_000,
            available: 1_500_000_000,
        });
        assert_eq!(
            err.to_string(),
            "not enough shielded value: 2.01 VNT needed (amount and fee), 1.5 VNT unspent"
        );
        assert!(
            describe(WalletError::NoNotes)
                .to_string()
                .contains("no spendable")
        );
    }
}

//! The validator's configuration file (`vnt node --config FILE`) and its key file.
//!
//! Both are TOML. Paths inside the configuration are relative to the file's directory, so a
//! devnet directory can be moved as a whole. Everything from these files is outside input:
//! a missing file, bad hex, a key of the wrong length, a proof of possession that does not
//! verify or a node whose own key is not in the validator list are refused with an error
//! that names the file and the field, never a panic.
//!
//! ```toml
//! genesis = "../genesis.json"
//! data_dir = "data"
//! rpc_addr = "127.0.0.1:8545"
//! p2p_addr = "127.0.0.1:30300"
//! key_file = "keys.toml"
//! evidence_reporter_key = "0x…"  # optional: signs and is paid for evidence reports
//!
//! [[validators]]
//! identity = "…"   # ed25519 public key, hex
//! bls = "…"        # BLS12-381 public key (G2, 96 bytes), hex
//! pop = "…"        # its proof of possession for `account` on this chain, hex
//! p2p_addr = "127.0.0.1:30300"
//! account = "0x…"  # receives the fees of the blocks it proposes
//! ```

use alloy_primitives::{Address, hex};
use alloy_signer_local::PrivateKeySigner;
use commonware_codec::Encode;
use commonware_cryptography::ed25519;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use vnt_chain::Genesis;
use vnt_net::{Multiaddr, NetConfig};
use vnt_vortex::keys::{self, KeyError, ValidatorKeys};
use vnt_vortex::scheme::{CommitteeMember, ConsensusCommittee, SchemeError};

/// Why a configuration or key file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid file: {reason}")]
    Parse { path: String, reason: String },
    #[error("{path}: {field} is not hex: {reason}")]
    Hex {
        path: String,
        field: String,
        reason: String,
    },
    #[error("{path}: {field}: {source}")]
    Key {
        path: String,
        field: String,
        source: KeyError,
    },
    #[error("{path}: the genesis file {genesis} is unusable: {reason}")]
    Genesis {
        path: String,
        genesis: String,
        reason: String,
    },
    #[error("{path}: open_network.{field} is not a libp2p address: {reason}")]
    OpenNetwork {
        path: String,
        field: String,
        reason: String,
    },
    #[error("{path}: evidence_reporter_key is not a secp256k1 secret key: {reason}")]
    ReporterKey { path: String, reason: String },
    #[error("{path}: the validator list is empty")]
    NoValidators { path: String },
    #[error("{path}: the validators do not form a committee: {source}")]
    Committee { path: String, source: SchemeError },
    #[error(
        "{path}: this node's identity key {identity} is not in the validator list; set \
         role = \"follower\" to follow the chain without voting"
    )]
    NotAValidator { path: String, identity: String },
    #[error(
        "{path}: the validator list gives identity {identity} the BLS key {listed}, but the key \
         file holds the BLS key {held}"
    )]
    WrongBlsKey {
        path: String,
        identity: String,
        listed: String,
        held: String,
    },
}

/// The configuration file as written.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The genesis JSON file.
    pub genesis: PathBuf,
    /// Where the chain and consensus journal live.
    pub data_dir: PathBuf,
    /// Where JSON-RPC listens.
    pub rpc_addr: SocketAddr,
    /// Where the validator network listens.
    pub p2p_addr: SocketAddr,
    /// This validator's secret keys.
    pub key_file: PathBuf,
    /// Every validator of the (single) epoch, this one included unless it follows.
    pub validators: Vec<ValidatorEntry>,
    /// `validator` (the default) or `follower`: a follower does not vote; it syncs the
    /// finalized chain over the open network, checking each block's finality proof.
    #[serde(default, skip_serializing_if = "Role::is_validator")]
    pub role: Role,
    /// Hubble's open network (libp2p: transaction gossip, discovery, sync); off if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_network: Option<OpenNetworkFile>,
    /// The secp256k1 secret (hex) of the Ethereum account that reports conflicting votes
    /// this validator sees: it pays their gas and receives the reporter's share of the
    /// slash. Without it the validator keeps evidence but sends nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_reporter_key: Option<String>,
}

/// What a node does in the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Validator,
    Follower,
}

impl Role {
    fn is_validator(&self) -> bool {
        *self == Self::Validator
    }
}

/// The open network's section of the configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenNetworkFile {
    /// libp2p listen address, e.g. `/ip4/127.0.0.1/tcp/30400`.
    pub listen: String,
    /// Peers to join through, each ending in `/p2p/<peer id>`.
    #[serde(default)]
    pub bootnodes: Vec<String>,
}

/// One validator as the configuration lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    pub identity: String,
    pub bls: String,
    pub pop: String,
    pub p2p_addr: SocketAddr,
    pub account: Address,
}

/// A key file: the three 32-byte secrets of [`ValidatorKeys`], hex.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub identity_secret: String,
    pub bls_secret: String,
    pub vrf_secret: String,
}

impl KeyFile {
    /// The file that stores `keys`.
    pub fn of(keys: &ValidatorKeys) -> Self {
        Self {
            identity_secret: hex::encode(keys.identity().encode()),
            bls_secret: hex::encode(keys.bls().encode()),
            vrf_secret: hex::encode(keys.vrf_seed()),
        }
    }

    /// Reads and decodes a key file.
    pub fn load(path: &Path) -> Result<ValidatorKeys, ConfigError> {
        let file: Self = read_toml(path)?;
        let shown = path.display().to_string();
        let secret = |field: &str, text: &str| -> Result<[u8; 32], ConfigError> {
            let bytes = decode_hex(&shown, field, text)?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| ConfigError::Hex {
                path: shown.clone(),
                field: field.into(),
                reason: format!("a secret is 32 bytes, this is {}", bytes.len()),
            })
        };
        let identity = secret("identity_secret", &file.identity_secret)?;
        let bls = secret("bls_secret", &file.bls_secret)?;
        let vrf = secret("vrf_secret", &file.vrf_secret)?;
        ValidatorKeys::from_secrets(identity, bls, vrf).map_err(|source| ConfigError::Key {
            path: shown,
            field: "secrets".into(),
            source,
        })
    }
}

impl ValidatorEntry {
    /// The listing of `keys`, registering for `account` on `chain_id`.
    pub fn of(keys: &ValidatorKeys, chain_id: u64, account: Address, p2p_addr: SocketAddr) -> Self {
        let public = keys.public();
        Self {
            identity: hex::encode(public.identity.encode()),
            bls: hex::encode(public.bls.encode()),
            pop: hex::encode(keys.proof_of_possession(chain_id, &account.0.0)),
            p2p_addr,
            account,
        }
    }
}

/// A validated configuration: what the validator runs with.
pub struct ValidatorConfig {
    pub genesis: Genesis,
    pub data_dir: PathBuf,
    pub rpc_addr: SocketAddr,
    pub p2p_addr: SocketAddr,
    pub keys: ValidatorKeys,
    /// This validator's account (fees of its proposals); zero for a follower.
    pub account: Address,
    pub role: Role,
    /// The open network, when configured: its listen address and bootnodes.
    pub open_network: Option<NetConfig>,
    pub committee: ConsensusCommittee,
    /// Every validator's identity and network address, this one included.
    pub peers: Vec<(ed25519::PublicKey, SocketAddr)>,
    /// The account that reports evidence on chain, if configured.
    pub evidence_reporter: Option<PrivateKeySigner>,
}

impl ValidatorConfig {
    /// Reads and checks the configuration at `path`, its genesis and its key file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file: ConfigFile = read_toml(path)?;
        let shown = path.display().to_string();
        let base = path.parent().unwrap_or(Path::new("."));
        let genesis_path = base.join(&file.genesis);
        let genesis = Genesis::from_file(&genesis_path).map_err(|error| ConfigError::Genesis {
            path: shown.clone(),
            genesis: genesis_path.display().to_string(),
            reason: error.to_string(),
        })?;
        let chain_id = genesis.config.chain_id;
        let keys = KeyFile::load(&base.join(&file.key_file))?;
        if file.validators.is_empty() {
            return Err(ConfigError::NoValidators { path: shown });
        }
        let mut members = Vec::new();
        let mut peers = Vec::new();
        for (index, entry) in file.validators.iter().enumerate() {
            let field = |name: &str| format!("validators[{index}].{name}");
            let key_error = |name: &str, source| ConfigError::Key {
                path: shown.clone(),
                field: field(name),
                source,
            };
            let identity_bytes = decode_hex(&shown, &field("identity"), &entry.identity)?;
            let identity = keys::decode_identity(&identity_bytes)
                .map_err(|source| key_error("identity", source))?;
            let bls = decode_hex(&shown, &field("bls"), &entry.bls)?;
            let pop = decode_hex(&shown, &field("pop"), &entry.pop)?;
            // Aggregated votes are unsafe under keys nobody proved they hold (rogue keys).
            let bls = keys::verify_proof_of_possession(chain_id, &entry.account.0.0, &bls, &pop)
                .map_err(|source| key_error("pop", source))?;
            members.push(CommitteeMember {
                id: entry.account.0.0,
                identity: identity.clone(),
                bls,
                seats: 1,
            });
            peers.push((identity, entry.p2p_addr));
        }
        let own = keys.public();
        let account = match (
            file.role,
            members.iter().find(|m| m.identity == own.identity),
        ) {
            (Role::Follower, _) => Address::ZERO,
            (Role::Validator, None) => {
                return Err(ConfigError::NotAValidator {
                    path: shown,
                    identity: hex::encode(own.identity.encode()),
                });
            }
            (Role::Validator, Some(me)) if me.bls != own.bls => {
                return Err(ConfigError::WrongBlsKey {
                    path: shown,
                    identity: hex::encode(own.identity.encode()),
                    listed: hex::encode(me.bls.encode()),
                    held: hex::encode(own.bls.encode()),
                });
            }
            (Role::Validator, Some(me)) => Address::from(me.id),
        };
        let evidence_reporter = file
            .evidence_reporter_key
            .as_deref()
            .map(|text| reporter_key(&shown, text))
            .transpose()?;
        let open_network = file
            .open_network
            .as_ref()
            .map(|section| open_network(&shown, chain_id, &keys, section))
            .transpose()?;
        let committee = ConsensusCommittee::new(chain_id, 0, members).map_err(|source| {
            ConfigError::Committee {
                path: shown,
                source,
            }
        })?;
        Ok(Self {
            genesis,
            data_dir: base.join(&file.data_dir),
            rpc_addr: file.rpc_addr,
            p2p_addr: file.p2p_addr,
            keys,
            account,
            role: file.role,
            open_network,
            committee,
            peers,
            evidence_reporter,
        })
    }
}

/// The reporter's signer from its hex secret (with or without `0x`).
fn reporter_key(path: &str, text: &str) -> Result<PrivateKeySigner, ConfigError> {
    let bytes = decode_hex(path, "evidence_reporter_key", text)?;
    if bytes.len() != 32 {
        return Err(ConfigError::ReporterKey {
            path: path.into(),
            reason: format!("a secret is 32 bytes, this is {}", bytes.len()),
        });
    }
    PrivateKeySigner::from_slice(&bytes).map_err(|error| ConfigError::ReporterKey {
        path: path.into(),
        reason: error.to_string(),
    })
}

/// The 32-byte secret of `keys`' identity, which is also the node's libp2p identity.
pub fn identity_secret(keys: &ValidatorKeys) -> [u8; 32] {
    keys.identity()
        .encode()
        .as_ref()
        .try_into()
        .expect("an ed25519 secret is 32 bytes")
}

/// The open network's settings: this node's libp2p identity is its validator identity key.
fn open_network(
    path: &str,
    chain_id: u64,
    keys: &ValidatorKeys,
    section: &OpenNetworkFile,
) -> Result<NetConfig, ConfigError> {
    let address = |field: String, text: &str| -> Result<Multiaddr, ConfigError> {
        text.parse::<Multiaddr>()
            .map_err(|error| ConfigError::OpenNetwork {
                path: path.into(),
                field,
                reason: error.to_string(),
            })
    };
    let mut config = NetConfig::new(chain_id, identity_secret(keys));
    config.listen = address("listen".into(), &section.listen)?;
    config.bootnodes = section
        .bootnodes
        .iter()
        .enumerate()
        .map(|(index, text)| address(format!("bootnodes[{index}]"), text))
        .collect::<Result<_, _>>()?;
    Ok(config)
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|error| ConfigError::Parse {
        path: shown,
        reason: error.to_string(),
    })
}

fn decode_hex(path: &str, field: &str, text: &str) -> Result<Vec<u8>, ConfigError> {
    hex::decode(text).map_err(|error| ConfigError::Hex {
        path: path.into(),
        field: field.into(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::{ConfigError, reporter_key};

    #[test]
    fn a_reporter_key_in_hex_with_or_without_prefix_is_read() {
        // The first Hardhat/anvil development key.
        let secret = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let expected = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        for text in [secret.to_string(), format!("0x{secret}")] {
            let signer = reporter_key("node/config.toml", &text).expect("a valid key");
            assert_eq!(signer.address().to_checksum(None), expected);
        }
    }

    #[test]
    fn a_bad_reporter_key_is_refused_naming_file_and_field() {
        let not_hex = reporter_key("node/config.toml", "0xzz").unwrap_err();
        assert!(matches!(not_hex, ConfigError::Hex { .. }), "{not_hex:?}");
        let message = not_hex.to_string();
        assert!(
            message.starts_with("node/config.toml: evidence_reporter_key is not hex"),
            "{message}"
        );

        let short = reporter_key("node/config.toml", "0x0102").unwrap_err();
        assert_eq!(
            short.to_string(),
            "node/config.toml: evidence_reporter_key is not a secp256k1 secret key: a secret \
             is 32 bytes, this is 2"
        );

        let zero = reporter_key("node/config.toml", &"00".repeat(32)).unwrap_err();
        assert!(matches!(zero, ConfigError::ReporterKey { .. }), "{zero:?}");
    }
}

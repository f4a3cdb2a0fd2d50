//! The cryptography host functions compute: Ethereum's and the common hashes, ECDSA
//! recovery and Ed25519 verification. Invalid inputs give `None`/`false`, never a panic.

use sha2::Digest;

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    sha3::Keccak256::digest(data).into()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

pub fn blake2b_256(data: &[u8]) -> [u8; 32] {
    blake2::Blake2b::<blake2::digest::consts::U32>::digest(data).into()
}

/// The Ethereum address that signed `hash`; `signature` is `r || s || v` with `v` 27/28 or 0/1.
/// High-`s` signatures are refused, as Ethereum transactions refuse them.
pub fn ecrecover(hash: &[u8; 32], signature: &[u8; 65]) -> Option<[u8; 20]> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    let v = match signature[64] {
        0 | 27 => 0,
        1 | 28 => 1,
        _ => return None,
    };
    let parsed = Signature::from_slice(&signature[..64]).ok()?;
    if parsed.normalize_s().is_some() {
        return None;
    }
    let key = VerifyingKey::recover_from_prehash(hash, &parsed, RecoveryId::from_byte(v)?).ok()?;
    let point = key.to_encoded_point(false);
    let digest = keccak256(&point.as_bytes()[1..]);
    digest[12..].try_into().ok()
}

pub fn ed25519_verify(message: &[u8], signature: &[u8; 64], public_key: &[u8; 32]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hashes_match_published_vectors() {
        assert_eq!(
            hex(&keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&blake2b_256(b"")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
    }

    #[test]
    fn ecrecover_refuses_bad_recovery_ids_and_garbage() {
        let mut signature = [1u8; 65];
        signature[64] = 5;
        assert_eq!(ecrecover(&[0; 32], &signature), None);
        let mut zero = [0u8; 65];
        zero[64] = 27;
        assert_eq!(
            ecrecover(&[0; 32], &zero),
            None,
            "r = s = 0 is no signature"
        );
    }

    #[test]
    fn ed25519_rejects_a_garbage_key() {
        assert!(!ed25519_verify(b"m", &[0; 64], &[0xff; 32]));
    }
}

//! The pool's state in its account's storage: the note tree's frontier, the window of
//! recent roots and the nullifier set.
//!
//! The layout is what this Solidity declaration would give, so `eth_getStorageAt` and
//! storage proofs read it with the usual rules (a mapping's entry for key `k` at slot `s`
//! lives at `keccak256(k ‖ s)`):
//!
//! ```solidity
//! uint64 noteCount;                    // slot 0: leaves filled, always even
//! bytes32 verifyingKeyHash;            // slot 1: SHA-256 of the pinned key, set at genesis
//! uint64 rootCount;                    // slot 2: roots ever recorded (the empty tree's is #1)
//! bytes32[32] frontier;                // slots 3..=34: frontier[h], a complete left subtree
//! bytes32[1000] recentRoots;           // slots 35..=1034: root #k at index (k - 1) % 1000
//! mapping(bytes32 => uint64) rootSeq;  // slot 1035: k for each root in the window, else 0
//! mapping(bytes32 => bool) spent;      // slot 1036: the nullifier set
//! ```
//!
//! The tree is never stored whole. Notes arrive in pairs, so positions `n`, `n + 1` (`n`
//! even) are siblings and their parent is hashed directly; above it, a node at height `h`
//! on the path to the root has either an empty right sibling (a known constant,
//! [`vnt_zk::tree::empty_roots`]) or a left sibling that is a *complete* subtree, whose root
//! never changes again. That root is written to `frontier[h]` once, when the subtree
//! completes. An append therefore costs 32 hashes and one frontier write, and the tree it
//! describes is exactly [`vnt_zk::tree::NoteTree`]'s (the tests compare them).
//!
//! The root window is a ring of the last [`ROOT_HISTORY`] roots plus an index from root to
//! its sequence number, so "is this root recent?" is one read, and the entry of a root that
//! leaves the ring is deleted, keeping the index as small as the ring.

use super::{ROOT_HISTORY, Step, Stop};
use alloy_primitives::{B256, U256, keccak256};
use std::collections::BTreeMap;
use vnt_zk::Fr;
use vnt_zk::tree::{DEPTH, empty_roots, node};
use vnt_zk::verify::{field_from_bytes, field_to_bytes};

/// Slot numbers of the layout in the module documentation.
pub mod slot {
    use alloy_primitives::U256;

    pub const NOTE_COUNT: U256 = U256::from_limbs([0, 0, 0, 0]);
    pub const VERIFYING_KEY_HASH: U256 = U256::from_limbs([1, 0, 0, 0]);
    pub const ROOT_COUNT: U256 = U256::from_limbs([2, 0, 0, 0]);
    pub const FRONTIER: u64 = 3;
    pub const RECENT_ROOTS: u64 = FRONTIER + super::DEPTH as u64;
    pub const ROOT_SEQUENCE: u64 = RECENT_ROOTS + super::ROOT_HISTORY;
    pub const SPENT: u64 = ROOT_SEQUENCE + 1;
}

/// The pool account's storage, as the pool's logic reads and writes it. The chain's
/// implementation charges gas for each access; tests use a plain map.
pub trait PoolStorage {
    fn load(&mut self, slot: U256) -> Step<U256>;
    fn store(&mut self, slot: U256, value: U256) -> Step<()>;
    /// Pays for `count` Poseidon hashes about to be computed.
    fn charge_hashes(&mut self, count: u64) -> Step<()>;
}

/// The slot of `key`'s entry in the mapping declared at slot `base`.
pub fn mapping_slot(base: u64, key: B256) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(&U256::from(base).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(preimage).0)
}

fn array_slot(base: u64, index: u64) -> U256 {
    U256::from(base + index)
}

fn word(value: Fr) -> U256 {
    U256::from_be_bytes(field_to_bytes(value))
}

/// A node the pool itself stored: canonical, unless the state is corrupt.
fn stored_field(value: U256) -> Step<Fr> {
    field_from_bytes(&value.to_be_bytes::<32>()).ok_or_else(|| {
        Stop::Ledger(format!(
            "the pool's storage holds a non-field value {value}"
        ))
    })
}

fn small(value: U256) -> u64 {
    // Counters are written only by this module and stay far below 2^64.
    value.saturating_to()
}

/// How many notes the tree holds.
pub fn note_count(s: &mut impl PoolStorage) -> Step<u64> {
    s.load(slot::NOTE_COUNT).map(small)
}

/// Appends `left` and `right` at the next two positions; returns the first position and
/// the new root.
pub fn append_pair(s: &mut impl PoolStorage, left: Fr, right: Fr) -> Step<(u64, Fr)> {
    let count = note_count(s)?;
    if count % 2 != 0 {
        return Err(Stop::Ledger(format!(
            "the pool's note count {count} is odd"
        )));
    }
    if count + 2 > 1 << DEPTH {
        return Err(Stop::revert(format!(
            "the note tree is full: all 2^{DEPTH} positions are used"
        )));
    }
    s.charge_hashes(DEPTH as u64)?;
    // The pair's parent at height 1, then up: `index` is the current node's index at `h`.
    let mut current = node(left, right);
    let mut index = count / 2;
    let mut saved = false;
    for h in 1..DEPTH {
        if index & 1 == 1 {
            let sibling = stored_field(s.load(array_slot(slot::FRONTIER, h as u64))?)?;
            current = node(sibling, current);
        } else {
            // The lowest left child on the path: its subtree holds positions up to this
            // pair and is complete exactly when the pair ends it, which is when every bit
            // below is one, i.e. this is the first zero bit. Only that node needs saving.
            if !saved {
                s.store(array_slot(slot::FRONTIER, h as u64), word(current))?;
                saved = true;
            }
            current = node(current, empty_roots()[h]);
        }
        index >>= 1;
    }
    s.store(slot::NOTE_COUNT, U256::from(count + 2))?;
    Ok((count, current))
}

/// The latest root.
pub fn current_root(s: &mut impl PoolStorage) -> Step<B256> {
    let count = small(s.load(slot::ROOT_COUNT)?);
    if count == 0 {
        return Ok(B256::from(field_to_bytes(empty_roots()[DEPTH])));
    }
    let at = (count - 1) % ROOT_HISTORY;
    Ok(s.load(array_slot(slot::RECENT_ROOTS, at))?.into())
}

/// Whether `root` is one of the last [`ROOT_HISTORY`] roots.
pub fn is_known_root(s: &mut impl PoolStorage, root: B256) -> Step<bool> {
    let sequence = s.load(mapping_slot(slot::ROOT_SEQUENCE, root))?;
    Ok(!sequence.is_zero())
}

/// Records `root` as the latest, dropping the oldest once the window is full.
pub fn record_root(s: &mut impl PoolStorage, root: Fr) -> Step<()> {
    let root = B256::from(field_to_bytes(root));
    let count = small(s.load(slot::ROOT_COUNT)?);
    let at = array_slot(slot::RECENT_ROOTS, count % ROOT_HISTORY);
    if count >= ROOT_HISTORY {
        let evicted: B256 = s.load(at)?.into();
        s.store(mapping_slot(slot::ROOT_SEQUENCE, evicted), U256::ZERO)?;
    }
    s.store(at, root.into())?;
    s.store(
        mapping_slot(slot::ROOT_SEQUENCE, root),
        U256::from(count + 1),
    )?;
    s.store(slot::ROOT_COUNT, U256::from(count + 1))
}

/// Whether `nullifier` has been spent.
pub fn is_spent(s: &mut impl PoolStorage, nullifier: B256) -> Step<bool> {
    let spent = s.load(mapping_slot(slot::SPENT, nullifier))?;
    Ok(!spent.is_zero())
}

/// Marks `nullifier` spent.
pub fn mark_spent(s: &mut impl PoolStorage, nullifier: B256) -> Step<()> {
    s.store(mapping_slot(slot::SPENT, nullifier), U256::from(1))
}

/// The pool's storage at genesis: the pinned key and the empty tree's root as root #1, so
/// the first shield can prove against it.
pub fn genesis_storage(verifying_key_hash: B256) -> BTreeMap<B256, B256> {
    let empty = B256::from(field_to_bytes(empty_roots()[DEPTH]));
    let mut storage = BTreeMap::new();
    let mut set = |slot: U256, value: B256| {
        storage.insert(B256::from(slot), value);
    };
    set(slot::VERIFYING_KEY_HASH, verifying_key_hash);
    set(slot::ROOT_COUNT, B256::from(U256::from(1)));
    set(array_slot(slot::RECENT_ROOTS, 0), empty);
    set(
        mapping_slot(slot::ROOT_SEQUENCE, empty),
        B256::from(U256::from(1)),
    );
    storage
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnt_zk::tree::NoteTree;

    /// Storage as a map, with the genesis layout, counting hashes charged.
    #[derive(Default)]
    struct Memory {
        slots: BTreeMap<U256, U256>,
        hashes: u64,
        writes: u64,
    }

    impl Memory {
        fn genesis() -> Self {
            let slots = genesis_storage(B256::repeat_byte(0xaa))
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            Self {
                slots,
                ..Self::default()
            }
        }
    }

    impl PoolStorage for Memory {
        fn load(&mut self, slot: U256) -> Step<U256> {
            Ok(self.slots.get(&slot).copied().unwrap_or_default())
        }
        fn store(&mut self, slot: U256, value: U256) -> Step<()> {
            self.writes += 1;
            self.slots.insert(slot, value);
            Ok(())
        }
        fn charge_hashes(&mut self, count: u64) -> Step<()> {
            self.hashes += count;
            Ok(())
        }
    }

    fn leaf(i: u64) -> Fr {
        Fr::from(1000 + i)
    }

    #[test]
    fn pair_appends_give_the_roots_of_the_reference_tree() {
        let mut memory = Memory::genesis();
        let mut tree = NoteTree::new();
        assert_eq!(
            current_root(&mut memory).unwrap(),
            B256::from(field_to_bytes(tree.root()))
        );
        // Enough pairs to complete subtrees of several heights (8 pairs fill height 4).
        for pair in 0..9u64 {
            let writes = memory.writes;
            let (position, root) =
                append_pair(&mut memory, leaf(2 * pair), leaf(2 * pair + 1)).unwrap();
            assert_eq!(position, 2 * pair);
            tree.append(leaf(2 * pair)).unwrap();
            tree.append(leaf(2 * pair + 1)).unwrap();
            assert_eq!(root, tree.root(), "after pair {pair}");
            assert_eq!(memory.writes - writes, 2, "one frontier slot and the count");
            record_root(&mut memory, root).unwrap();
            assert!(is_known_root(&mut memory, B256::from(field_to_bytes(root))).unwrap());
        }
        assert_eq!(note_count(&mut memory).unwrap(), 18);
        assert_eq!(memory.hashes, 9 * DEPTH as u64);
    }

    #[test]
    fn the_root_window_holds_the_last_root_history_roots() {
        let mut memory = Memory::genesis();
        let empty = current_root(&mut memory).unwrap();
        assert!(is_known_root(&mut memory, empty).unwrap());
        let root = |i: u64| Fr::from(7_000 + i);
        // The empty tree's root is #1, so ROOT_HISTORY - 1 more fill the window.
        for i in 0..ROOT_HISTORY - 1 {
            record_root(&mut memory, root(i)).unwrap();
        }
        assert!(is_known_root(&mut memory, empty).unwrap());
        record_root(&mut memory, root(ROOT_HISTORY - 1)).unwrap();
        assert!(!is_known_root(&mut memory, empty).unwrap());
        let known = |memory: &mut Memory, i: u64| {
            is_known_root(memory, B256::from(field_to_bytes(root(i)))).unwrap()
        };
        assert!(known(&mut memory, 0));
        record_root(&mut memory, root(ROOT_HISTORY)).unwrap();
        assert!(!known(&mut memory, 0));
        assert!(known(&mut memory, 1) && known(&mut memory, ROOT_HISTORY));
        assert_eq!(
            current_root(&mut memory).unwrap(),
            B256::from(field_to_bytes(root(ROOT_HISTORY)))
        );
        // Evicted roots leave the index: it holds exactly the window.
        let base = slot::ROOT_SEQUENCE;
        let indexed = (0..=ROOT_HISTORY)
            .filter(|i| {
                let key = B256::from(field_to_bytes(root(*i)));
                memory
                    .slots
                    .get(&mapping_slot(base, key))
                    .is_some_and(|v| !v.is_zero())
            })
            .count();
        assert_eq!(indexed, ROOT_HISTORY as usize);
    }

    #[test]
    fn nullifiers_are_spent_once_marked() {
        let mut memory = Memory::genesis();
        let nf = B256::repeat_byte(5);
        assert!(!is_spent(&mut memory, nf).unwrap());
        mark_spent(&mut memory, nf).unwrap();
        assert!(is_spent(&mut memory, nf).unwrap());
        assert!(!is_spent(&mut memory, B256::repeat_byte(6)).unwrap());
    }

    #[test]
    fn a_full_tree_refuses_more_notes() {
        let mut memory = Memory::genesis();
        memory
            .slots
            .insert(slot::NOTE_COUNT, U256::from((1u64 << DEPTH) - 2));
        // The frontier is not consulted before the check, so an empty one will do.
        match append_pair(&mut memory, leaf(0), leaf(1)) {
            Ok(_) => {}
            Err(other) => panic!("the last pair fits: {other:?}"),
        }
        match append_pair(&mut memory, leaf(2), leaf(3)) {
            Err(Stop::Revert(reason)) => assert!(reason.contains("full"), "{reason}"),
            other => panic!("expected the tree to be full, got {other:?}"),
        }
    }
}
